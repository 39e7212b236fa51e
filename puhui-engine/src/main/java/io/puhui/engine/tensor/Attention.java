// One query head's attention over a sequence's cached keys and values, vectorised across positions.
//
// Keys are cached in tiles of TILE positions, column-major within a tile (column c of the tile's positions side by
// side), so that the scores of as many positions as a vector has lanes come from broadcasting one query value and
// one FMA per head dimension: no horizontal sum per position, which cost more than the products on 64-wide heads.
// A tile is one contiguous run of memory, so a head reads a few kilobytes in order instead of a column strided by
// the whole context. Values stay row-major (a position's kvDim values side by side), so the weighted sum keeps a
// head's outputs in registers across positions.
//
// Every lane and the scalar code run the same exactly rounded operations in the same order (a score is one FMA
// chain over the head dimensions from zero), so the result does not depend on where a position falls in a vector,
// nor on whether the code runs compiled or interpreted. The last tile's vectors may run past the sequence's
// length into the tile's unused positions; those lanes are computed and ignored.
package io.puhui.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

public final class Attention {
    private Attention() {
    }

    /** Positions per key tile: a multiple of eight vectors of any width the engine uses. */
    public static final int TILE = 128;

    private static final int L = DotKernels.L;
    private static final boolean VECTOR = DotKernels.VECTOR;
    private static final ThreadLocal<float[]> SCORES = ThreadLocal.withInitial(() -> new float[TILE]);

    /** Where column {@code c} of position {@code t} lies in a tiled key array of width {@code kvDim}. */
    public static int keyIndex(int kvDim, int c, int t) {
        return (t / TILE) * kvDim * TILE + c * TILE + t % TILE;
    }

    /** Floats of a tiled key array holding {@code capacity} positions of width {@code kvDim}. */
    public static int keyArrayLength(int kvDim, int capacity) {
        return (capacity + TILE - 1) / TILE * TILE * kvDim;
    }

    /**
     * {@code out[oo .. oo+hd) = softmax(q·K / sqrt(hd)) · V} over positions {@code [0, n)}.
     *
     * @param q      the query, head dimensions at {@code [qo, qo+hd)}
     * @param keys   keys in tiles (see {@link #keyIndex}) of width {@code kvDim}
     * @param values values by position: at {@code t * kvDim + kc + d}
     * @param kc     this head's first column in the key/value width
     */
    public static void head(float[] q, int qo, float[] keys, float[] values, int kvDim, int kc, int hd, int n,
            float scale, float[] out, int oo) {
        float[] s = SCORES.get();
        if (s.length < n + TILE) {
            s = new float[Math.max(n + TILE, 2 * s.length)];
            SCORES.set(s);
        }
        scores(q, qo, keys, kvDim, kc, hd, n, scale, s);
        float inv = 1f / softmaxNumerators(s, n);
        weightedSum(s, inv, values, kvDim, kc, hd, n, out, oo);
    }

    private static void scores(float[] q, int qo, float[] keys, int kvDim, int kc, int hd, int n, float scale,
            float[] s) {
        if (!VECTOR) {
            for (int t = 0; t < n; t++) {
                float a = 0;
                for (int d = 0; d < hd; d++) {
                    a = Math.fma(keys[keyIndex(kvDim, kc + d, t)], q[qo + d], a);
                }
                s[t] = a * scale;
            }
            return;
        }
        int tileFloats = kvDim * TILE;
        for (int t0 = 0; t0 < n; t0 += TILE) {
            int base = t0 / TILE * tileFloats + kc * TILE;
            int used = Math.min(n - t0, TILE);
            int u = 0;
            for (; u + 8 * L <= used; u += 8 * L) {
                eightVectors(q, qo, keys, base + u, hd, scale, s, t0 + u);
            }
            for (; u < used; u += L) { // a last tile's rest: one vector at a time, the last may run past n
                FloatVector a = FloatVector.zero(DotKernels.F);
                for (int d = 0; d < hd; d++) {
                    a = FloatVector.fromArray(DotKernels.F, keys, base + d * TILE + u)
                            .fma(FloatVector.broadcast(DotKernels.F, q[qo + d]), a);
                }
                a.mul(scale).intoArray(s, t0 + u);
            }
        }
    }

