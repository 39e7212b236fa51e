// What a JSON schema allows at one value position, compiled for the byte-level parser; minLength is the fewest
// bytes of any allowed value, which is what lets the constraint always close the document in time.
package io.puhui.engine.sampling.json;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

abstract class Shape {
    /** Stands for "no finite value": sums saturate here instead of overflowing. */
    static final int INFINITE = Integer.MAX_VALUE / 4;

    static int add(int a, int b) {
        return Math.min(INFINITE, a + b);
    }

    /** Fewest bytes of an allowed value; settled by {@link #settle} once the whole schema is compiled. */
    int minLength = INFINITE;

    /** The minimum length from the children's current minimums (schemas may be recursive through $ref). */
    abstract int computeMinLength();

    /** The shape itself, or for a reference the shape it names. */
    Shape resolved() {
        return this;
    }

    /** Computes every shape's minimum length, then the tables that depend on them. */
    static void settle(List<Shape> shapes) {
        boolean changed = true;
        while (changed) {
            changed = false;
            for (Shape s : shapes) {
                int m = s.computeMinLength();
                if (m < s.minLength) {
                    s.minLength = m;
                    changed = true;
                }
            }
        }
        for (Shape s : shapes) {
            s.finish();
        }
    }

    void finish() {
    }

    /** Any JSON value. */
    static final Union ANY;
    static final Str FREE_STRING = new Str(0, Integer.MAX_VALUE);
    static final Num NUMBER = new Num(false);
    static final Literal BOOLEAN = new Literal(LiteralSet.ofJson(List.of("false", "true")));
    static final Literal NULL = new Literal(LiteralSet.ofJson(List.of("null")));
    static final Obj FREE_OBJECT;

    static {
        ANY = new Union(new ArrayList<>());
        Obj object = new Obj(new byte[0][], new Shape[0], new boolean[0], ANY);
        Arr array = new Arr(ANY, 0, Integer.MAX_VALUE);
        Literal literals = new Literal(LiteralSet.ofJson(List.of("false", "null", "true")));
        ANY.alternatives.addAll(List.of(object, array, FREE_STRING, NUMBER, literals));
        FREE_OBJECT = object;
        settle(List.of(ANY, object, array, FREE_STRING, NUMBER, literals, BOOLEAN, NULL));
    }

    /**
     * An object. With properties: only those keys, in their order, the required ones always, others optional. With
     * none: any keys, each value of {@link #values} (additionalProperties).
     */
    static final class Obj extends Shape {
        final byte[][] keys; // each name as a JSON string, quotes included
        final Shape[] properties;
        final boolean[] required;
        final Shape values; // for free-form objects, else null
        /** Bytes to close the object from between members with property {@code i} next, one member written. */
        int[] rest;
        /** Whether a required property remains from index {@code i} on. */
        boolean[] requiredFrom;
        /** The keys that may come next when property {@code i} is next: up to the first required one. */
        LiteralSet[] keySets;
        /** Bytes to close the object from the start of a key with property {@code i} next. */
        int[] fromKey;

        Obj(byte[][] keys, Shape[] properties, boolean[] required, Shape values) {
            this.keys = keys;
            this.properties = properties;
            this.required = required;
            this.values = values;
        }

        boolean free() {
            return values != null;
        }

        @Override
        int computeMinLength() {
            if (free()) {
                return 2;
            }
            int sum = 2;
            boolean first = true;
            for (int i = 0; i < properties.length; i++) {
                if (required[i]) {
                    sum = add(sum, add(keys[i].length + (first ? 1 : 2), properties[i].minLength));
                    first = false;
                }
            }
            return sum;
        }

