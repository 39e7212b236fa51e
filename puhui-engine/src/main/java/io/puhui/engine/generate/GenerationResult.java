// The outcome of one generation with the counts and timings that usage records and benchmarks need.
package io.puhui.engine.generate;

public record GenerationResult(
        String text,
        int[] tokens,
        FinishReason finishReason,
        int promptTokens,
        long promptNanos,
        long generationNanos) {

    public int completionTokens() {
        return tokens.length;
    }

    public double promptTokensPerSecond() {
        return promptNanos == 0 ? 0 : promptTokens * 1e9 / promptNanos;
    }

    /** Decode speed: tokens after the first (whose time is prompt processing) per second of decoding. */
    public double generationTokensPerSecond() {
        return generationNanos == 0 ? 0 : tokens.length * 1e9 / generationNanos;
    }
}
