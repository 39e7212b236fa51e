// JSON as a byte-level pushdown automaton driven by a (compiled) JSON schema: each parse configuration is an
// immutable stack of frames, so that a trie walk can branch on every byte without copying, and alternatives
// (anyOf, enums, optional properties) simply become several live configurations.
package io.puhui.engine.sampling.json;

import java.nio.charset.StandardCharsets;
import java.util.List;

final class Grammar {
    private Grammar() {
    }

    enum Kind { OBJECT, ARRAY, STRING, NUMBER, LITERALS, ANY_OF }

    /** A compiled schema node. Fields are set once while compiling (recursive schemas close the loop later). */
    static final class Node {
        final Kind kind;
        // OBJECT: properties in schema order; free = any keys with any values (json_object, or no properties given)
        boolean free;
        byte[][] keyLiterals; // each key as it is written, quotes included
        Node[] values;
        boolean[] required;
        // ARRAY
        Node item;
        int minItems;
        int maxItems = Integer.MAX_VALUE;
        // STRING
        int minLength;
        int maxLength = Integer.MAX_VALUE;
        // NUMBER
        boolean integer;
        // LITERALS (true, false, null, enum, const), each as JSON text
        byte[][] literals;
        // ANY_OF
        Node[] options;
        int minLen = Integer.MAX_VALUE / 4; // INFINITE until computeMinLengths

        Node(Kind kind) {
            this.kind = kind;
        }
    }

    static Node any() {
        Node any = new Node(Kind.ANY_OF);
        Node obj = new Node(Kind.OBJECT);
        obj.free = true;
        Node arr = new Node(Kind.ARRAY);
        arr.item = any;
        Node lits = literals("true", "false", "null");
        any.options = new Node[] {obj, arr, new Node(Kind.STRING), new Node(Kind.NUMBER), lits};
        return any;
    }

    static Node literals(String... jsonTexts) {
        Node n = new Node(Kind.LITERALS);
        n.literals = new byte[jsonTexts.length][];
        for (int i = 0; i < jsonTexts.length; i++) {
            n.literals[i] = jsonTexts[i].getBytes(StandardCharsets.UTF_8);
        }
        return n;
    }

    // ---- configurations ----

    // OBJECT modes
    static final int START = 0;
    static final int O_FIRST = 1;
    static final int O_KEY = 2;
    static final int O_COLON = 3;
    static final int O_VALUE = 4;
    static final int O_AFTER = 5;
    // ARRAY modes
    static final int A_FIRST = 1;
    static final int A_ITEM = 2;
    static final int A_AFTER = 3;
    // STRING modes
    static final int S_BODY = 1;
    static final int S_ESC = 2;
    static final int S_HEX = 3;
    // NUMBER modes
    static final int N_MINUS = 1;
    static final int N_ZERO = 2;
    static final int N_INT = 3;
    static final int N_DOT = 4;
    static final int N_FRAC = 5;
    static final int N_EXP = 6;
    static final int N_EXP_SIGN = 7;
    static final int N_EXP_DIGITS = 8;
    static final int MAX_NUMBER = 24;
    // LITERALS mode: MID with a = option, b = offset
    static final int L_MID = 1;
    static final int DONE = 99;

    /**
     * One frame of a parse: the node being matched, where in it we are ({@code mode}, {@code pos}, {@code a},
     * {@code b} mean what the node's kind says) and the frame to return to.
     */
    record Frame(Node node, int mode, int pos, int a, int b, Frame parent) {
        Frame with(int mode, int pos, int a, int b) {
            return new Frame(node, mode, pos, a, b, parent);
        }

        boolean completable() {
            return mode == DONE || (node.kind == Kind.NUMBER
                    && (mode == N_ZERO || mode == N_INT || mode == N_FRAC || mode == N_EXP_DIGITS));
        }
    }

    static Frame root(Node node) {
        return new Frame(node, START, 0, 0, 0, null);
    }

