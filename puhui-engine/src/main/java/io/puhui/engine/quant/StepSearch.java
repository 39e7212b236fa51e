// The k-quant scale searches with one vector lane per candidate scale. Each lane runs one candidate's loop over
// the values in the same order and with the same single-precision operations as the scalar search, so every
// lane's sums carry exactly the scalar bits; only the candidates run side by side instead of one after the
// other. The winner is then picked in candidate order with the scalar search's comparisons, so the result is
// the same bytes, found several times faster (the scalar loops are bound by the latency of their sums).
package io.puhui.engine.quant;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

final class StepSearch {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final int LANES = F.length();
    /** Lane-per-candidate search where the CPU has vectors of 8 floats or more, unless disabled. */
    static final boolean ENABLED = LANES >= 8 && I.length() == LANES && !Boolean.getBoolean("puhui.scalar");

    /**
     * Set once the vector searches are compiled. Until then (interpreted, the Vector API is many times slower
     * than the scalar loops) callers take the scalar searches; both give the same bits, so switching part way
     * through a tensor changes nothing in the output.
     */
    private static volatile boolean warm;
    private static final java.util.concurrent.atomic.AtomicBoolean WARMING = new java.util.concurrent.atomic.AtomicBoolean();

    private StepSearch() {
    }

    /** Whether callers should use the vector searches now. */
    static boolean active() {
        return warm;
    }

    /**
     * Starts (once) a background thread that runs the vector searches on tiny inputs until the JIT has compiled
     * them (calls become fast), then lets callers switch over.
     */
    static void warmUp() {
        if (!ENABLED || !WARMING.compareAndSet(false, true)) {
            return;
        }
        Thread t = new Thread(StepSearch::compile, "quantizer warm-up");
        t.setDaemon(true);
        t.start();
    }

