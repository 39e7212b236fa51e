// Who is calling: an API key resolves to a caller (key id and tenant); usage is recorded against it.
package io.puhui.server.gateway;

import java.util.Optional;

public interface Access {

    /**
     * The caller of a request; {@code keyId} is null when keys are not required (the server is on loopback with
     * no keys: whoever reaches it owns the machine, and administers it).
     */
    record Caller(String keyId, String tenant, boolean admin) {
        public static final Caller LOCAL = new Caller(null, "local", true);
    }

    /** Whether requests must carry a key. */
    boolean required();

    /** The caller a bearer token belongs to, or empty for an unknown or revoked key. */
    Optional<Caller> verify(String bearer);

    /** One finished request, for usage records. */
    record Usage(String requestId, Caller caller, String model, String endpoint, int promptTokens,
                 int completionTokens, long latencyMillis, int status) {
    }

    void record(Usage usage);
}
