// Who is calling: an API key resolves to a caller (key id and tenant); usage is recorded against it.
package io.puhui.server.gateway;

import java.util.Optional;

public interface Access {

    /**
     * The caller of a request; {@code keyId} is null when keys are not required (the server is on loopback with
     * no keys: whoever reaches it owns the machine, and administers it).
     */
    record Caller(String keyId, String tenant, boolean admin, Person person) {
        /** The machine's owner on loopback: known to the operator, an adult. */
        public static final Caller LOCAL = new Caller(null, "local", true, null);

        public Caller(String keyId, String tenant, boolean admin) {
            this(keyId, tenant, admin, null);
        }

        /** Whether the operator verified who is calling (a key of no user is the tenant's own, as verified as it). */
        public boolean verified() {
            return person == null || person.verified();
        }

        public boolean minor() {
            return person != null && person.minor();
        }
    }

    /**
     * The user a key belongs to, as the operator recorded them.
     *
     * @param acceptedLabelTerms whether the user accepted the labelling terms (only then may a tenant leave out
     *                           the visible label)
     */
    record Person(String id, boolean verified, boolean minor, boolean acceptedLabelTerms) {
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
