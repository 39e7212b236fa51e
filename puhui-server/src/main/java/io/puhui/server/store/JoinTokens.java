// Join tokens: an administrator creates one per tier; an agent shows it to join the pool. Shown once, stored as a
// SHA-256 hash, revocable.
package io.puhui.server.store;

import io.puhui.server.pool.Tier;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

public final class JoinTokens {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String PREFIX = "pjt-";
    private final Database db;

    JoinTokens(Database db) {
        this.db = db;
    }

    public record JoinToken(String id, Tier tier, String label, Instant createdAt, Instant revokedAt) {
        public boolean revoked() {
            return revokedAt != null;
        }
    }

    /** A new token: {@code secret} is the only copy of the token itself. */
    public record CreatedToken(String secret, JoinToken token) {
    }

    /** The outcome of checking a token an agent showed: the token, or why it is refused. */
    public record Verdict(JoinToken token, String refusal) {
        public boolean accepted() {
            return token != null;
        }
    }

    public CreatedToken create(Tier tier, String label) {
        if (label != null && label.length() > 200) {
            throw new IllegalArgumentException("a token label has at most 200 characters");
        }
        byte[] idBytes = new byte[6];
        RANDOM.nextBytes(idBytes);
        String id = "jt_" + HexFormat.of().formatHex(idBytes);
        byte[] raw = new byte[24];
        RANDOM.nextBytes(raw);
        String secret = PREFIX + id + "-" + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        Instant now = db.clock().instant();
        db.jdbi().useHandle(h -> h.createUpdate("INSERT INTO join_tokens (id, tier, label, token_hash, created_at) "
                        + "VALUES (:id, :tier, :label, :hash, :created)")
                .bind("id", id).bind("tier", tier.name()).bind("label", label).bind("hash", hash(secret))
                .bind("created", now.toEpochMilli()).execute());
        return new CreatedToken(secret, new JoinToken(id, tier, label, now, null));
    }

    public List<JoinToken> list() {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT * FROM join_tokens ORDER BY created_at")
                .map((rs, ctx) -> read(rs)).list());
    }

    /** Revokes a token; false when there is no such token or it was revoked already. */
    public boolean revoke(String id) {
        return db.jdbi().withHandle(h -> h.createUpdate(
                        "UPDATE join_tokens SET revoked_at = :now WHERE id = :id AND revoked_at IS NULL")
                .bind("now", db.clock().millis()).bind("id", id).execute()) > 0;
    }

    public Verdict verify(String secret) {
        if (secret == null || !secret.startsWith(PREFIX + "jt_") || secret.length() < 24) {
            return new Verdict(null, "not a join token (they look like pjt-jt_…); ask an administrator for one made "
                    + "with `puhui token create --tier TIER`");
        }
        String id = secret.substring(PREFIX.length(), secret.indexOf('-', PREFIX.length()) > 0
                ? secret.indexOf('-', PREFIX.length()) : secret.length());
        Optional<String> storedHash = db.jdbi().withHandle(h -> h.createQuery(
                "SELECT token_hash FROM join_tokens WHERE id = :id").bind("id", id).mapTo(String.class).findOne());
        if (storedHash.isEmpty() || !MessageDigest.isEqual(storedHash.get().getBytes(StandardCharsets.US_ASCII),
                hash(secret).getBytes(StandardCharsets.US_ASCII))) {
            return new Verdict(null, "unknown join token; ask an administrator for a valid one");
        }
        JoinToken t = db.jdbi().withHandle(h -> h.createQuery("SELECT * FROM join_tokens WHERE id = :id")
                .bind("id", id).map((rs, ctx) -> read(rs)).one());
        if (t.revoked()) {
            return new Verdict(null, "join token " + id + " was revoked; ask an administrator for a new one");
        }
        return new Verdict(t, null);
    }

    private static JoinToken read(java.sql.ResultSet rs) throws java.sql.SQLException {
        long revoked = rs.getLong("revoked_at");
        boolean wasRevoked = !rs.wasNull();
        return new JoinToken(rs.getString("id"), Tier.valueOf(rs.getString("tier").toUpperCase(Locale.ROOT)),
                rs.getString("label"), Instant.ofEpochMilli(rs.getLong("created_at")),
                wasRevoked ? Instant.ofEpochMilli(revoked) : null);
    }

    private static String hash(String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
