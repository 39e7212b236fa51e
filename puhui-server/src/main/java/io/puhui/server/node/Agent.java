// The node agent: one outbound WebSocket to the control plane (so a node behind NAT can join), a hello with the
// join token, then a heartbeat with the node's scene, what it lends and the model variants it holds; the plane's
// requests come back over the same socket as tunnel streams. Reconnects with backoff when the connection drops,
// stops for good when the plane refuses the token.
package io.puhui.server.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.puhui.server.api.Json;
import io.puhui.server.node.scene.Scene;
import io.puhui.server.node.scene.SceneDetector;
import io.puhui.server.node.scene.ScenePolicy;
import io.puhui.server.pool.NodeInstance;
import io.puhui.server.pool.NodeResources;
import io.puhui.server.tunnel.Sockets;
import io.puhui.server.tunnel.TunnelHost;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;

public final class Agent implements AutoCloseable {

    /**
     * @param server      the control plane, {@code http://host:port} or {@code https://…}
     * @param token       the join token
     * @param nodeId      this node's stable id
     * @param name        a name for people (the host name)
     * @param cores       cores of the machine
     * @param memoryBytes memory of the machine
     * @param watts       the power it draws while generating (its power profile); 0 for its tier's default
     * @param trust       for an https plane, the certificates to trust ({@code --ca}); null for the system's
     */
    public record Config(URI server, String token, String nodeId, String name, int cores, long memoryBytes, double watts,
                         SSLContext trust) {
        public Config(URI server, String token, String nodeId, String name, int cores, long memoryBytes, double watts) {
            this(server, token, nodeId, name, cores, memoryBytes, watts, null);
        }
    }

    /** The plane's certificate is not trusted: retrying cannot help; the node needs {@code --ca}. */
    public static final class UntrustedException extends Exception {
        public UntrustedException(String message) {
            super(message);
        }
    }

    /** The control plane refused to let this node join. */
    public static final class RefusedException extends Exception {
        public RefusedException(String reason) {
            super(reason);
        }
    }

    private final Config config;
    private final SceneDetector detector;
    private final ScenePolicy policy;
    private final Consumer<String> log;
    private final HttpClient http;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Supplier<List<NodeInstance>> instances;
    private final TunnelHost.Handler handler;
    private volatile BiConsumer<Scene, ScenePolicy.Lending> onLending =
            (scene, l) -> { };
    private volatile Consumer<String> onLoad = model -> { };
    private volatile WebSocket socket;
    private volatile TunnelHost host;
    private final Resources resources = new Resources();

    /** An agent that reports its scene only and runs nothing (the server's own, whose models it serves itself). */
    public Agent(Config config, SceneDetector detector, ScenePolicy policy, Consumer<String> log) {
        this(config, detector, policy, log, List::of, null);
    }

    /**
     * @param instances the variants this node holds, reported with every heartbeat
     * @param handler   answers the plane's requests; null for a node that takes none
     */
    public Agent(Config config, SceneDetector detector, ScenePolicy policy, Consumer<String> log,
                 Supplier<List<NodeInstance>> instances, TunnelHost.Handler handler) {
        this.config = config;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
        this.http = (config.trust() == null ? b : b.sslContext(config.trust())).build();
        this.detector = detector;
        this.policy = policy;
        this.log = log;
        this.instances = instances;
        this.handler = handler;
    }

    /** Called with what the node lends at every heartbeat, before it is sent: the node applies it. */
    public Agent onLending(BiConsumer<Scene, ScenePolicy.Lending> listener) {
        this.onLending = listener;
        return this;
    }

    /** Called when the plane's placement asks this node to load a model (it is used soon, or in demand). */
    public Agent onLoad(Consumer<String> listener) {
        this.onLoad = listener;
        return this;
    }

    /** Requests being answered over the tunnel now. */
    public int activeStreams() {
        TunnelHost h = host;
        return h == null ? 0 : h.active();
    }

    /** The WebSocket address of the plane's agent endpoint. */
    public static URI endpoint(URI server) {
        String scheme = switch (server.getScheme() == null ? "" : server.getScheme()) {
            case "http", "ws" -> "ws";
            case "https", "wss" -> "wss";
            default -> throw new IllegalArgumentException("--join takes http://HOST:PORT or https://HOST:PORT, not " + server);
        };
        return URI.create(scheme + "://" + server.getRawAuthority() + "/api/agent");
    }

