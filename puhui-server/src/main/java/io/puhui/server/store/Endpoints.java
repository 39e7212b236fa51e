// External OpenAI-compatible servers registered as variants of a logical model on a tier; keys sealed at rest.
package io.puhui.server.store;

import io.puhui.server.pool.Tier;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

public final class Endpoints {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final Database db;

    Endpoints(Database db) {
        this.db = db;
    }

    /** A registered endpoint; {@code sealedKey} is null when it needs none. */
    public record Endpoint(String id, String model, Tier tier, URI url, String upstreamModel, String sealedKey,
                           Instant createdAt) {
    }

    public Endpoint add(String model, Tier tier, URI url, String upstreamModel, String sealedKey) {
        if (model == null || !model.matches("[A-Za-z0-9._:/-]{1,200}")) {
            throw new IllegalArgumentException("a model name is 1 to 200 letters, digits and . _ : / -");
        }
        if (url.getScheme() == null || !(url.getScheme().equals("http") || url.getScheme().equals("https"))
                || url.getHost() == null) {
            throw new IllegalArgumentException("--url takes http(s)://HOST[:PORT]/v1, not " + url);
        }
        if (upstreamModel == null || upstreamModel.isBlank()) {
            throw new IllegalArgumentException("--model names the model on the endpoint, e.g. Qwen/Qwen2.5-72B-Instruct");
        }
        byte[] idBytes = new byte[6];
        RANDOM.nextBytes(idBytes);
        String id = "ep_" + HexFormat.of().formatHex(idBytes);
        Instant now = db.clock().instant();
        String u = url.toString().endsWith("/") ? url.toString().substring(0, url.toString().length() - 1) : url.toString();
        db.jdbi().useHandle(h -> h.createUpdate("INSERT INTO endpoints (id, model, tier, url, upstream_model, key_enc, "
                        + "created_at) VALUES (:id, :model, :tier, :url, :up, :key, :at)")
                .bind("id", id).bind("model", model).bind("tier", tier.name()).bind("url", u)
                .bind("up", upstreamModel).bind("key", sealedKey).bind("at", now.toEpochMilli()).execute());
        return new Endpoint(id, model, tier, URI.create(u), upstreamModel, sealedKey, now);
    }

    public List<Endpoint> list() {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT * FROM endpoints ORDER BY model, created_at")
                .map((rs, ctx) -> new Endpoint(rs.getString("id"), rs.getString("model"),
                        Tier.valueOf(rs.getString("tier").toUpperCase(Locale.ROOT)), URI.create(rs.getString("url")),
                        rs.getString("upstream_model"), rs.getString("key_enc"),
                        Instant.ofEpochMilli(rs.getLong("created_at")))).list());
    }

    public boolean remove(String id) {
        return db.jdbi().withHandle(h -> h.createUpdate("DELETE FROM endpoints WHERE id = :id").bind("id", id).execute()) > 0;
    }
}
