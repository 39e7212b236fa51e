// The control plane's front door (`puhui serve`): OpenAI API, keys, metrics. It finds the model, has the node's
// supervisor run it, and relays the worker's answer byte for byte, streams included, retrying once on a worker
// that failed before the client saw anything.
package io.puhui.server.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.puhui.server.api.ApiException;
import io.puhui.server.api.HangUps;
import io.puhui.server.api.HttpErrors;
import io.puhui.server.api.Json;
import io.puhui.server.api.Tls;
import io.puhui.server.compliance.Labels;
import io.puhui.server.node.KeepAlive;
import io.puhui.server.node.ModelFormat;
import io.puhui.server.node.Supervisor;
import io.puhui.server.node.WorkerProcess;
import io.puhui.server.node.WorkerSpec;
import io.puhui.server.node.scene.Scene;
import io.puhui.server.pool.AgentEndpoint;
import io.puhui.server.pool.Candidate;
import io.puhui.server.pool.Cascade;
import io.puhui.server.pool.EndpointPool;
import io.puhui.server.pool.NodeInstance;
import io.puhui.server.pool.NodeRegistry;
import io.puhui.server.pool.RouteLog;
import io.puhui.server.pool.RouteRequest;
import io.puhui.server.pool.Router;
import io.puhui.server.pool.SpeedBook;
import io.puhui.server.pool.Tier;
import io.puhui.server.safety.Classifier;
import io.puhui.server.safety.Hit;
import io.puhui.server.safety.Lexicon;
import io.puhui.server.safety.SafetyEngine;
import io.puhui.server.store.AuditLog;
import io.puhui.server.store.Tenants;
import io.puhui.server.tunnel.Tunnel;
import io.puhui.server.worker.WorkerServer;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

