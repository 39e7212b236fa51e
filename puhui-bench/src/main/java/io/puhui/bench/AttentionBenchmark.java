// Attention of one token over a sequence's cached keys and values, per layer: every query head of the ~25M model
// (six heads of 64) and of the Qwen2.5-0.5B shape (fourteen heads sharing two key/value heads), at a short and a
// long context. In a batched decode step each sequence pays this on its own, however large the batch.
package io.puhui.bench;

import io.puhui.engine.tensor.Attention;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class AttentionBenchmark {
    /** query heads / key-value heads, 64 dimensions each */
    @Param({"6/6", "14/2"})
    public String heads;

    /** positions attended to */
    @Param({"128", "1024"})
    public int positions;

    private static final int HD = 64;
    private int queryHeads;
    private int kvHeads;
    private float[] q;
    private float[] keys;
    private float[] values;
    private float[] out;

    @Setup(Level.Trial)
    public void setUp() {
        String[] h = heads.split("/");
        queryHeads = Integer.parseInt(h[0]);
        kvHeads = Integer.parseInt(h[1]);
        int kvDim = kvHeads * HD;
        SplittableRandom r = new SplittableRandom(1);
        keys = new float[Attention.keyArrayLength(kvDim, positions)];
        values = new float[kvDim * positions];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) r.nextGaussian();
        }
        q = new float[queryHeads * HD];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) r.nextGaussian();
        }
        out = new float[queryHeads * HD];
    }

    /** All query heads of one layer for one token. */
    @Benchmark
    public float[] layer() {
        int kvDim = kvHeads * HD;
        for (int h = 0; h < queryHeads; h++) {
            int kvHead = h / (queryHeads / kvHeads);
            Attention.head(q, h * HD, keys, values, kvDim, kvHead * HD, HD, positions, 0.125f, out, h * HD);
        }
        return out;
    }
}
