package io.puhui.server.pool;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/** The most recent routing decisions, newest first, for {@code GET /api/routes/recent}. */
public final class RouteLog {

    /** One decision: when, for whom, which model, where it went and why; the cascade's verdict when one ran. */
    public record Entry(Instant at, String requestId, String tenant, String model, String tier, String target,
                        String reason, String cascade) {
    }

    private final int capacity;
    private final Deque<Entry> entries = new ArrayDeque<>();

    public RouteLog(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a route log keeps at least one entry");
        }
        this.capacity = capacity;
    }

    public synchronized void add(Entry e) {
        entries.addFirst(e);
        while (entries.size() > capacity) {
            entries.removeLast();
        }
    }

    /** Up to {@code limit} entries, newest first. */
    public synchronized List<Entry> recent(int limit) {
        List<Entry> out = new ArrayList<>(Math.min(limit, entries.size()));
        for (Entry e : entries) {
            if (out.size() >= limit) {
                break;
            }
            out.add(e);
        }
        return out;
    }
}
