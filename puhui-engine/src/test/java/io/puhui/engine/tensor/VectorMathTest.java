// The deterministic exp behind softmax and SiLU: accurate, and the same bits in vector lanes and scalar code.
package io.puhui.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class VectorMathTest {

    @Test
    void expIsWithinTwoUlpsOfTheExactValue() {
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < 200_000; i++) {
            float x = (float) (r.nextDouble() * 170 - 86);
            float got = VectorMath.exp(x);
            double want = Math.exp(x);
            assertThat(Math.abs(got - want)).as("exp(%s)", x).isLessThanOrEqualTo(2.5 * Math.ulp((float) want));
        }
        assertThat(VectorMath.exp(0f)).isEqualTo(1f);
        assertThat(VectorMath.exp(-1000f)).isLessThan(1e-37f);
        assertThat(VectorMath.exp(Float.NEGATIVE_INFINITY)).isLessThan(1e-37f);
    }

    @Test
    void vectorLanesGiveTheScalarBits() {
        var species = FloatVector.SPECIES_PREFERRED;
        float[] xs = new float[species.length() * 64];
        SplittableRandom r = new SplittableRandom(2);
        for (int i = 0; i < xs.length; i++) {
            xs[i] = (float) (r.nextDouble() * 60 - 50);
        }
        float[] out = new float[xs.length];
        for (int i = 0; i < xs.length; i += species.length()) {
            VectorMath.exp(FloatVector.fromArray(species, xs, i)).intoArray(out, i);
        }
        for (int i = 0; i < xs.length; i++) {
            assertThat(Float.floatToRawIntBits(out[i])).as("lane %d", i)
                    .isEqualTo(Float.floatToRawIntBits(VectorMath.exp(xs[i])));
        }
    }
}
