// `puhui user create|set|list`: the people API keys belong to, as the operator knows them.
package io.puhui.cli;

import io.puhui.server.store.Users;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "user", description = "Create, update and list users: each API key may belong to one "
        + "(`puhui key create --user ID`). The operator records whether a user's real name was verified, whether the "
        + "user is a minor (stricter rules, a daily limit) and whether the user accepted the labelling terms.",
        subcommands = {UserCommand.Create.class, UserCommand.SetUser.class, UserCommand.ListUsers.class})
final class UserCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static String describe(Users.User u) {
        return u.id() + " (" + u.name() + ", tenant " + u.tenant() + "): " + (u.verified() ? "verified" : "not verified")
                + (u.minor() ? ", minor" : "") + (u.labelTermsAcceptedAt() != null ? ", accepted the labelling terms" : "");
    }

    @Command(name = "create", description = "Create a user; the id is on the last line.")
    static final class Create implements Callable<Integer> {
        @Option(names = "--tenant", required = true, description = "The tenant the user belongs to.")
        String tenant;

        @Option(names = "--name", required = true, description = "Who the user is, for the operator.")
        String name;

        @Option(names = "--verified", description = "The user's real name was verified.")
        boolean verified;

        @Option(names = "--minor", description = "The user is under 18.")
        boolean minor;

        @Mixin
        DbOption db;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            try (Store store = db.open()) {
                Users.User u;
                try {
                    u = store.db.users().create(tenant, name, verified, minor);
                } catch (IllegalArgumentException e) {
                    throw new Main.UsageException(e.getMessage());
                }
                PrintWriter out = spec.commandLine().getOut();
                out.println("Created user " + describe(u) + ".");
                out.println(u.id());
            }
            return Main.OK;
        }
    }

    @Command(name = "set", description = "Change what is recorded of a user.")
    static final class SetUser implements Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "The user's id (usr_…).")
        String id;

        @Option(names = "--verified", negatable = true, description = "Whether the user's real name was verified.")
        Boolean verified;

        @Option(names = "--minor", negatable = true, description = "Whether the user is under 18.")
        Boolean minor;

        @Option(names = "--accepted-label-terms", negatable = true,
                description = "Whether the user accepted the labelling terms (recorded with the time).")
        Boolean terms;

        @Mixin
        DbOption db;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            if (verified == null && minor == null && terms == null) {
                throw new Main.UsageException("say what to change: --[no-]verified, --[no-]minor, --[no-]accepted-label-terms");
            }
            try (Store store = db.open()) {
                Users.User u = store.db.users().update(id, verified, minor, terms).orElseThrow(() ->
                        new Main.UsageException("no user '" + id + "'; `puhui user list` shows them"));
                spec.commandLine().getOut().println("User " + describe(u) + ".");
            }
            return Main.OK;
        }
    }

    @Command(name = "list", description = "List users.")
    static final class ListUsers implements Callable<Integer> {
        @Mixin
        DbOption db;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            out.printf("%-16s %-20s %-20s %-9s %-6s %s%n", "ID", "TENANT", "NAME", "VERIFIED", "MINOR", "LABEL-TERMS");
            try (Store store = db.open()) {
                for (Users.User u : store.db.users().list()) {
                    out.printf("%-16s %-20s %-20s %-9s %-6s %s%n", u.id(), u.tenant(), u.name(), u.verified() ? "yes" : "no",
                            u.minor() ? "yes" : "no", u.labelTermsAcceptedAt() == null ? "-" : u.labelTermsAcceptedAt().toString());
                }
            }
            out.flush();
            return Main.OK;
        }
    }
}
