// Tenants' routing policies: which tiers a tenant's requests may run on and the lowest quality it accepts.
package io.puhui.server.store;

import io.puhui.server.pool.Tier;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Policies are read on every routed request, so this keeps them in memory; every change goes through the same
 * instance (the control plane's API), which updates its copy as it writes.
 */
public final class Tenants {
    private final Database db;
    private final ConcurrentHashMap<String, Optional<Policy>> cache = new ConcurrentHashMap<>();

    Tenants(Database db) {
        this.db = db;
    }

    /**
     * A tenant's policy.
     *
     * @param tenant     the tenant, as its API keys name it
     * @param tiers      the tiers its requests may run on (never empty)
     * @param minQuality the lowest variant quality it accepts, 0..1; a request may ask for more, not less
     */
    public record Policy(String tenant, Set<Tier> tiers, OptionalDouble minQuality, Instant updatedAt) {
        public Policy {
            tiers = tiers.isEmpty() ? EnumSet.allOf(Tier.class) : EnumSet.copyOf(tiers);
        }

        /** The tiers as the API and the table spell them: lower case, cheapest first. */
        public List<String> tierNames() {
            return tiers.stream().map(t -> t.name().toLowerCase(Locale.ROOT)).toList();
        }
    }

    /** Sets (or replaces) a tenant's policy. */
    public Policy put(String tenant, Set<Tier> tiers, OptionalDouble minQuality) {
        if (tenant == null || tenant.isBlank() || tenant.length() > 200 || tenant.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("a tenant name is 1 to 200 characters, as `puhui key create --tenant` "
                    + "gave it, not '" + tenant + "'");
        }
        if (tiers.isEmpty()) {
            throw new IllegalArgumentException("a policy allows at least one tier (device, edge or cloud)");
        }
        if (minQuality.isPresent() && !(minQuality.getAsDouble() >= 0 && minQuality.getAsDouble() <= 1)) {
            throw new IllegalArgumentException("the minimum quality is a number from 0 to 1, not " + minQuality.getAsDouble());
        }
        Policy p = new Policy(tenant, tiers, minQuality, db.clock().instant());
        String names = String.join(",", p.tierNames());
        db.jdbi().useTransaction(h -> {
            int updated = h.createUpdate("UPDATE tenants SET tiers = :tiers, min_quality = :q, updated_at = :at "
                            + "WHERE name = :name")
                    .bind("name", tenant).bind("tiers", names).bind("q", minQuality.isPresent() ? minQuality.getAsDouble() : null)
                    .bind("at", p.updatedAt().toEpochMilli()).execute();
            if (updated == 0) {
                h.createUpdate("INSERT INTO tenants (name, tiers, min_quality, updated_at) VALUES (:name, :tiers, :q, :at)")
                        .bind("name", tenant).bind("tiers", names)
                        .bind("q", minQuality.isPresent() ? minQuality.getAsDouble() : null)
                        .bind("at", p.updatedAt().toEpochMilli()).execute();
            }
        });
        cache.put(tenant, Optional.of(p));
        return p;
    }

    /** The tenant's policy, or empty when it has none (it may use every tier at any quality). */
    public Optional<Policy> get(String tenant) {
        return cache.computeIfAbsent(tenant, t -> db.jdbi().withHandle(h -> h.createQuery(
                        "SELECT * FROM tenants WHERE name = :name").bind("name", t)
                .map((rs, ctx) -> read(rs)).findOne()));
    }

    public List<Policy> list() {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT * FROM tenants ORDER BY name")
                .map((rs, ctx) -> read(rs)).list());
    }

    /** Removes a tenant's policy; false when it had none. */
    public boolean remove(String tenant) {
        boolean removed = db.jdbi().withHandle(h -> h.createUpdate("DELETE FROM tenants WHERE name = :name")
                .bind("name", tenant).execute()) > 0;
        cache.put(tenant, Optional.empty());
        return removed;
    }

    /** Parses a list of tiers such as {@code device,edge}; a clear error names what is not a tier. */
    public static Set<Tier> parseTiers(String list) {
        Set<Tier> out = EnumSet.noneOf(Tier.class);
        for (String s : list.split(",")) {
            String t = s.strip();
            if (t.isEmpty()) {
                continue;
            }
            try {
                out.add(Tier.valueOf(t.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'" + t + "' is not a tier: use device, edge or cloud");
            }
        }
        return out;
    }

    private static Policy read(ResultSet rs) throws SQLException {
        double q = rs.getDouble("min_quality");
        OptionalDouble min = rs.wasNull() ? OptionalDouble.empty() : OptionalDouble.of(q);
        return new Policy(rs.getString("name"), parseTiers(rs.getString("tiers")), min,
                Instant.ofEpochMilli(rs.getLong("updated_at")));
    }

    /**
     * A tenant's compliance settings.
     *
     * @param requireVerified    only users whose real names the operator verified may be served
     * @param explicitLabel      the visible label on answers; off applies only to users who accepted the labelling
     *                           terms (the others keep it)
     * @param keepText           whether audit records keep the text of requests and answers (null: the server's
     *                           setting)
     * @param minorDailyRequests how many requests a minor may make a day (null: no limit)
     * @param blockCategories    categories whose flagging entries refuse for this tenant's users
     * @param labelText          the tenant's wording of the visible label (null: the server's)
     * @param labelPrefix        whether its label goes before the answer (null: where the server puts it)
     */
    public record Compliance(String tenant, boolean requireVerified, boolean explicitLabel, Boolean keepText,
                             Integer minorDailyRequests, Set<String> blockCategories, String labelText,
                             Boolean labelPrefix) {
        public Compliance {
            blockCategories = Set.copyOf(blockCategories);
        }

        public static Compliance defaults(String tenant) {
            return new Compliance(tenant, false, true, null, null, Set.of(), null, null);
        }
    }

    private final ConcurrentHashMap<String, Compliance> complianceCache = new ConcurrentHashMap<>();

    /** The tenant's compliance settings, the defaults when it has none. */
    public Compliance compliance(String tenant) {
        return complianceCache.computeIfAbsent(tenant, t -> db.jdbi().withHandle(h -> h.createQuery(
                        "SELECT * FROM tenant_compliance WHERE name = :name").bind("name", t)
                .map((rs, ctx) -> {
                    String text = rs.getString("audit_text");
                    int daily = rs.getInt("minor_daily_requests");
                    Integer limit = rs.wasNull() ? null : daily;
                    String blocks = rs.getString("block_categories");
                    String position = rs.getString("label_position");
                    return new Compliance(t, rs.getBoolean("require_verified"), rs.getBoolean("explicit_label"),
                            text == null ? null : text.equals("full"), limit,
                            blocks == null || blocks.isBlank() ? Set.of() : Set.of(blocks.split(",")),
                            rs.getString("label_text"), position == null ? null : position.equals("prefix"));
                }).findOne().orElse(Compliance.defaults(t))));
    }

    public Compliance putCompliance(Compliance c) {
        if (c.minorDailyRequests() != null && c.minorDailyRequests() < 0) {
            throw new IllegalArgumentException("a daily limit is 0 or more requests");
        }
        db.jdbi().useTransaction(h -> {
            h.createUpdate("DELETE FROM tenant_compliance WHERE name = :name").bind("name", c.tenant()).execute();
            h.createUpdate("INSERT INTO tenant_compliance (name, require_verified, explicit_label, audit_text, "
                            + "minor_daily_requests, block_categories, label_text, label_position, updated_at) VALUES "
                            + "(:name, :rv, :label, :text, :daily, :blocks, :ltext, :lpos, :at)")
                    .bind("name", c.tenant()).bind("rv", c.requireVerified()).bind("label", c.explicitLabel())
                    .bind("text", c.keepText() == null ? null : c.keepText() ? "full" : "hash")
                    .bind("daily", c.minorDailyRequests())
                    .bind("blocks", c.blockCategories().isEmpty() ? null : String.join(",", new TreeSet<>(c.blockCategories())))
                    .bind("ltext", c.labelText())
                    .bind("lpos", c.labelPrefix() == null ? null : c.labelPrefix() ? "prefix" : "suffix")
                    .bind("at", db.clock().millis()).execute();
        });
        complianceCache.put(c.tenant(), c);
        return c;
    }
}
