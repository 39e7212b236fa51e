// `puhui agent --join URL --token T`: make this machine a node of the pool.
package io.puhui.cli;

import io.puhui.server.api.Tls;
import io.puhui.server.node.Agent;
import io.puhui.server.node.LocalInstances;
import io.puhui.server.node.Supervisor;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Mixin;
import io.puhui.server.node.scene.SceneDetector;
import io.puhui.server.node.scene.ScenePolicy;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import javax.net.ssl.SSLContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "agent", description = {
    "Join the pool: one outbound WebSocket to the control plane (nodes behind NAT work), a heartbeat with this "
        + "machine's scene and what it lends; reconnects with backoff. The node id is kept in $PUHUI_HOME/node-id."})
final class AgentCommand implements Callable<Integer> {
    @Option(names = "--join", required = true, paramLabel = "URL", description = "The control plane, http://HOST:PORT or https://HOST:PORT.")
    String join;

    @Option(names = "--token", required = true, paramLabel = "TOKEN", description = "A join token (`puhui token create`).")
    String token;

    @Option(names = "--ca", paramLabel = "FILE.pem", description = "For an https control plane whose certificate "
            + "the system does not trust (a private authority, a self-signed server): the certificates to trust instead.")
    Path ca;

    @Option(names = "--node-name", paramLabel = "NAME", description = "A name for people (default: the host name).")
    String nodeName;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE.gguf",
            description = "Offer this model file to the pool (repeatable); the models in $PUHUI_HOME are offered too.")
    List<Path> files = new ArrayList<>();

    @Option(names = "--name", paramLabel = "MODEL",
            description = "The model (family) the --model file is a variant of, as clients ask for it (default: file name).")
    String modelName;

    @Option(names = "--quality", paramLabel = "Q", description = "Quality of the --model file relative to its family's "
            + "reference, 0..1, as `puhui eval` measures it (default: from its compression, F32 1.0, Q8_0 0.995, "
            + "Q4_K_M 0.96…; set it when the file is a smaller model of the family).")
    Double quality;

    @Option(names = "--watts", paramLabel = "W", description = "Power this machine draws while generating, for the "
            + "router's energy estimate (default: by the token's tier, device 10, edge 30, cloud 300).")
    double watts;

    @Option(names = "--memory-budget", paramLabel = "MiB",
            description = "Memory all loaded models may use together (default: 80% of RAM).")
    Long memoryBudgetMiB;

    @Mixin
    DecodingOptions decoding;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        URI server;
        try {
            server = URI.create(join.trim());
            if (server.getHost() == null) {
                throw new IllegalArgumentException();
            }
            Agent.endpoint(server);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException("--join takes http://HOST:PORT or https://HOST:PORT, not '" + join + "'");
        }
        if (modelName != null && files.size() != 1) {
            throw new Main.UsageException("--name needs exactly one --model");
        }
        SSLContext trust = null;
        if (ca != null) {
            if (!server.getScheme().equals("https")) {
                throw new Main.UsageException("--ca is for an https control plane; " + join + " is not one");
            }
            try {
                trust = Tls.trusting(ca);
            } catch (IllegalArgumentException e) {
                throw new Main.UsageException("--ca: " + e.getMessage());
            }
        }
        if (!(watts >= 0 && watts <= 100_000)) {
            throw new Main.UsageException("--watts is the machine's power in watts, from 0 (its tier's default) to 100000");
        }
        if (quality != null && (files.size() != 1 || !(quality >= 0 && quality <= 1))) {
            throw new Main.UsageException("--quality takes a score from 0 to 1 and needs exactly one --model");
        }
        Map<String, Path> explicit = new LinkedHashMap<>();
        for (Path f : files) {
            if (!Files.isReadable(f)) {
                throw new Main.UsageException("cannot read model file " + f);
            }
            explicit.put(modelName != null ? modelName : ServeNames.fromFile(f), f.toAbsolutePath());
        }
        Path home = PuhuiHome.resolve();
        Files.createDirectories(home);
        String id = nodeId(home.resolve("node-id"));
        String host = nodeName != null ? nodeName : InetAddress.getLocalHost().getHostName();
        int cores = Runtime.getRuntime().availableProcessors();
        long memory = ThisMachine.memoryBytes();
        SceneDetector detector = ThisMachine.sceneDetector(home);
        PrintWriter err = spec.commandLine().getErr();
        long budget = memoryBudgetMiB != null ? memoryBudgetMiB << 20 : memory / 5 * 4;
        try (Store store = Store.open(home, null);
             Supervisor supervisor = new Supervisor(WorkerLaunch.command(), home.resolve("logs"), budget, Clock.systemUTC())) {
            LocalModels models = new LocalModels(explicit, store, decoding.slots, decoding.queue, decoding.contextLength,
                    decoding.threadsOrAllCores(), decoding.maxBody,
                    quality == null ? Map.of() : Map.of(explicit.keySet().iterator().next(), quality));
            if (models.names().isEmpty()) {
                err.println("puhui agent: this node holds no models (add --model FILE.gguf, or `puhui pull NAME`); "
                        + "it joins and reports its scene but takes no requests");
            }
            try (LocalInstances runner = new LocalInstances(models, supervisor)) {
                Agent agent = new Agent(new Agent.Config(server, token.trim(), id, host, cores, memory, watts, trust), detector,
                        ScenePolicy.defaults(), line -> {
                            err.println("puhui agent: " + line);
                            err.flush();
                        }, () -> models.instances(supervisor::loaded), runner)
                        .onLending((scene, lending) -> runner.apply(lending, scene.name()))
                        .onLoad(runner::warm);
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    agent.close();
                    supervisor.close();
                }));
                try {
                    agent.run();
                } catch (Agent.RefusedException e) {
                    throw new IllegalArgumentException("the control plane refused this node: " + e.getMessage());
                } catch (Agent.UntrustedException e) {
                    throw new IllegalStateException(e.getMessage());
                } catch (IllegalArgumentException e) {
                    throw new Main.UsageException(e.getMessage());
                }
            }
        }
        return Main.OK;
    }

    /** The node's stable id, made once. */
    static String nodeId(Path file) throws java.io.IOException {
        if (Files.isRegularFile(file)) {
            String id = Files.readString(file, StandardCharsets.UTF_8).trim();
            if (id.matches("[A-Za-z0-9_.-]{4,80}")) {
                return id;
            }
        }
        String id = "node-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()).substring(0, 12);
        Files.writeString(file, id + "\n", StandardCharsets.UTF_8);
        return id;
    }
}
