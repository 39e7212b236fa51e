package io.puhui.server.node.scene;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SceneDetectorTest {

    static final AppCatalog APPS = AppCatalog.builtIn();
    static final SceneDetector.Thresholds T = SceneDetector.Thresholds.DEFAULT;

    static Scene classify(Signals s) {
        return SceneDetector.classify(s, APPS, T).scene();
    }

    @Test
    void eachSignalLeadsToItsScene() {
        Signals quiet = Signals.quiet();
        assertThat(classify(quiet)).isEqualTo(Scene.IDLE_CHARGING);
        assertThat(classify(quiet.withPower(Signals.Power.BATTERY, 80))).isEqualTo(Scene.IDLE);
        assertThat(classify(quiet.withPower(Signals.Power.BATTERY, 15))).isEqualTo(Scene.LOW_BATTERY);
        assertThat(classify(quiet.withPower(Signals.Power.MAINS, 15))).as("charging").isEqualTo(Scene.IDLE_CHARGING);
        assertThat(classify(quiet.withProcesses("bash", "wemeetapp"))).isEqualTo(Scene.MEETING);
        assertThat(classify(quiet.withProcesses("DingTalk"))).isEqualTo(Scene.MEETING);
        assertThat(classify(quiet.withProcesses("YuanShen.exe", "zoom"))).as("a game outranks a call").isEqualTo(Scene.GAMING);
        assertThat(classify(quiet.withProcesses("steam_app_570"))).as("wildcard").isEqualTo(Scene.GAMING);
        assertThat(classify(quiet.withCpuLoad(0.7))).isEqualTo(Scene.INTERACTIVE);
        assertThat(classify(quiet.withCpuLoad(0.2))).isEqualTo(Scene.IDLE_CHARGING);
        assertThat(classify(quiet.withIdleSeconds(20))).isEqualTo(Scene.INTERACTIVE);
        assertThat(classify(quiet.withIdleSeconds(3600))).isEqualTo(Scene.IDLE_CHARGING);
        assertThat(classify(quiet.withPower(Signals.Power.BATTERY, 10).withProcesses("cs2")))
                .as("a flat battery outranks the game").isEqualTo(Scene.LOW_BATTERY);
        assertThat(SceneDetector.classify(quiet.withProcesses("teams"), APPS, T).reason()).isEqualTo("meeting app running: teams");
    }

    @Test
    void stricterScenesTakeEffectAtOnceLooserOnesWhenTheySettle() {
        Deque<Signals> feed = new ArrayDeque<>(List.of(Signals.quiet(), Signals.quiet().withProcesses("cs2"),
                Signals.quiet(), Signals.quiet(), Signals.quiet().withProcesses("cs2"), Signals.quiet(),
                Signals.quiet(), Signals.quiet()));
        SceneDetector d = new SceneDetector(feed::poll, APPS, T);
        assertThat(d.read().scene()).isEqualTo(Scene.IDLE_CHARGING);
        assertThat(d.read().scene()).as("the game starts").isEqualTo(Scene.GAMING);
        SceneDetector.Reading r = d.read();
        assertThat(r.indicated()).isEqualTo(Scene.IDLE_CHARGING);
        assertThat(r.scene()).isEqualTo(Scene.GAMING);
        assertThat(r.reason()).contains("still GAMING until it settles");
        assertThat(d.read().scene()).isEqualTo(Scene.GAMING);
        assertThat(d.read().scene()).as("the game is back: the count starts again").isEqualTo(Scene.GAMING);
        assertThat(d.read().scene()).isEqualTo(Scene.GAMING);
        assertThat(d.read().scene()).isEqualTo(Scene.GAMING);
        assertThat(d.read().scene()).as("three quiet reads in a row").isEqualTo(Scene.IDLE_CHARGING);
    }

    @Test
    void eachSceneLendsWhatItsPolicySays() {
        ScenePolicy p = ScenePolicy.defaults();
        assertThat(p.lending(Scene.GAMING).threads(8)).isZero();
        assertThat(p.lending(Scene.GAMING).keepsInstances()).isFalse();
        assertThat(p.lending(Scene.MEETING).threads(8)).isEqualTo(2);
        assertThat(p.lending(Scene.MEETING).acceptsRemote()).isFalse();
        assertThat(p.lending(Scene.MEETING).threads(2)).as("at least one").isEqualTo(1);
        assertThat(p.lending(Scene.INTERACTIVE).threads(8)).isEqualTo(4);
        assertThat(p.lending(Scene.IDLE_CHARGING).threads(8)).isEqualTo(8);
        assertThat(p.lending(Scene.IDLE_CHARGING).memoryBytes(10_000)).isEqualTo(9_000);
        for (Scene s : Scene.values()) {
            for (Scene t : Scene.values()) {
                if (s.stricterThan(t)) {
                    assertThat(p.lending(s).threadShare()).as(s + " vs " + t).isLessThanOrEqualTo(p.lending(t).threadShare());
                }
            }
        }
        assertThatThrownBy(() -> new ScenePolicy.Lending(1.5, 0, true, true)).hasMessageContaining("between 0 and 1");
    }

    @TempDir
    Path dir;

    @Test
    void usersExtendTheAppListAndBadLinesSayWhere() throws IOException {
        Path f = dir.resolve("scene-apps.conf");
        Files.writeString(f, "# mine\n[games]\nmy-game*\n[meetings]\n内部会议\n");
        AppCatalog c = AppCatalog.withUserFile(f);
        assertThat(c.game(List.of("my-game-x64"))).contains("my-game-x64");
        assertThat(c.meeting(List.of("内部会议"))).contains("内部会议");
        assertThat(c.meeting(List.of("zoom"))).as("built-in names stay").contains("zoom");
        assertThat(AppCatalog.withUserFile(dir.resolve("absent.conf")).game(List.of("my-game"))).isEmpty();
        Files.writeString(f, "[games]\nok\n[films]\nx\n");
        assertThatThrownBy(() -> AppCatalog.withUserFile(f)).hasMessageContaining(f + ":3: unknown section [films]");
        Files.writeString(f, "lonely\n");
        assertThatThrownBy(() -> AppCatalog.withUserFile(f)).hasMessageContaining(":1: 'lonely' comes before any section");
    }
}
