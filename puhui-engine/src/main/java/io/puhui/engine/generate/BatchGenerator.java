// Continuous batching: many sequences decode together, one forward step for all of them, so that each weight row
// read from memory serves every active sequence. New sequences join between steps; their prompts are read in
// chunks inside the same steps (chunked prefill), so a long prompt never stalls the others' streams.
package io.puhui.engine.generate;

import io.puhui.engine.model.ContextFullException;
import io.puhui.engine.model.KvCache;
import io.puhui.engine.model.Model;
import io.puhui.engine.sampling.TokenConstraint;
import io.puhui.engine.tensor.ThreadTeam;
import io.puhui.engine.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

public final class BatchGenerator implements AutoCloseable {
    /** Most tokens in one forward step: decoding sequences take one each, prompts share the rest. */
    public static final int STEP_TOKENS = 128;

    private final Model model;
    private final Tokenizer tokenizer;
    private final ThreadTeam team;
    private final int slots;
    private final int contextLength;
    private final int vocab;
    private final ConcurrentLinkedQueue<Sequence> incoming = new ConcurrentLinkedQueue<>();
    private final AtomicInteger occupied = new AtomicInteger();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Thread loop;
    private volatile boolean closed;
    private volatile long steps;

    public BatchGenerator(Model model, Tokenizer tokenizer, ThreadTeam team, int slots, int contextLength) {
        if (slots < 1) {
            throw new IllegalArgumentException("slots must be at least 1, got " + slots);
        }
        if (contextLength < 2) {
            throw new IllegalArgumentException("context length must be at least 2 tokens, got " + contextLength);
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.team = team;
        this.slots = slots;
        this.contextLength = contextLength;
        this.vocab = model.config().vocabSize();
        this.loop = Thread.ofPlatform().name("puhui-batch").daemon().start(this::run);
    }

    public int slots() {
        return slots;
    }

    /** Sequences admitted and not yet finished. */
    public int occupied() {
        return occupied.get();
    }

    public int contextLength() {
        return contextLength;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public Model model() {
        return model;
    }

    /** Forward steps run so far. */
    public long steps() {
        return steps;
    }

    /**
     * Starts a sequence. The listener is called on the batch thread: it must hand the token on and return at once.
     *
     * @throws IllegalStateException when every slot is taken (callers queue in front of this)
     * @throws ContextFullException when the prompt leaves no room to generate
     */
    public Sequence submit(int[] prompt, GenerationOptions options, TokenConstraint constraint,
                           Generator.Listener listener) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty: give at least one token");
        }
        if (prompt.length >= contextLength) {
            throw new ContextFullException(prompt.length + 1, contextLength);
        }
        if (closed) {
            throw new IllegalStateException("the generator is closed");
        }
        int now;
        do {
            now = occupied.get();
            if (now >= slots) {
                throw new IllegalStateException("all " + slots + " slots are busy");
            }
        } while (!occupied.compareAndSet(now, now + 1));
        Sequence s = new Sequence(prompt, options, constraint, listener);
        incoming.add(s);
        lock.lock();
        try {
            work.signal();
        } finally {
            lock.unlock();
        }
        return s;
    }

    /** One generation in the batch. */
    public final class Sequence {
        private final int[] prompt;
        private final SequenceDecoder decoder;
        private final KvCache cache;
        private final float[] logits;
        private final CompletableFuture<GenerationResult> result = new CompletableFuture<>();
        private volatile boolean cancelled;
        private int fed;
        private long startNanos;
        private long promptNanos = -1;
        private long firstTokenNanos;

        private Sequence(int[] prompt, GenerationOptions options, TokenConstraint constraint,
                         Generator.Listener listener) {
            this.prompt = prompt.clone();
            this.cache = model.newCache(Math.min(contextLength, prompt.length + options.maxTokens() + 1));
            this.decoder = new SequenceDecoder(tokenizer, this.prompt, options, constraint, listener,
                    cache.capacity());
            this.logits = new float[vocab];
        }

        /** Stops the sequence at the next step and frees its slot. */
        public void cancel() {
            cancelled = true;
        }

        public CompletableFuture<GenerationResult> result() {
            return result;
        }

        private boolean prefilling() {
            return fed < prompt.length;
        }
    }

