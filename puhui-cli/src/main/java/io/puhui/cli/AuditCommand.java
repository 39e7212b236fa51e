// `puhui audit verify|export|purge`: the tamper-evident audit log, kept in the server database.
package io.puhui.cli;

import io.puhui.server.api.Json;
import io.puhui.server.store.AuditLog;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "audit", description = "The audit log of every request (time, tenant, key, route, safety decisions, "
        + "labels, text or its hash): verify its hash chain, export it as JSON lines, purge what is past retention.",
        subcommands = {AuditCommand.Verify.class, AuditCommand.Export.class, AuditCommand.Purge.class})
final class AuditCommand implements Runnable {
    /** The rules ask for at least six months. */
    static final int MIN_RETENTION_DAYS = 180;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "verify", description = "Recompute the hash chain: any record edited, deleted or moved since it was "
            + "written is found (exit 1 and the record named).")
    static final class Verify implements Callable<Integer> {
        @Mixin
        DbOption db;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            try (Store store = db.open()) {
                AuditLog.Verification v = store.db.auditLog().verify();
                if (v.ok()) {
                    spec.commandLine().getOut().println("The audit log verifies: " + v.checked() + " records, chain intact.");
                    return Main.OK;
                }
                spec.commandLine().getErr().println("puhui audit: the chain is broken at record " + v.brokenAt() + ": "
                        + v.problem() + " (" + v.checked() + " records before it verify)");
                return Main.FAILURE;
            }
        }
    }

    @Command(name = "export", description = "Print the records written in a period as JSON lines (none is an empty output).")
    static final class Export implements Callable<Integer> {
        @Option(names = "--from", paramLabel = "DATE|INSTANT", description = "From this day (UTC) or instant, inclusive (default: the start).")
        String from;

        @Option(names = "--to", paramLabel = "DATE|INSTANT", description = "To this day (UTC, inclusive) or instant, exclusive (default: now).")
        String to;

        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write to FILE instead of standard output.")
        Path output;

        @Mixin
        DbOption db;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            Instant f = from == null ? Instant.EPOCH : instant("--from", from, false);
            Instant t = to == null ? Instant.now().plusSeconds(1) : instant("--to", to, true);
            if (!t.isAfter(f)) {
                throw new Main.UsageException("--to must be after --from");
            }
            try (Store store = db.open();
                 Writer w = output == null ? new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8))
                         : new BufferedWriter(Files.newBufferedWriter(output, StandardCharsets.UTF_8))) {
                long[] n = {0};
                store.db.auditLog().export(f, t, e -> {
                    try {
                        w.write(Json.write(e.toJson()));
                        w.write('\n');
                        n[0]++;
                    } catch (IOException x) {
                        throw new java.io.UncheckedIOException(x);
                    }
                });
                w.flush();
                if (output != null) {
                    spec.commandLine().getErr().println("Exported " + n[0] + " records to " + output + ".");
                }
            }
            return Main.OK;
        }

        static Instant instant(String option, String s, boolean endOfDay) {
            try {
                return Instant.parse(s);
            } catch (DateTimeParseException notInstant) {
                try {
                    LocalDate d = LocalDate.parse(s);
                    return (endOfDay ? d.plusDays(1) : d).atStartOfDay(ZoneOffset.UTC).toInstant();
                } catch (DateTimeParseException e) {
                    throw new Main.UsageException(option + " takes a day such as 2026-11-29 or an instant such as "
                            + "2026-11-29T08:00:00Z, not '" + s + "'");
                }
            }
        }
    }

    @Command(name = "purge", description = "Remove the records older than the retention period (at least "
            + MIN_RETENTION_DAYS + " days); the chain still verifies from the last one removed.")
    static final class Purge implements Callable<Integer> {
        @Option(names = "--retention-days", defaultValue = "" + MIN_RETENTION_DAYS, paramLabel = "DAYS",
                description = "Keep this many days (default and minimum ${DEFAULT-VALUE}).")
        int days;

        @Mixin
        DbOption db;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            if (days < MIN_RETENTION_DAYS) {
                throw new Main.UsageException("--retention-days must be at least " + MIN_RETENTION_DAYS
                        + ": the rules ask for six months of logs");
            }
            try (Store store = db.open()) {
                int n = store.db.auditLog().purge(Instant.now().minus(Duration.ofDays(days)));
                spec.commandLine().getOut().println("Removed " + n + " records older than " + days + " days.");
            }
            return Main.OK;
        }
    }
}
