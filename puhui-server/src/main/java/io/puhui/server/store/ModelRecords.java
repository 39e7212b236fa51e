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

    /** A model the server can serve. {@code source} is where it came from: ms://…, hf://… or import:/path. */
    public record ModelRecord(String name, String path, long sizeBytes, String sha256, String source,
                              Instant createdAt) {
    }

    /** Adds the model, or replaces the one of the same name. */
    public void put(ModelRecord m) {
        db.jdbi().useTransaction(h -> {
            h.createUpdate("DELETE FROM models WHERE name = :name").bind("name", m.name()).execute();
            h.createUpdate("INSERT INTO models (name, path, size_bytes, sha256, source, created_at) "
                            + "VALUES (:name, :path, :size, :sha, :source, :created)")
                    .bind("name", m.name()).bind("path", m.path()).bind("size", m.sizeBytes())
                    .bind("sha", m.sha256()).bind("source", m.source())
                    .bind("created", m.createdAt().toEpochMilli()).execute();
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

    private static ModelRecord read(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new ModelRecord(rs.getString("name"), rs.getString("path"), rs.getLong("size_bytes"),
                rs.getString("sha256"), rs.getString("source"), Instant.ofEpochMilli(rs.getLong("created_at")));
    }
}
