package io.puhui.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.puhui.engine.SharedData;
import io.puhui.server.api.Json;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests through the pool: a control plane (`serve`, its own F32 model as the cloud variant) and two agents in
 * their own PUHUI_HOMEs on loopback, a device with the Q4_K_M variant and an edge node with Q8_0, each also
 * holding a slow 25M-parameter model. Requests reach the agents over their tunnels; the OpenAI SDK is the client.
 * A game on the device stops new work reaching it within a heartbeat; `kill -9` of an agent mid-stream ends that
 * stream with an error event, and no request sent while or after it dies is lost.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PoolTunnelIT {

    @TempDir
    static Path tmp;

    static ServeProcess plane;
    static Process device;
    static Process edge;
    static Path deviceHome;
    static Path edgeHome;
    static String deviceToken;
    static OpenAIClient client;
    static final Map<String, Double> confidence = new java.util.LinkedHashMap<>();
    static String sure;
    static String unsure;

    static CliProcessIT.Result puhui(Path home, String... args) throws IOException, InterruptedException {
        return CliProcessIT.run(ServeProcess.java(home, args), Map.of("PUHUI_HOME", home.toString()));
    }

    static Process agent(Path home, String token, String name, Path model) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(ServeProcess.java(home, "agent", "--join", plane.baseUrl, "--token", token,
                "--node-name", name, "--model", model.toString(), "--name", "stories", "--threads", "1"));
        pb.environment().put("PUHUI_HOME", home.toString());
        pb.redirectErrorStream(true).redirectOutput(home.resolve("agent.log").toFile());
        return pb.start();
    }

    static String token(String tier) throws Exception {
        CliProcessIT.Result r = puhui(tmp.resolve("plane"), "token", "create", "--tier", tier);
        assertThat(r.exit()).as(r.err()).isZero();
        return r.out().strip().lines().reduce((x, y) -> y).orElseThrow();
    }

    static JsonNode node(String name) throws Exception {
        for (JsonNode n : Json.MAPPER.readTree(plane.get("/api/nodes").body())) {
            if (n.path("name").asText().equals(name)) {
                return n;
            }
        }
        return Json.MAPPER.missingNode();
    }

    /** The quality a node reports for its variant of the model. */
    static double quality(String node, String model) throws Exception {
        for (JsonNode i : node(node).path("instances")) {
            if (i.path("model").asText().equals(model)) {
                return i.path("quality").asDouble();
            }
        }
        throw new AssertionError(node + " holds no variant of " + model);
    }

    static JsonNode await(String name, Predicate<JsonNode> condition, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            last = node(name);
            if (condition.test(last)) {
                return last;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out waiting for " + what + "; node: " + last);
    }

    @BeforeAll
    static void pool() throws Exception {
        Path models = Files.createDirectories(tmp.resolve("models"));
        Path q4 = models.resolve("stories-q4_k_m.gguf");
        Path q8 = models.resolve("stories-q8_0.gguf");
        Path slow = models.resolve("slow.gguf");
        Path scratch = Files.createDirectories(tmp.resolve("scratch"));
        for (String[] args : List.of(
                new String[] {"compress", SharedData.stories260K().toString(), "--type", "Q4_K_M", "-o", q4.toString()},
                new String[] {"compress", SharedData.stories260K().toString(), "--type", "Q8_0", "-o", q8.toString()},
                new String[] {"random-model", "--shape", "llama-25m", "--type", "Q8_0", "-o", slow.toString()})) {
            CliProcessIT.Result r = puhui(scratch, args);
            assertThat(r.exit()).as(r.err()).isZero();
        }
        // The cascade's threshold: between the device variant's confidence on two prompts, measured on the
        // same file before the pool starts.
        try (ServeProcess probe = ServeProcess.start(Files.createDirectories(tmp.resolve("probe")), "--model",
                q4.toString(), "--name", "stories")) {
            for (String p : List.of("Once upon a time", "Lily and Tom", "The cat sat", "zebra quantum", "a", "She said")) {
                confidence.put(p, EndpointIT.meanProbability(probe, p));
            }
        }
        sure = confidence.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        unsure = confidence.entrySet().stream().min(Map.Entry.comparingByValue()).orElseThrow().getKey();
        assertThat(confidence.get(sure) - confidence.get(unsure)).as("prompts must differ: " + confidence).isGreaterThan(0.005);
        Path planeHome = Files.createDirectories(tmp.resolve("plane"));
        plane = ServeProcess.start(planeHome, "--model", SharedData.stories260K().toString(), "--name", "stories",
                "--tier", "cloud", "--heartbeat", "0.5", "--cascade-for",
                "stories=" + (confidence.get(sure) + confidence.get(unsure)) / 2 + ",0.0001");
        deviceHome = Files.createDirectories(tmp.resolve("device"));
        edgeHome = Files.createDirectories(tmp.resolve("edge"));
        for (Path h : List.of(deviceHome, edgeHome)) {
            CliProcessIT.Result r = puhui(h, "import", slow.toString(), "--name", "slow");
            assertThat(r.exit()).as(r.err()).isZero();
        }
        // only the device knows this program as a game
        Files.writeString(deviceHome.resolve("scene-apps.conf"), "[games]\npuhuitestgame\n");
        deviceToken = token("device");
        device = agent(deviceHome, deviceToken, "dev1", q4);
        edge = agent(edgeHome, token("edge"), "edge1", q8);
        for (String n : List.of("dev1", "edge1")) {
            await(n, x -> x.path("state").asText().equals("READY") && x.path("instances").size() == 2
                    && !x.path("scene").asText().equals("UNKNOWN"), n + " ready with its two models");
        }
        client = OpenAIOkHttpClient.builder().baseUrl(plane.baseUrl + "/v1").apiKey("none").maxRetries(0).build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        for (Process p : new Process[] {device, edge}) {
            if (p != null) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (plane != null) {
            plane.close();
        }
    }

    static ChatCompletionCreateParams.Builder ask(String model, String locality, int tokens) {
        ChatCompletionCreateParams.Builder b = ChatCompletionCreateParams.builder().model(model)
                .addUserMessage("Once upon a time").maxCompletionTokens(tokens).temperature(0.0);
        return locality == null ? b : b.putAdditionalHeader("x-puhui-locality", locality);
    }

    static String route(HttpResponse<String> r) {
        return r.headers().firstValue("x-puhui-route").orElse("");
    }

    static HttpResponse<String> post(String model, String locality, int tokens) throws Exception {
        String body = "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],"
                + "\"max_tokens\":" + tokens + ",\"temperature\":0}";
        return locality == null ? plane.post("/v1/chat/completions", body)
                : plane.post("/v1/chat/completions", body, "x-puhui-locality", locality);
    }

    @Test
    @Order(1)
    void theNodesReportTheirVariantsAndRequestsReachThemByLocality() throws Exception {
        JsonNode dev = node("dev1");
        assertThat(dev.path("tier").asText()).isEqualTo("device");
        assertThat(dev.path("watts").asDouble()).as("a device's default power profile").isEqualTo(10.0);
        assertThat(dev.path("instances").findValuesAsText("format")).contains("Q4_K_M", "Q8_0");
        assertThat(dev.path("instances").findValuesAsText("variant")).contains("stories-q4_k_m", "slow");
        assertThat(node("edge1").path("instances").findValuesAsText("variant")).contains("stories-q8_0");
        JsonNode busy = await("dev1", n -> n.path("cpu_load").asDouble(-1) >= 0, "a CPU load in a heartbeat");
        assertThat(busy.path("memory_available").asLong()).isPositive();
        assertThat(busy.has("accelerators")).isTrue();
        CliProcessIT.Result listed = puhui(tmp.resolve("plane"), "nodes");
        assertThat(listed.exit()).as(listed.err()).isZero();
        assertThat(listed.out()).contains("dev1", "device", "stories=stories-q4_k_m", "slow=slow", "edge1");
        // Placement: an administrator wants 'slow' (not used yet, so loaded nowhere) ready on two nodes
        assertThat(node("dev1").path("instances").findValuesAsText("loaded")).doesNotContain("true");
        CliProcessIT.Result warm = puhui(tmp.resolve("plane"), "warm", "slow", "--instances", "2");
        assertThat(warm.exit()).as(warm.err()).isZero();
        assertThat(warm.out()).contains("Asked node").contains("to load slow");
        for (String n : List.of("dev1", "edge1")) {
            await(n, x -> {
                for (JsonNode i : x.path("instances")) {
                    if (i.path("model").asText().equals("slow") && i.path("loaded").asBoolean()) {
                        return true;
                    }
                }
                return false;
            }, "'slow' loaded on " + n + " before any request");
        }
        assertThat(puhui(tmp.resolve("plane"), "warm", "slow", "--instances", "0").exit()).isZero();
        CliProcessIT.Result families = puhui(tmp.resolve("plane"), "models", "--pool");
        assertThat(families.exit()).as(families.err()).isZero();
        assertThat(families.out().lines().filter(l -> l.startsWith("stories ")).toList())
                .anyMatch(l -> l.contains("stories-q4_k_m") && l.contains("device") && l.contains("dev1") && l.contains("Q4_K_M"))
                .anyMatch(l -> l.contains("stories-q8_0") && l.contains("edge") && l.contains("edge1") && l.contains("Q8_0"))
                .anyMatch(l -> l.contains("cloud") && l.contains("this server") && l.contains("F32"));

        assertThat(route(post("stories", "device", 8))).startsWith("device:dev1/stories-q4_k_m");
        assertThat(route(post("stories", "edge", 8))).startsWith("edge:edge1/stories-q8_0");
        assertThat(route(post("stories", "cloud", 8))).startsWith("cloud:this server/stories");
        assertThat(post("stories", "moon", 8).statusCode()).isEqualTo(400);

        // The SDK, unchanged: a whole answer and a streamed one from the device over its tunnel agree.
        ChatCompletion whole = client.chat().completions().create(ask("stories", "device", 24).build());
        String text = whole.choices().get(0).message().content().orElseThrow();
        assertThat(text).isNotBlank();
        assertThat(whole.usage().orElseThrow().completionTokens()).isPositive();
        String streamed;
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(ask("stories", "device", 24).build())) {
            streamed = s.stream().flatMap(ch -> ch.choices().stream()).map(c -> c.delta().content().orElse(""))
                    .collect(Collectors.joining());
        }
        assertThat(streamed).isEqualTo(text);
        assertThat(client.models().list().data()).anyMatch(m -> m.id().equals("slow"));

        // Sixteen streams at once over the two tunnels, each whole.
        List<java.util.concurrent.CompletableFuture<String>> together = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            String locality = i % 2 == 0 ? "device" : "edge";
            together.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(ask("stories", locality, 24).build())) {
                    return s.stream().flatMap(ch -> ch.choices().stream()).map(c -> c.delta().content().orElse(""))
                            .collect(Collectors.joining());
                }
            }));
        }
        String edgeText = client.chat().completions().create(ask("stories", "edge", 24).build()).choices().get(0)
                .message().content().orElseThrow();
        for (int i = 0; i < 16; i++) {
            assertThat(together.get(i).get(120, TimeUnit.SECONDS)).isEqualTo(i % 2 == 0 ? text : edgeText);
        }

        JsonNode recent = Json.MAPPER.readTree(plane.get("/api/routes/recent?limit=50").body());
        assertThat(recent.findValuesAsText("target")).contains("dev1/stories-q4_k_m", "edge1/stories-q8_0");

        // Tenant policy (the loopback owner is tenant "local"): kept to the edge, it is served there with no
        // locality asked, the cascade having nothing larger it may use; with a quality floor above the device's
        // variant, device and edge allowed, the edge's Q8_0 serves it.
        Path planeHome = tmp.resolve("plane");
        assertThat(puhui(planeHome, "tenant", "set", "local", "--tiers", "edge").exit()).isZero();
        assertThat(route(post("stories", null, 8))).startsWith("edge:edge1/stories-q8_0").contains("tenant policy: edge");
        HttpResponse<String> refused = post("stories", "cloud", 8);
        assertThat(refused.statusCode()).isEqualTo(403);
        double q8 = quality("edge1", "stories");
        double q4 = quality("dev1", "stories");
        assertThat(q8).as("the edge's Q8_0 ranks above the device's Q4_K_M").isGreaterThan(q4);
        assertThat(puhui(planeHome, "tenant", "set", "local", "--tiers", "device,edge", "--min-quality",
                String.valueOf(q8)).exit()).isZero();
        assertThat(route(post("stories", "any", 8))).startsWith("edge:edge1/stories-q8_0");
        assertThat(puhui(planeHome, "tenant", "rm", "local").exit()).isZero();
        assertThat(route(post("stories", "cloud", 8))).startsWith("cloud:this server/stories");
    }

    @Test
    @Order(2)
    void theCascadeKeepsConfidentAnswersOnTheDeviceAndEscalatesTheRestToTheCloud() throws Exception {
        // the edge node drained (with the CLI) so that the device is the small variant, whatever speeds were measured
        String edgeId = node("edge1").path("id").asText();
        CliProcessIT.Result drained = puhui(tmp.resolve("plane"), "node", "drain", edgeId);
        assertThat(drained.exit()).as(drained.err()).isZero();
        await("edge1", n -> n.path("state").asText().equals("DRAINING"), "edge1 draining");
        for (boolean stream : new boolean[] {false, true}) {
            String head = "{\"model\":\"stories\",\"max_tokens\":16,\"temperature\":0,\"stream\":" + stream
                    + ",\"messages\":[{\"role\":\"user\",\"content\":";
            HttpResponse<String> kept = plane.post("/v1/chat/completions", head + Json.write(sure) + "}]}");
            assertThat(kept.statusCode()).as(kept.body()).isEqualTo(200);
            assertThat(kept.headers().firstValue("x-puhui-cascade").orElseThrow()).startsWith("kept:");
            assertThat(route(kept)).startsWith("device:dev1/stories-q4_k_m");
            HttpResponse<String> escalated = plane.post("/v1/chat/completions", head + Json.write(unsure) + "}]}");
            assertThat(escalated.statusCode()).as(escalated.body()).isEqualTo(200);
            assertThat(escalated.headers().firstValue("x-puhui-cascade").orElseThrow()).startsWith("escalated:");
            assertThat(route(escalated)).isEqualTo("cloud:this server/stories (escalated)");
            if (stream) {
                assertThat(kept.body()).endsWith("data: [DONE]\n\n").doesNotContain("\"logprob\"");
                assertThat(escalated.body()).endsWith("data: [DONE]\n\n");
            } else {
                assertThat(kept.body()).contains("\"logprobs\":null");
            }
        }
        JsonNode recent = Json.MAPPER.readTree(plane.get("/api/routes/recent?limit=4").body());
        assertThat(recent.findValuesAsText("reason")).containsExactly("escalated from dev1/stories-q4_k_m",
                "kept on dev1/stories-q4_k_m", "escalated from dev1/stories-q4_k_m", "kept on dev1/stories-q4_k_m");
        assertThat(recent.get(0).path("target").asText()).isEqualTo("this server/stories");
        // the share of tokens each tier served is a metric
        String metrics = plane.get("/metrics").body();
        assertThat(metrics).containsPattern("puhui_tokens_served_total\\{model=\"stories\",tier=\"device\"} [1-9]")
                .containsPattern("puhui_tokens_served_total\\{model=\"stories\",tier=\"cloud\"} [1-9]")
                .contains("puhui_cascade_decisions_total{model=\"stories\",outcome=\"escalated\"} 2.0");
        CliProcessIT.Result resumed = puhui(tmp.resolve("plane"), "node", "resume", edgeId);
        assertThat(resumed.exit()).as(resumed.err()).isZero();
        assertThat(puhui(tmp.resolve("plane"), "node", "resume", edgeId).err()).contains("no draining node");
        // the two variants of 'slow' have the same quality: nothing to escalate to, so no cascade
        assertThat(post("slow", null, 2).headers().firstValue("x-puhui-cascade")).isEmpty();
    }

    @Test
    @Order(3)
    void aGameOnTheDeviceStopsNewWorkReachingItWithinAHeartbeat() throws Exception {
        assertThat(route(post("slow", null, 2))).as("the device is the cheapest home of 'slow'").startsWith("device:dev1/slow");
        await("dev1", n -> n.path("instances").findValuesAsText("loaded").contains("true"), "'slow' loaded on the device");
        Path game = tmp.resolve("puhuitestgame");
        Files.copy(Path.of("/bin/sleep"), game);
        game.toFile().setExecutable(true);
        Process g = new ProcessBuilder(game.toString(), "60").start();
        try {
            long started = System.nanoTime();
            JsonNode dev = await("dev1", n -> n.path("scene").asText().equals("GAMING"), "the device to report GAMING");
            double seconds = (System.nanoTime() - started) / 1e9;
            assertThat(dev.path("scene_reason").asText()).contains("puhuitestgame");
            assertThat(seconds).as("one heartbeat (0.5 s) after the game started, with slack").isLessThan(3.0);
            assertThat(node("edge1").path("scene").asText()).isNotEqualTo("GAMING");
            // the game gets the memory back: the device unloads its idle models
            await("dev1", n -> n.path("instances").findValuesAsText("loaded").stream().noneMatch("true"::equals),
                    "the device to unload its models");
            assertThat(route(post("slow", null, 2))).startsWith("edge:edge1/slow");
            HttpResponse<String> devOnly = post("slow", "device", 2);
            assertThat(devOnly.statusCode()).isEqualTo(503);
            assertThat(devOnly.body()).contains("on nodes in scene GAMING");
        } finally {
            g.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        await("dev1", n -> !n.path("scene").asText().equals("GAMING"), "the device to leave GAMING");
    }

    @Test
    @Order(4)
    void anEndpointServesTheCloudTierBesideTheNodesAndOneThatDiesLosesNoRequest() throws Exception {
        Path planeHome = tmp.resolve("plane");
        Path upstreamHome = Files.createDirectories(tmp.resolve("upstream"));
        String id;
        try (ServeProcess upstream = ServeProcess.start(upstreamHome, "--model", SharedData.stories260K().toString(),
                "--name", "stories-f32", "--threads", "1")) {
            CliProcessIT.Result added = puhui(planeHome, "endpoint", "add", "stories", "--tier", "cloud", "--url",
                    upstream.baseUrl + "/v1", "--model", "stories-f32");
            assertThat(added.exit()).as(added.err()).isZero();
            Matcher m = Pattern.compile("Added endpoint (ep_\\w+)").matcher(added.out());
            assertThat(m.find()).as(added.out()).isTrue();
            id = m.group(1);
            // the plane picks it up at its next check (every 10 s); in the cloud it is cheaper than the plane's own file
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
            String last = "";
            while (System.nanoTime() < deadline && !last.startsWith("cloud:endpoint " + id)) {
                last = route(post("stories", "cloud", 8));
                Thread.sleep(250);
            }
            assertThat(last).startsWith("cloud:endpoint " + id + "/stories-f32");
            ChatCompletion viaSdk = client.chat().completions().create(ask("stories", "cloud", 8).build());
            assertThat(viaSdk.usage().orElseThrow().completionTokens()).isPositive();
        }
        // The endpoint is gone: the next request finds it dead, and is served by the plane's own cloud variant;
        // the endpoint is left out from then on, without waiting for its next check.
        HttpResponse<String> first = post("stories", "cloud", 8);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        assertThat(route(first)).startsWith("cloud:this server/stories").contains("retried after 1 failed instance(s)");
        HttpResponse<String> next = post("stories", "cloud", 8);
        assertThat(route(next)).startsWith("cloud:this server/stories").doesNotContain("retried");
        assertThat(puhui(planeHome, "endpoint", "remove", id).exit()).isZero();
    }

    @Test
    @Order(5)
    void killingAnAgentLosesNoRequest() throws Exception {
        int sent = 0;
        int answered = 0;
        int endedWithError = 0;
        // Mid-stream: the device dies after the client has three chunks; the stream ends with an error event.
        // With 20 alternatives per token the answer (~500 KB) is larger than a stream's window, so however fast
        // the device is, it cannot have handed over the whole answer by then.
        List<String> seen = new ArrayList<>();
        sent++;
        try {
            try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(ask("stories", "device", 400)
                    .logprobs(true).topLogprobs(20).putAdditionalBodyProperty("ignore_eos", JsonValue.from(true)).build())) {
                s.stream().forEach(ch -> {
                    seen.add(ch.id());
                    if (seen.size() == 3) {
                        device.destroyForcibly();
                    }
                });
            }
            answered++;
        } catch (RuntimeException e) {
            assertThat(e).hasMessageContaining("stopped in the middle of the answer");
            endedWithError++;
        }
        assertThat(endedWithError).as("the cut stream told its client").isEqualTo(1);
        assertThat(seen).hasSizeGreaterThanOrEqualTo(3).hasSizeLessThan(400);
        device.waitFor(10, TimeUnit.SECONDS);

        // Between requests: the node is lost at once (its socket closed) and the next requests go elsewhere.
        await("dev1", n -> n.path("state").asText().equals("LOST"), "the device to be lost");
        for (int i = 0; i < 8; i++) {
            sent++;
            HttpResponse<String> r = post("slow", null, 4);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(route(r)).startsWith("edge:edge1/slow");
            answered++;
        }

        // Before any answer: a whole (non-streamed) answer in the making on the device when it dies is made again
        // on the edge node, and the client sees only the answer.
        device = agent(deviceHome, deviceToken, "dev1", tmp.resolve("models/stories-q4_k_m.gguf"));
        await("dev1", n -> n.path("state").asText().equals("READY") && n.path("instances").size() == 2
                && !n.path("scene").asText().equals("GAMING"), "the device back");
        assertThat(route(post("slow", null, 2))).startsWith("device:dev1/slow");
        sent++;
        var pending = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return plane.post("/v1/chat/completions", "{\"model\":\"slow\",\"messages\":[{\"role\":\"user\",\"content\":"
                        + "\"Once upon a time\"}],\"max_tokens\":600,\"ignore_eos\":true,\"temperature\":0}");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        await("dev1", n -> n.path("streams").asInt() == 1, "the request to reach the device");
        device.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        HttpResponse<String> retried = pending.get(180, TimeUnit.SECONDS);
        assertThat(retried.statusCode()).as(retried.body()).isEqualTo(200);
        assertThat(route(retried)).startsWith("edge:edge1/slow").contains("retried after 1 failed instance(s)");
        assertThat(Json.MAPPER.readTree(retried.body()).path("usage").path("completion_tokens").asInt()).isEqualTo(600);
        answered++;

        assertThat(answered + endedWithError).as("every request was answered or told why not").isEqualTo(sent);
        String metrics = plane.get("/metrics").body();
        assertThat(metrics).contains("puhui_requests_routed_total");
    }
}
