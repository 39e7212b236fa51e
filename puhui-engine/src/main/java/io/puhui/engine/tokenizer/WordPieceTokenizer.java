// WordPiece (tokenizer.ggml.model = bert): lower-cased, split at spaces, punctuation and CJK characters, then
// greedy longest-match within each word; word starts carry ▁ in GGUF vocabularies.
package io.puhui.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;

final class WordPieceTokenizer extends VocabularyTokenizer {
    private final int maxTokenChars;

    WordPieceTokenizer(Vocabulary vocab) {
        super(vocab);
        int max = 0;
        for (int i = 0; i < vocab.size(); i++) {
            max = Math.max(max, vocab.piece(i).codePointCount(0, vocab.piece(i).length()));
        }
        maxTokenChars = max;
    }

    @Override
    void encodeText(String text, boolean afterSpecial, IntList out) {
        for (String word : words(text)) {
            String w = "\u2581" + word;
            int[] cps = w.codePoints().toArray();
            int before = out.size();
            IntList found = new IntList();
            boolean ok = true;
            for (int i = 0; i < cps.length && ok; ) {
                ok = false;
                for (int j = Math.min(cps.length, i + maxTokenChars); j > i; j--) {
                    Integer id = vocab.id(new String(cps, i, j - i));
                    if (id != null) {
                        found.add(id);
                        i = j;
                        ok = true;
                        break;
                    }
                }
            }
            if (ok && found.size() > 0) {
                for (int id : found.toArray()) {
                    out.add(id);
                }
            }
            if (out.size() == before) {
                out.add(vocab.unk());
            }
        }
    }

    /** BERT's basic tokenization: NFD, lower case, whitespace and punctuation splits, CJK characters alone. */
    static List<String> words(String text) {
        String nfd = Normalizer.normalize(text, Normalizer.Form.NFD);
        List<String> words = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < nfd.length(); ) {
            int cp = nfd.codePointAt(i);
            i += Character.charCount(cp);
            if (isWhitespace(cp)) {
                flush(cur, words);
                continue;
            }
            int type = Character.getType(cp);
            // accents split off by NFD are dropped, as uncased BERT vocabularies expect
            if (cp == 0 || cp == 0xFFFD || type == Character.NON_SPACING_MARK || type == Character.CONTROL || type == Character.FORMAT
                    || type == Character.PRIVATE_USE || type == Character.SURROGATE || type == Character.UNASSIGNED) {
                continue;
            }
            String s = new String(Character.toChars(Character.toLowerCase(cp)));
            if (isPunctuation(type) || (cp < 0x7F && isSymbol(type)) || isChinese(cp)) {
                flush(cur, words);
                words.add(s);
            } else {
                cur.append(s);
            }
        }
        flush(cur, words);
        return words;
    }

    private static void flush(StringBuilder cur, List<String> words) {
        if (!cur.isEmpty()) {
            words.add(cur.toString());
            cur.setLength(0);
        }
    }

    private static boolean isWhitespace(int cp) {
        return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F
                || cp == 0x3000;
    }

    private static boolean isPunctuation(int type) {
        return type == Character.CONNECTOR_PUNCTUATION || type == Character.DASH_PUNCTUATION
                || type == Character.START_PUNCTUATION || type == Character.END_PUNCTUATION
                || type == Character.INITIAL_QUOTE_PUNCTUATION || type == Character.FINAL_QUOTE_PUNCTUATION
                || type == Character.OTHER_PUNCTUATION;
    }

    private static boolean isSymbol(int type) {
        return type == Character.MATH_SYMBOL || type == Character.CURRENCY_SYMBOL
                || type == Character.MODIFIER_SYMBOL || type == Character.OTHER_SYMBOL;
    }

    private static boolean isChinese(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B920 && cp <= 0x2CEAF) || (cp >= 0xF900 && cp <= 0xFAFF)
                || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }

    @Override
    byte[] pieceBytes(int id) {
        String p = vocab.piece(id);
        // ▁ marks a word start: a space before it
        return (p.startsWith("\u2581") ? " " + p.substring(1) : p).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String decode(int[] ids) {
        String s = super.decode(ids);
        return s.startsWith(" ") ? s.substring(1) : s;
    }
}
