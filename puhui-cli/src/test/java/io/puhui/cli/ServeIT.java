// `puhui serve` end to end: a real serve process, real worker processes, the official OpenAI SDK as the client.
package io.puhui.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.models.ResponseFormatJsonObject;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import io.puhui.engine.SharedData;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServeIT {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path home;
    static ServeProcess serve;
    static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        serve = ServeProcess.start(home, "--model", SharedData.stories260K().toString(), "--name", "stories",
                "--slots", "8", "--ctx", "256", "--max-body", "20000", "--threads", "2");
        client = OpenAIOkHttpClient.builder().baseUrl(serve.baseUrl + "/v1").apiKey("none").maxRetries(0).build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (serve != null) {
            serve.close();
        }
    }

    static String generate(String prompt, int n) throws Exception {
        CliProcessIT.Result r = CliProcessIT.puhui("generate", "--model", SharedData.stories260K().toString(),
                "--prompt", prompt, "-n", Integer.toString(n), "--temp", "0", "--threads", "1");
        assertThat(r.exit()).as(r.err()).isZero();
        return r.out().substring(prompt.length(), r.out().length() - 1);
    }

    static String stream(String prompt, int maxTokens, long seed, double temperature) {
        StringBuilder sb = new StringBuilder();
        try (StreamResponse<com.openai.models.completions.Completion> s = client.completions().createStreaming(
                CompletionCreateParams.builder().model("stories").prompt(prompt).maxTokens(maxTokens)
                        .temperature(temperature).seed(seed).build())) {
            s.stream().forEach(c -> c.choices().forEach(ch -> sb.append(ch.text())));
        }
        return sb.toString();
    }

    @Test
    void greedyCompletionEqualsTheEnginesGenerateCommand() throws Exception {
        Completion c = client.completions().create(CompletionCreateParams.builder().model("stories")
                .prompt("Once upon a time").maxTokens(48).temperature(0.0).build());
        // the engine's text, then the visible label every answer carries
        assertThat(c.choices().get(0).text()).isEqualTo(generate("Once upon a time", 48) + ServeProcess.LABEL)
                .isEqualTo(CliProcessIT.STORIES_48 + ServeProcess.LABEL);
        assertThat(c.usage().orElseThrow().promptTokens()).isEqualTo(5);
        assertThat(c.usage().orElseThrow().completionTokens()).isEqualTo(48);
    }

    @Test
    void chatWholeStreamedLogprobsAndJson() throws Exception {
        ChatCompletionCreateParams p = ChatCompletionCreateParams.builder().model("stories")
                .addSystemMessage("You tell stories.").addUserMessage("A story about a cat, please.")
                .maxCompletionTokens(30).temperature(0.0).logprobs(true).topLogprobs(2).build();
        ChatCompletion whole = client.chat().completions().create(p);
        String text = whole.choices().get(0).message().content().orElseThrow();
        assertThat(whole.choices().get(0).logprobs().orElseThrow().content().orElseThrow()).hasSize(30);
        assertThat(whole.usage().orElseThrow().completionTokens()).isEqualTo(30);

        StringBuilder streamed = new StringBuilder();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(p.toBuilder()
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            s.stream().forEach(ch -> {
                chunks.add(ch);
                ch.choices().forEach(c -> c.delta().content().ifPresent(streamed::append));
            });
        }
        assertThat(streamed.toString()).isEqualTo(text);
        assertThat(chunks.get(chunks.size() - 1).usage().orElseThrow().completionTokens()).isEqualTo(30);

        ChatCompletion j = client.chat().completions().create(ChatCompletionCreateParams.builder().model("stories")
                .addUserMessage("Describe Lily as JSON").maxCompletionTokens(48).temperature(1.0).seed(11)
                .responseFormat(ResponseFormatJsonObject.builder().build()).build());
        String json = j.choices().get(0).message().content().orElseThrow();
        assertThat(JSON.readTree(json).isObject()).as(json).isTrue();
    }

    @Test
    void thirtyTwoConcurrentStreamsEachGetTheirOwnText() throws Exception {
        String[] prompts = {"Once upon a time", "The cat sat", "Lily had a ball", "One day, Tom"};
        List<String> alone = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            alone.add(stream(prompts[i % 4], 20 + i % 7, 100 + i, i % 2 == 0 ? 0.0 : 0.9));
        }
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<String>> together = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                int k = i;
                together.add(pool.submit((Callable<String>) () -> stream(prompts[k % 4], 20 + k % 7, 100 + k,
                        k % 2 == 0 ? 0.0 : 0.9)));
            }
            for (int i = 0; i < 32; i++) {
                assertThat(together.get(i).get(120, TimeUnit.SECONDS)).as("stream %d", i).isEqualTo(alone.get(i));
            }
        }
    }

    @Test
    void aKilledWorkerIsReplacedAndAStreamCutByItEndsWithAnErrorEvent() throws Exception {
        stream("Once upon a time", 4, 1, 0.0); // the worker is up
        killWorker();
        assertThat(stream("Once upon a time", 8, 1, 0.0)).isEqualTo(stream("Once upon a time", 8, 1, 0.0));

        List<String> seen = new ArrayList<>();
        assertThatThrownBy(() -> {
            try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(
                    ChatCompletionCreateParams.builder().model("stories").addUserMessage("Tell a long story")
                            .maxCompletionTokens(200).temperature(0.0)
                            .putAdditionalBodyProperty("ignore_eos", JsonValue.from(true)).build())) {
                s.stream().forEach(ch -> {
                    ch.choices().forEach(c -> c.delta().content().ifPresent(seen::add));
                    if (seen.size() == 3) {
                        killWorker();
                    }
                });
            }
        }).hasMessageContaining("worker stopped in the middle of the answer");
        assertThat(seen).hasSizeGreaterThanOrEqualTo(3);
        assertThat(stream("Once upon a time", 8, 1, 0.0)).isNotEmpty();
    }

    static void killWorker() {
        try {
            JsonNode h = JSON.readTree(serve.get("/health").body());
            long pid = h.path("workers").get(0).path("pid").asLong();
            ProcessHandle ph = ProcessHandle.of(pid).orElseThrow();
            ph.destroyForcibly();
            ph.onExit().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void badRequestsGetTheirStatusAndAClearMessage() throws Exception {
        assertError(serve.post("/v1/chat/completions", "{\"model\": \"stories\", \"messages\": [}"), 400,
                "not valid JSON");
        assertError(serve.post("/v1/chat/completions", "{\"model\": \"gpt-9\", \"messages\": [{\"role\": \"user\", "
                + "\"content\": \"hi\"}]}"), 404, "'gpt-9' does not exist");
        assertError(serve.post("/v1/chat/completions", "{\"model\": \"stories\"}"), 400, "'messages' is required");
        assertError(serve.post("/v1/chat/completions", "{\"model\": \"stories\", \"messages\": [{\"role\": \"user\", "
                + "\"content\": \"hi\"}], \"max_tokens\": 100000}"), 400, "maximum context length is 256 tokens");
        assertError(serve.post("/v1/completions", "{\"model\": \"stories\", \"prompt\": \"" + "x".repeat(30000)
                + "\"}"), 413, "larger than the limit");
        assertError(serve.post("/v1/chat/completions", "{\"model\": \"stories\", \"messages\": [{\"role\": \"user\", "
                + "\"content\": \"hi\"}], \"temperature\": \"hot\"}"), 400, "'temperature' must be a number");
    }

    static void assertError(HttpResponse<String> r, int status, String message) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode e = JSON.readTree(r.body()).path("error");
        assertThat(e.path("message").asText()).contains(message);
        assertThat(e.has("type")).isTrue();
    }

    @Test
    void modelsHealthAndMetrics() throws Exception {
        assertThat(client.models().list().data()).extracting(m -> m.id()).contains("stories");
        assertThat(client.models().retrieve("stories").id()).isEqualTo("stories");
        stream("Once upon a time", 4, 1, 0.0);
        String metrics = serve.get("/metrics").body();
        assertThat(metrics).contains("puhui_request_duration_seconds_bucket", "puhui_time_to_first_token_seconds",
                "puhui_tokens_generated_total", "puhui_queue_depth", "puhui_models_loaded");
    }
}
