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
                    assertThat(route.headers().firstValue("x-puhui-route")).hasValueSatisfying(v -> assertThat(v).startsWith("cloud:endpoint ep_").endsWith("/stories"));
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
}