    private void run() {
        List<Sequence> running = new ArrayList<>();
        while (!closed) {
            for (Sequence s; (s = incoming.poll()) != null; ) {
                s.startNanos = System.nanoTime();
                running.add(s);
            }
            running.removeIf(s -> {
                if (s.cancelled) {
                    s.decoder.cancel();
                    finish(s);
                    return true;
                }
                return false;
            });
            if (running.isEmpty()) {
                awaitWork();
                continue;
            }
            try {
                step(running);
            } catch (RuntimeException | Error e) {
                for (Sequence s : running) {
                    occupied.decrementAndGet();
                    s.result.completeExceptionally(e);
                }
                running.clear();
            }
        }
        for (Sequence s : running) {
            s.decoder.cancel();
            finish(s);
        }
        for (Sequence s; (s = incoming.poll()) != null; ) {
            s.decoder.cancel();
            finish(s);
        }
    }

    private void awaitWork() {
        lock.lock();
        try {
            while (incoming.isEmpty() && !closed) {
                work.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    private void step(List<Sequence> running) {
        int decoding = 0;
        for (Sequence s : running) {
            if (!s.prefilling()) {
                decoding++;
            }
        }
        int budget = Math.max(1, STEP_TOKENS - decoding);
        // prompt chunks first, then one token per decoding sequence: the model takes the two kinds through
        // different kernels, each of them batch-invariant
        List<int[]> plan = new ArrayList<>(); // {index in running, first prompt token or -1 for decode, count}
        int total = 0;
        for (int i = 0; i < running.size(); i++) {
            Sequence s = running.get(i);
            if (s.prefilling() && budget > 0) {
                int n = Math.min(budget, s.prompt.length - s.fed);
                plan.add(new int[] {i, s.fed, n});
                total += n;
                budget -= n;
            }
        }
        int promptEntries = total;
        for (int i = 0; i < running.size(); i++) {
            if (!running.get(i).prefilling()) {
                plan.add(new int[] {i, -1, 1});
                total++;
            }
        }
        int[] tokens = new int[total];
        int[] positions = new int[total];
        KvCache[] caches = new KvCache[total];
        float[][] logits = new float[total][];
        int e = 0;
        for (int[] p : plan) {
            Sequence s = running.get(p[0]);
            if (p[1] < 0) {
                tokens[e] = s.decoder.lastToken();
                positions[e] = s.decoder.nextPosition();
                caches[e] = s.cache;
                logits[e++] = s.logits;
            } else {
                for (int j = 0; j < p[2]; j++) {
                    tokens[e] = s.prompt[p[1] + j];
                    positions[e] = p[1] + j;
                    caches[e] = s.cache;
                    logits[e++] = p[1] + j == s.prompt.length - 1 ? s.logits : null;
                }
                s.fed += p[2];
            }
        }
        model.forward(team, tokens, positions, caches, logits, promptEntries);
        steps++;
        long now = System.nanoTime();
        List<Sequence> sampling = new ArrayList<>();
        for (int[] p : plan) {
            Sequence s = running.get(p[0]);
            if (!s.prefilling()) {
                if (s.promptNanos < 0) {
                    s.promptNanos = now - s.startNanos;
                    s.firstTokenNanos = now;
                }
                sampling.add(s);
            }
        }
        // each sequence samples on its own (a softmax over the vocabulary each): spread them over the team
        boolean[] goesOn = new boolean[sampling.size()];
        RuntimeException[] failed = new RuntimeException[sampling.size()];
        team.forRange(sampling.size(), 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                Sequence s = sampling.get(i);
                try {
                    goesOn[i] = !s.decoder.done() && !s.cancelled && s.decoder.step(s.logits, vocab);
                } catch (RuntimeException ex) {
                    failed[i] = ex;
                }
            }
        });
        List<Sequence> ended = new ArrayList<>();
        for (int i = 0; i < sampling.size(); i++) {
            Sequence s = sampling.get(i);
            if (failed[i] != null) {
                occupied.decrementAndGet();
                s.result.completeExceptionally(failed[i]);
                ended.add(s);
            } else if (!goesOn[i]) {
                if (s.cancelled) {
                    s.decoder.cancel();
                }
                finish(s);
                ended.add(s);
            }
        }
        running.removeAll(ended);
    }

    private void finish(Sequence s) {
        long now = System.nanoTime();
        long promptNanos = s.promptNanos < 0 ? now - s.startNanos : s.promptNanos;
        long generationNanos = s.promptNanos < 0 ? 0 : now - s.firstTokenNanos;
        GenerationResult r;
        try {
            r = s.decoder.finish(promptNanos, generationNanos);
        } catch (RuntimeException ex) {
            occupied.decrementAndGet();
            s.result.completeExceptionally(ex);
            return;
        }
        occupied.decrementAndGet();
        s.result.complete(r);
    }

    @Override
    public void close() {
        closed = true;
        lock.lock();
        try {
            work.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            loop.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
