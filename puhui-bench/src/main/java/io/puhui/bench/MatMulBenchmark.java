// Batched matrix products (one weight matrix, several activation vectors) as a worker decoding many sequences at
// once runs them: time per product for a batch of 1, 4 and 16 vectors. Divided by the batch, it is the cost of
// one sequence's share, which is what continuous batching saves on.
package io.puhui.bench;

import io.puhui.engine.gguf.GgmlType;
import io.puhui.engine.tensor.ThreadTeam;
import io.puhui.engine.tensor.WeightMatrix;
import java.lang.foreign.Arena;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MatMulBenchmark {
    @Param({"Q8_0", "Q4_0"})
    public String type;

    @Param({"1", "4", "16"})
    public int batch;

    @Param({"1"})
    public int threads;

    /** rows x cols: the ~25M-parameter model's output matrix (32000 x 384) and its feed-forward (1024 x 384) */
    @Param({"32000x384", "1024x384"})
    public String shape;

    private WeightMatrix w;
    private float[][] xs;
    private float[][] outs;
    private ThreadTeam team;
    private final Arena arena = Arena.ofShared();

    @Setup(Level.Trial)
    public void setUp() {
        String[] rc = shape.split("x");
        int rows = Integer.parseInt(rc[0]);
        int cols = Integer.parseInt(rc[1]);
        SplittableRandom rnd = new SplittableRandom(1);
        w = RandomWeights.matrix(GgmlType.valueOf(type), rows, cols, rnd, arena);
        xs = new float[batch][];
        for (int b = 0; b < batch; b++) {
            xs[b] = RandomWeights.vector(cols, rnd);
        }
        outs = new float[batch][rows];
        team = new ThreadTeam(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        team.close();
        arena.close();
    }

    @Benchmark
    public float[][] matmul() {
        w.matmul(team, xs, outs, batch);
        return outs;
    }
}
