// Encodes float rows into any block format the quantizer writes, with ggml's reference rounding rules, so that
// weights written here decode exactly as llama.cpp would decode its own.
package io.puhui.engine.tensor;

import io.puhui.engine.gguf.GgmlType;
import io.puhui.engine.quant.Quantizer;
import java.lang.foreign.MemorySegment;

public final class BlockEncoder {
    private BlockEncoder() {
    }

    /** Encodes {@code x} (a multiple of the block size long) into a new segment of {@code type}. */
    public static MemorySegment encode(GgmlType type, float[] x) {
        if (!Quantizer.canWrite(type)) {
            throw new IllegalArgumentException("no encoder for " + type);
        }
        return MemorySegment.ofArray(Quantizer.quantize(type, x, x.length, null));
    }
}
