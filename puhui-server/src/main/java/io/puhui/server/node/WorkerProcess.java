// One running `puhui worker`: its process, its loopback address, and what the supervisor needs to decide about it.
package io.puhui.server.node;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

public final class WorkerProcess {
    private final WorkerSpec spec;
    private final Process process;
    private final URI baseUri;
    private final long memoryBytes;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile Instant lastUsed;
    private volatile Duration keepAlive = KeepAlive.DEFAULT;
    private volatile int failedChecks;
    volatile int queued;
    private final Instant startedAt;

    WorkerProcess(WorkerSpec spec, Process process, int port, long memoryBytes, Instant now) {
        this.spec = spec;
        this.process = process;
        this.baseUri = URI.create("http://127.0.0.1:" + port);
        this.memoryBytes = memoryBytes;
        this.lastUsed = now;
        this.startedAt = now;
    }

    /** When the worker was ready. */
    public Instant startedAt() {
        return startedAt;
    }

    public WorkerSpec spec() {
        return spec;
    }

    public URI baseUri() {
        return baseUri;
    }

    public long pid() {
        return process.pid();
    }

    public boolean alive() {
        return process.isAlive();
    }

    public long memoryBytes() {
        return memoryBytes;
    }

    public int inFlight() {
        return inFlight.get();
    }

    /** Requests waiting for a slot in the worker, as of its last health check. */
    public int queued() {
        return queued;
    }

    Process process() {
        return process;
    }

    void begin(Duration keepAliveForThisRequest, Instant now) {
        inFlight.incrementAndGet();
        lastUsed = now;
        if (keepAliveForThisRequest != null) {
            keepAlive = keepAliveForThisRequest;
        }
    }

    void end(Instant now) {
        inFlight.decrementAndGet();
        lastUsed = now;
    }

    Instant lastUsed() {
        return lastUsed;
    }

    Duration keepAlive() {
        return keepAlive;
    }

    int failedChecks() {
        return failedChecks;
    }

    void checked(boolean ok) {
        failedChecks = ok ? 0 : failedChecks + 1;
    }
}
