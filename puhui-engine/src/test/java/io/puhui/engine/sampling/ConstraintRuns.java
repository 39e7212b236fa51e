// Drives a token constraint the way the server does, with chosen logits, and checks JSON outputs against schemas.
package io.puhui.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.puhui.engine.tokenizer.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;

final class ConstraintRuns {
    static final ObjectMapper STRICT = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private ConstraintRuns() {
    }

    /** What a run produced: the text's bytes, whether it ended with an end-of-generation token, the tokens. */
    record Run(byte[] bytes, boolean stopped, List<Integer> tokens) {
        String text() {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    /**
     * Uniformly random logits at every step, then the best unmasked token: a uniform draw among the allowed
     * tokens, the way a model that knows nothing would write.
     */
    static Run random(Tokenizer t, TokenConstraint c, int maxTokens, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] logits = new float[t.vocabSize()];
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<Integer> tokens = new ArrayList<>();
        for (int step = 0; step < maxTokens; step++) {
            for (int i = 0; i < logits.length; i++) {
                logits[i] = (float) r.nextDouble();
            }
            c.mask(logits, maxTokens - step);
            int best = argmax(logits);
            if (t.isEndOfGeneration(best)) {
                return new Run(out.toByteArray(), true, tokens);
            }
            c.accept(best);
            tokens.add(best);
            out.writeBytes(t.tokenBytes(best));
        }
        return new Run(out.toByteArray(), false, tokens);
    }

    static int argmax(float[] logits) {
        int best = -1;
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] != Float.NEGATIVE_INFINITY && (best < 0 || logits[i] > logits[best])) {
                best = i;
            }
        }
        assertThat(best).as("some token must be allowed").isNotNegative();
        return best;
    }

    /** The output parsed strictly: well-formed UTF-8, one JSON value, nothing after it. */
    static JsonNode parse(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
            return STRICT.readTree(bytes);
        } catch (CharacterCodingException e) {
            throw new AssertionError("not UTF-8: " + new String(bytes, StandardCharsets.UTF_8), e);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + new String(bytes, StandardCharsets.UTF_8), e);
        }
    }

    /** Problems of {@code value} against the supported schema subset; empty when it conforms. */
    static List<String> violations(JsonNode value, JsonNode schema, JsonNode root) {
        List<String> out = new ArrayList<>();
        check(value, schema, root, "$", out);
        return out;
    }

    private static void check(JsonNode v, JsonNode s, JsonNode root, String at, List<String> out) {
        if (s.isBoolean()) {
            if (!s.booleanValue()) {
                out.add(at + ": no value allowed");
            }
            return;
        }
        if (s.has("$ref")) {
            check(v, root.at(s.get("$ref").asText().substring(1)), root, at, out);
            return;
        }
        if (s.has("const") && !s.get("const").equals(v)) {
            out.add(at + ": not the const " + s.get("const"));
        }
        if (s.has("enum")) {
            boolean found = false;
            for (JsonNode e : s.get("enum")) {
                found |= e.equals(v)
                        || e.isNumber() && v.isNumber() && e.decimalValue().compareTo(v.decimalValue()) == 0;
            }
            if (!found) {
                out.add(at + ": " + v + " is not in the enum");
            }
        }
        for (String k : List.of("anyOf", "oneOf")) {
            if (s.has(k)) {
                boolean any = false;
                for (JsonNode alt : s.get(k)) {
                    any |= violations(v, alt, root).isEmpty();
                }
                if (!any) {
                    out.add(at + ": matches no alternative of " + k);
                }
            }
        }
        if (s.has("type")) {
            boolean ok = false;
            JsonNode type = s.get("type");
            for (JsonNode t : type.isArray() ? type : List.of(type)) {
                ok |= hasType(v, t.asText());
            }
            if (!ok) {
                out.add(at + ": " + v + " is not of type " + type);
                return;
            }
        }
        if (v.isObject()) {
            JsonNode props = s.path("properties");
            for (JsonNode r : s.path("required")) {
                if (!v.has(r.asText())) {
                    out.add(at + ": required " + r.asText() + " is missing");
                }
            }
            for (Iterator<String> it = v.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (props.has(k)) {
                    check(v.get(k), props.get(k), root, at + "." + k, out);
                } else if (s.has("properties")) {
                    out.add(at + ": unexpected key " + k);
                }
            }
        }
        if (v.isArray()) {
            if (s.has("minItems") && v.size() < s.get("minItems").asInt()) {
                out.add(at + ": fewer than " + s.get("minItems") + " items");
            }
            if (s.has("maxItems") && v.size() > s.get("maxItems").asInt()) {
                out.add(at + ": more than " + s.get("maxItems") + " items");
            }
            if (s.has("items")) {
                for (int i = 0; i < v.size(); i++) {
                    check(v.get(i), s.get("items"), root, at + "[" + i + "]", out);
                }
            }
        }
        if (v.isTextual()) {
            int n = v.asText().codePointCount(0, v.asText().length());
            if (s.has("minLength") && n < s.get("minLength").asInt()) {
                out.add(at + ": shorter than " + s.get("minLength"));
            }
            if (s.has("maxLength") && n > s.get("maxLength").asInt()) {
                out.add(at + ": longer than " + s.get("maxLength"));
            }
        }
    }

    private static boolean hasType(JsonNode v, String type) {
        return switch (type) {
            case "object" -> v.isObject();
            case "array" -> v.isArray();
            case "string" -> v.isTextual();
            case "number" -> v.isNumber();
            case "integer" -> v.isIntegralNumber();
            case "boolean" -> v.isBoolean();
            case "null" -> v.isNull();
            default -> false;
        };
    }
}
