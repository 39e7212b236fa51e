// Labels on generated content (Measures for Labelling AI-Generated Content; GB 45438-2025): a visible notice in
// the text, and the implicit AIGC metadata in every response, whose ProduceID leads to the audit record.
package io.puhui.server.compliance;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.puhui.server.api.Json;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;

/**
 * How this service labels what it generates.
 *
 * @param producer      ContentProducer: the provider, as registered (its name or service code)
 * @param explicitText  the visible notice; it contains 人工智能生成 or "AI-generated"
 * @param position      where the notice goes in the answer's text
 * @param refusal       the answer to a request the input check refuses
 * @param withheld      what replaces an answer the output check stops
 */
public record Labels(String producer, String explicitText, Position position, String refusal, String withheld) {
    /** Where the visible notice goes. */
    public enum Position {
        PREFIX, SUFFIX
    }

    public static final Labels DEFAULT = new Labels("Puhui", "（本内容由人工智能生成 · AI-generated）", Position.SUFFIX,
            "抱歉，这个请求涉及不宜提供的内容，我不能回答。Sorry, I can't help with that request.",
            "（后续内容未通过内容安全检查，已停止生成。The rest of this answer was withheld by the content-safety check.）");

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ObjectMapper ASCII = JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();

    public Labels {
        if (!explicitText.contains("人工智能生成") && !explicitText.toLowerCase(Locale.ROOT).contains("ai-generated")) {
            throw new IllegalArgumentException("the visible label must say 人工智能生成 or AI-generated, not '" + explicitText + "'");
        }
    }

    /** A new ProduceID: unique per response, and the key of its audit record. */
    public static String newProduceId() {
        byte[] b = new byte[12];
        RANDOM.nextBytes(b);
        return "pid-" + HexFormat.of().formatHex(b);
    }

    /** The visible notice as it joins the answer's text. */
    public String explicitPiece() {
        return position == Position.SUFFIX ? "\n\n" + explicitText : explicitText + "\n\n";
    }

    /** The answer's text with the notice, unless it has one already (an upstream Puhui labelled it). */
    public String withExplicit(String text) {
        if (text == null || text.contains(explicitText)) {
            return text;
        }
        return position == Position.SUFFIX ? text + explicitPiece() : explicitPiece() + text;
    }

    /**
     * The AIGC metadata of one response. This service is both producer and propagator of what it serves; when
     * the answer came from an upstream that labelled it (another Puhui, say), the upstream's ProduceID is kept
     * in ReservedCode2 so that the chain can be followed.
     *
     * @param produceId   this response's ProduceID
     * @param requestId   the request's id (PropagateID)
     * @param contentHash a digest of the generated text (ReservedCode1), so the label can be checked against it
     * @param upstream    the upstream's {@code aigc} object, or null
     */
    public ObjectNode aigc(String produceId, String requestId, String contentHash, JsonNode upstream) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("Label", "1");
        o.put("ContentProducer", producer);
        o.put("ProduceID", produceId);
        o.put("ReservedCode1", contentHash);
        o.put("ContentPropagator", producer);
        o.put("PropagateID", requestId);
        o.put("ReservedCode2", upstream != null && upstream.hasNonNull("ProduceID")
                ? "upstream:" + upstream.path("ProduceID").asText() : "");
        return o;
    }

    /** The {@code X-AIGC-Label} header: what is known before the answer, as ASCII JSON. */
    public String header(String produceId, String requestId) {
        ObjectNode o = Json.MAPPER.createObjectNode().put("Label", "1").put("ContentProducer", producer)
                .put("ProduceID", produceId).put("ContentPropagator", producer).put("PropagateID", requestId);
        try {
            return ASCII.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
