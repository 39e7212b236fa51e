// A conversation a template rejects must fail with the template's own words, so the API can answer 400 with them.
package io.puhui.engine.chat;

import static io.puhui.engine.chat.ChatTemplateKnownAnswerTest.shared;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChatTemplateErrorsTest {

    @Test
    void gemma2RejectsAConversationThatDoesNotAlternate() {
        ChatTemplate t = shared("google-gemma-2-2b-it.jinja", "<bos>", "<eos>");
        assertThatThrownBy(() -> t.render(List.of(ChatMessage.assistant("I speak first"), ChatMessage.user("Hi")), true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Conversation roles must alternate user/assistant/user/assistant/...");
        assertThatThrownBy(() -> t.render(List.of(ChatMessage.user("one"), ChatMessage.user("two")), true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Conversation roles must alternate");
    }

    @Test
    void mistralNemoRejectsTwoUserTurnsInARow() {
        ChatTemplate t = shared("mistralai-Mistral-Nemo-Instruct-2407.jinja", "<s>", "</s>");
        assertThatThrownBy(() -> t.render(List.of(ChatMessage.user("one"), ChatMessage.user("two")), true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("After the optional system message, conversation roles must alternate");
    }

    @Test
    void mistralNemoRejectsToolCallIdsOfTheWrongLength() {
        ChatTemplate t = shared("mistralai-Mistral-Nemo-Instruct-2407.jinja", "<s>", "</s>");
        var call = Map.<String, Object>of("id", "short", "type", "function", "function", Map.of("name", "f", "arguments", "{}"));
        assertThatThrownBy(() -> t.render(List.of(ChatMessage.user("hi"), ChatMessage.assistantToolCalls(null, List.of(call))), true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Tool call IDs should be alphanumeric strings with length 9!");
    }

    @Test
    void llama31NeedsAUserTurnToCarryTheTools() {
        ChatTemplate t = shared("meta-llama-Llama-3.1-8B-Instruct.jinja", "<|begin_of_text|>", "<|eot_id|>");
        assertThatThrownBy(() -> t.render(List.of(ChatMessage.system("sys")), true,
                Map.of("tools", List.of(ChatTemplateKnownAnswerTest.weatherTool()))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Cannot put tools in the first user message when there's no first user message!");
    }

    @Test
    void aBrokenTemplateSaysItCouldNotBeRendered() {
        ChatTemplate t = ChatTemplate.of("{% if %}x{% endif %}", null, null);
        assertThatThrownBy(() -> t.render(List.of(ChatMessage.user("hi")), true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("the chat template could not be rendered");
    }

    @Test
    void syntaxErrorsJinjavaWouldRenderAroundAreReported() {
        assertThatThrownBy(() -> ChatTemplate.of("a{% endif %}b", null, null).render(List.of(), false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Missing start tag");
        assertThatThrownBy(() -> ChatTemplate.of("{% for x in %}{% endfor %}", null, null).render(List.of(), false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("for-loop should read");
    }

    @Test
    void unsupportedConstructsAreReportedNotSilentlySkipped() {
        ChatTemplate t = ChatTemplate.of("{% for m in messages recursive %}{{ m.role }}{% endfor %}", null, null);
        assertThatThrownBy(() -> t.render(List.of(ChatMessage.user("hi")), true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("recursive for-loops are not supported");
    }

    @Test
    void aMessageNeedsARole() {
        assertThatThrownBy(() -> new ChatMessage(" ", "text"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("role");
    }
}
