// A rule on which tokens may come next in one sequence (structured output): masks logits before sampling and
// follows the tokens actually chosen.
package io.puhui.engine.sampling;

/**
 * Per-sequence and stateful: at every step call {@link #mask}, sample, then {@link #accept} the chosen token.
 *
 * <p>While the output is incomplete, end-of-generation tokens and tokens that add no text are masked; once it is
 * {@link #complete()} and cannot go on, only end-of-generation tokens are left, so sampling ends the answer. A caller
 * whose tokenizer has no end-of-generation token stops when {@link #complete()} is true.
 */
public interface TokenConstraint {

    /**
     * Sets to {@link Float#NEGATIVE_INFINITY} the logit of every token that may not come next.
     *
     * @param remainingTokens how many tokens the sequence may still generate, this one included: near the end
     *                        only tokens that still let the output be finished in time are left
     */
    void mask(float[] logits, int remainingTokens);

    /** Follows the token chosen for this step. */
    void accept(int token);

    /** Whether the output so far is a complete, valid document. */
    boolean complete();
}
