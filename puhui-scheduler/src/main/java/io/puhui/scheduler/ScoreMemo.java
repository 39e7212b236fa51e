package io.puhui.scheduler;

import java.util.Arrays;

/**
 * Remembers a score per (node state, task shape): an open-addressing map from a packed long key to a long,
 * so that a decision over thousands of nodes costs one probe per node once the cluster's states are known.
 */
final class ScoreMemo {

    private static final long EMPTY = Long.MIN_VALUE;

    private long[] keys;
    private long[] values;
    private int size;
    private int mask;

    ScoreMemo() {
        keys = new long[1 << 12];
        values = new long[1 << 12];
        mask = keys.length - 1;
        Arrays.fill(keys, EMPTY);
    }

    static long key(int state, int shape) {
        return ((long) state << 24) | shape;
    }

    /** The stored value, or {@code missing} when there is none. */
    long get(long key, long missing) {
        int i = slot(key);
        while (true) {
            long k = keys[i];
            if (k == key) {
                return values[i];
            }
            if (k == EMPTY) {
                return missing;
            }
            i = (i + 1) & mask;
        }
    }

    void put(long key, long value) {
        if (2 * (size + 1) > keys.length) {
            grow();
        }
        int i = slot(key);
        while (keys[i] != EMPTY && keys[i] != key) {
            i = (i + 1) & mask;
        }
        if (keys[i] == EMPTY) {
            size++;
        }
        keys[i] = key;
        values[i] = value;
    }

    int size() {
        return size;
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & mask;
    }

    private void grow() {
        long[] oldKeys = keys;
        long[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new long[oldKeys.length * 2];
        mask = keys.length - 1;
        Arrays.fill(keys, EMPTY);
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY) {
                put(oldKeys[i], oldValues[i]);
            }
        }
    }
}
