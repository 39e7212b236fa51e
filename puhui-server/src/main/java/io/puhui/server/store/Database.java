// The server's database: an embedded H2 file by default, PostgreSQL in production; one schema, migrated by Flyway.
package io.puhui.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.time.Clock;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;

public final class Database implements AutoCloseable {
    private final HikariDataSource pool;
    private final Jdbi jdbi;
    private final Clock clock;

    private Database(HikariDataSource pool, Clock clock) {
        this.pool = pool;
        this.jdbi = Jdbi.create(pool);
        this.clock = clock;
    }

    static {
        // AUTO_SERVER's listener is for other processes on this machine: bound to the loopback address, not to
        // every interface as H2 would by default (H2 reads the setting once, when its classes load)
        if (System.getProperty("h2.bindAddress") == null) {
            System.setProperty("h2.bindAddress", "127.0.0.1");
        }
    }

    /**
     * The default store: an H2 file database in {@code puhuiHome}. AUTO_SERVER lets a second process (say
     * {@code puhui key create} while {@code serve} runs) use the same file through the first one, over a socket
     * on 127.0.0.1.
     */
    public static Database openDefault(Path puhuiHome, Clock clock) {
        return open("jdbc:h2:file:" + puhuiHome.toAbsolutePath().resolve("puhui")
                + ";AUTO_SERVER=TRUE", null, null, clock);
    }

    /**
     * Connects and brings the schema up to date.
     *
     * @throws IllegalArgumentException with a one-line reason when the URL is not usable
     */
    public static Database open(String jdbcUrl, String user, String password, Clock clock) {
        if (jdbcUrl == null || !(jdbcUrl.startsWith("jdbc:h2:") || jdbcUrl.startsWith("jdbc:postgresql:"))) {
            throw new IllegalArgumentException("unsupported database URL '" + jdbcUrl + "': use jdbc:h2:file:PATH or "
                    + "jdbc:postgresql://HOST:PORT/DB?user=USER");
        }
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        if (user != null) {
            config.setUsername(user);
        } else if (jdbcUrl.startsWith("jdbc:h2:")) {
            config.setUsername("sa");
        }
        if (password != null) {
            config.setPassword(password);
        }
        config.setMaximumPoolSize(8);
        config.setMinimumIdle(1);
        config.setPoolName("puhui-db");
        config.setInitializationFailTimeout(10_000);
        config.setConnectionTimeout(10_000);
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cannot connect to " + redact(jdbcUrl) + ": " + rootMessage(e)
                    + "; check that the database runs and the URL, user and password are right", e);
        }
        try {
            Flyway.configure().dataSource(pool).locations("classpath:db/migration").load().migrate();
        } catch (RuntimeException e) {
            pool.close();
            throw new IllegalArgumentException("cannot prepare the schema in " + redact(jdbcUrl) + ": "
                    + rootMessage(e), e);
        }
        return new Database(pool, clock);
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    public Clock clock() {
        return clock;
    }

    public ModelRecords models() {
        return new ModelRecords(this);
    }

    public Endpoints endpoints() {
        return new Endpoints(this);
    }

    public JoinTokens joinTokens() {
        return new JoinTokens(this);
    }

    public ApiKeys apiKeys() {
        return new ApiKeys(this);
    }

    public Users users() {
        return new Users(this);
    }

    public Reports reports() {
        return new Reports(this);
    }

    /** The audit log; keep one instance per process, which serialises appends. */
    public AuditLog auditLog() {
        return new AuditLog(this);
    }

    /** Tenants' policies; keep one instance, which caches them. */
    public Tenants tenants() {
        return new Tenants(this);
    }

    public UsageRecords usage() {
        return new UsageRecords(this);
    }

    private static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^&;]*", "$1***");
    }

    private static String rootMessage(Throwable e) {
        while (e.getCause() != null && e.getCause() != e) {
            e = e.getCause();
        }
        return e.getMessage();
    }

    @Override
    public void close() {
        pool.close();
    }
}
