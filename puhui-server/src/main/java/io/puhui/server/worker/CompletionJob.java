// One validated OpenAI request, ready for the engine: the prompt as tokens, how to sample, what to send back.
package io.puhui.server.worker;

import io.puhui.engine.generate.GenerationOptions;
import io.puhui.engine.sampling.TokenConstraint;
import java.util.function.Supplier;

record CompletionJob(
        Kind kind,
        String model,
        int[] prompt,
        GenerationOptions options,
        Supplier<TokenConstraint> constraint,
        boolean stream,
        boolean includeUsage,
        boolean logprobs,
        int topLogprobs,
        boolean echo,
        String promptText) {

    enum Kind {
        CHAT("chat.completion", "chatcmpl-"),
        TEXT("text_completion", "cmpl-");

        final String object;
        final String idPrefix;

        Kind(String object, String idPrefix) {
            this.object = object;
            this.idPrefix = idPrefix;
        }
    }
}
