// Kinds of vocabulary entries, with the ids GGUF stores in tokenizer.ggml.token_type.
package io.puhui.engine.tokenizer;

public enum TokenType {
    UNDEFINED, NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE;

    static TokenType of(int id) {
        return id >= 0 && id < values().length ? values()[id] : UNDEFINED;
    }
}
