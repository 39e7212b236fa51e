// The model store's registry: which names map to which files, where they came from and their checksums.
package io.puhui.server.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

public final class ModelRecords {
    private final Database db;

    ModelRecords(Database db) {
        this.db = db;
    }

    /**
     * A model the server can serve. {@code source} is where it came from: ms://…, hf://… or import:/path;
     * {@code lineage} is set for a compressed variant whose record was found.
     */
    public record ModelRecord(String name, String path, long sizeBytes, String sha256, String source,
                              Instant createdAt, Lineage lineage) {
        public ModelRecord(String name, String path, long sizeBytes, String sha256, String source, Instant createdAt) {
            this(name, path, sizeBytes, sha256, source, createdAt, null);
        }
    }

    /**
     * A variant's parent (by sha256), how it was made, and, when it was evaluated against the parent, its mean
     * KL divergence and top-1 agreement (NaN when not measured).
     */
    public record Lineage(String parentSha256, String method, double klMean, double top1) {
    }

    /** Adds the model, or replaces the one of the same name. */
    public void put(ModelRecord m) {
        db.jdbi().useTransaction(h -> {
            h.createUpdate("DELETE FROM models WHERE name = :name").bind("name", m.name()).execute();
            Lineage l = m.lineage();
            h.createUpdate("INSERT INTO models (name, path, size_bytes, sha256, source, created_at, parent_sha256,"
                            + " method, kl_mean, top1) VALUES (:name, :path, :size, :sha, :source, :created,"
                            + " :parent, :method, :kl, :top1)")
                    .bind("name", m.name()).bind("path", m.path()).bind("size", m.sizeBytes())
                    .bind("sha", m.sha256()).bind("source", m.source())
                    .bind("created", m.createdAt().toEpochMilli())
                    .bind("parent", l == null ? null : l.parentSha256())
                    .bind("method", l == null ? null : l.method())
                    .bind("kl", l == null || Double.isNaN(l.klMean()) ? null : (Double) l.klMean())
                    .bind("top1", l == null || Double.isNaN(l.top1()) ? null : (Double) l.top1())
                    .execute();
        });
    }

    public Optional<ModelRecord> find(String name) {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT * FROM models WHERE name = :name")
                .bind("name", name).map((rs, ctx) -> read(rs)).findOne());
    }

    public List<ModelRecord> list() {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT * FROM models ORDER BY name")
                .map((rs, ctx) -> read(rs)).list());
    }

    public boolean remove(String name) {
        return db.jdbi().withHandle(h -> h.createUpdate("DELETE FROM models WHERE name = :name")
                .bind("name", name).execute()) > 0;
    }

    /** The variants made from the model with this sha256, smallest first. */
    public List<ModelRecord> variantsOf(String parentSha256) {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT * FROM models WHERE parent_sha256 = :p"
                        + " ORDER BY size_bytes, name")
                .bind("p", parentSha256).map((rs, ctx) -> read(rs)).list());
    }

    private static ModelRecord read(java.sql.ResultSet rs) throws java.sql.SQLException {
        String parent = rs.getString("parent_sha256");
        Lineage lineage = null;
        if (parent != null) {
            double kl = rs.getDouble("kl_mean");
            boolean noKl = rs.wasNull();
            double top1 = rs.getDouble("top1");
            boolean noTop1 = rs.wasNull();
            lineage = new Lineage(parent, rs.getString("method"), noKl ? Double.NaN : kl, noTop1 ? Double.NaN : top1);
        }
        return new ModelRecord(rs.getString("name"), rs.getString("path"), rs.getLong("size_bytes"),
                rs.getString("sha256"), rs.getString("source"), Instant.ofEpochMilli(rs.getLong("created_at")),
                lineage);
    }
}
