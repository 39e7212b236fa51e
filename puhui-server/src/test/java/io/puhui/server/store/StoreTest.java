// The schema and its records on both databases the server runs on: an H2 file and PostgreSQL (127.0.0.1:5432).
package io.puhui.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.puhui.server.pool.Tier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.EnumSet;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.ThreadLocalRandom;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class StoreTest {
    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-28T12:00:00Z"), ZoneOffset.UTC);
    static final String PG = "jdbc:postgresql://127.0.0.1:5432/";
    static final List<String> PG_DATABASES = new ArrayList<>();

    static List<Named<Supplier<Database>>> databases() {
        return List.of(Named.of("H2", StoreTest::h2), Named.of("PostgreSQL", StoreTest::postgres));
    }

    static Database h2() {
        try {
            return Database.openDefault(Files.createTempDirectory("puhui-h2"), CLOCK);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    /** A fresh database per test, dropped at the end. */
    static Database postgres() {
        String name = "puhui_test_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        try (Connection c = DriverManager.getConnection(PG + "postgres", "postgres", "")) {
            c.createStatement().execute("CREATE DATABASE " + name);
        } catch (java.sql.SQLException e) {
            throw new AssertionError("PostgreSQL must run at 127.0.0.1:5432 (user postgres, trust auth): " + e, e);
        }
        PG_DATABASES.add(name);
        return Database.open(PG + name, "postgres", null, CLOCK);
    }

    @AfterAll
    static void dropDatabases() throws Exception {
        try (Connection c = DriverManager.getConnection(PG + "postgres", "postgres", "")) {
            for (String name : PG_DATABASES) {
                c.createStatement().execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("databases")
    void modelsArePutFoundListedAndRemoved(Supplier<Database> open) {
        try (Database db = open.get()) {
            ModelRecords models = db.models();
            models.put(new ModelRecords.ModelRecord("qwen2.5-0.5b-instruct:q4_k_m", "/m/q.gguf", 123, "ab".repeat(32),
                    "ms://Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf", CLOCK.instant()));
            models.put(new ModelRecords.ModelRecord("故事", "/m/s.gguf", 7, null, "import:/m/s.gguf", CLOCK.instant()));
            assertThat(models.list()).extracting(ModelRecords.ModelRecord::name)
                    .containsExactly("qwen2.5-0.5b-instruct:q4_k_m", "故事");
            assertThat(models.find("故事").orElseThrow().sha256()).isNull();
            models.put(new ModelRecords.ModelRecord("故事", "/m/s2.gguf", 8, null, "import:/m/s2.gguf",
                    CLOCK.instant()));
            assertThat(models.find("故事").orElseThrow().path()).isEqualTo("/m/s2.gguf");
            assertThat(models.remove("故事")).isTrue();
            assertThat(models.remove("故事")).isFalse();
            assertThat(models.find("故事")).isEmpty();
        }
    }

    @ParameterizedTest
    @MethodSource("databases")
    void variantsCarryTheirParentMethodAndFidelity(Supplier<Database> open) {
        try (Database db = open.get()) {
            ModelRecords models = db.models();
            String parent = "cd".repeat(32);
            models.put(new ModelRecords.ModelRecord("s:q4_k_m", "/m/q4.gguf", 304_096, "01".repeat(32),
                    "import:/m/q4.gguf", CLOCK.instant(), new ModelRecords.Lineage(parent, "Q4_K_M", 0.0176, 0.9266)));
            models.put(new ModelRecords.ModelRecord("s:q3_k_m", "/m/q3.gguf", 281_120, "02".repeat(32),
                    "import:/m/q3.gguf", CLOCK.instant(), new ModelRecords.Lineage(parent, "Q3_K_M", Double.NaN,
                            Double.NaN)));
            models.put(new ModelRecords.ModelRecord("other", "/m/o.gguf", 5, null, "import:/m/o.gguf", CLOCK.instant()));
            assertThat(models.variantsOf(parent)).extracting(ModelRecords.ModelRecord::name)
                    .containsExactly("s:q3_k_m", "s:q4_k_m");
            ModelRecords.Lineage q4 = models.find("s:q4_k_m").orElseThrow().lineage();
            assertThat(q4.method()).isEqualTo("Q4_K_M");
            assertThat(q4.klMean()).isEqualTo(0.0176);
            assertThat(q4.top1()).isEqualTo(0.9266);
            assertThat(models.find("s:q3_k_m").orElseThrow().lineage().klMean()).isNaN();
            assertThat(models.find("other").orElseThrow().lineage()).isNull();
        }
    }

    @ParameterizedTest
    @MethodSource("databases")
    void keysVerifyOnlyWhileActiveAndAreNeverStoredInTheClear(Supplier<Database> open) throws Exception {
        try (Database db = open.get()) {
            ApiKeys keys = db.apiKeys();
            ApiKeys.CreatedKey k = keys.create("ci", "team-a");
            assertThat(k.secret()).startsWith("sk-puhui-").hasSizeGreaterThan(40);
            assertThat(keys.verify(k.secret())).get().extracting(ApiKeys.ApiKey::tenant).isEqualTo("team-a");
            assertThat(keys.verify(k.secret() + "x")).isEmpty();
            assertThat(keys.verify("")).isEmpty();
            assertThat(keys.list().get(0).lastUsedAt()).isEqualTo(CLOCK.instant());
            assertThatThrownBy(() -> keys.create("ci", "team-b")).hasMessageContaining("exists already");
            db.jdbi().useHandle(h -> {
                try (ResultSet rs = h.getConnection().createStatement().executeQuery("SELECT * FROM api_keys")) {
                    while (rs.next()) {
                        for (int c = 1; c <= rs.getMetaData().getColumnCount(); c++) {
                            assertThat(String.valueOf(rs.getObject(c))).doesNotContain(k.secret().substring(12));
                        }
                    }
                }
            });
            assertThat(keys.activeCount()).isEqualTo(1);
            assertThat(keys.revoke("ci")).isTrue();
            assertThat(keys.verify(k.secret())).isEmpty();
            assertThat(keys.activeCount()).isZero();
            assertThat(keys.create("ci", null).key().tenant()).isEqualTo("ci"); // the name is free again
            assertThat(keys.verify(keys.create("root", null, true).secret())).get().extracting(ApiKeys.ApiKey::admin)
                    .isEqualTo(true);
            assertThat(keys.list()).filteredOn(x -> x.name().equals("ci") && !x.revoked())
                    .extracting(ApiKeys.ApiKey::admin).containsExactly(false);
        }
    }

    @ParameterizedTest
    @MethodSource("databases")
    void usageIsRecordedAndTotalled(Supplier<Database> open) {
        try (Database db = open.get()) {
            UsageRecords usage = db.usage();
            usage.record(new UsageRecords.Usage("req-1", "key_1", "team-a", "m", "chat.completions", 10, 20, 35, 200,
                    CLOCK.instant()));
            usage.record(new UsageRecords.Usage("req-2", null, "team-b", "m", "completions", 1, 2, 5, 200,
                    CLOCK.instant().plusSeconds(1)));
            assertThat(usage.totals("team-a")).isEqualTo(new UsageRecords.Totals(1, 10, 20));
            assertThat(usage.totals(null)).isEqualTo(new UsageRecords.Totals(2, 11, 22));
            assertThat(usage.recent(1)).extracting(UsageRecords.Usage::requestId).containsExactly("req-2");
        }
    }

    @ParameterizedTest
    @MethodSource("databases")
    void usageHandedToTheWriterFromManyThreadsIsWrittenOnDrainAndOnClose(Supplier<Database> open) throws Exception {
        try (Database db = open.get()) {
            UsageRecords usage = db.usage();
            try (BatchWriter<UsageRecords.Usage> w = usage.writer()) {
                Thread[] threads = new Thread[8];
                for (int t = 0; t < threads.length; t++) {
                    int base = t * 50;
                    threads[t] = Thread.ofVirtual().start(() -> {
                        for (int i = 0; i < 50; i++) {
                            w.submit(new UsageRecords.Usage("req-" + (base + i), null, "团队-" + (base + i) % 2, "m",
                                    "completions", 3, 4, 1, 200, CLOCK.instant()));
                        }
                    });
                }
                for (Thread t : threads) {
                    t.join();
                }
                w.drain();
                assertThat(usage.totals(null)).isEqualTo(new UsageRecords.Totals(400, 1200, 1600));
                assertThat(usage.totals("团队-1")).isEqualTo(new UsageRecords.Totals(200, 600, 800));
                w.submit(new UsageRecords.Usage("last", null, "t", "m", "completions", 1, 1, 1, 200, CLOCK.instant()));
            }
            assertThat(usage.totals(null).requests()).as("close writes what was queued").isEqualTo(401);
        }
    }

    @ParameterizedTest
    @MethodSource("databases")
    void tenantPoliciesAreSetReplacedReadAfterReopeningAndRemoved(Supplier<Database> open) {
        try (Database db = open.get()) {
            Tenants tenants = db.tenants();
            assertThat(tenants.get("acme")).isEmpty();
            Tenants.Policy p = tenants.put("acme", EnumSet.of(Tier.EDGE, Tier.DEVICE), OptionalDouble.of(0.8));
            assertThat(p.tierNames()).containsExactly("device", "edge");
            assertThat(tenants.get("acme")).contains(p);
            tenants.put("acme", EnumSet.of(Tier.CLOUD), OptionalDouble.empty());
            tenants.put("北京分公司", EnumSet.of(Tier.DEVICE), OptionalDouble.empty());
            // a second instance reads the table itself
            Tenants fresh = db.tenants();
            assertThat(fresh.get("acme")).get().satisfies(x -> {
                assertThat(x.tiers()).containsExactly(Tier.CLOUD);
                assertThat(x.minQuality()).isEmpty();
            });
            assertThat(fresh.list()).extracting(Tenants.Policy::tenant).containsExactly("acme", "北京分公司");
            assertThat(tenants.remove("acme")).isTrue();
            assertThat(tenants.remove("acme")).isFalse();
            assertThat(tenants.get("acme")).isEmpty();
            assertThatThrownBy(() -> tenants.put(" ", EnumSet.of(Tier.EDGE), OptionalDouble.empty()))
                    .hasMessageContaining("tenant name");
            assertThatThrownBy(() -> tenants.put("x", EnumSet.noneOf(Tier.class), OptionalDouble.empty()))
                    .hasMessageContaining("at least one tier");
            assertThatThrownBy(() -> tenants.put("x", EnumSet.of(Tier.EDGE), OptionalDouble.of(1.5)))
                    .hasMessageContaining("from 0 to 1");
            assertThatThrownBy(() -> Tenants.parseTiers("edge,moon")).hasMessage("'moon' is not a tier: use device, edge or cloud");
        }
    }

    static AuditLog.Draft draft(int i, boolean keepText) {
        return new AuditLog.Draft("req-" + i, "pid-" + i, "team-a", null, "key_1", "m", "edge:this server/m", 200,
                "passed", "{\"input\":[],\"output\":[]}", "explicit+implicit", "问题 " + i, "回答 " + i, keepText);
    }

    @ParameterizedTest
    @MethodSource("databases")
    void theAuditChainVerifiesAndFindsEditedDeletedAndMovedRecords(Supplier<Database> open) {
        try (Database db = open.get()) {
            AuditLog log = db.auditLog();
            for (int i = 1; i <= 4; i++) {
                log.append(draft(i, i != 3));
            }
            assertThat(log.verify()).isEqualTo(new AuditLog.Verification(4, null, null));
            assertThat(log.byProduceId("pid-3")).singleElement().satisfies(e -> {
                assertThat(e.inputText()).as("only the hash kept").isNull();
                assertThat(e.inputHash()).isEqualTo(AuditLog.sha256("问题 3"));
            });
            List<AuditLog.Entry> all = new ArrayList<>();
            log.export(Instant.EPOCH, CLOCK.instant().plusSeconds(1), all::add);
            assertThat(all).extracting(AuditLog.Entry::seq).containsExactly(1L, 2L, 3L, 4L);
            List<AuditLog.Entry> none = new ArrayList<>();
            log.export(Instant.EPOCH, Instant.EPOCH.plusSeconds(1), none::add);
            assertThat(none).as("a period with no records is empty").isEmpty();

            db.jdbi().useHandle(h -> h.execute("UPDATE audit_log SET output_text = '改过的回答' WHERE seq = 2"));
            assertThat(log.verify()).satisfies(v -> {
                assertThat(v.brokenAt()).isEqualTo(2);
                assertThat(v.problem()).contains("changed");
                assertThat(v.checked()).isEqualTo(1);
            });
            db.jdbi().useHandle(h -> h.execute("UPDATE audit_log SET output_text = '回答 2' WHERE seq = 2"));
            assertThat(log.verify().ok()).isTrue();
            // moving a record: swap the places of 3 and 4
            db.jdbi().useHandle(h -> {
                h.execute("UPDATE audit_log SET seq = 99 WHERE seq = 3");
                h.execute("UPDATE audit_log SET seq = 3 WHERE seq = 4");
                h.execute("UPDATE audit_log SET seq = 4 WHERE seq = 99");
            });
            assertThat(log.verify().brokenAt()).isEqualTo(3);
            db.jdbi().useHandle(h -> {
                h.execute("UPDATE audit_log SET seq = 99 WHERE seq = 3");
                h.execute("UPDATE audit_log SET seq = 3 WHERE seq = 4");
                h.execute("UPDATE audit_log SET seq = 4 WHERE seq = 99");
            });
            assertThat(log.verify().ok()).isTrue();
            db.jdbi().useHandle(h -> h.execute("DELETE FROM audit_log WHERE seq = 4"));
            assertThat(log.verify()).satisfies(v -> assertThat(v.problem()).contains("newest records, up to 4"));
            db.jdbi().useHandle(h -> h.execute("DELETE FROM audit_log WHERE seq = 2"));
            assertThat(log.verify()).satisfies(v -> assertThat(v.problem()).contains("record 2 is missing"));
        }
    }

    @ParameterizedTest
    @MethodSource("databases")
    void recordsHandedOverFromManyThreadsAreAllWrittenInOneChain(Supplier<Database> open) throws Exception {
        try (Database db = open.get()) {
            AuditLog log = db.auditLog();
            try (AuditLog.Writer w = new AuditLog.Writer(log)) {
                Thread[] threads = new Thread[8];
                for (int t = 0; t < threads.length; t++) {
                    int base = t * 25;
                    threads[t] = Thread.ofVirtual().start(() -> {
                        for (int i = 0; i < 25; i++) {
                            w.submit(draft(base + i, true));
                        }
                    });
                }
                for (Thread t : threads) {
                    t.join();
                }
                w.drain();
                assertThat(log.verify()).isEqualTo(new AuditLog.Verification(200, null, null));
                w.submit(draft(1000, true));
            }
            assertThat(db.auditLog().verify().checked()).as("close writes what was queued").isEqualTo(201);
        }
    }

    @ParameterizedTest
    @MethodSource("databases")
    void purgingOldRecordsKeepsTheChainVerifiable(Supplier<Database> open) {
        try (Database db = open.get()) {
            AuditLog log = db.auditLog();
            for (int i = 1; i <= 3; i++) {
                log.append(draft(i, true));
            }
            assertThat(log.purge(CLOCK.instant().plusMillis(1))).isEqualTo(3);
            assertThat(log.purge(CLOCK.instant().plusMillis(1))).isZero();
            AuditLog.Entry next = db.auditLog().append(draft(4, true));
            assertThat(next.seq()).as("numbering goes on after a purge").isEqualTo(4);
            assertThat(db.auditLog().verify()).isEqualTo(new AuditLog.Verification(1, null, null));
        }
    }

    @ParameterizedTest
    @MethodSource("databases")
    void usersOwnKeysAndTheirRecordChanges(Supplier<Database> open) {
        try (Database db = open.get()) {
            Users users = db.users();
            Users.User u = users.create("school", "小明", false, true);
            ApiKeys.CreatedKey k = db.apiKeys().create("kid", null, false, u);
            assertThat(k.key().tenant()).isEqualTo("school");
            assertThat(db.apiKeys().verify(k.secret())).get().extracting(ApiKeys.ApiKey::userId).isEqualTo(u.id());
            assertThatThrownBy(() -> db.apiKeys().create("kid2", "elsewhere", false, u)).hasMessageContaining("school");
            Users.User v = users.update(u.id(), true, null, true).orElseThrow();
            assertThat(v.verified()).isTrue();
            assertThat(v.minor()).isTrue();
            assertThat(v.labelTermsAcceptedAt()).isEqualTo(CLOCK.instant());
            assertThat(users.find(u.id())).contains(v);
            assertThat(users.update("usr_none", true, null, null)).isEmpty();
            Tenants tenants = db.tenants();
            assertThat(tenants.compliance("school")).isEqualTo(Tenants.Compliance.defaults("school"));
            Tenants.Compliance c = new Tenants.Compliance("school", true, false, false, 20, Set.of("gambling", "drugs"),
                    "【人工智能生成】", true);
            tenants.putCompliance(c);
            assertThat(db.tenants().compliance("school")).isEqualTo(c);
            AuditLog log = db.auditLog();
            log.append(new AuditLog.Draft("r1", "p1", "school", u.id(), k.key().id(), "m", "route", 200, "passed", "{}",
                    "implicit only (user accepted the labelling terms)", "q", "a", false));
            assertThat(log.countForUser(u.id(), CLOCK.instant().minusSeconds(1))).isEqualTo(1);
            assertThat(log.countForUser(u.id(), CLOCK.instant().plusSeconds(1))).isZero();
        }
    }

    @Test
    void theSharedFileIsServedToOtherProcessesOnLoopbackOnly(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        try (Database db = Database.openDefault(dir, CLOCK)) {
            db.apiKeys().create("a", null);
            java.util.Properties lock = new java.util.Properties();
            try (var in = Files.newInputStream(dir.resolve("puhui.lock.db"))) {
                lock.load(in);
            }
            String server = lock.getProperty("server");
            assertThat(server).as("AUTO_SERVER names its listener in the lock file").isNotNull();
            int port = Integer.parseInt(server.substring(server.lastIndexOf(':') + 1));
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                assertThat(s.isConnected()).isTrue();
            }
            // every other address of this machine is refused
            for (java.net.NetworkInterface nif : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
                for (java.net.InetAddress address : java.util.Collections.list(nif.getInetAddresses())) {
                    if (address.isLoopbackAddress() || address.isLinkLocalAddress()) {
                        continue;
                    }
                    assertThatThrownBy(() -> new java.net.Socket(address, port).close()).as(address.toString())
                            .isInstanceOf(java.net.ConnectException.class);
                }
            }
        }
    }

    @Test
    void schemaSurvivesReopeningAndBadUrlsSayWhatToDo(@org.junit.jupiter.api.io.TempDir Path dir) {
        try (Database db = Database.openDefault(dir, CLOCK)) {
            db.apiKeys().create("a", null);
        }
        try (Database db = Database.openDefault(dir, CLOCK); Database second = Database.openDefault(dir, CLOCK)) {
            // a second process (puhui key create while serve runs) shares the file
            assertThat(db.apiKeys().activeCount()).isEqualTo(1);
            second.apiKeys().create("b", null);
            assertThat(db.apiKeys().activeCount()).isEqualTo(2);
        }
        assertThatThrownBy(() -> Database.open("jdbc:mysql://x/y", null, null, CLOCK))
                .hasMessageContaining("unsupported database URL").hasMessageContaining("jdbc:postgresql://");
        assertThatThrownBy(() -> Database.open("jdbc:postgresql://127.0.0.1:1/none", "postgres", null, CLOCK))
                .hasMessageContaining("cannot connect to jdbc:postgresql://127.0.0.1:1/none");
    }
}
