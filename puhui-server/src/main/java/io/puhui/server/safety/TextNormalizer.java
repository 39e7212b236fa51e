// What the safety checks compare: text folded so that evasions read as the plain word — full-width forms as
// ASCII, upper case as lower, traditional characters as simplified, and spaces and symbols inserted between
// the characters of a word dropped.
package io.puhui.server.safety;

import com.ibm.icu.text.Transliterator;
import java.text.Normalizer;

public final class TextNormalizer {
    private static final int CJK_FIRST = 0x3400;
    private static final int CJK_LAST = 0x9FFF;

    private TextNormalizer() {
    }

    /** Traditional → simplified, character by character, for the CJK blocks (built once, about 0.3 s). */
    private static final class Simplified {
        static final char[] TABLE = build();

        private static char[] build() {
            Transliterator t = Transliterator.getInstance("Traditional-Simplified");
            char[] table = new char[CJK_LAST - CJK_FIRST + 1];
            for (int c = CJK_FIRST; c <= CJK_LAST; c++) {
                String s = t.transliterate(String.valueOf((char) c));
                table[c - CJK_FIRST] = s.length() == 1 ? s.charAt(0) : (char) c;
            }
            return table;
        }
    }

    /** Loads the tables now rather than on the first request. */
    public static void warm() {
        if (Simplified.TABLE.length == 0) {
            throw new IllegalStateException("no conversion table");
        }
    }

    /**
     * Appends the folded form of one character to {@code out}: nothing for a space, punctuation or a symbol,
     * usually one character, sometimes more (a ligature, a circled number).
     */
    public static void fold(char c, StringBuilder out) {
        if (c < 0x80) {
            if (c >= 'A' && c <= 'Z') {
                out.append((char) (c + 32));
            } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
                out.append(c);
            }
            return;
        }
        if (c >= 0xFF01 && c <= 0xFF5E) { // full-width ASCII
            fold((char) (c - 0xFEE0), out);
            return;
        }
        if (c >= CJK_FIRST && c <= CJK_LAST) {
            out.append(Simplified.TABLE[c - CJK_FIRST]);
            return;
        }
        if (Character.isSurrogate(c) || !Character.isLetterOrDigit(c)) {
            return;
        }
        String k = Normalizer.normalize(String.valueOf(c), Normalizer.Form.NFKC);
        for (int i = 0; i < k.length(); i++) {
            char x = k.charAt(i);
            if (x < 0x80 || (x >= CJK_FIRST && x <= CJK_LAST)) {
                fold(x, out);
            } else if (Character.isLetterOrDigit(x)) {
                out.append(Character.toLowerCase(x));
            }
        }
    }

    /** The folded form of a whole text. */
    public static String fold(CharSequence text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            fold(text.charAt(i), out);
        }
        return out.toString();
    }
}
