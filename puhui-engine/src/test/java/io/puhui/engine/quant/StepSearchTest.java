package io.puhui.engine.quant;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The lane-per-candidate search gives the scalar search's exact bits: levels, min and scale. */
class StepSearchTest {
    @ParameterizedTest
    @CsvSource({"16, 3, -0.5, 0.1, 15, true", "32, 15, -1.0, 0.1, 20, false", "32, 31, -0.5, 0.1, 15, false",
        "32, 15, -0.9, 0.05, 36, false", "16, 3, -0.9, 0.05, 36, false", "32, 31, -0.9, 0.05, 36, false"})
    void sameBitsAsTheScalarSearch(int n, int nmax, float rmin, float rdelta, int nstep, boolean mad) {
        SplittableRandom rnd = new SplittableRandom(n * 31L + nmax);
        float[] scratch = new float[StepSearch.scratchSize()];
        for (int trial = 0; trial < 4000; trial++) {
            float[] x = new float[n];
            float[] w = new float[n];
            int kind = trial % 5;
            for (int i = 0; i < n; i++) {
                x[i] = switch (kind) {
                    case 0 -> (float) rnd.nextGaussian() * 0.02f;
                    case 1 -> (float) Math.abs(rnd.nextGaussian());      // all positive
                    case 2 -> -(float) Math.abs(rnd.nextGaussian()) * 3; // all negative
                    case 3 -> i % 7 == 0 ? (float) rnd.nextGaussian() * 10 : 0f; // sparse, outliers
                    default -> 0.5f;                                      // constant
                };
                w[i] = trial % 2 == 0 ? Math.abs(x[i]) + 0.01f : (float) rnd.nextDouble();
            }
            byte[] la = new byte[n];
            byte[] lb = new byte[n];
            float[] ma = new float[1];
            float[] mb = new float[1];
            float a = ScaleSearch.makeQkx(n, nmax, x, 0, w, 0, la, 0, ma, 0, new byte[n], rmin, rdelta, nstep, mad,
                    null);
            float b = ScaleSearch.makeQkx(n, nmax, x, 0, w, 0, lb, 0, mb, 0, new byte[n], rmin, rdelta, nstep, mad,
                    scratch);
            assertThat(Float.floatToRawIntBits(b)).as("scale, trial %d", trial).isEqualTo(Float.floatToRawIntBits(a));
            assertThat(Float.floatToRawIntBits(mb[0])).as("min, trial %d", trial)
                    .isEqualTo(Float.floatToRawIntBits(ma[0]));
            assertThat(lb).as("levels, trial %d", trial).isEqualTo(la);
        }
    }

    @ParameterizedTest
    @CsvSource({"16, 32, false", "16, 32, true", "32, 8, true", "32, 16, true", "16, 4, true", "16, 32, true"})
    void symmetricSearchSameBitsAsScalar(int n, int nmax, boolean weighted) {
        SplittableRandom rnd = new SplittableRandom(n * 7L + nmax);
        for (int trial = 0; trial < 4000; trial++) {
            float[] x = new float[n];
            float[] w = weighted ? new float[n] : null;
            for (int i = 0; i < n; i++) {
                x[i] = switch (trial % 4) {
                    case 0 -> (float) rnd.nextGaussian() * 0.02f;
                    case 1 -> i % 5 == 0 ? (float) rnd.nextGaussian() * 8 : (float) rnd.nextGaussian() * 0.1f;
                    case 2 -> 0f;
                    default -> (float) rnd.nextDouble() - 0.25f;
                };
                if (weighted) {
                    w[i] = (float) rnd.nextDouble() * 3;
                }
            }
            byte[] la = new byte[n];
            byte[] lb = new byte[n];
            float a = ScaleSearch.makeQx(n, nmax, x, 0, la, 0, 1, w, 0, null);
            float b = ScaleSearch.makeQx(n, nmax, x, 0, lb, 0, 1, w, 0, new float[StepSearch.scratchSize()]);
            assertThat(Float.floatToRawIntBits(b)).as("scale, trial %d", trial).isEqualTo(Float.floatToRawIntBits(a));
            assertThat(lb).as("levels, trial %d", trial).isEqualTo(la);
        }
    }
}
