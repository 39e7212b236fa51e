// The audit log the rules require (kept at least six months): every request with its route, safety decisions,
// labels and its text or only the text's hash. Tamper-evident: each record's hash covers the one before it.
package io.puhui.server.store;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.puhui.server.api.Json;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.jdbi.v3.core.statement.PreparedBatch;

public final class AuditLog {
    /** The hash the first record follows. */
    public static final String GENESIS = "0".repeat(64);

    private final Database db;
    private long lastSeq = -1;
    private String lastHash;

    AuditLog(Database db) {
        this.db = db;
    }

    /**
     * One record. {@code inputText}/{@code outputText} are null when the tenant keeps only hashes; the hashes
     * are always kept.
     */
    public record Entry(long seq, Instant at, String requestId, String produceId, String tenant, String userId,
                        String keyId, String model, String route, int status, String decision, String safety,
                        String label, String inputText, String inputHash, String outputText, String outputHash,
                        String prevHash, String hash) {

        /** The fields the hash covers, in a fixed order. */
        ObjectNode canonical() {
            ObjectNode o = Json.MAPPER.createObjectNode();
            o.put("seq", seq).put("at", at.toEpochMilli()).put("request_id", requestId).put("produce_id", produceId)
                    .put("tenant", tenant).put("user_id", userId).put("key_id", keyId).put("model", model)
                    .put("route", route).put("status", status).put("decision", decision).put("safety", safety)
                    .put("label", label).put("input_text", inputText).put("input_hash", inputHash)
                    .put("output_text", outputText).put("output_hash", outputHash).put("prev_hash", prevHash);
            return o;
        }

        public ObjectNode toJson() {
            return canonical().put("hash", hash).put("at_iso", at.toString());
        }
    }

    /** A record to append: {@link #append} gives it its place in the chain. */
    public record Draft(String requestId, String produceId, String tenant, String userId, String keyId, String model,
                        String route, int status, String decision, String safety, String label, String input,
                        String output, boolean keepText) {
    }

    public static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest((text == null ? "" : text).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hashOf(Entry e) {
        return sha256(e.prevHash() + "\n" + Json.write(e.canonical()));
    }

    /** Appends a record at the end of the chain; appends are serialised. */
    public Entry append(Draft d) {
        return appendAll(List.of(d)).get(0);
    }

    /** Appends records at the end of the chain, in order, in one transaction; appends are serialised. */
    public synchronized List<Entry> appendAll(List<Draft> drafts) {
        try {
            return db.jdbi().inTransaction(h -> {
                if (lastSeq < 0) {
                    Optional<Entry> last = h.createQuery("SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1")
                            .map((rs, ctx) -> read(rs)).findOne();
                    if (last.isPresent()) {
                        lastSeq = last.get().seq();
                        lastHash = last.get().hash();
                    } else {
                        var anchor = h.createQuery("SELECT seq, hash FROM audit_anchor WHERE id = 1")
                                .map((rs, ctx) -> new Object[] {rs.getLong(1), rs.getString(2)}).findOne();
                        lastSeq = anchor.map(a -> (Long) a[0]).orElse(0L);
                        lastHash = anchor.map(a -> (String) a[1]).orElse(GENESIS);
                    }
                }
                long seq = lastSeq;
                String prev = lastHash;
                List<Entry> out = new ArrayList<>(drafts.size());
                PreparedBatch batch = h.prepareBatch("INSERT INTO audit_log (seq, at, request_id, produce_id, tenant, "
                        + "user_id, key_id, model, route, status, decision, safety, label, input_text, input_hash, "
                        + "output_text, output_hash, prev_hash, hash) VALUES (:seq, :at, :rid, :pid, :tenant, :user, "
                        + ":key, :model, :route, :status, :decision, :safety, :label, :itext, :ihash, :otext, :ohash, "
                        + ":prev, :hash)");
                for (Draft d : drafts) {
                    Entry e = new Entry(++seq, db.clock().instant(), d.requestId(), d.produceId(), d.tenant(), d.userId(),
                            d.keyId(), d.model(), d.route(), d.status(), d.decision(), d.safety(), d.label(),
                            d.keepText() ? d.input() : null, sha256(d.input()), d.keepText() ? d.output() : null,
                            sha256(d.output()), prev, null);
                    Entry done = new Entry(e.seq(), e.at(), e.requestId(), e.produceId(), e.tenant(), e.userId(),
                            e.keyId(), e.model(), e.route(), e.status(), e.decision(), e.safety(), e.label(),
                            e.inputText(), e.inputHash(), e.outputText(), e.outputHash(), e.prevHash(), hashOf(e));
                    batch.bind("seq", done.seq()).bind("at", done.at().toEpochMilli()).bind("rid", done.requestId())
                            .bind("pid", done.produceId()).bind("tenant", done.tenant()).bind("user", done.userId())
                            .bind("key", done.keyId()).bind("model", done.model()).bind("route", done.route())
                            .bind("status", done.status()).bind("decision", done.decision())
                            .bind("safety", done.safety()).bind("label", done.label()).bind("itext", done.inputText())
                            .bind("ihash", done.inputHash()).bind("otext", done.outputText())
                            .bind("ohash", done.outputHash()).bind("prev", done.prevHash()).bind("hash", done.hash())
                            .add();
                    out.add(done);
                    prev = done.hash();
                }
                batch.execute();
                // the head, so that removing the newest records is found too
                int updated = h.createUpdate("UPDATE audit_anchor SET seq = :s, hash = :h WHERE id = 2")
                        .bind("s", seq).bind("h", prev).execute();
                if (updated == 0) {
                    h.createUpdate("INSERT INTO audit_anchor (id, seq, hash) VALUES (2, :s, :h)")
                            .bind("s", seq).bind("h", prev).execute();
                }
                lastSeq = seq;
                lastHash = prev;
                return out;
            });
        } catch (RuntimeException e) {
            lastSeq = -1; // read the head again next time: the transaction was rolled back
            throw e;
        }
    }

    /** Appends records through a {@link BatchWriter}, so that a request does not wait for the database. */
    public static final class Writer extends BatchWriter<Draft> {
        private final AuditLog log;

        public Writer(AuditLog log) {
            super("audit records", log::appendAll, log::append, d -> d.requestId() + " " + d);
            this.log = log;
        }

        public AuditLog log() {
            return log;
        }
    }

    /** What {@link #verify} found: how many records it checked and, if the chain is broken, where and how. */
    public record Verification(long checked, Long brokenAt, String problem) {
        public boolean ok() {
            return brokenAt == null;
        }
    }

    /** Walks the chain from the anchor (or the start) and recomputes every hash. */
    public Verification verify() {
        return db.jdbi().withHandle(h -> {
            var anchor = h.createQuery("SELECT seq, hash FROM audit_anchor WHERE id = 1")
                    .map((rs, ctx) -> new Object[] {rs.getLong(1), rs.getString(2)}).findOne();
            long expectSeq = anchor.map(a -> (Long) a[0]).orElse(0L) + 1;
            String prev = anchor.map(a -> (String) a[1]).orElse(GENESIS);
            long checked = 0;
            try (var it = h.createQuery("SELECT * FROM audit_log ORDER BY seq").map((rs, ctx) -> read(rs)).iterator()) {
                while (it.hasNext()) {
                    Entry e = it.next();
                    if (e.seq() != expectSeq) {
                        return new Verification(checked, expectSeq, "record " + expectSeq + " is missing (the next is "
                                + e.seq() + ")");
                    }
                    if (!e.prevHash().equals(prev)) {
                        return new Verification(checked, e.seq(), "record " + e.seq() + " does not follow the one before "
                                + "it (a record before it was changed, removed or moved)");
                    }
                    if (!hashOf(e).equals(e.hash())) {
                        return new Verification(checked, e.seq(), "record " + e.seq() + " was changed after it was written");
                    }
                    prev = e.hash();
                    expectSeq++;
                    checked++;
                }
            }
            var head = h.createQuery("SELECT seq, hash FROM audit_anchor WHERE id = 2")
                    .map((rs, ctx) -> new Object[] {rs.getLong(1), rs.getString(2)}).findOne();
            if (head.isPresent() && ((Long) head.get()[0] != expectSeq - 1 || !head.get()[1].equals(prev))) {
                return new Verification(checked, expectSeq, "the newest records, up to " + head.get()[0]
                        + ", are missing or changed (the log ends at " + (expectSeq - 1) + ")");
            }
            return new Verification(checked, null, null);
        });
    }

    /** The records written in {@code [from, to)}, oldest first; none is an empty result, not an error. */
    public void export(Instant from, Instant to, Consumer<Entry> out) {
        db.jdbi().useHandle(h -> {
            try (var it = h.createQuery("SELECT * FROM audit_log WHERE at >= :from AND at < :to ORDER BY seq")
                    .bind("from", from.toEpochMilli()).bind("to", to.toEpochMilli()).map((rs, ctx) -> read(rs)).iterator()) {
                it.forEachRemaining(out);
            }
        });
    }

    /** How many requests a user made since {@code since} (minors' daily limit). */
    public long countForUser(String userId, Instant since) {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT COUNT(*) FROM audit_log WHERE user_id = :u AND at >= :t")
                .bind("u", userId).bind("t", since.toEpochMilli()).mapTo(Long.class).one());
    }

