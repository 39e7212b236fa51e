// The node agent's instance supervisor: starts a worker process per model on first use, keeps the total within a
// memory budget (least recently used idle workers go first), unloads idle ones after their keep-alive,
// health-checks them and brings a crashed one back.
package io.puhui.server.node;

import com.fasterxml.jackson.databind.JsonNode;
import io.puhui.engine.gguf.GgufFile;
import io.puhui.engine.gguf.Metadata;
import io.puhui.server.api.ApiException;
import io.puhui.server.api.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

public final class Supervisor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);
    static final String READY = "PUHUI_WORKER_READY port=";
    private static final Duration START_TIMEOUT = Duration.ofMinutes(3);
    private static final long JVM_OVERHEAD = 256L << 20;

    private final List<String> workerCommand;
    private final Path logDir;
    private final long memoryBudget;
    private final Clock clock;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Map<String, CompletableFuture<WorkerProcess>> workers = new ConcurrentHashMap<>();
    /** Models whose worker exited on its own, waiting for their restart time. */
    private final Map<String, Crash> crashed = new ConcurrentHashMap<>();
    /** Consecutive short-lived crashes per model, for the restart backoff. */
    private final Map<String, Integer> crashRuns = new ConcurrentHashMap<>();

    /** A worker that ran at least this long before exiting starts its model's backoff afresh. */
    static final Duration STABLE = Duration.ofMinutes(1);
    /** The longest wait between automatic restarts of a model that keeps crashing. */
    static final Duration MAX_BACKOFF = Duration.ofMinutes(1);

    private record Crash(WorkerSpec spec, Instant retryAt) {
    }
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("puhui-supervisor").daemon().factory());
    private volatile boolean closed;

    /**
     * @param workerCommand the command that runs {@code puhui worker} (the launcher adds the worker's options)
     * @param memoryBudget  bytes all workers together may use, by estimate
     */
    public Supervisor(List<String> workerCommand, Path logDir, long memoryBudget, Clock clock) {
        this.workerCommand = List.copyOf(workerCommand);
        this.logDir = logDir;
        this.memoryBudget = memoryBudget;
        this.clock = clock;
        timer.scheduleWithFixedDelay(this::tidy, 1, 1, TimeUnit.SECONDS);
        timer.scheduleWithFixedDelay(this::checkHealth, 5, 5, TimeUnit.SECONDS);
    }

    /**
     * A running worker for {@code spec}, started if need be, counted as busy until {@link #release}.
     *
     * @param keepAlive how long to keep it loaded once idle (null keeps what it had)
     */
    public WorkerProcess acquire(WorkerSpec spec, Duration keepAlive) {
        for (int attempt = 0; ; attempt++) {
            CompletableFuture<WorkerProcess> f = workers.computeIfAbsent(spec.name(), n -> {
                CompletableFuture<WorkerProcess> starting = new CompletableFuture<>();
                Thread.ofVirtual().start(() -> {
                    try {
                        starting.complete(start(spec));
                    } catch (Throwable t) {
                        starting.completeExceptionally(t);
                    }
                });
                return starting;
            });
            WorkerProcess w;
            try {
                w = f.get();
            } catch (ExecutionException e) {
                workers.remove(spec.name(), f);
                if (e.getCause() instanceof ApiException a) {
                    throw a;
                }
                throw ApiException.unavailable("the model '" + spec.name() + "' could not be started: "
                        + e.getCause().getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw ApiException.unavailable("interrupted while starting the model");
            }
            if (w.alive()) {
                w.begin(keepAlive, clock.instant());
                return w;
            }
            workers.remove(spec.name(), f);
            if (attempt > 0) {
                throw ApiException.unavailable("the worker of '" + spec.name() + "' keeps exiting; see "
                        + logFile(spec.name()));
            }
        }
    }

    public void release(WorkerProcess w) {
        w.end(clock.instant());
        if (w.inFlight() == 0 && w.keepAlive().isZero()) {
            stop(w, "keep_alive 0");
        }
    }

    /** The caller could not talk to the worker: end it now, so that the next request gets a fresh one. */
    public void failed(WorkerProcess w) {
        if (w.alive()) {
            LOG.warn("worker of '{}' (pid {}) stopped answering; restarting it", w.spec().name(), w.pid());
            w.process().destroyForcibly();
        }
        CompletableFuture<WorkerProcess> f = workers.get(w.spec().name());
        if (f != null && f.getNow(null) == w) {
            workers.remove(w.spec().name(), f);
        }
    }

    public List<WorkerProcess> running() {
        List<WorkerProcess> out = new ArrayList<>();
        for (CompletableFuture<WorkerProcess> f : workers.values()) {
            WorkerProcess w = f.getNow(null);
            if (w != null && w.alive()) {
                out.add(w);
            }
        }
        return out;
    }

    /** Unloads every worker that has no request in flight (the node's scene wants its memory back); returns how many. */
    public int unloadIdle(String why) {
        int n = 0;
        for (WorkerProcess w : running()) {
            if (w.inFlight() == 0) {
                stop(w, why);
                n++;
            }
        }
        return n;
    }

    /** Whether a worker of this model is running. */
    public boolean loaded(String name) {
        CompletableFuture<WorkerProcess> f = workers.get(name);
        WorkerProcess w = f == null ? null : f.getNow(null);
        return w != null && w.alive();
    }

    public boolean unload(String name) {
        CompletableFuture<WorkerProcess> f = workers.get(name);
        WorkerProcess w = f == null ? null : f.getNow(null);
        if (w == null) {
            return false;
        }
        stop(w, "unloaded on request");
        return true;
    }

    private WorkerProcess start(WorkerSpec spec) throws IOException, InterruptedException {
        long need = estimateMemory(spec);
        makeRoom(spec.name(), need);
        Files.createDirectories(logDir);
        Path log = logFile(spec.name());
        List<String> cmd = new ArrayList<>(workerCommand);
        cmd.addAll(List.of("--model", spec.path().toString(), "--name", spec.name(), "--port", "0",
                "--slots", Integer.toString(spec.slots()), "--queue", Integer.toString(spec.queue()),
                "--ctx", Integer.toString(spec.contextLength()), "--threads", Integer.toString(spec.threads()),
                "--max-body", Long.toString(spec.maxBody()), "--exit-with-stdin"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        LOG.info("starting the worker of '{}' ({})", spec.name(), spec.path());
        Process p = pb.start();
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith(READY)) {
                        port.complete(Integer.parseInt(line.substring(READY.length()).trim()));
                    }
                }
            } catch (IOException | NumberFormatException ignored) {
                // the process ended
            }
            port.completeExceptionally(new IOException("the worker exited before it was ready"));
        });
        try {
            int pt = port.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            WorkerProcess w = new WorkerProcess(spec, p, pt, need, clock.instant());
            p.onExit().thenRun(() -> exited(w));
            LOG.info("worker of '{}' ready on port {} (pid {})", spec.name(), pt, p.pid());
            return w;
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            p.destroyForcibly();
            throw ApiException.unavailable("the worker of '" + spec.name() + "' failed to start: "
                    + lastLines(log) + " (log: " + log + ")");
        }
    }

    private void exited(WorkerProcess w) {
        CompletableFuture<WorkerProcess> f = workers.get(w.spec().name());
        boolean current = f != null && f.getNow(null) == w;
        if (current) {
            workers.remove(w.spec().name(), f);
        }
        if (current && !closed) {
            Instant now = clock.instant();
            String name = w.spec().name();
            boolean quick = Duration.between(w.startedAt(), now).compareTo(STABLE) < 0;
            int run = quick ? crashRuns.merge(name, 1, Integer::sum) : 1;
            if (!quick) {
                crashRuns.put(name, 1);
            }
            Duration wait = restartDelay(run);
            LOG.warn("worker of '{}' (pid {}) exited with {}; starting a new one in {} s", name, w.pid(),
                    w.process().exitValue(), wait.toSeconds());
            crashed.put(name, new Crash(w.spec(), now.plus(wait)));
        }
    }

    /** 0 s after a first crash, then 1, 2, 4 … up to {@link #MAX_BACKOFF} while crashes follow each other. */
    static Duration restartDelay(int consecutiveCrashes) {
        if (consecutiveCrashes <= 1) {
            return Duration.ZERO;
        }
        long seconds = 1L << Math.min(20, consecutiveCrashes - 2);
        return seconds >= MAX_BACKOFF.toSeconds() ? MAX_BACKOFF : Duration.ofSeconds(seconds);
    }

    private void makeRoom(String forName, long need) {
        synchronized (this) {
            while (true) {
                long used = running().stream().filter(w -> !w.spec().name().equals(forName))
                        .mapToLong(WorkerProcess::memoryBytes).sum();
                if (used + need <= memoryBudget) {
                    return;
                }
                WorkerProcess victim = running().stream().filter(w -> w.inFlight() == 0)
                        .filter(w -> !w.spec().name().equals(forName))
                        .min(Comparator.comparing(WorkerProcess::lastUsed)).orElse(null);
                if (victim == null) {
                    throw ApiException.unavailable("not enough memory to load '" + forName + "': it needs about "
                            + (need >> 20) + " MiB, " + (used >> 20) + " MiB of the " + (memoryBudget >> 20)
                            + " MiB budget are held by models that are answering; retry later or raise "
                            + "--memory-budget");
                }
                stop(victim, "memory budget");
            }
        }
    }

    private void stop(WorkerProcess w, String why) {
        CompletableFuture<WorkerProcess> f = workers.get(w.spec().name());
        if (f != null && f.getNow(null) == w) {
            workers.remove(w.spec().name(), f);
        }
        LOG.info("unloading '{}' (pid {}): {}", w.spec().name(), w.pid(), why);
        w.process().destroy();
        try {
            if (!w.process().waitFor(10, TimeUnit.SECONDS)) {
                w.process().destroyForcibly();
            }
        } catch (InterruptedException e) {
            w.process().destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private void tidy() {
        try {
            Instant now = clock.instant();
            for (WorkerProcess w : running()) {
                if (w.inFlight() == 0 && Duration.between(w.lastUsed(), now).compareTo(w.keepAlive()) > 0) {
                    stop(w, "idle for " + w.keepAlive().toSeconds() + " s");
                }
            }
            for (var e : crashed.entrySet()) {
                if (now.isBefore(e.getValue().retryAt())) {
                    continue;
                }
                crashed.remove(e.getKey());
                if (!workers.containsKey(e.getKey()) && !closed) {
                    Thread.ofVirtual().start(() -> {
                        try {
                            WorkerProcess w = acquire(e.getValue().spec(), null);
                            release(w);
                        } catch (RuntimeException ex) {
                            LOG.warn("could not restart '{}': {}", e.getKey(), ex.getMessage());
                        }
                    });
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("supervisor housekeeping failed", e);
        }
    }

    private void checkHealth() {
        for (WorkerProcess w : running()) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(w.baseUri().resolve("/health"))
                        .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());
                JsonNode h = Json.MAPPER.readTree(r.body());
                w.queued = h.path("queued").asInt();
                w.checked(r.statusCode() == 200);
            } catch (IOException e) {
                w.checked(false);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (w.failedChecks() >= 3) {
                failed(w);
            }
        }
    }

    private Path logFile(String name) {
        return logDir.resolve("worker-" + name.replaceAll("[^A-Za-z0-9._-]", "_") + ".log");
    }

    private static String lastLines(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
        } catch (IOException e) {
            return "no log";
        }
    }

    /** Weights (twice the file: the repacked copy for fast kernels), KV caches of all slots, and the JVM. */
    static long estimateMemory(WorkerSpec spec) {
        long file;
        try {
            file = Files.size(spec.path());
        } catch (IOException e) {
            throw ApiException.notFound("model_not_found", "the model file " + spec.path() + " cannot be read: "
                    + e.getMessage());
        }
        long kv = 0;
        try (GgufFile g = GgufFile.open(spec.path())) {
            Metadata m = g.metadata();
            String arch = m.getString("general.architecture");
            long layers = m.findInt(arch + ".block_count").orElse(0);
            long dim = m.findInt(arch + ".embedding_length").orElse(0);
            long heads = m.findInt(arch + ".attention.head_count").orElse(1);
            long kvHeads = m.findInt(arch + ".attention.head_count_kv").orElse((int) heads);
            long trained = m.findInt(arch + ".context_length").orElse(spec.contextLength());
            long ctx = Math.min(spec.contextLength(), trained);
            kv = 2L * layers * ctx * (dim / heads * kvHeads) * Float.BYTES * spec.slots();
        } catch (IOException | RuntimeException e) {
            // an unreadable header is reported when the worker loads it; estimate from the size alone
        }
        return 2 * file + kv + JVM_OVERHEAD;
    }

    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
        for (WorkerProcess w : running()) {
            stop(w, "shutting down");
        }
    }
}
