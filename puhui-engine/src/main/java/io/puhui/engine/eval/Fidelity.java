// How much a compressed model lost against its parent, measured the way llama.cpp's perplexity tool does with
// --kl-divergence: the text is cut into chunks of ctx tokens, each chunk starts with BOS (when the vocabulary
// uses one), the first half of each chunk is context only, and every later position is scored: the negative
// log-likelihood of the true next token under each model, the KL divergence KL(P‖Q) of the compressed model's
// next-token distribution Q from the parent's P, and whether both put the same token first.
package io.puhui.engine.eval;

import io.puhui.engine.model.KvCache;
import io.puhui.engine.model.Model;
import io.puhui.engine.tensor.ThreadTeam;
import java.util.Arrays;

public final class Fidelity {
    /** Positions run through the model in one forward step. */
    private static final int STEP = 64;

    private Fidelity() {
    }

    /** Told after each chunk. */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (done, total) -> {
        };

        void update(int chunksDone, int chunks);
    }

    /**
     * The figures of one comparison. Perplexities are exp(mean NLL); {@code meanKl ± klError} is the mean KL
     * divergence with its standard error; percentiles interpolate between sorted per-token values as llama.cpp
     * does; {@code top1} is the fraction of positions where both models' most likely token is the same.
     */
    public record Report(int ctx, int chunks, long tokens, double perplexity, double referencePerplexity,
            double meanKl, double klError, double medianKl, double p99Kl, double maxKl, double top1) {
        public boolean hasReference() {
            return !Double.isNaN(referencePerplexity);
        }
    }

    /**
     * Scores {@code model} on {@code tokens}, and against {@code reference} when it is not null.
     *
     * @param tokens the text's tokens (BOS first if the vocabulary adds one); at least two chunks' worth
     * @param bos    the BOS id to put at the start of every chunk, or -1 for none
     */
    public static Report measure(Model model, Model reference, int[] tokens, int ctx, int bos, ThreadTeam team,
            Progress progress) {
        return measure(model, reference, tokens, ctx, bos, team, progress, null);
    }

    /**
     * The reference's logits kept from one comparison for the next ones on the same tokens (many candidates
     * scored against one parent), when they fit in {@code maxBytes}; the figures are the same either way.
     */
    public static final class ReferenceCache {
        private final long maxBytes;
        private float[][] logits;
        private boolean complete;

        public ReferenceCache(long maxBytes) {
            this.maxBytes = maxBytes;
        }
    }

    /** {@link #measure}, taking the reference's logits from {@code cache} (filling it on first use). */
    public static Report measure(Model model, Model reference, int[] tokens, int ctx, int bos, ThreadTeam team,
            Progress progress, ReferenceCache refStore) {
        if (ctx < 8) {
            throw new IllegalArgumentException("--ctx must be at least 8, got " + ctx);
        }
        int limit = model.config().trainedContextLength();
        if (ctx > limit) {
            throw new IllegalArgumentException("--ctx " + ctx + " is longer than the model's context of " + limit);
        }
        int chunks = tokens.length / ctx;
        if (chunks < 1) {
            throw new IllegalArgumentException("the text has " + tokens.length + " tokens; at least " + ctx
                    + " (one chunk of --ctx) are needed, better many more");
        }
        int vocab = model.config().vocabSize();
        if (reference != null && reference.config().vocabSize() != vocab) {
            throw new IllegalArgumentException("the models have different vocabularies (" + vocab + " and "
                    + reference.config().vocabSize() + " tokens); compare a model with its own parent");
        }
        int first = ctx / 2;
        int scoredPerChunk = ctx - 1 - first;
        long n = (long) chunks * scoredPerChunk;
        float[] kls = new float[Math.toIntExact(reference != null ? n : 0)];
        double sumNll = 0;
        double sumNllRef = 0;
        double sumKl = 0;
        double sumKl2 = 0;
        long sameTop = 0;
        int k = 0;
        KvCache cache = model.newCache(ctx);
        KvCache refCache = reference != null ? reference.newCache(ctx) : null;
        float[][] logits = new float[STEP][];
        float[][] refLogits = new float[STEP][];
        float[][] buffers = new float[STEP][vocab];
        float[][] refBuffers = new float[STEP][reference != null ? vocab : 0];
        boolean cached = refStore != null && refStore.complete;
        boolean filling = false;
        if (refStore != null && !refStore.complete && reference != null && n * (long) vocab * 4 <= refStore.maxBytes) {
            refStore.logits = new float[Math.toIntExact(n)][];
            filling = true;
        }
        for (int c = 0; c < chunks; c++) {
            int start = c * ctx;
            cache.truncate(0);
            if (refCache != null) {
                refCache.truncate(0);
            }
            for (int s = 0; s < ctx; s += STEP) {
                int len = Math.min(STEP, ctx - s);
                int[] toks = Arrays.copyOfRange(tokens, start + s, start + s + len);
                if (s == 0 && bos >= 0) {
                    toks[0] = bos;
                }
                int[] pos = new int[len];
                KvCache[] caches = new KvCache[len];
                KvCache[] refCaches = new KvCache[len];
                for (int i = 0; i < len; i++) {
                    pos[i] = s + i;
                    caches[i] = cache;
                    refCaches[i] = refCache;
                    boolean scored = s + i >= first && s + i < ctx - 1;
                    logits[i] = scored ? buffers[i] : null;
                    refLogits[i] = scored && reference != null ? refBuffers[i] : null;
                }
                model.forward(team, toks, pos, caches, Arrays.copyOf(logits, len), len);
                if (reference != null && !cached) {
                    reference.forward(team, toks, pos, refCaches, Arrays.copyOf(refLogits, len), len);
                }
                for (int i = 0; i < len; i++) {
                    if (logits[i] == null) {
                        continue;
                    }
                    int next = tokens[start + s + i + 1];
                    double[] q = logSoftmax(logits[i], vocab);
                    sumNll -= q[next];
                    if (reference != null) {
                        if (cached) {
                            refLogits[i] = refStore.logits[k];
                        } else if (filling) {
                            refStore.logits[k] = refLogits[i].clone();
                        }
                        double[] p = logSoftmax(refLogits[i], vocab);
                        sumNllRef -= p[next];
                        double kl = 0;
                        for (int t = 0; t < vocab; t++) {
                            kl += Math.exp(p[t]) * (p[t] - q[t]);
                        }
                        kl = Math.max(0, kl);
                        sumKl += kl;
                        sumKl2 += kl * kl;
                        kls[k++] = (float) kl;
                        if (argmax(logits[i], vocab) == argmax(refLogits[i], vocab)) {
                            sameTop++;
                        }
                    }
                }
            }
            progress.update(c + 1, chunks);
        }
        if (filling) {
            refStore.complete = true;
        }
        double ppl = Math.exp(sumNll / n);
        if (reference == null) {
            return new Report(ctx, chunks, n, ppl, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                    Double.NaN, Double.NaN);
        }
        Arrays.sort(kls);
        double mean = sumKl / n;
        double var = n > 1 ? Math.max(0, (sumKl2 / n - mean * mean) / (n - 1)) : 0;
        double median = kls.length % 2 == 0 ? 0.5 * (kls[kls.length / 2] + kls[kls.length / 2 - 1])
                : kls[kls.length / 2];
        return new Report(ctx, chunks, n, ppl, Math.exp(sumNllRef / n), mean, Math.sqrt(var), median,
                percentile(kls, 0.99f), kls[kls.length - 1], (double) sameTop / n);
    }

    /** Natural-log probabilities from logits, in double precision. */
    static double[] logSoftmax(float[] logits, int n) {
        float max = logits[0];
        for (int i = 1; i < n; i++) {
            max = Math.max(max, logits[i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(logits[i] - max);
        }
        double lse = max + Math.log(sum);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = logits[i] - lse;
        }
        return out;
    }

    /** The first index of the largest value. */
    static int argmax(float[] v, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Linear interpolation between the two nearest ranks of sorted values, as llama.cpp reports percentiles. */
    static float percentile(float[] sorted, float fraction) {
        if (fraction <= 0) {
            return sorted[0];
        }
        if (fraction >= 1) {
            return sorted[sorted.length - 1];
        }
        float p = fraction * (sorted.length - 1);
        int ip = (int) p;
        p -= ip;
        return (1 - p) * sorted[ip] + p * sorted[Math.min(ip + 1, sorted.length - 1)];
    }
}
