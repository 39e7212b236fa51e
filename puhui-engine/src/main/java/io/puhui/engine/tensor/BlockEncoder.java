// Encodes float rows into the plain block formats (F16, Q8_0, Q4_0) with ggml's reference rounding rules,
// so that weights written here decode exactly as llama.cpp would decode its own.
package io.puhui.engine.tensor;

import io.puhui.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;

public final class BlockEncoder {
    private BlockEncoder() {
    }

    /** Encodes {@code x} (a multiple of the block size long) into a new segment of {@code type}. */
    public static MemorySegment encode(GgmlType type, float[] x) {
        MemorySegment out = MemorySegment.ofArray(new byte[Math.toIntExact(type.byteSize(x.length))]);
        switch (type) {
            case F32 -> MemorySegment.copy(x, 0, out, BlockCodec.FLOAT, 0, x.length);
            case F16 -> {
                for (int i = 0; i < x.length; i++) {
                    out.set(BlockCodec.SHORT, 2L * i, Float.floatToFloat16(x[i]));
                }
            }
            case Q8_0 -> {
                for (int b = 0; b < x.length / 32; b++) {
                    encodeQ8_0(x, b * 32, out, 34L * b);
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < x.length / 32; b++) {
                    encodeQ4_0(x, b * 32, out, 18L * b);
                }
            }
            default -> throw new IllegalArgumentException("no encoder for " + type + " (supported: F32, F16, Q8_0, Q4_0)");
        }
        return out;
    }

    /** C's roundf: halves away from zero. */
    static int roundHalfAway(float v) {
        return (int) Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v);
    }

    private static void encodeQ8_0(float[] x, int xo, MemorySegment out, long o) {
        float amax = 0;
        for (int j = 0; j < 32; j++) {
            amax = Math.max(amax, Math.abs(x[xo + j]));
        }
        float d = amax / 127f;
        float id = d != 0 ? 1f / d : 0f;
        out.set(BlockCodec.SHORT, o, Float.floatToFloat16(d));
        for (int j = 0; j < 32; j++) {
            out.set(BlockCodec.BYTE, o + 2 + j, (byte) roundHalfAway(x[xo + j] * id));
        }
    }

    private static void encodeQ4_0(float[] x, int xo, MemorySegment out, long o) {
        float amax = 0;
        float max = 0;
        for (int j = 0; j < 32; j++) {
            float v = x[xo + j];
            if (Math.abs(v) > amax) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8f;
        float id = d != 0 ? 1f / d : 0f;
        out.set(BlockCodec.SHORT, o, Float.floatToFloat16(d));
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(15, (int) (byte) (int) (x[xo + j] * id + 8.5f));
            int q1 = Math.min(15, (int) (byte) (int) (x[xo + j + 16] * id + 8.5f));
            out.set(BlockCodec.BYTE, o + 2 + j, (byte) (q0 | (q1 << 4)));
        }
    }
}