    /**
     * Joins and sends heartbeats until {@link #close()}; reconnects after a lost connection (1 s, doubling to
     * 30 s).
     *
     * @throws RefusedException when the plane refuses the token
     */
    public void run() throws RefusedException, UntrustedException, InterruptedException {
        long backoff = 1000;
        while (stopped.getCount() > 0) {
            Session s = new Session();
            Sockets.JdkSender sender = null;
            try {
                socket = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
                        .buildAsync(endpoint(config.server()), s).get(15, TimeUnit.SECONDS);
                sender = new Sockets.JdkSender(socket);
                if (handler != null) {
                    host = new TunnelHost(sender, handler);
                    s.host.complete(host);
                } else {
                    s.host.complete(null);
                }
                ObjectNode hello = Json.MAPPER.createObjectNode().put("type", "hello").put("token", config.token())
                        .put("id", config.nodeId()).put("name", config.name()).put("cores", config.cores())
                        .put("memory", config.memoryBytes()).put("watts", config.watts());
                instances(hello);
                sender.sendText(hello.toString());
                JsonNode first = s.messages.poll(15, TimeUnit.SECONDS);
                if (first == null) {
                    throw new IllegalStateException("no answer to the hello");
                }
                if (first.path("type").asText().equals("refused")) {
                    throw new RefusedException(first.path("reason").asText("refused"));
                }
                long heartbeatMs = (long) (first.path("heartbeat").asDouble(5) * 1000);
                log.accept("joined " + config.server() + " as " + first.path("id").asText() + " at tier "
                        + first.path("tier").asText());
                backoff = 1000;
                while (stopped.getCount() > 0 && !s.closed.isDone()) {
                    SceneDetector.Reading r = detector.read();
                    ScenePolicy.Lending l = policy.lending(r.scene());
                    onLending.accept(r.scene(), l);
                    ObjectNode beat = Json.MAPPER.createObjectNode().put("type", "heartbeat").put("scene", r.scene().name())
                            .put("reason", r.reason()).put("threads", l.threads(config.cores()))
                            .put("memory", l.memoryBytes(config.memoryBytes())).put("remote", l.acceptsRemote())
                            .put("streams", activeStreams());
                    instances(beat);
                    resources(beat);
                    sender.sendText(beat.toString());
                    JsonNode m = s.messages.poll(heartbeatMs, TimeUnit.MILLISECONDS);
                    if (m != null && m.path("type").asText().equals("refused")) {
                        throw new RefusedException(m.path("reason").asText("refused"));
                    }
                }
                if (stopped.getCount() == 0) {
                    return;
                }
                log.accept("connection closed (" + s.closed.getNow("") + "); reconnecting");
            } catch (RefusedException e) {
                throw e;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                for (Throwable c = e; c != null; c = c.getCause()) {
                    if (c instanceof SSLHandshakeException || c instanceof CertificateException) {
                        throw new UntrustedException("the certificate of " + config.server() + " is not trusted ("
                                + rootMessage(e) + "); pass --ca FILE.pem with the certificate of the authority "
                                + "that signed it, or of the server itself");
                    }
                }
                log.accept("cannot reach " + config.server() + ": " + rootMessage(e) + "; retrying in " + backoff / 1000 + " s");
            } finally {
                WebSocket ws = socket;
                if (ws != null) {
                    ws.abort();
                }
                TunnelHost h = host;
                if (h != null) {
                    h.close(); // the plane has given up on these streams: free their slots
                }
                host = null;
            }
            if (stopped.await(backoff, TimeUnit.MILLISECONDS)) {
                return;
            }
            backoff = Math.min(30_000, backoff * 2);
        }
    }

    private void resources(ObjectNode message) {
        NodeResources r = resources.read();
        ObjectNode o = message.putObject("resources").put("cpu_load", r.cpuLoad()).put("memory_available", r.memoryAvailable());
        ArrayNode a = o.putArray("accelerators");
        for (NodeResources.Accelerator x : r.accelerators()) {
            a.addObject().put("name", x.name()).put("vendor", x.vendor()).put("memory", x.memoryBytes())
                    .put("memory_used", x.memoryUsed()).put("utilization", x.utilization());
        }
    }

    private void instances(ObjectNode message) {
        ArrayNode a = message.putArray("instances");
        for (NodeInstance i : instances.get()) {
            a.addObject().put("model", i.model()).put("variant", i.variant()).put("format", i.format())
                    .put("bytes", i.bytes()).put("quality", i.quality()).put("slots", i.slots())
                    .put("decode_tps", i.decodeTps()).put("prefill_tps", i.prefillTps()).put("loaded", i.loaded());
        }
    }

    private static String rootMessage(Throwable e) {
        while (e.getCause() != null && e.getCause() != e) {
            e = e.getCause();
        }
        if (e instanceof ConnectException || e instanceof ClosedChannelException) {
            return "nothing answers there (is `puhui serve` running at that address?)";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    @Override
    public void close() {
        stopped.countDown();
        WebSocket ws = socket;
        if (ws != null) {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "agent stopping").exceptionally(t -> null);
        }
    }

    /** One connection: its messages in order and how it ended. */
    private final class Session implements WebSocket.Listener {
        final LinkedBlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
        final CompletableFuture<String> closed = new CompletableFuture<>();
        /** The tunnel's end on this connection, once made (null when the node takes no requests). */
        final CompletableFuture<TunnelHost> host = new CompletableFuture<>();
        private final StringBuilder partial = new StringBuilder();
        private final Sockets.Assembler binary = new Sockets.Assembler();

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            ByteBuffer whole = binary.add(data, last);
            if (whole != null) {
                try {
                    TunnelHost h = host.join();
                    if (h == null) {
                        throw new IOException("this node takes no requests");
                    }
                    h.receive(whole);
                } catch (Exception e) {
                    closed.complete("bad tunnel frame from the plane: " + e.getMessage());
                    ws.abort();
                    return null;
                }
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    JsonNode m = Json.MAPPER.readTree(partial.toString());
                    if (m.path("type").asText().equals("load")) {
                        String model = m.path("model").asText("");
                        Thread.ofVirtual().name("load-" + model).start(() -> onLoad.accept(model));
                    } else {
                            messages.add(m);
                    }
                } catch (Exception e) {
                    closed.complete("unreadable message from the plane");
                }
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
            if (status == 4401) {
                messages.add(Json.MAPPER.createObjectNode().put("type", "refused").put("reason", reason));
            }
            closed.complete("status " + status + (reason.isEmpty() ? "" : ", " + reason));
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.complete(error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage());
        }
    }
}
