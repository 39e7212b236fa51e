package io.puhui.server.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CascadeTest {

    static double[] probs(double... p) {
        double[] lp = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            lp[i] = Math.log(p[i]);
        }
        return lp;
    }

    @Test
    void aConfidentAnswerStandsAndAnUnsureOneEscalates() {
        Cascade.Decision keep = Cascade.decide(probs(0.99, 0.95, 0.9, 0.8, 0.97), Cascade.Thresholds.DEFAULT);
        assertThat(keep.escalate()).isFalse();
        assertThat(keep.reason()).isEqualTo("kept: mean token probability 0.92, lowest 0.800 over 5 tokens");
        Cascade.Decision unsure = Cascade.decide(probs(0.6, 0.5, 0.7, 0.55), Cascade.Thresholds.DEFAULT);
        assertThat(unsure.escalate()).isTrue();
        assertThat(unsure.reason()).startsWith("escalated: mean token probability 0.58 below 0.70");
    }

    @Test
    void oneWildGuessEscalatesAnOtherwiseSureAnswer() {
        Cascade.Decision d = Cascade.decide(probs(0.99, 0.99, 0.99, 0.01, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99,
                0.99, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99), Cascade.Thresholds.DEFAULT);
        assertThat(Math.exp(d.meanLogprob())).as("the mean alone would pass").isGreaterThan(0.7);
        assertThat(d.escalate()).isTrue();
        assertThat(d.reason()).isEqualTo("escalated: token 3 at probability 0.010 below 0.050");
    }

    @Test
    void thresholdsArePerFamilyAndBadInputIsRefused() {
        Cascade.Thresholds strict = new Cascade.Thresholds(Math.log(0.95), Math.log(0.5), 8);
        assertThat(Cascade.decide(probs(0.99, 0.95, 0.9), strict).escalate()).isTrue();
        assertThat(Cascade.decide(new double[0], strict).escalate()).isTrue();
        assertThatThrownBy(() -> Cascade.decide(new double[] {0.3}, strict)).hasMessageContaining("at most 0");
        assertThatThrownBy(() -> new Cascade.Thresholds(0.1, -1, 8)).hasMessageContaining("at most 0");
    }
}
