// `puhui nodes`: the pool's nodes as the control plane sees them; `puhui node drain ID`.
package io.puhui.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.puhui.server.api.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

final class NodesCommand {
    private NodesCommand() {
    }

    /** --server and --key, shared by the commands that talk to a running `serve`. */
    static final class ServerOption {
        /** Where a running `serve` writes its address, for the admin commands to find it. */
        static final String URL_FILE = "serve.url";

        @Option(names = "--server", paramLabel = "URL",
                description = "The control plane (default: the `serve` running from this PUHUI_HOME, else http://127.0.0.1:11500).")
        String server;

        @Option(names = "--key", paramLabel = "KEY", description = "An API key, when the server requires keys (or "
                + "PUHUI_API_KEY); managing the pool takes an administrator's.")
        String key;

        JsonNode call(String method, String path) throws Exception {
            return call(method, path, null);
        }

        /** An API timestamp (ISO-8601) to the second, for a table column. */
        static String toSecond(String timestamp) {
            return timestamp.length() >= 19 ? timestamp.substring(0, 19) : timestamp;
        }

        /** A value as one segment of an API path (a space is %20 there, not +). */
        static String segment(String value) {
            return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
        }

        /** The server's base URL: --server, else the local `serve`'s. */
        URI base() {
            if (server == null) {
                server = localServer();
            }
            try {
                URI base = URI.create(server.endsWith("/") ? server.substring(0, server.length() - 1) : server);
                if (base.getScheme() == null || base.getHost() == null) {
                    throw new IllegalArgumentException();
                }
                return base;
            } catch (IllegalArgumentException e) {
                throw new Main.UsageException("--server takes a URL such as http://127.0.0.1:11500, not '" + server + "'");
            }
        }

        /** Adds the key (--key, else PUHUI_API_KEY) to a request, when there is one. */
        HttpRequest.Builder authorize(HttpRequest.Builder b) {
            String k = key != null ? key : System.getenv("PUHUI_API_KEY");
            if (k != null && !k.isBlank()) {
                b.header("Authorization", "Bearer " + k.trim());
            }
            return b;
        }

