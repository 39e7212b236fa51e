// The vocabulary of a model from GGUF metadata: pieces, types, scores, special ids, and the split of raw text
// around special tokens that every tokenizer kind does first.
package io.puhui.engine.tokenizer;

import io.puhui.engine.gguf.Metadata;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

final class Vocabulary {
    /** Markers that end a chat turn in common templates; control tokens with this text end generation. */
    private static final Set<String> END_MARKERS = Set.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
            "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>", "<｜end▁of▁sentence｜>", "<|end_of_text|>",
            "<|return|>", "<|call|>", "<end_of_utterance>");

    private final String model;
    private final String preName;
    private final String[] pieces;
    private final float[] scores;
    private final TokenType[] types;
    private final Map<String, Integer> ids;
    private final String[] merges;
    private final int bos;
    private final int eos;
    private final int unk;
    private final int eot;
    private final int eom;
    private final boolean addBos;
    private final boolean addEos;
    private final boolean addSpacePrefix;
    /** Tokens matched as whole units in raw text, longest first. */
    private final List<Integer> specials;

    private Vocabulary(Metadata m) {
        model = m.findString("tokenizer.ggml.model").orElseThrow(() ->
                new IllegalArgumentException("the model has no tokenizer (tokenizer.ggml.model is missing)"));
        preName = m.findString("tokenizer.ggml.pre").orElse("default");
        pieces = m.getStringArray("tokenizer.ggml.tokens");
        scores = m.contains("tokenizer.ggml.scores") ? m.getFloatArray("tokenizer.ggml.scores") : null;
        int[] rawTypes = m.contains("tokenizer.ggml.token_type") ? m.getIntArray("tokenizer.ggml.token_type") : null;
        types = new TokenType[pieces.length];
        for (int i = 0; i < pieces.length; i++) {
            types[i] = rawTypes != null && i < rawTypes.length ? TokenType.of(rawTypes[i]) : TokenType.NORMAL;
        }
        ids = new HashMap<>(pieces.length * 2);
        for (int i = 0; i < pieces.length; i++) {
            ids.putIfAbsent(pieces[i], i);
        }
        merges = m.contains("tokenizer.ggml.merges") ? m.getStringArray("tokenizer.ggml.merges") : new String[0];
        boolean spm = model.equals("llama");
        boolean bert = model.equals("bert");
        bos = m.getInt("tokenizer.ggml.bos_token_id", spm ? 1 : bert ? 101 : -1);
        eos = m.getInt("tokenizer.ggml.eos_token_id", spm ? 2 : bert ? 102 : -1);
        unk = m.getInt("tokenizer.ggml.unknown_token_id", spm ? 0 : bert ? 100 : -1);
        eot = m.getInt("tokenizer.ggml.eot_token_id", -1);
        eom = m.getInt("tokenizer.ggml.eom_token_id", -1);
        addBos = m.getBool("tokenizer.ggml.add_bos_token", spm || bert);
        addEos = m.getBool("tokenizer.ggml.add_eos_token", bert);
        addSpacePrefix = m.getBool("tokenizer.ggml.add_space_prefix", spm);
        specials = new ArrayList<>();
        for (int i = 0; i < pieces.length; i++) {
            if ((types[i] == TokenType.CONTROL || types[i] == TokenType.USER_DEFINED || types[i] == TokenType.UNKNOWN)
                    && !pieces[i].isEmpty()) {
                specials.add(i);
            }
        }
        specials.sort(Comparator.comparingInt((Integer i) -> pieces[i].length()).reversed());
    }

    static Vocabulary from(Metadata m) {
        return new Vocabulary(m);
    }

    String model() {
        return model;
    }

    String preName() {
        return preName;
    }

    int size() {
        return pieces.length;
    }

    String piece(int id) {
        return pieces[id];
    }

    float score(int id) {
        return scores != null ? scores[id] : 0f;
    }

    TokenType type(int id) {
        return types[id];
    }

    Integer id(String piece) {
        return ids.get(piece);
    }

    String[] merges() {
        return merges;
    }

    int bos() {
        return bos;
    }

    int eos() {
        return eos;
    }

    int unk() {
        return unk;
    }

    boolean addBos() {
        return addBos && bos >= 0;
    }

    boolean addEos() {
        return addEos && eos >= 0;
    }

    boolean addSpacePrefix() {
        return addSpacePrefix;
    }

    boolean isEndOfGeneration(int id) {
        if (id < 0 || id >= pieces.length) {
            return false;
        }
        return id == eos || id == eot || id == eom
                || (types[id] == TokenType.CONTROL && END_MARKERS.contains(pieces[id]));
    }

    /** A piece of input: raw text to tokenize, or a special token already recognised. */
    record Fragment(String text, int token) {
        boolean isText() {
            return token < 0;
        }
    }

    /** Splits text around special tokens (user-defined always; control and unknown only when parsing special). */
    List<Fragment> partition(String text, boolean parseSpecial) {
        List<Fragment> out = new ArrayList<>();
        out.add(new Fragment(text, -1));
        for (int id : specials) {
            if (!parseSpecial && types[id] != TokenType.USER_DEFINED) {
                continue;
            }
            String s = pieces[id];
            List<Fragment> next = new ArrayList<>(out.size());
            for (Fragment f : out) {
                if (!f.isText() || f.text().length() < s.length()) {
                    next.add(f);
                    continue;
                }
                String t = f.text();
                int from = 0;
                int at;
                while ((at = t.indexOf(s, from)) >= 0) {
                    if (at > from) {
                        next.add(new Fragment(t.substring(from, at), -1));
                    }
                    next.add(new Fragment(s, id));
                    from = at + s.length();
                }
                if (from < t.length()) {
                    next.add(new Fragment(t.substring(from), -1));
                }
            }
            out = next;
        }
        return out;
    }
}
