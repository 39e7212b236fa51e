// One reading of the output so far: a pushdown automaton over bytes whose top (the lexical state) is a few fields,
// cheap to copy at every trie node, and whose stack of open containers is shared immutable frames.
package io.puhui.engine.sampling.json;

final class Branch {
    static final int VALUE = 0;
    static final int STRING = 1;
    static final int NUMBER = 2;
    static final int LITERAL = 3;
    static final int COLON = 4;
    static final int OBJECT_OPEN = 5;
    static final int KEY = 6;
    static final int OBJECT_NEXT = 7;
    static final int ARRAY_OPEN = 8;
    static final int ARRAY_NEXT = 9;
    static final int DONE = 10;

    // Whitespace between tokens is bounded so that a small model cannot spend its answer on blanks: one blank, or
    // a newline and an indent of a few blanks, in each gap.
    private static final int WS_NONE = 0;
    private static final int WS_CLOSED = -1;
    private static final int MAX_INDENT = 16;

    private static final int N_START = 0;
    private static final int N_MINUS = 1;
    private static final int N_ZERO = 2;
    private static final int N_INT = 3;
    private static final int N_DOT = 4;
    private static final int N_FRAC = 5;
    private static final int N_E = 6;
    private static final int N_EXP_SIGN = 7;
    private static final int N_EXP = 8;
    /** Exponents beyond three digits only overflow a double. */
    private static final int MAX_EXPONENT_DIGITS = 3;

    // Escapes: 1 after the backslash, 2..5 the hex digits of \\u, 6..11 the "\\uDC00" that must follow a high
    // surrogate (JSON allows lone surrogates, but they are not text and many parsers refuse them).
    private static final int ESC_NONE = 0;
    private static final int ESC_BACKSLASH = 1;
    private static final int ESC_HEX = 2;
    private static final int ESC_LOW = 6;

    int mode;
    /** VALUE and COLON: the value's shape; STRING: its Shape.Str; NUMBER: its Shape.Num. */
    Shape shape;
    LiteralSet literals;
    Frame frame;
    /** STRING or LITERAL that is an object key. */
    boolean key;
    int ws;
    /** STRING: characters so far; NUMBER: exponent digits. */
    int count;
    /** STRING: UTF-8 state; NUMBER: where in the number. */
    int sub;
    int esc;
    int hex;
    /** LITERAL: the candidates [lo, hi) that match the first pos bytes. */
    int lo;
    int hi;
    int pos;

    /** The start of a document whose top-level value has this shape; no whitespace before it. */
    void start(Shape root) {
        clear();
        mode = VALUE;
        shape = root;
        frame = null;
        ws = WS_CLOSED;
    }

    void copyFrom(Branch o) {
        mode = o.mode;
        shape = o.shape;
        literals = o.literals;
        frame = o.frame;
        key = o.key;
        ws = o.ws;
        count = o.count;
        sub = o.sub;
        esc = o.esc;
        hex = o.hex;
        lo = o.lo;
        hi = o.hi;
        pos = o.pos;
    }

    boolean sameAs(Branch o) {
        return mode == o.mode && shape == o.shape && literals == o.literals && key == o.key && ws == o.ws
                && count == o.count && sub == o.sub && esc == o.esc && hex == o.hex && lo == o.lo && hi == o.hi
                && pos == o.pos && Frame.same(frame, o.frame);
    }

    private void clear() {
        shape = null;
        literals = null;
        key = false;
        count = 0;
        sub = 0;
        esc = 0;
        hex = 0;
        lo = 0;
        hi = 0;
        pos = 0;
    }

    /** Whether what was read is a whole document (a top-level number or literal may still go on). */
    boolean complete() {
        if (mode == DONE) {
            return true;
        }
        if (frame != null) {
            return false;
        }
        return (mode == NUMBER && numberWhole()) || (mode == LITERAL && literals.length(lo) == pos);
    }

