// Keys and values of one sequence, per layer, for every position generated so far.
package io.puhui.engine.model;

public final class KvCache {
    final float[][] keys;
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
            keys[l] = new float[capacity * kvDim];
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

    void advanceTo(int newLength) {
        length = Math.max(length, newLength);
    }

    public long byteSize() {
        return 2L * keys.length * capacity * kvDim * Float.BYTES;
    }
}
