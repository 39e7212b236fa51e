// `puhui bench`: prompt-processing and generation speed of a model, like llama-bench, plus how close generation
// comes to the memory-bandwidth bound (weight bytes read per token / measured read bandwidth).
package io.puhui.cli;

import io.puhui.engine.model.KvCache;
import io.puhui.engine.model.Model;
import io.puhui.engine.tensor.ThreadTeam;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "bench", description = "Measure prompt and generation tokens/s of models (like llama-bench).")
final class BenchCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE.gguf", description = "Model(s) to measure.")
    List<Path> models;

    @Option(names = {"-p", "--prompt-tokens"}, defaultValue = "128", paramLabel = "N",
            description = "Prompt length for the pp test (default ${DEFAULT-VALUE}; 0 skips it).")
    int promptTokens;

    @Option(names = {"-n", "--gen-tokens"}, defaultValue = "64", paramLabel = "N",
            description = "Tokens for the tg test (default ${DEFAULT-VALUE}; 0 skips it).")
    int genTokens;

    @Option(names = {"-t", "--threads"}, split = ",", defaultValue = "1,2", paramLabel = "K[,K...]",
            description = "Thread counts (default ${DEFAULT-VALUE}).")
    List<Integer> threads;

    @Option(names = {"-r", "--repetitions"}, defaultValue = "3", paramLabel = "R",
            description = "Measured runs per test after at least five seconds of warm-up runs (default ${DEFAULT-VALUE}).")
    int repetitions;

    @Option(names = "--csv", description = "Print comma-separated values instead of a table.")
    boolean csv;

    @Spec
    CommandSpec spec;

    record Row(String model, String type, long bytes, String test, int threads, double mean, double sd,
               double bound) {
    }

    @Override
    public Integer call() throws Exception {
        if (repetitions < 1 || promptTokens < 0 || genTokens < 0 || threads.stream().anyMatch(t -> t < 1)) {
            throw new Main.UsageException("repetitions and thread counts must be positive, token counts not negative");
        }
        PrintWriter out = spec.commandLine().getOut();
        List<Row> rows = new ArrayList<>();
        for (int t : threads) {
            double bandwidth = readBandwidth(t);
            for (Path p : models) {
                try (Model m = Model.load(p); ThreadTeam team = new ThreadTeam(t)) {
                    String name = p.getFileName().toString();
                    String type = m.dominantType().name();
                    long bytes = m.file().fileSize();
                    if (promptTokens > 0) {
                        double[] s = measure(() -> promptPass(m, team, promptTokens), promptTokens);
                        rows.add(new Row(name, type, bytes, "pp" + promptTokens, t, s[0], s[1], 0));
                    }
                    if (genTokens > 0) {
                        double[] s = measure(() -> generationPass(m, team, genTokens), genTokens);
                        double bound = bandwidth / m.weightBytesPerToken();
                        rows.add(new Row(name, type, bytes, "tg" + genTokens, t, s[0], s[1], bound));
                    }
                }
            }
        }
        if (csv) {
            out.println("engine,model,type,bytes,test,threads,tokens_per_s,sd,bound_tokens_per_s");
            for (Row r : rows) {
                out.printf("puhui,%s,%s,%d,%s,%d,%.2f,%.2f,%.2f%n", r.model, r.type, r.bytes, r.test, r.threads,
                        r.mean, r.sd, r.bound);
            }
        } else {
            out.printf("| %-32s | %-5s | %9s | %7s | %5s | %16s | %12s |%n", "model", "type", "size", "threads",
                    "test", "tokens/s", "% of bound");
            out.println("|" + "-".repeat(34) + "|-------|-----------|---------|-------|------------------|--------------|");
            for (Row r : rows) {
                out.printf("| %-32s | %-5s | %9s | %7d | %5s | %9.2f ± %-5.2f | %12s |%n", r.model, r.type,
                        InspectCommand.bytes(r.bytes), r.threads, r.test, r.mean, r.sd,
                        r.bound > 0 ? String.format("%.0f%% of %.1f", 100 * r.mean / r.bound, r.bound) : "");
            }
        }
        out.flush();
        return Main.OK;
    }

    /**
     * Runs warm-up passes for at least five seconds (the JIT takes that long to settle on the vector kernels;
     * until then a pass can be several times slower), then the measured repetitions; returns mean and standard
     * deviation of tokens/s.
     */
    private double[] measure(Runnable pass, int tokens) {
        long warmUntil = System.nanoTime() + 5_000_000_000L;
        for (int i = 0; i < 3 || (System.nanoTime() < warmUntil && i < 50); i++) {
            pass.run();
        }
        double[] tps = new double[repetitions];
        for (int i = 0; i < repetitions; i++) {
            long t0 = System.nanoTime();
            pass.run();
            tps[i] = tokens * 1e9 / (System.nanoTime() - t0);
        }
        double mean = java.util.Arrays.stream(tps).average().orElse(0);
        double var = java.util.Arrays.stream(tps).map(x -> (x - mean) * (x - mean)).sum() / Math.max(1, tps.length - 1);
        return new double[] {mean, Math.sqrt(var)};
    }

    private static int[] randomTokens(int n, int vocab) {
        SplittableRandom r = new SplittableRandom(n);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(vocab);
        }
        return t;
    }

    /** The whole prompt in batches of the generator's prompt batch size, logits for the last token only. */
    private static void promptPass(Model m, ThreadTeam team, int n) {
        int[] tokens = randomTokens(n, m.config().vocabSize());
        m.forwardSequence(team, tokens, 0, m.newCache(n), new float[m.config().vocabSize()],
                io.puhui.engine.generate.Generator.PROMPT_BATCH);
    }

    /** One token at a time from an empty context, logits every step, as llama-bench's tg test. */
    private static void generationPass(Model m, ThreadTeam team, int n) {
        int[] tokens = randomTokens(n, m.config().vocabSize());
        KvCache cache = m.newCache(n);
        float[] logits = new float[m.config().vocabSize()];
        for (int i = 0; i < n; i++) {
            m.forward(team, new int[] {tokens[i]}, new int[] {i}, new KvCache[] {cache}, new float[][] {logits});
        }
    }

    /** A constant, as the Vector API compiles to vector instructions only for a species the compiler can see. */
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    /** Best-of-eight streaming read bandwidth in bytes/s over 1 GiB, larger than the caches of current CPUs. */
    static double readBandwidth(int threads) {
        float[] data = new float[256 << 20];
        java.util.Arrays.fill(data, 1f);
        int chunks = 1024;
        int chunk = data.length / chunks;
        float[] sink = new float[chunks];
        double best = 0;
        try (ThreadTeam team = new ThreadTeam(threads)) {
            for (int rep = 0; rep < 8; rep++) {
                long t0 = System.nanoTime();
                team.forRange(chunks, 1, (s, e) -> {
                    int l = SPECIES.length();
                    for (int c = s; c < e; c++) {
                        // four independent sums so that the adds never wait on each other, only on memory
                        FloatVector a0 = FloatVector.zero(SPECIES);
                        FloatVector a1 = FloatVector.zero(SPECIES);
                        FloatVector a2 = FloatVector.zero(SPECIES);
                        FloatVector a3 = FloatVector.zero(SPECIES);
                        int base = c * chunk;
                        for (int o = 0; o < chunk; o += 4 * l) {
                            a0 = a0.add(FloatVector.fromArray(SPECIES, data, base + o));
                            a1 = a1.add(FloatVector.fromArray(SPECIES, data, base + o + l));
                            a2 = a2.add(FloatVector.fromArray(SPECIES, data, base + o + 2 * l));
                            a3 = a3.add(FloatVector.fromArray(SPECIES, data, base + o + 3 * l));
                        }
                        sink[c] = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
                    }
                });
                best = Math.max(best, (double) data.length * Float.BYTES * 1e9 / (System.nanoTime() - t0));
            }
        }
        return best;
    }
}
