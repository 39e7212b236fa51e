// Picks next tokens from logits: penalties, then temperature, top-k, top-p and min-p, then a seeded draw.
//
// Log-probabilities reported with each token are the model's own (log-softmax of the raw logits, before
// penalties and temperature): that is the confidence the small-to-large cascade needs, whatever the sampling.
// Presence and frequency penalties count generated tokens only, repetition penalty counts the recent window of
// prompt and output, as vLLM does for OpenAI-compatible requests.
package io.puhui.engine.sampling;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import io.puhui.engine.tensor.VectorMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

public final class Sampler {
    private final SamplingParams params;
    private final SplittableRandom random;
    private final Map<Integer, Integer> generatedCounts = new HashMap<>();
    private final int[] recent;
    private int recentCount;
    private int recentNext;

    public Sampler(SamplingParams params) {
        this.params = params;
        this.random = new SplittableRandom(params.seed());
        this.recent = new int[Math.max(1, params.repetitionWindow())];
    }

    public SamplingParams params() {
        return params;
    }

    /** Tells the sampler about prompt tokens, for the repetition window. */
    public void acceptPrompt(int[] tokens) {
        for (int t : tokens) {
            remember(t);
        }
    }

    /** Records a generated token (whether or not this sampler chose it). */
    public void accept(int token) {
        generatedCounts.merge(token, 1, Integer::sum);
        remember(token);
    }

    private void remember(int token) {
        recent[recentNext] = token;
        recentNext = (recentNext + 1) % recent.length;
        recentCount = Math.min(recentCount + 1, recent.length);
    }

    /** Chooses the next token. {@code logits} is not modified. The chosen token is not yet {@link #accept}ed. */
    public SampledToken sample(float[] logits, int vocabSize) {
        float[] l = Arrays.copyOf(logits, vocabSize);
        applyPenalties(l);
        int chosen = params.greedy() ? argmax(l) : draw(l);
        return describe(logits, vocabSize, chosen);
    }

    private void applyPenalties(float[] l) {
        if (params.repetitionPenalty() != 1f && params.repetitionWindow() > 0) {
            float p = params.repetitionPenalty();
            boolean[] seen = new boolean[l.length];
            for (int i = 0; i < recentCount; i++) {
                int t = recent[i];
                if (t >= 0 && t < l.length && !seen[t]) {
                    seen[t] = true;
                    l[t] = l[t] > 0 ? l[t] / p : l[t] * p;
                }
            }
        }
        if (params.presencePenalty() != 0f || params.frequencyPenalty() != 0f) {
            for (var e : generatedCounts.entrySet()) {
                int t = e.getKey();
                if (t < l.length) {
                    l[t] -= params.presencePenalty() + params.frequencyPenalty() * e.getValue();
                }
            }
        }
    }

    private static int argmax(float[] l) {
        int best = 0;
        for (int i = 1; i < l.length; i++) {
            if (l[i] > l[best]) {
                best = i;
            }
        }
        return best;
    }

