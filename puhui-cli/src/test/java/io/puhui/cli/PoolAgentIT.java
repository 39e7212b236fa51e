package io.puhui.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.puhui.engine.SharedData;
import io.puhui.server.api.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control channel of the pool with real processes on loopback: a `serve`, join tokens made with the CLI,
 * agents in their own PUHUI_HOMEs that join over a WebSocket, heartbeats with their scenes, refusals of bad and
 * revoked tokens, `kill -9` of an agent marking its node lost, a reconnect with the same node id, and draining.
 */
class PoolAgentIT {

    @TempDir
    Path tmp;

    CliProcessIT.Result puhui(Path home, String... args) throws IOException, InterruptedException {
        return CliProcessIT.run(ServeProcess.java(home, args), Map.of("PUHUI_HOME", home.toString()));
    }

    Process agent(Path home, String url, String token, String name) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(ServeProcess.java(home, "agent", "--join", url, "--token", token, "--node-name", name));
        pb.environment().put("PUHUI_HOME", home.toString());
        pb.redirectErrorStream(true).redirectOutput(Files.createTempFile(tmp, "agent", ".log").toFile());
        return pb.start();
    }

    /** The pool's nodes other than the server's own (its embedded agent joins too, named "HOST (serve)"). */
    JsonNode nodes(ServeProcess serve) throws IOException, InterruptedException {
        com.fasterxml.jackson.databind.node.ArrayNode others = Json.MAPPER.createArrayNode();
        for (JsonNode n : Json.MAPPER.readTree(serve.get("/api/nodes").body())) {
            if (!n.path("name").asText().endsWith("(serve)")) {
                others.add(n);
            }
        }
        return others;
    }

    JsonNode await(ServeProcess serve, Predicate<JsonNode> condition, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            last = nodes(serve);
            if (condition.test(last)) {
                return last;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("timed out waiting for " + what + "; nodes: " + last);
    }

    static JsonNode named(JsonNode nodes, String name) {
        for (JsonNode n : nodes) {
            if (n.path("name").asText().equals(name)) {
                return n;
            }
        }
        return null;
    }

    @Test
    void agentsJoinReportAreLostAndComeBack() throws Exception {
        Path home = Files.createDirectories(tmp.resolve("plane"));
        try (ServeProcess serve = ServeProcess.start(home, "--model", SharedData.stories260K().toString(), "--name",
                "stories", "--heartbeat", "0.5")) {
            CliProcessIT.Result edgeToken = puhui(home, "token", "create", "--tier", "edge", "--label", "office");
            assertThat(edgeToken.exit()).as(edgeToken.err()).isZero();
            String edge = edgeToken.out().strip().lines().reduce((a, b) -> b).orElseThrow();
            assertThat(edge).startsWith("pjt-jt_");
            String device = puhui(home, "token", "create", "--tier", "device").out().strip().lines().reduce((a, b) -> b).orElseThrow();

            Path edgeHome = Files.createDirectories(tmp.resolve("edge"));
            Process a = agent(edgeHome, serve.baseUrl, edge, "edge-a");
            Process b = agent(Files.createDirectories(tmp.resolve("phone")), serve.baseUrl, device, "phone-b");
            try {
                JsonNode two = await(serve, n -> n.size() == 2 && named(n, "edge-a") != null
                        && !named(n, "edge-a").path("scene").asText().equals("UNKNOWN")
                        && named(n, "phone-b") != null && !named(n, "phone-b").path("scene").asText().equals("UNKNOWN"),
                        "two nodes with scenes");
                assertThat(named(two, "edge-a").path("tier").asText()).isEqualTo("edge");
                assertThat(named(two, "phone-b").path("tier").asText()).isEqualTo("device");
                assertThat(named(two, "edge-a").path("state").asText()).isEqualTo("READY");
                assertThat(named(two, "edge-a").path("cores").asInt()).isPositive();
                String edgeId = named(two, "edge-a").path("id").asText();
                assertThat(Files.readString(edgeHome.resolve("node-id")).strip()).isEqualTo(edgeId);

                CliProcessIT.Result list = puhui(home, "nodes", "--server", serve.baseUrl);
                assertThat(list.out()).contains("edge-a").contains("phone-b").contains("READY");

                // kill -9: the node is lost within three heartbeats, the other stays.
                a.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                JsonNode lost = await(serve, n -> named(n, "edge-a").path("state").asText().equals("LOST"), "edge-a lost");
                assertThat(named(lost, "phone-b").path("state").asText()).isEqualTo("READY");

                // The same machine comes back with the same id.
                a = agent(edgeHome, serve.baseUrl, edge, "edge-a");
                JsonNode back = await(serve, n -> named(n, "edge-a").path("state").asText().equals("READY"), "edge-a back");
                assertThat(back.size()).isEqualTo(2);
                assertThat(named(back, "edge-a").path("id").asText()).isEqualTo(edgeId);

                CliProcessIT.Result drain = puhui(home, "node", "drain", edgeId, "--server", serve.baseUrl);
                assertThat(drain.exit()).as(drain.err()).isZero();
                await(serve, n -> named(n, "edge-a").path("state").asText().equals("DRAINING"), "edge-a draining");
                assertThat(puhui(home, "node", "drain", "node-nope", "--server", serve.baseUrl).err()).contains("no node with id 'node-nope'");
            } finally {
                a.destroyForcibly();
                b.destroyForcibly();
            }
            JsonNode all = Json.MAPPER.readTree(serve.get("/api/nodes").body());
            assertThat(all).as("the server's embedded agent joins over the same path")
                    .anyMatch(n -> n.path("name").asText().endsWith("(serve)") && n.path("tier").asText().equals("edge"));
        }
    }

    /**
     * A game on this device (a process named cs2) stops new work reaching its local variant within a heartbeat:
     * requests go to the cloud endpoint instead; when the game ends and the scene settles they come back.
     */
    @Test
    void aGameOnThisDeviceSendsItsRequestsElsewhereWithinAHeartbeat() throws Exception {
        Path upstreamHome = Files.createDirectories(tmp.resolve("upstream"));
        Path home = Files.createDirectories(tmp.resolve("device"));
        String model = SharedData.stories260K().toString();
        try (ServeProcess upstream = ServeProcess.start(upstreamHome, "--model", model, "--name", "stories")) {
            CliProcessIT.Result add = puhui(home, "endpoint", "add", "stories", "--tier", "cloud", "--url",
                    upstream.baseUrl + "/v1", "--model", "stories");
            assertThat(add.exit()).as(add.err()).isZero();
            try (ServeProcess device = ServeProcess.start(home, "--model", model, "--name", "stories", "--tier", "device",
                    "--heartbeat", "0.5")) {
                String body = "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":4}";
                java.util.function.Supplier<String> route = () -> {
                    try {
                        return device.post("/v1/chat/completions", body).headers().firstValue("x-puhui-route").orElse("");
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                };
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!route.get().startsWith("device:") && System.nanoTime() < deadline) {
                    Thread.sleep(200); // until the embedded agent's first heartbeat says the device is free
                }
                assertThat(route.get()).startsWith("device:this server/stories");
                Path game = tmp.resolve("cs2");
                Files.copy(Path.of("/bin/sleep"), game);
                game.toFile().setExecutable(true);
                Process g = new ProcessBuilder(game.toString(), "60").start();
                try {
                    // The next heartbeat carries the new scene; the first request after it goes elsewhere.
                    long started = System.nanoTime();
                    JsonNode self = Json.MAPPER.readTree(device.get("/api/nodes").body()).get(0);
                    while (!self.path("scene").asText().equals("GAMING") && System.nanoTime() - started < TimeUnit.SECONDS.toNanos(10)) {
                        Thread.sleep(20);
                        self = Json.MAPPER.readTree(device.get("/api/nodes").body()).get(0);
                    }
                    double seconds = (System.nanoTime() - started) / 1e9;
                    assertThat(self.path("scene").asText()).isEqualTo("GAMING");
                    assertThat(self.path("scene_reason").asText()).contains("cs2");
                    assertThat(seconds).as("reported by a heartbeat (0.5 s) after the game started").isLessThan(3.0);
                    assertThat(route.get()).startsWith("cloud:endpoint ep_");
                } finally {
                    g.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
                long deadline2 = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                while (!route.get().startsWith("device:") && System.nanoTime() < deadline2) {
                    Thread.sleep(200);
                }
                assertThat(route.get()).as("back once the quiet scene has settled").startsWith("device:");
            }
        }
    }

    @Test
    void badAndRevokedTokensAreRefusedAndTheNodeNeverAppears() throws Exception {
        Path home = Files.createDirectories(tmp.resolve("plane"));
        try (ServeProcess serve = ServeProcess.start(home, "--model", SharedData.stories260K().toString(), "--name",
                "stories", "--heartbeat", "0.5")) {
            Path node = Files.createDirectories(tmp.resolve("node"));
            CliProcessIT.Result bad = puhui(node, "agent", "--join", serve.baseUrl, "--token", "hello");
            assertThat(bad.exit()).isEqualTo(1);
            assertThat(bad.err()).contains("the control plane refused this node: not a join token");

            String token = puhui(home, "token", "create", "--tier", "edge").out().strip().lines().reduce((x, y) -> y).orElseThrow();
            String id = token.substring(4, token.indexOf('-', 4));
            CliProcessIT.Result revoke = puhui(home, "token", "revoke", id);
            assertThat(revoke.exit()).as(revoke.err()).isZero();
            CliProcessIT.Result revoked = puhui(node, "agent", "--join", serve.baseUrl, "--token", token);
            assertThat(revoked.exit()).isEqualTo(1);
            assertThat(revoked.err()).contains("join token " + id + " was revoked");
            CliProcessIT.Result forged = puhui(node, "agent", "--join", serve.baseUrl, "--token", token.substring(0, token.length() - 2) + "xx");
            assertThat(forged.err()).contains("unknown join token");
            assertThat(nodes(serve)).isEmpty();
            assertThat(puhui(home, "token", "list").out()).contains(id).contains("revoked");
            assertThat(puhui(home, "token", "create", "--tier", "moon").err()).contains("--tier must be device, edge or cloud");
            assertThat(puhui(node, "agent", "--join", "ftp://x", "--token", token).err()).contains("--join takes http://HOST:PORT");
            assertThat(List.of(puhui(home, "nodes", "--server", "http://127.0.0.1:1").err()))
                    .anyMatch(e -> e.contains("no control plane at http://127.0.0.1:1"));
        }
    }
}
