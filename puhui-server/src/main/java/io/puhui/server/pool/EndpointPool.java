package io.puhui.server.pool;

import io.puhui.server.store.Endpoints;
import io.puhui.server.store.SecretBox;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registered endpoints as the gateway uses them: reloaded from the store and health-checked
 * ({@code GET URL/models} with the endpoint's key, 5 s) every {@code interval}; only endpoints that answered
 * their last check take requests.
 */
public final class EndpointPool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EndpointPool.class);

    /** An endpoint ready to relay to: where, as which model, with which key (null for none). */
    public record Target(Endpoints.Endpoint endpoint, String key) {
    }

    /** An endpoint's last health check. */
    public record Health(boolean healthy, String detail, Instant checkedAt) {
    }

    private final Supplier<List<Endpoints.Endpoint>> store;
    private final SecretBox secrets;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private volatile List<Endpoints.Endpoint> endpoints = List.of();
    private final Map<String, Health> health = new ConcurrentHashMap<>();
    private final ScheduledExecutorService checker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "endpoint-health");
        t.setDaemon(true);
        return t;
    });

    public EndpointPool(Supplier<List<Endpoints.Endpoint>> store, SecretBox secrets, Duration interval) {
        this.store = store;
        this.secrets = secrets;
        refresh();
        checker.scheduleWithFixedDelay(this::refresh, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Reloads the list and checks every endpoint once. */
    public void refresh() {
        try {
            endpoints = List.copyOf(store.get());
            for (Endpoints.Endpoint e : endpoints) {
                Health h;
                try {
                    h = check(e, key(e));
                } catch (IllegalArgumentException badKey) {
                    h = new Health(false, badKey.getMessage(), Instant.now());
                }
                Health before = health.put(e.id(), h);
                if (before == null || before.healthy() != h.healthy()) {
                    LOG.info("endpoint {} ({} → {}) is {}: {}", e.id(), e.model(), e.url(), h.healthy() ? "healthy" : "unhealthy", h.detail());
                }
            }
        } catch (RuntimeException ex) {
            LOG.warn("cannot refresh endpoints: {}", ex.getMessage());
        }
    }

    /**
     * A request could not reach the endpoint: it counts as unhealthy from now until a check finds it answering,
     * so that the requests that follow go elsewhere rather than wait for the next check.
     */
    public void failed(String id, String detail) {
        Health before = health.put(id, new Health(false, detail, Instant.now()));
        if (before == null || before.healthy()) {
            LOG.info("endpoint {} is unhealthy: {}", id, detail);
        }
    }

    /** Whether {@code url/models} answers 200 with this key. */
    public Health check(Endpoints.Endpoint e, String key) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(e.url() + "/models")).timeout(Duration.ofSeconds(5)).GET();
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        try {
            HttpResponse<Void> r = http.send(b.build(), HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200 ? new Health(true, "answered GET /models", Instant.now())
                    : new Health(false, "GET /models answered " + r.statusCode(), Instant.now());
        } catch (Exception ex) {
            String m = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
            return new Health(false, "does not answer: " + m, Instant.now());
        }
    }

    private String key(Endpoints.Endpoint e) {
        return e.sealedKey() == null ? null : secrets.open(e.sealedKey());
    }

    /** Every healthy endpoint of the logical model. */
    public List<Target> healthy(String model) {
        List<Target> out = new ArrayList<>();
        for (Endpoints.Endpoint e : endpoints) {
            Health h = health.get(e.id());
            if (e.model().equals(model) && h != null && h.healthy()) {
                out.add(new Target(e, key(e)));
            }
        }
        return out;
    }

    /** A healthy endpoint of the logical model, or empty. */
    public Optional<Target> find(String model) {
        return healthy(model).stream().findFirst();
    }

    /** Why no endpoint of the model can take a request now, or empty when one can or none is registered. */
    public Optional<String> unavailable(String model) {
        List<String> reasons = new ArrayList<>();
        for (Endpoints.Endpoint e : endpoints) {
            if (e.model().equals(model)) {
                Health h = health.get(e.id());
                reasons.add(e.id() + " (" + e.url() + ") " + (h == null ? "not checked yet" : h.detail()));
            }
        }
        return reasons.isEmpty() || find(model).isPresent() ? Optional.empty()
                : Optional.of("no endpoint of '" + model + "' is healthy: " + String.join("; ", reasons));
    }

    /** Logical models with at least one endpoint. */
    public List<String> models() {
        TreeSet<String> names = new TreeSet<>();
        for (Endpoints.Endpoint e : endpoints) {
            names.add(e.model());
        }
        return List.copyOf(names);
    }

    public HttpClient http() {
        return http;
    }

    @Override
    public void close() {
        checker.shutdownNow();
    }
}
