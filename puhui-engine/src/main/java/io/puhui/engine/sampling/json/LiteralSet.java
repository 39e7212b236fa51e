// A fixed set of byte strings (enum values, constants, object keys) sorted so that the strings sharing a prefix
// are one contiguous range: matching narrows two ints, without allocating.
package io.puhui.engine.sampling.json;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

final class LiteralSet {
    private final byte[][] values;
    /** Bytes needed after each value to finish its surroundings (for keys: colon, value, rest of the object). */
    private final int[] extra;
    /** What each value stands for (for keys: the property index). */
    private final int[] tags;

    private LiteralSet(byte[][] values, int[] extra, int[] tags) {
        this.values = values;
        this.extra = extra;
        this.tags = tags;
    }

    static LiteralSet ofJson(List<String> json) {
        List<byte[]> v = new ArrayList<>();
        List<Integer> zero = new ArrayList<>();
        for (String s : json) {
            v.add(s.getBytes(StandardCharsets.UTF_8));
            zero.add(0);
        }
        return of(v, zero, zero);
    }

    /** Sorted by unsigned bytes; of equal values the one with the least extra is kept. */
    static LiteralSet of(List<byte[]> values, List<Integer> extra, List<Integer> tags) {
        Integer[] idx = new Integer[values.size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> {
            int c = Arrays.compareUnsigned(values.get(a), values.get(b));
            return c != 0 ? c : Integer.compare(extra.get(a), extra.get(b));
        });
        List<Integer> kept = new ArrayList<>();
        for (int i : idx) {
            if (kept.isEmpty() || !Arrays.equals(values.get(kept.getLast()), values.get(i))) {
                kept.add(i);
            }
        }
        byte[][] v = new byte[kept.size()][];
        int[] e = new int[kept.size()];
        int[] t = new int[kept.size()];
        for (int k = 0; k < v.length; k++) {
            v[k] = values.get(kept.get(k));
            e[k] = extra.get(kept.get(k));
            t[k] = tags.get(kept.get(k));
        }
        return new LiteralSet(v, e, t);
    }

    int size() {
        return values.length;
    }

    int length(int k) {
        return values[k].length;
    }

    int tag(int k) {
        return tags[k];
    }

    byte[] value(int k) {
        return values[k];
    }

    /** First index in [lo, hi) whose byte at {@code pos} is at least {@code b} (all share the first pos bytes). */
    int lowerBound(int lo, int hi, int pos, int b) {
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (byteAt(mid, pos) < b) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** First index in [lo, hi) whose byte at {@code pos} is above {@code b}. */
    int upperBound(int lo, int hi, int pos, int b) {
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (byteAt(mid, pos) <= b) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** The byte at {@code pos}, or -1 past the end: in a range sharing a prefix this is sorted. */
    private int byteAt(int k, int pos) {
        return values[k].length <= pos ? -1 : values[k][pos] & 0xFF;
    }

    /** Fewest bytes to finish one of the values in [lo, hi), {@code pos} bytes matched, plus its extra. */
    int cheapest(int lo, int hi, int pos) {
        int m = Shape.INFINITE;
        for (int k = lo; k < hi; k++) {
            m = Math.min(m, Shape.add(values[k].length - pos, extra[k]));
        }
        return m;
    }
}