        JsonNode call(String method, String path, JsonNode json) throws Exception {
            URI base = base();
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10))
                    .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(json.toString()));
            if (json != null) {
                b.header("Content-Type", "application/json");
            }
            authorize(b);
            HttpResponse<String> r;
            try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
                r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            } catch (ConnectException e) {
                throw new IllegalArgumentException("no control plane at " + base + " (start one with `puhui serve`, or pass --server URL)");
            }
            JsonNode body = r.body().isBlank() ? Json.MAPPER.createObjectNode() : Json.MAPPER.readTree(r.body());
            if (r.statusCode() / 100 != 2) {
                throw new IllegalArgumentException(base + " answered " + r.statusCode() + ": "
                        + body.path("error").path("message").asText(r.body()));
            }
            return body;
        }

        /** The address the `serve` of this PUHUI_HOME wrote, or the default one. */
        static String localServer() {
            try {
                Path f = PuhuiHome.resolve().resolve(URL_FILE);
                if (Files.isRegularFile(f)) {
                    String u = Files.readString(f).trim();
                    if (!u.isEmpty()) {
                        return u;
                    }
                }
            } catch (IOException | RuntimeException unreadable) {
                // fall back to the default address
            }
            return "http://127.0.0.1:11500";
        }
    }

    @Command(name = "nodes", description = "List the pool's nodes: id, name, tier, state, scene, what they lend, load, "
            + "accelerators, the model variants they hold, last heartbeat.")
    static final class ListNodes implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        ServerOption server;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            JsonNode nodes = server.call("GET", "/api/nodes");
            PrintWriter out = spec.commandLine().getOut();
            out.printf("%-20s %-16s %-6s %-8s %-13s %-14s %-5s %-22s %-28s %s%n", "ID", "NAME", "TIER", "STATE", "SCENE",
                    "LENDS", "CPU", "ACCELERATORS", "MODELS", "LAST HEARTBEAT");
            for (JsonNode n : nodes) {
                double cpu = n.path("cpu_load").asDouble(-1);
                List<String> acc = new ArrayList<>();
                for (JsonNode a : n.path("accelerators")) {
                    acc.add(a.path("name").asText() + (a.path("memory").asLong() > 0
                            ? String.format(Locale.ROOT, " %.0fG", a.path("memory").asLong() / 1073741824.0) : ""));
                }
                List<String> models = new ArrayList<>();
                for (JsonNode i : n.path("instances")) {
                    models.add(i.path("model").asText() + "=" + i.path("variant").asText());
                }
                out.printf(Locale.ROOT, "%-20s %-16s %-6s %-8s %-13s %-14s %-5s %-22s %-28s %s%n", n.path("id").asText(),
                        n.path("name").asText(), n.path("tier").asText(), n.path("state").asText(),
                        n.path("scene").asText(), String.format(Locale.ROOT, "%d/%d thr%s", n.path("lends_threads").asInt(),
                                n.path("cores").asInt(), n.path("accepts_remote").asBoolean() ? "" : " local"),
                        cpu < 0 ? "-" : String.format(Locale.ROOT, "%.0f%%", cpu * 100),
                        acc.isEmpty() ? "-" : String.join(", ", acc), models.isEmpty() ? "-" : String.join(", ", models),
                        n.path("last_heartbeat").asText());
            }
            if (nodes.isEmpty()) {
                out.println("(no nodes yet: create a token with `puhui token create --tier edge` and run `puhui agent` on a node)");
            }
            out.flush();
            return Main.OK;
        }
    }

    @Command(name = "node", description = "Act on one node of the pool.", subcommands = {Drain.class, Resume.class})
    static final class NodeCommand implements Runnable {
        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getOut());
        }
    }

    /** {@code POST /api/nodes/{id}/{action}}, then says what it did. */
    static Integer nodeAction(ServerOption server, picocli.CommandLine.Model.CommandSpec spec, String id, String action,
                              String done) throws Exception {
        server.call("POST", "/api/nodes/" + ServerOption.segment(id) + "/" + action);
        spec.commandLine().getOut().println("Node " + id + " " + done);
        return Main.OK;
    }

    @Command(name = "drain", description = "Stop new work going to a node.")
    static final class Drain implements Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "The node's id, as `puhui nodes` shows.")
        String id;

        @picocli.CommandLine.Mixin
        ServerOption server;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            return nodeAction(server, spec, id, "drain", "is draining: it gets no new work.");
        }
    }

    @Command(name = "resume", description = "Let a drained node take new work again.")
    static final class Resume implements Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "The node's id, as `puhui nodes` shows.")
        String id;

        @picocli.CommandLine.Mixin
        ServerOption server;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            return nodeAction(server, spec, id, "resume", "takes new work again.");
        }
    }

    @Command(name = "warm", description = "Keep a model loaded on N of the nodes that hold it (placed by the scheduler "
            + "among those whose scene lends room), before requests come; 0 leaves it to demand again.")
    static final class Warm implements Callable<Integer> {
        @Parameters(paramLabel = "MODEL", description = "The logical model, as clients ask for it.")
        String model;

        @Option(names = "--instances", defaultValue = "1", paramLabel = "N", description = "How many nodes (default ${DEFAULT-VALUE}).")
        int instances;

        @picocli.CommandLine.Mixin
        ServerOption server;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (instances < 0 || instances > 1000) {
                throw new Main.UsageException("--instances is from 0 to 1000, not " + instances);
            }
            JsonNode loads = server.call("POST", "/api/models/" + ServerOption.segment(model) + "/warm", Json.MAPPER.createObjectNode().put("instances", instances));
            PrintWriter out = spec.commandLine().getOut();
            for (JsonNode l : loads) {
                out.println("Asked node " + l.path("node").asText() + " to load " + l.path("variant").asText() + ".");
            }
            if (loads.isEmpty()) {
                out.println("Nothing to load now: enough nodes have '" + model + "' loaded, or no other node that holds it lends room.");
            }
            out.flush();
            return Main.OK;
        }
    }
}