    /** Whether the whole document is complete in this configuration. */
    static boolean complete(Frame f) {
        return f.parent() == null && f.completable();
    }

    /** Adds to {@code out} every configuration that byte {@code c} leads to from {@code f}. */
    static void advance(Frame f, int c, List<Frame> out) {
        Node n = f.node();
        if (f.mode() == DONE) {
            pop(f, c, out);
            return;
        }
        switch (n.kind) {
            case OBJECT -> object(f, c, out);
            case ARRAY -> array(f, c, out);
            case STRING -> string(f, c, out);
            case NUMBER -> number(f, c, out);
            case LITERALS -> literal(f, c, out);
            case ANY_OF -> {
                for (Node o : n.options) {
                    advance(new Frame(o, START, 0, 0, 0, f.parent()), c, out);
                }
            }
        }
    }

    /** The value in {@code f} is complete: the byte belongs to the frame below. */
    private static void pop(Frame f, int c, List<Frame> out) {
        if (f.parent() != null) {
            advance(f.parent(), c, out);
        }
    }

    private static void object(Frame f, int c, List<Frame> out) {
        Node n = f.node();
        switch (f.mode()) {
            case START -> {
                if (c == '{') {
                    out.add(f.with(O_FIRST, 0, 0, 0));
                }
            }
            case O_FIRST, O_KEY -> {
                if (c == ' ' && f.mode() == O_KEY && f.b() == 0) {
                    out.add(f.with(O_KEY, f.pos(), 0, 1));
                } else if (c == '"') {
                    if (n.free) {
                        out.add(new Frame(KEY, S_BODY, 0, 0, 0, f.with(O_COLON, f.pos(), -1, 0)));
                    } else {
                        for (int i = f.pos(); i < n.keyLiterals.length; i++) {
                            out.add(new Frame(keyNode(n, i), L_MID, 0, 0, 1, f.with(O_COLON, f.pos(), i, 0)));
                            if (n.required[i]) {
                                break; // a required property cannot be skipped
                            }
                        }
                    }
                } else if (c == '}' && f.mode() == O_FIRST && requiredFrom(n, 0) == 0) {
                    out.add(f.with(DONE, 0, 0, 0));
                }
            }
            case O_COLON -> {
                if (c == ':') {
                    out.add(f.with(O_VALUE, f.pos(), f.a(), 0));
                }
            }
            case O_VALUE -> {
                if (c == ' ' && f.b() == 0) {
                    out.add(f.with(O_VALUE, f.pos(), f.a(), 1));
                } else {
                    Node value = n.free ? ANY : n.values[f.a()];
                    int next = n.free ? f.pos() + 1 : f.a() + 1;
                    advance(new Frame(value, START, 0, 0, 0, f.with(O_AFTER, next, 0, 0)), c, out);
                }
            }
            case O_AFTER -> {
                if (c == ',' && (n.free || f.pos() < n.keyLiterals.length)) {
                    out.add(f.with(O_KEY, f.pos(), 0, 0));
                } else if (c == '}' && (n.free || requiredFrom(n, f.pos()) == 0)) {
                    out.add(f.with(DONE, 0, 0, 0));
                }
            }
            default -> {
            }
        }
    }

    private static void array(Frame f, int c, List<Frame> out) {
        Node n = f.node();
        switch (f.mode()) {
            case START -> {
                if (c == '[') {
                    out.add(f.with(A_FIRST, 0, 0, 0));
                }
            }
            case A_FIRST, A_ITEM -> {
                if (c == ' ' && f.mode() == A_ITEM && f.b() == 0) {
                    out.add(f.with(A_ITEM, f.pos(), 0, 1));
                } else if (c == ']' && f.mode() == A_FIRST && n.minItems == 0) {
                    out.add(f.with(DONE, 0, 0, 0));
                } else if (n.maxItems > f.pos()) {
                    advance(new Frame(n.item, START, 0, 0, 0, f.with(A_AFTER, f.pos() + 1, 0, 0)), c, out);
                }
            }
            case A_AFTER -> {
                if (c == ',' && f.pos() < n.maxItems) {
                    out.add(f.with(A_ITEM, f.pos(), 0, 0));
                } else if (c == ']' && f.pos() >= n.minItems) {
                    out.add(f.with(DONE, 0, 0, 0));
                }
            }
            default -> {
            }
        }
    }

