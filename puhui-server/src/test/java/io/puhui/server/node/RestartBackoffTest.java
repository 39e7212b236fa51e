package io.puhui.server.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RestartBackoffTest {
    @Test
    void aFirstCrashRestartsAtOnceThenWaitsDoubleUpToAMinute() {
        assertThat(Supervisor.restartDelay(1)).isEqualTo(Duration.ZERO);
        assertThat(Supervisor.restartDelay(2)).isEqualTo(Duration.ofSeconds(1));
        assertThat(Supervisor.restartDelay(3)).isEqualTo(Duration.ofSeconds(2));
        assertThat(Supervisor.restartDelay(5)).isEqualTo(Duration.ofSeconds(8));
        assertThat(Supervisor.restartDelay(8)).isEqualTo(Duration.ofMinutes(1));
        assertThat(Supervisor.restartDelay(1000)).isEqualTo(Duration.ofMinutes(1));
    }
}
