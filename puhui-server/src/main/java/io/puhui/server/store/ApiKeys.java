// API keys: shown once when created, stored only as a SHA-256 hash, bound to a tenant, revocable.
package io.puhui.server.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

public final class ApiKeys {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final Database db;

    ApiKeys(Database db) {
        this.db = db;
    }

    /** A key as stored; {@code admin} keys may also manage the pool. */
    /** A key; {@code userId} is the user it belongs to, or null for a key of the tenant as a whole. */
    public record ApiKey(String id, String name, String tenant, String prefix, Instant createdAt, Instant lastUsedAt,
                         boolean revoked, boolean admin, String userId) {
    }

    /** A new key: {@code secret} is the only copy of the key itself. */
    public record CreatedKey(String secret, ApiKey key) {
    }

    public CreatedKey create(String name, String tenant) {
        return create(name, tenant, false);
    }

    public CreatedKey create(String name, String tenant, boolean admin) {
        return create(name, tenant, admin, null);
    }

    /** A key of {@code user} (its tenant is the user's), or of the tenant when {@code user} is null. */
    public CreatedKey create(String name, String tenant, boolean admin, Users.User user) {
        if (user != null) {
            if (tenant != null && !tenant.isBlank() && !tenant.equals(user.tenant())) {
                throw new IllegalArgumentException("user " + user.id() + " belongs to tenant '" + user.tenant()
                        + "', not '" + tenant + "'");
            }
            tenant = user.tenant();
        }
        if (name == null || name.isBlank() || name.length() > 200) {
            throw new IllegalArgumentException("a key needs a name of 1 to 200 characters");
        }
        byte[] raw = new byte[24];
        RANDOM.nextBytes(raw);
        String secret = "sk-puhui-" + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        byte[] idBytes = new byte[8];
        RANDOM.nextBytes(idBytes);
        String id = "key_" + HexFormat.of().formatHex(idBytes);
        Instant now = db.clock().instant();
        ApiKey key = new ApiKey(id, name, tenant == null || tenant.isBlank() ? name : tenant,
                secret.substring(0, 12), now, null, false, admin, user == null ? null : user.id());
        db.jdbi().useTransaction(h -> {
            boolean taken = h.createQuery("SELECT COUNT(*) FROM api_keys WHERE name = :name AND revoked = FALSE")
                    .bind("name", name).mapTo(Integer.class).one() > 0;
            if (taken) {
                throw new IllegalArgumentException("an active key named '" + name + "' exists already: pick another "
                        + "name or revoke it first");
            }
            h.createUpdate("INSERT INTO api_keys (id, name, tenant, key_hash, prefix, created_at, revoked, admin, "
                            + "user_id) VALUES (:id, :name, :tenant, :hash, :prefix, :created, FALSE, :admin, :user)")
                    .bind("id", id).bind("name", name).bind("tenant", key.tenant()).bind("hash", hash(secret))
                    .bind("admin", admin).bind("user", key.userId())
                    .bind("prefix", key.prefix()).bind("created", now.toEpochMilli()).execute();
        });
        return new CreatedKey(secret, key);
    }

    /** The active key with this secret, marked as used now; empty for unknown or revoked keys. */
    public Optional<ApiKey> verify(String secret) {
        return verifyWithUser(secret).map(KeyOfUser::key);
    }

    /** A key and the user it belongs to (null for a key of the tenant as a whole). */
    public record KeyOfUser(ApiKey key, Users.User user) {
    }

    /**
     * The active key with this secret and its user, read together in one query (this runs on every request),
     * marked as used now; empty for unknown or revoked keys.
     */
    public Optional<KeyOfUser> verifyWithUser(String secret) {
        if (secret == null || !secret.startsWith("sk-puhui-")) {
            return Optional.empty();
        }
        String h = hash(secret);
        Optional<KeyOfUser> found = db.jdbi().withHandle(x -> x.createQuery(
                        "SELECT k.*, u.id AS u_id, u.tenant AS u_tenant, u.name AS u_name, u.verified AS u_verified, "
                                + "u.minor AS u_minor, u.label_terms_at AS u_label_terms_at, u.created_at AS u_created_at "
                                + "FROM api_keys k LEFT JOIN users u ON u.id = k.user_id "
                                + "WHERE k.key_hash = :hash AND k.revoked = FALSE")
                .bind("hash", h).map((rs, ctx) -> new KeyOfUser(read(rs), rs.getString("u_id") == null ? null
                        : Users.read(rs, "u_"))).findOne());
        // last use to the minute: a write on every request would put a database round trip on each one
        long now = db.clock().millis();
        found.map(KeyOfUser::key).filter(k -> k.lastUsedAt() == null || now - k.lastUsedAt().toEpochMilli() >= 60_000)
                .ifPresent(k -> db.jdbi().useHandle(x -> x.createUpdate(
                        "UPDATE api_keys SET last_used_at = :now WHERE id = :id")
                        .bind("now", now).bind("id", k.id()).execute()));
        return found;
    }

    public List<ApiKey> list() {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT * FROM api_keys ORDER BY created_at, id")
                .map((rs, ctx) -> read(rs)).list());
    }

    /** Revokes by id or by the name of an active key. */
    public boolean revoke(String idOrName) {
        return db.jdbi().withHandle(h -> h.createUpdate("UPDATE api_keys SET revoked = TRUE "
                + "WHERE revoked = FALSE AND (id = :k OR name = :k)").bind("k", idOrName).execute()) > 0;
    }

    /** Revokes the key with this id, whatever its name (an administrator blocking a reported user's key). */
    public boolean revokeById(String id) {
        return db.jdbi().withHandle(h -> h.createUpdate("UPDATE api_keys SET revoked = TRUE "
                + "WHERE revoked = FALSE AND id = :k").bind("k", id).execute()) > 0;
    }

    public int activeCount() {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT COUNT(*) FROM api_keys WHERE revoked = FALSE")
                .mapTo(Integer.class).one());
    }

    static String hash(String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ApiKey read(java.sql.ResultSet rs) throws java.sql.SQLException {
        long used = rs.getLong("last_used_at");
        Instant lastUsed = rs.wasNull() ? null : Instant.ofEpochMilli(used);
        return new ApiKey(rs.getString("id"), rs.getString("name"), rs.getString("tenant"), rs.getString("prefix"),
                Instant.ofEpochMilli(rs.getLong("created_at")), lastUsed, rs.getBoolean("revoked"), rs.getBoolean("admin"),
                rs.getString("user_id"));
    }
}
