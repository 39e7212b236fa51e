// A row times a vector gives the same bits alone (matvec) and in a batch of any size (matmul), in every format:
// that is what lets a sequence decode identically whatever else the server is decoding with it.
package io.puhui.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import io.puhui.engine.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class BatchInvarianceTest {

    /** Random blocks whose f16 scales are set to sane values (random bytes could spell NaN). */
    static MemorySegment randomWeights(GgmlType type, int rows, int cols, long seed) {
        long bytes = type.byteSize((long) rows * cols);
        MemorySegment m = Arena.ofAuto().allocate(bytes, 64);
        SplittableRandom r = new SplittableRandom(seed);
        for (long i = 0; i < bytes; i++) {
            m.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt(256));
        }
        short scale = Float.floatToFloat16(0.03f);
        long blocks = bytes / type.bytesPerBlock;
        for (long b = 0; b < blocks; b++) {
            long o = b * type.bytesPerBlock;
            switch (type) {
                case Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 -> m.set(ValueLayout.JAVA_SHORT_UNALIGNED, o, scale);
                case Q4_K, Q5_K -> {
                    m.set(ValueLayout.JAVA_SHORT_UNALIGNED, o, scale);
                    m.set(ValueLayout.JAVA_SHORT_UNALIGNED, o + 2, scale);
                }
                case Q6_K -> m.set(ValueLayout.JAVA_SHORT_UNALIGNED, o + 208, scale);
                case F16 -> {
                    for (long k = 0; k < type.bytesPerBlock; k += 2) {
                        m.set(ValueLayout.JAVA_SHORT_UNALIGNED, o + k, Float.floatToFloat16((float) r.nextGaussian()));
                    }
                }
                case F32 -> m.set(ValueLayout.JAVA_FLOAT_UNALIGNED, o, (float) r.nextGaussian());
                case BF16 -> m.set(ValueLayout.JAVA_SHORT_UNALIGNED, o,
                        (short) (Float.floatToRawIntBits((float) r.nextGaussian()) >>> 16));
                default -> {
                }
            }
        }
        return m;
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1",
        "Q4_K", "Q5_K", "Q6_K"})
    void everyVectorOfABatchGetsItsMatvecBits(GgmlType type) {
        check(type, 64); // whole groups of rows: the interleaved kernels where the format has them
        check(type, 40); // rows left over: the decoded path
        check(type, 72); // nine groups of 8 rows: a group left over after the pairs of the batched tiles
        check(type, 144); // nine groups of 16 rows, the same where vectors have 16 lanes
    }

    static void check(GgmlType type, int rows) {
        int cols = 512;
        WeightMatrix w = new WeightMatrix("w", type, rows, cols, randomWeights(type, rows, cols, 7));
        SplittableRandom r = new SplittableRandom(3);
        try (ThreadTeam team = new ThreadTeam(2)) {
            for (int batch = 1; batch <= 9; batch++) {
                float[][] xs = new float[batch][cols];
                for (float[] x : xs) {
                    for (int i = 0; i < cols; i++) {
                        x[i] = (float) r.nextGaussian();
                    }
                }
                float[][] outs = new float[batch][rows];
                float[][] prompt = new float[batch][rows];
                w.matmul(team, xs, outs, batch);
                w.matmulPrompt(team, xs, prompt, batch);
                for (int b = 0; b < batch; b++) {
                    float[] alone = new float[rows];
                    w.matvec(team, xs[b], alone);
                    float[][] promptAlone = new float[1][rows];
                    w.matmulPrompt(team, new float[][] {xs[b]}, promptAlone, 1);
                    for (int i = 0; i < rows; i++) {
                        assertThat(Float.floatToRawIntBits(outs[b][i])).as("%s batch %d vector %d row %d: %s vs %s",
                                type, batch, b, i, outs[b][i], alone[i]).isEqualTo(Float.floatToRawIntBits(alone[i]));
                        assertThat(Float.floatToRawIntBits(prompt[b][i])).as("prompt kernel, %s batch %d vector %d "
                                + "row %d", type, batch, b, i).isEqualTo(Float.floatToRawIntBits(promptAlone[0][i]));
                    }
                }
            }
        }
    }
}