    private static void string(Frame f, int c, List<Frame> out) {
        Node n = f.node();
        int count = f.pos();
        switch (f.mode()) {
            case START -> {
                if (c == '"') {
                    out.add(f.with(S_BODY, 0, 0, 0));
                }
            }
            case S_BODY -> {
                int pending = f.a();
                if (pending > 0) {
                    // inside a multi-byte character: only the continuation byte that keeps it well-formed UTF-8
                    int lo = f.b() == 1 ? 0xA0 : f.b() == 3 ? 0x90 : 0x80;
                    int hi = f.b() == 2 ? 0x9F : f.b() == 4 ? 0x8F : 0xBF;
                    if (c >= lo && c <= hi) {
                        out.add(f.with(S_BODY, count, pending - 1, 0));
                    }
                } else if (c == '"') {
                    if (count >= n.minLength) {
                        out.add(f.with(DONE, 0, 0, 0));
                    }
                } else if (c == '\\') {
                    if (count < n.maxLength) {
                        out.add(f.with(S_ESC, count, 0, 0));
                    }
                } else if (count < n.maxLength) {
                    if (c >= 0x20 && c < 0x80) {
                        out.add(f.with(S_BODY, count + 1, 0, 0));
                    } else if (c >= 0xC2 && c <= 0xDF) {
                        out.add(f.with(S_BODY, count + 1, 1, 0));
                    } else if (c >= 0xE0 && c <= 0xEF) {
                        // E0: no overlong forms (A0..BF next); ED: no surrogates (80..9F next)
                        out.add(f.with(S_BODY, count + 1, 2, c == 0xE0 ? 1 : c == 0xED ? 2 : 0));
                    } else if (c >= 0xF0 && c <= 0xF4) {
                        // F0: no overlong forms (90..BF next); F4: nothing past U+10FFFF (80..8F next)
                        out.add(f.with(S_BODY, count + 1, 3, c == 0xF0 ? 3 : c == 0xF4 ? 4 : 0));
                    }
                }
            }
            case S_ESC -> {
                if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' || c == 'r' || c == 't') {
                    out.add(f.with(S_BODY, count + 1, 0, 0));
                } else if (c == 'u') {
                    out.add(f.with(S_HEX, count, 0, 4));
                }
            }
            case S_HEX -> {
                if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
                    out.add(f.b() == 1 ? f.with(S_BODY, count + 1, 0, 0) : f.with(S_HEX, count, 0, f.b() - 1));
                }
            }
            default -> {
            }
        }
    }

    private static void number(Frame f, int c, List<Frame> out) {
        boolean digit = c >= '0' && c <= '9';
        boolean integer = f.node().integer;
        int len = f.pos() + 1;
        boolean room = len <= MAX_NUMBER;
        switch (f.mode()) {
            case START -> {
                if (c == '-') {
                    out.add(f.with(N_MINUS, len, 0, 0));
                } else if (c == '0') {
                    out.add(f.with(N_ZERO, len, 0, 0));
                } else if (digit) {
                    out.add(f.with(N_INT, len, 0, 0));
                }
            }
            case N_MINUS -> {
                if (c == '0') {
                    out.add(f.with(N_ZERO, len, 0, 0));
                } else if (digit) {
                    out.add(f.with(N_INT, len, 0, 0));
                }
            }
            case N_ZERO, N_INT -> {
                if (digit && f.mode() == N_INT && room) {
                    out.add(f.with(N_INT, len, 0, 0));
                } else if (c == '.' && !integer && room) {
                    out.add(f.with(N_DOT, len, 0, 0));
                } else if ((c == 'e' || c == 'E') && !integer && room) {
                    out.add(f.with(N_EXP, len, 0, 0));
                } else {
                    pop(f, c, out);
                }
            }
            case N_DOT -> {
                if (digit) {
                    out.add(f.with(N_FRAC, len, 0, 0));
                }
            }
            case N_FRAC -> {
                if (digit && room) {
                    out.add(f.with(N_FRAC, len, 0, 0));
                } else if ((c == 'e' || c == 'E') && room) {
                    out.add(f.with(N_EXP, len, 0, 0));
                } else {
                    pop(f, c, out);
                }
            }
            case N_EXP -> {
                if (c == '+' || c == '-') {
                    out.add(f.with(N_EXP_SIGN, len, 0, 0));
                } else if (digit) {
                    out.add(f.with(N_EXP_DIGITS, len, 0, 0));
                }
            }
            case N_EXP_SIGN -> {
                if (digit) {
                    out.add(f.with(N_EXP_DIGITS, len, 0, 0));
                }
            }
            case N_EXP_DIGITS -> {
                if (digit && room) {
                    out.add(f.with(N_EXP_DIGITS, len, 0, 0));
                } else {
                    pop(f, c, out);
                }
            }
            default -> {
            }
        }
    }

    private static void literal(Frame f, int c, List<Frame> out) {
        byte[][] options = f.node().literals;
        if (f.mode() == START) {
            for (int i = 0; i < options.length; i++) {
                if ((options[i][0] & 0xFF) == c) {
                    out.add(f.with(options[i].length == 1 ? DONE : L_MID, 0, i, 1));
                }
            }
            return;
        }
        byte[] lit = options[f.a()];
        if ((lit[f.b()] & 0xFF) == c) {
            out.add(f.b() + 1 == lit.length ? f.with(DONE, 0, 0, 0) : f.with(L_MID, 0, f.a(), f.b() + 1));
        }
    }

    /** Free-form keys are strings of any length. */
    private static final Node KEY = new Node(Kind.STRING);
    private static final Node ANY = any();

    static {
        computeMinLengths(ANY);
        KEY.minLen = 2;
    }

    private static Node keyNode(Node object, int i) {
        Node k = new Node(Kind.LITERALS);
        k.literals = new byte[][] {object.keyLiterals[i]};
        k.minLen = object.keyLiterals[i].length;
        return k;
    }

    /** Bytes that the required properties from {@code pos} on still need, commas and colons included. */
    static int requiredFrom(Node obj, int pos) {
        if (obj.free) {
            return 0;
        }
        long sum = 0;
        for (int i = pos; i < obj.keyLiterals.length; i++) {
            if (obj.required[i]) {
                sum += 1 + obj.keyLiterals[i].length + 1 + obj.values[i].minLen;
            }
        }
        return (int) Math.min(sum, INFINITE); // a value not yet known to be finite keeps the sum "infinite"
    }

    /** Larger than any document: the minimum length of a node not (yet) known to have a finite value. */
    static final int INFINITE = Integer.MAX_VALUE / 4;

    // ---- how far from done ----

    /** The fewest bytes that complete the document from this configuration. */
    static int minToClose(Frame f) {
        int sum = 0;
        for (Frame x = f; x != null; x = x.parent()) {
            sum += rest(x);
        }
        return sum;
    }

    private static int rest(Frame f) {
        Node n = f.node();
        if (f.mode() == DONE) {
            return 0;
        }
        if (f.mode() == START) {
            return n.minLen;
        }
        return switch (n.kind) {
            case OBJECT -> switch (f.mode()) {
                case O_FIRST -> n.free ? 1 : Math.max(0, requiredFrom(n, 0) - 1) + 1;
                case O_KEY -> n.free ? 5 : firstKeyFrom(n, f.pos()) + 1;
                case O_COLON -> 1 + valueLen(n, f.a()) + (n.free ? 1 : requiredFrom(n, f.a() + 1) + 1);
                case O_VALUE -> valueLen(n, f.a()) + (n.free ? 1 : requiredFrom(n, f.a() + 1) + 1);
                case O_AFTER -> (n.free ? 0 : requiredFrom(n, f.pos())) + 1;
                default -> 0;
            };
            case ARRAY -> {
                int left = Math.max(0, n.minItems - f.pos());
                yield switch (f.mode()) {
                    case A_FIRST -> left == 0 ? 1 : left * n.item.minLen + (left - 1) + 1;
                    case A_ITEM -> n.item.minLen + Math.max(0, left - 1) * (1 + n.item.minLen) + 1;
                    default -> left * (1 + n.item.minLen) + 1;
                };
            }
            case STRING -> {
                int need = Math.max(0, n.minLength - f.pos());
                yield switch (f.mode()) {
                    case S_ESC -> 1 + Math.max(0, need - 1) + 1;
                    case S_HEX -> f.b() + Math.max(0, need - 1) + 1;
                    default -> f.a() + need + 1; // unfinished character bytes, missing characters, the quote
                };
            }
            case NUMBER -> f.completable() ? 0 : 1;
            case LITERALS -> n.literals[f.a()].length - f.b();
            case ANY_OF -> n.minLen;
        };
    }

    private static int valueLen(Node obj, int i) {
        return obj.free ? 1 : obj.values[i].minLen;
    }

    /** After a comma: the cheapest key-value pair that may come next, then the required ones after it. */
    private static int firstKeyFrom(Node n, int pos) {
        int best = Integer.MAX_VALUE / 4;
        for (int i = pos; i < n.keyLiterals.length; i++) {
            int cost = n.keyLiterals[i].length + 1 + n.values[i].minLen + requiredFrom(n, i + 1);
            best = Math.min(best, cost);
            if (n.required[i]) {
                break;
            }
        }
        return best;
    }

    /** Fixpoint over the (possibly recursive) schema graph: the shortest complete value of every node. */
    static void computeMinLengths(Node root) {
        java.util.List<Node> all = new java.util.ArrayList<>();
        java.util.Set<Node> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        java.util.ArrayDeque<Node> todo = new java.util.ArrayDeque<>();
        todo.add(root);
        while (!todo.isEmpty()) {
            Node n = todo.pop();
            if (!seen.add(n)) {
                continue;
            }
            all.add(n);
            if (n.values != null) {
                todo.addAll(java.util.List.of(n.values));
            }
            if (n.item != null) {
                todo.add(n.item);
            }
            if (n.options != null) {
                todo.addAll(java.util.List.of(n.options));
            }
        }
        for (boolean changed = true; changed; ) {
            changed = false;
            for (Node n : all) {
                int m = switch (n.kind) {
                    case OBJECT -> 2 + (n.free ? 0 : Math.max(0, requiredFrom(n, 0) - 1));
                    case ARRAY -> (int) Math.min(INFINITE,
                            2 + (n.minItems == 0 ? 0 : (long) n.minItems * (n.item.minLen + 1L) - 1));
                    case STRING -> 2 + n.minLength;
                    case NUMBER -> 1;
                    case LITERALS -> {
                        int best = Integer.MAX_VALUE / 4;
                        for (byte[] l : n.literals) {
                            best = Math.min(best, l.length);
                        }
                        yield best;
                    }
                    case ANY_OF -> {
                        int best = Integer.MAX_VALUE / 4;
                        for (Node o : n.options) {
                            best = Math.min(best, o.minLen);
                        }
                        yield best;
                    }
                };
                m = Math.min(m, Integer.MAX_VALUE / 4);
                if (m < n.minLen) {
                    n.minLen = m;
                    changed = true;
                }
            }
        }
    }
}
