// One head's attention against a double-precision reference, at lengths on both sides of the vector widths, for
// head sizes with and without a scalar tail, and for a head that is not the first of its cache row.
package io.puhui.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AttentionTest {

    private static double[] reference(float[] q, int qo, float[] keys, float[] values, int kvDim, int kc, int hd,
            int n) {
        double scale = 1 / Math.sqrt(hd);
        double[] s = new double[n];
        double max = Double.NEGATIVE_INFINITY;
        for (int t = 0; t < n; t++) {
            double a = 0;
            for (int d = 0; d < hd; d++) {
                a += (double) q[qo + d] * keys[Attention.keyIndex(kvDim, kc + d, t)];
            }
            s[t] = a * scale;
            max = Math.max(max, s[t]);
        }
        double sum = 0;
        for (int t = 0; t < n; t++) {
            s[t] = Math.exp(s[t] - max);
            sum += s[t];
        }
        double[] out = new double[hd];
        for (int t = 0; t < n; t++) {
            for (int d = 0; d < hd; d++) {
                out[d] += s[t] / sum * values[t * kvDim + kc + d];
            }
        }
        return out;
    }

    @Test
    void matchesTheExactSoftmaxWeightedSumAtEveryLength() {
        SplittableRandom r = new SplittableRandom(7);
        int l = DotKernels.L;
        for (int hd : new int[] {8, 64, 80, 128}) {
            int heads = 3;
            int kvDim = heads * hd;
            int cap = 2 * Attention.TILE + 8 * l + 16;
            float[] keys = new float[Attention.keyArrayLength(kvDim, cap)];
            float[] values = new float[kvDim * cap];
            for (int i = 0; i < keys.length; i++) {
                keys[i] = (float) (r.nextGaussian() * 2);
            }
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) r.nextGaussian();
            }
            float[] q = new float[kvDim + 5];
            for (int i = 0; i < q.length; i++) {
                q[i] = (float) r.nextGaussian();
            }
            int tile = Attention.TILE;
            for (int n : new int[] {1, 2, l - 1, l, l + 1, 8 * l - 1, 8 * l, 8 * l + 3, tile - 1, tile, tile + 1,
                2 * tile + 8 * l + 5, cap}) {
                int kc = hd; // the second head of the row
                float[] out = new float[kvDim + 7];
                Attention.head(q, 5, keys, values, kvDim, kc, hd, n, (float) (1 / Math.sqrt(hd)), out, 7);
                double[] want = reference(q, 5, keys, values, kvDim, kc, hd, n);
                for (int d = 0; d < hd; d++) {
                    assertThat((double) out[7 + d]).as("hd %d, n %d, dimension %d", hd, n, d)
                            .isCloseTo(want[d], org.assertj.core.data.Offset.offset(2e-5 * (1 + Math.abs(want[d]))));
                }
                assertThat(out[6]).as("nothing written before the head").isZero();
                assertThat(out[7 + hd]).as("nothing written after the head").isZero();
            }
        }
    }

    @Test
    void aPositionGetsTheSameScoreFromEitherVectorKernel() {
        // every position holds the same key, and position t's value is 1 in dimension t alone: output dimension t
        // is then position t's weight, and the weights must agree to the bit whether the eight-vector kernel or
        // the one-vector kernel of a last tile scored the position
        int hd = 160;
        int n = Attention.TILE + DotKernels.L + 3;
        float[] keys = new float[Attention.keyArrayLength(hd, n)];
        float[] values = new float[hd * n];
        SplittableRandom r = new SplittableRandom(3);
        for (int d = 0; d < hd; d++) {
            float k = (float) r.nextGaussian();
            for (int t = 0; t < n; t++) {
                keys[Attention.keyIndex(hd, d, t)] = k;
            }
        }
        for (int t = 0; t < n; t++) {
            values[t * hd + t] = 1f;
        }
        float[] q = new float[hd];
        for (int d = 0; d < hd; d++) {
            q[d] = (float) r.nextGaussian();
        }
        float[] out = new float[hd];
        Attention.head(q, 0, keys, values, hd, 0, hd, n, 0.125f, out, 0);
        for (int t = 0; t < n; t++) {
            assertThat(Float.floatToRawIntBits(out[t])).as("weight of position %d", t)
                    .isEqualTo(Float.floatToRawIntBits(out[0]));
        }
        assertThat((double) out[0]).isCloseTo(1.0 / n, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(out[n]).isZero();
    }
}
