// Why a generation ended, in OpenAI's words where OpenAI has one.
package io.puhui.engine.generate;

public enum FinishReason {
    /** End-of-generation token or a stop string. */
    STOP("stop"),
    /** The token limit or the context was reached. */
    LENGTH("length"),
    /** The caller stopped it, e.g. a client went away or an output check withheld the answer. */
    CANCELLED("cancelled");

    public final String openAiName;

    FinishReason(String openAiName) {
        this.openAiName = openAiName;
    }
}
