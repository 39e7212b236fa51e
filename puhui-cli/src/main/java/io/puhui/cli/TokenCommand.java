// `puhui token create|list|revoke`: join tokens with which agents join the pool, stored hashed in the database.
package io.puhui.cli;

import io.puhui.server.pool.Tier;
import io.puhui.server.store.JoinTokens;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "token", description = "Create, list and revoke join tokens for agents (`puhui agent --join URL --token T`).",
        subcommands = {TokenCommand.Create.class, TokenCommand.ListTokens.class, TokenCommand.Revoke.class})
final class TokenCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "create", description = "Create a join token for one tier; the token alone is on the last line (shown this once).")
    static final class Create implements Callable<Integer> {
        @Option(names = "--tier", required = true, paramLabel = "device|edge|cloud", description = "Tier of the nodes that join with it.")
        String tier;

        @Option(names = "--label", description = "What the token is for, e.g. the office or the person.")
        String label;

        @Mixin
        DbOption db;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Tier t = Main.tier("--tier", tier);
            try (Store store = db.open()) {
                JoinTokens.CreatedToken c = store.db.joinTokens().create(t, label);
                PrintWriter out = spec.commandLine().getOut();
                out.println("Created join token " + c.token().id() + " for tier " + t.name().toLowerCase(Locale.ROOT)
                        + ". Keep it safe: it is not shown again. Join with: puhui agent --join URL --token TOKEN");
                out.println(c.secret());
                out.flush();
            }
            return Main.OK;
        }
    }

    @Command(name = "list", description = "List join tokens (ids, tiers and states; never the tokens).")
    static final class ListTokens implements Callable<Integer> {
        @Mixin
        DbOption db;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            try (Store store = db.open()) {
                PrintWriter out = spec.commandLine().getOut();
                out.printf("%-18s %-7s %-8s %-20s %s%n", "ID", "TIER", "STATE", "CREATED", "LABEL");
                for (JoinTokens.JoinToken t : store.db.joinTokens().list()) {
                    out.printf("%-18s %-7s %-8s %-20s %s%n", t.id(), t.tier().name().toLowerCase(Locale.ROOT),
                            t.revoked() ? "revoked" : "active", t.createdAt().toString().substring(0, 19),
                            t.label() == null ? "" : t.label());
                }
                out.flush();
            }
            return Main.OK;
        }
    }

    @Command(name = "revoke", description = "Revoke a join token: nodes can no longer join with it.")
    static final class Revoke implements Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "The token's id (jt_…), as `puhui token list` shows.")
        String id;

        @Mixin
        DbOption db;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            try (Store store = db.open()) {
                if (!store.db.joinTokens().revoke(id)) {
                    throw new Main.UsageException("no active join token '" + id + "'; `puhui token list` shows them");
                }
                spec.commandLine().getOut().println("Revoked join token " + id + ".");
            }
            return Main.OK;
        }
    }
}
