// Q4_0 / Q4_K / Q6_K / Q8_0 weights re-laid so that one vector holds the same positions of as many rows as it has
// lanes (a group of G rows). A product then needs one broadcast activation per position instead of widening bytes
// per row, and the block scales are plain floats: the widening conversions dominated decode time in the file's own
// layout.
//
// Layout per group, per block: G float scales (Q4_K: then G float minimums), then the codes as 4-byte chunks, chunk
// m of every row side by side (lane r = row r). Signed codes (Q8_0 blocks of 32, Q6_K runs of 16 as code - 32):
// byte j of chunk m is position 4m+j. Nibbles (Q4_0, Q4_K): byte j of chunk m holds positions 4m+j (low nibble) and
// 4m+j+16 (high nibble).
//
// The arithmetic, for one row and one activation vector: per block, the codes times the activations summed in one
// chain of FMAs in a fixed position order, starting from zero (a nibble code enters as code * 16^k and its
// activation as x * 16^-k, an exact rescaling that saves a shift per weight); that sum times the block's scale
// added to the row's accumulator, block by block. Every kernel below, one vector or a tile of vectors, one group or several, does
// exactly that, so a sequence gets the same bits alone or in a batch of any size. The kernels differ in how many
// independent chains they run side by side: several groups for one vector (to hide FMA latency), or two groups
// times four vectors, from codes widened to floats once per block for the whole batch.
//
// Written for C2 and the Vector API: a vector passed to or returned from a method the compiler does not inline,
// or one it cannot keep in a register across a loop, is allocated on the heap, which costs more than the
// arithmetic. So the kernels keep their chains within one block method whose arguments are plain values and
// arrays, and the accumulators between blocks live in the output arrays.
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
    /** Each thread's buffer for one block of two groups widened to floats (32 positions at most), and 8 chains. */
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[2 * 32 * G + 8 * G]);
    /** Each thread's four chains of one block, between {@link #q4FourBlock} and {@link #q4FourEnds}. */
    private static final ThreadLocal<float[]> CHAINS = ThreadLocal.withInitial(() -> new float[4 * G]);

    private final GgmlType type;
    private final int rows;
    private final int blocks;
    /** Positions per block: 32, or 16 for Q6_K's runs. */
    private final int per;
    /** 4-byte chunks of codes per row and block. */
    private final int chunks;
    private final long codesAt;
    /** Where {@code G} zero floats lie, past the last group: Q4_0's minimums. */
    private final long zeros;
    /** The code that stands for zero: 8 for Q4_0, 0 for the others. */
    private final float offset;
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
        this.per = type == GgmlType.Q6_K ? 16 : 32;
        this.chunks = type == GgmlType.Q8_0 ? 8 : 4;
        // Q4_K blocks carry a minimum per row besides the scale: a second float vector
        this.codesAt = (type == GgmlType.Q4_K ? 8L : 4L) * G;
        this.blockBytes = codesAt + 4L * G * chunks;
        this.groupBytes = blockBytes * blocks;
        this.zeros = groupBytes * (rows / G);
        this.offset = type == GgmlType.Q4_0 ? 8f : 0f;
        // freed with the matrix that holds it; allocate zeroes the memory
        this.data = Arena.ofAuto().allocate(zeros + 4L * G, 64);
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
                            ir.data.set(BlockCodec.INT, dst + ir.codesAt + 4L * G * m + 4L * r, src.get(BlockCodec.INT, s + 2 + 4L * m));
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
                                data.set(BlockCodec.INT, dst + codesAt + 4L * G * m + 4L * r, word);
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
        float[] sums = blockSums(x);
        float[] xs = nibbles() ? stepOrder(x) : x;
        team.forRange(rows / G, 4, (start, end) -> single(start, end, xs, sums, out));
    }

    /**
     * {@code outs[b] = W xs[b]} for a batch. Two groups of rows at a time: each block's codes are widened to floats
     * once, into a small buffer that stays in the first-level cache, and multiplied from there with four activation
     * vectors at a time; vectors left over go one at a time through {@link #single}.
     */
    void matmul(ThreadTeam team, float[][] xs, float[][] outs, int batch) {
        float[][] sums = new float[batch][];
        for (int b = 0; b < batch; b++) {
            sums[b] = blockSums(xs[b]);
        }
        int tiles = batch / 4;
        // nibble blocks are read in their step order: every kernel reads activations permuted (and scaled) to match
        float[][] xt = nibbles() ? stepOrder(xs, batch) : xs;
        team.forRange(rows / G, 4, (start, end) -> {
            float[] w = SCRATCH.get();
            int g = start;
            for (; g + 2 <= end && tiles > 0; g += 2) {
                int r0 = g * G;
                for (int b = 0; b < 4 * tiles; b++) {
                    FloatVector.zero(F).intoArray(outs[b], r0);
                    FloatVector.zero(F).intoArray(outs[b], r0 + G);
                }
                long o = g * groupBytes;
                for (int blk = 0; blk < blocks; blk++, o += blockBytes) {
                    widen(o, w);
                    for (int b = 0; b < 4 * tiles; b += 4) {
                        tileBlock(w, o, blk, xt[b], xt[b + 1], xt[b + 2], xt[b + 3], sums, b, outs[b], outs[b + 1],
                                outs[b + 2], outs[b + 3], r0);
                    }
                }
            }
            for (int b = 4 * tiles; b < batch; b++) {
                single(start, end, xt[b], sums[b], outs[b]);
            }
            if (g < end) {
                for (int b = 0; b < 4 * tiles; b++) {
                    single(g, end, xt[b], sums[b], outs[b]);
                }
            }
        });
    }

    /** Copies of the first {@code n} vectors in the nibble step order, see {@link #stepOrder(float[])}. */
    private float[][] stepOrder(float[][] xs, int n) {
        float[][] out = new float[n][];
        for (int v = 0; v < n; v++) {
            out[v] = stepOrder(xs[v]);
        }
        return out;
    }

    /**
     * A copy of {@code x} with each block's activations in the nibble step order, step {@code i} scaled by
     * {@link #STEP_SCALE}{@code [i % 8]}: the kernels multiply it by the nibble left in place (times 16^k), which
     * saves a shift per weight, and the product is the same real number, so the same float.
     */
    private float[] stepOrder(float[] x) {
        float[] y = new float[x.length];
        for (int b = 0; b < blocks; b++) {
            for (int i = 0; i < 32; i++) {
                y[32 * b + i] = x[at(32 * b, i)] * STEP_SCALE[i & 7];
            }
        }
        return y;
    }

    /**
     * Nibble k of a 32-bit chunk as the kernels read it: masked in place, worth 16^k times the code, but for the
     * top one, shifted down (masked in place it would read as negative). One operation per weight, not two.
     */
    private static IntVector nibble(IntVector chunk, int k) {
        return k == 7 ? chunk.lanewise(VectorOperators.LSHR, 28) : chunk.and(0xF << 4 * k);
    }

    /** What step k's activation is multiplied by to undo {@link #nibble}'s 16^k: exact powers of two. */
    private static final float[] STEP_SCALE = {1f, 0x1p-4f, 0x1p-8f, 0x1p-12f, 0x1p-16f, 0x1p-20f, 0x1p-24f, 1f};

    /** The codes of one block of two groups (at {@code o} and {@code o + groupBytes}) as floats: group A's, then B's. */
    private void widen(long o, float[] w) {
        long o1 = o + groupBytes;
        int n = per * G;
        if (nibbles()) {
            // written out step by step, so that each mask is a constant
            for (int m = 0; m < 4; m++) {
                int at = 8 * m * G;
                for (int g = 0; g < 2; g++) {
                    IntVector v = chunk(g == 0 ? o : o1, m);
                    int wo = g * n + at;
                    ((FloatVector) v.and(0xF).convert(VectorOperators.I2F, 0)).intoArray(w, wo);
                    ((FloatVector) v.and(0xF0).convert(VectorOperators.I2F, 0)).intoArray(w, wo + G);
                    ((FloatVector) v.and(0xF00).convert(VectorOperators.I2F, 0)).intoArray(w, wo + 2 * G);
                    ((FloatVector) v.and(0xF000).convert(VectorOperators.I2F, 0)).intoArray(w, wo + 3 * G);
                    ((FloatVector) v.and(0xF0000).convert(VectorOperators.I2F, 0)).intoArray(w, wo + 4 * G);
                    ((FloatVector) v.and(0xF00000).convert(VectorOperators.I2F, 0)).intoArray(w, wo + 5 * G);
                    ((FloatVector) v.and(0xF000000).convert(VectorOperators.I2F, 0)).intoArray(w, wo + 6 * G);
                    ((FloatVector) v.lanewise(VectorOperators.LSHR, 28).convert(VectorOperators.I2F, 0))
                            .intoArray(w, wo + 7 * G);
                }
            }
        } else {
            for (int m = 0; m < chunks; m++) {
                IntVector v0 = chunk(o, m);
                IntVector v1 = chunk(o1, m);
                for (int j = 0; j < 4; j++) {
                    signedByte(v0, j).intoArray(w, (4 * m + j) * G);
                    signedByte(v1, j).intoArray(w, n + (4 * m + j) * G);
                }
            }
        }
    }

    /**
     * One block of two groups times four vectors: eight chains over the widened codes, then each chain's block
     * end into its output. The outputs hold the accumulators between blocks: sixteen vectors would not fit the
     * registers beside the chains. No vector crosses this method's boundary, so nothing is allocated whether or
     * not the compiler inlines it.
     */
    private void tileBlock(float[] w, long o0, int blk, float[] x0, float[] x1, float[] x2, float[] x3,
            float[][] sums, int first, float[] y0, float[] y1, float[] y2, float[] y3, int r0) {
        int n = per;
        int xb = n * blk;
        int wb = n * G;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        FloatVector c0 = FloatVector.zero(F);
        FloatVector c1 = FloatVector.zero(F);
        FloatVector c2 = FloatVector.zero(F);
        FloatVector c3 = FloatVector.zero(F);
        for (int p = 0; p < n; p++) {
            FloatVector w0 = FloatVector.fromArray(F, w, p * G);
            FloatVector w1 = FloatVector.fromArray(F, w, wb + p * G);
            FloatVector xv = FloatVector.broadcast(F, x0[xb + p]);
            a0 = w0.fma(xv, a0);
            c0 = w1.fma(xv, c0);
            xv = FloatVector.broadcast(F, x1[xb + p]);
            a1 = w0.fma(xv, a1);
            c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(F, x2[xb + p]);
            a2 = w0.fma(xv, a2);
            c2 = w1.fma(xv, c2);
            xv = FloatVector.broadcast(F, x3[xb + p]);
            a3 = w0.fma(xv, a3);
            c3 = w1.fma(xv, c3);
        }
        long o1 = o0 + groupBytes;
        int r1 = r0 + G;
        if (nibbles()) {
            // the chains leave through memory: passed to a method the compiler did not inline, they would be
            // allocated, and written out here the block ends of Q4 make the method too large for it to compile well
            a0.intoArray(w, 2 * wb);
            a1.intoArray(w, 2 * wb + G);
            a2.intoArray(w, 2 * wb + 2 * G);
            a3.intoArray(w, 2 * wb + 3 * G);
            c0.intoArray(w, 2 * wb + 4 * G);
            c1.intoArray(w, 2 * wb + 5 * G);
            c2.intoArray(w, 2 * wb + 6 * G);
            c3.intoArray(w, 2 * wb + 7 * G);
            endsQ4(w, 2 * wb, o0, sums, first, blk, y0, y1, y2, y3, r0);
            endsQ4(w, 2 * wb + 4 * G, o1, sums, first, blk, y0, y1, y2, y3, r1);
        } else {
            FloatVector d0 = scales(o0);
            FloatVector d1 = scales(o1);
            a0.fma(d0, FloatVector.fromArray(F, y0, r0)).intoArray(y0, r0);
            a1.fma(d0, FloatVector.fromArray(F, y1, r0)).intoArray(y1, r0);
            a2.fma(d0, FloatVector.fromArray(F, y2, r0)).intoArray(y2, r0);
            a3.fma(d0, FloatVector.fromArray(F, y3, r0)).intoArray(y3, r0);
            c0.fma(d1, FloatVector.fromArray(F, y0, r1)).intoArray(y0, r1);
            c1.fma(d1, FloatVector.fromArray(F, y1, r1)).intoArray(y1, r1);
            c2.fma(d1, FloatVector.fromArray(F, y2, r1)).intoArray(y2, r1);
            c3.fma(d1, FloatVector.fromArray(F, y3, r1)).intoArray(y3, r1);
        }
    }

    /** The Q4 block ends of one group's four chains, left in {@code w} from {@code at}, into rows {@code r ..}. */
    private void endsQ4(float[] w, int at, long block, float[][] sums, int first, int blk, float[] y0, float[] y1,
            float[] y2, float[] y3, int r) {
        FloatVector d = scales(block);
        FloatVector mins = FloatVector.fromMemorySegment(F, data, type == GgmlType.Q4_K ? block + 4L * G : zeros, LE);
        float s0 = sums[first][blk];
        float s1 = sums[first + 1][blk];
        float s2 = sums[first + 2][blk];
        float s3 = sums[first + 3][blk];
        mins.fma(FloatVector.broadcast(F, -s0), FloatVector.fromArray(F, w, at).sub(offset * s0)
                .fma(d, FloatVector.fromArray(F, y0, r))).intoArray(y0, r);
        mins.fma(FloatVector.broadcast(F, -s1), FloatVector.fromArray(F, w, at + G).sub(offset * s1)
                .fma(d, FloatVector.fromArray(F, y1, r))).intoArray(y1, r);
        mins.fma(FloatVector.broadcast(F, -s2), FloatVector.fromArray(F, w, at + 2 * G).sub(offset * s2)
                .fma(d, FloatVector.fromArray(F, y2, r))).intoArray(y2, r);
        mins.fma(FloatVector.broadcast(F, -s3), FloatVector.fromArray(F, w, at + 3 * G).sub(offset * s3)
                .fma(d, FloatVector.fromArray(F, y3, r))).intoArray(y3, r);
    }

    private boolean nibbles() {
        return type == GgmlType.Q4_0 || type == GgmlType.Q4_K;
    }

    /** One vector over groups {@code [start, end)}: four groups at a time, then one at a time. */
    private void single(int start, int end, float[] x, float[] sums, float[] out) {
        int g = start;
        if (nibbles()) {
            for (; g + 4 <= end; g += 4) {
                q4Four(g, x, sums, out);
            }
            for (; g < end; g++) {
                q4One(g, x, sums, out);
            }
        } else {
            for (; g + 4 <= end; g += 4) {
                signedFour(g, x, out);
            }
            for (; g < end; g++) {
                signedOne(g, x, out);
            }
        }
    }

    /** The sum of each block's activations: Q4_0's offset of 8 and Q4_K's minimums are applied through it. */
    private float[] blockSums(float[] x) {
        if (!nibbles()) {
            return null;
        }
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

    private FloatVector scales(long o) {
        return FloatVector.fromMemorySegment(F, data, o, LE);
    }

    /** Position 4m + j of the group's block (j = 0..3), from chunk m: byte j of each lane, sign extended. */
    private static FloatVector signedByte(IntVector chunk, int j) {
        return (FloatVector) chunk.lanewise(VectorOperators.LSHL, 24 - 8 * j).lanewise(VectorOperators.ASHR, 24)
                .convert(VectorOperators.I2F, 0);
    }

    /**
     * The end of a nibble block: {@code acc += (s - offset * sum) * scale - minimum * sum}, where Q4_0 has an offset
     * of 8 and no minimum, and Q4_K the reverse. One expression for both, with Q4_0's minimums read from a zero
     * vector at the end of the data: a vector chosen by a branch would cost an allocation per block.
     */
    private FloatVector finishQ4(FloatVector s, long block, float blockSum, FloatVector acc) {
        long mins = type == GgmlType.Q4_K ? block + 4L * G : zeros;
        return FloatVector.fromMemorySegment(F, data, mins, LE)
                .fma(FloatVector.broadcast(F, -blockSum), s.sub(offset * blockSum).fma(scales(block), acc));
    }

    private void signedOne(int g, float[] x, float[] out) {
        int r = g * G;
        FloatVector.zero(F).intoArray(out, r);
        long o = g * groupBytes;
        for (int b = 0; b < blocks; b++, o += blockBytes) {
            signedOneBlock(o, x, per * b, out, r);
        }
    }

    private void signedOneBlock(long o, float[] x, int xb, float[] out, int r) {
        FloatVector s = FloatVector.zero(F);
        for (int m = 0; m < chunks; m++) {
            IntVector v = chunk(o, m);
            for (int j = 0; j < 4; j++) {
                s = signedByte(v, j).fma(FloatVector.broadcast(F, x[xb + 4 * m + j]), s);
            }
        }
        s.fma(scales(o), FloatVector.fromArray(F, out, r)).intoArray(out, r);
    }

    /** Four groups, a block at a time; the accumulators live in {@code out} between blocks. */
    private void signedFour(int g, float[] x, float[] out) {
        int r0 = g * G;
        for (int k = 0; k < 4; k++) {
            FloatVector.zero(F).intoArray(out, r0 + k * G);
        }
        long o = g * groupBytes;
        for (int b = 0; b < blocks; b++, o += blockBytes) {
            signedFourBlock(o, x, per * b, out, r0);
        }
    }

    private void signedFourBlock(long o0, float[] x, int xb, float[] out, int r0) {
        long o1 = o0 + groupBytes;
        long o2 = o1 + groupBytes;
        long o3 = o2 + groupBytes;
        FloatVector s0 = FloatVector.zero(F);
        FloatVector s1 = FloatVector.zero(F);
        FloatVector s2 = FloatVector.zero(F);
        FloatVector s3 = FloatVector.zero(F);
        for (int m = 0; m < chunks; m++) {
            IntVector v0 = chunk(o0, m);
            IntVector v1 = chunk(o1, m);
            IntVector v2 = chunk(o2, m);
            IntVector v3 = chunk(o3, m);
            for (int j = 0; j < 4; j++) {
                FloatVector xv = FloatVector.broadcast(F, x[xb + 4 * m + j]);
                s0 = signedByte(v0, j).fma(xv, s0);
                s1 = signedByte(v1, j).fma(xv, s1);
                s2 = signedByte(v2, j).fma(xv, s2);
                s3 = signedByte(v3, j).fma(xv, s3);
            }
        }
        s0.fma(scales(o0), FloatVector.fromArray(F, out, r0)).intoArray(out, r0);
        s1.fma(scales(o1), FloatVector.fromArray(F, out, r0 + G)).intoArray(out, r0 + G);
        s2.fma(scales(o2), FloatVector.fromArray(F, out, r0 + 2 * G)).intoArray(out, r0 + 2 * G);
        s3.fma(scales(o3), FloatVector.fromArray(F, out, r0 + 3 * G)).intoArray(out, r0 + 3 * G);
    }

    // Nibbles: step i of a block (i = 0..31) takes chunk m = i / 8 and its nibble k = i % 8, value
    // (chunk >>> 4k) & 15, which is position 4m + k/2 + 16 (k % 2) of the block. The kernels read it through
    // nibble() and multiply it by the step-ordered activations of stepOrder().

    private IntVector chunk(long block, int m) {
        return IntVector.fromMemorySegment(I, data, block + codesAt + 4L * G * m, LE);
    }

    /** The activation that step {@code i} multiplies. */
    private static int at(int xb, int i) {
        return xb + 4 * (i >> 3) + ((i & 7) >> 1) + 16 * (i & 1);
    }

    private void q4One(int g, float[] x, float[] sums, float[] out) {
        int r = g * G;
        FloatVector.zero(F).intoArray(out, r);
        long o = g * groupBytes;
        for (int b = 0; b < blocks; b++, o += blockBytes) {
            q4OneBlock(o, x, 32 * b, sums[b], out, r);
        }
    }

    private void q4OneBlock(long o, float[] x, int xb, float blockSum, float[] out, int r) {
        FloatVector s = FloatVector.zero(F);
        for (int m = 0; m < 4; m++) {
            int p = xb + 8 * m;
            IntVector v = chunk(o, m);
            for (int k = 0; k < 8; k++) {
                s = ((FloatVector) nibble(v, k).convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, x[p + k]),
                        s);
            }
        }
        finishQ4(s, o, blockSum, FloatVector.fromArray(F, out, r)).intoArray(out, r);
    }

    /**
     * Four groups, a block at a time: four chains side by side, as a nibble step is too cheap for fewer to hide the
     * latency of the FMA. The chains leave the block through a per-thread array and get their block ends in a
     * method of their own: ended in place, the four would make the block method too large to compile into
     * registers, and the compiler would keep some vectors in the heap.
     */
    private void q4Four(int g, float[] x, float[] sums, float[] out) {
        int r0 = g * G;
        for (int k = 0; k < 4; k++) {
            FloatVector.zero(F).intoArray(out, r0 + k * G);
        }
        float[] chains = CHAINS.get();
        long o = g * groupBytes;
        for (int b = 0; b < blocks; b++, o += blockBytes) {
            q4FourBlock(o, x, 32 * b, chains);
            q4FourEnds(chains, o, sums[b], out, r0);
        }
    }

    private void q4FourBlock(long o0, float[] x, int xb, float[] chains) {
        long o1 = o0 + groupBytes;
        long o2 = o1 + groupBytes;
        long o3 = o2 + groupBytes;
        FloatVector s0 = FloatVector.zero(F);
        FloatVector s1 = FloatVector.zero(F);
        FloatVector s2 = FloatVector.zero(F);
        FloatVector s3 = FloatVector.zero(F);
        for (int m = 0; m < 4; m++) {
            int p = xb + 8 * m;
            IntVector v0 = chunk(o0, m);
            IntVector v1 = chunk(o1, m);
            IntVector v2 = chunk(o2, m);
            IntVector v3 = chunk(o3, m);
            for (int k = 0; k < 8; k++) {
                FloatVector xv = FloatVector.broadcast(F, x[p + k]);
                s0 = ((FloatVector) nibble(v0, k).convert(VectorOperators.I2F, 0)).fma(xv, s0);
                s1 = ((FloatVector) nibble(v1, k).convert(VectorOperators.I2F, 0)).fma(xv, s1);
                s2 = ((FloatVector) nibble(v2, k).convert(VectorOperators.I2F, 0)).fma(xv, s2);
                s3 = ((FloatVector) nibble(v3, k).convert(VectorOperators.I2F, 0)).fma(xv, s3);
            }
        }
        s0.intoArray(chains, 0);
        s1.intoArray(chains, G);
        s2.intoArray(chains, 2 * G);
        s3.intoArray(chains, 3 * G);
    }

    private void q4FourEnds(float[] chains, long o0, float blockSum, float[] out, int r0) {
        for (int i = 0; i < 4; i++) {
            int r = r0 + i * G;
            finishQ4(FloatVector.fromArray(F, chains, i * G), o0 + i * groupBytes, blockSum,
                    FloatVector.fromArray(F, out, r)).intoArray(out, r);
        }
    }
}
