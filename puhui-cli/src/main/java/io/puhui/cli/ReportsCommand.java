// `puhui reports list|show|act`: the administrators' queue of complaints and reports about generated content.
package io.puhui.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.puhui.server.api.Json;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "reports", description = "Work the queue of reports users file about generated content "
        + "(POST /api/compliance/reports with the content's ProduceID), through the control plane (--server; an "
        + "administrator's key when it requires keys).",
        subcommands = {ReportsCommand.ListReports.class, ReportsCommand.Show.class, ReportsCommand.Act.class})
final class ReportsCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static String path(String id) {
        return "/api/compliance/reports/" + NodesCommand.ServerOption.segment(id);
    }

    @Command(name = "list", description = "List reports, the nearest deadline first.")
    static final class ListReports implements Callable<Integer> {
        @Option(names = "--status", paramLabel = "open|resolved", description = "Only reports in this state.")
        String status;

        @Mixin
        NodesCommand.ServerOption server;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            out.printf("%-16s %-9s %-20s %-30s %s%n", "ID", "STATUS", "DUE", "PRODUCE-ID", "REASON");
            for (JsonNode r : server.call("GET", "/api/compliance/reports" + (status == null ? "" : "?status=" + status))) {
                out.printf("%-16s %-9s %-20s %-30s %s%n", r.path("id").asText(), r.path("status").asText(),
                        NodesCommand.ServerOption.toSecond(r.path("due_at").asText()), r.path("produce_id").asText(),
                        r.path("reason").asText());
            }
            out.flush();
            return Main.OK;
        }
    }

    @Command(name = "show", description = "Show a report with the audit record of the content it concerns.")
    static final class Show implements Callable<Integer> {
        @Parameters(paramLabel = "ID")
        String id;

        @Mixin
        NodesCommand.ServerOption server;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            spec.commandLine().getOut().println(Json.MAPPER.writerWithDefaultPrettyPrinter()
                    .writeValueAsString(server.call("GET", path(id))));
            return Main.OK;
        }
    }

    @Command(name = "act", description = "Close a report: resolve (with --note), block-user (revoke the key that asked "
            + "for the content) or add-term (refuse --term, of --category, from now on).")
    static final class Act implements Callable<Integer> {
        @Parameters(paramLabel = "ID")
        String id;

        @Option(names = "--action", required = true, paramLabel = "resolve|block-user|add-term")
        String action;

        @Option(names = "--note", paramLabel = "TEXT", description = "What was found and done.")
        String note;

        @Option(names = "--term", paramLabel = "TEXT", description = "For add-term: the word or phrase to refuse.")
        String term;

        @Option(names = "--category", paramLabel = "NAME", description = "For add-term: its risk category (default: the report's).")
        String category;

        @Mixin
        NodesCommand.ServerOption server;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            ObjectNode body = Json.MAPPER.createObjectNode().put("action", action);
            if (note != null) {
                body.put("note", note);
            }
            if (term != null) {
                body.put("term", term);
            }
            if (category != null) {
                body.put("category", category);
            }
            JsonNode r = server.call("POST", path(id) + "/actions", body);
            spec.commandLine().getOut().println("Report " + r.path("id").asText() + " " + r.path("status").asText()
                    + ": " + r.path("action").asText() + (r.path("note").asText("").isEmpty() ? "" : " (" + r.path("note").asText() + ")"));
            return Main.OK;
        }
    }
}
