// `puhui serve`: the control plane and this machine's node agent in one process tree, serving the OpenAI API.
package io.puhui.cli;

import io.puhui.server.api.Tls;
import io.puhui.server.compliance.Labels;
import io.puhui.server.gateway.Gateway;
import io.puhui.server.gateway.ReportApi;
import io.puhui.server.node.Agent;
import io.puhui.server.node.Supervisor;
import io.puhui.server.node.WorkerSpec;
import io.puhui.server.node.scene.SceneDetector;
import io.puhui.server.node.scene.ScenePolicy;
import io.puhui.server.pool.AgentEndpoint;
import io.puhui.server.pool.Cascade;
import io.puhui.server.pool.EndpointPool;
import io.puhui.server.pool.NodeRegistry;
import io.puhui.server.pool.Tier;
import io.puhui.server.safety.Classifier;
import io.puhui.server.safety.Lexicon;
import io.puhui.server.safety.SafetyEngine;
import io.puhui.server.store.AuditLog;
import io.puhui.server.store.SecretBox;
import io.puhui.server.worker.WorkerConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "serve", description = "Serve the OpenAI-compatible API (first run pulls the default model).")
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "Address to bind (default ${DEFAULT-VALUE}); any other than loopback requires API keys.")
    String host;

    @Option(names = "--tls-cert", paramLabel = "FILE.pem", description = "Serve HTTPS with this certificate chain "
            + "(the server's certificate first, e.g. certbot's fullchain.pem); needs --tls-key.")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE.pem", description = "The certificate's private key, PEM, unencrypted.")
    Path tlsKey;

    @Option(names = "--aigc-producer", defaultValue = "Puhui", paramLabel = "NAME",
            description = "ContentProducer in the AIGC metadata of every answer: this service as registered (default ${DEFAULT-VALUE}).")
    String aigcProducer;

    @Option(names = "--label-text", paramLabel = "TEXT", description = "The visible label added to every answer; it "
            + "must say 人工智能生成 or AI-generated (default: （本内容由人工智能生成 · AI-generated）).")
    String labelText;

    @Option(names = "--label-position", defaultValue = "suffix", paramLabel = "prefix|suffix",
            description = "Where the visible label goes in an answer (default ${DEFAULT-VALUE}).")
    String labelPosition;

    @Option(names = "--audit-text", defaultValue = "full", paramLabel = "full|hash",
            description = "Whether audit records keep the text of requests and answers, or only its SHA-256 (default ${DEFAULT-VALUE}).")
    String auditText;

    @Option(names = "--safety-classifier", paramLabel = "URL", description = "An OpenAI-compatible endpoint that "
            + "classifies what the lexicon lets through, e.g. another Puhui's http://HOST:11500/v1 (its /moderations) "
            + "or a chat model's.")
    URI classifierUrl;

    @Option(names = "--safety-classifier-api", defaultValue = "moderations", paramLabel = "moderations|chat",
            description = "How the classifier is asked (default ${DEFAULT-VALUE}).")
    String classifierApi;

    @Option(names = "--safety-classifier-model", paramLabel = "MODEL", description = "The model to name in the classifier's requests.")
    String classifierModel;

    @Option(names = "--safety-classifier-key", paramLabel = "KEY", description = "The classifier's API key.")
    String classifierKey;

    @Option(names = "--safety-classifier-failure", defaultValue = "open", paramLabel = "open|closed",
            description = "When the classifier does not answer in time: open serves the request (recorded), "
                    + "closed answers 503 (default ${DEFAULT-VALUE}).")
    String classifierFailure;

    @Option(names = "--safety-classifier-timeout", defaultValue = "3", paramLabel = "SECONDS",
            description = "How long the classifier may take (default ${DEFAULT-VALUE}).")
    double classifierTimeout;

    @Option(names = "--audit-retention-days", defaultValue = "180", paramLabel = "DAYS",
            description = "Audit records older than this are purged once a day (default and minimum ${DEFAULT-VALUE}).")
    int auditRetentionDays;

    @Option(names = "--no-safety-checks", description = "Serve without the content-safety checks, labels and audit log, "
            + "to measure what they cost. A public service must not run this way.")
    boolean noSafety;

    @Option(names = "--port", defaultValue = "11500", description = "Port (default ${DEFAULT-VALUE}; 0 picks one).")
    int port;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE.gguf",
            description = "Serve this local file (repeatable); no network is needed.")
    List<Path> files = new ArrayList<>();

    @Option(names = "--name", paramLabel = "NAME", description = "API name of the --model file (default: file name).")
    String name;

    @Option(names = "--db", paramLabel = "JDBC-URL",
            description = "Database (default: an H2 file in PUHUI_HOME; e.g. jdbc:postgresql://host/db?user=u).")
    String db;

    @Option(names = "--memory-budget", paramLabel = "MiB",
            description = "Memory all loaded models may use together (default: 80% of RAM).")
    Long memoryBudgetMiB;

    @Mixin
    DecodingOptions decoding;

    @Spec
    CommandSpec spec;

    @Option(names = "--tier", defaultValue = "edge", paramLabel = "device|edge|cloud",
            description = "This server's tier, which its local models run at when requests are routed (default ${DEFAULT-VALUE}).")
    String tier;

    @Option(names = "--cascade", description = "Answer requests with the small variant the router picks first and "
            + "escalate to the best variant on a higher tier when the answer's token probabilities are too low.")
    boolean cascade;

    @Option(names = "--cascade-mean", defaultValue = "0.7", paramLabel = "P",
            description = "With --cascade: the mean token probability an answer needs to stand (default ${DEFAULT-VALUE}).")
    double cascadeMean;

    @Option(names = "--cascade-for", paramLabel = "MODEL=MEAN,MIN", description = "Cascade this model family with its "
            + "own thresholds (repeatable), e.g. qwen2.5=0.6,0.02; families not named follow --cascade.")
    List<String> cascadeFor = new ArrayList<>();

    @Option(names = "--cascade-min", defaultValue = "0.05", paramLabel = "P",
            description = "With --cascade: the lowest token probability an answer may contain (default ${DEFAULT-VALUE}).")
    double cascadeMin;

    @Option(names = "--quality", paramLabel = "Q", description = "Quality of this server's models relative to their "
            + "families' references, 0..1, as `puhui eval` measures it (default: from each file's compression, "
            + "F32 1.0, Q8_0 0.995, Q4_K_M 0.96…; set it when the file is a smaller model of the family).")
    Double quality;

    @Option(names = "--watts", paramLabel = "W", description = "Power this machine draws while generating, for the "
            + "router's energy estimate (default: by tier, device 10, edge 30, cloud 300).")
    double watts;

    @Option(names = "--heartbeat", defaultValue = "5", paramLabel = "S",
            description = "Seconds between agents' heartbeats; three missed mark a node lost (default ${DEFAULT-VALUE}).")
    double heartbeat;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new Main.UsageException("--port must be between 0 and 65535, got " + port);
        }
        if (name != null && files.size() != 1) {
            throw new Main.UsageException("--name needs exactly one --model");
        }
        if (!(heartbeat >= 0.2) || heartbeat > 300) {
            throw new Main.UsageException("--heartbeat must be between 0.2 and 300 seconds");
        }
        Tier ownTier = Main.tier("--tier", tier);
        if (!(cascadeMean > 0 && cascadeMean <= 1) || !(cascadeMin > 0 && cascadeMin <= 1)) {
            throw new Main.UsageException("--cascade-mean and --cascade-min are probabilities above 0 and at most 1");
        }
        if (!(watts >= 0 && watts <= 100_000)) {
            throw new Main.UsageException("--watts is the machine's power in watts, from 0 (its tier's default) to 100000");
        }
        if (quality != null && !(quality >= 0 && quality <= 1)) {
            throw new Main.UsageException("--quality is a score from 0 to 1, not " + quality);
        }
        Map<String, Cascade.Thresholds> byFamily = new LinkedHashMap<>();
        for (String f : cascadeFor) {
            Matcher m = Pattern.compile("(.+)=([0-9.]+),([0-9.]+)").matcher(f.trim());
            double mean = m.matches() ? Double.parseDouble(m.group(2)) : -1;
            double min = m.matches() ? Double.parseDouble(m.group(3)) : -1;
            if (!m.matches() || !(mean > 0 && mean <= 1) || !(min > 0 && min <= 1)) {
                throw new Main.UsageException("--cascade-for takes MODEL=MEAN,MIN with two probabilities above 0 and at "
                        + "most 1, e.g. qwen2.5=0.6,0.02; not '" + f + "'");
            }
            byFamily.put(m.group(1), new Cascade.Thresholds(Math.log(mean), Math.log(min), 16));
        }
        Gateway.Routing routing = new Gateway.Routing(ownTier, cascade
                ? new Cascade.Thresholds(Math.log(cascadeMean), Math.log(cascadeMin), 16) : null,
                quality, watts, byFamily);
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new Main.UsageException("HTTPS needs both --tls-cert and --tls-key");
        }
        KeyStore tls = null;
        if (tlsCert != null) {
            try {
                tls = Tls.serverKeyStore(tlsCert, tlsKey);
            } catch (IllegalArgumentException e) {
                throw new Main.UsageException("--tls-cert/--tls-key: " + e.getMessage());
            }
        }
        Labels labels;
        try {
            Labels.Position position = switch (labelPosition) {
                case "prefix" -> Labels.Position.PREFIX;
                case "suffix" -> Labels.Position.SUFFIX;
                default -> throw new IllegalArgumentException("--label-position is prefix or suffix, not '" + labelPosition + "'");
            };
            if (auditRetentionDays < AuditCommand.MIN_RETENTION_DAYS) {
                throw new IllegalArgumentException("--audit-retention-days must be at least " + AuditCommand.MIN_RETENTION_DAYS
                        + ": the rules ask for six months of logs");
            }
            if (!auditText.equals("full") && !auditText.equals("hash")) {
                throw new IllegalArgumentException("--audit-text is full or hash, not '" + auditText + "'");
            }
            labels = new Labels(aigcProducer, labelText != null ? labelText : Labels.DEFAULT.explicitText(), position,
                    Labels.DEFAULT.refusal(), Labels.DEFAULT.withheld());
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException(e.getMessage());
        }
        Classifier classifier = null;
        String classifierSecret = null;
        if (classifierUrl != null) {
            if (classifierUrl.getScheme() == null || !classifierUrl.getScheme().startsWith("http") || classifierUrl.getHost() == null) {
                throw new Main.UsageException("--safety-classifier takes http(s)://HOST[:PORT]/v1, not " + classifierUrl);
            }
            Classifier.Api api = switch (classifierApi) {
                case "moderations" -> Classifier.Api.MODERATIONS;
                case "chat" -> Classifier.Api.CHAT;
                default -> throw new Main.UsageException("--safety-classifier-api is moderations or chat, not '" + classifierApi + "'");
            };
            Classifier.Failure failure = switch (classifierFailure) {
                case "open" -> Classifier.Failure.OPEN;
                case "closed" -> Classifier.Failure.CLOSED;
                default -> throw new Main.UsageException("--safety-classifier-failure is open or closed, not '" + classifierFailure + "'");
            };
            if (!(classifierTimeout > 0 && classifierTimeout <= 120)) {
                throw new Main.UsageException("--safety-classifier-timeout is a number of seconds above 0 and at most 120");
            }
            byte[] secret = new byte[16];
            new SecureRandom().nextBytes(secret);
            classifierSecret = HexFormat.of().formatHex(secret);
            classifier = new Classifier(classifierUrl, api, classifierModel, classifierKey,
                    Duration.ofMillis((long) (classifierTimeout * 1000)), failure,
                    Map.of(Gateway.CLASSIFIER_HEADER, classifierSecret));
        }
        PrintWriter out = spec.commandLine().getOut();
        Path home = PuhuiHome.resolve();
        Files.createDirectories(home);
        int nThreads = decoding.threadsOrAllCores();
        try (Store store = Store.open(home, db)) {
            Map<String, Path> explicit = new LinkedHashMap<>();
            for (Path f : files) {
                if (!Files.isReadable(f)) {
                    throw new Main.UsageException("cannot read model file " + f);
                }
                explicit.put(name != null ? name : ServeNames.fromFile(f), f.toAbsolutePath());
            }
            if (explicit.isEmpty() && store.modelNames().isEmpty()) {
                out.println("No models yet: pulling the default model " + PullCommand.DEFAULT_MODEL + " ...");
                out.flush();
                PullCommand.pull(PullCommand.DEFAULT_MODEL, store);
            }
            boolean loopback = InetAddress.getByName(host).isLoopbackAddress();
            if (!loopback && store.activeKeys() == 0) {
                throw new Main.UsageException("serving on " + host + " exposes the API beyond this machine: create "
                        + "an API key first with `puhui key create --name NAME`");
            }
            long budget = memoryBudgetMiB != null ? memoryBudgetMiB << 20 : defaultBudget();
            LocalModels specs = new LocalModels(explicit, store, decoding.slots, decoding.queue,
                    decoding.contextLength, nThreads, decoding.maxBody, Map.of());
            SafetyEngine safety = null;
            if (!noSafety) {
                try {
                    safety = new SafetyEngine(home.resolve("safety"), 2);
                } catch (Lexicon.FormatException e) {
                    throw new Main.UsageException("the lexicon files in " + home.resolve("safety") + " need fixing: "
                            + e.getMessage());
                }
            }
            Supervisor supervisor = new Supervisor(WorkerLaunch.command(), home.resolve("logs"), budget,
                    Clock.systemUTC());
            Gateway gateway;
            AgentEndpoint pool = new AgentEndpoint(
                    new NodeRegistry(Clock.systemUTC(), Duration.ofMillis((long) (heartbeat * 1000))),
                    store.db.joinTokens());
            EndpointPool endpoints = new EndpointPool(
                    store.db.endpoints()::list, SecretBox.forHome(home), Duration.ofSeconds(10));
            try {
                gateway = new Gateway(new Gateway.Listen(host, port, decoding.maxBody, tls), specs, supervisor,
                        store.access(!loopback || store.activeKeys() > 0), pool, endpoints).routing(routing)
                        .tenants(store.db.tenants())
                        .compliance(safety == null ? null : new Gateway.Compliance(safety, labels, new AuditLog.Writer(store.db.auditLog()),
                                auditText.equals("full"), new ReportApi(store.db.reports(), store.db.auditLog(),
                                store.db.apiKeys(), home.resolve("safety"), safety), classifier, classifierSecret))
                        .start();
            } catch (RuntimeException e) {
                endpoints.close();
                pool.close();
                supervisor.close();
                throw new Main.UsageException("cannot listen on " + host + ":" + port + ": " + rootMessage(e));
            }
            if (safety != null) {
                // the audit log past its retention, once a day; the chain still verifies from the last record removed
                AuditLog log = store.db.auditLog();
                Thread.ofPlatform().daemon().name("audit-retention").start(() -> {
                    while (true) {
                        try {
                            int n = log.purge(Instant.now().minus(Duration.ofDays(auditRetentionDays)));
                            if (n > 0) {
                                LoggerFactory.getLogger("audit").info("purged {} audit records older than {} days", n,
                                        auditRetentionDays);
                            }
                            Thread.sleep(Duration.ofHours(24));
                        } catch (InterruptedException e) {
                            return;
                        } catch (RuntimeException e) {
                            LoggerFactory.getLogger("audit").warn("audit purge failed: {}", e.getMessage());
                            try {
                                Thread.sleep(Duration.ofHours(1));
                            } catch (InterruptedException stop) {
                                return;
                            }
                        }
                    }
                });
            }
            // this machine's own agent and admin commands: the plain loopback listener when serving HTTPS
            String self = tls != null ? "http://127.0.0.1:" + gateway.loopbackPort() : "http://" + bracket(
                    host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host) + ":" + gateway.port();
            Agent agent = embeddedAgent(home, URI.create(self), pool, ownTier);
            Thread.ofVirtual().name("embedded-agent").start(() -> {
                try {
                    agent.run();
                } catch (Exception e) {
                    LoggerFactory.getLogger("agent").warn("the embedded agent stopped: {}", e.getMessage());
                }
            });
            CountDownLatch stopped = new CountDownLatch(1);
            Path urlFile = home.resolve(NodesCommand.ServerOption.URL_FILE);
            // the admin commands (token, nodes, node drain) of this PUHUI_HOME find this server by it
            Files.writeString(urlFile, self + "\n");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                // stop taking requests, then end the workers, then the database
                try {
                    Files.deleteIfExists(urlFile);
                } catch (IOException ignored) {
                    // a stale file points at a port nobody answers on: the commands say so
                }
                agent.close();
                gateway.close();
                store.flushUsage(); // the JVM halts when this hook ends: what the requests left is written now
                endpoints.close();
                pool.close();
                supervisor.close();
                stopped.countDown();
            }));
            out.println("Puhui listening on " + (tls != null ? "https" : "http") + "://" + bracket(host) + ":"
                    + gateway.port() + "/v1 (models: " + String.join(", ", specs.names()) + ")");
            out.flush();
            stopped.await();
        }
        return Main.OK;
    }

    /**
     * This server as a node of its own pool: the same agent and WebSocket path remote nodes take, with a token
     * valid in this process only, so its scene is reported and respected like theirs.
     */
    private Agent embeddedAgent(Path home, URI self, AgentEndpoint pool, Tier tier) throws IOException {
        String nodeId = AgentCommand.nodeId(home.resolve("node-id"));
        SceneDetector detector = ThisMachine.sceneDetector(home);
        long memory = ThisMachine.memoryBytes();
        String name = InetAddress.getLocalHost().getHostName() + " (serve)";
        Logger log = LoggerFactory.getLogger("agent");
        return new Agent(new Agent.Config(self, pool.localToken(tier, nodeId), nodeId,
                name, Runtime.getRuntime().availableProcessors(), memory, watts), detector,
                ScenePolicy.defaults(), log::info);
    }

    /** An address as a URL holds it: IPv6 in brackets. */
    private static String bracket(String address) {
        return address.contains(":") ? "[" + address + "]" : address;
    }

    private static String rootMessage(Throwable e) {
        while (e.getCause() != null) {
            e = e.getCause();
        }
        return e.getMessage();
    }

    private static long defaultBudget() {
        return ThisMachine.memoryBytes() / 5 * 4;
    }
}
