// A sequence would grow past the context the model was loaded with.
package io.puhui.engine.model;

public class ContextFullException extends RuntimeException {
    private final int needed;
    private final int contextLength;

    public ContextFullException(int needed, int contextLength) {
        super("the context is full: " + needed + " tokens needed but the context holds " + contextLength
                + "; shorten the prompt, lower the token limit, or load the model with a larger context");
        this.needed = needed;
        this.contextLength = contextLength;
    }

    public int needed() {
        return needed;
    }

    public int contextLength() {
        return contextLength;
    }
}
