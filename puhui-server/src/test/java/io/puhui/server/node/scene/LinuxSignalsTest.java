package io.puhui.server.node.scene;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LinuxSignalsTest {

    @TempDir
    Path root;

    void write(String path, String text) throws IOException {
        Path p = root.resolve(path);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    @Test
    void readsPowerCpuAndProgramsFromAProcAndSysTree() throws IOException {
        write("sys/class/power_supply/AC/type", "Mains\n");
        write("sys/class/power_supply/AC/online", "0\n");
        write("sys/class/power_supply/BAT0/type", "Battery\n");
        write("sys/class/power_supply/BAT0/capacity", "14\n");
        write("sys/class/power_supply/BAT0/status", "Discharging\n");
        write("proc/stat", "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 1 2 3 4\n");
        write("proc/42/stat", "42 (java (puhui)) S 1 2 3 4 5 6 7 8 9 10 50 10 0 0\n");
        write("proc/42/comm", "java\n");
        write("proc/42/cmdline", "/usr/bin/java\0-jar\0puhui.jar\0");
        write("proc/77/comm", "GenshinImpact.e\n");
        Files.write(root.resolve("proc/77/cmdline"), "C:\\Games\\GenshinImpact.exe\0".getBytes(StandardCharsets.UTF_8));
        LinuxSignals source = new LinuxSignals(root, () -> Set.of(42L));
        Signals first = source.read();
        assertThat(first.power()).isEqualTo(Signals.Power.BATTERY);
        assertThat(first.batteryPercent()).hasValue(14);
        assertThat(Double.isNaN(first.otherCpuLoad())).as("one read gives no rate").isTrue();
        assertThat(first.processes()).contains("java", "genshinimpact.exe", "genshinimpact.e");
        // 1000 more ticks, 700 of them busy, 100 of those Puhui's own: others use 60 %.
        write("proc/stat", "cpu  500 0 400 1100 0 0 0 0 0 0\n");
        write("proc/42/stat", "42 (java (puhui)) S 1 2 3 4 5 6 7 8 9 10 120 40 0 0\n");
        Signals second = source.read();
        assertThat(second.otherCpuLoad()).isCloseTo(0.6, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(SceneDetector.classify(second, AppCatalog.builtIn(), SceneDetector.Thresholds.DEFAULT).scene())
                .isEqualTo(Scene.LOW_BATTERY);
        write("sys/class/power_supply/AC/online", "1\n");
        assertThat(source.read().power()).as("plugged in").isEqualTo(Signals.Power.MAINS);
    }

    @Test
    void aMeetingAppStartedOnThisMachineIsSeenAndItsEndSettles() throws Exception {
        Assumptions.assumeTrue(LinuxSignals.available(), "needs /proc");
        Path app = root.resolve("wemeetapp");
        Files.copy(Path.of("/bin/sleep"), app);
        app.toFile().setExecutable(true);
        SceneDetector d = new SceneDetector(LinuxSignals.local(), AppCatalog.builtIn(),
                new SceneDetector.Thresholds(20, 1.01, 300, 2));
        Scene before = d.read().scene();
        assertThat(before).isNotEqualTo(Scene.MEETING);
        Process p = new ProcessBuilder(app.toString(), "30").start();
        try {
            SceneDetector.Reading r = d.read();
            assertThat(r.scene()).isEqualTo(Scene.MEETING);
            assertThat(r.reason()).contains("wemeetapp");
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        assertThat(d.read().scene()).as("one quiet read is not enough").isEqualTo(Scene.MEETING);
        assertThat(d.read().scene()).isEqualTo(before);
    }
}
