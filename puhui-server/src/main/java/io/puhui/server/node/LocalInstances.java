// Runs requests on this node's own worker processes: the answer to a tunnel stream from the control plane.
package io.puhui.server.node;

import com.fasterxml.jackson.databind.JsonNode;
import io.puhui.server.api.ApiException;
import io.puhui.server.api.Json;
import io.puhui.server.gateway.ModelDirectory;
import io.puhui.server.gateway.WorkerConnections;
import io.puhui.server.tunnel.TunnelHost;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's handler for tunnel streams: finds the model the request names, has the supervisor run its worker,
 * and hands back the worker's answer as it comes. A worker that fails before answering is replaced and the
 * request tried once more, as the gateway does for its own models; errors of the request itself (an unknown
 * model, a bad body) are answers in OpenAI's error shape, relayed to the client as they are.
 */
public final class LocalInstances implements TunnelHost.Handler, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalInstances.class);

    private final ModelDirectory models;
    private final Supervisor supervisor;
    private final WorkerConnections connections = new WorkerConnections();
    private volatile String refusing;

    public LocalInstances(ModelDirectory models, Supervisor supervisor) {
        this.models = models;
        this.supervisor = supervisor;
    }

    /**
     * What the node's scene lends, applied: with no threads to lend (a game, a low battery) new requests are
     * refused, so that the plane sends them elsewhere, and unless the scene keeps instances, idle workers are
     * unloaded to give their memory back.
     */
    public void apply(io.puhui.server.node.scene.ScenePolicy.Lending lending, String scene) {
        refusing = lending.threadShare() == 0 ? "this node lends nothing in scene " + scene : null;
        if (!lending.keepsInstances()) {
            supervisor.unloadIdle("the node's scene is " + scene);
        }
    }

    /** Loads the model's worker now (the plane's placement expects requests for it), unless the scene forbids. */
    public void warm(String model) {
        if (refusing != null) {
            return;
        }
        models.find(model).ifPresentOrElse(spec -> {
            try {
                supervisor.release(supervisor.acquire(spec, null));
            } catch (ApiException e) {
                LOG.warn("could not load '{}' as the plane asked: {}", model, e.getMessage());
            }
        }, () -> LOG.warn("the plane asked for '{}', which this node does not hold", model));
    }

    @Override
    public TunnelHost.Answer handle(String path, Map<String, String> headers, byte[] body) throws IOException {
        String no = refusing;
        if (no != null) {
            throw new IOException(no); // before any answer: the plane routes the request again
        }
        if (!path.equals("/v1/chat/completions") && !path.equals("/v1/completions")) {
            return error(ApiException.notFound("unknown_path", "a node answers /v1/chat/completions and /v1/completions, not " + path));
        }
        WorkerSpec spec;
        Duration keepAlive = null;
        try {
            JsonNode json = Json.parseBody(body);
            String model = json.path("model").asText("");
            spec = models.find(model).orElseThrow(() -> ApiException.notFound("model_not_found",
                    "this node does not hold the model '" + model + "'"));
            JsonNode ka = json.get("keep_alive");
            if (ka != null && !ka.isNull()) {
                keepAlive = KeepAlive.parse(ka.asText());
            }
        } catch (ApiException e) {
            return error(e);
        }
        Map<String, String> forward = new LinkedHashMap<>();
        for (String h : new String[] {"x-puhui-tenant", "x-request-id"}) {
            if (headers.containsKey(h)) {
                forward.put(h, headers.get(h));
            }
        }
        for (int attempt = 0; ; attempt++) {
            WorkerProcess w;
            try {
                w = supervisor.acquire(spec, keepAlive);
            } catch (ApiException e) {
                return error(e);
            }
            try {
                WorkerConnections.Exchange x = connections.post(w.baseUri(), path, body, forward);
                return new WorkerAnswer(x, w);
            } catch (IOException e) {
                supervisor.failed(w);
                supervisor.release(w);
                if (attempt > 0) {
                    throw new IOException("the worker of '" + spec.name() + "' failed twice: " + e.getMessage());
                }
                LOG.warn("worker of '{}' failed before answering ({}); retrying once", spec.name(), e.getMessage());
            }
        }
    }

    /** A worker's answer; closing it gives the worker back (and, unless read to the end, drops the connection). */
    private final class WorkerAnswer implements TunnelHost.Answer {
        private final WorkerConnections.Exchange exchange;
        private final WorkerProcess worker;
        private boolean closed;

        WorkerAnswer(WorkerConnections.Exchange exchange, WorkerProcess worker) {
            this.exchange = exchange;
            this.worker = worker;
        }

        @Override
        public int status() {
            return exchange.status();
        }

        @Override
        public Map<String, String> headers() {
            Map<String, String> h = new LinkedHashMap<>();
            for (String name : new String[] {"content-type", "retry-after"}) {
                String v = exchange.headers().get(name);
                if (v != null) {
                    h.put(name, v);
                }
            }
            return h;
        }

        @Override
        public InputStream body() {
            return exchange.body();
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                exchange.close();
                supervisor.release(worker);
            }
        }
    }

    private static TunnelHost.Answer error(ApiException e) {
        byte[] json = Json.write(e.toJson(Json.MAPPER)).getBytes(StandardCharsets.UTF_8);
        Map<String, String> h = new LinkedHashMap<>();
        h.put("content-type", "application/json");
        if (e.retryAfterSeconds() != null) {
            h.put("retry-after", e.retryAfterSeconds().toString());
        }
        return new TunnelHost.Answer() {
            private final InputStream in = new ByteArrayInputStream(json);

            @Override
            public int status() {
                return e.status();
            }

            @Override
            public Map<String, String> headers() {
                return h;
            }

            @Override
            public InputStream body() {
                return in;
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public void close() {
        connections.close();
    }
}
