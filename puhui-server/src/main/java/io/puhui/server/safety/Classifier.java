// The optional classifier stage, for what the lexicon misses: any OpenAI-compatible moderation endpoint (another
// Puhui's /v1/moderations, a cloud moderation API) or chat endpoint (a model in the pool asked for a verdict).
package io.puhui.server.safety;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.puhui.server.api.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

public final class Classifier implements AutoCloseable {
    /** How the endpoint is asked. */
    public enum Api {
        /** {@code POST /moderations}: {@code results[0].flagged} and its categories. */
        MODERATIONS,
        /** {@code POST /chat/completions} with an instruction to answer SAFE or UNSAFE:category. */
        CHAT
    }

    /** What to do when the classifier does not answer in time: let the request through (recorded) or refuse it. */
    public enum Failure {
        OPEN, CLOSED
    }

    /** The classifier's verdict: flagged or not, and its category when flagged. */
    public record Verdict(boolean flagged, String category) {
    }

    static final String INSTRUCTION = "You are a content-safety classifier for a public generative-AI service in China. "
            + "Reply with exactly SAFE if the user's message may be answered, or UNSAFE:<category> (one lower-case "
            + "word such as violence, weapons, pornography, fraud, politics) if it asks for prohibited content.";

    private final URI base;
    private final Api api;
    private final String model;
    private final String key;
    private final Duration timeout;
    private final Failure failure;
    private final Map<String, String> headers;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /**
     * @param base    the endpoint's base URL, e.g. {@code http://10.0.0.5:11500/v1}
     * @param headers sent with every call (the gateway marks its own calls so that a classifier on the same
     *                server does not classify them again)
     */
    public Classifier(URI base, Api api, String model, String key, Duration timeout, Failure failure,
                      Map<String, String> headers) {
        String b = base.toString();
        this.base = URI.create(b.endsWith("/") ? b.substring(0, b.length() - 1) : b);
        this.api = api;
        this.model = model;
        this.key = key;
        this.timeout = timeout;
        this.failure = failure;
        this.headers = Map.copyOf(headers);
    }

    public Failure failure() {
        return failure;
    }

    public URI base() {
        return base;
    }

    /**
     * Asks the classifier about a text.
     *
     * @throws IOException when it does not answer in time or answers something unreadable
     */
    public Verdict classify(String text) throws IOException {
        ObjectNode body = Json.MAPPER.createObjectNode();
        if (model != null) {
            body.put("model", model);
        }
        String path;
        if (api == Api.MODERATIONS) {
            path = "/moderations";
            body.put("input", text);
        } else {
            path = "/chat/completions";
            body.put("max_tokens", 8).put("temperature", 0);
            body.putArray("messages").add(Json.MAPPER.createObjectNode().put("role", "system").put("content", INSTRUCTION))
                    .add(Json.MAPPER.createObjectNode().put("role", "user").put("content", text));
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        headers.forEach(b::header);
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        if (r.statusCode() != 200) {
            throw new IOException("the classifier answered " + r.statusCode());
        }
        JsonNode j = Json.MAPPER.readTree(r.body());
        if (api == Api.MODERATIONS) {
            JsonNode result = j.path("results").path(0);
            if (!result.has("flagged")) {
                throw new IOException("the classifier's answer has no results[0].flagged");
            }
            if (!result.path("flagged").asBoolean()) {
                return new Verdict(false, null);
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = result.path("categories").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> c = it.next();
                if (c.getValue().asBoolean()) {
                    return new Verdict(true, c.getKey().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-"));
                }
            }
            return new Verdict(true, "unspecified");
        }
        String answer = j.path("choices").path(0).path("message").path("content").asText("").strip().toUpperCase(Locale.ROOT);
        if (answer.startsWith("UNSAFE")) {
            int colon = answer.indexOf(':');
            String cat = colon < 0 ? "unspecified" : answer.substring(colon + 1).strip().toLowerCase(Locale.ROOT)
                    .replaceAll("[^a-z0-9-].*", "");
            return new Verdict(true, cat.isEmpty() ? "unspecified" : cat);
        }
        return new Verdict(false, null);
    }

    @Override
    public void close() {
        http.close();
    }
}
