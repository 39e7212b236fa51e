// Admission to a worker's decoding slots: a bounded wait in fair order. Tenants take turns (round robin), each
// tenant's requests keep their arrival order, and a full queue answers 429 at once rather than piling up.
package io.puhui.server.worker;

import io.puhui.server.api.ApiException;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

final class SlotQueue {
    private final int slots;
    private final int maxWaiting;
    private final Map<String, ArrayDeque<CompletableFuture<Void>>> waiting = new LinkedHashMap<>();
    private int free;
    private int waitingCount;
    /** Mean seconds a slot is held, for Retry-After; an exponential moving average. */
    private double meanHoldSeconds = 2;

    SlotQueue(int slots, int maxWaiting) {
        this.slots = slots;
        this.maxWaiting = maxWaiting;
        this.free = slots;
    }

    /** A held slot; closing it lets the next waiter in. */
    final class Slot implements AutoCloseable {
        private final long since = System.nanoTime();
        private boolean released;

        @Override
        public void close() {
            synchronized (SlotQueue.this) {
                if (released) {
                    return;
                }
                released = true;
                double held = (System.nanoTime() - since) / 1e9;
                meanHoldSeconds = 0.9 * meanHoldSeconds + 0.1 * held;
                handOver();
            }
        }
    }

    /**
     * Waits for a slot.
     *
     * @throws ApiException 429 when the queue is full, 503 when the wait exceeds {@code maxWait}
     */
    Slot acquire(String tenant, long maxWaitMillis) throws InterruptedException {
        CompletableFuture<Void> ticket;
        synchronized (this) {
            if (free > 0 && waitingCount == 0) {
                free--;
                return new Slot();
            }
            if (waitingCount >= maxWaiting) {
                int retry = (int) Math.max(1, Math.ceil(meanHoldSeconds * (waitingCount + 1) / slots));
                throw ApiException.busy("the model is busy: all " + slots + " slots are generating and the queue of "
                        + maxWaiting + " is full; retry in " + retry + " s", retry);
            }
            ticket = new CompletableFuture<>();
            waiting.computeIfAbsent(tenant, t -> new ArrayDeque<>()).add(ticket);
            waitingCount++;
        }
        try {
            ticket.get(maxWaitMillis, TimeUnit.MILLISECONDS);
            return new Slot();
        } catch (TimeoutException | InterruptedException e) {
            synchronized (this) {
                if (!ticket.isDone()) {
                    ticket.cancel(false);
                    ArrayDeque<CompletableFuture<Void>> q = waiting.get(tenant);
                    if (q != null && q.remove(ticket)) {
                        waitingCount--;
                        if (q.isEmpty()) {
                            waiting.remove(tenant);
                        }
                    }
                } else {
                    handOver(); // granted just as we gave up: pass the slot on
                }
            }
            if (e instanceof InterruptedException ie) {
                throw ie;
            }
            throw ApiException.unavailable("waited " + maxWaitMillis / 1000 + " s for a free slot; try again later");
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Gives a freed slot to the tenant whose turn it is, or keeps it free. Caller holds the lock. */
    private void handOver() {
        while (!waiting.isEmpty()) {
            var it = waiting.entrySet().iterator();
            var entry = it.next();
            it.remove();
            ArrayDeque<CompletableFuture<Void>> q = entry.getValue();
            CompletableFuture<Void> next = q.poll();
            if (!q.isEmpty()) {
                waiting.put(entry.getKey(), q); // to the back of the line of tenants
            }
            waitingCount--;
            if (next.complete(null)) {
                return;
            }
        }
        free++;
    }

    synchronized int waiting() {
        return waitingCount;
    }

    synchronized int busy() {
        return slots - free;
    }
}
