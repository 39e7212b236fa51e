// SentencePiece-style tokenization (tokenizer.ggml.model = llama): spaces become ▁, characters merge pairwise by
// highest score, and characters with no token fall back to <0xXX> byte tokens.
package io.puhui.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.PriorityQueue;

final class SentencePieceTokenizer extends VocabularyTokenizer {
    private static final char SPACE = '\u2581';
    private final int[] byteTokens = new int[256];

    SentencePieceTokenizer(Vocabulary vocab) {
        super(vocab);
        for (int b = 0; b < 256; b++) {
            Integer id = vocab.id(String.format("<0x%02X>", b));
            if (id == null && b < 0x80) {
                id = vocab.id(String.valueOf((char) b));
            }
            byteTokens[b] = id != null ? id : vocab.unk();
        }
    }

    private record Bigram(int left, int right, float score, int size) {
    }

    @Override
    void encodeText(String raw, boolean afterSpecial, IntList out) {
        String text = (vocab.addSpacePrefix() && afterSpecial ? " " : "") + raw;
        text = text.replace(' ', SPACE);
        // symbols: one per code point, linked so that merged neighbours can be skipped
        int n = text.codePointCount(0, text.length());
        int[] start = new int[n];
        int[] len = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0, off = 0; i < n; i++) {
            int cp = text.codePointAt(off);
            start[i] = off;
            len[i] = Character.charCount(cp);
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
            off += len[i];
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) ->
                a.score != b.score ? Float.compare(b.score, a.score) : Integer.compare(a.left, b.left));
        final String t = text;
        for (int i = 1; i < n; i++) {
            tryBigram(t, i - 1, i, start, len, queue);
        }
        while (!queue.isEmpty()) {
            Bigram bg = queue.poll();
            int l = bg.left;
            int r = bg.right;
            if (len[l] == 0 || len[r] == 0 || len[l] + len[r] != bg.size) {
                continue; // one side was merged into something else since this pair was queued
            }
            len[l] += len[r];
            len[r] = 0;
            next[l] = next[r];
            if (next[r] >= 0) {
                prev[next[r]] = l;
            }
            tryBigram(t, prev[l], l, start, len, queue);
            tryBigram(t, l, next[l], start, len, queue);
        }
        // Merges only ever form vocabulary entries, so a final symbol is a token or a lone character;
        // a character without a token is spelled in byte tokens.
        for (int i = 0; i != -1 && n > 0; i = next[i]) {
            String s = t.substring(start[i], start[i] + len[i]);
            Integer id = vocab.id(s);
            if (id != null) {
                out.add(id);
            } else {
                for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
                    out.add(byteTokens[b & 0xFF]);
                }
            }
        }
    }

    private void tryBigram(String t, int left, int right, int[] start, int[] len, PriorityQueue<Bigram> queue) {
        if (left < 0 || right < 0) {
            return;
        }
        String s = t.substring(start[left], start[left] + len[left] + len[right]);
        Integer id = vocab.id(s);
        if (id == null) {
            return;
        }
        queue.add(new Bigram(left, right, vocab.score(id), s.length()));
    }

    @Override
    byte[] pieceBytes(int id) {
        String p = vocab.piece(id);
        if (vocab.type(id) == TokenType.BYTE && p.length() == 6 && p.startsWith("<0x") && p.endsWith(">")) {
            return new byte[] {(byte) Integer.parseInt(p.substring(3, 5), 16)};
        }
        if (vocab.type(id) == TokenType.UNKNOWN) {
            return "\u2585".getBytes(StandardCharsets.UTF_8);
        }
        return p.replace(SPACE, ' ').getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String decode(int[] ids) {
        String s = super.decode(ids);
        // the space the tokenizer put before the first word is not part of the text (BOS and other control
        // tokens before it print nothing, so the first printing token is the one that carries it)
        int first = 0;
        while (first < ids.length && tokenBytes(ids[first]).length == 0) {
            first++;
        }
        if (vocab.addSpacePrefix() && s.startsWith(" ") && first < ids.length
                && vocab.type(ids[first]) == TokenType.NORMAL) {
            return s.substring(1);
        }
        return s;
    }
}