    /** The fewest bytes that finish the document from here. */
    int cost() {
        return switch (mode) {
            case VALUE -> Shape.add(shape.minLength, Frame.after(frame));
            case STRING -> {
                Shape.Str s = (Shape.Str) shape;
                int own = escapeOwed() + Utf8States.pending(sub) + Math.max(0, s.minChars - count) + 1;
                yield key ? Shape.add(own, Shape.add(1 + ((Shape.Obj) frame.container).values.minLength, frame.after))
                        : Shape.add(own, Frame.after(frame));
            }
            case NUMBER -> Shape.add(numberWhole() ? 0 : 1, Frame.after(frame));
            case LITERAL -> Shape.add(literals.cheapest(lo, hi, pos),
                    key ? Frame.after(frame.parent) : Frame.after(frame));
            case COLON -> Shape.add(1 + shape.minLength, frame.after);
            case OBJECT_OPEN, KEY -> {
                Shape.Obj o = (Shape.Obj) frame.container;
                int outer = Frame.after(frame.parent);
                if (o.free()) {
                    yield Shape.add(mode == KEY ? 4 + o.values.minLength : 1, outer);
                }
                boolean mayClose = mode == OBJECT_OPEN && !o.requiredFrom[frame.index];
                yield Shape.add(mayClose ? 1 : o.fromKey[frame.index], outer);
            }
            case ARRAY_OPEN -> {
                Shape.Arr a = (Shape.Arr) frame.container;
                yield a.minItems > 0 && frame.after < Shape.INFINITE ? frame.after - 1 : frame.after;
            }
            case OBJECT_NEXT, ARRAY_NEXT -> frame.after;
            default -> 0;
        };
    }

    /**
     * Reads byte {@code b} (0..255). This branch is in {@code out}; a choice between schema alternatives adds the
     * other readings to {@code out}. Returns false when this reading cannot take the byte.
     */
    boolean step(int b, BranchSet out) {
        switch (mode) {
            case VALUE:
                return isBlank(b) ? blank(b) : startValue(b, out);
            case STRING:
                return stringByte(b);
            case NUMBER:
                return numberByte(b, out);
            case LITERAL:
                return literalByte(b, out);
            case COLON:
                if (isBlank(b)) {
                    return blank(b);
                }
                if (b != ':') {
                    return false;
                }
                mode = VALUE;
                ws = WS_NONE;
                return true;
            case OBJECT_OPEN:
                if (isBlank(b)) {
                    return blank(b);
                }
                return b == '}' ? closeObject() : startKey(b, out);
            case KEY:
                return isBlank(b) ? blank(b) : startKey(b, out);
            case OBJECT_NEXT: {
                if (isBlank(b)) {
                    return blank(b);
                }
                if (b == '}') {
                    return closeObject();
                }
                Shape.Obj o = (Shape.Obj) frame.container;
                if (b != ',' || (!o.free() && o.keySets[frame.index].size() == 0)) {
                    return false;
                }
                mode = KEY;
                ws = WS_NONE;
                return true;
            }
            case ARRAY_OPEN: {
                if (isBlank(b)) {
                    return blank(b);
                }
                Shape.Arr a = (Shape.Arr) frame.container;
                if (b == ']') {
                    return a.minItems == 0 && close();
                }
                if (a.maxItems == 0) {
                    return false;
                }
                frame = new Frame(a, 1, frame.parent);
                mode = VALUE;
                shape = a.items;
                return startValue(b, out);
            }
            case ARRAY_NEXT: {
                if (isBlank(b)) {
                    return blank(b);
                }
                Shape.Arr a = (Shape.Arr) frame.container;
                if (b == ']') {
                    return frame.index >= a.minItems && close();
                }
                if (b != ',' || frame.index >= a.maxItems) {
                    return false;
                }
                frame = new Frame(a, frame.index + 1, frame.parent);
                mode = VALUE;
                shape = a.items;
                ws = WS_NONE;
                return true;
            }
            default:
                return false;
        }
    }

    private static boolean isBlank(int b) {
        return b == ' ' || b == '\n' || b == '\t' || b == '\r';
    }

    private boolean blank(int b) {
        if (ws == WS_NONE) {
            if (b == '\r') {
                return false;
            }
            ws = b == '\n' ? 1 : WS_CLOSED;
            return true;
        }
        if (ws > 0 && ws <= MAX_INDENT && (b == ' ' || b == '\t')) {
            ws++;
            return true;
        }
        return false;
    }

    private boolean close() {
        frame = frame.parent;
        endValue();
        return true;
    }

