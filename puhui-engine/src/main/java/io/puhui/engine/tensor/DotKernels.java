// Vectorised dot products of float activations with weight rows, fused with dequantisation (Vector API).
// Generation is bound by reading weights, so the quantised rows are decoded in registers, never stored.
package io.puhui.engine.tensor;

import io.puhui.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

final class DotKernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    /** Byte vectors with as many lanes as {@link #F}, so a byte-to-float conversion fills one float vector. */
    static final VectorSpecies<Byte> B = L >= 8 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8)) : null;
    /** Plain scalar loops where the CPU has no useful vectors (or when disabled for comparison). */
    static final boolean VECTOR = L >= 8 && !Boolean.getBoolean("puhui.scalar");
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private DotKernels() {
    }

    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        int i = 0;
        float sum = 0;
        if (VECTOR && n >= L) {
            FloatVector acc = FloatVector.zero(F);
            for (; i <= n - L; i += L) {
                acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
            }
            sum = lanesSum(acc);
        }
        for (; i < n; i++) {
            sum += a[ao + i] * b[bo + i];
        }
        return sum;
    }

    /**
     * The lanes of {@code v} added in lane order. Every dense dot product (one row or a tile of rows, one sequence or
     * a batch, interpreted or compiled) ends with this same sum, and uses one accumulator per product, so that a
     * sequence gets bit-identical logits whatever else shares its batch. {@code reduceLanes} may reorder the adds.
     */
    static float lanesSum(FloatVector v) {
        // a butterfly: add the vector to itself with lanes swapped at distance 8, 4, 2, 1; every add is an exactly
        // rounded float add on fixed lanes, so compiled and interpreted code agree, and the shuffles are
        // constants the compiler turns into single permutes
        if (L == 16) {
            v = v.add(v.rearrange(SWAP8));
            v = v.add(v.rearrange(SWAP4));
            v = v.add(v.rearrange(SWAP2));
            return v.add(v.rearrange(SWAP1)).lane(0);
        }
        if (L == 8) {
            v = v.add(v.rearrange(SWAP4));
            v = v.add(v.rearrange(SWAP2));
            return v.add(v.rearrange(SWAP1)).lane(0);
        }
        float s = 0;
        for (int k = 0; k < v.length(); k++) {
            s += v.lane(k);
        }
        return s;
    }

    private static final VectorShuffle<Float> SWAP8 = swap(8);
    private static final VectorShuffle<Float> SWAP4 = swap(4);
    private static final VectorShuffle<Float> SWAP2 = swap(2);
    private static final VectorShuffle<Float> SWAP1 = swap(1);

    private static VectorShuffle<Float> swap(int distance) {
        return distance < L ? VectorShuffle.fromOp(F, i -> i ^ distance) : null;
    }

    /**
     * A 2x4 tile of dot products: two weight rows ({@code stride} apart in {@code w}) with four activation vectors.
     * Eight accumulators take six loads per eight FMAs (one row with four vectors took five per four); larger tiles
     * made the JIT give up on vectorising.
     */
    static void dot2x4(float[] w, int wo, int stride, float[] x0, float[] x1, float[] x2, float[] x3, int n,
                       float[] out) {
        FloatVector a00 = FloatVector.zero(F);
        FloatVector a01 = FloatVector.zero(F);
        FloatVector a02 = FloatVector.zero(F);
        FloatVector a03 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F);
        FloatVector a11 = FloatVector.zero(F);
        FloatVector a12 = FloatVector.zero(F);
        FloatVector a13 = FloatVector.zero(F);
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector v0 = FloatVector.fromArray(F, x0, i);
            FloatVector v1 = FloatVector.fromArray(F, x1, i);
            FloatVector v2 = FloatVector.fromArray(F, x2, i);
            FloatVector v3 = FloatVector.fromArray(F, x3, i);
            FloatVector w0 = FloatVector.fromArray(F, w, wo + i);
            FloatVector w1 = FloatVector.fromArray(F, w, wo + stride + i);
            a00 = w0.fma(v0, a00);
            a01 = w0.fma(v1, a01);
            a02 = w0.fma(v2, a02);
            a03 = w0.fma(v3, a03);
            a10 = w1.fma(v0, a10);
            a11 = w1.fma(v1, a11);
            a12 = w1.fma(v2, a12);
            a13 = w1.fma(v3, a13);
        }
        out[0] = lanesSum(a00);
        out[1] = lanesSum(a01);
        out[2] = lanesSum(a02);
        out[3] = lanesSum(a03);
        out[4] = lanesSum(a10);
        out[5] = lanesSum(a11);
        out[6] = lanesSum(a12);
        out[7] = lanesSum(a13);
        for (; i < n; i++) {
            out[0] += w[wo + i] * x0[i];
            out[1] += w[wo + i] * x1[i];
            out[2] += w[wo + i] * x2[i];
            out[3] += w[wo + i] * x3[i];
            out[4] += w[wo + stride + i] * x0[i];
            out[5] += w[wo + stride + i] * x1[i];
            out[6] += w[wo + stride + i] * x2[i];
            out[7] += w[wo + stride + i] * x3[i];
        }
    }

    static float dotF32(MemorySegment w, long off, float[] x, int xo, int n) {
        int i = 0;
        float sum = 0;
        if (VECTOR) {
            FloatVector acc = FloatVector.zero(F);
            for (; i <= n - L; i += L) {
                acc = FloatVector.fromMemorySegment(F, w, off + 4L * i, LE).fma(FloatVector.fromArray(F, x, xo + i), acc);
            }
            sum = lanesSum(acc);
        }
        for (; i < n; i++) {
            sum += w.get(BlockCodec.FLOAT, off + 4L * i) * x[xo + i];
        }
        return sum;
    }

    /** Decodes a Q8_0 or Q4_0 row with vectors (16 lanes); the scalar decoder is the reference for both. */
    static boolean decodeRow(GgmlType type, MemorySegment w, long off, float[] dst, int dstOff, int n) {
        if (!VECTOR || L != 16) {
            return false;
        }
        if (type == GgmlType.Q8_0) {
            for (int b = 0; b < n / 32; b++) {
                long bo = off + 34L * b;
                FloatVector d = FloatVector.broadcast(F, BlockCodec.f16(w, bo));
                q8Half(w, bo + 2).mul(d).intoArray(dst, dstOff + 32 * b);
                q8Half(w, bo + 18).mul(d).intoArray(dst, dstOff + 32 * b + 16);
            }
            return true;
        }
        if (type == GgmlType.Q4_0) {
            for (int b = 0; b < n / 32; b++) {
                long bo = off + 18L * b;
                FloatVector d = FloatVector.broadcast(F, BlockCodec.f16(w, bo));
                ByteVector q = ByteVector.fromMemorySegment(B, w, bo + 2, LE);
                nibbles(q.and((byte) 0xF)).mul(d).intoArray(dst, dstOff + 32 * b);
                nibbles(q.lanewise(VectorOperators.LSHR, 4)).mul(d).intoArray(dst, dstOff + 32 * b + 16);
            }
            return true;
        }
        if (type == GgmlType.Q4_K || type == GgmlType.Q6_K) {
            int bpb = type.bytesPerBlock;
            for (int b = 0; b < n / 256; b++) {
                decodeKBlock(type, w, off + (long) bpb * b, dst, dstOff + 256 * b);
            }
            return true;
        }
        return false;
    }

    /**
     * One Q4_K or Q6_K block (256 values) decoded with vectors. The arithmetic is the scalar decoder's, in the
     * same order (multiply, then subtract), so the values are identical to it.
     */
    static void decodeKBlock(GgmlType type, MemorySegment w, long o, float[] y, int yo) {
        if (type == GgmlType.Q4_K) {
            float d = BlockCodec.f16(w, o);
            float min = BlockCodec.f16(w, o + 2);
            for (int i = 0; i < 4; i++) {
                int sm1 = BlockCodec.scaleMinK4(2 * i, w, o + 4);
                int sm2 = BlockCodec.scaleMinK4(2 * i + 1, w, o + 4);
                float d1 = d * (sm1 & 0xFF);
                float m1 = min * (sm1 >>> 8);
                float d2 = d * (sm2 & 0xFF);
                float m2 = min * (sm2 >>> 8);
                for (int h = 0; h < 2; h++) {
                    ByteVector q = ByteVector.fromMemorySegment(B, w, o + 16 + 32L * i + 16L * h, LE);
                    ((FloatVector) q.and((byte) 0xF).convertShape(VectorOperators.B2F, F, 0)).mul(d1).sub(m1)
                            .intoArray(y, yo + 64 * i + 16 * h);
                    ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.B2F, F, 0))
                            .mul(d2).sub(m2).intoArray(y, yo + 64 * i + 32 + 16 * h);
                }
            }
            return;
        }
        // Q6_K: ql[128], qh[64], scales[16] (signed), d
        float d = BlockCodec.f16(w, o + 208);
        for (int n = 0; n < 2; n++) {
            long ql = o + 64L * n;
            long qh = o + 128 + 32L * n;
            long sc = o + 192 + 8L * n;
            int base = yo + 128 * n;
            for (int h = 0; h < 2; h++) {
                ByteVector a = ByteVector.fromMemorySegment(B, w, ql + 16L * h, LE);
                ByteVector c = ByteVector.fromMemorySegment(B, w, ql + 32 + 16L * h, LE);
                ByteVector hi = ByteVector.fromMemorySegment(B, w, qh + 16L * h, LE);
                ByteVector q1 = a.and((byte) 0xF).or(hi.and((byte) 3).lanewise(VectorOperators.LSHL, 4));
                ByteVector q2 = c.and((byte) 0xF).or(hi.lanewise(VectorOperators.LSHR, 2).and((byte) 3)
                        .lanewise(VectorOperators.LSHL, 4));
                ByteVector q3 = a.lanewise(VectorOperators.LSHR, 4).or(hi.lanewise(VectorOperators.LSHR, 4)
                        .and((byte) 3).lanewise(VectorOperators.LSHL, 4));
                ByteVector q4 = c.lanewise(VectorOperators.LSHR, 4).or(hi.lanewise(VectorOperators.LSHR, 6)
                        .lanewise(VectorOperators.LSHL, 4));
                int at = base + 16 * h;
                k6(q1, d * w.get(BlockCodec.BYTE, sc + h), y, at);
                k6(q2, d * w.get(BlockCodec.BYTE, sc + h + 2), y, at + 32);
                k6(q3, d * w.get(BlockCodec.BYTE, sc + h + 4), y, at + 64);
                k6(q4, d * w.get(BlockCodec.BYTE, sc + h + 6), y, at + 96);
            }
        }
    }

    private static void k6(ByteVector q, float scale, float[] y, int at) {
        ((FloatVector) q.sub((byte) 32).convertShape(VectorOperators.B2F, F, 0)).mul(scale).intoArray(y, at);
    }

    /** Sixteen signed bytes as sixteen floats. */
    private static FloatVector q8Half(MemorySegment w, long at) {
        return (FloatVector) ByteVector.fromMemorySegment(B, w, at, LE).convertShape(VectorOperators.B2F, F, 0);
    }

    /** Sixteen 4-bit codes (0..15) as floats centred on zero (-8..7). */
    private static FloatVector nibbles(ByteVector q) {
        return (FloatVector) q.sub((byte) 8).convertShape(VectorOperators.B2F, F, 0);
    }
}
