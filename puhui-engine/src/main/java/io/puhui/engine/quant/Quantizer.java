// Float rows to GGML block formats. Without an importance matrix every type follows ggml's reference
// quantizer (the one llama-quantize uses), so the same input gives the same bytes; with one, the searches weigh
// each column by its importance the way llama.cpp's imatrix quantization does.
package io.puhui.engine.quant;

import static io.puhui.engine.quant.ScaleSearch.nearestInt;

import io.puhui.engine.gguf.GgmlType;

public final class Quantizer {
    private static final int QK_K = 256;
    private static final byte[] IQ4_NL_VALUES = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    private Quantizer() {
    }

    /** True for the types this class can write. */
    public static boolean canWrite(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL -> true;
            default -> false;
        };
    }

    /** Bytes one row of {@code perRow} values takes in {@code type}. */
    public static int rowBytes(GgmlType type, int perRow) {
        return Math.toIntExact(type.byteSize(perRow));
    }

    /**
     * Quantizes {@code rows} rows of {@code perRow} values, starting at {@code x[xo]}, into {@code dst} at
     * {@code dstOff}. {@code importance} (one non-negative weight per column, or null) steers the searches of the
     * types that use one; Q8_0 and the float types ignore it.
     */
    public static void quantizeRows(GgmlType type, float[] x, int xo, int rows, int perRow, float[] importance,
            byte[] dst, int dstOff) {
        if (!canWrite(type)) {
            throw new IllegalArgumentException("cannot quantize to " + type);
        }
        if (perRow % type.blockSize != 0) {
            throw new IllegalArgumentException(
                    "rows of " + perRow + " values do not divide into " + type + " blocks of " + type.blockSize);
        }
        if (importance != null && importance.length != perRow) {
            throw new IllegalArgumentException(
                    "importance has " + importance.length + " entries for rows of " + perRow + " values");
        }
        if (usesSearch(type, importance)) {
            StepSearch.warmUp();
        }
        Scratch s = new Scratch();
        int rowBytes = rowBytes(type, perRow);
        for (int r = 0; r < rows; r++) {
            quantizeRow(type, x, xo + r * perRow, perRow, importance, dst, dstOff + r * rowBytes, s);
        }
    }

    /** Whether a type's quantizer runs the scale searches (the plain legacy ones do not without importance). */
    private static boolean usesSearch(GgmlType type, float[] importance) {
        return switch (type) {
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> true;
            case Q4_0, Q4_1, Q5_0, Q5_1 -> importance != null;
            default -> false;
        };
    }

    /** Quantizes all of {@code x} (whole rows of {@code perRow}) into a new array. */
    public static byte[] quantize(GgmlType type, float[] x, int perRow, float[] importance) {
        if (x.length % perRow != 0) {
            throw new IllegalArgumentException(x.length + " values are not whole rows of " + perRow);
        }
        byte[] out = new byte[Math.toIntExact(type.byteSize(x.length))];
        quantizeRows(type, x, 0, x.length / perRow, perRow, importance, out, 0);
        return out;
    }

    /** Working arrays, one set per caller, so rows can be quantized on many threads at once. */
    private static final class Scratch {
        final byte[] levels = new byte[QK_K];
        final byte[] aux = new byte[32];
        final byte[] levelsOfScales = new byte[16];
        final byte[] levelsOfMins = new byte[16];
        final float[] weights = new float[32];
        final float[] scales = new float[16];
        final float[] mins = new float[16];
        final float[] sumWeights = new float[16];
        final float[] search = new float[StepSearch.scratchSize()];
    }

    /** The scratch for the vector candidate loops once they are compiled, else null (the scalar loops). */
    private static float[] lanes(Scratch s) {
        return StepSearch.active() ? s.search : null;
    }

    private static void quantizeRow(GgmlType type, float[] x, int xo, int n, float[] qw, byte[] y, int yo,
            Scratch s) {
        switch (type) {
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    putInt(y, yo + 4 * i, Float.floatToRawIntBits(x[xo + i]));
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    putF16(y, yo + 2 * i, x[xo + i]);
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    putShort(y, yo + 2 * i, toBf16(x[xo + i]));
                }
            }
            case Q8_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    q8_0(x, xo + 32 * b, y, yo + 34 * b);
                }
            }
            case Q4_0, Q4_1, Q5_0, Q5_1 -> legacyRow(type, x, xo, n, qw, y, yo, s);
            case Q2_K -> {
                for (int b = 0; b < n / QK_K; b++) {
                    if (qw == null) {
                        q2K(x, xo + QK_K * b, y, yo + 84 * b, s);
                    } else {
                        q2KWeighted(x, xo + QK_K * b, qw, QK_K * b, y, yo + 84 * b, s);
                    }
                }
            }
            case Q3_K -> {
                for (int b = 0; b < n / QK_K; b++) {
                    if (qw == null) {
                        q3K(x, xo + QK_K * b, y, yo + 110 * b, s);
                    } else {
                        q3KWeighted(x, xo + QK_K * b, qw, QK_K * b, y, yo + 110 * b, s);
                    }
                }
            }
            case Q4_K, Q5_K -> {
                int bytes = type == GgmlType.Q4_K ? 144 : 176;
                for (int b = 0; b < n / QK_K; b++) {
                    q45K(type == GgmlType.Q5_K, x, xo + QK_K * b, qw, QK_K * b, y, yo + bytes * b, s);
                }
            }
            case Q6_K -> {
                for (int b = 0; b < n / QK_K; b++) {
                    q6K(x, xo + QK_K * b, qw, QK_K * b, y, yo + 210 * b, s);
                }
            }
            case IQ4_NL -> {
                for (int b = 0; b < n / 32; b++) {
                    iq4Nl(x, xo + 32 * b, qw, 32 * b, y, yo + 18 * b, s);
                }
            }
            default -> throw new IllegalArgumentException("cannot quantize to " + type);
        }
    }

    // ---- bytes

    private static void putShort(byte[] b, int o, int v) {
        b[o] = (byte) v;
        b[o + 1] = (byte) (v >> 8);
    }

    private static void putInt(byte[] b, int o, int v) {
        b[o] = (byte) v;
        b[o + 1] = (byte) (v >> 8);
        b[o + 2] = (byte) (v >> 16);
        b[o + 3] = (byte) (v >> 24);
    }

    private static void putF16(byte[] b, int o, float v) {
        putShort(b, o, Float.floatToFloat16(v));
    }

    /** The value a stored half actually holds: later steps work with it, not with the float it came from. */
    private static float f16(byte[] b, int o) {
        return Float.float16ToFloat((short) ((b[o] & 0xFF) | (b[o + 1] << 8)));
    }

    /** Round to nearest even; a NaN stays a (quiet) NaN. */
    static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 64);
        }
        return (short) ((bits + (0x7fff + ((bits >>> 16) & 1))) >>> 16);
    }

    /** C's roundf: halves away from zero. */
    static int roundHalfAway(float v) {
        return (int) Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v);
    }

    // ---- legacy 32-value blocks

    private static void q8_0(float[] x, int xo, byte[] y, int yo) {
        float amax = 0;
        for (int j = 0; j < 32; j++) {
            amax = Math.max(amax, Math.abs(x[xo + j]));
        }
        float d = amax / 127;
        float id = d != 0 ? 1f / d : 0f;
        putF16(y, yo, d);
        for (int j = 0; j < 32; j++) {
            y[yo + 2 + j] = (byte) roundHalfAway(x[xo + j] * id);
        }
    }

    private static void legacyRow(GgmlType type, float[] x, int xo, int n, float[] qw, byte[] y, int yo, Scratch s) {
        int blocks = n / 32;
        int bytes = type.bytesPerBlock;
        if (qw == null) {
            for (int b = 0; b < blocks; b++) {
                int bx = xo + 32 * b;
                int by = yo + bytes * b;
                switch (type) {
                    case Q4_0 -> q4_0(x, bx, y, by);
                    case Q4_1 -> q4_1(x, bx, y, by);
                    case Q5_0 -> q5_0(x, bx, y, by, s.levels);
                    default -> q5_1(x, bx, y, by, s.levels);
                }
            }
            return;
        }
        float sumX2 = 0;
        for (int j = 0; j < n; j++) {
            sumX2 += x[xo + j] * x[xo + j];
        }
        float sigma2 = sumX2 / n;
        byte[] L = s.levels;
        for (int b = 0; b < blocks; b++) {
            int bx = xo + 32 * b;
            int by = yo + bytes * b;
            for (int j = 0; j < 32; j++) {
                float v = x[bx + j];
                s.weights[j] = qw[32 * b + j] * (float) Math.sqrt(sigma2 + v * v);
            }
            switch (type) {
                case Q4_0 -> {
                    float d = ScaleSearch.makeQx(32, 8, x, bx, L, 0, 1, s.weights, 0, lanes(s));
                    putF16(y, by, d);
                    for (int j = 0; j < 16; j++) {
                        y[by + 2 + j] = (byte) (L[j] | (L[j + 16] << 4));
                    }
                }
                case Q5_0 -> {
                    float d = ScaleSearch.makeQx(32, 16, x, bx, L, 0, 1, s.weights, 0, lanes(s));
                    putF16(y, by, d);
                    packQ5(L, y, by + 2, by + 6);
                }
                case Q4_1 -> {
                    float d = ScaleSearch.makeQkx(32, 15, x, bx, s.weights, 0, L, 0, s.mins, 0, s.aux, -0.9f, 0.05f,
                            36, false, lanes(s));
                    putF16(y, by, d);
                    putF16(y, by + 2, -s.mins[0]);
                    for (int j = 0; j < 16; j++) {
                        y[by + 4 + j] = (byte) (L[j] | (L[j + 16] << 4));
                    }
                }
                default -> {
                    float d = ScaleSearch.makeQkx(32, 31, x, bx, s.weights, 0, L, 0, s.mins, 0, s.aux, -0.9f, 0.05f,
                            36, false, lanes(s));
                    putF16(y, by, d);
                    putF16(y, by + 2, -s.mins[0]);
                    packQ5(L, y, by + 4, by + 8);
                }
            }
        }
    }

    /** Low nibbles of 32 five-bit levels into {@code qs}, their fifth bits into the 32-bit {@code qh}. */
    private static void packQ5(byte[] L, byte[] y, int qhOff, int qsOff) {
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int a = L[j] & 0xFF;
            int b = L[j + 16] & 0xFF;
            y[qsOff + j] = (byte) ((a & 0x0F) | ((b & 0x0F) << 4));
            qh |= ((a & 0x10) >>> 4) << j;
            qh |= ((b & 0x10) >>> 4) << (j + 16);
        }
        putInt(y, qhOff, qh);
    }

    private static void q4_0(float[] x, int xo, byte[] y, int yo) {
        float max = ScaleSearch.largestMagnitude(x, xo, 32);
        float d = max / -8;
        float id = d != 0 ? 1f / d : 0f;
        putF16(y, yo, d);
        for (int j = 0; j < 16; j++) {
            int a = Math.min(15, (byte) (int) (x[xo + j] * id + 8.5f));
            int b = Math.min(15, (byte) (int) (x[xo + 16 + j] * id + 8.5f));
            y[yo + 2 + j] = (byte) (a | (b << 4));
        }
    }

    private static void q4_1(float[] x, int xo, byte[] y, int yo) {
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            float v = x[xo + j];
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
        }
        float d = (max - min) / 15;
        float id = d != 0 ? 1f / d : 0f;
        putF16(y, yo, d);
        putF16(y, yo + 2, min);
        for (int j = 0; j < 16; j++) {
            int a = Math.min(15, (byte) (int) ((x[xo + j] - min) * id + 0.5f));
            int b = Math.min(15, (byte) (int) ((x[xo + 16 + j] - min) * id + 0.5f));
            y[yo + 4 + j] = (byte) (a | (b << 4));
        }
    }

    private static void q5_0(float[] x, int xo, byte[] y, int yo, byte[] L) {
        float max = ScaleSearch.largestMagnitude(x, xo, 32);
        float d = max / -16;
        float id = d != 0 ? 1f / d : 0f;
        putF16(y, yo, d);
        for (int j = 0; j < 32; j++) {
            L[j] = (byte) Math.min(31, (byte) (int) (x[xo + j] * id + 16.5f));
        }
        packQ5(L, y, yo + 2, yo + 6);
    }

    private static void q5_1(float[] x, int xo, byte[] y, int yo, byte[] L) {
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            float v = x[xo + j];
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
        }
        float d = (max - min) / 31;
        float id = d != 0 ? 1f / d : 0f;
        putF16(y, yo, d);
        putF16(y, yo + 2, min);
        for (int j = 0; j < 32; j++) {
            L[j] = (byte) (int) ((x[xo + j] - min) * id + 0.5f);
        }
        packQ5(L, y, yo + 4, yo + 8);
    }

    // ---- k-quants: super-blocks of 256

    /** 2-bit levels, four per byte, in Q2_K/Q3_K's order (four 32-value groups share a byte per 128 values). */
    private static void pack2Bit(byte[] L, byte[] y, int qsOff) {
        for (int j = 0; j < QK_K; j += 128) {
            for (int l = 0; l < 32; l++) {
                y[qsOff + j / 4 + l] = (byte) (L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4)
                        | (L[j + l + 96] << 6));
            }
        }
    }

    private static void q2K(float[] x, int xo, byte[] y, int yo, Scratch s) {
        byte[] L = s.levels;
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < 16; j++) {
            for (int l = 0; l < 16; l++) {
                s.weights[l] = Math.abs(x[xo + 16 * j + l]);
            }
            s.scales[j] = ScaleSearch.makeQkx(16, 3, x, xo + 16 * j, s.weights, 0, L, 16 * j, s.mins, j, s.aux,
                    -0.5f, 0.1f, 15, true, lanes(s));
            if (s.scales[j] > maxScale) {
                maxScale = s.scales[j];
            }
            if (s.mins[j] > maxMin) {
                maxMin = s.mins[j];
            }
        }
        int sc = yo; // 16 scale bytes: scale in the low nibble, min in the high
        if (maxScale > 0) {
            float iscale = 15f / maxScale;
            for (int j = 0; j < 16; j++) {
                y[sc + j] = (byte) nearestInt(iscale * s.scales[j]);
            }
            putF16(y, yo + 80, maxScale / 15f);
        } else {
            for (int j = 0; j < 16; j++) {
                y[sc + j] = 0;
            }
            putF16(y, yo + 80, 0f);
        }
        if (maxMin > 0) {
            float iscale = 15f / maxMin;
            for (int j = 0; j < 16; j++) {
                y[sc + j] |= (byte) (nearestInt(iscale * s.mins[j]) << 4);
            }
            putF16(y, yo + 82, maxMin / 15f);
        } else {
            putF16(y, yo + 82, 0f);
        }
        q2KRequantize(x, xo, y, yo, L);
        pack2Bit(L, y, yo + 16);
    }

    private static void q2KRequantize(float[] x, int xo, byte[] y, int yo, byte[] L) {
        float dAll = f16(y, yo + 80);
        float mAll = f16(y, yo + 82);
        for (int j = 0; j < 16; j++) {
            int sc = y[yo + j] & 0xFF;
            float d = dAll * (sc & 0xF);
            if (d == 0) {
                continue;
            }
            float dm = mAll * (sc >>> 4);
            for (int i = 0; i < 16; i++) {
                int l = nearestInt((x[xo + 16 * j + i] + dm) / d);
                L[16 * j + i] = (byte) Math.max(0, Math.min(3, l));
            }
        }
    }

    private static void q2KWeighted(float[] x, int xo, float[] qw, int qo, byte[] y, int yo, Scratch s) {
        byte[] L = s.levels;
        float sumX2 = 0;
        for (int j = 0; j < QK_K; j++) {
            sumX2 += x[xo + j] * x[xo + j];
        }
        float sigma2 = sumX2 / QK_K;
        for (int j = 0; j < 16; j++) {
            float sw = 0;
            for (int l = 0; l < 16; l++) {
                float v = x[xo + 16 * j + l];
                s.weights[l] = qw[qo + 16 * j + l] * (float) Math.sqrt(sigma2 + v * v);
                sw += s.weights[l];
            }
            s.sumWeights[j] = sw;
            s.scales[j] = ScaleSearch.makeQkx(16, 3, x, xo + 16 * j, s.weights, 0, L, 16 * j, s.mins, j, s.aux,
                    -0.9f, 0.05f, 36, false, lanes(s));
        }
        float dm = ScaleSearch.makeQp(16, 15, s.scales, s.levelsOfScales, s.sumWeights);
        float mm = ScaleSearch.makeQp(16, 15, s.mins, s.levelsOfMins, s.sumWeights);
        putF16(y, yo + 80, dm);
        putF16(y, yo + 82, mm);
        for (int j = 0; j < 16; j++) {
            y[yo + j] = (byte) (s.levelsOfScales[j] | (s.levelsOfMins[j] << 4));
        }
        q2KRequantize(x, xo, y, yo, L);
        pack2Bit(L, y, yo + 16);
    }

    /** Q3_K's sixteen 6-bit scales (stored +32) packed into 12 bytes: low nibbles, then the top two bits. */
    private static void packQ3Scales(byte[] y, int so, int j, int l) {
        if (j < 8) {
            y[so + j] = (byte) (l & 0xF);
        } else {
            y[so + j - 8] |= (byte) ((l & 0xF) << 4);
        }
        y[so + j % 4 + 8] |= (byte) ((l >> 4) << (2 * (j / 4)));
    }

    private static void q3KFinish(float[] x, int xo, byte[] y, int yo, byte[] L) {
        int so = yo + 96;
        float dAll = f16(y, yo + 108);
        for (int j = 0; j < 16; j++) {
            int low = j < 8 ? y[so + j] & 0xF : (y[so + j - 8] & 0xFF) >>> 4;
            int sc = (low | ((((y[so + 8 + j % 4] & 0xFF) >>> (2 * (j / 4))) & 3) << 4)) - 32;
            float d = dAll * sc;
            if (d == 0) {
                continue;
            }
            for (int i = 0; i < 16; i++) {
                int l = nearestInt(x[xo + 16 * j + i] / d);
                L[16 * j + i] = (byte) (Math.max(-4, Math.min(3, l)) + 4);
            }
        }
        // the third bit of each level goes to hmask: bit k of byte m belongs to value 32k + m
        for (int m = 0; m < 32; m++) {
            y[yo + m] = 0;
        }
        int m = 0;
        int hm = 1;
        for (int j = 0; j < QK_K; j++) {
            if (L[j] > 3) {
                y[yo + m] |= (byte) hm;
                L[j] -= 4;
            }
            if (++m == 32) {
                m = 0;
                hm <<= 1;
            }
        }
        pack2Bit(L, y, yo + 32);
    }

    private static void q3K(float[] x, int xo, byte[] y, int yo, Scratch s) {
        byte[] L = s.levels;
        float maxScale = 0;
        float amax = 0;
        for (int j = 0; j < 16; j++) {
            s.scales[j] = ScaleSearch.makeQ3(16, 4, x, xo + 16 * j, L, 16 * j);
            float scale = Math.abs(s.scales[j]);
            if (scale > amax) {
                amax = scale;
                maxScale = s.scales[j];
            }
        }
        int so = yo + 96;
        for (int j = 0; j < 12; j++) {
            y[so + j] = 0;
        }
        if (maxScale != 0) {
            float iscale = -32f / maxScale;
            for (int j = 0; j < 16; j++) {
                int l = (byte) nearestInt(iscale * s.scales[j]);
                l = Math.max(-32, Math.min(31, l)) + 32;
                packQ3Scales(y, so, j, l);
            }
            putF16(y, yo + 108, 1 / iscale);
        } else {
            putF16(y, yo + 108, 0f);
        }
        q3KFinish(x, xo, y, yo, L);
    }

    private static void q3KWeighted(float[] x, int xo, float[] qw, int qo, byte[] y, int yo, Scratch s) {
        byte[] L = s.levels;
        float sumX2 = 0;
        for (int j = 0; j < QK_K; j++) {
            sumX2 += x[xo + j] * x[xo + j];
        }
        float sigma2 = 2 * sumX2 / QK_K;
        for (int j = 0; j < 16; j++) {
            float sw = 0;
            for (int l = 0; l < 16; l++) {
                float v = x[xo + 16 * j + l];
                s.weights[l] = qw[qo + 16 * j + l] * (float) Math.sqrt(sigma2 + v * v);
            }
            for (int l = 0; l < 16; l++) {
                sw += s.weights[l];
            }
            s.sumWeights[j] = sw;
            s.scales[j] = ScaleSearch.makeQx(16, 4, x, xo + 16 * j, L, 16 * j, 1, s.weights, 0, lanes(s));
        }
        int so = yo + 96;
        for (int j = 0; j < 12; j++) {
            y[so + j] = 0;
        }
        float dBlock = ScaleSearch.makeQx(16, 32, s.scales, 0, s.levelsOfScales, 0, 1, s.sumWeights, 0,
                lanes(s));
        for (int j = 0; j < 16; j++) {
            packQ3Scales(y, so, j, s.levelsOfScales[j]);
        }
        putF16(y, yo + 108, dBlock);
        q3KFinish(x, xo, y, yo, L);
    }

    /** Q4_K/Q5_K's eight 6-bit scales and mins in 12 bytes. */
    private static void packScaleMin(byte[] y, int so, int j, int ls, int lm) {
        if (j < 4) {
            y[so + j] = (byte) ls;
            y[so + j + 4] = (byte) lm;
        } else {
            y[so + j + 4] = (byte) ((ls & 0xF) | ((lm & 0xF) << 4));
            y[so + j - 4] |= (byte) ((ls >> 4) << 6);
            y[so + j] |= (byte) ((lm >> 4) << 6);
        }
    }

    private static int scaleK4(byte[] y, int so, int j) {
        return j < 4 ? y[so + j] & 63 : (y[so + j + 4] & 0xF) | (((y[so + j - 4] & 0xFF) >>> 6) << 4);
    }

    private static int minK4(byte[] y, int so, int j) {
        return j < 4 ? y[so + j + 4] & 63 : ((y[so + j + 4] & 0xFF) >>> 4) | (((y[so + j] & 0xFF) >>> 6) << 4);
    }

    private static void q45K(boolean five, float[] x, int xo, float[] qw, int qo, byte[] y, int yo, Scratch s) {
        int nmax = five ? 31 : 15;
        byte[] L = s.levels;
        int so = yo + 4;
        if (qw == null) {
            float maxScale = 0;
            float maxMin = 0;
            for (int j = 0; j < 8; j++) {
                float sumX2 = 0;
                for (int l = 0; l < 32; l++) {
                    float v = x[xo + 32 * j + l];
                    sumX2 += v * v;
                }
                float avX = (float) Math.sqrt(sumX2 / 32);
                for (int l = 0; l < 32; l++) {
                    s.weights[l] = avX + Math.abs(x[xo + 32 * j + l]);
                }
                s.scales[j] = ScaleSearch.makeQkx(32, nmax, x, xo + 32 * j, s.weights, 0, L, 32 * j, s.mins, j,
                        s.aux, five ? -0.5f : -1f, 0.1f, five ? 15 : 20, false, lanes(s));
                if (s.scales[j] > maxScale) {
                    maxScale = s.scales[j];
                }
                if (s.mins[j] > maxMin) {
                    maxMin = s.mins[j];
                }
            }
            float invScale = maxScale > 0 ? 63f / maxScale : 0f;
            float invMin = maxMin > 0 ? 63f / maxMin : 0f;
            for (int j = 0; j < 8; j++) {
                int ls = Math.min(63, nearestInt(invScale * s.scales[j]) & 0xFF);
                int lm = Math.min(63, nearestInt(invMin * s.mins[j]) & 0xFF);
                packScaleMin(y, so, j, ls, lm);
            }
            putF16(y, yo, maxScale / 63f);
            putF16(y, yo + 2, maxMin / 63f);
        } else {
            float sumX2 = 0;
            for (int l = 0; l < QK_K; l++) {
                sumX2 += x[xo + l] * x[xo + l];
            }
            float sigma2 = 2 * sumX2 / QK_K;
            for (int j = 0; j < 8; j++) {
                for (int l = 0; l < 32; l++) {
                    float v = x[xo + 32 * j + l];
                    s.weights[l] = qw[qo + 32 * j + l] * (float) Math.sqrt(sigma2 + v * v);
                }
                float sw = 0;
                for (int l = 0; l < 32; l++) {
                    sw += s.weights[l];
                }
                s.sumWeights[j] = sw;
                s.scales[j] = ScaleSearch.makeQkx(32, nmax, x, xo + 32 * j, s.weights, 0, L, 32 * j, s.mins, j,
                        s.aux, -0.9f, 0.05f, 36, false, lanes(s));
            }
            float dBlock = ScaleSearch.makeQp(8, 63, s.scales, s.levelsOfScales, s.sumWeights);
            float mBlock = ScaleSearch.makeQp(8, 63, s.mins, s.levelsOfMins, s.sumWeights);
            for (int j = 0; j < 8; j++) {
                packScaleMin(y, so, j, Math.min(63, s.levelsOfScales[j] & 0xFF),
                        Math.min(63, s.levelsOfMins[j] & 0xFF));
            }
            putF16(y, yo, dBlock);
            putF16(y, yo + 2, mBlock);
        }
        float dAll = f16(y, yo);
        float mAll = f16(y, yo + 2);
        for (int j = 0; j < 8; j++) {
            float d = dAll * scaleK4(y, so, j);
            if (d == 0) {
                continue;
            }
            float dm = mAll * minK4(y, so, j);
            for (int i = 0; i < 32; i++) {
                int l = nearestInt((x[xo + 32 * j + i] + dm) / d);
                L[32 * j + i] = (byte) Math.max(0, Math.min(nmax, l));
            }
        }
        if (!five) {
            int q = yo + 16;
            for (int j = 0; j < QK_K; j += 64) {
                for (int l = 0; l < 32; l++) {
                    y[q + l] = (byte) (L[j + l] | (L[j + l + 32] << 4));
                }
                q += 32;
            }
            return;
        }
        int qh = yo + 16;
        int ql = yo + 48;
        for (int j = 0; j < 32; j++) {
            y[qh + j] = 0;
        }
        int m1 = 1;
        int m2 = 2;
        for (int n = 0; n < QK_K; n += 64) {
            for (int j = 0; j < 32; j++) {
                int l1 = L[n + j];
                if (l1 > 15) {
                    l1 -= 16;
                    y[qh + j] |= (byte) m1;
                }
                int l2 = L[n + j + 32];
                if (l2 > 15) {
                    l2 -= 16;
                    y[qh + j] |= (byte) m2;
                }
                y[ql + j] = (byte) (l1 | (l2 << 4));
            }
            m1 <<= 2;
            m2 <<= 2;
            ql += 32;
        }
    }

    private static void q6K(float[] x, int xo, float[] qw, int qo, byte[] y, int yo, Scratch s) {
        byte[] L = s.levels;
        float maxScale = 0;
        float maxAbsScale = 0;
        for (int ib = 0; ib < 16; ib++) {
            float scale = ScaleSearch.makeQx(16, 32, x, xo + 16 * ib, L, 16 * ib, 1, qw, qo + 16 * ib, lanes(s));
            s.scales[ib] = scale;
            float abs = Math.abs(scale);
            if (abs > maxAbsScale) {
                maxAbsScale = abs;
                maxScale = scale;
            }
        }
        if (maxAbsScale < ScaleSearch.GROUP_MAX_EPS) {
            for (int i = 0; i < 210; i++) {
                y[yo + i] = 0;
            }
            return;
        }
        float iscale = -128f / maxScale;
        putF16(y, yo + 208, 1 / iscale);
        int so = yo + 192;
        for (int ib = 0; ib < 16; ib++) {
            y[so + ib] = (byte) Math.min(127, nearestInt(iscale * s.scales[ib]));
        }
        float dAll = f16(y, yo + 208);
        for (int j = 0; j < 16; j++) {
            float d = dAll * y[so + j];
            if (d == 0) {
                continue;
            }
            for (int i = 0; i < 16; i++) {
                int l = nearestInt(x[xo + 16 * j + i] / d);
                L[16 * j + i] = (byte) (Math.max(-32, Math.min(31, l)) + 32);
            }
        }
        int ql = yo;
        int qh = yo + 128;
        for (int j = 0; j < QK_K; j += 128) {
            for (int l = 0; l < 32; l++) {
                int a = L[j + l];
                int b = L[j + l + 32];
                int c = L[j + l + 64];
                int d = L[j + l + 96];
                y[ql + l] = (byte) ((a & 0xF) | ((c & 0xF) << 4));
                y[ql + l + 32] = (byte) ((b & 0xF) | ((d & 0xF) << 4));
                y[qh + l] = (byte) ((a >> 4) | ((b >> 4) << 2) | ((c >> 4) << 4) | ((d >> 4) << 6));
            }
            ql += 64;
            qh += 32;
        }
    }

    // ---- IQ4_NL: 32 values on a fixed non-linear grid with one scale

    private static void iq4Nl(float[] x, int xo, float[] qw, int qo, byte[] y, int yo, Scratch s) {
        final int ntry = 7;
        byte[] values = IQ4_NL_VALUES;
        byte[] L = s.levels;
        float sigma2 = 0;
        for (int j = 0; j < 32; j++) {
            sigma2 += x[xo + j] * x[xo + j];
        }
        sigma2 *= 2f / 32;
        for (int j = 0; j < 32; j++) {
            float v = x[xo + j];
            s.weights[j] = qw != null ? qw[qo + j] * (float) Math.sqrt(sigma2 + v * v) : v * v;
        }
        float max = ScaleSearch.largestMagnitude(x, xo, 32);
        float amax = Math.abs(max);
        float scale = 0;
        if (amax >= ScaleSearch.GROUP_MAX_EPS) {
            float d = -max / values[0];
            float id = 1 / d;
            float sumqx = 0;
            float sumq2 = 0;
            for (int j = 0; j < 32; j++) {
                float xj = x[xo + j];
                int l = ScaleSearch.bestIndex(values, id * xj);
                float q = values[l];
                float w = s.weights[j];
                sumqx += w * q * xj;
                sumq2 += w * q * q;
            }
            d = sumq2 > 0 ? sumqx / sumq2 : 0f;
            float best = d * sumqx;
            for (int itry = -ntry; itry <= ntry; itry++) {
                id = (itry + values[0]) / max;
                sumqx = 0;
                sumq2 = 0;
                for (int j = 0; j < 32; j++) {
                    float xj = x[xo + j];
                    float q = values[ScaleSearch.bestIndex(values, id * xj)];
                    float w = s.weights[j];
                    sumqx += w * q * xj;
                    sumq2 += w * q * q;
                }
                if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                    d = sumqx / sumq2;
                    best = d * sumqx;
                }
            }
            scale = d;
        }
        putF16(y, yo, scale);
        float id = scale != 0 ? 1 / scale : 0f;
        for (int j = 0; j < 32; j++) {
            L[j] = (byte) ScaleSearch.bestIndex(values, id * x[xo + j]);
        }
        for (int j = 0; j < 16; j++) {
            y[yo + 2 + j] = (byte) (L[j] | (L[16 + j] << 4));
        }
    }
}
