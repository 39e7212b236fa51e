package io.puhui.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SceneCommandTest {

    @Test
    void showsTheSceneItsSignalsAndWhatTheNodeLends() {
        SimulateCommandTest.Outcome o = SimulateCommandTest.run("scene", "--interval", "0.2");
        assertThat(o.code()).as(o.err()).isZero();
        assertThat(o.out()).containsPattern("scene: +(IDLE_CHARGING|IDLE|INTERACTIVE|MEETING|GAMING|LOW_BATTERY) \\(")
                .contains("power:").contains("cpu:").contains("lends:");
        SimulateCommandTest.Outcome watch = SimulateCommandTest.run("scene", "--watch", "--interval", "0.1", "--count", "3");
        assertThat(watch.code()).isZero();
        assertThat(watch.out().lines().count()).isEqualTo(3);
        SimulateCommandTest.Outcome bad = SimulateCommandTest.run("scene", "--interval", "0");
        assertThat(bad.code()).isEqualTo(Main.USAGE);
        assertThat(bad.err()).contains("--interval must be above 0");
    }
}
