// The answer guard on the bytes a worker sends, however they are cut: events split across writes (inside a
// multi-byte character too), the label before the finishing chunk or ahead of the answer, the metadata in the
// finishing chunk, a hit that ends the stream, and whole answers.
package io.puhui.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.puhui.server.api.Json;
import io.puhui.server.compliance.Labels;
import io.puhui.server.safety.SafetyEngine;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AnswerGuardTest {
    static SafetyEngine engine;

    @BeforeAll
    static void load() {
        engine = new SafetyEngine(null, 0);
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    static String chunk(String content, String finish) {
        return "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
                + "\"delta\":{\"content\":" + Json.write(Json.MAPPER.getNodeFactory().textNode(content)) + "},\"finish_reason\":"
                + (finish == null ? "null" : "\"" + finish + "\"") + "}]}\n\n";
    }

    final ByteArrayOutputStream sink = new ByteArrayOutputStream();

    AnswerGuard guard(String type, Labels labels, boolean label) {
        return new AnswerGuard(() -> sink, () -> type, () -> 200, labels, () -> engine.scanner(SafetyEngine.Stage.OUTPUT,
                SafetyEngine.Rules.DEFAULT), "pid-1", "req-1", label);
    }

    /** The data events the client received, parsed. */
    List<JsonNode> events() throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String ev : sink.toString(StandardCharsets.UTF_8).split("\n\n")) {
            if (ev.startsWith("data: {")) {
                out.add(Json.MAPPER.readTree(ev.substring(6)));
            }
        }
        return out;
    }

    static String text(List<JsonNode> events) {
        StringBuilder sb = new StringBuilder();
        events.forEach(e -> e.path("choices").forEach(c -> sb.append(c.path("delta").path("content").asText(""))));
        return sb.toString();
    }

    @Test
    void eventsCutAnywhereArriveWholeWithTheLabelBeforeTheFinishAndTheMetadataInIt() throws Exception {
        AnswerGuard g = guard("text/event-stream", Labels.DEFAULT, true);
        byte[] all = (chunk("从前有", null) + chunk("一只小猫。", null) + chunk("", "stop") + ": usage {}\n\n"
                + "data: [DONE]\n\n").getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < all.length; i += 5) { // five bytes at a time: through the middle of characters
            g.write(all, i, Math.min(5, all.length - i));
        }
        g.finish();
        List<JsonNode> events = events();
        assertThat(text(events)).isEqualTo("从前有一只小猫。" + Labels.DEFAULT.explicitPiece());
        JsonNode finishing = events.get(events.size() - 1);
        assertThat(finishing.path("choices").path(0).path("finish_reason").asText()).isEqualTo("stop");
        assertThat(finishing.path("aigc").path("ProduceID").asText()).isEqualTo("pid-1");
        assertThat(finishing.path("aigc").path("ReservedCode1").asText()).startsWith("sha256:");
        assertThat(sink.toString(StandardCharsets.UTF_8)).contains(": usage {}").endsWith("data: [DONE]\n\n");
        assertThat(g.text()).isEqualTo("从前有一只小猫。");
        assertThat(g.withheld()).isNull();
    }

    @Test
    void aPrefixLabelLeadsAndAnUpstreamLabelIsNotRepeated() throws Exception {
        Labels prefix = new Labels("P", "【人工智能生成】", Labels.Position.PREFIX, "r", "w");
        AnswerGuard g = guard("text/event-stream", prefix, true);
        g.write((chunk("Hello", null) + chunk(" there", "length") + "data: [DONE]\n\n").getBytes(StandardCharsets.UTF_8));
        g.finish();
        assertThat(text(events())).isEqualTo("Hello【人工智能生成】\n\n there");
        // the first chunk of a choice goes first (it carries the role), the label right after it
        assertThat(events().get(1).path("choices").path(0).path("delta").path("content").asText()).isEqualTo("【人工智能生成】\n\n");

        sink.reset();
        AnswerGuard relayed = guard("text/event-stream", Labels.DEFAULT, true);
        // another Puhui upstream: its label in the text, its metadata in its finishing chunk
        String upstreamFinish = chunk("", "stop").replace("}]}\n\n", "}],\"aigc\":{\"ProduceID\":\"pid-up\"}}\n\n");
        relayed.write((chunk("Hi", null) + chunk(Labels.DEFAULT.explicitPiece(), null) + upstreamFinish
                + "data: [DONE]\n\n").getBytes(StandardCharsets.UTF_8));
        relayed.finish();
        assertThat(text(events())).as("one label, not two").isEqualTo("Hi" + Labels.DEFAULT.explicitPiece());
        JsonNode last = events().get(events().size() - 1);
        assertThat(last.path("aigc").path("ProduceID").asText()).as("this service's metadata replaces the upstream's")
                .isEqualTo("pid-1");
        assertThat(last.path("aigc").path("ReservedCode2").asText()).isEqualTo("upstream:pid-up");
        assertThat(sink.toString(StandardCharsets.UTF_8)).doesNotContain("\"ProduceID\":\"pid-up\"");
    }

    @Test
    void aHitEndsTheStreamWithAContentFilterChunkAndFailsTheNextWrite() throws Exception {
        AnswerGuard g = guard("text/event-stream", Labels.DEFAULT, true);
        g.write(chunk("Sure. Here is how to make", null).getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> g.write(chunk(" a pipe bomb: first", null).getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(AnswerGuard.Withheld.class);
        assertThatThrownBy(() -> g.write(chunk(" more", null).getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(AnswerGuard.Withheld.class);
        List<JsonNode> events = events();
        assertThat(text(events)).startsWith("Sure. Here is how to make").doesNotContain("pipe bomb")
                .endsWith(Labels.DEFAULT.withheld());
        JsonNode last = events.get(events.size() - 1);
        assertThat(last.path("choices").path(0).path("finish_reason").asText()).isEqualTo("content_filter");
        assertThat(last.has("aigc")).isTrue();
        assertThat(sink.toString(StandardCharsets.UTF_8)).endsWith("data: [DONE]\n\n");
        assertThat(g.withheld().category()).isEqualTo("weapons");
    }

    @Test
    void wholeAnswersAreCheckedAndLabelledAndErrorsPassAsTheyAre() throws Exception {
        AnswerGuard g = guard("application/json", Labels.DEFAULT, true);
        g.write(("{\"id\":\"x\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                + "\"content\":\"你好\"},\"finish_reason\":\"stop\"}]}").getBytes(StandardCharsets.UTF_8));
        assertThat(sink.size()).as("held until the answer is whole").isZero();
        g.finish();
        JsonNode out = Json.MAPPER.readTree(sink.toByteArray());
        assertThat(out.path("choices").path(0).path("message").path("content").asText()).isEqualTo("你好" + Labels.DEFAULT.explicitPiece());
        assertThat(out.path("aigc").path("Label").asText()).isEqualTo("1");

        sink.reset();
        AnswerGuard json = guard("application/json", Labels.DEFAULT, false);
        json.write("{\"choices\":[{\"index\":0,\"text\":\"{\\\"a\\\":1}\"}]}".getBytes(StandardCharsets.UTF_8));
        json.finish();
        assertThat(Json.MAPPER.readTree(sink.toByteArray()).path("choices").path(0).path("text").asText())
                .as("structured output keeps its shape").isEqualTo("{\"a\":1}");

        sink.reset();
        AnswerGuard leak = guard("application/json", Labels.DEFAULT, true);
        leak.write("{\"choices\":[{\"index\":0,\"text\":\"call 13800138000\",\"finish_reason\":\"stop\"}]}"
                .getBytes(StandardCharsets.UTF_8));
        leak.finish();
        JsonNode cut = Json.MAPPER.readTree(sink.toByteArray()).path("choices").path(0);
        assertThat(cut.path("finish_reason").asText()).isEqualTo("content_filter");
        assertThat(cut.path("text").asText()).isEqualTo(Labels.DEFAULT.withheld());

        sink.reset();
        AnswerGuard error = new AnswerGuard(() -> sink, () -> "application/json", () -> 503, Labels.DEFAULT,
                () -> engine.scanner(SafetyEngine.Stage.OUTPUT, SafetyEngine.Rules.DEFAULT), "pid-2", "req-2", true);
        error.write("{\"error\":{\"message\":\"busy\"}}".getBytes(StandardCharsets.UTF_8));
        error.finish();
        assertThat(sink.toString(StandardCharsets.UTF_8)).isEqualTo("{\"error\":{\"message\":\"busy\"}}");
    }
}
