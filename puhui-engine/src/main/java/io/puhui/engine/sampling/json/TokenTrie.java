// Every token's bytes in one byte trie, so that a grammar can rule out whole families of tokens that share an
// invalid prefix at once instead of checking 150k tokens one by one. Built once per tokenizer.
package io.puhui.engine.sampling.json;

import io.puhui.engine.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

final class TokenTrie {
    private static final Map<Tokenizer, TokenTrie> CACHE = Collections.synchronizedMap(new WeakHashMap<>());

    final int vocab;
    final byte[][] bytes;
    final boolean[] endOfGeneration;
    /**
     * Tokens that can sit anywhere inside a JSON string: no quote, no backslash, no control byte. Inside a string
     * they are allowed without walking the trie; {@link #special} holds the rest.
     */
    final int[] stringSafe;
    final Node all;
    final Node special;

    static final class Node {
        byte[] labels = new byte[0];
        Node[] children = new Node[0];
        int[] tokens = new int[0];

        Node child(byte b, boolean create) {
            for (int i = 0; i < labels.length; i++) {
                if (labels[i] == b) {
                    return children[i];
                }
            }
            if (!create) {
                return null;
            }
            labels = Arrays.copyOf(labels, labels.length + 1);
            children = Arrays.copyOf(children, children.length + 1);
            labels[labels.length - 1] = b;
            return children[children.length - 1] = new Node();
        }

        void add(byte[] word, int token) {
            Node n = this;
            for (byte b : word) {
                n = n.child(b, true);
            }
            n.tokens = Arrays.copyOf(n.tokens, n.tokens.length + 1);
            n.tokens[n.tokens.length - 1] = token;
        }
    }

    /** Complete UTF-8 characters only, none of them a quote, a backslash or a control character. */
    static boolean wellFormedText(byte[] b) {
        int i = 0;
        while (i < b.length) {
            int c = b[i] & 0xFF;
            int extra = c < 0x80 ? 0 : c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE1 && c <= 0xEC || c == 0xEE || c == 0xEF
                    ? 2 : c >= 0xF1 && c <= 0xF3 ? 3 : -1; // E0, ED, F0, F4 and bad leads take the careful path
            if (extra < 0 || c < 0x20 || c == '"' || c == '\\' || i + extra >= b.length) {
                return false;
            }
            for (int k = 1; k <= extra; k++) {
                if ((b[i + k] & 0xC0) != 0x80) {
                    return false;
                }
            }
            i += extra + 1;
        }
        return true;
    }

    static TokenTrie of(Tokenizer tokenizer) {
        return CACHE.computeIfAbsent(tokenizer, TokenTrie::new);
    }

    private TokenTrie(Tokenizer tokenizer) {
        vocab = tokenizer.vocabSize();
        bytes = new byte[vocab][];
        endOfGeneration = new boolean[vocab];
        all = new Node();
        special = new Node();
        List<Integer> safe = new ArrayList<>();
        for (int id = 0; id < vocab; id++) {
            bytes[id] = tokenizer.tokenBytes(id);
            endOfGeneration[id] = tokenizer.isEndOfGeneration(id);
            if (bytes[id].length == 0) {
                continue;
            }
            all.add(bytes[id], id);
            boolean plain = wellFormedText(bytes[id]);
            if (plain) {
                safe.add(id);
            } else {
                special.add(bytes[id], id);
            }
        }
        stringSafe = safe.stream().mapToInt(Integer::intValue).toArray();
    }
}
