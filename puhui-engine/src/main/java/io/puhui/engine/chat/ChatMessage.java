// One turn of a conversation as chat templates see it: a role, its text, and the tool-call fields tool-use templates read.
package io.puhui.engine.chat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A chat message in the OpenAI / Hugging Face shape.
 *
 * @param role       "system", "user", "assistant" or "tool" (templates may accept others, e.g. "ipython")
 * @param content    the text; null for an assistant turn that only calls tools
 * @param toolCalls  for an assistant turn, the calls it made, each like
 *                   {@code {"id": "call_1", "type": "function", "function": {"name": "...", "arguments": ...}}}
 *                   where arguments is a JSON string or a map, as the caller chooses; empty when none
 * @param toolCallId for a tool turn, the id of the call it answers; null otherwise
 * @param name       an optional name (of the tool for a tool turn); null when absent
 */
public record ChatMessage(String role, String content, List<Map<String, Object>> toolCalls, String toolCallId, String name) {

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        if (role.isBlank()) {
            throw new IllegalArgumentException("a chat message needs a role such as system, user, assistant or tool");
        }
        toolCalls = toolCalls == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(toolCalls));
    }

    public ChatMessage(String role, String content) {
        this(role, content, List.of(), null, null);
    }

    public static ChatMessage system(String content) {
        return new ChatMessage("system", content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage("user", content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage("assistant", content);
    }

    /** An assistant turn that calls tools; content may be null. */
    public static ChatMessage assistantToolCalls(String content, List<Map<String, Object>> toolCalls) {
        return new ChatMessage("assistant", content, toolCalls, null, null);
    }

    /** A tool result answering the call with the given id. */
    public static ChatMessage tool(String content, String toolCallId) {
        return new ChatMessage("tool", content, List.of(), toolCallId, null);
    }

    /**
     * The message as the Python dict a template receives. Keys that are absent stay absent, because templates
     * test them with "'tool_calls' in message" or "message.tool_calls is defined"; content is always present.
     */
    Map<String, Object> toTemplateValue() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        if (!toolCalls.isEmpty()) {
            m.put("tool_calls", toolCalls);
        }
        if (toolCallId != null) {
            m.put("tool_call_id", toolCallId);
        }
        if (name != null) {
            m.put("name", name);
        }
        return m;
    }
}