    private boolean closeObject() {
        Shape.Obj o = (Shape.Obj) frame.container;
        return (o.free() || !o.requiredFrom[frame.index]) && close();
    }

    /** A value is complete: go on in its container, or finish the document. */
    private void endValue() {
        clear();
        mode = frame == null ? DONE : frame.container instanceof Shape.Obj ? OBJECT_NEXT : ARRAY_NEXT;
        ws = WS_NONE;
    }

    private boolean startValue(int b, BranchSet out) {
        Shape s = shape.resolved();
        if (s instanceof Shape.Union u) {
            Shape[] alternatives = u.flat;
            if (alternatives.length == 0) {
                return false;
            }
            // each alternative is its own reading until the bytes rule it out
            for (int i = 1; i < alternatives.length; i++) {
                Branch other = out.add();
                other.copyFrom(this);
                other.shape = alternatives[i];
                if (!other.startValue(b, out)) {
                    out.remove(other);
                }
            }
            shape = alternatives[0];
            return startValue(b, out);
        }
        if (s instanceof Shape.Obj o) {
            if (b != '{') {
                return false;
            }
            frame = new Frame(o, 0, frame);
            clear();
            mode = OBJECT_OPEN;
            ws = WS_NONE;
            return true;
        }
        if (s instanceof Shape.Arr a) {
            if (b != '[') {
                return false;
            }
            frame = new Frame(a, 0, frame);
            clear();
            mode = ARRAY_OPEN;
            ws = WS_NONE;
            return true;
        }
        if (s instanceof Shape.Str) {
            if (b != '"') {
                return false;
            }
            clear();
            shape = s;
            mode = STRING;
            return true;
        }
        if (s instanceof Shape.Num) {
            clear();
            shape = s;
            mode = NUMBER;
            sub = N_START;
            return numberByte(b, out);
        }
        Shape.Literal l = (Shape.Literal) s;
        clear();
        mode = LITERAL;
        literals = l.set;
        hi = l.set.size();
        return literalByte(b, out);
    }

    private boolean startKey(int b, BranchSet out) {
        Shape.Obj o = (Shape.Obj) frame.container;
        clear();
        key = true;
        if (o.free()) {
            if (b != '"') {
                return false;
            }
            mode = STRING;
            shape = Shape.FREE_STRING;
            return true;
        }
        LiteralSet keys = o.keySets[frame.index];
        if (keys.size() == 0) {
            return false;
        }
        mode = LITERAL;
        literals = keys;
        hi = keys.size();
        return literalByte(b, out);
    }

    private boolean literalByte(int b, BranchSet out) {
        if (lo >= hi) {
            return false;
        }
        int nlo = literals.lowerBound(lo, hi, pos, b);
        int nhi = literals.upperBound(nlo, hi, pos, b);
        if (nlo == nhi) {
            // no candidate goes on with b; it may follow one that is already whole (1 of the enum [1, 12])
            if (!key && literals.length(lo) == pos) {
                endValue();
                return step(b, out);
            }
            return false;
        }
        lo = nlo;
        hi = nhi;
        pos++;
        if (hi - lo == 1 && literals.length(lo) == pos) {
            if (key) {
                Shape.Obj o = (Shape.Obj) frame.container;
                int p = literals.tag(lo);
                frame = new Frame(o, p + 1, frame.parent);
                clear();
                shape = o.properties[p];
                mode = COLON;
                ws = WS_NONE;
            } else {
                endValue();
            }
        }
        return true;
    }

    private boolean stringByte(int b) {
        if (esc != ESC_NONE) {
            return escapeByte(b);
        }
        if (sub != Utf8States.BOUNDARY) {
            int n = Utf8States.next(sub, b);
            sub = n;
            return n >= 0;
        }
        Shape.Str s = (Shape.Str) shape;
        if (b == '"') {
            if (count < s.minChars) {
                return false;
            }
            if (key) {
                Shape.Obj o = (Shape.Obj) frame.container;
                clear();
                shape = o.values;
                mode = COLON;
                ws = WS_NONE;
            } else {
                endValue();
            }
            return true;
        }
        if (count >= s.maxChars) {
            return false;
        }
        if (b == '\\') {
            count++;
            esc = ESC_BACKSLASH;
            return true;
        }
        int n = Utf8States.next(Utf8States.BOUNDARY, b);
        if (n < 0) {
            return false;
        }
        count++;
        sub = n;
        return true;
    }

