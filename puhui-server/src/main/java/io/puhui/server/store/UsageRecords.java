// One row per answered request: who asked which model, how many tokens went in and out, how long it took.
package io.puhui.server.store;

import java.time.Instant;
import java.util.List;
import org.jdbi.v3.core.statement.PreparedBatch;

public final class UsageRecords {
    private final Database db;

    UsageRecords(Database db) {
        this.db = db;
    }

    public record Usage(String requestId, String keyId, String tenant, String model, String endpoint,
                        int promptTokens, int completionTokens, long latencyMillis, int status, Instant createdAt) {
    }

    public record Totals(long requests, long promptTokens, long completionTokens) {
    }

    private static final String INSERT = "INSERT INTO usage_records (request_id, key_id, tenant, model, endpoint, "
            + "prompt_tokens, completion_tokens, latency_ms, status, created_at) VALUES "
            + "(:id, :key, :tenant, :model, :endpoint, :pt, :ct, :lat, :status, :at)";

    public void record(Usage u) {
        recordAll(List.of(u));
    }

    /** Writes the records in one transaction. */
    public void recordAll(List<Usage> records) {
        db.jdbi().useTransaction(h -> {
            PreparedBatch batch = h.prepareBatch(INSERT);
            for (Usage u : records) {
                batch.bind("id", u.requestId()).bind("key", u.keyId()).bind("tenant", u.tenant())
                        .bind("model", u.model()).bind("endpoint", u.endpoint()).bind("pt", u.promptTokens())
                        .bind("ct", u.completionTokens()).bind("lat", u.latencyMillis()).bind("status", u.status())
                        .bind("at", u.createdAt().toEpochMilli()).add();
            }
            batch.execute();
        });
    }

    /** Writes usage records through a {@link BatchWriter}, so that a request does not wait for the database. */
    public BatchWriter<Usage> writer() {
        return new BatchWriter<>("usage records", this::recordAll, this::record, Usage::toString);
    }

    public List<Usage> recent(int limit) {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT * FROM usage_records ORDER BY created_at DESC, "
                        + "request_id LIMIT :n").bind("n", limit)
                .map((rs, ctx) -> new Usage(rs.getString("request_id"), rs.getString("key_id"), rs.getString("tenant"),
                        rs.getString("model"), rs.getString("endpoint"), rs.getInt("prompt_tokens"),
                        rs.getInt("completion_tokens"), rs.getLong("latency_ms"), rs.getInt("status"),
                        Instant.ofEpochMilli(rs.getLong("created_at")))).list());
    }

    /** Totals for one tenant, or for all when {@code tenant} is null. */
    public Totals totals(String tenant) {
        String where = tenant == null ? "" : " WHERE tenant = :tenant";
        return db.jdbi().withHandle(h -> {
            var q = h.createQuery("SELECT COUNT(*) AS n, COALESCE(SUM(prompt_tokens), 0) AS pt, "
                    + "COALESCE(SUM(completion_tokens), 0) AS ct FROM usage_records" + where);
            if (tenant != null) {
                q.bind("tenant", tenant);
            }
            return q.map((rs, ctx) -> new Totals(rs.getLong("n"), rs.getLong("pt"), rs.getLong("ct"))).one();
        });
    }
}
