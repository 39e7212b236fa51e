// The people API keys belong to: whether the operator verified their real names, whether they are minors, and
// whether they accepted the labelling terms.
package io.puhui.server.store;

import java.security.SecureRandom;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

public final class Users {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final Database db;

    Users(Database db) {
        this.db = db;
    }

    /** A user; {@code labelTermsAcceptedAt} is null until the user accepts the labelling terms. */
    public record User(String id, String tenant, String name, boolean verified, boolean minor,
                       Instant labelTermsAcceptedAt, Instant createdAt) {
    }

    public User create(String tenant, String name, boolean verified, boolean minor) {
        if (tenant == null || tenant.isBlank() || tenant.length() > 200) {
            throw new IllegalArgumentException("a user belongs to a tenant: --tenant NAME");
        }
        if (name == null || name.isBlank() || name.length() > 200) {
            throw new IllegalArgumentException("a user needs a name of 1 to 200 characters");
        }
        byte[] b = new byte[6];
        RANDOM.nextBytes(b);
        User u = new User("usr_" + HexFormat.of().formatHex(b), tenant, name, verified, minor, null, db.clock().instant());
        db.jdbi().useHandle(h -> h.createUpdate("INSERT INTO users (id, tenant, name, verified, minor, created_at) "
                        + "VALUES (:id, :tenant, :name, :verified, :minor, :at)")
                .bind("id", u.id()).bind("tenant", tenant).bind("name", name).bind("verified", verified)
                .bind("minor", minor).bind("at", u.createdAt().toEpochMilli()).execute());
        return u;
    }

    /** Changes what the operator records of a user; a null leaves that field as it is. */
    public Optional<User> update(String id, Boolean verified, Boolean minor, Boolean acceptedLabelTerms) {
        Optional<User> found = find(id);
        if (found.isEmpty()) {
            return found;
        }
        User u = found.get();
        Instant terms = acceptedLabelTerms == null ? u.labelTermsAcceptedAt()
                : acceptedLabelTerms ? db.clock().instant() : null;
        User next = new User(u.id(), u.tenant(), u.name(), verified != null ? verified : u.verified(),
                minor != null ? minor : u.minor(), terms, u.createdAt());
        db.jdbi().useHandle(h -> h.createUpdate("UPDATE users SET verified = :v, minor = :m, label_terms_at = :t "
                        + "WHERE id = :id")
                .bind("v", next.verified()).bind("m", next.minor())
                .bind("t", terms == null ? null : terms.toEpochMilli()).bind("id", id).execute());
        return Optional.of(next);
    }

    public Optional<User> find(String id) {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT * FROM users WHERE id = :id").bind("id", id)
                .map((rs, ctx) -> read(rs)).findOne());
    }

    public List<User> list() {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT * FROM users ORDER BY tenant, created_at")
                .map((rs, ctx) -> read(rs)).list());
    }

    private static User read(ResultSet rs) throws SQLException {
        return read(rs, "");
    }

    /** A user from a row whose user columns carry {@code prefix} (a key's row joined with its user's). */
    static User read(ResultSet rs, String prefix) throws SQLException {
        long t = rs.getLong(prefix + "label_terms_at");
        Instant terms = rs.wasNull() ? null : Instant.ofEpochMilli(t);
        return new User(rs.getString(prefix + "id"), rs.getString(prefix + "tenant"), rs.getString(prefix + "name"),
                rs.getBoolean(prefix + "verified"), rs.getBoolean(prefix + "minor"), terms,
                Instant.ofEpochMilli(rs.getLong(prefix + "created_at")));
    }
}