    private boolean escapeByte(int b) {
        if (esc == ESC_BACKSLASH) {
            if (b == 'u') {
                esc = ESC_HEX;
                hex = 0;
                return true;
            }
            esc = ESC_NONE;
            return b == '"' || b == '\\' || b == '/' || b == 'b' || b == 'f' || b == 'n' || b == 'r' || b == 't';
        }
        int h = hexValue(b);
        if (h < 0) {
            if (esc == ESC_LOW && b == '\\') {
                esc++;
                return true;
            }
            if (esc == ESC_LOW + 1 && b == 'u') {
                esc++;
                return true;
            }
            return false;
        }
        if (esc < ESC_LOW) {
            // a low surrogate may only follow a high one
            if (esc == ESC_HEX + 1 && hex == 0xD && h >= 0xC) {
                return false;
            }
            hex = hex * 16 + h;
            if (esc == ESC_HEX + 3) {
                esc = hex >= 0xD800 && hex <= 0xDBFF ? ESC_LOW : ESC_NONE;
            } else {
                esc++;
            }
            return true;
        }
        // the digits of the low surrogate: DC00..DFFF
        if (esc == ESC_LOW + 2 && h != 0xD || esc == ESC_LOW + 3 && h < 0xC || esc < ESC_LOW + 2) {
            return false;
        }
        esc = esc == ESC_LOW + 5 ? ESC_NONE : esc + 1;
        return true;
    }

    private static int hexValue(int b) {
        if (b >= '0' && b <= '9') {
            return b - '0';
        }
        if (b >= 'a' && b <= 'f') {
            return b - 'a' + 10;
        }
        if (b >= 'A' && b <= 'F') {
            return b - 'A' + 10;
        }
        return -1;
    }

    /** Bytes still needed to finish the escape under way. */
    private int escapeOwed() {
        if (esc == ESC_NONE) {
            return 0;
        }
        if (esc == ESC_BACKSLASH) {
            return 1;
        }
        if (esc < ESC_LOW) {
            int read = esc - ESC_HEX;
            int top = read >= 2 ? hex >> (4 * (read - 2)) : 0;
            return 4 - read + (top >= 0xD8 && top <= 0xDB ? 6 : 0);
        }
        return ESC_LOW + 6 - esc;
    }

    private boolean numberWhole() {
        return sub == N_ZERO || sub == N_INT || sub == N_FRAC || sub == N_EXP;
    }

    private boolean numberByte(int b, BranchSet out) {
        boolean integer = ((Shape.Num) shape).integer;
        boolean digit = b >= '0' && b <= '9';
        switch (sub) {
            case N_START, N_MINUS -> {
                if (b == '-' && sub == N_START) {
                    sub = N_MINUS;
                    return true;
                }
                if (!digit) {
                    return false;
                }
                sub = b == '0' ? N_ZERO : N_INT;
                return true;
            }
            case N_ZERO, N_INT -> {
                if (digit) {
                    return sub == N_INT; // no leading zeros
                }
                if (!integer && b == '.') {
                    sub = N_DOT;
                    return true;
                }
                if (!integer && (b == 'e' || b == 'E')) {
                    sub = N_E;
                    return true;
                }
                return endNumber(b, out);
            }
            case N_DOT -> {
                if (digit) {
                    sub = N_FRAC;
                }
                return digit;
            }
            case N_FRAC -> {
                if (digit) {
                    return true;
                }
                if (b == 'e' || b == 'E') {
                    sub = N_E;
                    return true;
                }
                return endNumber(b, out);
            }
            case N_E, N_EXP_SIGN -> {
                if ((b == '+' || b == '-') && sub == N_E) {
                    sub = N_EXP_SIGN;
                    return true;
                }
                if (digit) {
                    sub = N_EXP;
                    count = 1;
                }
                return digit;
            }
            default -> {
                if (digit) {
                    return ++count <= MAX_EXPONENT_DIGITS;
                }
                return endNumber(b, out);
            }
        }
    }

    /** A number ends at the first byte that cannot be part of it, which then belongs to what follows. */
    private boolean endNumber(int b, BranchSet out) {
        endValue();
        return step(b, out);
    }
}
