// Admission to a worker's decoding slots: a bounded wait in fair order. Tenants take turns (round robin), each
// tenant's requests keep their arrival order, and a full queue answers 429 at once rather than piling up. A
// request may need several slots (n choices); it gets them all at once or waits, so two such requests never
// hold half of what each needs.
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
    private final Map<String, ArrayDeque<Ticket>> waiting = new LinkedHashMap<>();
    private int free;
    private int waitingCount;
    /** Mean seconds a slot is held, for Retry-After; an exponential moving average. */
    private double meanHoldSeconds = 2;

    private record Ticket(int count, CompletableFuture<Void> granted) {
    }

    SlotQueue(int slots, int maxWaiting) {
        this.slots = slots;
        this.maxWaiting = maxWaiting;
        this.free = slots;
    }

    /** Held slots; closing them lets the next waiters in. */
    final class Slot implements AutoCloseable {
        private final long since = System.nanoTime();
        private final int count;
        private boolean released;

        private Slot(int count) {
            this.count = count;
        }

        @Override
        public void close() {
            synchronized (SlotQueue.this) {
                if (released) {
                    return;
                }
                released = true;
                double held = (System.nanoTime() - since) / 1e9;
                meanHoldSeconds = 0.9 * meanHoldSeconds + 0.1 * held;
                free += count;
                dispatch();
            }
        }
    }

    Slot acquire(String tenant, long maxWaitMillis) throws InterruptedException {
        return acquire(tenant, maxWaitMillis, 1);
    }

    /**
     * Waits for {@code count} slots together.
     *
     * @throws ApiException 400 when more slots are asked than exist, 429 when the queue is full, 503 when the
     *                      wait exceeds {@code maxWait}
     */
    Slot acquire(String tenant, long maxWaitMillis, int count) throws InterruptedException {
        if (count > slots) {
            throw ApiException.badRequest("n", "n = " + count + " choices need " + count + " decoding slots; this "
                    + "model has " + slots + " (start it with more --slots, or ask for fewer choices)");
        }
        Ticket ticket;
        synchronized (this) {
            if (free >= count && waitingCount == 0) {
                free -= count;
                return new Slot(count);
            }
            if (waitingCount >= maxWaiting) {
                int retry = (int) Math.max(1, Math.ceil(meanHoldSeconds * (waitingCount + 1) / slots));
                throw ApiException.busy("the model is busy: all " + slots + " slots are generating and the queue of "
                        + maxWaiting + " is full; retry in " + retry + " s", retry);
            }
            ticket = new Ticket(count, new CompletableFuture<>());
            waiting.computeIfAbsent(tenant, t -> new ArrayDeque<>()).add(ticket);
            waitingCount++;
        }
        try {
            ticket.granted().get(maxWaitMillis, TimeUnit.MILLISECONDS);
            return new Slot(count);
        } catch (TimeoutException | InterruptedException e) {
            synchronized (this) {
                if (!ticket.granted().isDone()) {
                    ticket.granted().cancel(false);
                    ArrayDeque<Ticket> q = waiting.get(tenant);
                    if (q != null && q.remove(ticket)) {
                        waitingCount--;
                        if (q.isEmpty()) {
                            waiting.remove(tenant);
                        }
                    }
                    dispatch(); // a smaller request behind this one may fit now
                } else {
                    free += count; // granted just as we gave up: pass the slots on
                    dispatch();
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

    /**
     * Grants free slots to waiters, tenant by tenant in turn. The tenant whose turn it is keeps it until its
     * first request fits, so a request for many slots is not overtaken for ever by small ones. Caller holds
     * the lock.
     */
    private void dispatch() {
        while (!waiting.isEmpty()) {
            var it = waiting.entrySet().iterator();
            var entry = it.next();
            ArrayDeque<Ticket> q = entry.getValue();
            Ticket next = q.peek();
            if (next.count() > free) {
                return;
            }
            it.remove();
            q.poll();
            if (!q.isEmpty()) {
                waiting.put(entry.getKey(), q); // to the back of the line of tenants
            }
            waitingCount--;
            if (next.granted().complete(null)) {
                free -= next.count();
            }
        }
    }

    synchronized int waiting() {
        return waitingCount;
    }

    synchronized int busy() {
        return slots - free;
    }
}
