// The worker's OpenAI API driven by the official OpenAI Java SDK over a real loopback socket.
package io.puhui.server.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.ResponseFormatJsonObject;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionTokenLogprob;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import io.puhui.engine.SharedData;
import io.puhui.engine.chat.ChatMessage;
import io.puhui.engine.chat.ChatTemplate;
import io.puhui.engine.generate.GenerationOptions;
import io.puhui.engine.generate.Generator;
import io.puhui.engine.model.Model;
import io.puhui.engine.sampling.SamplingParams;
import io.puhui.engine.tensor.ThreadTeam;
import io.puhui.engine.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class WorkerApiTest {
    static WorkerServer worker;
    static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        worker = WorkerServer.start(new WorkerConfig(SharedData.stories260K(), "stories", "127.0.0.1", 0, 2, 4, 16,
                512, 1 << 20, 60_000));
        client = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + worker.port() + "/v1").apiKey("unused")
                .maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        client.close();
        worker.close();
    }

    /** What the engine itself generates greedily, as `puhui generate` would. */
    static String engineGreedy(String prompt, boolean chat, int maxTokens) throws Exception {
        try (Model m = Model.load(SharedData.stories260K()); ThreadTeam team = new ThreadTeam(1)) {
            Tokenizer t = Tokenizer.fromMetadata(m.metadata());
            String text = chat ? ChatTemplate.fromMetadata(m.metadata()).render(List.of(ChatMessage.user(prompt)), true)
                    : prompt;
            boolean hasBos = t.bos() >= 0 && text.startsWith(t.piece(t.bos()));
            int[] tokens = t.encode(text, !hasBos, true);
            return new Generator(m, t, team, 512).generate(tokens, GenerationOptions.of(SamplingParams.GREEDY,
                    maxTokens), e -> true).text();
        }
    }

    @Test
    void greedyTextCompletionIsTheEnginesOwnOutputWithUsage() throws Exception {
        Completion c = client.completions().create(CompletionCreateParams.builder().model("stories")
                .prompt("Once upon a time").maxTokens(48).temperature(0.0).build());
        assertThat(c.choices().get(0).text()).isEqualTo(engineGreedy("Once upon a time", false, 48))
                .startsWith(", there was a little girl named Lily.");
        assertThat(c.choices().get(0).finishReason()).isEqualTo(CompletionChoiceFinish.LENGTH.value);
        assertThat(c.usage().orElseThrow().completionTokens()).isEqualTo(48);
        assertThat(c.usage().orElseThrow().promptTokens()).isEqualTo(5);
        assertThat(c.model()).isEqualTo("stories");
    }

    enum CompletionChoiceFinish {
        LENGTH(com.openai.models.completions.CompletionChoice.FinishReason.LENGTH);
        final com.openai.models.completions.CompletionChoice.FinishReason value;

        CompletionChoiceFinish(com.openai.models.completions.CompletionChoice.FinishReason v) {
            value = v;
        }
    }

    @Test
    void chatWholeAndStreamedGiveTheSameGreedyTextAsTheEngine() throws Exception {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("stories")
                .addUserMessage("Tell me a story").maxCompletionTokens(40).temperature(0.0).build();
        ChatCompletion whole = client.chat().completions().create(params);
        String expected = engineGreedy("Tell me a story", true, 40);
        assertThat(whole.choices().get(0).message().content()).contains(expected);
        assertThat(whole.usage().orElseThrow().totalTokens())
                .isEqualTo(whole.usage().orElseThrow().promptTokens() + 40);

        StringBuilder streamed = new StringBuilder();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(params.toBuilder()
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            s.stream().forEach(ch -> {
                chunks.add(ch);
                ch.choices().forEach(c -> c.delta().content().ifPresent(streamed::append));
            });
        }
        assertThat(streamed.toString()).isEqualTo(expected);
        assertThat(chunks.size()).as("one chunk per token or so, not one blob").isGreaterThan(10);
        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        assertThat(last.choices()).isEmpty();
        assertThat(last.usage().orElseThrow().completionTokens()).isEqualTo(40);
    }

    @Test
    void nChoicesAreTheSameAsSeparateRequestsWithConsecutiveSeeds() {
        CompletionCreateParams.Builder base = CompletionCreateParams.builder().model("stories")
                .prompt("Once upon a time").maxTokens(24).temperature(0.9);
        Completion three = client.completions().create(base.n(3L).seed(42L).build());
        assertThat(three.choices()).extracting(com.openai.models.completions.CompletionChoice::index)
                .containsExactly(0L, 1L, 2L);
        for (int i = 0; i < 3; i++) {
            Completion alone = client.completions().create(base.n(1L).seed(42L + i).build());
            assertThat(three.choices().get(i).text()).as("choice %d", i).isEqualTo(alone.choices().get(0).text());
        }
        assertThat(three.usage().orElseThrow().promptTokens()).isEqualTo(5);
        assertThat(three.usage().orElseThrow().completionTokens()).isEqualTo(3 * 24);

        // streamed: the deltas of each index add up to that choice's text
        StringBuilder[] streamed = {new StringBuilder(), new StringBuilder(), new StringBuilder()};
        List<com.openai.models.completions.Completion> chunks = new ArrayList<>();
        try (StreamResponse<Completion> s = client.completions().createStreaming(base.n(3L).seed(42L).build())) {
            s.stream().forEach(ch -> {
                chunks.add(ch);
                ch.choices().forEach(c -> streamed[(int) c.index()].append(c.text()));
            });
        }
        for (int i = 0; i < 3; i++) {
            assertThat(streamed[i].toString()).isEqualTo(three.choices().get(i).text());
        }
        long finished = chunks.stream().flatMap(c -> c.choices().stream()).filter(c -> c._finishReason().asKnown().isPresent())
                .count();
        assertThat(finished).isEqualTo(3);
    }

    @Test
    void moreChoicesThanSlotsIsAClearError() {
        var e = org.assertj.core.api.Assertions.catchThrowableOfType(com.openai.errors.BadRequestException.class,
                () -> client.completions().create(CompletionCreateParams.builder().model("stories").prompt("Hi")
                        .maxTokens(4).n(5L).build()));
        assertThat(e.getMessage()).contains("5 decoding slots", "has 4");
    }

    @Test
    void logprobsAreTheModelsAndTopAlternativesComeSorted() {
        ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder().model("stories")
                .addUserMessage("Once upon a time").maxCompletionTokens(8).temperature(0.0).logprobs(true)
                .topLogprobs(3).build());
        List<ChatCompletionTokenLogprob> lps = c.choices().get(0).logprobs().orElseThrow().content().orElseThrow();
        assertThat(lps).hasSize(8);
        for (ChatCompletionTokenLogprob lp : lps) {
            assertThat(lp.logprob()).isLessThanOrEqualTo(0.0);
            assertThat(lp.topLogprobs()).hasSize(3);
            // greedy: the chosen token is the most likely one
            assertThat(lp.topLogprobs().get(0).token()).isEqualTo(lp.token());
            assertThat(lp.topLogprobs().get(0).logprob()).isGreaterThanOrEqualTo(lp.topLogprobs().get(1).logprob());
        }
        assertThat(String.join("", lps.stream().map(ChatCompletionTokenLogprob::token).toList()))
                .isEqualTo(c.choices().get(0).message().content().orElseThrow());
    }

    @Test
    void aClientThatGoesAwayFreesItsSlot() throws Exception {
        // a request of another test may still be finishing after its client read the end: let it count first
        long settle = System.currentTimeMillis() + 5000;
        while (health().path("busy").asInt() != 0 && System.currentTimeMillis() < settle) {
            Thread.sleep(20);
        }
        long completedBefore = health().path("completed").asLong();
        var http = java.net.http.HttpClient.newHttpClient();
        var body = "{\"model\": \"stories\", \"prompt\": \"Once\", \"max_tokens\": 400, \"ignore_eos\": true, "
                + "\"stream\": true}";
        var resp = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:"
                        + worker.port() + "/v1/completions")).POST(java.net.http.HttpRequest.BodyPublishers.ofString(body))
                .build(), java.net.http.HttpResponse.BodyHandlers.ofInputStream());
        var in = resp.body();
        assertThat(in.read(new byte[64])).isPositive(); // streaming has begun: a slot is taken
        in.close(); // the client goes away mid-stream
        long deadline = System.currentTimeMillis() + 5000;
        while (health().path("busy").asInt() != 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertThat(health().path("busy").asInt()).as("slot freed").isZero();
        assertThat(health().path("completed").asLong()).as("the stream was cut short, not run to its end")
                .isEqualTo(completedBefore);
    }

    static com.fasterxml.jackson.databind.JsonNode health() throws Exception {
        var r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + worker.port() + "/health")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        return io.puhui.server.api.Json.MAPPER.readTree(r.body());
    }

    @Test
    void jsonObjectOutputParses() throws Exception {
        ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder().model("stories")
                .addUserMessage("Give me a JSON object").maxCompletionTokens(60).temperature(0.8).seed(3)
                .responseFormat(ResponseFormatJsonObject.builder().build()).build());
        String content = c.choices().get(0).message().content().orElseThrow();
        assertThat(io.puhui.server.api.Json.MAPPER.readTree(content).isObject()).as(content).isTrue();
    }
}
