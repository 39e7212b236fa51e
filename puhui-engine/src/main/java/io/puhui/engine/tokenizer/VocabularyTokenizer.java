// What all tokenizer kinds share: special-token handling, BOS/EOS, and turning tokens back into bytes.
package io.puhui.engine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

abstract class VocabularyTokenizer implements Tokenizer {
    protected final Vocabulary vocab;
    private final byte[][] bytes;

    VocabularyTokenizer(Vocabulary vocab) {
        this.vocab = vocab;
        this.bytes = new byte[vocab.size()][];
    }

    /** Tokenizes one fragment of raw text (no special tokens in it); {@code afterSpecial} is true at the start
     *  or right after a special token. */
    abstract void encodeText(String text, boolean afterSpecial, IntList out);

    /** The output bytes of a normal token's piece. */
    abstract byte[] pieceBytes(int id);

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        IntList out = new IntList();
        if (addSpecial && vocab.addBos()) {
            out.add(vocab.bos());
        }
        boolean afterSpecial = true;
        if (!text.isEmpty()) {
            for (Vocabulary.Fragment f : vocab.partition(text, parseSpecial)) {
                if (f.isText()) {
                    encodeText(f.text(), afterSpecial, out);
                    afterSpecial = false;
                } else {
                    out.add(f.token());
                    afterSpecial = true;
                }
            }
        }
        if (addSpecial && vocab.addEos()) {
            out.add(vocab.eos());
        }
        return out.toArray();
    }

    @Override
    public byte[] tokenBytes(int id) {
        if (id < 0 || id >= vocab.size()) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + vocab.size());
        }
        byte[] b = bytes[id];
        if (b == null) {
            b = switch (vocab.type(id)) {
                case CONTROL, UNUSED -> new byte[0];
                case USER_DEFINED -> vocab.piece(id).getBytes(StandardCharsets.UTF_8);
                default -> pieceBytes(id);
            };
            bytes[id] = b;
        }
        return b;
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id : ids) {
            out.writeBytes(tokenBytes(id));
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public String piece(int id) {
        return vocab.piece(id);
    }

    @Override
    public int vocabSize() {
        return vocab.size();
    }

    @Override
    public int bos() {
        return vocab.bos();
    }

    @Override
    public int eos() {
        return vocab.eos();
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return vocab.isEndOfGeneration(id);
    }

    @Override
    public Optional<Integer> tokenId(String piece) {
        return Optional.ofNullable(vocab.id(piece));
    }

    /** A growable int array, to avoid boxing every token. */
    static final class IntList {
        private int[] a = new int[16];
        private int n;

        void add(int v) {
            if (n == a.length) {
                a = java.util.Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        int size() {
            return n;
        }

        int[] toArray() {
            return java.util.Arrays.copyOf(a, n);
        }
    }
}
