// What one generation may do: how to sample, how long to run, where to stop.
package io.puhui.engine.generate;

import io.puhui.engine.sampling.SamplingParams;
import java.util.List;

public record GenerationOptions(SamplingParams sampling, int maxTokens, List<String> stop, boolean ignoreEos) {

    public GenerationOptions {
        if (maxTokens < 0) {
            throw new IllegalArgumentException("max tokens must not be negative, got " + maxTokens);
        }
        stop = List.copyOf(stop);
        if (stop.size() > 16) {
            throw new IllegalArgumentException("at most 16 stop strings, got " + stop.size());
        }
    }

    public static GenerationOptions of(SamplingParams sampling, int maxTokens) {
        return new GenerationOptions(sampling, maxTokens, List.of(), false);
    }

    public GenerationOptions withStop(List<String> s) {
        return new GenerationOptions(sampling, maxTokens, s, ignoreEos);
    }
}
