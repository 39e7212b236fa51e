// Turns a conversation into the exact prompt text a model was trained on, using the Jinja chat template the model ships.
// GGUF files carry it as tokenizer.chat_template; models without one get ChatML.
package io.puhui.engine.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.puhui.engine.gguf.Metadata;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A chat template, parsed for rendering with the semantics of transformers' {@code apply_chat_template}
 * (Jinja2 with trim_blocks and lstrip_blocks, raise_exception, strftime_now, tojson without HTML escaping).
 * One departure, so that requests with a system prompt work on every model: when a template cannot show a system
 * message (it raises, like Gemma 2, or drops it), the system text opens the first user message instead.
 * Instances are immutable and safe to share between threads.
 */
public final class ChatTemplate {
    /** ChatML, the format of models that ship no template (Qwen's and many fine-tunes' default). */
    public static final String CHATML = """
            {%- for message in messages %}
                {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}
            {%- endfor %}
            {%- if add_generation_prompt %}
                {{- '<|im_start|>assistant\\n' }}
            {%- endif %}
            """;

    /** Texts no real conversation contains, used to see whether a template prints system messages. */
    private static final String SYSTEM_PROBE = "\u2063system-role-probe\u2063";
    private static final String USER_PROBE = "\u2063user-role-probe\u2063";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String source;
    private final String prepared;
    private final String bosToken;
    private final String eosToken;
    private final Clock clock;
    private final boolean keepsSystemRole;

    private ChatTemplate(String source, String bosToken, String eosToken, Clock clock) {
        this.source = Objects.requireNonNull(source, "source");
        this.prepared = Jinja2Source.prepare(source);
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.keepsSystemRole = probeSystemRole();
    }

    /**
     * @param source   the Jinja template text
     * @param bosToken the text of the model's beginning-of-sequence token (templates print it as bos_token), or null
     * @param eosToken the text of its end-of-sequence token (eos_token), or null
     * @throws IllegalArgumentException if the template's tags are not closed
     */
    public static ChatTemplate of(String source, String bosToken, String eosToken) {
        return new ChatTemplate(source, bosToken, eosToken, Clock.systemDefaultZone());
    }

    /**
     * The template a GGUF model ships in {@code tokenizer.chat_template}, or {@link #CHATML} when it has none, with
     * bos_token and eos_token taken from the token list by {@code tokenizer.ggml.bos_token_id} / {@code eos_token_id}.
     */
    public static ChatTemplate fromMetadata(Metadata metadata) {
        return withModelTokens(metadata.findString("tokenizer.chat_template").filter(s -> !s.isBlank()).orElse(CHATML), metadata);
    }

    /**
     * A named alternative template, which GGUF files converted from Hugging Face keep as
     * {@code tokenizer.chat_template.<name>} (Command R ships "tool_use" and "rag"); "default" is the main one.
     *
     * @return empty when the model has no template of that name
     */
    public static Optional<ChatTemplate> fromMetadata(Metadata metadata, String name) {
        String key = name.equals("default") ? "tokenizer.chat_template" : "tokenizer.chat_template." + name;
        return metadata.findString(key).map(source -> withModelTokens(source, metadata));
    }

    private static ChatTemplate withModelTokens(String source, Metadata metadata) {
        String[] tokens = metadata.contains("tokenizer.ggml.tokens") ? metadata.getStringArray("tokenizer.ggml.tokens") : null;
        return of(source, token(metadata, tokens, "tokenizer.ggml.bos_token_id"),
                token(metadata, tokens, "tokenizer.ggml.eos_token_id"));
    }

    private static String token(Metadata metadata, String[] tokens, String key) {
        Integer id = metadata.findInt(key).orElse(null);
        if (id == null || tokens == null) {
            return null;
        }
        if (id < 0 || id >= tokens.length) {
            throw new IllegalArgumentException(key + " = " + id + " is outside the token list of " + tokens.length
                    + " tokens; the GGUF file's tokenizer metadata is inconsistent");
        }
        return tokens[id];
    }

