// How the next token is chosen. Defaults match OpenAI's API: temperature 1, top-p 1, no penalties.
package io.puhui.engine.sampling;

public record SamplingParams(
        float temperature,
        int topK,
        float topP,
        float minP,
        float repetitionPenalty,
        int repetitionWindow,
        float presencePenalty,
        float frequencyPenalty,
        long seed,
        int topLogprobs) {

    public static final SamplingParams DEFAULT = new SamplingParams(1f, 0, 1f, 0f, 1f, 64, 0f, 0f, 0L, 0);
    public static final SamplingParams GREEDY = DEFAULT.withTemperature(0f);

    public SamplingParams {
        check(temperature >= 0 && temperature <= 100, "temperature must be between 0 and 100, got " + temperature);
        check(topK >= 0, "top_k must be 0 (off) or positive, got " + topK);
        check(topP > 0 && topP <= 1, "top_p must be in (0, 1], got " + topP);
        check(minP >= 0 && minP <= 1, "min_p must be in [0, 1], got " + minP);
        check(repetitionPenalty > 0, "repetition_penalty must be positive, got " + repetitionPenalty);
        check(repetitionWindow >= 0, "the repetition window must not be negative");
        check(presencePenalty >= -2 && presencePenalty <= 2, "presence_penalty must be between -2 and 2, got "
                + presencePenalty);
        check(frequencyPenalty >= -2 && frequencyPenalty <= 2, "frequency_penalty must be between -2 and 2, got "
                + frequencyPenalty);
        check(topLogprobs >= 0 && topLogprobs <= 20, "top_logprobs must be between 0 and 20, got " + topLogprobs);
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    public boolean greedy() {
        return temperature == 0f || topK == 1;
    }

    public SamplingParams withTemperature(float t) {
        return new SamplingParams(t, topK, topP, minP, repetitionPenalty, repetitionWindow, presencePenalty,
                frequencyPenalty, seed, topLogprobs);
    }

    public SamplingParams withTopK(int k) {
        return new SamplingParams(temperature, k, topP, minP, repetitionPenalty, repetitionWindow, presencePenalty,
                frequencyPenalty, seed, topLogprobs);
    }

    public SamplingParams withTopP(float p) {
        return new SamplingParams(temperature, topK, p, minP, repetitionPenalty, repetitionWindow, presencePenalty,
                frequencyPenalty, seed, topLogprobs);
    }

    public SamplingParams withMinP(float p) {
        return new SamplingParams(temperature, topK, topP, p, repetitionPenalty, repetitionWindow, presencePenalty,
                frequencyPenalty, seed, topLogprobs);
    }

    public SamplingParams withRepetitionPenalty(float penalty, int window) {
        return new SamplingParams(temperature, topK, topP, minP, penalty, window, presencePenalty,
                frequencyPenalty, seed, topLogprobs);
    }

    public SamplingParams withPenalties(float presence, float frequency) {
        return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, repetitionWindow, presence,
                frequency, seed, topLogprobs);
    }

    public SamplingParams withSeed(long s) {
        return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, repetitionWindow, presencePenalty,
                frequencyPenalty, s, topLogprobs);
    }

    public SamplingParams withTopLogprobs(int n) {
        return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, repetitionWindow, presencePenalty,
                frequencyPenalty, seed, n);
    }
}
