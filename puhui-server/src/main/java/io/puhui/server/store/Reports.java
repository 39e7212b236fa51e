// Complaints and reports about generated content: filed by users with the content's ProduceID, queued for an
// administrator with a deadline, and closed with what was done.
package io.puhui.server.store;

import java.security.SecureRandom;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

public final class Reports {
    /** How long an administrator has to handle a report. */
    public static final Duration DEADLINE = Duration.ofDays(7);
    private static final SecureRandom RANDOM = new SecureRandom();
    private final Database db;

    Reports(Database db) {
        this.db = db;
    }

    public record Report(String id, String produceId, long auditSeq, String reporterKey, String reporterTenant,
                         String reason, String category, String status, Instant createdAt, Instant dueAt,
                         Instant handledAt, String action, String note) {
    }

    /** Files a report about the response with {@code produceId}, whose audit record is {@code auditSeq}. */
    public Report file(String produceId, long auditSeq, String reporterKey, String reporterTenant, String reason,
                       String category) {
        byte[] b = new byte[6];
        RANDOM.nextBytes(b);
        Instant now = db.clock().instant();
        Report r = new Report("rpt_" + HexFormat.of().formatHex(b), produceId, auditSeq, reporterKey, reporterTenant,
                reason, category, "open", now, now.plus(DEADLINE), null, null, null);
        db.jdbi().useHandle(h -> h.createUpdate("INSERT INTO reports (id, produce_id, audit_seq, reporter_key, "
                        + "reporter_tenant, reason, category, status, created_at, due_at) VALUES (:id, :pid, :seq, :key, "
                        + ":tenant, :reason, :category, 'open', :created, :due)")
                .bind("id", r.id()).bind("pid", produceId).bind("seq", auditSeq).bind("key", reporterKey)
                .bind("tenant", reporterTenant).bind("reason", reason).bind("category", category)
                .bind("created", now.toEpochMilli()).bind("due", r.dueAt().toEpochMilli()).execute());
        return r;
    }

    /** Reports in a state ({@code open}, {@code resolved}) or all (null), the nearest deadline first. */
    public List<Report> list(String status) {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT * FROM reports"
                        + (status == null ? "" : " WHERE status = :s") + " ORDER BY due_at, id")
                .bind("s", status).map((rs, ctx) -> read(rs)).list());
    }

    public Optional<Report> find(String id) {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT * FROM reports WHERE id = :id").bind("id", id)
                .map((rs, ctx) -> read(rs)).findOne());
    }

    /** Closes a report with what was done; false when it is not open. */
    public boolean handle(String id, String action, String note) {
        return db.jdbi().withHandle(h -> h.createUpdate("UPDATE reports SET status = 'resolved', action = :a, "
                        + "note = :n, handled_at = :t WHERE id = :id AND status = 'open'")
                .bind("a", action).bind("n", note).bind("t", db.clock().instant().toEpochMilli()).bind("id", id)
                .execute()) > 0;
    }

    private static Report read(ResultSet rs) throws SQLException {
        long handled = rs.getLong("handled_at");
        Instant handledAt = rs.wasNull() ? null : Instant.ofEpochMilli(handled);
        return new Report(rs.getString("id"), rs.getString("produce_id"), rs.getLong("audit_seq"),
                rs.getString("reporter_key"), rs.getString("reporter_tenant"), rs.getString("reason"),
                rs.getString("category"), rs.getString("status"), Instant.ofEpochMilli(rs.getLong("created_at")),
                Instant.ofEpochMilli(rs.getLong("due_at")), handledAt, rs.getString("action"), rs.getString("note"));
    }
}
