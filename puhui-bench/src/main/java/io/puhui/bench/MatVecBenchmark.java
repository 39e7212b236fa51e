// Matrix-vector products per weight format at the shapes of Qwen2.5-0.5B's feed-forward layer: the kernel
// that decides generation speed. Reports time per product; bytes/time gives the weight-read bandwidth.
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
public class MatVecBenchmark {
    @Param({"Q8_0", "Q4_0", "F32"})
    public String type;

    @Param({"1", "2"})
    public int threads;

    /** rows x cols: ffn_up (4864 x 896) */
    @Param({"4864x896"})
    public String shape;

    private WeightMatrix w;
    private float[] x;
    private float[] out;
    private ThreadTeam team;
    private final Arena arena = Arena.ofShared();

    @Setup(Level.Trial)
    public void setUp() {
        String[] rc = shape.split("x");
        int rows = Integer.parseInt(rc[0]);
        int cols = Integer.parseInt(rc[1]);
        SplittableRandom rnd = new SplittableRandom(1);
        w = RandomWeights.matrix(GgmlType.valueOf(type), rows, cols, rnd, arena);
        x = RandomWeights.vector(cols, rnd);
        out = new float[rows];
        team = new ThreadTeam(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        team.close();
        arena.close();
    }

    @Benchmark
    public float[] matvec() {
        w.matvec(team, x, out);
        return out;
    }
}
