// Collects an importance matrix by running a model over calibration text: for every weight matrix inside the
// blocks, the squares of its input activations summed per column over all tokens, as llama.cpp's imatrix tool
// does (the output matrix only on request, since the logits' input is dominated by a few directions).
package io.puhui.engine.quant;

import io.puhui.engine.model.KvCache;
import io.puhui.engine.model.Model;
import io.puhui.engine.tensor.ThreadTeam;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

public final class ImportanceCollector {
    private static final int STEP = 64;

    private ImportanceCollector() {
    }

    /** Told after each chunk. */
    @FunctionalInterface
    public interface Progress {
        void update(int chunksDone, int chunks);
    }

    /**
     * Runs {@code tokens} through {@code model} in chunks of {@code ctx} (each starting with {@code bos} when it
     * is not negative) and returns the statistics.
     */
    public static ImportanceMatrix collect(Model model, int[] tokens, int ctx, int bos, boolean includeOutput,
            String dataset, ThreadTeam team, Progress progress) {
        int chunks = tokens.length / ctx;
        if (chunks < 1) {
            throw new IllegalArgumentException("the calibration text has " + tokens.length + " tokens; at least "
                    + ctx + " (one chunk of --ctx) are needed, better many more");
        }
        if (ctx > model.config().trainedContextLength()) {
            throw new IllegalArgumentException("--ctx " + ctx + " is longer than the model's context of "
                    + model.config().trainedContextLength());
        }
        Map<String, double[]> sums = new HashMap<>();
        Map<String, long[]> counts = new HashMap<>();
        model.observeActivations((name, xs, count) -> {
            if (!name.startsWith("blk.") && !(includeOutput && name.equals("output.weight"))) {
                return;
            }
            double[] s = sums.computeIfAbsent(name, k -> new double[xs[0].length]);
            for (int b = 0; b < count; b++) {
                float[] x = xs[b];
                for (int i = 0; i < s.length; i++) {
                    s[i] += (double) x[i] * x[i];
                }
            }
            counts.computeIfAbsent(name, k -> new long[1])[0] += count;
        });
        try {
            KvCache cache = model.newCache(ctx);
            for (int c = 0; c < chunks; c++) {
                cache.truncate(0);
                for (int s = 0; s < ctx; s += STEP) {
                    int len = Math.min(STEP, ctx - s);
                    int[] toks = Arrays.copyOfRange(tokens, c * ctx + s, c * ctx + s + len);
                    if (s == 0 && bos >= 0) {
                        toks[0] = bos;
                    }
                    int[] pos = new int[len];
                    KvCache[] caches = new KvCache[len];
                    for (int i = 0; i < len; i++) {
                        pos[i] = s + i;
                        caches[i] = cache;
                    }
                    model.forward(team, toks, pos, caches, new float[len][], len);
                }
                progress.update(c + 1, chunks);
            }
        } finally {
            model.observeActivations(null);
        }
        Map<String, ImportanceMatrix.Entry> entries = new HashMap<>();
        sums.forEach((name, s) -> entries.put(name, new ImportanceMatrix.Entry(s, counts.get(name)[0])));
        return new ImportanceMatrix(entries, List.of(dataset), chunks, ctx);
    }
}
