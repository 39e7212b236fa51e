// Restricts which tokens may come next, e.g. so that the output stays valid JSON (OpenAI's response_format).
package io.puhui.engine.sampling;

public interface TokenConstraint {

    /**
     * Sets to negative infinity the logit of every token that may not come next. {@code remainingTokens} is how many
     * tokens the sequence may still generate, this one included, so that a constraint can steer towards an end in time.
     */
    void mask(float[] logits, int remainingTokens);

    /** Records the token that was chosen. */
    void accept(int token);

    /** Whether the output so far is complete: then only end-of-generation tokens are allowed. */
    boolean complete();
}
