package io.puhui.server.store;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes records on a thread of its own, in the order they were handed over and in batches of what has queued up
 * meanwhile, so that a request does not wait for the database and many requests share one transaction.
 * {@link #drain()} waits for what was handed over so far; {@link #close()} writes what is still queued. A batch
 * that fails is tried again (another process may hold the database a moment), then record by record; a record
 * that cannot be written at all goes to the log whole.
 *
 * @param <T> the record
 */
public class BatchWriter<T> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BatchWriter.class);
    private static final Object STOP = new Object();
    private static final int MAX_BATCH = 256;

    private final String what;
    private final Consumer<List<T>> writeAll;
    private final Consumer<T> writeOne;
    private final Function<T, String> describe;
    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private boolean closed;
    private final Object idle = new Object();
    private long submitted;
    private long written;

    /**
     * @param what     what the records are, for the log ("audit records")
     * @param writeAll writes a batch in one transaction
     * @param writeOne writes one record
     * @param describe a record as the log shows it when it cannot be written, beginning with its request id
     */
    public BatchWriter(String what, Consumer<List<T>> writeAll, Consumer<T> writeOne, Function<T, String> describe) {
        this.what = what;
        this.writeAll = writeAll;
        this.writeOne = writeOne;
        this.describe = describe;
        this.thread = Thread.ofPlatform().name(what.replace(' ', '-') + "-writer").daemon().start(this::run);
    }

    @SuppressWarnings("unchecked")
    private void run() {
        List<Object> taken = new ArrayList<>();
        List<T> batch = new ArrayList<>();
        while (true) {
            try {
                taken.add(queue.take());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            queue.drainTo(taken, MAX_BATCH - 1);
            boolean stop = false;
            for (Object o : taken) {
                if (o == STOP) {
                    stop = true;
                } else {
                    batch.add((T) o);
                }
            }
            if (!batch.isEmpty()) {
                write(batch);
            }
            synchronized (idle) {
                written += batch.size();
                idle.notifyAll();
            }
            taken.clear();
            batch.clear();
            if (stop) {
                return;
            }
        }
    }

    private void write(List<T> batch) {
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                writeAll.accept(batch);
                return;
            } catch (RuntimeException e) {
                LOG.warn("{} not written yet ({}); trying again", what, e.getMessage());
                try {
                    Thread.sleep(200L << attempt);
                } catch (InterruptedException stop) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        for (T r : batch) {
            try {
                writeOne.accept(r);
            } catch (RuntimeException e) {
                LOG.error("could not write one of the {} ({}); the record: {}", what, e.getMessage(), describe.apply(r));
            }
        }
    }

    /** Hands a record over; after {@link #close()} it is written here and now rather than lost. */
    public void submit(T record) {
        synchronized (idle) {
            // checked and queued under the lock that close() takes: nothing lands behind the writer's last batch
            if (!closed) {
                submitted++;
                queue.add(record);
                return;
            }
        }
        try {
            writeOne.accept(record);
        } catch (RuntimeException e) {
            LOG.error("could not write one of the {} ({}); the record: {}", what, e.getMessage(),
                    describe.apply(record));
        }
    }

    /** Waits until everything handed over so far is written. */
    public void drain() throws InterruptedException {
        synchronized (idle) {
            long target = submitted;
            while (written < target && thread.isAlive()) {
                idle.wait(100);
            }
        }
    }

    @Override
    public void close() {
        synchronized (idle) {
            if (!closed) {
                closed = true;
                queue.add(STOP);
            }
        }
        try { // a second close waits for the first one's records too
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
