// Byte-level BPE (tokenizer.ggml.model = gpt2): pre-tokenizer splits, then merges by rank within each piece.
package io.puhui.engine.tokenizer;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

final class BytePairTokenizer extends VocabularyTokenizer {
    private static final int CACHE_SIZE = 8192;

    private final PreTokenizer pre;
    /** Rank of a merge, keyed by the ids of its two parts packed into a long. */
    private final Map<Long, Integer> ranks;
    private final boolean ignoreMerges;
    private final int[] singleByteToken = new int[256];
    private final Map<String, int[]> cache = java.util.Collections.synchronizedMap(
            new LinkedHashMap<>(256, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, int[]> eldest) {
                    return size() > CACHE_SIZE;
                }
            });

    BytePairTokenizer(Vocabulary vocab, PreTokenizer pre) {
        super(vocab);
        this.pre = pre;
        String[] merges = vocab.merges();
        ranks = new HashMap<>(merges.length * 2);
        for (int r = 0; r < merges.length; r++) {
            String m = merges[r];
            int sp = m.indexOf(' ', 1);
            if (sp < 0) {
                throw new IllegalArgumentException("tokenizer.ggml.merges entry " + r + " ('" + m
                        + "') is not two tokens separated by a space");
            }
            Integer a = vocab.id(m.substring(0, sp));
            Integer b = vocab.id(m.substring(sp + 1));
            if (a != null && b != null) {
                ranks.putIfAbsent(key(a, b), r);
            }
        }
        // llama 3 style vocabularies take a whole piece as one token when the vocabulary has it
        ignoreMerges = List.of("llama3", "llama-v3", "llama-bpe", "falcon3").contains(pre.name());
        for (int b = 0; b < 256; b++) {
            Integer id = vocab.id(String.valueOf(ByteLevel.charOf(b)));
            singleByteToken[b] = id != null ? id : -1;
        }
    }

    private static long key(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    private record Pair(int left, int right, int leftToken, int rightToken, int rank) {
    }

    @Override
    void encodeText(String text, boolean afterSpecial, IntList out) {
        if (vocab.addSpacePrefix() && afterSpecial) {
            text = " " + text;
        }
        for (String piece : pre.split(text)) {
            String word = ByteLevel.encode(piece);
            int[] ids = cache.get(word);
            if (ids == null) {
                ids = mergeWord(word);
                cache.put(word, ids);
            }
            for (int id : ids) {
                out.add(id);
            }
        }
    }

    private int[] mergeWord(String word) {
        Integer whole = vocab.id(word);
        if (ignoreMerges && whole != null) {
            return new int[] {whole};
        }
        int n = word.length(); // byte-level text: one char per byte
        int[] tok = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        int[] len = new int[n];
        boolean allKnown = true;
        for (int i = 0; i < n; i++) {
            Integer id = vocab.id(String.valueOf(word.charAt(i)));
            tok[i] = id != null ? id : -1;
            allKnown &= id != null;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
            len[i] = 1;
        }
        PriorityQueue<Pair> queue = new PriorityQueue<>((a, b) ->
                a.rank != b.rank ? Integer.compare(a.rank, b.rank) : Integer.compare(a.left, b.left));
        for (int i = 1; i < n; i++) {
            offer(queue, tok, i - 1, i);
        }
        while (!queue.isEmpty()) {
            Pair p = queue.poll();
            int l = p.left;
            int r = p.right;
            if (len[l] == 0 || len[r] == 0 || next[l] != r || tok[l] != p.leftToken || tok[r] != p.rightToken) {
                continue; // stale: a side was merged into something else since this pair was queued
            }
            Integer merged = vocab.id(word.substring(l, l + len[l] + len[r]));
            if (merged == null) {
                continue;
            }
            tok[l] = merged;
            len[l] += len[r];
            len[r] = 0;
            next[l] = next[r];
            if (next[r] >= 0) {
                prev[next[r]] = l;
            }
            offer(queue, tok, prev[l], l);
            offer(queue, tok, l, next[l]);
        }
        VocabularyTokenizer.IntList out = new VocabularyTokenizer.IntList();
        for (int i = 0; i != -1 && n > 0; i = next[i]) {
            if (tok[i] >= 0) {
                out.add(tok[i]);
            } else {
                // a character with no token: spell its bytes, skipping any the vocabulary lacks
                for (byte b : ByteLevel.decode(word.substring(i, i + len[i]))) {
                    if (singleByteToken[b & 0xFF] >= 0) {
                        out.add(singleByteToken[b & 0xFF]);
                    }
                }
            }
        }
        return out.toArray();
    }

    private void offer(PriorityQueue<Pair> queue, int[] tok, int left, int right) {
        if (left < 0 || right < 0 || tok[left] < 0 || tok[right] < 0) {
            return;
        }
        Integer rank = ranks.get(key(tok[left], tok[right]));
        if (rank != null) {
            queue.add(new Pair(left, right, tok[left], tok[right], rank));
        }
    }

    @Override
    byte[] pieceBytes(int id) {
        return ByteLevel.decode(vocab.piece(id));
    }
}
