// Keys, exposure and back-pressure of `puhui serve` as separate real processes: 401 without a valid key, no
// binding beyond loopback without keys, 429 with Retry-After when a model's queue is full, usage in the database,
// and a client that hangs up frees its slot.
package io.puhui.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.puhui.engine.SharedData;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServeAccessIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String CHAT = "{\"model\": \"stories\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], "
            + "\"max_tokens\": 4}";

    @TempDir
    Path home;

    CliProcessIT.Result cli(String... args) throws Exception {
        return CliProcessIT.run(ServeProcess.java(home, args), Map.of("PUHUI_HOME", home.toString()));
    }

    @Test
    void keysAreRequiredOnceCreatedAndEveryRequestIsRecorded() throws Exception {
        CliProcessIT.Result created = cli("key", "create", "--name", "alice", "--tenant", "team-a");
        assertThat(created.exit()).as(created.err()).isZero();
        List<String> lines = created.out().lines().toList();
        String key = lines.get(lines.size() - 1);
        assertThat(key).startsWith("sk-puhui-");
        assertThat(cli("key", "list").out()).contains("alice", "team-a", "active").doesNotContain(key);

        try (ServeProcess serve = ServeProcess.start(home, "--model", SharedData.stories260K().toString(),
                "--name", "stories", "--threads", "1")) {
            HttpResponse<String> none = serve.post("/v1/chat/completions", CHAT);
            assertThat(none.statusCode()).isEqualTo(401);
            assertThat(JSON.readTree(none.body()).path("error").path("message").asText()).contains("missing API key");
            HttpResponse<String> wrong = serve.post("/v1/chat/completions", CHAT, "Authorization",
                    "Bearer sk-puhui-wrong");
            assertThat(wrong.statusCode()).isEqualTo(401);
            assertThat(serve.get("/health").body()).as("a refused request starts no model").contains("\"workers\":[]");
            // the store stays usable from other commands while serve holds it
            assertThat(cli("models").exit()).isZero();
            HttpResponse<String> ok = serve.post("/v1/chat/completions", CHAT, "Authorization", "Bearer " + key);
            assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
            assertThat(JSON.readTree(ok.body()).path("usage").path("completion_tokens").asInt()).isEqualTo(4);

            // Managing the pool takes an administrator's key: a user's key may use models, not drain nodes or
            // make join tokens.
            HttpResponse<String> asUser = ServeProcess.HTTP.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(serve.baseUrl + "/api/nodes")).header("Authorization", "Bearer " + key).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(asUser.statusCode()).isEqualTo(403);
            assertThat(asUser.body()).contains("puhui key create --name NAME --admin");
            CliProcessIT.Result userToken = cli("token", "create", "--tier", "edge", "--key", key);
            assertThat(userToken.exit()).isEqualTo(1);
            assertThat(userToken.err()).contains("answered 403").contains("administrator's key");
            CliProcessIT.Result admin = cli("key", "create", "--name", "ops", "--admin");
            String adminKey = admin.out().strip().lines().reduce((a, b) -> b).orElseThrow();
            assertThat(cli("key", "list").out()).containsPattern("ops\\s+ops\\s+\\S+\\s+admin\\s+active");
            CliProcessIT.Result token = cli("token", "create", "--tier", "edge", "--label", "边缘机房", "--key", adminKey);
            assertThat(token.exit()).as(token.err()).isZero();
            assertThat(token.out().strip().lines().reduce((a, b) -> b).orElseThrow()).startsWith("pjt-");
            assertThat(cli("token", "list", "--key", adminKey).out()).contains("edge", "active", "边缘机房");
            assertThat(cli("nodes", "--key", adminKey).out()).contains("(serve)");

            // A tenant's policy: the tiers its requests may run on. This server is an edge node; a tenant kept to
            // the cloud finds nothing here, one kept to device and edge is served, and says so in its route.
            String branch = "北京 分部";
            String bjKey = cli("key", "create", "--name", "bj", "--tenant", branch).out().strip().lines()
                    .reduce((a, b) -> b).orElseThrow();
            CliProcessIT.Result userSets = cli("tenant", "set", branch, "--tiers", "device,edge,cloud", "--key", bjKey);
            assertThat(userSets.exit()).isEqualTo(1);
            assertThat(userSets.err()).contains("answered 403");
            assertThat(cli("tenant", "set", branch, "--tiers", "cloud", "--key", adminKey).out())
                    .contains("Tenant 北京 分部 may use: cloud.");
            HttpResponse<String> nowhere = serve.post("/v1/chat/completions", CHAT, "Authorization", "Bearer " + bjKey);
            assertThat(nowhere.statusCode()).as(nowhere.body()).isEqualTo(503);
            assertThat(nowhere.body()).contains("on tiers the tenant may not use");
            HttpResponse<String> asked = serve.post("/v1/chat/completions", CHAT, "Authorization", "Bearer " + bjKey,
                    "x-puhui-locality", "edge");
            assertThat(asked.statusCode()).as(asked.body()).isEqualTo(403);
            assertThat(JSON.readTree(asked.body()).path("error").path("code").asText()).isEqualTo("tier_not_allowed");
            assertThat(JSON.readTree(asked.body()).path("error").path("message").asText())
                    .contains("tenant '北京 分部' may run requests on cloud only");
            HttpResponse<String> others = serve.post("/v1/chat/completions", CHAT, "Authorization", "Bearer " + key);
            assertThat(others.statusCode()).as("other tenants keep every tier").isEqualTo(200);
            assertThat(cli("tenant", "set", branch, "--tiers", "device,edge", "--min-quality", "0.5", "--key", adminKey)
                    .exit()).isZero();
            HttpResponse<String> served = serve.post("/v1/chat/completions", CHAT, "Authorization", "Bearer " + bjKey);
            assertThat(served.statusCode()).as(served.body()).isEqualTo(200);
            assertThat(served.headers().firstValue("x-puhui-route").orElse(""))
                    .contains("edge:this server").contains("tenant policy: device,edge, quality >= 0.5");
            assertThat(cli("tenant", "list", "--key", adminKey).out()).containsPattern("北京 分部\\s+device,edge\\s+0.50");
            CliProcessIT.Result badTier = cli("tenant", "set", branch, "--tiers", "moon", "--key", adminKey);
            assertThat(badTier.exit()).isEqualTo(2);
            assertThat(badTier.err()).contains("'moon' is not a tier");
            assertThat(cli("tenant", "rm", branch, "--key", adminKey).exit()).isZero();
            assertThat(cli("tenant", "list", "--key", adminKey).out()).doesNotContain(branch);
            assertThat(serve.post("/v1/chat/completions", CHAT, "Authorization", "Bearer " + bjKey,
                    "x-puhui-locality", "edge").statusCode()).isEqualTo(200);
        }
        assertThat(home.resolve("serve.url")).as("serve removed its address on the way out").doesNotExist();
        // the usage record was written with the caller's tenant
        try (Store store = Store.open(home, null)) {
            var totals = store.db.usage().totals("team-a");
            assertThat(totals.requests()).isEqualTo(2);
            assertThat(totals.completionTokens()).isEqualTo(8);
        }
        assertThat(cli("key", "revoke", "alice").exit()).isZero();
    }

    static String last(CliProcessIT.Result r) {
        assertThat(r.exit()).as(r.err()).isZero();
        return r.out().strip().lines().reduce((a, b) -> b).orElseThrow();
    }

    static String chat(String text) {
        return "{\"model\": \"stories\", \"messages\": [{\"role\": \"user\", \"content\": \"" + text + "\"}], "
                + "\"max_tokens\": 4}";
    }

    @Test
    void usersMustBeVerifiedMinorsGetStricterRulesAndALimitAndOnlyUsersWhoAcceptedTheTermsLoseTheLabel()
            throws Exception {
        String admin = last(cli("key", "create", "--name", "ops", "--admin"));
        String kidId = last(cli("user", "create", "--tenant", "school", "--name", "小明", "--minor"));
        String teacherId = last(cli("user", "create", "--tenant", "school", "--name", "王老师", "--verified"));
        String kid = last(cli("key", "create", "--name", "kid", "--user", kidId));
        String teacher = last(cli("key", "create", "--name", "teacher", "--user", teacherId));
        assertThat(cli("key", "create", "--name", "x", "--user", kidId, "--tenant", "other").err())
                .contains("belongs to tenant 'school'");
        assertThat(cli("user", "list").out()).contains(kidId, "小明", "school").contains(teacherId, "王老师");
        try (ServeProcess serve = ServeProcess.start(home, "--model", SharedData.stories260K().toString(),
                "--name", "stories", "--threads", "1")) {
            CliProcessIT.Result set = cli("tenant", "compliance", "school", "--require-verified", "true",
                    "--minor-daily-limit", "2", "--explicit-label", "off", "--key", admin);
            assertThat(set.exit()).as(set.err()).isZero();
            assertThat(set.out()).contains("verified users only").contains("minors 2 requests a day")
                    .contains("left out for users who accepted the terms");

            HttpResponse<String> unverified = serve.post("/v1/chat/completions", chat("hi"), "Authorization", "Bearer " + kid);
            assertThat(unverified.statusCode()).isEqualTo(403);
            assertThat(JSON.readTree(unverified.body()).path("error").path("message").asText())
                    .contains("puhui user set " + kidId + " --verified");
            assertThat(cli("user", "set", kidId, "--verified").out()).contains("verified, minor");
            assertThat(serve.post("/v1/chat/completions", chat("hi"), "Authorization", "Bearer " + kid).statusCode())
                    .isEqualTo(200);
            // the base lexicon's pornography entries only flag for adults, and refuse for minors
            String adultQuestion = chat("推荐几部成人小电影");
            HttpResponse<String> forKid = serve.post("/v1/chat/completions", adultQuestion, "Authorization", "Bearer " + kid);
            assertThat(JSON.readTree(forKid.body()).path("choices").path(0).path("message").path("refusal").isTextual()).isTrue();
            HttpResponse<String> forTeacher = serve.post("/v1/chat/completions", adultQuestion, "Authorization", "Bearer " + teacher);
            assertThat(JSON.readTree(forTeacher.body()).path("choices").path(0).path("message").path("refusal").isMissingNode()
                    || JSON.readTree(forTeacher.body()).path("choices").path(0).path("message").path("refusal").isNull()).isTrue();
            Thread.sleep(1000); // the audit records, which the daily limit counts, are written just after each answer
            HttpResponse<String> third = serve.post("/v1/chat/completions", chat("hi"), "Authorization", "Bearer " + kid);
            assertThat(third.statusCode()).isEqualTo(429);
            assertThat(third.headers().firstValue("Retry-After")).isPresent();
            assertThat(third.body()).contains("minor").contains("2 requests");

            // the teacher keeps the visible label until accepting the terms; the AIGC metadata stays either way
            JsonNode labelled = JSON.readTree(serve.post("/v1/chat/completions", chat("hi"), "Authorization",
                    "Bearer " + teacher).body());
            assertThat(labelled.path("choices").path(0).path("message").path("content").asText()).endsWith(ServeProcess.LABEL);
            assertThat(cli("user", "set", teacherId, "--accepted-label-terms").out()).contains("accepted the labelling terms");
            JsonNode waived = JSON.readTree(serve.post("/v1/chat/completions", chat("hi"), "Authorization",
                    "Bearer " + teacher).body());
            assertThat(waived.path("choices").path(0).path("message").path("content").asText()).doesNotContain("AI-generated");
            String produceId = waived.path("aigc").path("ProduceID").asText();
            assertThat(produceId).startsWith("pid-");
            var found = java.util.List.<io.puhui.server.store.AuditLog.Entry>of();
            for (int i = 0; i < 100 && found.isEmpty(); i++) {
                Thread.sleep(100);
                try (Store store = Store.open(home, null)) {
                    found = store.db.auditLog().byProduceId(produceId);
                }
            }
            {
                var record = found.get(0);
                assertThat(record.label()).isEqualTo("implicit only (user accepted the labelling terms)");
                assertThat(record.userId()).isEqualTo(teacherId);
            }
            assertThat(cli("tenant", "compliance", "school", "--key", admin).out()).contains("verified users only");
            // a tenant's own rules and label: the base lexicon's gambling entries refuse, the label leads in its words
            String gamblingQuestion = chat("彩票怎么买更容易中");
            assertThat(JSON.readTree(serve.post("/v1/chat/completions", gamblingQuestion, "Authorization",
                    "Bearer " + teacher).body()).path("choices").path(0).path("message").path("refusal").isTextual()).isFalse();
            CliProcessIT.Result rules = cli("tenant", "compliance", "school", "--block-categories", "gambling",
                    "--explicit-label", "on", "--label-text", "【人工智能生成】", "--label-position", "prefix", "--key", admin);
            assertThat(rules.out()).as(rules.err()).contains("also refused: gambling").contains("label '【人工智能生成】' at the prefix");
            assertThat(JSON.readTree(serve.post("/v1/chat/completions", gamblingQuestion, "Authorization",
                    "Bearer " + teacher).body()).path("choices").path(0).path("message").path("refusal").isTextual()).isTrue();
            String prefixed = JSON.readTree(serve.post("/v1/chat/completions", chat("hi"), "Authorization",
                    "Bearer " + teacher).body()).path("choices").path(0).path("message").path("content").asText();
            assertThat(prefixed).startsWith("【人工智能生成】\n\n");
            assertThat(cli("tenant", "compliance", "school", "--label-text", "no notice", "--key", admin).err())
                    .contains("人工智能生成 or AI-generated");
        }
    }

    @Test
    void keepAliveUnloadsAndTheMemoryBudgetIsKept() throws Exception {
        try (ServeProcess serve = ServeProcess.start(home, "--model", SharedData.stories260K().toString(),
                "--name", "stories", "--threads", "1")) {
            String once = "{\"model\": \"stories\", \"prompt\": \"Once\", \"max_tokens\": 2, \"keep_alive\": 0}";
            assertThat(serve.post("/v1/completions", once).statusCode()).isEqualTo(200);
            long deadline = System.currentTimeMillis() + 15_000;
            while (!serve.get("/health").body().contains("\"workers\":[]") && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            assertThat(serve.get("/health").body()).as("keep_alive 0 unloads at once").contains("\"workers\":[]");
            String stay = "{\"model\": \"stories\", \"prompt\": \"Once\", \"max_tokens\": 2, \"keep_alive\": \"10m\"}";
            assertThat(serve.post("/v1/completions", stay).statusCode()).isEqualTo(200);
            Thread.sleep(1500);
            assertThat(serve.get("/health").body()).contains("\"model\":\"stories\"");
        }
        try (ServeProcess serve = ServeProcess.start(home, "--model", SharedData.stories260K().toString(),
                "--name", "stories", "--memory-budget", "1")) {
            HttpResponse<String> r = serve.post("/v1/completions", "{\"model\": \"stories\", \"prompt\": \"a\"}");
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(JSON.readTree(r.body()).path("error").path("message").asText())
                    .contains("not enough memory to load 'stories'", "--memory-budget");
        }
    }

    @Test
    void bindingBeyondLoopbackNeedsAKey() throws Exception {
        CliProcessIT.Result r = cli("serve", "--host", "0.0.0.0", "--port", "0", "--model",
                SharedData.stories260K().toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("create an API key first with `puhui key create --name NAME`");
    }

    @Test
    void aFullQueueAnswers429WithRetryAfter() throws Exception {
        // a model slow enough (~25M parameters) that two requests of 400 tokens keep the slot and the queue busy
        Path slow = home.resolve("slow.gguf");
        assertThat(cli("random-model", "--shape", "llama-25m", "--type", "Q8_0", "-o", slow.toString()).exit()).isZero();
        try (ServeProcess serve = ServeProcess.start(home, "--model", slow.toString(), "--name", "slow",
                "--slots", "1", "--queue", "1", "--threads", "1")) {
            String longOne = "{\"model\": \"slow\", \"prompt\": \"Once\", \"max_tokens\": 400, \"ignore_eos\": true}";
            assertThat(serve.post("/v1/completions", "{\"model\": \"slow\", \"prompt\": \"a\", \"max_tokens\": 1}")
                    .statusCode()).isEqualTo(200); // worker up
            List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                inFlight.add(ServeProcess.HTTP.sendAsync(HttpRequest.newBuilder(URI.create(serve.baseUrl
                        + "/v1/completions")).POST(HttpRequest.BodyPublishers.ofString(longOne))
                        .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString()));
                Thread.sleep(300);
            }
            HttpResponse<String> third = serve.post("/v1/completions", longOne);
            assertThat(third.statusCode()).as(third.body()).isEqualTo(429);
            assertThat(third.headers().firstValue("Retry-After")).isPresent();
            JsonNode err = JSON.readTree(third.body()).path("error");
            assertThat(err.path("message").asText()).contains("queue of 1 is full");
            for (var f : inFlight) {
                assertThat(f.get().statusCode()).isEqualTo(200);
            }
        }
    }

    @Test
    void aClientThatHangsUpFreesItsSlotWhetherItAwaitsAWholeAnswerOrAStream() throws Exception {
        Path slow = home.resolve("slow.gguf");
        assertThat(cli("random-model", "--shape", "llama-25m", "--type", "Q8_0", "-o", slow.toString()).exit()).isZero();
        try (ServeProcess serve = ServeProcess.start(home, "--model", slow.toString(), "--name", "slow",
                "--slots", "1", "--queue", "4", "--threads", "1")) {
            assertThat(serve.post("/v1/completions", "{\"model\": \"slow\", \"prompt\": \"a\", \"max_tokens\": 1}")
                    .statusCode()).isEqualTo(200); // worker up
            URI base = URI.create(serve.baseUrl);
            for (boolean stream : new boolean[] {false, true}) {
                JsonNode before = worker(serve);
                // 1,500 tokens: seconds of work for this model, which only a hang-up ends early
                String body = "{\"model\": \"slow\", \"prompt\": \"Once\", \"max_tokens\": 1500, \"ignore_eos\": true, "
                        + "\"stream\": " + stream + "}";
                try (Socket socket = new Socket(base.getHost(), base.getPort())) {
                    OutputStream out = socket.getOutputStream();
                    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                    out.write(("POST /v1/completions HTTP/1.1\r\nHost: " + base.getAuthority()
                            + "\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    out.write(bytes);
                    out.flush();
                    if (stream) {
                        InputStream in = socket.getInputStream();
                        byte[] head = new byte[12];
                        assertThat(in.readNBytes(head, 0, head.length)).isEqualTo(head.length);
                        assertThat(new String(head, StandardCharsets.US_ASCII)).as(() -> {
                            try {
                                socket.setSoTimeout(2000);
                                return "the stream began: " + new String(in.readNBytes(600), StandardCharsets.UTF_8);
                            } catch (Exception e) {
                                return "the stream began: " + e;
                            }
                        }).isEqualTo("HTTP/1.1 200");
                    }
                    long deadline = System.currentTimeMillis() + 20_000;
                    while (worker(serve).path("busy").asInt() == 0 && System.currentTimeMillis() < deadline) {
                        Thread.sleep(20);
                    }
                    JsonNode during = worker(serve);
                    assertThat(during.path("busy").asInt()).as("stream " + stream + ": the request holds the slot: "
                            + during).isEqualTo(1);
                } // the client hangs up
                long deadline = System.currentTimeMillis() + 20_000;
                JsonNode after = worker(serve);
                while (after.path("busy").asInt() > 0 && System.currentTimeMillis() < deadline) {
                    Thread.sleep(20);
                    after = worker(serve);
                }
                assertThat(after.path("busy").asInt()).as("stream " + stream + ": the slot is free").isZero();
                assertThat(after.path("cancelled").asLong()).as("stream " + stream + ": its generation was stopped")
                        .isEqualTo(before.path("cancelled").asLong() + 1);
                assertThat(after.path("completed").asLong()).as("stream " + stream + ": it never completed")
                        .isEqualTo(before.path("completed").asLong());
            }
            // the next client is served at once
            assertThat(serve.post("/v1/completions", "{\"model\": \"slow\", \"prompt\": \"a\", \"max_tokens\": 2}")
                    .statusCode()).isEqualTo(200);
        }
    }

    /** The health of the serve's one worker: its busy slots and its completed and cancelled requests. */
    static JsonNode worker(ServeProcess serve) throws Exception {
        String url = JSON.readTree(serve.get("/health").body()).path("workers").path(0).path("url").asText();
        return JSON.readTree(ServeProcess.HTTP.send(HttpRequest.newBuilder(URI.create(url + "/health")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }
}
