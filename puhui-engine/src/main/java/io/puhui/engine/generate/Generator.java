// Generates text for one sequence: prompt in batches, then token by token, streaming safe text as it goes.
package io.puhui.engine.generate;

import io.puhui.engine.model.ContextFullException;
import io.puhui.engine.model.KvCache;
import io.puhui.engine.model.Model;
import io.puhui.engine.sampling.TokenConstraint;
import io.puhui.engine.tensor.ThreadTeam;
import io.puhui.engine.tokenizer.Tokenizer;

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
        return generate(prompt, options, null, listener);
    }

    /** Generates under a {@link TokenConstraint} (null for none), e.g. to keep the output valid JSON. */
    public GenerationResult generate(int[] prompt, GenerationOptions options, TokenConstraint constraint,
                                     Listener listener) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty: give at least one token");
        }
        if (prompt.length >= contextLength) {
            throw new ContextFullException(prompt.length + 1, contextLength);
        }
        int vocab = model.config().vocabSize();
        KvCache cache = model.newCache(Math.min(contextLength, prompt.length + options.maxTokens() + 1));
        SequenceDecoder decoder = new SequenceDecoder(tokenizer, prompt, options, constraint, listener,
                cache.capacity());
        float[] logits = new float[vocab];

        long t0 = System.nanoTime();
        model.forwardSequence(team, prompt, 0, cache, logits, PROMPT_BATCH);
        long promptNanos = System.nanoTime() - t0;

        long t1 = System.nanoTime();
        if (!decoder.done()) {
            while (decoder.step(logits, vocab)) {
                model.forward(team, new int[] {decoder.lastToken()}, new int[] {decoder.nextPosition()},
                        new KvCache[] {cache}, new float[][] {logits});
            }
        }
        long generationNanos = System.nanoTime() - t1;
        return decoder.finish(promptNanos, generationNanos);
    }
}
