// The byte-level automaton for the characters of a JSON string: well-formed UTF-8 (no overlongs, no surrogates, at
// most U+10FFFF) of characters that need no escape. Tokens may end inside a character, so the state crosses tokens.
package io.puhui.engine.sampling.json;

import java.util.Arrays;

final class Utf8States {
    /** At a character boundary; the other states wait for continuation bytes. */
    static final int BOUNDARY = 0;
    static final int STATES = 8;

    /** Continuation bytes still needed in each state. */
    private static final int[] PENDING = {0, 1, 2, 3, 2, 2, 3, 3};
    private static final byte[] NEXT = new byte[STATES * 256];

    static {
        Arrays.fill(NEXT, (byte) -1);
        for (int b = 0x20; b < 0x80; b++) {
            if (b != '"' && b != '\\') {
                NEXT[b] = BOUNDARY;
            }
        }
        range(BOUNDARY, 0xC2, 0xDF, 1);
        range(BOUNDARY, 0xE0, 0xE0, 4);
        range(BOUNDARY, 0xE1, 0xEC, 2);
        range(BOUNDARY, 0xED, 0xED, 5);
        range(BOUNDARY, 0xEE, 0xEF, 2);
        range(BOUNDARY, 0xF0, 0xF0, 6);
        range(BOUNDARY, 0xF1, 0xF3, 3);
        range(BOUNDARY, 0xF4, 0xF4, 7);
        range(1, 0x80, 0xBF, BOUNDARY);
        range(2, 0x80, 0xBF, 1);
        range(3, 0x80, 0xBF, 2);
        range(4, 0xA0, 0xBF, 1); // E0: no overlong three-byte forms
        range(5, 0x80, 0x9F, 1); // ED: no UTF-16 surrogates
        range(6, 0x90, 0xBF, 2); // F0: no overlong four-byte forms
        range(7, 0x80, 0x8F, 2); // F4: nothing above U+10FFFF
    }

    private Utf8States() {
    }

    private static void range(int state, int from, int to, int next) {
        for (int b = from; b <= to; b++) {
            NEXT[state * 256 + b] = (byte) next;
        }
    }

    /** The state after byte {@code b} (0..255) of string content, or -1 if it cannot be there unescaped. */
    static int next(int state, int b) {
        return NEXT[state * 256 + b];
    }

    static int pending(int state) {
        return PENDING[state];
    }

    /** Whether the byte starts a character (rather than continuing one): what string lengths count. */
    static boolean startsCharacter(int b) {
        return b < 0x80 || b >= 0xC0;
    }

    /** Continuation bytes a character starting with {@code b} needs. */
    static int continuationsAfter(int b) {
        return b < 0xC0 ? 0 : b < 0xE0 ? 1 : b < 0xF0 ? 2 : 3;
    }
}
