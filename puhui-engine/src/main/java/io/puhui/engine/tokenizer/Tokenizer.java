// Text to token ids and back, as the model's GGUF metadata defines it (llama.cpp's behaviour is the reference).
package io.puhui.engine.tokenizer;

import io.puhui.engine.gguf.Metadata;
import java.util.Optional;

public interface Tokenizer {

    /**
     * Token ids for {@code text}. {@code addSpecial} adds BOS/EOS as the model asks; {@code parseSpecial} turns the
     * text of control tokens (such as {@code <|im_start|>}) into those tokens — without it they are plain text.
     * User-defined tokens are always matched whole, as llama.cpp does.
     */
    int[] encode(String text, boolean addSpecial, boolean parseSpecial);

    /** The bytes token {@code id} contributes to generated text; empty for control tokens. */
    byte[] tokenBytes(int id);

    /** Text of a token sequence (control tokens omitted), decoded as UTF-8. */
    String decode(int[] ids);

    /** The vocabulary entry of a token, as stored in the model. */
    String piece(int id);

    int vocabSize();

    /** Beginning-of-sequence token id, or -1. */
    int bos();

    /** End-of-sequence token id, or -1. */
    int eos();

    /** Whether generating this token ends the turn (EOS, EOT and the chat end markers of known templates). */
    boolean isEndOfGeneration(int id);

    Optional<Integer> tokenId(String piece);

    static Tokenizer fromMetadata(Metadata metadata) {
        Vocabulary v = Vocabulary.from(metadata);
        return switch (v.model()) {
            case "llama" -> new SentencePieceTokenizer(v);
            case "gpt2" -> new BytePairTokenizer(v, PreTokenizer.named(v.preName()));
            case "bert" -> new WordPieceTokenizer(v);
            default -> throw new IllegalArgumentException("unsupported tokenizer model '" + v.model()
                    + "' in tokenizer.ggml.model (supported: llama, gpt2, bert)");
        };
    }
}