    /** The same template reading the time (strftime_now) from the given clock, so tests and replays are deterministic. */
    public ChatTemplate withClock(Clock clock) {
        return new ChatTemplate(source, bosToken, eosToken, clock);
    }

    public String source() {
        return source;
    }

    public String bosToken() {
        return bosToken;
    }

    public String eosToken() {
        return eosToken;
    }

    /**
     * Whether the template prints a system message. Some (Gemma 2) raise "System role not supported", others drop it
     * silently; for those {@link #render} folds the system text into the first user message instead.
     */
    public boolean keepsSystemRole() {
        return keepsSystemRole;
    }

    /** False if the template raises on a system message, or prints the user's text but not the system's. */
    private boolean probeSystemRole() {
        try {
            String out = renderTurns(List.of(ChatMessage.system(SYSTEM_PROBE), ChatMessage.user(USER_PROBE)), true, Map.of());
            return out.contains(SYSTEM_PROBE) || !out.contains(USER_PROBE);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * @param addGenerationPrompt end with the header that opens the assistant's reply
     * @throws IllegalArgumentException when the template rejects the conversation (its raise_exception text is in
     *                                  the message, e.g. "Conversation roles must alternate ...") or fails to render
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /**
     * @param variables further template variables, such as {@code tools} (a list of OpenAI tool definitions as maps
     *                  or Jackson trees), {@code enable_thinking}, {@code documents} or {@code date_string}; they cannot
     *                  replace messages, add_generation_prompt, bos_token or eos_token
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, ?> variables) {
        Objects.requireNonNull(messages, "messages");
        Objects.requireNonNull(variables, "variables");
        return renderTurns(keepsSystemRole ? messages : foldSystemIntoFirstUser(messages), addGenerationPrompt, variables);
    }

    /**
     * For templates without a system role: leading system messages become the start of the first user message,
     * separated by a blank line, the way Gemma's later templates place a system prompt.
     */
    static List<ChatMessage> foldSystemIntoFirstUser(List<ChatMessage> messages) {
        int leading = 0;
        while (leading < messages.size() && messages.get(leading).role().equals("system")) {
            leading++;
        }
        if (leading == 0 || leading == messages.size() || !messages.get(leading).role().equals("user")) {
            return messages;
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < leading; i++) {
            String content = messages.get(i).content();
            if (content != null && !content.isEmpty()) {
                text.append(content).append("\n\n");
            }
        }
        ChatMessage user = messages.get(leading);
        List<ChatMessage> out = new ArrayList<>(messages.size() - leading);
        out.add(new ChatMessage("user", text + (user.content() == null ? "" : user.content()), user.toolCalls(),
                user.toolCallId(), user.name()));
        out.addAll(messages.subList(leading + 1, messages.size()));
        return out;
    }

    private String renderTurns(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, ?> variables) {
        List<Object> turns = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            turns.add(plain(m.toTemplateValue()));
        }
        Map<String, Object> bindings = new HashMap<>();
        variables.forEach((k, v) -> bindings.put(k, plain(v)));
        bindings.put("messages", turns);
        bindings.put("add_generation_prompt", addGenerationPrompt);
        bindings.put("bos_token", bosToken);
        bindings.put("eos_token", eosToken);
        bindings.put(TemplateFunctions.CLOCK, clock);
        return TemplateEngine.shared().render(prepared, bindings);
    }

    /**
     * Values as templates expect them: maps, lists, strings, numbers, booleans and null. Jackson trees, which the
     * serving layer parses requests into, are converted; any other object is passed as it is.
     */
    private static Object plain(Object value) {
        return switch (value) {
            case JsonNode node -> JSON.convertValue(node, Object.class);
            case Map<?, ?> map -> {
                Map<String, Object> out = new LinkedHashMap<>();
                map.forEach((k, v) -> out.put(String.valueOf(k), plain(v)));
                yield out;
            }
            case Collection<?> items -> {
                List<Object> out = new ArrayList<>(items.size());
                items.forEach(v -> out.add(plain(v)));
                yield out;
            }
            case Object[] items -> plain(Arrays.asList(items));
            case null, default -> value;
        };
    }
}