    private int draw(float[] l) {
        float invT = 1f / params.temperature();
        float max = max(l, l.length);
        // Probabilities after temperature; then keep the candidates that survive top-k, top-p and min-p.
        float[] p = new float[l.length];
        double sum = expShifted(l, l.length, max, invT, p);
        float pMax = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] /= (float) sum;
            pMax = Math.max(pMax, p[i]);
        }
        if (params.topK() == 0 && params.topP() >= 1f && params.minP() == 0f) {
            // nothing is cut: draw straight from the whole distribution, no sorting
            double r = random.nextDouble();
            double acc = 0;
            for (int i = 0; i < p.length; i++) {
                acc += p[i];
                if (r < acc) {
                    return i;
                }
            }
            return argmax(p);
        }
        int[] ids = candidates(p, pMax);
        double kept = 0;
        for (int id : ids) {
            kept += p[id];
        }
        double r = random.nextDouble() * kept;
        double acc = 0;
        for (int id : ids) {
            acc += p[id];
            if (r < acc) {
                return id;
            }
        }
        return ids[ids.length - 1];
    }

    /** Token ids that may be drawn, most likely first. */
    private int[] candidates(float[] p, float pMax) {
        // A cheap floor first: anything below it can never be in the top-p nucleus or pass min-p,
        // so a 150k vocabulary is not sorted in full.
        float floor = params.minP() > 0 ? params.minP() * pMax : 0f;
        if (params.topP() < 1f) {
            floor = Math.max(floor, (1f - params.topP()) / (p.length - 1));
        }
        // most likely first, ties by id, as packed primitive keys: boxing a 150k vocabulary cost milliseconds
        long[] keys = new long[p.length];
        int n = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] >= floor) {
                keys[n++] = ((long) (Integer.MAX_VALUE - Float.floatToRawIntBits(p[i])) << 32) | i;
            }
        }
        Arrays.sort(keys, 0, n);
        int[] sorted = new int[n];
        for (int i = 0; i < n; i++) {
            sorted[i] = (int) keys[i];
        }
        int keep = sorted.length;
        if (params.topK() > 0) {
            keep = Math.min(keep, params.topK());
        }
        if (params.topP() < 1f) {
            double cum = 0;
            for (int i = 0; i < keep; i++) {
                cum += p[sorted[i]];
                if (cum >= params.topP()) {
                    keep = i + 1;
                    break;
                }
            }
        }
        keep = Math.max(1, keep);
        int[] out = new int[keep];
        for (int i = 0; i < keep; i++) {
            out[i] = sorted[i];
        }
        return out;
    }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private static float max(float[] l, int n) {
        int i = 0;
        float max = Float.NEGATIVE_INFINITY;
        if (n >= F.length()) {
            FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (; i <= n - F.length(); i += F.length()) {
                m = m.max(FloatVector.fromArray(F, l, i));
            }
            max = m.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) {
            max = Math.max(max, l[i]);
        }
        return max;
    }

    /**
     * Sum of exp((l[i] - max) * scale) over the first n values, storing each term in {@code out} when given.
     * Vectorised: over a 150k vocabulary, scalar exp cost about a millisecond per token.
     */
    private static double expShifted(float[] l, int n, float max, float scale, float[] out) {
        int i = 0;
        double sum = 0;
        FloatVector acc = FloatVector.zero(F);
        for (; i <= n - F.length(); i += F.length()) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(F, l, i).sub(max).mul(scale));
            if (out != null) {
                e.intoArray(out, i);
            }
            acc = acc.add(e);
        }
        sum += VectorMath.sum(acc);
        for (; i < n; i++) {
            float e = VectorMath.exp((l[i] - max) * scale);
            if (out != null) {
                out[i] = e;
            }
            sum += e;
        }
        return sum;
    }

    private SampledToken describe(float[] logits, int vocabSize, int chosen) {
        float max = max(logits, vocabSize);
        float logZ = (float) (max + Math.log(expShifted(logits, vocabSize, max, 1f, null)));
        List<SampledToken.Candidate> top = List.of();
        int n = params.topLogprobs();
        if (n > 0) {
            // Partial selection of the n best by a small insertion-sorted buffer.
            int[] best = new int[n];
            int filled = 0;
            for (int i = 0; i < vocabSize; i++) {
                if (filled < n || logits[i] > logits[best[filled - 1]]) {
                    int j = filled < n ? filled++ : n - 1;
                    while (j > 0 && logits[best[j - 1]] < logits[i]) {
                        best[j] = best[j - 1];
                        j--;
                    }
                    best[j] = i;
                }
            }
            top = new ArrayList<>(filled);
            for (int i = 0; i < filled; i++) {
                top.add(new SampledToken.Candidate(best[i], logits[best[i]] - logZ));
            }
            top = List.copyOf(top);
        }
        return new SampledToken(chosen, logits[chosen] - logZ, top);
    }
}