public final class Gateway implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

    private final ModelDirectory models;
    private final EndpointPool endpoints;
    private final AgentEndpoint pool;
    private volatile Routing routing = Routing.DEFAULT;
    private volatile Tenants tenants;
    private volatile Compliance compliance;

    /**
     * The compliance stage: safety checks, labels and the audit log.
     *
     * @param audit    where every request is recorded (null: nowhere)
     * @param keepText whether audit records keep the text of requests and answers, or only its hash
     */
    public record Compliance(SafetyEngine safety, Labels labels, AuditLog.Writer audit, boolean keepText,
                             ReportApi reports, Classifier classifier, String classifierSecret) {
        public Compliance(SafetyEngine safety, Labels labels, AuditLog.Writer audit, boolean keepText, ReportApi reports) {
            this(safety, labels, audit, keepText, reports, null, null);
        }
    }

    /** Marks the gateway's own calls to a classifier, with a secret of this process, so they are not classified. */
    public static final String CLASSIFIER_HEADER = "x-puhui-classifier";

    public Gateway compliance(Compliance c) {
        this.compliance = c;
        return this;
    }

    /**
     * How requests for a model with several variants (the local file and endpoints) are placed.
     *
     * @param tier    this server's own tier, which its local models run at
     * @param cascade when set, a request the router gives to a variant that has a better one on a higher tier
     *                is answered by it first and escalated when its confidence is too low
     * @param quality the quality of this server's own variants relative to their families' references, 0..1;
     *                null to take it from each file's compression
     * @param watts   this server's power while generating; 0 for its tier's default
     * @param cascadeByModel thresholds of the model families that have their own; the others take {@code cascade}
     */
    public record Routing(Tier tier, Cascade.Thresholds cascade, Double quality,
                          double watts, Map<String, Cascade.Thresholds> cascadeByModel) {
        public static final Routing DEFAULT = new Routing(Tier.EDGE, null, null, 0, Map.of());

        public Routing {
            cascadeByModel = Map.copyOf(cascadeByModel);
        }

        /** The cascade's thresholds for a model family, or null when its requests are not cascaded. */
        public Cascade.Thresholds cascadeFor(String model) {
            return cascadeByModel.getOrDefault(model, cascade);
        }
    }

    /** Tenants' policies: the tiers each tenant may use and its quality floor, applied to every routed request. */
    public Gateway tenants(Tenants t) {
        this.tenants = t;
        return this;
    }

    public Gateway routing(Routing r) {
        this.routing = r;
        return this;
    }

    private final Router router = new Router();
    private final RouteLog routes = new RouteLog(1000);
    private final SpeedBook speeds = new SpeedBook(0.3);
    private final Supervisor supervisor;
    private final Access access;
    private final GatewayMetrics metrics;
    private final WorkerConnections connections = new WorkerConnections();
    private final Javalin app;
    private final long created = Instant.now().getEpochSecond();

    /**
     * Where and how the gateway listens.
     *
     * @param tls the server's key and certificate chain ({@link Tls#serverKeyStore}) to serve
     *            HTTPS on {@code host:port}, or null for plain HTTP. With TLS a second, plain listener on
     *            127.0.0.1 (a free port, {@link #loopbackPort()}) serves this machine's own embedded agent and
     *            admin commands, which need no certificate to reach it; it checks keys like the other.
     */
    public record Listen(String host, int port, long maxBodyBytes, KeyStore tls) {
    }

    /**
     * With {@code pool}: agents join at {@code /api/agent} and {@code /api/nodes} lists them (behind the key
     * check). With {@code endpoints}: a model no local file serves is relayed to a healthy endpoint of it.
     */
    public Gateway(Listen listen, ModelDirectory models, Supervisor supervisor,
                   Access access, AgentEndpoint pool, EndpointPool endpoints) {
        String host = listen.host();
        int port = listen.port();
        long maxBodyBytes = listen.maxBodyBytes();
        this.endpoints = endpoints;
        this.pool = pool;
        this.models = models;
        this.supervisor = supervisor;
        this.access = access;
        this.metrics = new GatewayMetrics(supervisor);
        this.app = Javalin.create(c -> {
            c.startup.showJavalinBanner = false;
            c.concurrency.useVirtualThreads = true;
            c.http.maxRequestSize = maxBodyBytes;
            c.jetty.host = host;
            if (listen.tls() != null) {
                c.jetty.addConnector((server, http) -> {
                    SslContextFactory.Server ssl = new SslContextFactory.Server();
                    ssl.setKeyStore(listen.tls());
                    ssl.setKeyStorePassword(new String(Tls.STORE_PASSWORD));
                    HttpConfiguration https = new HttpConfiguration(http);
                    SecureRequestCustomizer secure = new SecureRequestCustomizer();
                    secure.setSniHostCheck(false); // clients check the name against the certificate themselves
                    https.addCustomizer(secure);
                    ServerConnector connector = new ServerConnector(server,
                            new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(https));
                    connector.setHost(host);
                    connector.setPort(port);
                    return connector;
                });
                c.jetty.addConnector((server, http) -> {
                    ServerConnector loopback = new ServerConnector(server, new HttpConnectionFactory(http));
                    loopback.setHost("127.0.0.1");
                    loopback.setPort(0);
                    return loopback;
                });
            }
            c.jetty.port = port;
            HttpErrors.install(c, maxBodyBytes);
            c.routes.before("/v1/*", this::authenticate);
            if (pool != null) {
                for (String admin : new String[] {"/api/nodes", "/api/nodes/*", "/api/tokens", "/api/tokens/*", "/api/models/*"}) {
                    c.routes.before(admin, this::administrator);
                }
                pool.install(c);
            }
            c.routes.get("/health", this::health);
            c.routes.before("/api/routes/*", this::administrator);
            c.routes.before("/api/tenants", this::administrator);
            c.routes.before("/api/tenants/*", this::administrator);
            TenantApi.install(c, () -> tenants);
            c.routes.post("/api/compliance/reports", ctx -> {
                authenticate(ctx);
                reportApi().file(ctx, ctx.attribute("caller"));
            });
            c.routes.get("/api/compliance/reports", ctx -> {
                administrator(ctx);
                reportApi().list(ctx);
            });
            c.routes.get("/api/compliance/reports/{id}", ctx -> {
                administrator(ctx);
                reportApi().show(ctx);
            });
            c.routes.post("/api/compliance/reports/{id}/actions", ctx -> {
                administrator(ctx);
                reportApi().act(ctx);
            });
            c.routes.get("/api/routes/recent", ctx -> {
                int limit;
                try {
                    limit = Integer.parseInt(ctx.queryParamAsClass("limit", String.class).getOrDefault("100"));
                } catch (NumberFormatException e) {
                    limit = -1;
                }
                if (limit < 1 || limit > 1000) {
                    throw ApiException.badRequest("limit", "limit must be a whole number from 1 to 1000");
                }
                ArrayNode out = Json.MAPPER.createArrayNode();
                for (RouteLog.Entry e : routes.recent(limit)) {
                    ObjectNode o = out.addObject().put("at", e.at().toString()).put("request_id", e.requestId())
                            .put("tenant", e.tenant()).put("model", e.model()).put("tier", e.tier())
                            .put("target", e.target()).put("reason", e.reason());
                    if (e.cascade() != null) {
                        o.put("cascade", e.cascade());
                    }
                }
                json(ctx, out);
            });
            c.routes.before("/api/models", this::administrator);
            c.routes.get("/api/models", ctx -> json(ctx, families()));
            c.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                    .result(metrics.scrape()));
            c.routes.get("/v1/models", ctx -> json(ctx, modelList()));
            c.routes.get("/v1/models/{id}", ctx -> {
                String id = ctx.pathParam("id");
                if (models.find(id).isEmpty() && (endpoints == null || !endpoints.models().contains(id))
                        && !poolModels().contains(id)) {
                    throw unknownModel(id);
                }
                json(ctx, modelEntry(id));
            });
            c.routes.post("/v1/chat/completions", ctx -> relay(ctx, "chat.completions", "/v1/chat/completions"));
            c.routes.post("/v1/completions", ctx -> relay(ctx, "completions", "/v1/completions"));
            c.routes.post("/v1/moderations", this::moderations);
        });
    }

    public Gateway start() {
        app.start();
        return this;
    }

    public int port() {
        return app.port();
    }

    /** The plain HTTP port on 127.0.0.1 for this machine's own agent and admin commands: {@link #port()} without TLS. */
    public int loopbackPort() {
        Connector[] connectors = app.jettyServer().server().getConnectors();
        return connectors.length > 1 ? ((ServerConnector) connectors[1]).getLocalPort() : port();
    }

    private void authenticate(Context ctx) {
        if (!access.required()) {
            ctx.attribute("caller", Access.Caller.LOCAL);
            return;
        }
        String h = ctx.header("Authorization");
        if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7) || h.length() <= 7) {
            throw ApiException.unauthorized("missing API key: send the header 'Authorization: Bearer <key>' "
                    + "(an administrator creates keys with `puhui key create --name NAME`)");
        }
        Access.Caller caller = access.verify(h.substring(7).trim()).orElseThrow(() -> ApiException.unauthorized(
                "the API key is not valid (unknown or revoked); check the key you were given"));
        ctx.attribute("caller", caller);
    }

    private ReportApi reportApi() {
        Compliance c = compliance;
        if (c == null || c.reports() == null) {
            throw ApiException.unavailable("this server keeps no reports (it runs without the compliance stage)");
        }
        return c.reports();
    }

    /** The caller's tenant policy, if its tenant has one. */
    private Optional<Tenants.Policy> policy(Access.Caller caller) {
        Tenants t = tenants;
        return t == null ? Optional.empty() : t.get(caller.tenant());
    }

    /** The pool's management API: an administrator's key (`puhui key create --admin`), or the owner on loopback. */
    private void administrator(Context ctx) {
        authenticate(ctx);
        Access.Caller caller = ctx.attribute("caller");
        if (!caller.admin()) {
            throw new ApiException(403, "permission_error", "not_admin", null, "managing the pool needs an "
                    + "administrator's key; one is made with `puhui key create --name NAME --admin`", null);
        }
    }

    /**
     * The compliance stage around the relay: the input check (a blocked request is refused and reaches no
     * model), the output check and labels on whatever answers ({@link AnswerGuard}), and the audit record.
     */
    private void relay(Context ctx, String endpoint, String path) throws Exception {
        long t0 = System.nanoTime();
        Access.Caller caller = ctx.attribute("caller");
        byte[] body = ctx.bodyAsBytes();
        JsonNode json = Json.parseBody(body);
        JsonNode m = json.get("model");
        if (m == null || !m.isTextual() || m.asText().isBlank()) {
            throw ApiException.badRequest("model", "'model' is required: one of " + models.names());
        }
        String model = m.asText();
        Compliance comp = compliance;
        if (comp == null) {
            relayRouted(ctx, endpoint, path, body, json, caller, model, t0);
            return;
        }
        boolean chat = endpoint.equals("chat.completions");
        String requestId = requestId(ctx);
        String produceId = Labels.newProduceId();
        ctx.header("X-AIGC-Label", comp.labels().header(produceId, requestId));
        Tenants t = tenants;
        Tenants.Compliance tc = t == null ? Tenants.Compliance.defaults(caller.tenant()) : t.compliance(caller.tenant());
        if (tc.requireVerified() && !caller.verified()) {
            throw ApiException.forbidden("identity_not_verified", "tenant '" + caller.tenant() + "' serves only users "
                    + "whose real names were verified; the operator verifies user " + caller.person().id()
                    + " with `puhui user set " + caller.person().id() + " --verified`");
        }
        Set<String> blocking = new TreeSet<>(tc.blockCategories());
        if (caller.minor()) {
            blocking.addAll(MINOR_BLOCKS);
        }
        SafetyEngine.Rules rules = blocking.isEmpty() ? SafetyEngine.Rules.DEFAULT : new SafetyEngine.Rules(blocking);
        Labels labels = tc.labelText() == null && tc.labelPrefix() == null ? comp.labels()
                : new Labels(comp.labels().producer(), tc.labelText() != null ? tc.labelText() : comp.labels().explicitText(),
                tc.labelPrefix() == null ? comp.labels().position()
                        : tc.labelPrefix() ? Labels.Position.PREFIX : Labels.Position.SUFFIX,
                comp.labels().refusal(), comp.labels().withheld());
        if (caller.minor() && tc.minorDailyRequests() != null) {
            ZonedDateTime now = ZonedDateTime.now();
            ZonedDateTime midnight = now.toLocalDate().atStartOfDay(now.getZone());
            long used = comp.audit().log().countForUser(caller.person().id(), midnight.toInstant());
            if (used >= tc.minorDailyRequests()) {
                int wait = (int) Math.max(1, Duration.between(now, midnight.plusDays(1)).toSeconds());
                throw new ApiException(429, "rate_limit_error", "daily_limit", null, "this user is a minor and has "
                        + "made today's " + tc.minorDailyRequests() + " requests; more tomorrow", wait);
            }
        }
        // the visible label may be left out only where the tenant allows it, for a user who accepted the terms
        boolean jsonMode = json.path("response_format").path("type").asText("text").startsWith("json");
        boolean labelWaived = !tc.explicitLabel() && caller.person() != null && caller.person().acceptedLabelTerms();
        String labelRecord = labelWaived ? "implicit only (user accepted the labelling terms)"
                : jsonMode ? "implicit only (structured output)" : "explicit+implicit";
        boolean keepText = tc.keepText() != null ? tc.keepText() : comp.keepText();
        String input = inputText(json, chat);
        List<Hit> inputHits = new ArrayList<>(comp.safety().check(input, SafetyEngine.Stage.INPUT, rules));
        Hit refusedBy = inputHits.stream().filter(Hit::blocks).findFirst().orElse(null);
        Classifier classifier = comp.classifier();
        if (refusedBy == null && classifier != null
                && !(comp.classifierSecret() != null && comp.classifierSecret().equals(ctx.header(CLASSIFIER_HEADER)))) {
            // what the words miss: the classifier's verdict
            try {
                Classifier.Verdict v = classifier.classify(input);
                if (v.flagged()) {
                    refusedBy = new Hit(v.category(), Lexicon.Action.BLOCK, "classifier", "classifier:" + classifier.base(),
                            input.length());
                    inputHits.add(refusedBy);
                }
            } catch (IOException e) {
                if (classifier.failure() == Classifier.Failure.CLOSED) {
                    throw ApiException.unavailable("the safety classifier at " + classifier.base() + " did not answer ("
                            + e.getMessage() + "), and this server serves nothing it could not check; try again later");
                }
                inputHits.add(new Hit("classifier-unavailable", Lexicon.Action.FLAG, e.getMessage(),
                        "classifier:" + classifier.base(), input.length()));
            }
        }
        boolean stream = json.path("stream").asBoolean(false);
        if (refusedBy != null) {
            ctx.status(200).contentType(stream ? "text/event-stream" : "application/json");
            ctx.header("x-puhui-safety", "refused; stage=input; category=" + refusedBy.category());
            ctx.res().getOutputStream().write(AnswerGuard.refusal(labels, chat, stream, model, requestId,
                    produceId, refusedBy));
            metrics.refused(refusedBy.category());
            audit(comp, ctx, caller, model, requestId, produceId, 200, "refused", inputHits, List.of(), input, null,
                    labelRecord, keepText);
            return;
        }
        // structured output keeps its shape: a JSON answer gets the AIGC metadata but no visible notice in it
        AnswerGuard guard = new AnswerGuard(() -> ctx.res().getOutputStream(), () -> ctx.res().getContentType(),
                () -> ctx.statusCode(), labels, () -> comp.safety().scanner(SafetyEngine.Stage.OUTPUT, rules),
                produceId, requestId, !jsonMode && !labelWaived);
        ctx.attribute(GUARD, guard);
        int status = 500;
        try {
            relayRouted(ctx, endpoint, path, body, json, caller, model, t0);
            guard.finish();
            status = ctx.statusCode();
        } catch (ApiException e) {
            status = e.status();
            throw e;
        } finally {
            String decision = guard.withheld() != null ? "withheld"
                    : inputHits.isEmpty() && guard.hits().isEmpty() ? "passed" : "flagged";
            if (guard.withheld() != null) {
                metrics.withheld(guard.withheld().category());
                status = 200;
            }
            audit(comp, ctx, caller, model, requestId, produceId, status, decision, inputHits, guard.hits(), input,
                    guard.text(), labelRecord, keepText);
        }
    }

    /**
     * {@code POST /v1/moderations}, as OpenAI's: this server's lexicon and patterns as a moderation service, so
     * that another service (or another Puhui, as its classifier) can use them. {@code input} is a string or a
     * list of strings; each result says whether a blocking rule matched, and in which categories.
     */
    private void moderations(Context ctx) {
        Compliance comp = compliance;
        if (comp == null) {
            throw ApiException.unavailable("this server runs without its safety checks (--no-safety-checks)");
        }
        JsonNode json = Json.parseBody(ctx.bodyAsBytes());
        JsonNode in = json.path("input");
        List<String> inputs = new ArrayList<>();
        if (in.isTextual()) {
            inputs.add(in.asText());
        } else if (in.isArray() && !in.isEmpty() && in.size() <= 256) {
            for (JsonNode x : in) {
                if (!x.isTextual()) {
                    throw ApiException.badRequest("input", "input is a string or a list of up to 256 strings");
                }
                inputs.add(x.asText());
            }
        } else {
            throw ApiException.badRequest("input", "input is a string or a list of up to 256 strings");
        }
        ObjectNode out = Json.MAPPER.createObjectNode().put("id", "modr-" + requestId(ctx).substring(4))
                .put("model", "puhui-lexicon");
        ArrayNode results = out.putArray("results");
        for (String text : inputs) {
            List<Hit> hits = comp.safety().check(text, SafetyEngine.Stage.INPUT, SafetyEngine.Rules.DEFAULT);
            ObjectNode r = results.addObject();
            ObjectNode categories = r.putObject("categories");
            ObjectNode scores = r.putObject("category_scores");
            boolean flagged = false;
            for (Hit h : hits) {
                if (h.blocks()) {
                    flagged = true;
                    categories.put(h.category(), true);
                    scores.put(h.category(), 1.0);
                }
            }
            r.put("flagged", flagged);
        }
        json(ctx, out);
    }

    /** The client's side of the answer: through the guard when the compliance stage is on. */
    private static OutputStream out(Context ctx) throws IOException {
        AnswerGuard g = ctx.attribute(GUARD);
        return g != null ? g : ctx.res().getOutputStream();
    }

    private static final String GUARD = "puhui.answer-guard";

    /** Minors' stricter rules: the base lexicon's pornography, gambling and drugs entries refuse, not only flag. */
    private static final Set<String> MINOR_BLOCKS = Set.of("pornography", "gambling", "drugs");

    /** What the user sent, as the input check and the audit log see it: each message's text, or the prompt. */
    static String inputText(JsonNode json, boolean chat) {
        StringBuilder sb = new StringBuilder();
        if (chat) {
            for (JsonNode msg : json.path("messages")) {
                JsonNode content = msg.path("content");
                sb.append(msg.path("role").asText("user")).append(": ");
                if (content.isTextual()) {
                    sb.append(content.asText());
                } else {
                    for (JsonNode part : content) {
                        if (part.path("text").isTextual()) {
                            sb.append(part.path("text").asText()).append(' ');
                        }
                    }
                }
                sb.append('\n');
            }
        } else {
            JsonNode prompt = json.path("prompt");
            if (prompt.isTextual()) {
                sb.append(prompt.asText());
            } else {
                prompt.forEach(p -> sb.append(p.asText()).append('\n'));
            }
        }
        return sb.toString();
    }

    private void audit(Compliance comp, Context ctx, Access.Caller caller, String model, String requestId,
                       String produceId, int status, String decision, List<Hit> in, List<Hit> out, String input,
                       String output, String label, boolean keepText) {
        if (comp.audit() == null) {
            return;
        }
        ObjectNode safety = Json.MAPPER.createObjectNode();
        safety.set("input", AnswerGuard.hitsJson(in));
        safety.set("output", AnswerGuard.hitsJson(out));
        String route = ctx.res().getHeader("x-puhui-route");
        if (route == null) {
            route = decision.equals("refused") ? "none (refused before routing)" : "local:this server/" + model;
        }
        try {
            comp.audit().submit(new AuditLog.Draft(requestId, produceId, caller.tenant(),
                    caller.person() == null ? null : caller.person().id(), caller.keyId(), model, route, status,
                    decision, Json.write(safety), label, input, output, keepText));
        } catch (RuntimeException e) {
            LOG.error("could not write the audit record of {}: {}", requestId, e.getMessage());
        }
    }

    private void relayRouted(Context ctx, String endpoint, String path, byte[] body, JsonNode json,
                             Access.Caller caller, String model, long t0) throws Exception {
        Optional<WorkerSpec> local = models.find(model);
        List<EndpointPool.Target> remote = endpoints == null ? List.of()
                : endpoints.healthy(model);
        List<Candidate> nodes = nodeCandidates(model);
        boolean constrained = ctx.header("x-puhui-locality") != null || ctx.header("x-puhui-max-latency-ms") != null
                || ctx.header("x-puhui-min-quality") != null || policy(caller).isPresent();
        if (local.isEmpty() && remote.isEmpty() && nodes.isEmpty()) {
            if (endpoints != null) {
                endpoints.unavailable(model).ifPresent(reason -> {
                    throw ApiException.unavailable(reason);
                });
            }
            if (pool != null && pool.registry().list().stream().anyMatch(n -> n.instances().stream()
                    .anyMatch(i -> i.model().equals(model)))) {
                throw ApiException.unavailable("every node that holds '" + model + "' is lost or draining; "
                        + "`puhui nodes` shows them");
            }
            throw unknownModel(model);
        }
        if (!remote.isEmpty() || !nodes.isEmpty() || constrained) {
            route(ctx, endpoint, path, body, json, caller, model, local, remote, nodes, t0);
            return;
        }
        relayLocal(ctx, endpoint, path, body, json, caller, model, local.get(), t0);
    }

    /** The pool nodes (other than this server's own) that hold a variant of {@code model}, as router candidates. */
    private List<Candidate> nodeCandidates(String model) {
        List<Candidate> out = new ArrayList<>();
        if (pool == null) {
            return out;
        }
        String self = pool.localNode().map(NodeRegistry.NodeInfo::id).orElse("");
        for (NodeRegistry.NodeInfo n : pool.registry().list()) {
            if (n.id().equals(self) || pool.tunnel(n.id()).isEmpty()) {
                continue;
            }
            Scene scene;
            try {
                scene = Scene.valueOf(n.scene());
            } catch (IllegalArgumentException notYet) {
                scene = null;
            }
            Candidate.NodeState state = switch (n.state()) {
                case READY -> Candidate.NodeState.READY;
                case DRAINING -> Candidate.NodeState.DRAINING;
                case LOST -> Candidate.NodeState.LOST;
            };
            int streams = pool.activeStreams(n.id());
            for (NodeInstance i : n.instances()) {
                if (!i.model().equals(model)) {
                    continue;
                }
                String key = n.id() + "/" + i.variant();
                double tps = speeds.decodeTps(key, i.decodeTps());
                // energy per token from the node's power profile: its draw over its speed
                out.add(new Candidate(key, n.name(), n.tier(), model, i.variant(), i.quality(),
                        state, scene, "", tps, i.prefillTps(), Math.max(0, streams - i.slots()), i.slots(), n.watts() / tps));
            }
        }
        return out;
    }

    /**
     * Picks the variant with the router (headers, tiers, scenes, load, speeds, energy), then relays or cascades.
     * An instance on a pool node that fails before the client has seen any of its answer (its node died, its
     * worker broke) is left out and the request routed again, so that it is not lost.
     */
    private void route(Context ctx, String endpoint, String path, byte[] body, JsonNode json, Access.Caller caller,
                       String model, Optional<WorkerSpec> local,
                       List<EndpointPool.Target> remote,
                       List<Candidate> nodes, long t0) throws Exception {
        Set<Tier> locality = RouteRequest.parseLocality(ctx.header("x-puhui-locality"));
        OptionalDouble minQuality = RouteRequest.parseMinQuality(ctx.header("x-puhui-min-quality"));
        Optional<Tenants.Policy> policy = policy(caller);
        if (policy.isPresent()) {
            Tenants.Policy p = policy.get();
            if (Collections.disjoint(locality, p.tiers())) {
                throw ApiException.forbidden("tier_not_allowed", "tenant '" + caller.tenant() + "' may run requests on "
                        + String.join(", ", p.tierNames()) + " only; x-puhui-locality: " + ctx.header("x-puhui-locality")
                        + " asks for another tier (an administrator sets the policy with `puhui tenant set`)");
            }
            if (p.minQuality().isPresent() && (minQuality.isEmpty()
                    || minQuality.getAsDouble() < p.minQuality().getAsDouble())) {
                minQuality = p.minQuality(); // a request may ask for more than its tenant's floor, not less
            }
        }
        RouteRequest rr = new RouteRequest(model, locality,
                RouteRequest.parseMaxLatency(ctx.header("x-puhui-max-latency-ms")), minQuality,
                caller.tenant(), policy.map(Tenants.Policy::tiers).orElse(Set.of()), Math.max(1, body.length / 4),
                Math.max(1, json.path("max_completion_tokens").asInt(json.path("max_tokens").asInt(256))));
        String cascadeMode = ctx.header("x-puhui-cascade-mode");
        if (cascadeMode != null && !cascadeMode.equals("hold") && !cascadeMode.equals("restart")) {
            throw ApiException.badRequest("x-puhui-cascade-mode", "invalid_cascade_mode",
                    "x-puhui-cascade-mode must be hold (the first tokens wait for the verdict) or restart (they flow at "
                            + "once and an escalation restarts the stream), not '" + cascadeMode + "'");
        }
        List<Candidate> candidates = new ArrayList<>();
        Tier own = routing.tier();
        if (local.isPresent()) {
            // This server's own node, as its embedded agent last reported it: a scene that lends nothing (a game
            // on this device) keeps requests off it; callers without a key count as its owner.
            Scene scene = null;
            Candidate.NodeState state = Candidate.NodeState.READY;
            if (pool != null) {
                var self = pool.localNode();
                if (self.isPresent()) {
                    try {
                        scene = Scene.valueOf(self.get().scene());
                    } catch (IllegalArgumentException notYet) {
                        scene = null;
                    }
                    if (self.get().state() == NodeRegistry.State.DRAINING) {
                        state = Candidate.NodeState.DRAINING;
                    }
                }
            }
            double quality = routing.quality() != null ? routing.quality()
                    : NodeInstance.qualityPrior(ModelFormat.of(local.get().path()));
            double tps = own == Tier.CLOUD ? 60 : 25;
            double watts = routing.watts() > 0 ? routing.watts() : own.defaultWatts();
            candidates.add(new Candidate("local", "this server", own, model, model, quality,
                    state, scene, "local", tps, 400, 0, 1, watts / tps));
        }
        for (EndpointPool.Target t : remote) {
            var e = t.endpoint();
            candidates.add(new Candidate(e.id(), "endpoint " + e.id(), e.tier(), model,
                    e.upstreamModel(), 1.0, Candidate.NodeState.READY, null, "", 60, 3000, 0, 32,
                    joulesPerToken(e.tier())));
        }
        candidates.addAll(nodes);
        String requestId = requestId(ctx);
        if (pool != null) {
            pool.demand().record(model);
        }
        List<String> failures = new ArrayList<>();
        while (true) {
            Router.Route r;
            try {
                r = router.route(rr, candidates);
            } catch (Router.NoRouteException e) {
                throw ApiException.unavailable(failures.isEmpty() ? e.getMessage()
                        : e.getMessage() + " (after " + String.join("; ", failures) + ")");
            }
            String reason = failures.isEmpty() ? r.reason() : r.reason() + "; retried after " + failures.size()
                    + " failed instance(s)";
            if (policy.isPresent()) {
                reason += "; tenant policy: " + String.join(",", policy.get().tierNames())
                        + policy.get().minQuality().stream().mapToObj(q -> ", quality >= " + q).findFirst().orElse("");
            }
            ctx.header("x-puhui-route", reason);
            metrics.routed(model, r.chosen().tier().name().toLowerCase(Locale.ROOT));
            Req q = new Req(endpoint, path, body, json, caller, model, requestId, local, remote, t0, cascadeMode);
            Candidate chosen = r.chosen();
            ctx.attribute(SERVED_AT, chosen.tier());
            Optional<Candidate> larger = routing.cascadeFor(model) == null || remote.stream()
                    .anyMatch(t -> t.endpoint().id().equals(chosen.instance()))
                    ? Optional.empty() : larger(rr, chosen, candidates);
            if (larger.isPresent()) {
                if (json.path("stream").asBoolean(false)) {
                    cascadeStreamed(ctx, q, chosen, larger.get());
                } else {
                    cascade(ctx, q, chosen, larger.get());
                }
                return;
            }
            routes.add(new RouteLog.Entry(Instant.now(), requestId,
                    caller.tenant(), model, chosen.tier().name().toLowerCase(Locale.ROOT),
                    chosen.node() + "/" + chosen.variant(), reason, null));
            Optional<EndpointPool.Target> viaEndpoint = remote.stream()
                    .filter(t -> t.endpoint().id().equals(chosen.instance())).findFirst();
            if (nodes.contains(chosen) || viaEndpoint.isPresent()) {
                String failure = viaEndpoint.isPresent()
                        ? relayToEndpoint(ctx, viaEndpoint.get(), endpoint, path, json, caller, model, t0)
                        : relayToNode(ctx, chosen, endpoint, path, body, json, caller, model, t0);
                if (failure == null) {
                    return;
                }
                failures.add(chosen.node() + "/" + chosen.variant() + ": " + failure);
                candidates.remove(chosen);
                LOG.warn("request {} failed on {} before any answer ({}); routing it again", requestId,
                        chosen.node(), failure);
                continue;
            }
            relay(ctx, q, chosen);
            return;
        }
    }

    /** One routed request, as the relaying steps need it. */
    private record Req(String endpoint, String path, byte[] body, JsonNode json, Access.Caller caller, String model,
                       String requestId, Optional<WorkerSpec> local,
                       List<EndpointPool.Target> remote, long t0, String cascadeMode) {
    }

    /**
     * The larger variant a cascade escalates to from {@code small}: among the instances the request may use on a
     * higher tier and of a higher quality, those of the best quality, and of them the one the router would pick.
     * Empty when there is none (the small one is already the best the request may use: escalating to a copy of
     * the same quality would only cost more).
     */
    private Optional<Candidate> larger(RouteRequest rr,
            Candidate small, List<Candidate> candidates) {
        List<Candidate> above = candidates.stream()
                .filter(c -> c.tier().compareTo(small.tier()) > 0 && c.quality() > small.quality()).toList();
        double best = above.stream().mapToDouble(Candidate::quality).max().orElse(-1);
        for (List<Candidate> pick : List.of(
                above.stream().filter(c -> c.quality() == best).toList(), above)) {
            try {
                return Optional.of(router.route(rr, pick).chosen());
            } catch (Router.NoRouteException none) {
                // next: any larger one the request may use
            }
        }
        return Optional.empty();
    }

    /** Relays the whole request to the instance, whichever kind it is. */
    private void relay(Context ctx, Req q, Candidate c) throws Exception {
        if (c.instance().equals("local")) {
            relayLocal(ctx, q.endpoint(), q.path(), q.body(), q.json(), q.caller(), q.model(), q.local().orElseThrow(), q.t0());
            return;
        }
        Optional<EndpointPool.Target> e = q.remote().stream()
                .filter(x -> x.endpoint().id().equals(c.instance())).findFirst();
        if (e.isPresent()) {
            String failure = relayToEndpoint(ctx, e.get(), q.endpoint(), q.path(), q.json(), q.caller(), q.model(), q.t0());
            if (failure != null) {
                throw ApiException.unavailable("the " + failure);
            }
            return;
        }
        String failure = relayToNode(ctx, c, q.endpoint(), q.path(), q.body(), q.json(), q.caller(), q.model(), q.t0());
        if (failure != null) {
            throw ApiException.unavailable("the node " + c.node() + " failed before answering: " + failure);
        }
    }

    /**
     * Sends a request to the instance and returns its answer as it starts (for the cascade, which reads the
     * small variant's answer before deciding). Closing the answer lets the instance go; an IOException means it
     * could not answer.
     */
    private Answer open(Req q, Candidate c, byte[] body) throws IOException {
        Map<String, String> headers = Map.of("x-puhui-tenant", q.caller().tenant(), "x-request-id", q.requestId());
        if (c.instance().equals("local")) {
            WorkerProcess w = supervisor.acquire(q.local().orElseThrow(), null);
            try {
                WorkerConnections.Exchange x = connections.post(w.baseUri(), q.path(), body, headers);
                return new Answer(x.status(), x.headers(), x.body(), () -> {
                    x.close(); // a stream not read to its end drops the connection: the worker frees the slot
                    supervisor.release(w);
                });
            } catch (IOException e) {
                supervisor.failed(w);
                supervisor.release(w);
                throw e;
            }
        }
        String nodeId = c.instance().substring(0, c.instance().indexOf('/'));
        Tunnel tunnel = pool == null ? null : pool.tunnel(nodeId).orElse(null);
        if (tunnel == null) {
            throw new IOException("the node " + c.node() + " is not connected");
        }
        return Answer.of(tunnel.open(q.path(), headers, body, NODE_ANSWER_TIMEOUT));
    }

    /**
     * Relays the request over the tunnel of the candidate's node. Returns null when done (answered, or the stream
     * ended with an error event after part of it was sent), or why the node failed before the client saw
     * anything, for the caller to route the request again.
     */
    private String relayToNode(Context ctx, Candidate c, String endpoint, String path, byte[] body,
                               JsonNode json, Access.Caller caller, String model, long t0) throws IOException {
        String nodeId = c.instance().substring(0, c.instance().indexOf('/'));
        Optional<Tunnel> tunnel = pool.tunnel(nodeId);
        if (tunnel.isEmpty()) {
            return "its connection closed";
        }
        boolean stream = json.path("stream").asBoolean(false);
        String requestId = requestId(ctx);
        metrics.inFlight.incrementAndGet();
        Outcome outcome = new Outcome();
        boolean retry = false;
        try {
            Tunnel.Stream s;
            try {
                s = tunnel.get().open(path, Map.of("x-puhui-tenant", caller.tenant(), "x-request-id", requestId),
                        body, NODE_ANSWER_TIMEOUT);
            } catch (IOException e) {
                retry = true;
                return e.getMessage();
            }
            try {
                forward(ctx, Answer.of(s), stream, t0, model, outcome);
            } catch (UpstreamFailure e) {
                if (!outcome.sentAny) {
                    retry = true;
                    return e.getMessage();
                }
                outcome.status = 502;
                streamError(ctx, "the node running the model stopped in the middle of the answer ("
                        + e.getMessage() + "); send the request again");
            }
            return null;
        } finally {
            metrics.inFlight.decrementAndGet();
            Duration latency = Duration.ofNanos(System.nanoTime() - t0);
            if (!retry) {
                metrics.request(endpoint, model, outcome.status, latency);
                recordUsage(ctx, new Access.Usage(requestId, caller, model, endpoint, outcome.promptTokens,
                        outcome.completionTokens, latency.toMillis(), outcome.status));
            }
            if (outcome.status == 200 && outcome.completionTokens > 0) {
                long from = outcome.firstByteNanos > 0 ? outcome.firstByteNanos : t0;
                double seconds = (System.nanoTime() - from) / 1e9;
                speeds.record(c.instance(), outcome.completionTokens, seconds);
                metrics.tokens(model, outcome.promptTokens, outcome.completionTokens,
                        seconds > 0 ? outcome.completionTokens / seconds : 0);
            }
        }
    }

    /**
     * Writes the usage record and counts the generated tokens by the tier that served them (the routed
     * instance's, the larger variant's after an escalation, this server's own otherwise).
     */
    private void recordUsage(Context ctx, Access.Usage u) {
        access.record(u);
        Tier tier = ctx.attribute(SERVED_AT);
        metrics.served(u.model(), (tier != null ? tier : routing.tier()).name().toLowerCase(Locale.ROOT),
                u.completionTokens());
    }

    private static final String SERVED_AT = "puhui.served-at";

    /** How long a node may take to start answering (its worker may have to load the model first). */
    private static final Duration NODE_ANSWER_TIMEOUT = Duration.ofMinutes(3);

    /** Ends a stream that already sent part of its answer with an error event, as OpenAI does mid-stream. */
    private static void streamError(Context ctx, String message) {
        ApiException err = new ApiException(502, "server_error", "upstream_failed", null, message, null);
        try {
            OutputStream out = out(ctx);
            if (out instanceof AnswerGuard guard) {
                guard.discardPartialEvent(); // the upstream was cut in the middle of an event the client never saw
            }
            out.write(("data: " + Json.write(err.toJson(Json.MAPPER)) + "\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException clientGone) {
            // nobody left to tell
        }
    }

    /**
     * The cascade on a streamed request: the small variant's stream is held back until it has given
     * {@code holdBack} tokens (or ended); their log-probabilities decide. A kept answer is then streamed from
     * the start, without log-probabilities unless the client asked; an escalated one is dropped (closing it
     * frees the small variant's slot) and the larger variant's stream is relayed instead.
     */
    private void cascadeStreamed(Context ctx, Req q, Candidate small,
                                 Candidate larger) throws Exception {
        boolean chat = q.path().endsWith("/chat/completions");
        JsonNode json = q.json();
        boolean clientLogprobs = chat ? json.path("logprobs").asBoolean(false) : json.hasNonNull("logprobs");
        ObjectNode probe = withLogprobs(json, chat, clientLogprobs);
        Cascade.Thresholds thresholds = routing.cascadeFor(q.model());
        int k = thresholds.holdBack();
        boolean restart = "restart".equals(q.cascadeMode());
        OutputStream early = null;
        Answer x = null;
        List<String> held = new ArrayList<>();
        List<Double> seen = new ArrayList<>();
        BufferedReader events = null;
        boolean ended = false;
        try {
            x = open(q, small, Json.write(probe).getBytes(StandardCharsets.UTF_8));
            if (x.status() == 200) {
                events = new BufferedReader(new InputStreamReader(x.body(), StandardCharsets.UTF_8));
                StringBuilder ev = new StringBuilder();
                while (seen.size() < k) {
                    String line = events.readLine();
                    if (line == null) {
                        ended = true;
                        break;
                    }
                    if (!line.isEmpty()) {
                        ev.append(line).append('\n');
                        continue;
                    }
                    String event = ev.toString();
                    ev.setLength(0);
                    held.add(event);
                    if (restart) {
                        // the small variant's tokens go out at once; an escalation would restart the stream
                        if (early == null) {
                            ctx.status(200);
                            ctx.contentType("text/event-stream");
                            ctx.header("x-puhui-cascade", "restart mode: the verdict comes in the stream");
                            ctx.res().setHeader("Cache-Control", "no-cache");
                            early = out(ctx);
                        }
                        early.write(strip(event, clientLogprobs).getBytes(StandardCharsets.UTF_8));
                        early.flush();
                    }
                    if (event.startsWith("data: [DONE]")) {
                        ended = true;
                        break;
                    }
                    if (event.startsWith("data: ")) {
                        JsonNode chunk = Json.MAPPER.readTree(event.substring(6));
                        JsonNode lp = chunk.path("choices").path(0).path("logprobs");
                        for (JsonNode t : chat ? lp.path("content") : lp.path("token_logprobs")) {
                            seen.add(chat ? t.path("logprob").asDouble() : t.asDouble());
                        }
                    }
                }
            }
        } catch (IOException e) {
            events = null;
        }
        double[] lps = seen.stream().mapToDouble(Double::doubleValue).toArray();
        Cascade.Decision d = events == null
                ? new Cascade.Decision(true, Double.NaN, Double.NaN, 0, "escalated: the small variant failed")
                : Cascade.decide(lps, thresholds);
        metrics.cascade(q.model(), d.escalate());
        if (restart) {
            cascadeRestart(ctx, q, small, larger, x, events, held, ended, clientLogprobs, d, lps.length);
            return;
        }
        ctx.header("x-puhui-cascade", d.reason() + " (first " + lps.length + " tokens of the stream)");
        recordCascade(q, d, small, larger);
        if (d.escalate()) {
            if (x != null) {
                x.close();
            }
            ctx.header("x-puhui-route", describe(larger) + " (escalated)");
            ctx.attribute(SERVED_AT, larger.tier());
            relay(ctx, q, larger);
            return;
        }
        ctx.status(200);
        ctx.contentType("text/event-stream");
        ctx.res().setHeader("Cache-Control", "no-cache");
        streamKept(ctx, q, x, events, ended, clientLogprobs, held, true);
    }

    /**
     * The rest of a streamed cascade in restart mode: the small variant's first tokens have gone out already. A
     * kept answer simply goes on. An escalated one is cut: the client gets an {@code escalation} event (its
     * {@code data} names the larger variant and the reason), which tells it to drop what it has shown, and then
     * the larger variant's stream from its start.
     */
    private void cascadeRestart(Context ctx, Req q, Candidate small,
                                Candidate larger, Answer x, BufferedReader events,
                                List<String> held, boolean ended, boolean clientLogprobs,
                                Cascade.Decision d, int tokens) throws Exception {
        recordCascade(q, d, small, larger);
        if (held.isEmpty()) {
            // nothing went out (the small variant failed at once): the larger one answers as if asked first
            if (x != null) {
                x.close();
            }
            ctx.header("x-puhui-cascade", d.reason());
            ctx.header("x-puhui-route", describe(larger) + " (escalated)");
            ctx.attribute(SERVED_AT, larger.tier());
            relay(ctx, q, larger);
            return;
        }
        OutputStream out = out(ctx);
        if (d.escalate()) {
            x.close();
            ObjectNode e = Json.MAPPER.createObjectNode().put("type", "escalation").put("route", describe(larger))
                    .put("reason", d.reason() + " (first " + tokens + " tokens of the stream)");
            out.write(("event: escalation\ndata: " + Json.write(e) + "\n\n").getBytes(StandardCharsets.UTF_8));
            ctx.attribute(SERVED_AT, larger.tier());
            out.flush();
            try {
                relay(ctx, q, larger);
            } catch (ApiException failed) {
                streamError(ctx, failed.getMessage());
            }
            return;
        }
        streamKept(ctx, q, x, events, ended, clientLogprobs, held, false);
    }

    /**
     * Streams a kept small answer to its end and records its usage: the held events first (unless they went out
     * already, in restart mode), then the rest of the stream, without log-probabilities the client did not ask for.
     */
    private void streamKept(Context ctx, Req q, Answer x, BufferedReader events, boolean ended,
                            boolean clientLogprobs, List<String> held, boolean heldUnsent) {
        int status = 200;
        UsageScanner usage = new UsageScanner();
        try (Answer done = x) {
            OutputStream out = out(ctx);
            for (String event : held) {
                byte[] b = (heldUnsent ? strip(event, clientLogprobs) : event).getBytes(StandardCharsets.UTF_8);
                usage.scan(b, b.length);
                if (heldUnsent) {
                    out.write(b);
                }
            }
            out.flush();
            if (!ended) {
                StringBuilder ev = new StringBuilder();
                for (String line; (line = events.readLine()) != null; ) {
                    if (!line.isEmpty()) {
                        ev.append(line).append('\n');
                        continue;
                    }
                    byte[] b = strip(ev.toString(), clientLogprobs).getBytes(StandardCharsets.UTF_8);
                    usage.scan(b, b.length);
                    out.write(b);
                    out.flush();
                    ev.setLength(0);
                }
            }
        } catch (IOException e) {
            status = 499;
        } finally {
            Duration latency = Duration.ofNanos(System.nanoTime() - q.t0());
            metrics.request(q.endpoint(), q.model(), status, latency);
            recordUsage(ctx, new Access.Usage(q.requestId(), q.caller(), q.model(), q.endpoint(), usage.prompt,
                    usage.completion, latency.toMillis(), status));
        }
    }

    /** How {@code x-puhui-route} names an instance: {@code tier:node/variant}. */
    private static String describe(Candidate c) {
        return c.tier().name().toLowerCase(Locale.ROOT) + ":" + c.node() + "/" + c.variant();
    }

    /** The request as the small variant gets it in a cascade: with the log-probabilities the decision reads. */
    private static ObjectNode withLogprobs(JsonNode json, boolean chat, boolean clientLogprobs) {
        ObjectNode probe = ((ObjectNode) json).deepCopy();
        if (chat) {
            probe.put("logprobs", true);
        } else if (!clientLogprobs) {
            probe.put("logprobs", 1);
        }
        return probe;
    }

    /** A cascade's decision in the route log: kept on the small variant, or escalated to the larger one. */
    private void recordCascade(Req q, Cascade.Decision d, Candidate small,
                               Candidate larger) {
        Candidate answered = d.escalate() ? larger : small;
        String from = small.node() + "/" + small.variant();
        routes.add(new RouteLog.Entry(Instant.now(), q.requestId(), q.caller().tenant(),
                q.model(), answered.tier().name().toLowerCase(Locale.ROOT),
                answered.node() + "/" + answered.variant(), d.escalate() ? "escalated from " + from : "kept on " + from,
                d.reason()));
    }

    /** An SSE event as the client should see it: without log-probabilities it did not ask for. */
    private static String strip(String event, boolean keepLogprobs) throws IOException {
        if (keepLogprobs || !event.startsWith("data: {")) {
            return event + "\n";
        }
        JsonNode chunk = Json.MAPPER.readTree(event.substring(6));
        for (JsonNode c : chunk.path("choices")) {
            ((ObjectNode) c).putNull("logprobs");
        }
        return "data: " + Json.write(chunk) + "\n\n";
    }

    /** The request's id: the one already given to it (routed requests get theirs first), else a new one. */
    private static String requestId(Context ctx) {
        String id = ctx.res().getHeader("x-request-id");
        if (id == null) {
            id = "req-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
            ctx.header("x-request-id", id);
        }
        return id;
    }

    /**
     * Energy per token of an endpoint, whose hardware Puhui does not see: its tier's power over 100 tokens/s,
     * a GPU server's speed on one of many batched streams.
     */
    private static double joulesPerToken(Tier tier) {
        return tier.defaultWatts() / 100;
    }

    /**
     * The cascade: the small variant answers with its token log-probabilities; a confident answer is returned
     * (without the log-probabilities unless the client asked), an unsure one is sent to the larger variant.
     */
    private void cascade(Context ctx, Req q, Candidate small,
                         Candidate larger) throws Exception {
        boolean chat = q.path().endsWith("/chat/completions");
        JsonNode json = q.json();
        boolean clientLogprobs = chat ? json.path("logprobs").asBoolean(false) : json.hasNonNull("logprobs");
        ObjectNode probe = withLogprobs(json, chat, clientLogprobs);
        byte[] answer = null;
        int status = 0;
        try (Answer x = open(q, small, Json.write(probe).getBytes(StandardCharsets.UTF_8))) {
            status = x.status();
            answer = x.body().readAllBytes();
        } catch (IOException e) {
            LOG.warn("the small variant {}/{} failed in a cascade: {}", small.node(), small.variant(), e.getMessage());
        }
        double[] logprobs = new double[0];
        JsonNode smallAnswer = null;
        if (status == 200 && answer != null) {
            smallAnswer = Json.MAPPER.readTree(answer);
            JsonNode lp = chat ? smallAnswer.path("choices").path(0).path("logprobs").path("content")
                    : smallAnswer.path("choices").path(0).path("logprobs").path("token_logprobs");
            logprobs = new double[lp.size()];
            for (int i = 0; i < lp.size(); i++) {
                logprobs[i] = chat ? lp.get(i).path("logprob").asDouble() : lp.get(i).asDouble();
            }
        }
        Cascade.Decision d = smallAnswer == null
                ? new Cascade.Decision(true, Double.NaN, Double.NaN, 0, "escalated: the small variant failed")
                : Cascade.decide(logprobs, routing.cascadeFor(q.model()));
        metrics.cascade(q.model(), d.escalate());
        ctx.header("x-puhui-cascade", d.reason());
        recordCascade(q, d, small, larger);
        if (d.escalate()) {
            ctx.header("x-puhui-route", describe(larger) + " (escalated)");
            ctx.attribute(SERVED_AT, larger.tier());
            relay(ctx, q, larger);
            return;
        }
        if (!clientLogprobs) {
            for (JsonNode c : smallAnswer.path("choices")) {
                ((ObjectNode) c).putNull("logprobs");
            }
        }
        ctx.header("x-request-id", q.requestId());
        ctx.contentType("application/json");
        out(ctx).write(Json.write(smallAnswer).getBytes(StandardCharsets.UTF_8));
        Duration latency = Duration.ofNanos(System.nanoTime() - q.t0());
        metrics.request(q.endpoint(), q.model(), 200, latency);
        recordUsage(ctx, new Access.Usage(q.requestId(), q.caller(), q.model(), q.endpoint(),
                smallAnswer.path("usage").path("prompt_tokens").asInt(),
                smallAnswer.path("usage").path("completion_tokens").asInt(), latency.toMillis(), 200));
    }

    private void relayLocal(Context ctx, String endpoint, String path, byte[] body, JsonNode json, Access.Caller caller,
                            String model, WorkerSpec spec, long t0) throws Exception {
        Duration keepAlive = null;
        JsonNode ka = json.get("keep_alive");
        if (ka != null && !ka.isNull()) {
            keepAlive = KeepAlive.parse(ka.asText());
        }
        boolean stream = json.path("stream").asBoolean(false);
        String requestId = requestId(ctx);
        ctx.header("x-request-id", requestId);
        metrics.inFlight.incrementAndGet();
        Outcome outcome = new Outcome();
        try {
            for (int attempt = 0; ; attempt++) {
                WorkerProcess w = supervisor.acquire(spec, keepAlive);
                try {
                    forward(ctx, w, path, body, caller, requestId, stream, t0, model, outcome);
                    break;
                } catch (UpstreamFailure e) {
                    supervisor.failed(w);
                    if (!outcome.sentAny && attempt == 0) {
                        LOG.warn("worker of '{}' failed before answering ({}); retrying once", model,
                                e.getMessage());
                        continue;
                    }
                    if (outcome.sentAny) {
                        outcome.status = 502;
                        streamError(ctx, "the model worker stopped in the middle of the answer; send the request again");
                        break;
                    }
                    outcome.status = 503;
                    throw ApiException.unavailable("the model worker failed twice: " + e.getMessage());
                } finally {
                    supervisor.release(w);
                }
            }
        } finally {
            metrics.inFlight.decrementAndGet();
            Duration latency = Duration.ofNanos(System.nanoTime() - t0);
            metrics.request(endpoint, model, outcome.status, latency);
            if (outcome.status == 200) {
                double genSeconds = (System.nanoTime() - (outcome.firstByteNanos > 0 ? outcome.firstByteNanos : t0))
                        / 1e9;
                metrics.tokens(model, outcome.promptTokens, outcome.completionTokens,
                        genSeconds > 0 ? outcome.completionTokens / genSeconds : 0);
            }
            // written before the answer ends, so that a client that has its answer can count on the record
            recordUsage(ctx, new Access.Usage(requestId, caller, model, endpoint, outcome.promptTokens,
                    outcome.completionTokens, latency.toMillis(), outcome.status));
        }
    }

    /** Relays to an external OpenAI-compatible endpoint, the model renamed to its name there, bytes streamed back. */
    /**
     * Relays the request to an endpoint. Returns null when it answered (whatever its status), or why it could
     * not be reached before anything was sent, for the caller to route the request again; the endpoint is then
     * marked unhealthy until its next check passes.
     */
    private String relayToEndpoint(Context ctx, EndpointPool.Target target, String endpointName,
                                   String path, JsonNode json, Access.Caller caller, String model, long t0) {
        String requestId = requestId(ctx);
        ctx.header("x-request-id", requestId);
        var e = target.endpoint();
        ObjectNode body = ((ObjectNode) json).deepCopy();
        body.put("model", e.upstreamModel());
        boolean stream = json.path("stream").asBoolean(false);
        // a streamed answer's usage comes in a last chunk only when asked for: ask, so that the usage record has
        // the tokens, and keep that chunk from a client that did not ask
        boolean clientWantsUsage = json.path("stream_options").path("include_usage").asBoolean(false);
        if (stream && !clientWantsUsage) {
            body.withObject("stream_options").put("include_usage", true);
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(
                        URI.create(e.url() + (path.startsWith("/v1/") ? path.substring(3) : path)))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(body)));
        if (target.key() != null) {
            b.header("Authorization", "Bearer " + target.key());
        }
        metrics.inFlight.incrementAndGet();
        int status = 502;
        boolean sent = false;
        String failure = null;
        int promptTokens = 0;
        int completionTokens = 0;
        try {
            HttpResponse<InputStream> r = endpoints.http().send(b.build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            status = r.statusCode();
            ctx.status(status);
            if (ctx.res().getHeader("x-puhui-route") == null) {
                ctx.header("x-puhui-route", e.tier().name().toLowerCase(Locale.ROOT) + ":endpoint " + e.id()
                        + "/" + e.upstreamModel());
            }
            r.headers().firstValue("content-type").ifPresent(ctx::contentType);
            try (InputStream in = r.body()) {
                OutputStream out = out(ctx);
                if (!json.path("stream").asBoolean(false)) {
                    byte[] all = in.readAllBytes();
                    if (status == 200) {
                        try {
                            JsonNode u = Json.MAPPER.readTree(all).path("usage");
                            promptTokens = u.path("prompt_tokens").asInt();
                            completionTokens = u.path("completion_tokens").asInt();
                        } catch (IOException notJson) {
                            // relayed as it came
                        }
                    }
                    out.write(all);
                    sent = true;
                } else if (status != 200) {
                    in.transferTo(out);
                    sent = true;
                } else {
                    BufferedReader events = new BufferedReader(
                            new InputStreamReader(in, StandardCharsets.UTF_8));
                    StringBuilder ev = new StringBuilder();
                    for (String line; (line = events.readLine()) != null; ) {
                        if (!line.isEmpty()) {
                            ev.append(line).append('\n');
                            continue;
                        }
                        String event = ev.toString();
                        ev.setLength(0);
                        JsonNode usage = usageOf(event);
                        if (usage != null) {
                            promptTokens = usage.path("prompt_tokens").asInt();
                            completionTokens = usage.path("completion_tokens").asInt();
                            if (!clientWantsUsage && event.startsWith("data: {")) {
                                JsonNode chunk = Json.MAPPER.readTree(event.substring(6));
                                if (chunk.path("choices").isEmpty()) {
                                    continue; // the usage-only chunk the client did not ask for
                                }
                                ((ObjectNode) chunk).remove("usage");
                                event = "data: " + Json.write(chunk) + "\n";
                            }
                        }
                        out.write((event + "\n").getBytes(StandardCharsets.UTF_8));
                        out.flush();
                        sent = true;
                    }
                }
            }
        } catch (IOException | InterruptedException ex) {
            if (ex instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            if (!sent) {
                failure = "endpoint " + e.id() + " (" + e.url() + ") failed: "
                        + (ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage());
                endpoints.failed(e.id(), failure);
            }
        } finally {
            metrics.inFlight.decrementAndGet();
        }
        if (failure == null) {
            Duration latency = Duration.ofNanos(System.nanoTime() - t0);
            metrics.request(endpointName, model, status, latency);
            recordUsage(ctx, new Access.Usage(requestId, caller, model, endpointName, promptTokens, completionTokens,
                    latency.toMillis(), status));
        }
        return failure;
    }

    /**
     * The token counts an SSE event carries: a chunk's {@code usage} object, or the usage comment of a Puhui
     * worker; null for other events.
     */
    private static JsonNode usageOf(String event) {
        try {
            if (event.startsWith(WorkerServer.USAGE_COMMENT)) {
                return Json.MAPPER.readTree(event.substring(WorkerServer.USAGE_COMMENT.length()).trim());
            }
            if (event.startsWith("data: {") && event.contains("\"usage\"")) {
                JsonNode u = Json.MAPPER.readTree(event.substring(6)).path("usage");
                return u.isObject() ? u : null;
            }
        } catch (IOException notJson) {
            // relayed as it came
        }
        return null;
    }

    /** What happened to one relayed request, for metrics and usage records. */
    private static final class Outcome {
        boolean sentAny;
        int status = 499;
        int promptTokens;
        int completionTokens;
        long firstByteNanos;
    }

    /** The worker, not the client, broke the exchange. */
    private static final class UpstreamFailure extends Exception {
        UpstreamFailure(String message) {
            super(message);
        }
    }

    /** An upstream's answer, from a worker or over a node's tunnel; closing it lets the upstream go. */
    private record Answer(int status, Map<String, String> headers, InputStream body, Closeable closer)
            implements Closeable {
        static Answer of(WorkerConnections.Exchange x) {
            return new Answer(x.status(), x.headers(), x.body(), x);
        }

        static Answer of(Tunnel.Stream s) {
            return new Answer(s.head().status(), s.head().headers(), s.body(), s);
        }

        @Override
        public void close() throws IOException {
            closer.close();
        }
    }

    private void forward(Context ctx, WorkerProcess w, String path, byte[] body, Access.Caller caller,
                         String requestId, boolean stream, long t0, String model, Outcome outcome)
            throws UpstreamFailure, IOException {
        WorkerConnections.Exchange exchange;
        // a whole answer sends nothing, headers included, until the worker has made it: if the client hangs up
        // meanwhile, giving up the worker's connection stops the work there too
        WorkerConnections.Abort abort = new WorkerConnections.Abort();
        HangUps.Watch watch = stream ? null : HangUps.get().watch(ctx, abort::abort);
        try {
            exchange = connections.post(w.baseUri(), path, body, Map.of("x-puhui-tenant", caller.tenant(),
                    "x-request-id", requestId), abort);
        } catch (IOException e) {
            if (watch != null) {
                watch.close();
                if (watch.hungUp()) {
                    outcome.status = 499;
                    return;
                }
            }
            throw new UpstreamFailure(e.toString());
        }
        try {
            forward(ctx, Answer.of(exchange), stream, t0, model, outcome, watch);
        } finally {
            if (watch != null) {
                watch.close(); // before anything else is read from this connection
            }
        }
    }

    /** Relays an upstream's answer to the client, counting its usage; a read that fails is the upstream's fault. */
    private void forward(Context ctx, Answer exchange, boolean stream, long t0, String model, Outcome outcome)
            throws UpstreamFailure, IOException {
        forward(ctx, exchange, stream, t0, model, outcome, null);
    }

    /**
     * {@link #forward(Context, Answer, boolean, long, String, Outcome)} for a request whose client is already
     * watched for hanging up ({@code watch}, closed here before anything is written), or null.
     */
    private void forward(Context ctx, Answer exchange, boolean stream, long t0, String model, Outcome outcome,
                         HangUps.Watch watched) throws UpstreamFailure, IOException {
        try (Answer resp = exchange) {
            InputStream in = resp.body;
            outcome.status = resp.status;
            ctx.status(resp.status);
            String type = resp.headers.get("content-type");
            if (type != null) {
                ctx.contentType(type);
            }
            String retry = resp.headers.get("retry-after");
            if (retry != null) {
                ctx.header("Retry-After", retry);
            }
            if (!stream || resp.status != 200) {
                byte[] all;
                // nothing goes to the client until the upstream has answered whole: if the client hangs up
                // meanwhile, closing the upstream connection stops the work there too
                HangUps.Watch watch = watched != null ? watched : HangUps.get().watch(ctx, () -> closeQuietly(resp));
                try (watch) {
                    all = in.readAllBytes();
                } catch (IOException e) {
                    if (watch.hungUp()) {
                        outcome.status = 499;
                        return;
                    }
                    throw new UpstreamFailure(e.toString());
                }
                if (watch.readAhead()) {
                    ctx.header("Connection", "close");
                }
                if (resp.status == 200) {
                    countUsage(Json.MAPPER.readTree(all).path("usage"), outcome);
                }
                outcome.sentAny = true;
                out(ctx).write(all);
                return;
            }
            ctx.res().setHeader("Cache-Control", "no-cache");
            ctx.res().setHeader("X-Accel-Buffering", "no");
            OutputStream out = out(ctx);
            UsageScanner usage = new UsageScanner();
            byte[] buf = new byte[16 * 1024];
            while (true) {
                int n;
                try {
                    n = in.read(buf);
                } catch (IOException e) {
                    throw new UpstreamFailure(e.toString());
                }
                if (n < 0) {
                    break;
                }
                if (!outcome.sentAny) {
                    outcome.firstByteNanos = System.nanoTime();
                    metrics.firstToken(model, Duration.ofNanos(outcome.firstByteNanos - t0));
                }
                usage.scan(buf, n);
                outcome.sentAny = true;
                try {
                    out.write(buf, 0, n);
                    out.flush();
                } catch (IOException clientGone) {
                    outcome.status = 499;
                    return; // closing the upstream stream tells the worker to free the slot
                }
            }
            if (!usage.seen) {
                throw new UpstreamFailure("the stream ended without its last event");
            }
            outcome.promptTokens = usage.prompt;
            outcome.completionTokens = usage.completion;
        }
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // it is being given up
        }
    }

    private static void countUsage(JsonNode u, Outcome outcome) {
        outcome.promptTokens = u.path("prompt_tokens").asInt();
        outcome.completionTokens = u.path("completion_tokens").asInt();
    }

    /** Finds the worker's usage comment line in a stream of SSE bytes, across read boundaries. */
    private static final class UsageScanner {
        private final StringBuilder line = new StringBuilder();
        private boolean atLineStart = true;
        private boolean collecting;
        boolean seen;
        int prompt;
        int completion;

        void scan(byte[] buf, int n) {
            for (int i = 0; i < n; i++) {
                byte b = buf[i];
                if (atLineStart) {
                    collecting = b == ':';
                    line.setLength(0);
                }
                if (b == '\n') {
                    if (collecting && line.toString().startsWith(WorkerServer.USAGE_COMMENT)) {
                        try {
                            JsonNode u = Json.MAPPER.readTree(line.substring(WorkerServer.USAGE_COMMENT.length()));
                            prompt = u.path("prompt_tokens").asInt();
                            completion = u.path("completion_tokens").asInt();
                            seen = true;
                        } catch (IOException ignored) {
                            // not ours
                        }
                    }
                    atLineStart = true;
                    continue;
                }
                atLineStart = false;
                if (collecting && line.length() < 256) {
                    line.append((char) b);
                }
            }
        }
    }

    private ApiException unknownModel(String name) {
        return ApiException.notFound("model_not_found", "the model '" + name + "' does not exist; available: "
                + String.join(", ", models.names()) + " (add one with `puhui pull NAME` or `puhui import FILE`)");
    }

    private void health(Context ctx) {
        ObjectNode h = Json.MAPPER.createObjectNode();
        h.put("status", "ok");
        ArrayNode ws = h.putArray("workers");
        for (WorkerProcess w : supervisor.running()) {
            ObjectNode o = ws.addObject();
            o.put("model", w.spec().name());
            o.put("pid", w.pid());
            o.put("url", w.baseUri().toString());
            o.put("in_flight", w.inFlight());
            o.put("queued", w.queued());
        }
        json(ctx, h);
    }

    private ObjectNode modelList() {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        Set<String> names = new LinkedHashSet<>(models.names());
        if (endpoints != null) {
            names.addAll(endpoints.models());
        }
        names.addAll(poolModels());
        for (String n : names) {
            data.add(modelEntry(n));
        }
        return root;
    }

    /**
     * Each logical model with its variants and where they run: this server's own files, every node's variants
     * (with the speed measured on them when there is one) and the endpoints.
     */
    private ArrayNode families() {
        Map<String, ArrayNode> byModel = new TreeMap<>();
        for (String name : models.names()) {
            models.find(name).ifPresent(spec -> {
                String format = ModelFormat.of(spec.path());
                byModel.computeIfAbsent(name, k -> Json.MAPPER.createArrayNode()).addObject()
                        .put("variant", name).put("kind", "local").put("where", "this server")
                        .put("tier", routing.tier().name().toLowerCase(Locale.ROOT)).put("state", "READY")
                        .put("format", format).put("quality", routing.quality() != null ? routing.quality()
                                : NodeInstance.qualityPrior(format))
                        .put("loaded", supervisor.running().stream().anyMatch(w -> w.spec().name().equals(name)));
            });
        }
        if (pool != null) {
            String self = pool.localNode().map(NodeRegistry.NodeInfo::id).orElse("");
            for (NodeRegistry.NodeInfo n : pool.registry().list()) {
                if (n.id().equals(self)) {
                    continue;
                }
                for (NodeInstance i : n.instances()) {
                    byModel.computeIfAbsent(i.model(), k -> Json.MAPPER.createArrayNode()).addObject()
                            .put("variant", i.variant()).put("kind", "node").put("where", n.name()).put("node", n.id())
                            .put("tier", n.tier().name().toLowerCase(Locale.ROOT)).put("state", n.state().name())
                            .put("format", i.format()).put("quality", i.quality()).put("loaded", i.loaded())
                            .put("decode_tps", speeds.decodeTps(n.id() + "/" + i.variant(), i.decodeTps()));
                }
            }
        }
        if (endpoints != null) {
            for (String m : endpoints.models()) {
                for (EndpointPool.Target t : endpoints.healthy(m)) {
                    byModel.computeIfAbsent(m, k -> Json.MAPPER.createArrayNode()).addObject()
                            .put("variant", t.endpoint().upstreamModel()).put("kind", "endpoint")
                            .put("where", t.endpoint().id() + " " + t.endpoint().url())
                            .put("tier", t.endpoint().tier().name().toLowerCase(Locale.ROOT))
                            .put("state", "READY").put("quality", 1.0);
                }
            }
        }
        ArrayNode out = Json.MAPPER.createArrayNode();
        byModel.forEach((m, variants) -> out.addObject().put("model", m).set("variants", variants));
        return out;
    }

    /** The models the pool's nodes hold, whatever their state. */
    private Set<String> poolModels() {
        Set<String> out = new TreeSet<>();
        if (pool != null) {
            for (NodeRegistry.NodeInfo n : pool.registry().list()) {
                n.instances().forEach(i -> out.add(i.model()));
            }
        }
        return out;
    }

    private ObjectNode modelEntry(String id) {
        ObjectNode m = Json.MAPPER.createObjectNode();
        m.put("id", id);
        m.put("object", "model");
        m.put("created", created);
        m.put("owned_by", "puhui");
        return m;
    }

    private static void json(Context ctx, JsonNode node) {
        ctx.contentType("application/json").result(Json.write(node));
    }

    @Override
    public void close() {
        app.stop();
        connections.close();
        Compliance c = compliance;
        if (c != null && c.audit() != null) {
            c.audit().close(); // the records still queued are written
        }
    }
}
