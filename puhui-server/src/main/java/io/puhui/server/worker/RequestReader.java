// Reads OpenAI chat and text completion requests into jobs, with an exact 400 for everything it cannot accept.
package io.puhui.server.worker;

import com.fasterxml.jackson.databind.JsonNode;
import io.puhui.engine.chat.ChatMessage;
import io.puhui.engine.chat.ChatTemplate;
import io.puhui.engine.generate.GenerationOptions;
import io.puhui.engine.sampling.json.JsonConstraint;
import io.puhui.engine.sampling.SamplingParams;
import io.puhui.engine.sampling.TokenConstraint;
import io.puhui.engine.tokenizer.Tokenizer;
import io.puhui.server.api.ApiException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

final class RequestReader {
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");
    private static final SecureRandom SEEDS = new SecureRandom();

    private final String modelName;
    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final int contextLength;

    RequestReader(String modelName, Tokenizer tokenizer, ChatTemplate template, int contextLength) {
        this.modelName = modelName;
        this.tokenizer = tokenizer;
        this.template = template;
        this.contextLength = contextLength;
    }

    CompletionJob read(JsonNode body, CompletionJob.Kind kind) {
        String model = text(body, "model", true);
        if (!model.equals(modelName)) {
            throw ApiException.notFound("model_not_found", "the model '" + model + "' is not served here; this worker "
                    + "serves '" + modelName + "'");
        }
        int n = integer(body, "n", 1, 1, CompletionJob.MAX_CHOICES, "'n' (choices) must be between 1 and "
                + CompletionJob.MAX_CHOICES);
        String promptText;
        int[] prompt;
        if (kind == CompletionJob.Kind.CHAT) {
            promptText = template.render(messages(body), true);
            prompt = encode(promptText);
        } else {
            JsonNode p = body.get("prompt");
            if (p == null || p.isNull()) {
                throw ApiException.badRequest("prompt", "'prompt' is required: give the text to continue");
            }
            if (p.isArray() && p.size() == 1 && p.get(0).isTextual()) {
                p = p.get(0);
            }
            if (p.isTextual()) {
                promptText = p.asText();
                prompt = encode(promptText);
            } else if (p.isArray() && !p.isEmpty() && p.get(0).isIntegralNumber()) {
                prompt = new int[p.size()];
                for (int i = 0; i < prompt.length; i++) {
                    JsonNode t = p.get(i);
                    if (!t.isIntegralNumber() || t.asInt() < 0 || t.asInt() >= tokenizer.vocabSize()) {
                        throw ApiException.badRequest("prompt", "prompt token " + i + " is not a token id of this "
                                + "model (0.." + (tokenizer.vocabSize() - 1) + ")");
                    }
                    prompt[i] = t.asInt();
                }
                promptText = tokenizer.decode(prompt);
            } else {
                throw ApiException.badRequest("prompt", "'prompt' must be a string, an array with one string, or an "
                        + "array of token ids; batches of prompts are not supported");
            }
        }
        if (prompt.length == 0) {
            throw ApiException.badRequest("prompt", "the prompt is empty after tokenization: give some text");
        }
        int room = contextLength - prompt.length;
        JsonNode maxNode = body.hasNonNull("max_completion_tokens") ? body.get("max_completion_tokens")
                : body.get("max_tokens");
        String maxName = body.hasNonNull("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        Integer requested = null;
        if (maxNode != null && !maxNode.isNull()) {
            if (!maxNode.isIntegralNumber() || maxNode.asLong() < 1 || maxNode.asLong() > Integer.MAX_VALUE) {
                throw ApiException.badRequest(maxName, "'" + maxName + "' must be a positive integer, got " + maxNode);
            }
            requested = maxNode.asInt();
        }
        if (room < 1 || (requested != null && requested > room)) {
            int want = prompt.length + (requested == null ? 1 : requested);
            throw ApiException.badRequest(requested == null ? "messages" : maxName, "context_length_exceeded",
                    "this model's maximum context length is " + contextLength + " tokens, but " + want
                    + " were requested (" + prompt.length + " in the prompt, " + (want - prompt.length)
                    + " for the completion); shorten the prompt or lower " + maxName);
        }
        int maxTokens = requested != null ? requested : room;

        float temperature = number(body, "temperature", 1f, 0f, 2f);
        float topP = number(body, "top_p", 1f, 0f, 1f);
        if (topP == 0f) {
            topP = Float.MIN_NORMAL; // OpenAI accepts 0: keep only the most likely token
        }
        int topK = integer(body, "top_k", 0, 0, Integer.MAX_VALUE, null);
        float minP = number(body, "min_p", 0f, 0f, 1f);
        float presence = number(body, "presence_penalty", 0f, -2f, 2f);
        float frequency = number(body, "frequency_penalty", 0f, -2f, 2f);
        float repetition = number(body, "repetition_penalty", 1f, 0.01f, 10f);
        long seed;
        JsonNode s = body.get("seed");
        if (s == null || s.isNull()) {
            seed = SEEDS.nextLong();
        } else if (s.isIntegralNumber()) {
            seed = s.asLong();
        } else {
            throw ApiException.badRequest("seed", "'seed' must be an integer, got " + s);
        }
        boolean logprobs;
        int topLogprobs;
        if (kind == CompletionJob.Kind.CHAT) {
            logprobs = bool(body, "logprobs", false);
            topLogprobs = integer(body, "top_logprobs", 0, 0, 20, null);
            if (topLogprobs > 0 && !logprobs) {
                throw ApiException.badRequest("top_logprobs", "'top_logprobs' needs 'logprobs': true");
            }
        } else {
            JsonNode lp = body.get("logprobs");
            logprobs = lp != null && !lp.isNull();
            topLogprobs = integer(body, "logprobs", 0, 0, 20, null);
        }
        List<String> stop = stops(body);
        boolean stream = bool(body, "stream", false);
        boolean includeUsage = false;
        JsonNode so = body.get("stream_options");
        if (so != null && !so.isNull()) {
            if (!stream) {
                throw ApiException.badRequest("stream_options", "'stream_options' is only allowed with 'stream': true");
            }
            includeUsage = bool(so, "include_usage", false);
        }
        boolean echo = kind == CompletionJob.Kind.TEXT && bool(body, "echo", false);
        boolean ignoreEos = bool(body, "ignore_eos", false); // as vLLM and llama.cpp's server: for benchmarks
        JsonConstraint format = responseFormat(body.get("response_format"));
        if (format != null && maxTokens < format.bytesToFinish()) {
            throw ApiException.badRequest(maxName, "the response format needs at least " + format.bytesToFinish()
                    + " tokens to always finish its JSON, but " + maxName + " is " + maxTokens + "; raise it");
        }
        Supplier<TokenConstraint> constraint = format == null ? null
                : body.path("response_format").path("type").asText().equals("json_object")
                ? () -> JsonConstraint.object(tokenizer)
                : () -> JsonConstraint.schema(tokenizer, body.path("response_format").path("json_schema")
                        .get("schema"));
        SamplingParams sampling = new SamplingParams(temperature, topK, topP, minP, repetition, 64, presence,
                frequency, seed, topLogprobs);
        return new CompletionJob(kind, model, prompt, new GenerationOptions(sampling, maxTokens, stop, ignoreEos),
                constraint, stream, includeUsage, logprobs, topLogprobs, echo, promptText, n);
    }

    private int[] encode(String text) {
        boolean hasBos = tokenizer.bos() >= 0 && text.startsWith(tokenizer.piece(tokenizer.bos()));
        return tokenizer.encode(text, !hasBos, true);
    }

    private List<ChatMessage> messages(JsonNode body) {
        JsonNode ms = body.get("messages");
        if (ms == null || ms.isNull()) {
            throw ApiException.badRequest("messages", "'messages' is required: give at least one message");
        }
        if (!ms.isArray() || ms.isEmpty()) {
            throw ApiException.badRequest("messages", "'messages' must be a non-empty array of messages");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < ms.size(); i++) {
            JsonNode m = ms.get(i);
            String where = "messages[" + i + "]";
            if (!m.isObject()) {
                throw ApiException.badRequest(where, where + " must be an object with 'role' and 'content'");
            }
            JsonNode r = m.get("role");
            if (r == null || !r.isTextual() || !ROLES.contains(r.asText())) {
                throw ApiException.badRequest(where + ".role", where + ".role must be one of system, developer, "
                        + "user, assistant, tool; got " + r);
            }
            String role = r.asText().equals("developer") ? "system" : r.asText();
            out.add(new ChatMessage(role, content(m.get("content"), where, role)));
        }
        return out;
    }

    private static String content(JsonNode c, String where, String role) {
        if (c == null || c.isNull()) {
            if (role.equals("assistant")) {
                return "";
            }
            throw ApiException.badRequest(where + ".content", where + ".content is required");
        }
        if (c.isTextual()) {
            return c.asText();
        }
        if (c.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : c) {
                String type = part.path("type").asText();
                if (!type.equals("text")) {
                    throw ApiException.badRequest(where + ".content", where + " has a '" + type + "' part; this "
                            + "model reads text only");
                }
                sb.append(part.path("text").asText());
            }
            return sb.toString();
        }
        throw ApiException.badRequest(where + ".content", where + ".content must be a string or an array of text "
                + "parts");
    }