    /** Scores of 8 L positions whose keys start at {@code at}: eight independent FMA chains. */
    private static void eightVectors(float[] q, int qo, float[] keys, int at, int hd, float scale, float[] s,
            int so) {
        FloatVector a0 = FloatVector.zero(DotKernels.F);
        FloatVector a1 = FloatVector.zero(DotKernels.F);
        FloatVector a2 = FloatVector.zero(DotKernels.F);
        FloatVector a3 = FloatVector.zero(DotKernels.F);
        FloatVector a4 = FloatVector.zero(DotKernels.F);
        FloatVector a5 = FloatVector.zero(DotKernels.F);
        FloatVector a6 = FloatVector.zero(DotKernels.F);
        FloatVector a7 = FloatVector.zero(DotKernels.F);
        for (int d = 0; d < hd; d++) {
            FloatVector qd = FloatVector.broadcast(DotKernels.F, q[qo + d]);
            int k = at + d * TILE;
            a0 = FloatVector.fromArray(DotKernels.F, keys, k).fma(qd, a0);
            a1 = FloatVector.fromArray(DotKernels.F, keys, k + L).fma(qd, a1);
            a2 = FloatVector.fromArray(DotKernels.F, keys, k + 2 * L).fma(qd, a2);
            a3 = FloatVector.fromArray(DotKernels.F, keys, k + 3 * L).fma(qd, a3);
            a4 = FloatVector.fromArray(DotKernels.F, keys, k + 4 * L).fma(qd, a4);
            a5 = FloatVector.fromArray(DotKernels.F, keys, k + 5 * L).fma(qd, a5);
            a6 = FloatVector.fromArray(DotKernels.F, keys, k + 6 * L).fma(qd, a6);
            a7 = FloatVector.fromArray(DotKernels.F, keys, k + 7 * L).fma(qd, a7);
        }
        a0.mul(scale).intoArray(s, so);
        a1.mul(scale).intoArray(s, so + L);
        a2.mul(scale).intoArray(s, so + 2 * L);
        a3.mul(scale).intoArray(s, so + 3 * L);
        a4.mul(scale).intoArray(s, so + 4 * L);
        a5.mul(scale).intoArray(s, so + 5 * L);
        a6.mul(scale).intoArray(s, so + 6 * L);
        a7.mul(scale).intoArray(s, so + 7 * L);
    }

    /** Replaces each score by {@code exp(score - max)} and returns their sum. */
    private static float softmaxNumerators(float[] s, int n) {
        float max = Float.NEGATIVE_INFINITY;
        int t = 0;
        if (VECTOR && n >= L) {
            FloatVector m = FloatVector.broadcast(DotKernels.F, Float.NEGATIVE_INFINITY);
            for (; t + L <= n; t += L) {
                m = m.max(FloatVector.fromArray(DotKernels.F, s, t));
            }
            max = m.reduceLanes(VectorOperators.MAX); // exact in any order
        }
        for (; t < n; t++) {
            max = Math.max(max, s[t]);
        }
        float sum = 0;
        t = 0;
        if (VECTOR && n >= L) {
            FloatVector acc = FloatVector.zero(DotKernels.F);
            for (; t + L <= n; t += L) {
                FloatVector e = VectorMath.exp(FloatVector.fromArray(DotKernels.F, s, t).sub(max));
                e.intoArray(s, t);
                acc = acc.add(e);
            }
            sum = DotKernels.lanesSum(acc);
        }
        for (; t < n; t++) {
            float e = VectorMath.exp(s[t] - max);
            s[t] = e;
            sum += e;
        }
        return sum;
    }

    private static void weightedSum(float[] s, float inv, float[] values, int kvDim, int kc, int hd, int n,
            float[] out, int oo) {
        int d = 0;
        if (VECTOR) {
            for (; d + 8 * L <= hd; d += 8 * L) {
                FloatVector o0 = FloatVector.zero(DotKernels.F);
                FloatVector o1 = FloatVector.zero(DotKernels.F);
                FloatVector o2 = FloatVector.zero(DotKernels.F);
                FloatVector o3 = FloatVector.zero(DotKernels.F);
                FloatVector o4 = FloatVector.zero(DotKernels.F);
                FloatVector o5 = FloatVector.zero(DotKernels.F);
                FloatVector o6 = FloatVector.zero(DotKernels.F);
                FloatVector o7 = FloatVector.zero(DotKernels.F);
                for (int t = 0; t < n; t++) {
                    FloatVector w = FloatVector.broadcast(DotKernels.F, s[t] * inv);
                    int at = t * kvDim + kc + d;
                    o0 = FloatVector.fromArray(DotKernels.F, values, at).fma(w, o0);
                    o1 = FloatVector.fromArray(DotKernels.F, values, at + L).fma(w, o1);
                    o2 = FloatVector.fromArray(DotKernels.F, values, at + 2 * L).fma(w, o2);
                    o3 = FloatVector.fromArray(DotKernels.F, values, at + 3 * L).fma(w, o3);
                    o4 = FloatVector.fromArray(DotKernels.F, values, at + 4 * L).fma(w, o4);
                    o5 = FloatVector.fromArray(DotKernels.F, values, at + 5 * L).fma(w, o5);
                    o6 = FloatVector.fromArray(DotKernels.F, values, at + 6 * L).fma(w, o6);
                    o7 = FloatVector.fromArray(DotKernels.F, values, at + 7 * L).fma(w, o7);
                }
                o0.intoArray(out, oo + d);
                o1.intoArray(out, oo + d + L);
                o2.intoArray(out, oo + d + 2 * L);
                o3.intoArray(out, oo + d + 3 * L);
                o4.intoArray(out, oo + d + 4 * L);
                o5.intoArray(out, oo + d + 5 * L);
                o6.intoArray(out, oo + d + 6 * L);
                o7.intoArray(out, oo + d + 7 * L);
            }
            for (; d + L <= hd; d += L) {
                FloatVector o = FloatVector.zero(DotKernels.F);
                for (int t = 0; t < n; t++) {
                    o = FloatVector.fromArray(DotKernels.F, values, t * kvDim + kc + d)
                            .fma(FloatVector.broadcast(DotKernels.F, s[t] * inv), o);
                }
                o.intoArray(out, oo + d);
            }
        }
        for (; d < hd; d++) {
            float o = 0;
            for (int t = 0; t < n; t++) {
                o = Math.fma(values[t * kvDim + kc + d], s[t] * inv, o);
            }
            out[oo + d] = o;
        }
    }
}
