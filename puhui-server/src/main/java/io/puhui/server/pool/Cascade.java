package io.puhui.server.pool;

import java.util.Locale;

/**
 * The small→large cascade's decision: the small variant answers first, and the log-probabilities it gave its
 * own tokens say whether the answer stands or the request goes to the larger variant. Both the mean (how sure
 * it was overall) and the minimum (the one token it was least sure of, where answers usually go wrong) must
 * clear their thresholds, which are set per model family.
 */
public final class Cascade {

    /**
     * @param minMeanLogprob  the mean log-probability per token an answer needs to stand (natural log)
     * @param minTokenLogprob the lowest single-token log-probability an answer may contain
     * @param holdBack        tokens of a streamed answer held back until the decision (K)
     */
    public record Thresholds(double minMeanLogprob, double minTokenLogprob, int holdBack) {
        /** Keeps answers whose tokens average 70 % probability and never drop below 5 %; holds 16 tokens. */
        public static final Thresholds DEFAULT = new Thresholds(Math.log(0.7), Math.log(0.05), 16);

        public Thresholds {
            if (minMeanLogprob > 0 || minTokenLogprob > 0 || holdBack < 1) {
                throw new IllegalArgumentException("log-probability thresholds are at most 0 and the hold-back is at least 1 token");
            }
        }
    }

    /** Whether the small answer stands, its confidence, and why. */
    public record Decision(boolean escalate, double meanLogprob, double minLogprob, int tokens, String reason) {
    }

    private Cascade() {
    }

    /** The decision on an answer's (or its first K tokens') log-probabilities. An empty answer escalates. */
    public static Decision decide(double[] logprobs, Thresholds t) {
        if (logprobs.length == 0) {
            return new Decision(true, Double.NaN, Double.NaN, 0, "the small variant gave no tokens");
        }
        double sum = 0;
        double min = 0;
        int worst = 0;
        for (int i = 0; i < logprobs.length; i++) {
            double lp = logprobs[i];
            if (Double.isNaN(lp) || lp > 1e-9) {
                throw new IllegalArgumentException("token " + i + " has log-probability " + lp + "; expected a number at most 0");
            }
            sum += lp;
            if (lp < min) {
                min = lp;
                worst = i;
            }
        }
        double mean = sum / logprobs.length;
        boolean lowMean = mean < t.minMeanLogprob();
        boolean lowToken = min < t.minTokenLogprob();
        String reason;
        if (lowMean || lowToken) {
            reason = String.format(Locale.ROOT, "escalated: %s%s%s", lowMean
                    ? String.format(Locale.ROOT, "mean token probability %.2f below %.2f", Math.exp(mean), Math.exp(t.minMeanLogprob())) : "",
                    lowMean && lowToken ? "; " : "", lowToken
                    ? String.format(Locale.ROOT, "token %d at probability %.3f below %.3f", worst, Math.exp(min), Math.exp(t.minTokenLogprob())) : "");
        } else {
            reason = String.format(Locale.ROOT, "kept: mean token probability %.2f, lowest %.3f over %d tokens",
                    Math.exp(mean), Math.exp(min), logprobs.length);
        }
        return new Decision(lowMean || lowToken, mean, min, logprobs.length, reason);
    }
}
