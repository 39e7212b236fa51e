// Reference decoding of every GGML block format this engine reads: the plain maths, one block at a time.
// The fast kernels are checked against these; formats follow ggml's block layouts (little-endian, fp16 scales).
package io.puhui.engine.tensor;

import io.puhui.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

public final class BlockCodec {
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;

    /** The non-uniform 4-bit codebook of IQ4_NL. */
    static final byte[] IQ4_NL_VALUES = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    private BlockCodec() {
    }

    static float f16(MemorySegment s, long off) {
        return Float.float16ToFloat(s.get(SHORT, off));
    }

    static int u8(MemorySegment s, long off) {
        return s.get(BYTE, off) & 0xFF;
    }

    /**
     * Decodes {@code count} values (a multiple of the block size) starting at byte {@code off} of {@code src}.
     */
    public static void dequantize(GgmlType type, MemorySegment src, long off, float[] dst, int dstOff, int count) {
        int blocks = count / type.blockSize;
        switch (type) {
            case F32 -> MemorySegment.copy(src, FLOAT, off, dst, dstOff, count);
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = f16(src, off + 2L * i);
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = Float.intBitsToFloat((src.get(SHORT, off + 2L * i) & 0xFFFF) << 16);
                }
            }
            default -> {
                for (int b = 0; b < blocks; b++) {
                    dequantizeBlock(type, src, off + (long) b * type.bytesPerBlock, dst, dstOff + b * type.blockSize);
                }
            }
        }
    }

    static void dequantizeBlock(GgmlType type, MemorySegment s, long o, float[] y, int yo) {
        switch (type) {
            case Q4_0 -> {
                float d = f16(s, o);
                for (int j = 0; j < 16; j++) {
                    int q = u8(s, o + 2 + j);
                    y[yo + j] = ((q & 0xF) - 8) * d;
                    y[yo + j + 16] = ((q >>> 4) - 8) * d;
                }
            }
            case Q4_1 -> {
                float d = f16(s, o);
                float m = f16(s, o + 2);
                for (int j = 0; j < 16; j++) {
                    int q = u8(s, o + 4 + j);
                    y[yo + j] = (q & 0xF) * d + m;
                    y[yo + j + 16] = (q >>> 4) * d + m;
                }
            }
            case Q5_0 -> {
                float d = f16(s, o);
                int qh = s.get(INT, o + 2);
                for (int j = 0; j < 16; j++) {
                    int q = u8(s, o + 6 + j);
                    int h0 = ((qh >>> j) << 4) & 0x10;
                    int h1 = (qh >>> (j + 12)) & 0x10;
                    y[yo + j] = (((q & 0xF) | h0) - 16) * d;
                    y[yo + j + 16] = (((q >>> 4) | h1) - 16) * d;
                }
            }
            case Q5_1 -> {
                float d = f16(s, o);
                float m = f16(s, o + 2);
                int qh = s.get(INT, o + 4);
                for (int j = 0; j < 16; j++) {
                    int q = u8(s, o + 8 + j);
                    int h0 = ((qh >>> j) << 4) & 0x10;
                    int h1 = (qh >>> (j + 12)) & 0x10;
                    y[yo + j] = ((q & 0xF) | h0) * d + m;
                    y[yo + j + 16] = ((q >>> 4) | h1) * d + m;
                }
            }
            case Q8_0 -> {
                float d = f16(s, o);
                for (int j = 0; j < 32; j++) {
                    y[yo + j] = s.get(BYTE, o + 2 + j) * d;
                }
            }
            case Q8_1 -> {
                float d = f16(s, o);
                for (int j = 0; j < 32; j++) {
                    y[yo + j] = s.get(BYTE, o + 4 + j) * d;
                }
            }
            case IQ4_NL -> {
                float d = f16(s, o);
                for (int j = 0; j < 16; j++) {
                    int q = u8(s, o + 2 + j);
                    y[yo + j] = d * IQ4_NL_VALUES[q & 0xF];
                    y[yo + j + 16] = d * IQ4_NL_VALUES[q >>> 4];
                }
            }
            case Q2_K -> dequantizeQ2K(s, o, y, yo);
            case Q3_K -> dequantizeQ3K(s, o, y, yo);
            case Q4_K -> dequantizeQ4K(s, o, y, yo);
            case Q5_K -> dequantizeQ5K(s, o, y, yo);
            case Q6_K -> dequantizeQ6K(s, o, y, yo);
            case Q8_K -> {
                float d = s.get(FLOAT, o);
                for (int j = 0; j < 256; j++) {
                    y[yo + j] = d * s.get(BYTE, o + 4 + j);
                }
            }
            default -> throw new IllegalArgumentException("no block decoder for " + type);
        }
    }

    /** Q4_K/Q5_K pack eight 6-bit scales and eight 6-bit mins into 12 bytes; returns scale | min << 8. */
    static int scaleMinK4(int j, MemorySegment s, long q) {
        int sc;
        int m;
        if (j < 4) {
            sc = u8(s, q + j) & 63;
            m = u8(s, q + j + 4) & 63;
        } else {
            sc = (u8(s, q + j + 4) & 0xF) | ((u8(s, q + j - 4) >>> 6) << 4);
            m = (u8(s, q + j + 4) >>> 4) | ((u8(s, q + j) >>> 6) << 4);
        }
        return sc | (m << 8);
    }

    private static void dequantizeQ2K(MemorySegment s, long o, float[] y, int yo) {
        // layout: scales[16], qs[64], d, dmin
        long scales = o;
        long qs = o + 16;
        float d = f16(s, o + 80);
        float min = f16(s, o + 82);
        int is = 0;
        int out = yo;
        for (int n = 0; n < 256; n += 128) {
            long q = qs + n / 4;
            int shift = 0;
            for (int j = 0; j < 4; j++) {
                int sc = u8(s, scales + is++);
                float dl = d * (sc & 0xF);
                float ml = min * (sc >>> 4);
                for (int l = 0; l < 16; l++) {
                    y[out++] = dl * ((u8(s, q + l) >>> shift) & 3) - ml;
                }
                sc = u8(s, scales + is++);
                dl = d * (sc & 0xF);
                ml = min * (sc >>> 4);
                for (int l = 0; l < 16; l++) {
                    y[out++] = dl * ((u8(s, q + l + 16) >>> shift) & 3) - ml;
                }
                shift += 2;
            }
        }
    }

    /** The sixteen signed 6-bit scales of a Q3_K block, unpacked from their 12 bytes. */
    static void q3kScales(MemorySegment s, long scalesOff, int[] out) {
        int a0 = s.get(INT, scalesOff);
        int a1 = s.get(INT, scalesOff + 4);
        int tmp = s.get(INT, scalesOff + 8);
        final int kmask1 = 0x03030303;
        final int kmask2 = 0x0f0f0f0f;
        int[] aux = {
            (a0 & kmask2) | (((tmp) & kmask1) << 4),
            (a1 & kmask2) | (((tmp >>> 2) & kmask1) << 4),
            ((a0 >>> 4) & kmask2) | (((tmp >>> 4) & kmask1) << 4),
            ((a1 >>> 4) & kmask2) | (((tmp >>> 6) & kmask1) << 4)};
        for (int i = 0; i < 16; i++) {
            out[i] = ((aux[i / 4] >>> (8 * (i % 4))) & 0xFF) - 32;
        }
    }

    private static void dequantizeQ3K(MemorySegment s, long o, float[] y, int yo) {
        // layout: hmask[32], qs[64], scales[12], d
        long hm = o;
        long qs = o + 32;
        float d = f16(s, o + 108);
        int[] scales = new int[16];
        q3kScales(s, o + 96, scales);
        int is = 0;
        int out = yo;
        int m = 1;
        for (int n = 0; n < 256; n += 128) {
            long q = qs + n / 4;
            int shift = 0;
            for (int j = 0; j < 4; j++) {
                float dl = d * scales[is++];
                for (int l = 0; l < 16; l++) {
                    int v = ((u8(s, q + l) >>> shift) & 3) - ((u8(s, hm + l) & m) != 0 ? 0 : 4);
                    y[out++] = dl * v;
                }
                dl = d * scales[is++];
                for (int l = 0; l < 16; l++) {
                    int v = ((u8(s, q + l + 16) >>> shift) & 3) - ((u8(s, hm + l + 16) & m) != 0 ? 0 : 4);
                    y[out++] = dl * v;
                }
                shift += 2;
                m <<= 1;
            }
        }
    }

    private static void dequantizeQ4K(MemorySegment s, long o, float[] y, int yo) {
        // layout: d, dmin, scales[12], qs[128]
        float d = f16(s, o);
        float min = f16(s, o + 2);
        long scales = o + 4;
        long q = o + 16;
        int is = 0;
        int out = yo;
        for (int j = 0; j < 256; j += 64) {
            int sm = scaleMinK4(is, s, scales);
            float d1 = d * (sm & 0xFF);
            float m1 = min * (sm >>> 8);
            sm = scaleMinK4(is + 1, s, scales);
            float d2 = d * (sm & 0xFF);
            float m2 = min * (sm >>> 8);
            for (int l = 0; l < 32; l++) {
                y[out + l] = d1 * (u8(s, q + l) & 0xF) - m1;
                y[out + 32 + l] = d2 * (u8(s, q + l) >>> 4) - m2;
            }
            out += 64;
            q += 32;
            is += 2;
        }
    }

    private static void dequantizeQ5K(MemorySegment s, long o, float[] y, int yo) {
        // layout: d, dmin, scales[12], qh[32], qs[128]
        float d = f16(s, o);
        float min = f16(s, o + 2);
        long scales = o + 4;
        long qh = o + 16;
        long ql = o + 48;
        int is = 0;
        int out = yo;
        int u1 = 1;
        int u2 = 2;
        for (int j = 0; j < 256; j += 64) {
            int sm = scaleMinK4(is, s, scales);
            float d1 = d * (sm & 0xFF);
            float m1 = min * (sm >>> 8);
            sm = scaleMinK4(is + 1, s, scales);
            float d2 = d * (sm & 0xFF);
            float m2 = min * (sm >>> 8);
            for (int l = 0; l < 32; l++) {
                int h = u8(s, qh + l);
                y[out + l] = d1 * ((u8(s, ql + l) & 0xF) + ((h & u1) != 0 ? 16 : 0)) - m1;
                y[out + 32 + l] = d2 * ((u8(s, ql + l) >>> 4) + ((h & u2) != 0 ? 16 : 0)) - m2;
            }
            out += 64;
            ql += 32;
            is += 2;
            u1 <<= 2;
            u2 <<= 2;
        }
    }

    private static void dequantizeQ6K(MemorySegment s, long o, float[] y, int yo) {
        // layout: ql[128], qh[64], scales[16] (int8), d
        long ql = o;
        long qh = o + 128;
        long sc = o + 192;
        float d = f16(s, o + 208);
        int out = yo;
        for (int n = 0; n < 256; n += 128) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int h = u8(s, qh + l);
                int q1 = ((u8(s, ql + l) & 0xF) | ((h & 3) << 4)) - 32;
                int q2 = ((u8(s, ql + l + 32) & 0xF) | (((h >>> 2) & 3) << 4)) - 32;
                int q3 = ((u8(s, ql + l) >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                int q4 = ((u8(s, ql + l + 32) >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                y[out + l] = d * s.get(BYTE, sc + is) * q1;
                y[out + l + 32] = d * s.get(BYTE, sc + is + 2) * q2;
                y[out + l + 64] = d * s.get(BYTE, sc + is + 4) * q3;
                y[out + l + 96] = d * s.get(BYTE, sc + is + 6) * q4;
            }
            out += 128;
            ql += 64;
            qh += 32;
            sc += 8;
        }
    }
}
