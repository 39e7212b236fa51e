// Generates text for one sequence: prompt in batches, then token by token, streaming safe text as it goes.
package io.puhui.engine.generate;

import io.puhui.engine.model.ContextFullException;
import io.puhui.engine.model.KvCache;
import io.puhui.engine.model.Model;
import io.puhui.engine.sampling.SampledToken;
import io.puhui.engine.sampling.Sampler;
import io.puhui.engine.tensor.ThreadTeam;
import io.puhui.engine.tokenizer.Tokenizer;
import java.util.Arrays;

public final class Generator {
    /** Tokens per forward step while reading the prompt: big enough to reuse each weight row, small enough for cache. */
    public static final int PROMPT_BATCH = 128;

    /** Receives tokens as they are generated; returning false stops the generation. */
    @FunctionalInterface
    public interface Listener {
        boolean onToken(TokenEvent event);
    }

    private final Model model;
    private final Tokenizer tokenizer;
    private final ThreadTeam team;
    private final int contextLength;

    public Generator(Model model, Tokenizer tokenizer, ThreadTeam team, int contextLength) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.team = team;
        if (contextLength < 2) {
            throw new IllegalArgumentException("context length must be at least 2 tokens, got " + contextLength);
        }
        this.contextLength = contextLength;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public Model model() {
        return model;
    }

    public int contextLength() {
        return contextLength;
    }

    public GenerationResult generate(int[] prompt, GenerationOptions options, Listener listener) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty: give at least one token");
        }
        if (prompt.length >= contextLength) {
            throw new ContextFullException(prompt.length + 1, contextLength);
        }
        int vocab = model.config().vocabSize();
        KvCache cache = model.newCache(Math.min(contextLength, prompt.length + options.maxTokens() + 1));
        Sampler sampler = new Sampler(options.sampling());
        sampler.acceptPrompt(prompt);
        float[] logits = new float[vocab];

        long t0 = System.nanoTime();
        model.forwardSequence(team, prompt, 0, cache, logits, PROMPT_BATCH);
        long promptNanos = System.nanoTime() - t0;

        Utf8Assembler utf8 = new Utf8Assembler();
        StopMatcher stops = new StopMatcher(options.stop());
        int[] generated = new int[Math.max(0, options.maxTokens())];
        int count = 0;
        FinishReason reason = FinishReason.LENGTH;
        long t1 = System.nanoTime();
        while (count < options.maxTokens()) {
            SampledToken next = sampler.sample(logits, vocab);
            sampler.accept(next.id());
            if (!options.ignoreEos() && tokenizer.isEndOfGeneration(next.id())) {
                reason = FinishReason.STOP;
                break;
            }
            generated[count++] = next.id();
            String text = stops.accept(utf8.accept(tokenizer.tokenBytes(next.id())));
            if (stops.stopped()) {
                listener.onToken(new TokenEvent(next.id(), text, next.logprob(), next.top()));
                reason = FinishReason.STOP;
                break;
            }
            if (!listener.onToken(new TokenEvent(next.id(), text, next.logprob(), next.top()))) {
                reason = FinishReason.CANCELLED;
                break;
            }
            int pos = prompt.length + count - 1;
            if (count == options.maxTokens()) {
                break;
            }
            if (pos >= cache.capacity()) {
                break; // the context is full: finish with "length"
            }
            model.forward(team, new int[] {next.id()}, new int[] {pos}, new KvCache[] {cache},
                    new float[][] {logits});
        }
        long generationNanos = System.nanoTime() - t1;
        if (!stops.stopped()) {
            String rest = stops.accept(utf8.flush());
            rest += stops.finish();
            if (!rest.isEmpty()) {
                // text held back for a possible stop string or an unfinished character: no token of its own
                listener.onToken(new TokenEvent(-1, rest, 0f, java.util.List.of()));
            }
        }
        return new GenerationResult(stops.text(), Arrays.copyOf(generated, count), reason, prompt.length,
                promptNanos, generationNanos);
    }
}
