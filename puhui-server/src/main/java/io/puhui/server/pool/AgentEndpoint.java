package io.puhui.server.pool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.JavalinConfig;
import io.javalin.websocket.WsContext;
import io.puhui.server.api.ApiException;
import io.puhui.server.api.Json;
import io.puhui.server.store.JoinTokens;
import io.puhui.server.tunnel.Sockets;
import io.puhui.server.tunnel.Tunnel;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane's side of the agents' connections: {@code /api/agent}, one WebSocket per node, opened by the
 * node (so nodes behind NAT can join). The first message is a hello with the join token; a good token makes
 * the node a member at the token's tier, a bad or revoked one is refused with the reason and the connection
 * closed. Heartbeats follow. {@code GET /api/nodes} lists the pool; {@code POST /api/nodes/{id}/drain} stops
 * new work going to a node (its streams finish), {@code POST /api/nodes/{id}/resume} lets it take work again.
 *
 * <p>Text messages are JSON objects with a {@code type}: agent → plane {@code hello} ({@code token, id, name,
 * cores, memory, instances}) and {@code heartbeat} ({@code scene, reason, threads, memory, remote, streams,
 * instances}); plane → agent {@code welcome} ({@code id, tier, heartbeat} seconds) and {@code refused}
 * ({@code reason}). Binary messages are the frames of the {@linkplain Tunnel tunnel} that carries requests to the
 * node and their answers back.
 */
