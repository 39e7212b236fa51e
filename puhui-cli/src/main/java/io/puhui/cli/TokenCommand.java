// `puhui token create|list|revoke`: join tokens with which agents join the pool, managed through the control plane.
package io.puhui.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.puhui.server.api.Json;
import io.puhui.server.pool.Tier;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "token", description = "Create, list and revoke join tokens for agents (`puhui agent --join URL --token T`), "
        + "through the control plane (--server; an administrator's key when it requires keys).",
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
        NodesCommand.ServerOption server;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Tier t = Main.tier("--tier", tier);
            var body = Json.MAPPER.createObjectNode().put("tier", t.name().toLowerCase(Locale.ROOT));
            if (label != null) {
                body.put("label", label);
            }
            JsonNode c = server.call("POST", "/api/tokens", body);
            PrintWriter out = spec.commandLine().getOut();
            out.println("Created join token " + c.path("id").asText() + " for tier " + c.path("tier").asText()
                    + ". Keep it safe: it is not shown again. Join with: puhui agent --join URL --token TOKEN");
            out.println(c.path("token").asText());
            out.flush();
            return Main.OK;
        }
    }

    @Command(name = "list", description = "List join tokens (ids, tiers and states; never the tokens).")
    static final class ListTokens implements Callable<Integer> {
        @Mixin
        NodesCommand.ServerOption server;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            out.printf("%-18s %-7s %-8s %-20s %s%n", "ID", "TIER", "STATE", "CREATED", "LABEL");
            for (JsonNode t : server.call("GET", "/api/tokens")) {
                out.printf("%-18s %-7s %-8s %-20s %s%n", t.path("id").asText(), t.path("tier").asText(),
                        t.path("state").asText(), NodesCommand.ServerOption.toSecond(t.path("created_at").asText()),
                        t.path("label").asText(""));
            }
            out.flush();
            return Main.OK;
        }
    }

    @Command(name = "revoke", description = "Revoke a join token: nodes can no longer join with it.")
    static final class Revoke implements Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "The token's id (jt_…), as `puhui token list` shows.")
        String id;

        @Mixin
        NodesCommand.ServerOption server;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            server.call("POST", "/api/tokens/" + NodesCommand.ServerOption.segment(id) + "/revoke");
            spec.commandLine().getOut().println("Revoked join token " + id + ".");
            return Main.OK;
        }
    }
}
