// `puhui scene`: what this machine is doing, as the pool sees it, and what it would lend.
package io.puhui.cli;

import io.puhui.server.node.scene.LinuxSignals;
import io.puhui.server.node.scene.SceneDetector;
import io.puhui.server.node.scene.ScenePolicy;
import io.puhui.server.node.scene.Signals;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "scene", description = {
    "Show this machine's scene (gaming, meeting, interactive, idle, idle and charging, low battery), the signals "
        + "it comes from, and what the node would lend the pool in it.",
    "Games and meeting apps are recognised by process name; extend the list in $PUHUI_HOME/scene-apps.conf "
        + "([games] and [meetings] sections, one name per line, * as a wildcard)."})
final class SceneCommand implements Callable<Integer> {
    @Option(names = "--watch", description = "Keep reading, one line per read.")
    boolean watch;

    @Option(names = "--interval", defaultValue = "2", paramLabel = "S", description = "Seconds between reads (default ${DEFAULT-VALUE}).")
    double interval;

    @Option(names = "--count", paramLabel = "N", description = "With --watch, stop after N reads.")
    Integer count;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!(interval > 0) || interval > 3600) {
            throw new Main.UsageException("--interval must be above 0 and at most 3600 seconds");
        }
        if (!LinuxSignals.available()) {
            throw new Main.UsageException("scene detection reads /proc and /sys; this system has no /proc/stat");
        }
        SceneDetector detector = ThisMachine.sceneDetector(PuhuiHome.resolve());
        ScenePolicy policy = ScenePolicy.defaults();
        int cores = Runtime.getRuntime().availableProcessors();
        long memory = ThisMachine.memoryBytes();
        PrintWriter out = spec.commandLine().getOut();
        detector.read(); // CPU load is a difference of two reads
        long sleep = (long) (interval * 1000);
        int reads = 0;
        do {
            Thread.sleep(sleep);
            SceneDetector.Reading r = detector.read();
            ScenePolicy.Lending l = policy.lending(r.scene());
            if (watch) {
                out.printf(Locale.ROOT, "%s  %-13s %s; lends %d/%d threads, %.1f GiB, remote %s%n",
                        java.time.LocalTime.now().withNano(0), r.scene(), r.reason(), l.threads(cores), cores,
                        l.memoryBytes(memory) / (double) (1L << 30), l.acceptsRemote() ? "yes" : "no");
            } else {
                Signals s = r.signals();
                out.printf(Locale.ROOT, "scene:    %s (%s)%n", r.scene(), r.reason());
                out.printf(Locale.ROOT, "power:    %s%s%n", s.power().name().toLowerCase(Locale.ROOT),
                        s.batteryPercent().isPresent() ? ", battery " + s.batteryPercent().getAsInt() + "%" : ", no battery");
                out.printf(Locale.ROOT, "cpu:      other programs %s of %d cores%n",
                        Double.isNaN(s.otherCpuLoad()) ? "unknown" : String.format(Locale.ROOT, "%.0f%%", 100 * s.otherCpuLoad()), cores);
                out.printf(Locale.ROOT, "input:    %s%n", s.userIdleSeconds().isPresent()
                        ? "last " + s.userIdleSeconds().getAsLong() + " s ago" : "idle time not available");
                out.printf(Locale.ROOT, "programs: %d running%s%n", s.processes().size(),
                        detector.apps().game(new TreeSet<>(s.processes()))
                                .or(() -> detector.apps().meeting(new TreeSet<>(s.processes())))
                                .map(p -> ", recognised: " + p).orElse(""));
                out.printf(Locale.ROOT, "lends:    %d of %d threads, %.1f of %.1f GiB memory, remote requests %s, "
                                + "keeps models loaded %s%n", l.threads(cores), cores,
                        l.memoryBytes(memory) / (double) (1L << 30), memory / (double) (1L << 30),
                        l.acceptsRemote() ? "yes" : "no", l.keepsInstances() ? "yes" : "no");
            }
            out.flush();
            reads++;
        } while (watch && (count == null || reads < count));
        return Main.OK;
    }
}
