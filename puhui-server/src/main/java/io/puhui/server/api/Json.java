// The one JSON mapper of the server: OpenAI's snake_case wire format is written out field by field where it matters.
package io.puhui.server.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private Json() {
    }

    /** Parses a request body, or says exactly why it is not JSON. */
    public static JsonNode parseBody(byte[] body) {
        if (body.length == 0) {
            throw ApiException.badRequest(null, "the request body is empty: send a JSON object");
        }
        try {
            JsonNode node = MAPPER.readTree(body);
            if (node == null || !node.isObject()) {
                throw ApiException.badRequest(null, "the request body must be a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw ApiException.badRequest(null, "the request body is not valid JSON" + where + ": "
                    + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw ApiException.badRequest(null, "the request body could not be read: " + e.getMessage());
        }
    }

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
