// Q4_0 / Q8_0 weights re-laid so that one vector holds the same positions of as many rows as it has lanes.
// A product then needs one broadcast activation per position instead of widening bytes per row, and the block
// scales are plain floats: the widening conversions dominated decode time in the file's own layout.
//
// Layout per group of G rows (G = float lanes), per block: G float scales, then the quants as 4-byte chunks,
// chunk m of every row side by side (lane r = row r), so one int vector load brings chunk m of G rows.
package io.puhui.engine.tensor;

import io.puhui.engine.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

final class InterleavedRows {
    static final VectorSpecies<Float> F = DotKernels.F;
    static final int G = F.length();
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, VectorShape.forBitSize(G * 32));
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private final GgmlType type;
    private final int rows;
    private final int blocks;
    private final int chunks;
    private final long blockBytes;
    private final long groupBytes;
    private final MemorySegment data;

    static boolean supports(GgmlType type, int rows) {
        return DotKernels.VECTOR && G >= 8 && rows % G == 0
                && (type == GgmlType.Q4_0 || type == GgmlType.Q8_0 || type == GgmlType.Q6_K || type == GgmlType.Q4_K);
    }

    private InterleavedRows(GgmlType type, int rows, int cols) {
        this.type = type;
        this.rows = rows;
        // Q6_K has a scale per 16 values: it is laid out as 16-value blocks of signed bytes (code - 32)
        this.blocks = type == GgmlType.Q6_K ? cols / 16 : cols / 32;
        this.chunks = type == GgmlType.Q8_0 ? 8 : 4;
        // Q4_K blocks carry a minimum per row besides the scale: a second float vector
        this.blockBytes = (type == GgmlType.Q4_K ? 8L : 4L) * G + (long) chunks * 4 * G;
        this.groupBytes = blockBytes * blocks;
        // freed with the matrix that holds it
        this.data = Arena.ofAuto().allocate(groupBytes * (rows / G), 64);
    }

    static InterleavedRows repack(GgmlType type, int rows, int cols, MemorySegment src, ThreadTeam team) {
        InterleavedRows ir = new InterleavedRows(type, rows, cols);
        if (type == GgmlType.Q6_K) {
            ir.repackQ6K(cols, src, team);
            return ir;
        }
        if (type == GgmlType.Q4_K) {
            ir.repackQ4K(cols, src, team);
            return ir;
        }
        long rowBytes = type.byteSize(cols);
        int bpb = type.bytesPerBlock;
        team.forRange(rows / G, 1, (start, end) -> {
            for (int g = start; g < end; g++) {
                for (int b = 0; b < ir.blocks; b++) {
                    long dst = g * ir.groupBytes + b * ir.blockBytes;
                    for (int r = 0; r < G; r++) {
                        long s = (long) (g * G + r) * rowBytes + (long) b * bpb;
                        ir.data.set(BlockCodec.FLOAT, dst + 4L * r, BlockCodec.f16(src, s));
                        for (int m = 0; m < ir.chunks; m++) {
                            ir.data.set(BlockCodec.INT, dst + 4L * G + 4L * G * m + 4L * r, src.get(BlockCodec.INT, s + 2 + 4L * m));
                        }
                    }
                }
            }
        });
        return ir;
    }

    /** Q6_K: each 16-value run becomes 16 signed bytes (code - 32) with one float scale, d times its sub-scale. */
    private void repackQ6K(int cols, MemorySegment src, ThreadTeam team) {
        long rowBytes = type.byteSize(cols);
        team.forRange(rows / G, 1, (start, end) -> {
            byte[] codes = new byte[256];
            float[] scales = new float[16];
            for (int g = start; g < end; g++) {
                for (int r = 0; r < G; r++) {
                    long rowOff = (long) (g * G + r) * rowBytes;
                    for (int kb = 0; kb < cols / 256; kb++) {
                        q6kCodes(src, rowOff + 210L * kb, codes, scales);
                        for (int sb = 0; sb < 16; sb++) {
                            long dst = g * groupBytes + (long) (kb * 16 + sb) * blockBytes;
                            data.set(BlockCodec.FLOAT, dst + 4L * r, scales[sb]);
                            for (int m = 0; m < 4; m++) {
                                int word = (codes[16 * sb + 4 * m] & 0xFF) | (codes[16 * sb + 4 * m + 1] & 0xFF) << 8
                                        | (codes[16 * sb + 4 * m + 2] & 0xFF) << 16 | (codes[16 * sb + 4 * m + 3] & 0xFF) << 24;
                                data.set(BlockCodec.INT, dst + 4L * G + 4L * G * m + 4L * r, word);
                            }
                        }
                    }
                }
            }
        });
    }

    /**
     * Q4_K: each 32-value sub-block becomes a Q4_0-style block (byte j holds values j and j + 16) with two
     * floats per row: its scale d * sc and its minimum dmin * m, which is subtracted through the sum of x.
     */
    private void repackQ4K(int cols, MemorySegment src, ThreadTeam team) {
        long rowBytes = type.byteSize(cols);
        team.forRange(rows / G, 1, (start, end) -> {
            for (int g = start; g < end; g++) {
                for (int r = 0; r < G; r++) {
                    long rowOff = (long) (g * G + r) * rowBytes;
                    for (int kb = 0; kb < cols / 256; kb++) {
                        long o = rowOff + 144L * kb;
                        float d = BlockCodec.f16(src, o);
                        float dmin = BlockCodec.f16(src, o + 2);
                        for (int sb = 0; sb < 8; sb++) {
                            int sm = BlockCodec.scaleMinK4(sb, src, o + 4);
                            long dst = g * groupBytes + (long) (kb * 8 + sb) * blockBytes;
                            data.set(BlockCodec.FLOAT, dst + 4L * r, d * (sm & 0xFF));
                            data.set(BlockCodec.FLOAT, dst + 4L * G + 4L * r, dmin * (sm >>> 8));
                            long qs = o + 16 + 32L * (sb / 2);
                            int shift = 4 * (sb % 2);
                            for (int m = 0; m < 4; m++) {
                                int word = 0;
                                for (int j = 0; j < 4; j++) {
                                    int lo = (BlockCodec.u8(src, qs + 4 * m + j) >>> shift) & 0xF;
                                    int hi = (BlockCodec.u8(src, qs + 16 + 4 * m + j) >>> shift) & 0xF;
                                    word |= (lo | hi << 4) << (8 * j);
                                }
                                data.set(BlockCodec.INT, dst + 8L * G + 4L * G * m + 4L * r, word);
                            }
                        }
                    }
                }
            }
        });
    }

    /** The 256 signed codes of a Q6_K block in value order, and the scale of each 16-value run. */
    static void q6kCodes(MemorySegment s, long o, byte[] codes, float[] scales) {
        float d = BlockCodec.f16(s, o + 208);
        for (int n = 0; n < 2; n++) {
            long ql = o + 64L * n;
            long qh = o + 128 + 32L * n;
            long sc = o + 192 + 8L * n;
            for (int l = 0; l < 32; l++) {
                int h = BlockCodec.u8(s, qh + l);
                int base = 128 * n + l;
                codes[base] = (byte) (((BlockCodec.u8(s, ql + l) & 0xF) | ((h & 3) << 4)) - 32);
                codes[base + 32] = (byte) (((BlockCodec.u8(s, ql + l + 32) & 0xF) | (((h >>> 2) & 3) << 4)) - 32);
                codes[base + 64] = (byte) (((BlockCodec.u8(s, ql + l) >>> 4) | (((h >>> 4) & 3) << 4)) - 32);
                codes[base + 96] = (byte) (((BlockCodec.u8(s, ql + l + 32) >>> 4) | (((h >>> 6) & 3) << 4)) - 32);
            }
            for (int i = 0; i < 8; i++) {
                scales[8 * n + i] = d * s.get(BlockCodec.BYTE, sc + i);
            }
        }
    }

    void matvec(ThreadTeam team, float[] x, float[] out) {
        if (type == GgmlType.Q6_K) {
            team.forRange(rows / G, 4, (start, end) -> {
                for (int g = start; g < end; g++) {
                    groupSigned(g, x, 4).intoArray(out, g * G);
                }
            });
            return;
        }
        float[] blockSums = type != GgmlType.Q8_0 ? blockSums(x) : null;
        team.forRange(rows / G, 4, (start, end) -> {
            for (int g = start; g < end; g++) {
                FloatVector acc = type == GgmlType.Q8_0 ? groupSigned(g, x, 8) : groupQ4(g, x, blockSums);
                acc.intoArray(out, g * G);
            }
        });
    }

    private float[] blockSums(float[] x) {
        float[] s = new float[blocks];
        for (int b = 0; b < blocks; b++) {
            float sum = 0;
            for (int i = 0; i < 32; i++) {
                sum += x[32 * b + i];
            }
            s[b] = sum;
        }
        return s;
    }

    private static FloatVector times(IntVector q, float x, FloatVector acc) {
        return ((FloatVector) q.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, x), acc);
    }

    /** Q4_0: codes 0..15 stand for code - 8; the -8 is applied once per block through the sum of x.
     *  Q4_K: codes times the row's scale, minus the row's minimum times the sum of x. */
    private FloatVector groupQ4(int g, float[] x, float[] blockSums) {
        boolean withMins = type == GgmlType.Q4_K;
        long codesAt = (withMins ? 8L : 4L) * G;
        FloatVector acc = FloatVector.zero(F);
        long base = g * groupBytes;
        for (int b = 0; b < blocks; b++) {
            long o = base + b * blockBytes;
            int xb = 32 * b;
            // four accumulators: one chain of dependent FMAs would wait on FMA latency at every step
            FloatVector s0 = FloatVector.zero(F);
            FloatVector s1 = FloatVector.zero(F);
            FloatVector s2 = FloatVector.zero(F);
            FloatVector s3 = FloatVector.zero(F);
            for (int m = 0; m < 4; m++) {
                IntVector v = IntVector.fromMemorySegment(I, data, o + codesAt + 4L * G * m, LE);
                int p = xb + 4 * m;
                // byte j of the chunk holds positions 4m+j (low nibble) and 4m+j+16 (high nibble)
                s0 = times(v.and(0xF), x[p], s0);
                s1 = times(v.lanewise(VectorOperators.LSHR, 4).and(0xF), x[p + 16], s1);
                s2 = times(v.lanewise(VectorOperators.LSHR, 8).and(0xF), x[p + 1], s2);
                s3 = times(v.lanewise(VectorOperators.LSHR, 12).and(0xF), x[p + 17], s3);
                s0 = times(v.lanewise(VectorOperators.LSHR, 16).and(0xF), x[p + 2], s0);
                s1 = times(v.lanewise(VectorOperators.LSHR, 20).and(0xF), x[p + 18], s1);
                s2 = times(v.lanewise(VectorOperators.LSHR, 24).and(0xF), x[p + 3], s2);
                s3 = times(v.lanewise(VectorOperators.LSHR, 28), x[p + 19], s3);
            }
            FloatVector s = s0.add(s1).add(s2.add(s3));
            if (withMins) {
                acc = s.fma(FloatVector.fromMemorySegment(F, data, o, LE), acc);
                acc = FloatVector.fromMemorySegment(F, data, o + 4L * G, LE).fma(FloatVector.broadcast(F, -blockSums[b]), acc);
            } else {
                acc = s.sub(8f * blockSums[b]).fma(FloatVector.fromMemorySegment(F, data, o, LE), acc);
            }
        }
        return acc;
    }

    /** Signed-byte codes (Q8_0 blocks of 32, or Q6_K runs of 16): {@code chunks} 4-byte chunks per block. */
    private FloatVector groupSigned(int g, float[] x, int chunks) {
        FloatVector acc = FloatVector.zero(F);
        long base = g * groupBytes;
        for (int b = 0; b < blocks; b++) {
            long o = base + b * blockBytes;
            int xb = 4 * chunks * b;
            FloatVector s0 = FloatVector.zero(F);
            FloatVector s1 = FloatVector.zero(F);
            FloatVector s2 = FloatVector.zero(F);
            FloatVector s3 = FloatVector.zero(F);
            for (int m = 0; m < chunks; m++) {
                IntVector v = IntVector.fromMemorySegment(I, data, o + 4L * G * (m + 1), LE);
                int p = xb + 4 * m;
                // signed bytes: shift each to the top, then arithmetic shift back down
                s0 = times(v.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24), x[p], s0);
                s1 = times(v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 24), x[p + 1], s1);
                s2 = times(v.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 24), x[p + 2], s2);
                s3 = times(v.lanewise(VectorOperators.ASHR, 24), x[p + 3], s3);
            }
            FloatVector s = s0.add(s1).add(s2.add(s3));
            acc = s.fma(FloatVector.fromMemorySegment(F, data, o, LE), acc);
        }
        return acc;
    }

    /**
     * {@code outs[b] = W xs[b]} for a batch: each group of rows is decoded once per four activation vectors and
     * multiplied with all four. Per vector the arithmetic is exactly {@link #matvec}'s, in the same order (the same
     * four partial sums per block, combined the same way), so a sequence gets the same bits alone or in a batch.
     */
    void matmul(ThreadTeam team, float[][] xs, float[][] outs, int batch) {
        float[][] sums = new float[batch][];
        if (type == GgmlType.Q4_0 || type == GgmlType.Q4_K) {
            for (int b = 0; b < batch; b++) {
                sums[b] = blockSums(xs[b]);
            }
        }
        boolean signed = type == GgmlType.Q8_0 || type == GgmlType.Q6_K;
        team.forRange(rows / G, 1, (start, end) -> {
            FloatVector[] acc = new FloatVector[4];
            for (int g = start; g < end; g++) {
                int b = 0;
                for (; b + 4 <= batch; b += 4) {
                    if (signed) {
                        groupSigned4(g, xs[b], xs[b + 1], xs[b + 2], xs[b + 3], acc);
                    } else {
                        groupQ4x4(g, xs, sums, b, acc);
                    }
                    for (int k = 0; k < 4; k++) {
                        acc[k].intoArray(outs[b + k], g * G);
                    }
                }
                for (; b < batch; b++) {
                    FloatVector one = signed ? groupSigned(g, xs[b], chunks) : groupQ4(g, xs[b], sums[b]);
                    one.intoArray(outs[b], g * G);
                }
            }
        });
    }

    /** {@link #groupSigned} for four activation vectors at once: the codes are widened once for all four. */
    private void groupSigned4(int g, float[] x0, float[] x1, float[] x2, float[] x3, FloatVector[] out) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        long base = g * groupBytes;
        for (int b = 0; b < blocks; b++) {
            long o = base + b * blockBytes;
            int xb = 4 * chunks * b;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            FloatVector a2 = FloatVector.zero(F);
            FloatVector a3 = FloatVector.zero(F);
            FloatVector b0 = FloatVector.zero(F);
            FloatVector b1 = FloatVector.zero(F);
            FloatVector b2 = FloatVector.zero(F);
            FloatVector b3 = FloatVector.zero(F);
            FloatVector c0 = FloatVector.zero(F);
            FloatVector c1 = FloatVector.zero(F);
            FloatVector c2 = FloatVector.zero(F);
            FloatVector c3 = FloatVector.zero(F);
            FloatVector d0 = FloatVector.zero(F);
            FloatVector d1 = FloatVector.zero(F);
            FloatVector d2 = FloatVector.zero(F);
            FloatVector d3 = FloatVector.zero(F);
            for (int m = 0; m < chunks; m++) {
                IntVector v = IntVector.fromMemorySegment(I, data, o + 4L * G * (m + 1), LE);
                int p = xb + 4 * m;
                FloatVector w0 = (FloatVector) v.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24)
                        .convert(VectorOperators.I2F, 0);
                FloatVector w1 = (FloatVector) v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 24)
                        .convert(VectorOperators.I2F, 0);
                FloatVector w2 = (FloatVector) v.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 24)
                        .convert(VectorOperators.I2F, 0);
                FloatVector w3 = (FloatVector) v.lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
                a0 = w0.fma(FloatVector.broadcast(F, x0[p + 0]), a0);
                a1 = w1.fma(FloatVector.broadcast(F, x0[p + 1]), a1);
                a2 = w2.fma(FloatVector.broadcast(F, x0[p + 2]), a2);
                a3 = w3.fma(FloatVector.broadcast(F, x0[p + 3]), a3);
                b0 = w0.fma(FloatVector.broadcast(F, x1[p + 0]), b0);
                b1 = w1.fma(FloatVector.broadcast(F, x1[p + 1]), b1);
                b2 = w2.fma(FloatVector.broadcast(F, x1[p + 2]), b2);
                b3 = w3.fma(FloatVector.broadcast(F, x1[p + 3]), b3);
                c0 = w0.fma(FloatVector.broadcast(F, x2[p + 0]), c0);
                c1 = w1.fma(FloatVector.broadcast(F, x2[p + 1]), c1);
                c2 = w2.fma(FloatVector.broadcast(F, x2[p + 2]), c2);
                c3 = w3.fma(FloatVector.broadcast(F, x2[p + 3]), c3);
                d0 = w0.fma(FloatVector.broadcast(F, x3[p + 0]), d0);
                d1 = w1.fma(FloatVector.broadcast(F, x3[p + 1]), d1);
                d2 = w2.fma(FloatVector.broadcast(F, x3[p + 2]), d2);
                d3 = w3.fma(FloatVector.broadcast(F, x3[p + 3]), d3);
            }
            FloatVector scale = FloatVector.fromMemorySegment(F, data, o, LE);
            acc0 = a0.add(a1).add(a2.add(a3)).fma(scale, acc0);
            acc1 = b0.add(b1).add(b2.add(b3)).fma(scale, acc1);
            acc2 = c0.add(c1).add(c2.add(c3)).fma(scale, acc2);
            acc3 = d0.add(d1).add(d2.add(d3)).fma(scale, acc3);
        }
        out[0] = acc0;
        out[1] = acc1;
        out[2] = acc2;
        out[3] = acc3;
    }

    /** {@link #groupQ4} for activation vectors {@code first .. first+3}: the nibbles are unpacked once for all four. */
    private void groupQ4x4(int g, float[][] xs, float[][] sums, int first, FloatVector[] out) {
        boolean withMins = type == GgmlType.Q4_K;
        long codesAt = (withMins ? 8L : 4L) * G;
        long base = g * groupBytes;
        float[] x0 = xs[first];
        float[] x1 = xs[first + 1];
        float[] x2 = xs[first + 2];
        float[] x3 = xs[first + 3];
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long o = base + b * blockBytes;
            int xb = 32 * b;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            FloatVector a2 = FloatVector.zero(F);
            FloatVector a3 = FloatVector.zero(F);
            FloatVector b0 = FloatVector.zero(F);
            FloatVector b1 = FloatVector.zero(F);
            FloatVector b2 = FloatVector.zero(F);
            FloatVector b3 = FloatVector.zero(F);
            FloatVector c0 = FloatVector.zero(F);
            FloatVector c1 = FloatVector.zero(F);
            FloatVector c2 = FloatVector.zero(F);
            FloatVector c3 = FloatVector.zero(F);
            FloatVector d0 = FloatVector.zero(F);
            FloatVector d1 = FloatVector.zero(F);
            FloatVector d2 = FloatVector.zero(F);
            FloatVector d3 = FloatVector.zero(F);
            for (int m = 0; m < 4; m++) {
                IntVector v = IntVector.fromMemorySegment(I, data, o + codesAt + 4L * G * m, LE);
                int p = xb + 4 * m;
                // groupQ4's eight steps in its order, each feeding the same accumulator for every vector
                FloatVector w;
                w = (FloatVector) v.and(0xF).convert(VectorOperators.I2F, 0);
                a0 = w.fma(FloatVector.broadcast(F, x0[p]), a0);
                b0 = w.fma(FloatVector.broadcast(F, x1[p]), b0);
                c0 = w.fma(FloatVector.broadcast(F, x2[p]), c0);
                d0 = w.fma(FloatVector.broadcast(F, x3[p]), d0);
                w = (FloatVector) v.lanewise(VectorOperators.LSHR, 4).and(0xF).convert(VectorOperators.I2F, 0);
                a1 = w.fma(FloatVector.broadcast(F, x0[p + 16]), a1);
                b1 = w.fma(FloatVector.broadcast(F, x1[p + 16]), b1);
                c1 = w.fma(FloatVector.broadcast(F, x2[p + 16]), c1);
                d1 = w.fma(FloatVector.broadcast(F, x3[p + 16]), d1);
                w = (FloatVector) v.lanewise(VectorOperators.LSHR, 8).and(0xF).convert(VectorOperators.I2F, 0);
                a2 = w.fma(FloatVector.broadcast(F, x0[p + 1]), a2);
                b2 = w.fma(FloatVector.broadcast(F, x1[p + 1]), b2);
                c2 = w.fma(FloatVector.broadcast(F, x2[p + 1]), c2);
                d2 = w.fma(FloatVector.broadcast(F, x3[p + 1]), d2);
                w = (FloatVector) v.lanewise(VectorOperators.LSHR, 12).and(0xF).convert(VectorOperators.I2F, 0);
                a3 = w.fma(FloatVector.broadcast(F, x0[p + 17]), a3);
                b3 = w.fma(FloatVector.broadcast(F, x1[p + 17]), b3);
                c3 = w.fma(FloatVector.broadcast(F, x2[p + 17]), c3);
                d3 = w.fma(FloatVector.broadcast(F, x3[p + 17]), d3);
                w = (FloatVector) v.lanewise(VectorOperators.LSHR, 16).and(0xF).convert(VectorOperators.I2F, 0);
                a0 = w.fma(FloatVector.broadcast(F, x0[p + 2]), a0);
                b0 = w.fma(FloatVector.broadcast(F, x1[p + 2]), b0);
                c0 = w.fma(FloatVector.broadcast(F, x2[p + 2]), c0);
                d0 = w.fma(FloatVector.broadcast(F, x3[p + 2]), d0);
                w = (FloatVector) v.lanewise(VectorOperators.LSHR, 20).and(0xF).convert(VectorOperators.I2F, 0);
                a1 = w.fma(FloatVector.broadcast(F, x0[p + 18]), a1);
                b1 = w.fma(FloatVector.broadcast(F, x1[p + 18]), b1);
                c1 = w.fma(FloatVector.broadcast(F, x2[p + 18]), c1);
                d1 = w.fma(FloatVector.broadcast(F, x3[p + 18]), d1);
                w = (FloatVector) v.lanewise(VectorOperators.LSHR, 24).and(0xF).convert(VectorOperators.I2F, 0);
                a2 = w.fma(FloatVector.broadcast(F, x0[p + 3]), a2);
                b2 = w.fma(FloatVector.broadcast(F, x1[p + 3]), b2);
                c2 = w.fma(FloatVector.broadcast(F, x2[p + 3]), c2);
                d2 = w.fma(FloatVector.broadcast(F, x3[p + 3]), d2);
                w = (FloatVector) v.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0);
                a3 = w.fma(FloatVector.broadcast(F, x0[p + 19]), a3);
                b3 = w.fma(FloatVector.broadcast(F, x1[p + 19]), b3);
                c3 = w.fma(FloatVector.broadcast(F, x2[p + 19]), c3);
                d3 = w.fma(FloatVector.broadcast(F, x3[p + 19]), d3);
            }
            acc0 = finishQ4(a0.add(a1).add(a2.add(a3)), o, sums[first + 0][b], withMins, acc0);
            acc1 = finishQ4(b0.add(b1).add(b2.add(b3)), o, sums[first + 1][b], withMins, acc1);
            acc2 = finishQ4(c0.add(c1).add(c2.add(c3)), o, sums[first + 2][b], withMins, acc2);
            acc3 = finishQ4(d0.add(d1).add(d2.add(d3)), o, sums[first + 3][b], withMins, acc3);
        }
        out[0] = acc0;
        out[1] = acc1;
        out[2] = acc2;
        out[3] = acc3;
    }

    /** The end of a Q4 block for one vector, as {@link #groupQ4} does it. */
    private FloatVector finishQ4(FloatVector s, long o, float blockSum, boolean withMins, FloatVector acc) {
        if (withMins) {
            acc = s.fma(FloatVector.fromMemorySegment(F, data, o, LE), acc);
            return FloatVector.fromMemorySegment(F, data, o + 4L * G, LE).fma(FloatVector.broadcast(F, -blockSum), acc);
        }
        return s.sub(8f * blockSum).fma(FloatVector.fromMemorySegment(F, data, o, LE), acc);
    }
}
