package io.puhui.server.pool;

import java.time.Clock;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/** Requests per model over the last minute, for placement. */
public final class DemandMeter {
    private static final long WINDOW_MS = 60_000;
    private static final int MAX_KEPT = 100_000;

    private final Clock clock;
    private final Map<String, ArrayDeque<Long>> arrivals = new HashMap<>();

    public DemandMeter(Clock clock) {
        this.clock = clock;
    }

    public synchronized void record(String model) {
        ArrayDeque<Long> q = arrivals.computeIfAbsent(model, m -> new ArrayDeque<>());
        q.addLast(clock.millis());
        if (q.size() > MAX_KEPT) {
            q.removeFirst();
        }
    }

    /** Requests per second per model over the window. */
    public synchronized Map<String, Double> rates() {
        long from = clock.millis() - WINDOW_MS;
        Map<String, Double> out = new HashMap<>();
        arrivals.values().forEach(q -> {
            while (!q.isEmpty() && q.peekFirst() < from) {
                q.removeFirst();
            }
        });
        arrivals.entrySet().removeIf(e -> e.getValue().isEmpty());
        arrivals.forEach((m, q) -> out.put(m, q.size() / (WINDOW_MS / 1000.0)));
        return out;
    }
}
