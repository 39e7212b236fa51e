// Keys and values of one sequence, per layer, for every position generated so far. Keys are stored in the attention
// kernel's tiles (by column within a tile of positions); values by position.
package io.puhui.engine.model;

import io.puhui.engine.tensor.Attention;

public final class KvCache {
    /** Per layer, in {@link Attention}'s tiles. */
    final float[][] keys;
    /** Per layer: position {@code t}'s values at {@code t * kvDim ..}. */
    final float[][] values;
    private final int capacity;
    private final int kvDim;
    private int length;

    KvCache(int layers, int capacity, int kvDim) {
        this.capacity = capacity;
        this.kvDim = kvDim;
        this.keys = new float[layers][];
        this.values = new float[layers][];
        for (int l = 0; l < layers; l++) {
            keys[l] = new float[Attention.keyArrayLength(kvDim, capacity)];
            values[l] = new float[capacity * kvDim];
        }
    }

    /** Positions this cache can hold. */
    public int capacity() {
        return capacity;
    }

    /** Positions filled so far: the next token goes at this position. */
    public int length() {
        return length;
    }

    /** Forgets positions from {@code newLength} on, e.g. to reuse a shared prompt prefix. */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a cache of " + length + " to " + newLength);
        }
        length = newLength;
    }

    /** Stores a position's keys and values of one layer. */
    void put(int layer, int pos, float[] k, float[] v) {
        float[] kt = keys[layer];
        int at = Attention.keyIndex(kvDim, 0, pos);
        for (int c = 0; c < kvDim; c++) {
            kt[at + c * Attention.TILE] = k[c];
        }
        System.arraycopy(v, 0, values[layer], pos * kvDim, kvDim);
    }

    void advanceTo(int newLength) {
        length = Math.max(length, newLength);
    }

    public long byteSize() {
        long floats = 0;
        for (int l = 0; l < keys.length; l++) {
            floats += keys[l].length + values[l].length;
        }
        return floats * Float.BYTES;
    }
}
