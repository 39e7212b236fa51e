// The per-sequence half of decoding: sample from logits, track stops, UTF-8 and limits, stream tokens out.
// Generator (one sequence) and BatchGenerator (many at once) share it, so both decide every token the same way.
package io.puhui.engine.generate;

import io.puhui.engine.sampling.SampledToken;
import io.puhui.engine.sampling.Sampler;
import io.puhui.engine.sampling.TokenConstraint;
import io.puhui.engine.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.List;

final class SequenceDecoder {
    private final Tokenizer tokenizer;
    private final int promptLength;
    private final GenerationOptions options;
    private final TokenConstraint constraint;
    private final Generator.Listener listener;
    private final int capacity;
    private final Sampler sampler;
    private final Utf8Assembler utf8 = new Utf8Assembler();
    private final StopMatcher stops;
    private final int[] generated;
    private float[] scratch;
    private int count;
    private FinishReason reason;

    SequenceDecoder(Tokenizer tokenizer, int[] prompt, GenerationOptions options, TokenConstraint constraint,
                    Generator.Listener listener, int capacity) {
        this.tokenizer = tokenizer;
        this.promptLength = prompt.length;
        this.options = options;
        this.constraint = constraint;
        this.listener = listener;
        this.capacity = capacity;
        this.sampler = new Sampler(options.sampling());
        this.sampler.acceptPrompt(prompt);
        this.stops = new StopMatcher(options.stop());
        this.generated = new int[Math.max(0, options.maxTokens())];
    }

    /** Whether nothing is to be generated at all ({@code max_tokens} 0): the prompt is only read. */
    boolean done() {
        return reason != null || options.maxTokens() == 0;
    }

    /**
     * Chooses the next token from {@code logits} and streams it. Returns true when the sequence goes on: the chosen
     * token is then {@link #lastToken()} and must be fed at {@link #nextPosition()}.
     */
    boolean step(float[] logits, int vocab) {
        SampledToken next;
        if (constraint != null) {
            if (scratch == null) {
                scratch = new float[vocab];
            }
            System.arraycopy(logits, 0, scratch, 0, vocab);
            constraint.mask(scratch, options.maxTokens() - count);
            next = sampler.sample(scratch, vocab);
            if (scratch[next.id()] == Float.NEGATIVE_INFINITY) {
                // every token is masked: the constraint is satisfied as far as it can be
                reason = FinishReason.STOP;
                return false;
            }
        } else {
            next = sampler.sample(logits, vocab);
        }
        sampler.accept(next.id());
        if (constraint != null) {
            constraint.accept(next.id());
        }
        if (!options.ignoreEos() && tokenizer.isEndOfGeneration(next.id())) {
            reason = FinishReason.STOP;
            return false;
        }
        generated[count++] = next.id();
        String text = stops.accept(utf8.accept(tokenizer.tokenBytes(next.id())));
        if (stops.stopped()) {
            listener.onToken(new TokenEvent(next.id(), text, next.logprob(), next.top()));
            reason = FinishReason.STOP;
            return false;
        }
        if (!listener.onToken(new TokenEvent(next.id(), text, next.logprob(), next.top()))) {
            reason = FinishReason.CANCELLED;
            return false;
        }
        if (constraint != null && constraint.complete() && noEndToken()) {
            reason = FinishReason.STOP;
            return false;
        }
        if (count == options.maxTokens() || nextPosition() >= capacity) {
            reason = FinishReason.LENGTH;
            return false;
        }
        return true;
    }

    private boolean noEndToken() {
        return tokenizer.eos() < 0;
    }

    int lastToken() {
        return generated[count - 1];
    }

    int nextPosition() {
        return promptLength + count - 1;
    }

    /** Ends the sequence from outside, e.g. when its client went away. */
    void cancel() {
        if (reason == null) {
            reason = FinishReason.CANCELLED;
        }
    }

    /** Flushes held-back text and gives the outcome. */
    GenerationResult finish(long promptNanos, long generationNanos) {
        if (reason == null) {
            reason = FinishReason.LENGTH;
        }
        if (!stops.stopped() && reason != FinishReason.CANCELLED) {
            String rest = stops.accept(utf8.flush()) + stops.finish();
            if (!rest.isEmpty()) {
                // text held back for a possible stop string or an unfinished character: no token of its own
                listener.onToken(new TokenEvent(-1, rest, 0f, List.of()));
            }
        }
        return new GenerationResult(stops.text(), Arrays.copyOf(generated, count), reason, promptLength,
                promptNanos, generationNanos);
    }
}
