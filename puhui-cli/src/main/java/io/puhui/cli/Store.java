// The CLI's view of the server database: the model registry, API keys and usage, opened from PUHUI_HOME or --db.
package io.puhui.cli;

import io.puhui.server.gateway.Access;
import io.puhui.server.store.ApiKeys;
import io.puhui.server.store.BatchWriter;
import io.puhui.server.store.Database;
import io.puhui.server.store.ModelRecords;
import io.puhui.server.store.UsageRecords;
import io.puhui.server.store.Users;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

final class Store implements AutoCloseable {
    final Database db;
    final Path home;
    /** The gateway's usage records, written off the request path; made on first use, closed before the database. */
    private BatchWriter<UsageRecords.Usage> usageWriter;

    private Store(Database db, Path home) {
        this.db = db;
        this.home = home;
    }

    static Store open(Path home, String dbUrl) {
        try {
            Files.createDirectories(home);
            Database db = dbUrl == null ? Database.openDefault(home, Clock.systemUTC())
                    : Database.open(dbUrl, null, null, Clock.systemUTC());
            return new Store(db, home);
        } catch (java.io.IOException e) {
            throw new Main.UsageException("cannot create " + home + ": " + e.getMessage());
        }
    }

    Path modelsDir() {
        return home.resolve("models");
    }

    List<String> modelNames() {
        return db.models().list().stream().map(ModelRecords.ModelRecord::name).toList();
    }

    Optional<Path> modelPath(String name) {
        return db.models().find(name).map(m -> Path.of(m.path()));
    }

    int activeKeys() {
        return db.apiKeys().activeCount();
    }

    /**
     * Access for the gateway: keys checked against the database when required, usage written there always, by a
     * writer of its own: a request does not wait for its record, which is written moments after its answer (in one
     * transaction with those of the requests that ended meanwhile) and, at the latest, when the server stops.
     */
    synchronized Access access(boolean required) {
        ApiKeys keys = db.apiKeys();
        if (usageWriter == null) {
            usageWriter = db.usage().writer();
        }
        BatchWriter<UsageRecords.Usage> usage = usageWriter;
        Clock clock = db.clock();
        return new Access() {
            @Override
            public boolean required() {
                return required;
            }

            @Override
            public Optional<Caller> verify(String bearer) {
                // the key and its user in one query: this runs on every request
                return keys.verifyWithUser(bearer).map(ku -> {
                    ApiKeys.ApiKey k = ku.key();
                    Users.User u = ku.user();
                    Person person = k.userId() == null ? null : u == null ? new Person(k.userId(), false, false, false)
                            : new Person(u.id(), u.verified(), u.minor(), u.labelTermsAcceptedAt() != null);
                    return new Caller(k.id(), k.tenant(), k.admin(), person);
                });
            }

            @Override
            public void record(Usage u) {
                usage.submit(new UsageRecords.Usage(u.requestId(), u.caller().keyId(), u.caller().tenant(),
                        u.model(), u.endpoint(), u.promptTokens(), u.completionTokens(), u.latencyMillis(),
                        u.status(), clock.instant()));
            }
        };
    }

    /** Writes the usage records still queued and stops the writer; later records are written as they come. */
    synchronized void flushUsage() {
        if (usageWriter != null) {
            usageWriter.close();
        }
    }

    @Override
    public void close() {
        flushUsage();
        db.close();
    }
}
