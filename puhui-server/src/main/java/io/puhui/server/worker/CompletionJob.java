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
        String promptText,
        int n) {

    /** Choices per request (OpenAI's n) at most; each takes a decoding slot. */
    static final int MAX_CHOICES = 16;

    /** The options of choice {@code i}: choice 0 samples with the request's seed, choice i with seed + i. */
    io.puhui.engine.generate.GenerationOptions optionsOf(int i) {
        return i == 0 ? options : new io.puhui.engine.generate.GenerationOptions(
                options.sampling().withSeed(options.sampling().seed() + i), options.maxTokens(), options.stop(),
                options.ignoreEos());
    }

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