    /** The constraint a response_format asks for (validated now, so that a bad schema is a 400), or null. */
    private JsonConstraint responseFormat(JsonNode rf) {
        if (rf == null || rf.isNull()) {
            return null;
        }
        String type = rf.path("type").asText("");
        switch (type) {
            case "text":
                return null;
            case "json_object":
                return JsonConstraint.object(tokenizer);
            case "json_schema": {
                JsonNode schema = rf.path("json_schema").get("schema");
                if (schema == null || !schema.isObject()) {
                    throw ApiException.badRequest("response_format", "'response_format.json_schema.schema' must be "
                            + "a JSON schema object");
                }
                try {
                    return JsonConstraint.schema(tokenizer, schema);
                } catch (IllegalArgumentException e) {
                    throw ApiException.badRequest("response_format", "the JSON schema cannot be used: "
                            + e.getMessage());
                }
            }
            default:
                throw ApiException.badRequest("response_format", "'response_format.type' must be text, json_object "
                        + "or json_schema, got '" + type + "'");
        }
    }

    private static List<String> stops(JsonNode body) {
        JsonNode s = body.get("stop");
        if (s == null || s.isNull()) {
            return List.of();
        }
        if (s.isTextual()) {
            return List.of(s.asText());
        }
        if (s.isArray() && s.size() <= 4) {
            List<String> out = new ArrayList<>();
            for (JsonNode x : s) {
                if (!x.isTextual()) {
                    throw ApiException.badRequest("stop", "'stop' entries must be strings");
                }
                out.add(x.asText());
            }
            return out;
        }
        throw ApiException.badRequest("stop", "'stop' must be a string or an array of up to 4 strings");
    }

    private static String text(JsonNode body, String name, boolean required) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) {
            if (required) {
                throw ApiException.badRequest(name, "'" + name + "' is required");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw ApiException.badRequest(name, "'" + name + "' must be a string, got " + v);
        }
        return v.asText();
    }

    private static float number(JsonNode body, String name, float dflt, float min, float max) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isNumber() || v.asDouble() < min || v.asDouble() > max) {
            throw ApiException.badRequest(name, "'" + name + "' must be a number from " + fmt(min) + " to "
                    + fmt(max) + ", got " + v);
        }
        return (float) v.asDouble();
    }

    private static int integer(JsonNode body, String name, int dflt, int min, int max, String message) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isIntegralNumber() || v.asLong() < min || v.asLong() > max) {
            throw ApiException.badRequest(name, message != null ? message : "'" + name + "' must be an integer from "
                    + min + " to " + max + ", got " + v);
        }
        return v.asInt();
    }

    private static boolean bool(JsonNode body, String name, boolean dflt) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isBoolean()) {
            throw ApiException.badRequest(name, "'" + name + "' must be true or false, got " + v);
        }
        return v.asBoolean();
    }

    private static String fmt(float f) {
        return f == (int) f ? Integer.toString((int) f) : Float.toString(f);
    }
}
