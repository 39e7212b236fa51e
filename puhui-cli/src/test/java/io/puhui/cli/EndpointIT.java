package io.puhui.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.puhui.engine.SharedData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An OpenAI-compatible endpoint as a variant of a logical model: a second `serve` plays the cloud server. The
 * official SDK, unchanged, gets the endpoint's answers through the plane under the logical name, streamed and
 * not; an endpoint that does not answer is reported unhealthy and not used; its key is not stored in clear.
 */
class EndpointIT {

    @TempDir
    Path tmp;

    @Test
    void theSdkReachesAnEndpointThroughThePlaneAndADeadOneIsNotUsed() throws Exception {
        Path upstreamHome = Files.createDirectories(tmp.resolve("upstream"));
        Path home = Files.createDirectories(tmp.resolve("plane"));
        String model = SharedData.stories260K().toString();
        try (ServeProcess upstream = ServeProcess.start(upstreamHome, "--model", model, "--name", "stories")) {
            CliProcessIT.Result add = CliProcessIT.run(ServeProcess.java(home, "endpoint", "add", "tales", "--tier", "cloud",
                    "--url", upstream.baseUrl + "/v1", "--model", "stories", "--key", "upstream-key-0451"), Map.of("PUHUI_HOME", home.toString()));
            assertThat(add.exit()).as(add.err()).isZero();
            assertThat(add.out()).contains("'tales' at tier cloud").contains("key stored encrypted").contains("healthy");
            CliProcessIT.Result dead = CliProcessIT.run(ServeProcess.java(home, "endpoint", "add", "ghost", "--url",
                    "http://127.0.0.1:9/v1", "--model", "x"), Map.of("PUHUI_HOME", home.toString()));
            assertThat(dead.out()).contains("Unhealthy, does not answer");
            try (ServeProcess plane = ServeProcess.start(home, "--model", model, "--name", "local")) {
                OpenAIClient direct = OpenAIOkHttpClient.builder().baseUrl(upstream.baseUrl + "/v1").apiKey("none").maxRetries(0).build();
                OpenAIClient pool = OpenAIOkHttpClient.builder().baseUrl(plane.baseUrl + "/v1").apiKey("none").maxRetries(0).build();
                try {
                    ChatCompletionCreateParams.Builder p = ChatCompletionCreateParams.builder().addUserMessage("Once upon a time")
                            .maxCompletionTokens(24).temperature(0.0);
                    String expected = direct.chat().completions().create(p.model("stories").build()).choices().get(0)
                            .message().content().orElseThrow();
                    String viaPool = pool.chat().completions().create(p.model("tales").build()).choices().get(0)
                            .message().content().orElseThrow();
                    assertThat(viaPool).isEqualTo(expected);
                    String streamed;
                    try (StreamResponse<ChatCompletionChunk> s = pool.chat().completions().createStreaming(p.model("tales").build())) {
                        streamed = s.stream().flatMap(ch -> ch.choices().stream()).map(c -> c.delta().content().orElse(""))
                                .collect(Collectors.joining());
                    }
                    assertThat(streamed).isEqualTo(expected);
                    assertThat(pool.models().list().data()).anyMatch(m -> m.id().equals("tales"));
                    var route = plane.post("/v1/chat/completions", "{\"model\":\"tales\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":3}");
                    assertThat(route.headers().firstValue("x-puhui-route")).hasValueSatisfying(v -> assertThat(v).startsWith("cloud:endpoint ep_").contains("/stories (cheapest of 1; est "));
                    // a streamed answer's usage is asked of the endpoint for the usage record, and the usage chunk
                    // reaches only a client that asked for it
                    String ask = "{\"model\":\"tales\",\"stream\":true,\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
                    String plain = plane.post("/v1/chat/completions", ask + "}").body();
                    assertThat(plain).doesNotContain("\"choices\":[]").doesNotContain("\"usage\":{").endsWith("data: [DONE]\n\n");
                    String withUsage = plane.post("/v1/chat/completions", ask + ",\"stream_options\":{\"include_usage\":true}}").body();
                    assertThat(withUsage).contains("\"completion_tokens\":5").endsWith("data: [DONE]\n\n");
                    assertThatThrownBy(() -> pool.chat().completions().create(p.model("ghost").build()))
                            .hasMessageContaining("no endpoint of 'ghost' is healthy");
                } finally {
                    direct.close();
                    pool.close();
                }
            }
        }
        for (Path f : Files.list(home).toList()) {
            if (Files.isRegularFile(f) && f.getFileName().toString().startsWith("puhui")) {
                assertThat(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1)).doesNotContain("upstream-key-0451");
            }
        }
    }

    /** The text of a chat completion stream: its deltas' contents, joined. */
    static String sseText(String sse) throws Exception {
        StringBuilder text = new StringBuilder();
        for (String line : sse.split("\n")) {
            if (line.startsWith("data: {")) {
                var chunk = io.puhui.server.api.Json.MAPPER.readTree(line.substring(6));
                for (var c : chunk.path("choices")) {
                    text.append(c.path("delta").path("content").asText(""));
                }
            }
        }
        return text.toString();
    }

    static double meanProbability(ServeProcess serve, String prompt) throws Exception {
        var r = serve.post("/v1/chat/completions", "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":"
                + io.puhui.server.api.Json.write(prompt) + "}],\"max_tokens\":16,\"temperature\":0,\"logprobs\":true}");
        var lp = io.puhui.server.api.Json.MAPPER.readTree(r.body()).path("choices").path(0).path("logprobs").path("content");
        double sum = 0;
        for (var t : lp) {
            sum += t.path("logprob").asDouble();
        }
        return Math.exp(sum / lp.size());
    }

    /**
     * The router and the cascade in the request path: the local file is the small (edge) variant, a second
     * `serve` the cloud endpoint of the same model. Locality headers pick the tier; with --cascade the small
     * variant answers first and a low-confidence answer is escalated while a confident one is kept.
     */
    @Test
    void localityHeadersRouteAndTheCascadeKeepsConfidentAnswersAndEscalatesTheRest() throws Exception {
        Path upstreamHome = Files.createDirectories(tmp.resolve("upstream"));
        Path home = Files.createDirectories(tmp.resolve("plane"));
        String model = SharedData.stories260K().toString();
        try (ServeProcess upstream = ServeProcess.start(upstreamHome, "--model", model, "--name", "stories")) {
            // The same weights answer on both sides, so the small variant's confidence can be measured here.
            java.util.List<String> prompts = java.util.List.of("Once upon a time", "Lily and Tom", "The cat sat", "Hello",
                    "zebra quantum", "Tom had a red ball", "a", "She said");
            java.util.Map<String, Double> conf = new java.util.LinkedHashMap<>();
            for (String p : prompts) {
                conf.put(p, meanProbability(upstream, p));
            }
            String sure = conf.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
            String unsure = conf.entrySet().stream().min(Map.Entry.comparingByValue()).orElseThrow().getKey();
            assertThat(conf.get(sure) - conf.get(unsure)).as("prompts must differ in confidence: " + conf).isGreaterThan(0.005);
            double threshold = (conf.get(sure) + conf.get(unsure)) / 2;
            CliProcessIT.Result add = CliProcessIT.run(ServeProcess.java(home, "endpoint", "add", "stories", "--tier", "cloud",
                    "--url", upstream.baseUrl + "/v1", "--model", "stories"), Map.of("PUHUI_HOME", home.toString()));
            assertThat(add.exit()).as(add.err()).isZero();
            // the local file plays the family's small model: its declared quality is below the endpoint's
            try (ServeProcess plane = ServeProcess.start(home, "--model", model, "--name", "stories", "--tier", "edge",
                    "--quality", "0.8", "--cascade", "--cascade-mean", Double.toString(threshold), "--cascade-min", "0.0001")) {
                String body = "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],\"max_tokens\":8}";
                var cloud = plane.post("/v1/chat/completions", body, "x-puhui-locality", "cloud");
                assertThat(cloud.statusCode()).isEqualTo(200);
                assertThat(cloud.headers().firstValue("x-puhui-route").orElseThrow()).startsWith("cloud:endpoint ep_");
                var edge = plane.post("/v1/chat/completions", body, "x-puhui-locality", "edge");
                assertThat(edge.statusCode()).isEqualTo(200);
                assertThat(edge.headers().firstValue("x-puhui-route").orElseThrow()).startsWith("edge:this server/stories");
                assertThat(edge.headers().firstValue("x-puhui-cascade")).as("no larger variant within edge").isEmpty();
                var device = plane.post("/v1/chat/completions", body, "x-puhui-locality", "device");
                assertThat(device.statusCode()).isEqualTo(503);
                assertThat(device.body()).contains("outside the requested locality");
                var moon = plane.post("/v1/chat/completions", body, "x-puhui-locality", "moon");
                assertThat(moon.statusCode()).isEqualTo(400);
                assertThat(moon.body()).contains("x-puhui-locality must be device, edge, cloud or any");

                var kept = plane.post("/v1/chat/completions", "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":"
                        + io.puhui.server.api.Json.write(sure) + "}],\"max_tokens\":16,\"temperature\":0}");
                assertThat(kept.statusCode()).isEqualTo(200);
                assertThat(kept.headers().firstValue("x-puhui-cascade").orElseThrow()).startsWith("kept:");
                assertThat(kept.body()).contains("\"logprobs\":null");
                var escalated = plane.post("/v1/chat/completions", "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":"
                        + io.puhui.server.api.Json.write(unsure) + "}],\"max_tokens\":16,\"temperature\":0}");
                assertThat(escalated.statusCode()).isEqualTo(200);
                assertThat(escalated.headers().firstValue("x-puhui-cascade").orElseThrow()).startsWith("escalated:");
                assertThat(escalated.headers().firstValue("x-puhui-route").orElseThrow()).endsWith("(escalated)");
                // Streamed: the first tokens are held back until the decision, then the chosen stream flows.
                var keptStream = plane.post("/v1/chat/completions", "{\"model\":\"stories\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":"
                        + io.puhui.server.api.Json.write(sure) + "}],\"max_tokens\":16,\"temperature\":0}");
                assertThat(keptStream.headers().firstValue("x-puhui-cascade").orElseThrow()).startsWith("kept:").contains("tokens of the stream");
                assertThat(keptStream.body()).doesNotContain("\"logprob\"").endsWith("data: [DONE]\n\n");
                assertThat(sseText(keptStream.body())).isEqualTo(io.puhui.server.api.Json.MAPPER.readTree(kept.body())
                        .path("choices").path(0).path("message").path("content").asText());
                var escalatedStream = plane.post("/v1/chat/completions", "{\"model\":\"stories\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":"
                        + io.puhui.server.api.Json.write(unsure) + "}],\"max_tokens\":16,\"temperature\":0}");
                assertThat(escalatedStream.headers().firstValue("x-puhui-cascade").orElseThrow()).startsWith("escalated:");
                assertThat(sseText(escalatedStream.body())).isEqualTo(io.puhui.server.api.Json.MAPPER.readTree(escalated.body())
                        .path("choices").path(0).path("message").path("content").asText());

                var recent = io.puhui.server.api.Json.MAPPER.readTree(plane.get("/api/routes/recent?limit=5").body());
                assertThat(recent).hasSize(5);
                assertThat(recent.get(0).path("cascade").asText()).startsWith("escalated:");
                assertThat(recent.get(1).path("cascade").asText()).startsWith("kept:");
                assertThat(recent.get(2).path("cascade").asText()).startsWith("escalated:");
                assertThat(recent.get(2).path("tier").asText()).isEqualTo("cloud");
                assertThat(recent.get(2).path("request_id").asText()).isEqualTo(escalated.headers().firstValue("x-request-id").orElseThrow());
                assertThat(recent.get(3).path("cascade").asText()).startsWith("kept:");
                assertThat(recent.get(3).path("tier").asText()).isEqualTo("edge");
                assertThat(plane.get("/api/routes/recent?limit=0").statusCode()).isEqualTo(400);
                String metrics = plane.get("/metrics").body();
                assertThat(metrics).contains("puhui_cascade_decisions_total{model=\"stories\",outcome=\"kept\"} 2.0")
                        .contains("puhui_cascade_decisions_total{model=\"stories\",outcome=\"escalated\"} 2.0");
                // Restart mode: the small variant's tokens flow at once; an escalation event restarts the stream.
                String restartBody = "{\"model\":\"stories\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":"
                        + io.puhui.server.api.Json.write(unsure) + "}],\"max_tokens\":16,\"temperature\":0}";
                var restarted = plane.post("/v1/chat/completions", restartBody, "x-puhui-cascade-mode", "restart");
                assertThat(restarted.statusCode()).isEqualTo(200);
                String[] parts = restarted.body().split("event: escalation\n", -1);
                assertThat(parts).as("one escalation event").hasSize(2);
                assertThat(parts[0]).as("the small variant's first tokens went out").contains("data: {");
                assertThat(parts[1]).startsWith("data: {\"type\":\"escalation\"").contains("cloud:endpoint ep_")
                        .endsWith("data: [DONE]\n\n");
                assertThat(sseText(parts[1].substring(parts[1].indexOf("\n\n") + 2)))
                        .isEqualTo(io.puhui.server.api.Json.MAPPER.readTree(escalated.body())
                                .path("choices").path(0).path("message").path("content").asText());
                var keptRestart = plane.post("/v1/chat/completions", restartBody.replace(io.puhui.server.api.Json.write(unsure),
                        io.puhui.server.api.Json.write(sure)), "x-puhui-cascade-mode", "restart");
                assertThat(keptRestart.body()).doesNotContain("event: escalation").endsWith("data: [DONE]\n\n");
                assertThat(sseText(keptRestart.body())).isEqualTo(io.puhui.server.api.Json.MAPPER.readTree(kept.body())
                        .path("choices").path(0).path("message").path("content").asText());
                assertThat(plane.post("/v1/chat/completions", restartBody, "x-puhui-cascade-mode", "later").statusCode())
                        .isEqualTo(400);

            }
            // Every answered request (the 503 and the 400 were refused before) left a usage record with its
            // tokens, relayed or kept, streamed or not.
            try (Store store = Store.open(home, null)) {
                var records = store.db.usage().recent(100);
                assertThat(records).hasSize(8).allSatisfy(u -> {
                    assertThat(u.status()).isEqualTo(200);
                    assertThat(u.completionTokens()).isPositive();
                });
                assertThat(records).filteredOn(u -> u.completionTokens() == 16).hasSize(6);
            }
        }
    }
}