    private static void compile() {
        float[] x = {-1f, 0.25f};
        float[] w = {1f, 0.5f};
        byte[] l = new byte[2];
        byte[] aux = new byte[2];
        float[] min = new float[1];
        float[] scratch = new float[scratchSize()];
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 2000; i++) {
                ScaleSearch.makeQkx(2, 15, x, 0, w, 0, l, 0, min, 0, aux, -1f, 0.1f, 20, (i & 1) == 0, scratch);
                ScaleSearch.makeQx(2, 32, x, 0, l, 0, 1, (i & 2) == 0 ? w : null, 0, scratch);
            }
            long perCall = (System.nanoTime() - t0) / 4000;
            if (perCall < 1500) {
                warm = true;
                return;
            }
        }
    }

    /** ggml's nearest_int, lane-wise: add 1.5·2^23 and read the low mantissa bits. */
    private static IntVector nearest(FloatVector v) {
        IntVector bits = v.add(12582912f).reinterpretAsInts();
        return bits.and(0x007fffff).sub(0x00400000);
    }

    /**
     * The candidate loop of {@link ScaleSearch#makeQkx}, a vector of candidates at a time. It starts where the
     * scalar search stands after its first guess ({@code min}, {@code max}, the weight sums, {@code scale},
     * {@code bestError}, with that guess's levels in {@code L}) and ends as the scalar loop would.
     */
    static float qkxCandidates(int n, int nmax, float[] x, int xo, float[] weights, int wo, byte[] L, int lo,
            float[] minOut, int mo, float rmin, float rdelta, int nstep, boolean useMad, float[] scratch,
            float min, float max, float sumW, float sumX, float scale, float bestError) {
        // A candidate that wins changes min, which every later candidate depends on. So each pass evaluates the
        // next LANES candidates with the current min, takes the first winner in order (the ones before it lost,
        // exactly as the scalar loop found), and starts the next pass after it.
        int steps = nstep + 1;
        float[] isc = scratch;
        IntVector zero = IntVector.zero(I);
        IntVector top = IntVector.broadcast(I, nmax);
        int start = 0;
        while (start < steps) {
            int count = Math.min(LANES, steps - start);
            for (int j = 0; j < LANES; j++) {
                isc[j] = (rmin + rdelta * (start + Math.min(j, count - 1)) + nmax) / (max - min);
            }
            FloatVector iscaleV = FloatVector.fromArray(F, isc, 0);
            FloatVector sumL = FloatVector.zero(F);
            FloatVector sumL2 = FloatVector.zero(F);
            FloatVector sumXl = FloatVector.zero(F);
            for (int i = 0; i < n; i++) {
                float xi = x[xo + i];
                FloatVector l = levels(iscaleV, xi - min, zero, top);
                FloatVector wl = l.mul(weights[wo + i]);
                sumL = sumL.add(wl);
                sumL2 = sumL2.add(wl.mul(l));
                sumXl = sumXl.add(wl.mul(xi));
            }
            FloatVector det = sumL2.mul(sumW).sub(sumL.mul(sumL));
            FloatVector thisScale = sumXl.mul(sumW).sub(sumL.mul(sumX)).div(det);
            FloatVector thisMin = sumL2.mul(sumX).sub(sumL.mul(sumXl)).div(det);
            VectorMask<Float> positive = thisMin.compare(VectorOperators.GT, 0f);
            thisScale = thisScale.blend(sumXl.div(sumL2), positive);
            thisMin = thisMin.blend(0f, positive);
            FloatVector error = FloatVector.zero(F);
            for (int i = 0; i < n; i++) {
                float xi = x[xo + i];
                FloatVector l = levels(iscaleV, xi - min, zero, top);
                FloatVector diff = thisScale.mul(l).add(thisMin).sub(xi);
                diff = useMad ? diff.abs() : diff.mul(diff);
                error = error.add(diff.mul(weights[wo + i]));
            }
            det.intoArray(scratch, LANES);
            thisScale.intoArray(scratch, 2 * LANES);
            thisMin.intoArray(scratch, 3 * LANES);
            error.intoArray(scratch, 4 * LANES);
            int win = -1;
            for (int j = 0; j < count; j++) {
                if (scratch[LANES + j] > 0 && scratch[4 * LANES + j] < bestError) {
                    win = j;
                    break;
                }
            }
            if (win < 0) {
                start += count;
                continue;
            }
            for (int i = 0; i < n; i++) {
                int l = ScaleSearch.nearestInt(isc[win] * (x[xo + i] - min));
                L[lo + i] = (byte) Math.max(0, Math.min(nmax, l));
            }
            bestError = scratch[4 * LANES + win];
            scale = scratch[2 * LANES + win];
            min = scratch[3 * LANES + win];
            start += win + 1;
        }
        minOut[mo] = -min;
        return scale;
    }

    /** Scratch floats the candidate loops need. */
    static int scratchSize() {
        return Math.max(5 * LANES, 3 * ((18 + LANES - 1) / LANES * LANES));
    }

    private static FloatVector levels(FloatVector iscale, float centered, IntVector zero, IntVector top) {
        return (FloatVector) nearest(iscale.mul(centered)).max(zero).min(top).convert(VectorOperators.I2F, 0);
    }

    /**
     * The candidate loop of {@link ScaleSearch#makeQx} for rmse type 1 (weights {@code qw}, or each value's
     * square when null): the 18 candidate scales are summed a vector at a time (they do not depend on each
     * other, only the running best does), then compared in order as the scalar loop does. Starts from the first
     * guess's {@code scale} and {@code best}, with its levels in {@code L}.
     */
    static float qxCandidates(int n, int nmax, float[] x, int xo, byte[] L, int lo, float[] qw, int qo, float max,
            float scale, float best, float[] scratch) {
        // candidates is = -9..-1, 1..9 in that order
        final int steps = 18;
        int padded = (steps + LANES - 1) / LANES * LANES;
        float[] sc = scratch;
        for (int k = 0; k < padded; k++) {
            int is = candidate(Math.min(k, steps - 1));
            sc[k] = -(nmax + 0.1f * is) / max;
        }
        IntVector lo2 = IntVector.broadcast(I, -nmax);
        IntVector hi2 = IntVector.broadcast(I, nmax - 1);
        for (int g = 0; g < padded; g += LANES) {
            FloatVector iscaleV = FloatVector.fromArray(F, sc, g);
            FloatVector slx = FloatVector.zero(F);
            FloatVector sl2 = FloatVector.zero(F);
            for (int i = 0; i < n; i++) {
                float xi = x[xo + i];
                float w = qw != null ? qw[qo + i] : xi * xi;
                FloatVector l = (FloatVector) nearest(iscaleV.mul(xi)).max(lo2).min(hi2)
                        .convert(VectorOperators.I2F, 0);
                slx = slx.add(l.mul(w * xi));
                sl2 = sl2.add(l.mul(w).mul(l));
            }
            slx.intoArray(sc, padded + g);
            sl2.intoArray(sc, 2 * padded + g);
        }
        for (int k = 0; k < steps; k++) {
            float lx = sc[padded + k];
            float l2 = sc[2 * padded + k];
            if (l2 > 0 && lx * lx > best * l2) {
                for (int i = 0; i < n; i++) {
                    int l = ScaleSearch.nearestInt(sc[k] * x[xo + i]);
                    L[lo + i] = (byte) (nmax + Math.max(-nmax, Math.min(nmax - 1, l)));
                }
                scale = lx / l2;
                best = scale * lx;
            }
        }
        return scale;
    }

    private static int candidate(int k) {
        return k < 9 ? k - 9 : k - 8;
    }
}
