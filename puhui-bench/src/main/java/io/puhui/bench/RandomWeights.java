// A weight matrix of Gaussian values in a given format, off-heap like the memory-mapped weights of a loaded model.
package io.puhui.bench;

import io.puhui.engine.gguf.GgmlType;
import io.puhui.engine.tensor.BlockEncoder;
import io.puhui.engine.tensor.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

final class RandomWeights {
    private RandomWeights() {
    }

    /** A {@code rows x cols} matrix in {@code type}, its memory from {@code arena}. */
    static WeightMatrix matrix(GgmlType type, int rows, int cols, SplittableRandom rnd, Arena arena) {
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) rnd.nextGaussian() * 0.02f;
        }
        MemorySegment encoded = BlockEncoder.encode(type, values);
        MemorySegment nativeCopy = arena.allocate(encoded.byteSize(), 64);
        nativeCopy.copyFrom(encoded);
        return new WeightMatrix("w", type, rows, cols, nativeCopy);
    }

    /** A vector of standard Gaussian values. */
    static float[] vector(int n, SplittableRandom rnd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }
}
