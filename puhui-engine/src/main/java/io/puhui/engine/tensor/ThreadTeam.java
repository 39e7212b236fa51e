// A fixed team of threads that split a range of rows between them; the caller works too.
// Matrix products run hundreds of times per token, so workers spin briefly before parking to keep hand-off cheap.
package io.puhui.engine.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

public final class ThreadTeam implements AutoCloseable {
    /** Work on rows {@code [start, end)}. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int start, int end);
    }

    private static final long SPIN_NANOS = 50_000;

    /** One call's work. Immutable but for its counters, so a worker still finishing an old job cannot
     *  take a chunk of the next one with stale fields. */
    private static final class Job {
        final RangeTask task;
        final int total;
        final int chunkSize;
        final int chunkCount;
        final AtomicInteger nextChunk = new AtomicInteger();
        final AtomicInteger chunksLeft;
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(RangeTask task, int total, int chunkSize) {
            this.task = task;
            this.total = total;
            this.chunkSize = chunkSize;
            this.chunkCount = (total + chunkSize - 1) / chunkSize;
            this.chunksLeft = new AtomicInteger(chunkCount);
        }

        void work() {
            int c;
            while ((c = nextChunk.getAndIncrement()) < chunkCount) {
                int start = c * chunkSize;
                int end = Math.min(total, start + chunkSize);
                try {
                    task.run(start, end);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    chunksLeft.decrementAndGet();
                }
            }
        }
    }

    private final int size;
    private final Thread[] workers;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile Job job;
    private volatile boolean closed;

    public ThreadTeam(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("thread count must be at least 1, got " + threads);
        }
        this.size = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = Thread.ofPlatform().daemon().name("puhui-compute-" + (i + 1)).unstarted(this::workerLoop);
            workers[i].start();
        }
    }

    public int size() {
        return size;
    }

    /** Runs {@code task} over {@code [0, n)} in chunks of at least {@code grain} rows, returning when all are done. */
    public void forRange(int n, int grain, RangeTask task) {
        if (n <= 0) {
            return;
        }
        if (size == 1 || n <= grain) {
            task.run(0, n);
            return;
        }
        lock.lock();
        try {
            int chunks = Math.min((n + grain - 1) / grain, size * 4);
            Job j = new Job(task, n, (n + chunks - 1) / chunks);
            job = j;
            for (Thread w : workers) {
                LockSupport.unpark(w);
            }
            j.work();
            while (j.chunksLeft.get() > 0) {
                Thread.onSpinWait();
            }
            Throwable t = j.failure.get();
            if (t instanceof RuntimeException re) {
                throw re;
            }
            if (t instanceof Error e) {
                throw e;
            }
        } finally {
            lock.unlock();
        }
    }

    private void workerLoop() {
        Job seen = null;
        while (!closed) {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            Job j;
            while ((j = job) == seen && !closed) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(this, 1_000_000);
                }
            }
            if (closed) {
                return;
            }
            seen = j;
            j.work();
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
