// Sampling: what each knob does to the chosen tokens, and reproducibility by seed.
package io.puhui.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SamplerTest {
    static final float[] LOGITS = {2.0f, 1.9f, 0.5f, -1f, 0.1f};

    static double logSoftmax(float[] l, int i) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : l) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : l) {
            sum += Math.exp(v - max);
        }
        return l[i] - max - Math.log(sum);
    }

    @Test
    void greedyTakesTheMostLikelyTokenAndReportsItsLogprob() {
        SampledToken t = new Sampler(SamplingParams.GREEDY).sample(LOGITS, LOGITS.length);
        assertThat(t.id()).isZero();
        assertThat((double) t.logprob()).isCloseTo(logSoftmax(LOGITS, 0), within(1e-5));
        assertThat(t.top()).isEmpty();
    }

    @Test
    void topLogprobsAreTheBestAlternativesInOrder() {
        SampledToken t = new Sampler(SamplingParams.GREEDY.withTopLogprobs(3)).sample(LOGITS, LOGITS.length);
        assertThat(t.top()).extracting(SampledToken.Candidate::id).containsExactly(0, 1, 2);
        for (SampledToken.Candidate c : t.top()) {
            assertThat((double) c.logprob()).isCloseTo(logSoftmax(LOGITS, c.id()), within(1e-5));
        }
    }

    List<Integer> draws(SamplingParams p, int n) {
        Sampler s = new Sampler(p);
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(s.sample(LOGITS, LOGITS.length).id());
        }
        return out;
    }

    @Test
    void sameSeedSameTokensOtherSeedOtherTokens() {
        SamplingParams p = SamplingParams.DEFAULT.withSeed(42);
        assertThat(draws(p, 200)).isEqualTo(draws(p, 200));
        assertThat(draws(p, 200)).isNotEqualTo(draws(p.withSeed(43), 200));
    }

    @Test
    void temperatureOneFollowsTheModelDistribution() {
        int n = 40_000;
        int[] counts = new int[LOGITS.length];
        for (int id : draws(SamplingParams.DEFAULT.withSeed(1), n)) {
            counts[id]++;
        }
        for (int i = 0; i < LOGITS.length; i++) {
            assertThat(counts[i] / (double) n).as("token %d", i).isCloseTo(Math.exp(logSoftmax(LOGITS, i)), within(0.01));
        }
    }

    @Test
    void truncationKnobsLeaveOnlyTheTopTokens() {
        assertThat(draws(SamplingParams.DEFAULT.withTopK(1), 100)).containsOnly(0);
        assertThat(draws(SamplingParams.DEFAULT.withTopK(2), 300)).containsOnly(0, 1).contains(0, 1);
        assertThat(draws(SamplingParams.DEFAULT.withTopP(0.05f), 100)).containsOnly(0);
        // min-p 0.5 keeps tokens at least half as likely as the best: 0 and 1 here
        assertThat(draws(SamplingParams.DEFAULT.withMinP(0.5f), 300)).containsOnly(0, 1);
        // a low temperature sharpens towards the best token
        long best = draws(SamplingParams.DEFAULT.withTemperature(0.02f), 300).stream().filter(i -> i == 0).count();
        assertThat(best).isGreaterThan(290);
    }

    @Test
    void penaltiesSteerAwayFromRepeats() {
        Sampler freq = new Sampler(SamplingParams.GREEDY.withPenalties(0f, 0.1f));
        freq.accept(0);
        assertThat(freq.sample(LOGITS, 5).id()).as("one repeat: 2.0-0.1 = 1.9 ties, lower id wins").isZero();
        freq.accept(0);
        assertThat(freq.sample(LOGITS, 5).id()).isEqualTo(1);

        Sampler presence = new Sampler(SamplingParams.GREEDY.withPenalties(0.5f, 0f));
        presence.accept(0);
        assertThat(presence.sample(LOGITS, 5).id()).isEqualTo(1);

        Sampler rep = new Sampler(SamplingParams.GREEDY.withRepetitionPenalty(1.5f, 64));
        rep.acceptPrompt(new int[] {0});
        SampledToken t = rep.sample(LOGITS, 5);
        assertThat(t.id()).isEqualTo(1);
        // the reported logprob is the model's, not the penalised one
        assertThat((double) t.logprob()).isCloseTo(logSoftmax(LOGITS, 1), within(1e-5));
    }

    @Test
    void outOfRangeParametersAreRejectedWithTheirName() {
        assertThatThrownBy(() -> SamplingParams.DEFAULT.withTopP(0f)).hasMessageContaining("top_p");
        assertThatThrownBy(() -> SamplingParams.DEFAULT.withTemperature(-1f)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> SamplingParams.DEFAULT.withPenalties(3f, 0f)).hasMessageContaining("presence_penalty");
        assertThatThrownBy(() -> SamplingParams.DEFAULT.withTopLogprobs(21)).hasMessageContaining("top_logprobs");
    }
}