    /** The records of a ProduceID (one, normally). */
    public List<Entry> byProduceId(String produceId) {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT * FROM audit_log WHERE produce_id = :p ORDER BY seq")
                .bind("p", produceId).map((rs, ctx) -> read(rs)).list());
    }

    /**
     * Removes the records written before {@code before} (beyond the retention period), keeping the last removed
     * record's seq and hash as the anchor the chain verifies from. Returns how many were removed.
     */
    public synchronized int purge(Instant before) {
        return db.jdbi().inTransaction(h -> {
            Optional<Entry> last = h.createQuery("SELECT * FROM audit_log WHERE at < :b ORDER BY seq DESC LIMIT 1")
                    .bind("b", before.toEpochMilli()).map((rs, ctx) -> read(rs)).findOne();
            if (last.isEmpty()) {
                return 0;
            }
            int n = h.createUpdate("DELETE FROM audit_log WHERE seq <= :s").bind("s", last.get().seq()).execute();
            int updated = h.createUpdate("UPDATE audit_anchor SET seq = :s, hash = :h WHERE id = 1")
                    .bind("s", last.get().seq()).bind("h", last.get().hash()).execute();
            if (updated == 0) {
                h.createUpdate("INSERT INTO audit_anchor (id, seq, hash) VALUES (1, :s, :h)")
                        .bind("s", last.get().seq()).bind("h", last.get().hash()).execute();
            }
            return n;
        });
    }

    private static Entry read(ResultSet rs) throws SQLException {
        return new Entry(rs.getLong("seq"), Instant.ofEpochMilli(rs.getLong("at")), rs.getString("request_id"),
                rs.getString("produce_id"), rs.getString("tenant"), rs.getString("user_id"), rs.getString("key_id"),
                rs.getString("model"), rs.getString("route"), rs.getInt("status"), rs.getString("decision"),
                rs.getString("safety"), rs.getString("label"), rs.getString("input_text"), rs.getString("input_hash"),
                rs.getString("output_text"), rs.getString("output_hash"), rs.getString("prev_hash"), rs.getString("hash"));
    }
}