public final class AgentEndpoint implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AgentEndpoint.class);

    /** WebSocket close code for a refused join (4000-4999 are for applications). */
    public static final int REFUSED = 4401;

    private final NodeRegistry registry;
    private final JoinTokens tokens;
    private final String localToken = "pjt-local-" + HexFormat.of().toHexDigits(new SecureRandom().nextLong())
            + HexFormat.of().toHexDigits(new SecureRandom().nextLong());
    private volatile Tier localTier = Tier.EDGE;
    private volatile String localNode;
    private final Map<String, String> nodeOfSession = new ConcurrentHashMap<>();
    /** Each connected node's current session and tunnel; a reconnect replaces them. */
    private final Map<String, Link> links = new ConcurrentHashMap<>();

    private record Link(String session, Tunnel tunnel, Sockets.JettySender socket) {
    }

    private final DemandMeter demand;
    /** Instances administrators asked for, per model, beyond what demand needs. */
    private final Map<String, Integer> wanted = new ConcurrentHashMap<>();
    /** Loads asked of nodes lately ("node/model" → when), so that a node loading a model is not asked again. */
    private final Map<String, Long> asked = new ConcurrentHashMap<>();
    private static final long ASK_AGAIN_MS = 30_000;
    private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "node-sweeper");
        t.setDaemon(true);
        return t;
    });

    public AgentEndpoint(NodeRegistry registry, JoinTokens tokens) {
        this.registry = registry;
        this.tokens = tokens;
        long period = Math.max(200, registry.heartbeat().toMillis() / 2);
        this.demand = new DemandMeter(Clock.systemUTC());
        sweeper.scheduleAtFixedRate(() -> {
            int lost = registry.sweep();
            if (lost > 0) {
                LOG.warn("{} node(s) missed three heartbeats and are marked lost", lost);
            }
            try {
                warm();
            } catch (RuntimeException e) {
                LOG.warn("placement failed: {}", e.toString());
            }
        }, period, period, TimeUnit.MILLISECONDS);
    }

    public NodeRegistry registry() {
        return registry;
    }

    /** Where the gateway counts each routed request, for placement. */
    public DemandMeter demand() {
        return demand;
    }

    /**
     * Runs placement: plans which nodes should load which models ({@link Warmup}) and asks them to, over their
     * connections. Returns what was asked now.
     */
    public synchronized List<Warmup.Load> warm() {
        String self = localNode;
        List<NodeRegistry.NodeInfo> nodes = registry.list().stream().filter(n -> !n.id().equals(self)).toList();
        long now = System.currentTimeMillis();
        asked.values().removeIf(t -> now - t > ASK_AGAIN_MS);
        List<Warmup.Load> sent = new ArrayList<>();
        for (Warmup.Load l : Warmup.plan(nodes, demand.rates(), wanted, "bestfit")) {
            Link link = links.get(l.nodeId());
            if (link == null || asked.putIfAbsent(l.nodeId() + "/" + l.model(), now) != null) {
                continue;
            }
            try {
                link.socket().sendText(Json.MAPPER.createObjectNode().put("type", "load").put("model", l.model()).toString());
                sent.add(l);
                LOG.info("asked node {} to load {} ({})", l.nodeId(), l.model(), l.variant());
            } catch (IOException e) {
                asked.remove(l.nodeId() + "/" + l.model());
            }
        }
        return sent;
    }

    /**
     * The token the server's own embedded agent joins with: valid in this process only, at {@code tier}. The
     * embedded agent takes the same path as remote ones.
     */
    public String localToken(Tier tier, String nodeId) {
        this.localTier = tier;
        this.localNode = nodeId;
        return localToken;
    }

    /** The server's own node as the registry knows it (its scene, state), once its agent has joined. */
    public Optional<NodeRegistry.NodeInfo> localNode() {
        String id = localNode;
        return id == null ? Optional.empty() : registry.find(id);
    }

    /**
     * Adds the routes; the caller guards {@code /api/nodes} and {@code /api/tokens} with its administrator check.
     * {@code POST /api/tokens} ({@code tier}, {@code label}) makes a join token and returns it once;
     * {@code GET /api/tokens} lists them without their secrets; {@code POST /api/tokens/{id}/revoke} revokes one.
     */
    public void install(JavalinConfig c) {
        c.routes.ws("/api/agent", ws -> {
            ws.onMessage(ctx -> onMessage(ctx, ctx.message()));
            ws.onBinaryMessage(ctx -> {
                String node = nodeOfSession.get(ctx.sessionId());
                Link link = node == null ? null : links.get(node);
                if (link == null || !link.session().equals(ctx.sessionId())) {
                    refuse(ctx, "tunnel frames before the hello");
                    return;
                }
                link.tunnel().receive(ctx.data());
            });
            ws.onClose(ctx -> closed(ctx.sessionId()));
            ws.onError(ctx -> closed(ctx.sessionId()));
        });
        c.routes.get("/api/nodes", ctx -> ctx.contentType("application/json").result(Json.MAPPER.writeValueAsString(nodes())));
        c.routes.post("/api/tokens", ctx -> {
            JsonNode body = Json.parseBody(ctx.bodyAsBytes());
            Tier tier;
            try {
                tier = Tier.valueOf(body.path("tier").asText("").toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("tier", "tier must be device, edge or cloud, not '" + body.path("tier").asText("") + "'");
            }
            String label = body.hasNonNull("label") ? body.get("label").asText() : null;
            if (label != null && label.length() > 200) {
                throw ApiException.badRequest("label", "a label has at most 200 characters");
            }
            JoinTokens.CreatedToken t = tokens.create(tier, label);
            ctx.status(201).contentType("application/json").result(token(t.token()).put("token", t.secret()).toString());
        });
        c.routes.get("/api/tokens", ctx -> {
            ArrayNode out = Json.MAPPER.createArrayNode();
            tokens.list().forEach(t -> out.add(token(t)));
            ctx.contentType("application/json").result(out.toString());
        });
        c.routes.post("/api/tokens/{id}/revoke", ctx -> {
            String id = ctx.pathParam("id");
            if (!tokens.revoke(id)) {
                throw ApiException.notFound("token_not_found", "no active join token '" + id + "'; `puhui token list` shows them");
            }
            ctx.contentType("application/json").result(Json.MAPPER.createObjectNode().put("id", id).put("state", "revoked").toString());
        });
        c.routes.post("/api/models/{model}/warm", ctx -> {
            String model = ctx.pathParam("model");
            JsonNode body = Json.parseBody(ctx.bodyAsBytes());
            int n = body.path("instances").asInt(-1);
            if (n < 0 || n > 1000) {
                throw ApiException.badRequest("instances", "instances is the number of nodes that should keep '" + model
                        + "' loaded, from 0 (back to what demand needs) to 1000");
            }
            if (n == 0) {
                wanted.remove(model);
            } else {
                wanted.put(model, n);
            }
            ArrayNode out = Json.MAPPER.createArrayNode();
            for (Warmup.Load l : warm()) {
                out.addObject().put("node", l.nodeId()).put("model", l.model()).put("variant", l.variant());
            }
            ctx.contentType("application/json").result(out.toString());
        });
        c.routes.post("/api/nodes/{id}/resume", ctx -> {
            String id = ctx.pathParam("id");
            if (!registry.resume(id)) {
                throw ApiException.notFound("node_not_draining", "no draining node with id '" + id + "'; `puhui nodes` lists them");
            }
            ctx.contentType("application/json").result("{\"id\":" + Json.MAPPER.writeValueAsString(id) + ",\"state\":\"READY\"}");
        });
        c.routes.post("/api/nodes/{id}/drain", ctx -> {
            String id = ctx.pathParam("id");
            if (!registry.drain(id)) {
                throw ApiException.notFound("node_not_found", "no node with id '" + id + "'; `puhui nodes` lists them");
            }
            ctx.contentType("application/json").result("{\"id\":" + Json.MAPPER.writeValueAsString(id) + ",\"state\":\"DRAINING\"}");
        });
    }

    private void onMessage(WsContext ctx, String text) {
        JsonNode m;
        try {
            m = Json.MAPPER.readTree(text);
        } catch (Exception e) {
            refuse(ctx, "a message is not JSON");
            return;
        }
        String type = m.path("type").asText("");
        String node = nodeOfSession.get(ctx.sessionId());
        switch (type) {
            case "hello" -> hello(ctx, m);
            case "heartbeat" -> {
                if (node == null) {
                    refuse(ctx, "a heartbeat before the hello");
                    return;
                }
                List<NodeInstance> instances;
                try {
                    instances = instances(m);
                } catch (IllegalArgumentException e) {
                    refuse(ctx, "a bad instance in the heartbeat: " + e.getMessage());
                    return;
                }
                registry.heartbeat(node, m.path("scene").asText("UNKNOWN"), m.path("reason").asText(""),
                        m.path("threads").asInt(0), m.path("memory").asLong(0), m.path("remote").asBoolean(false),
                        instances, resources(m.path("resources")));
            }
            default -> refuse(ctx, "unknown message type '" + type + "'");
        }
    }

    private void hello(WsContext ctx, JsonNode m) {
        String shown = m.path("token").asText(null);
        JoinTokens.Verdict v = localToken.equals(shown)
                ? new JoinTokens.Verdict(new JoinTokens.JoinToken("local", localTier, "this server", Instant.EPOCH, null), null)
                : tokens.verify(shown);
        String id = m.path("id").asText("");
        if (!v.accepted()) {
            LOG.warn("refused a node at {}: {}", ctx.host(), v.refusal());
            refuse(ctx, v.refusal());
            return;
        }
        if (!id.matches("[A-Za-z0-9_.-]{4,80}")) {
            refuse(ctx, "a node id must be 4 to 80 letters, digits, '_', '.' or '-'");
            return;
        }
        String name = m.path("name").asText(id);
        List<NodeInstance> instances;
        try {
            instances = instances(m);
        } catch (IllegalArgumentException e) {
            refuse(ctx, "a bad instance in the hello: " + e.getMessage());
            return;
        }
        NodeRegistry.NodeInfo n = registry.join(id, name.length() > 120 ? name.substring(0, 120) : name,
                v.token().tier(), v.token().id(), m.path("cores").asInt(0), m.path("memory").asLong(0), ctx.host(),
                instances, Math.min(100_000, m.path("watts").asDouble(0)));
        nodeOfSession.put(ctx.sessionId(), id);
        Sockets.JettySender socket = new Sockets.JettySender(ctx.session);
        Link old = links.put(id, new Link(ctx.sessionId(), new Tunnel(socket), socket));
        if (old != null) {
            old.tunnel().fail("node " + id + " reconnected");
        }
        ObjectNode welcome = Json.MAPPER.createObjectNode().put("type", "welcome").put("id", n.id())
                .put("tier", n.tier().name().toLowerCase(Locale.ROOT))
                .put("heartbeat", registry.heartbeat().toMillis() / 1000.0);
        ctx.send(welcome.toString());
        LOG.info("node {} ({}) joined at tier {}", n.name(), n.id(), n.tier());
    }

    private void refuse(WsContext ctx, String reason) {
        ctx.send(Json.MAPPER.createObjectNode().put("type", "refused").put("reason", reason).toString());
        ctx.closeSession(REFUSED, reason.length() > 120 ? reason.substring(0, 120) : reason);
    }

    private void closed(String session) {
        String node = nodeOfSession.remove(session);
        if (node == null) {
            return;
        }
        Link link = links.get(node);
        if (link != null && link.session().equals(session)) {
            links.remove(node, link);
            link.tunnel().fail("the connection to node " + node + " closed");
            registry.disconnected(node);
            LOG.warn("node {} disconnected", node);
        }
    }

    /** The tunnel to a connected node. */
    public Optional<Tunnel> tunnel(String nodeId) {
        Link link = links.get(nodeId);
        return link == null ? Optional.empty() : Optional.of(link.tunnel());
    }

    /** Requests open on the node's tunnel now. */
    public int activeStreams(String nodeId) {
        Link link = links.get(nodeId);
        return link == null ? 0 : link.tunnel().active();
    }

    private static NodeResources resources(JsonNode r) {
        if (r.isMissingNode()) {
            return NodeResources.UNKNOWN;
        }
        List<NodeResources.Accelerator> accelerators = new ArrayList<>();
        for (JsonNode a : r.path("accelerators")) {
            if (accelerators.size() == 64) {
                break;
            }
            accelerators.add(new NodeResources.Accelerator(a.path("name").asText(""), a.path("vendor").asText(""),
                    a.path("memory").asLong(-1), a.path("memory_used").asLong(-1), a.path("utilization").asDouble(-1)));
        }
        return new NodeResources(r.path("cpu_load").asDouble(-1), r.path("memory_available").asLong(0), accelerators);
    }

    private static ObjectNode token(JoinTokens.JoinToken t) {
        ObjectNode o = Json.MAPPER.createObjectNode().put("id", t.id())
                .put("tier", t.tier().name().toLowerCase(Locale.ROOT))
                .put("state", t.revoked() ? "revoked" : "active").put("created_at", t.createdAt().toString());
        if (t.label() != null) {
            o.put("label", t.label());
        }
        return o;
    }

    private static List<NodeInstance> instances(JsonNode m) {
        List<NodeInstance> out = new ArrayList<>();
        for (JsonNode i : m.path("instances")) {
            if (out.size() == 256) {
                throw new IllegalArgumentException("more than 256 instances");
            }
            out.add(new NodeInstance(i.path("model").asText(""), i.path("variant").asText(""),
                    i.path("format").asText(""), i.path("bytes").asLong(0), i.path("quality").asDouble(-1),
                    i.path("slots").asInt(0), i.path("decode_tps").asDouble(0), i.path("prefill_tps").asDouble(0),
                    i.path("loaded").asBoolean(false)));
        }
        return out;
    }

    private ArrayNode nodes() {
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (NodeRegistry.NodeInfo n : registry.list()) {
            ObjectNode o = out.addObject().put("id", n.id()).put("name", n.name())
                    .put("tier", n.tier().name().toLowerCase(Locale.ROOT)).put("state", n.state().name())
                    .put("scene", n.scene()).put("scene_reason", n.sceneReason()).put("cores", n.cores())
                    .put("memory", n.memoryBytes()).put("lends_threads", n.lendsThreads())
                    .put("lends_memory", n.lendsMemoryBytes()).put("accepts_remote", n.acceptsRemote())
                    .put("token", n.tokenId()).put("address", n.address())
                    .put("joined_at", n.joinedAt().toString()).put("last_heartbeat", n.lastHeartbeat().toString())
                    .put("streams", activeStreams(n.id())).put("cpu_load", n.resources().cpuLoad())
                    .put("memory_available", n.resources().memoryAvailable()).put("watts", n.watts());
            ArrayNode acc = o.putArray("accelerators");
            for (NodeResources.Accelerator a : n.resources().accelerators()) {
                acc.addObject().put("name", a.name()).put("vendor", a.vendor()).put("memory", a.memoryBytes())
                        .put("memory_used", a.memoryUsed()).put("utilization", a.utilization());
            }
            ArrayNode inst = o.putArray("instances");
            for (NodeInstance i : n.instances()) {
                inst.addObject().put("model", i.model()).put("variant", i.variant()).put("format", i.format())
                        .put("bytes", i.bytes()).put("quality", i.quality()).put("slots", i.slots())
                        .put("decode_tps", i.decodeTps()).put("loaded", i.loaded());
            }
        }
        return out;
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
    }
}
