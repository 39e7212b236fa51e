// `puhui key create|list|revoke`: API keys for the server, stored hashed in its database.
package io.puhui.cli;

import io.puhui.server.store.ApiKeys;
import io.puhui.server.store.Users;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "key", description = "Create, list and revoke API keys.",
        subcommands = {KeyCommand.Create.class, KeyCommand.ListKeys.class, KeyCommand.Revoke.class})
final class KeyCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "create", description = "Create a key and print it (it is shown this once).")
    static final class Create implements Callable<Integer> {
        @Option(names = "--name", required = true, description = "What the key is for, e.g. a person or an app.")
        String name;

        @Option(names = "--tenant", description = "Tenant whose quota and usage the key counts against "
                + "(default: the name).")
        String tenant;

        @Option(names = "--admin", description = "An administrator's key: it may also manage the pool (nodes, join "
                + "tokens, the route log).")
        boolean admin;

        @Option(names = "--user", paramLabel = "ID", description = "The user the key belongs to (`puhui user create`); "
                + "the key's tenant is the user's.")
        String user;

        @Mixin
        DbOption db;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            try (Store store = db.open()) {
                Users.User owner = user == null ? null : store.db.users().find(user).orElseThrow(() ->
                        new Main.UsageException("no user '" + user + "'; `puhui user list` shows them"));
                ApiKeys.CreatedKey k;
                try {
                    k = store.db.apiKeys().create(name, tenant, admin, owner);
                } catch (IllegalArgumentException e) {
                    throw new Main.UsageException(e.getMessage());
                }
                PrintWriter out = spec.commandLine().getOut();
                out.println("Created " + (admin ? "administrator's " : "") + "key " + k.key().id() + " '"
                        + k.key().name() + "' for tenant '" + k.key().tenant() + "'" + (owner == null ? "" : ", user "
                        + owner.id()) + ". Keep it safe: it is not shown again.");
                out.println(k.secret());
                out.flush();
            }
            return Main.OK;
        }
    }

    @Command(name = "list", description = "List keys (their prefixes, never the keys).")
    static final class ListKeys implements Callable<Integer> {
        @Mixin
        DbOption db;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            try (Store store = db.open()) {
                PrintWriter out = spec.commandLine().getOut();
                out.printf("%-22s %-20s %-16s %-14s %-6s %s%n", "ID", "NAME", "TENANT", "PREFIX", "ROLE", "STATE");
                for (ApiKeys.ApiKey k : store.db.apiKeys().list()) {
                    out.printf("%-22s %-20s %-16s %-14s %-6s %s%n", k.id(), k.name(), k.tenant(), k.prefix() + "…",
                            k.admin() ? "admin" : "user", k.revoked() ? "revoked" : "active");
                }
                out.flush();
            }
            return Main.OK;
        }
    }

    @Command(name = "revoke", description = "Revoke a key by id or name.")
    static final class Revoke implements Callable<Integer> {
        @Parameters(paramLabel = "ID|NAME")
        String key;

        @Mixin
        DbOption db;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            try (Store store = db.open()) {
                if (!store.db.apiKeys().revoke(key)) {
                    throw new Main.UsageException("no active key with id or name '" + key + "'; see `puhui key list`");
                }
                spec.commandLine().getOut().println("Revoked " + key);
            }
            return Main.OK;
        }
    }
}
