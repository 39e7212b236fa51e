// Vectorised float primitives for the parts of the forward pass outside the weight products: SwiGLU and the exp
// that softmax and SiLU share.
package io.puhui.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

public final class VectorMath {
    private VectorMath() {
    }

    /** {@code gate[i] = silu(gate[i]) * up[i]}, SwiGLU's gating, with the deterministic exp. */
    public static void swiglu(float[] gate, float[] up, int n) {
        int i = 0;
        if (DotKernels.VECTOR) {
            for (; i <= n - DotKernels.L; i += DotKernels.L) {
                FloatVector g = FloatVector.fromArray(DotKernels.F, gate, i);
                FloatVector e = exp(g.neg());
                g.div(e.add(1f)).mul(FloatVector.fromArray(DotKernels.F, up, i)).intoArray(gate, i);
            }
        }
        for (; i < n; i++) {
            float g = gate[i];
            gate[i] = g / (1f + exp(-g)) * up[i];
        }
    }

    // exp(x) = 2^n * exp(r) with n = round(x / ln 2), r = x - n ln 2 in [-ln2/2, ln2/2] and a degree-7 polynomial for
    // exp(r) (Cephes' expf coefficients, under 2 ulp). Written with adds, multiplies and fused multiply-adds only,
    // each of them exactly rounded, so vector lanes, the scalar tail and interpreted code give the same bits: the
    // JDK's vector EXP gives different last bits compiled and interpreted, which made sampling depend on JIT timing.
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f; // 1.5 * 2^23: adding it rounds to an integer in the low bits
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    private static final float P0 = 1.9875691500e-4f;
    private static final float P1 = 1.3981999507e-3f;
    private static final float P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f;
    private static final float P5 = 5.0000001201e-1f;
    private static final float LO = -87f;
    private static final float HI = 88f;

    /** e^x for every lane; arguments below -87 give about 1.6e-38 rather than 0 (harmless in softmax sums). */
    public static FloatVector exp(FloatVector x) {
        x = x.max(LO).min(HI);
        FloatVector t = x.fma(LOG2E, ROUND);
        FloatVector n = t.sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(x.species(), -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(x.species(), -LN2_LO), r);
        FloatVector p = r.fma(P0, P1);
        p = p.fma(r, FloatVector.broadcast(x.species(), P2));
        p = p.fma(r, FloatVector.broadcast(x.species(), P3));
        p = p.fma(r, FloatVector.broadcast(x.species(), P4));
        p = p.fma(r, FloatVector.broadcast(x.species(), P5));
        FloatVector y = p.fma(r.mul(r), r).add(1f);
        FloatVector scale = t.reinterpretAsInts().sub(ROUND_BITS - 127).lanewise(VectorOperators.LSHL, 23)
                .reinterpretAsFloats();
        return y.mul(scale);
    }

    /** The same function for one value, bit for bit. */
    public static float exp(float x) {
        x = Math.min(Math.max(x, LO), HI);
        float t = Math.fma(x, LOG2E, ROUND);
        float n = t - ROUND;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(r, P0, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        float y = Math.fma(p, r * r, r) + 1f;
        float scale = Float.intBitsToFloat((Float.floatToRawIntBits(t) - (ROUND_BITS - 127)) << 23);
        return y * scale;
    }

    /** The lanes of {@code v} added in lane order: the same bits compiled or interpreted. */
    public static float sum(FloatVector v) {
        return DotKernels.lanesSum(v);
    }
}