        @Override
        void finish() {
            if (free()) {
                return;
            }
            int n = properties.length;
            rest = new int[n + 1];
            requiredFrom = new boolean[n + 1];
            rest[n] = 1;
            for (int i = n - 1; i >= 0; i--) {
                requiredFrom[i] = required[i] || requiredFrom[i + 1];
                rest[i] = required[i] ? add(rest[i + 1], add(keys[i].length + 2, properties[i].minLength))
                        : rest[i + 1];
            }
            keySets = new LiteralSet[n + 1];
            fromKey = new int[n + 1];
            for (int i = 0; i <= n; i++) {
                List<byte[]> ks = new ArrayList<>();
                List<Integer> extra = new ArrayList<>();
                List<Integer> tags = new ArrayList<>();
                for (int j = i; j < n; j++) {
                    ks.add(keys[j]);
                    // the colon, the shortest value, then closing what must still come
                    extra.add(add(1 + properties[j].minLength, rest[j + 1]));
                    tags.add(j);
                    if (required[j]) {
                        break;
                    }
                }
                keySets[i] = LiteralSet.of(ks, extra, tags);
                fromKey[i] = keySets[i].cheapest(0, keySets[i].size(), 0);
            }
        }
    }

    static final class Arr extends Shape {
        final Shape items;
        final int minItems;
        final int maxItems;

        Arr(Shape items, int minItems, int maxItems) {
            this.items = items;
            this.minItems = minItems;
            this.maxItems = maxItems;
        }

        @Override
        int computeMinLength() {
            if (minItems > maxItems) {
                return INFINITE;
            }
            if (minItems == 0) {
                return 2;
            }
            long n = (long) minItems * (items.minLength + 1L) + 1;
            return (int) Math.min(INFINITE, n);
        }
    }

    static final class Str extends Shape {
        final int minChars;
        final int maxChars;

        Str(int minChars, int maxChars) {
            this.minChars = minChars;
            this.maxChars = maxChars;
        }

        @Override
        int computeMinLength() {
            return minChars > maxChars ? INFINITE : add(2, minChars);
        }
    }

    static final class Num extends Shape {
        final boolean integer;

        Num(boolean integer) {
            this.integer = integer;
        }

        @Override
        int computeMinLength() {
            return 1;
        }
    }

    /** One of a fixed set of values (enum, const, booleans, null), each in its compact JSON form. */
    static final class Literal extends Shape {
        final LiteralSet set;

        Literal(LiteralSet set) {
            this.set = set;
        }

        @Override
        int computeMinLength() {
            return set.size() == 0 ? INFINITE : set.cheapest(0, set.size(), 0);
        }
    }

    /** Any of the alternatives (anyOf, oneOf, a list of types); none at all is the schema {@code false}. */
    static final class Union extends Shape {
        final List<Shape> alternatives;
        /** The alternatives with nested unions and references flattened out, the impossible ones dropped. */
        Shape[] flat;

        Union(List<Shape> alternatives) {
            this.alternatives = alternatives;
        }

        @Override
        int computeMinLength() {
            int m = INFINITE;
            for (Shape s : alternatives) {
                m = Math.min(m, s.minLength);
            }
            return m;
        }

        @Override
        void finish() {
            List<Shape> out = new ArrayList<>();
            flatten(this, new IdentityHashMap<>(), out);
            flat = out.toArray(new Shape[0]);
        }

        private static void flatten(Shape s, Map<Shape, Boolean> seen, List<Shape> out) {
            Shape r = s.resolved();
            if (seen.put(r, Boolean.TRUE) != null) {
                return;
            }
            if (r instanceof Union u) {
                for (Shape a : u.alternatives) {
                    flatten(a, seen, out);
                }
            } else if (r.minLength < INFINITE) {
                out.add(r);
            }
        }
    }

    /** A $ref: its target is filled in once compiled, which lets schemas refer to themselves. */
    static final class Ref extends Shape {
        final String pointer;
        Shape target;

        Ref(String pointer) {
            this.pointer = pointer;
        }

        @Override
        Shape resolved() {
            Shape s = target;
            while (s instanceof Ref r) {
                s = r.target;
            }
            return s;
        }

        @Override
        int computeMinLength() {
            return target.minLength;
        }
    }
}
