// The classifier stage between real servers: one Puhui serves its lexicon as an OpenAI moderation endpoint and a
// chat model; two others use it for what their own words miss — by moderation verdict, and by asking the model —
// and behave as told when it goes away (serve and record, or refuse to serve unchecked).
package io.puhui.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.puhui.engine.SharedData;
import io.puhui.server.api.Json;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassifierIT {
    @TempDir
    Path tmp;

    static String chat(String text) {
        return "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}],\"max_tokens\":4}";
    }

    static long completed(ServeProcess serve) throws Exception {
        JsonNode h = Json.MAPPER.readTree(serve.get("/health").body());
        if (h.path("workers").isEmpty()) {
            return 0;
        }
        String url = h.path("workers").path(0).path("url").asText();
        return Json.MAPPER.readTree(ServeProcess.HTTP.send(HttpRequest.newBuilder(URI.create(url + "/health")).build(),
                HttpResponse.BodyHandlers.ofString()).body()).path("completed").asLong();
    }

    @Test
    void anotherServersVerdictRefusesWhatTheLocalWordsMissAndItsAbsenceIsHandledAsConfigured() throws Exception {
        Path checkerHome = Files.createDirectories(tmp.resolve("checker/safety")).getParent();
        Files.writeString(checkerHome.resolve("safety/ops.tsv"), "violet unicorn\tfantasy-test\n");
        String model = SharedData.stories260K().toString();
        ServeProcess checker = ServeProcess.start(checkerHome, "--model", model, "--name", "stories", "--threads", "1");
        try (ServeProcess open = ServeProcess.start(Files.createDirectories(tmp.resolve("open")), "--model", model,
                "--name", "stories", "--threads", "1", "--safety-classifier", checker.baseUrl + "/v1");
             ServeProcess closed = ServeProcess.start(Files.createDirectories(tmp.resolve("closed")), "--model", model,
                     "--name", "stories", "--threads", "1", "--safety-classifier", checker.baseUrl + "/v1",
                     "--safety-classifier-api", "chat", "--safety-classifier-model", "stories",
                     "--safety-classifier-failure", "closed")) {
            // the checker's lexicon as OpenAI's moderation API
            HttpResponse<String> mod = checker.post("/v1/moderations", "{\"input\":[\"I saw a violet  unicorn\",\"hello\"]}");
            assertThat(mod.statusCode()).as(mod.body()).isEqualTo(200);
            JsonNode results = Json.MAPPER.readTree(mod.body()).path("results");
            assertThat(results.path(0).path("flagged").asBoolean()).isTrue();
            assertThat(results.path(0).path("categories").path("fantasy-test").asBoolean()).isTrue();
            assertThat(results.path(1).path("flagged").asBoolean()).isFalse();
            assertThat(checker.post("/v1/moderations", "{\"input\":42}").statusCode()).isEqualTo(400);

            // the open server's own lexicon knows nothing of violet unicorns; the classifier does
            HttpResponse<String> refused = open.post("/v1/chat/completions", chat("Tell me about the violet unicorn"));
            JsonNode r = Json.MAPPER.readTree(refused.body());
            assertThat(r.path("choices").path(0).path("message").path("refusal").isTextual()).as(refused.body()).isTrue();
            assertThat(r.path("safety").path("category").asText()).isEqualTo("fantasy-test");
            assertThat(open.post("/v1/chat/completions", chat("hello")).statusCode()).isEqualTo(200);

            // the chat-mode server asks the checker's model for a verdict (a story model says no UNSAFE); a classifier
            // is kept warm, as here, so that its worker's start does not count against the timeout
            assertThat(checker.post("/v1/chat/completions", chat("warm up")).statusCode()).isEqualTo(200);
            long before = completed(checker);
            HttpResponse<String> asked = closed.post("/v1/chat/completions", chat("hello"));
            assertThat(asked.statusCode()).as(asked.body()).isEqualTo(200);
            assertThat(completed(checker)).as("the checker's model was asked").isEqualTo(before + 1);

            checker.close();
            checker = null;
            HttpResponse<String> unchecked = open.post("/v1/chat/completions", chat("hello"));
            assertThat(unchecked.statusCode()).as("fail open: served, and recorded").isEqualTo(200);
            HttpResponse<String> refusedUnchecked = closed.post("/v1/chat/completions", chat("hello"));
            assertThat(refusedUnchecked.statusCode()).isEqualTo(503);
            assertThat(refusedUnchecked.body()).contains("did not answer").contains("serves nothing it could not check");
        } finally {
            if (checker != null) {
                checker.close();
            }
        }
        try (Store store = Store.open(tmp.resolve("open"), null)) {
            var all = new java.util.ArrayList<io.puhui.server.store.AuditLog.Entry>();
            store.db.auditLog().export(java.time.Instant.EPOCH, java.time.Instant.now().plusSeconds(1), all::add);
            assertThat(all).extracting(io.puhui.server.store.AuditLog.Entry::safety)
                    .anyMatch(x -> x.contains("fantasy-test") && x.contains("classifier:"))
                    .anyMatch(x -> x.contains("classifier-unavailable"));
        }
    }
}
