// `puhui tenant set|list|rm`: which tiers a tenant's requests may run on, and the quality it accepts.
package io.puhui.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.puhui.server.api.Json;
import io.puhui.server.pool.Tier;
import io.puhui.server.store.Tenants;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "tenant", description = "Set, list and remove tenants' routing policies (the tiers their requests may "
        + "run on, the lowest quality they accept), through the control plane (--server; an administrator's key "
        + "when it requires keys). A tenant with no policy may use every tier.",
        subcommands = {TenantCommand.SetPolicy.class, TenantCommand.ListTenants.class, TenantCommand.Remove.class,
            TenantCommand.ComplianceSettings.class})
final class TenantCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static String path(String tenant) {
        return "/api/tenants/" + NodesCommand.ServerOption.segment(tenant);
    }

    static String names(JsonNode array) {
        StringBuilder sb = new StringBuilder();
        array.forEach(x -> sb.append(sb.isEmpty() ? "" : ",").append(x.asText()));
        return sb.toString();
    }

    static String describe(JsonNode p) {
        return names(p.path("tiers")) + (p.path("min_quality").isNumber()
                ? String.format(Locale.ROOT, ", quality >= %.2f", p.path("min_quality").asDouble()) : "");
    }

    @Command(name = "set", description = "Set a tenant's policy (replacing the one it had), e.g. "
            + "`puhui tenant set acme --tiers device,edge` keeps acme's requests off the cloud.")
    static final class SetPolicy implements Callable<Integer> {
        @Parameters(paramLabel = "TENANT", description = "The tenant, as its API keys name it (`puhui key create --tenant`).")
        String tenant;

        @Option(names = "--tiers", required = true, paramLabel = "TIER[,TIER…]",
                description = "Tiers its requests may run on: device, edge, cloud.")
        String tiers;

        @Option(names = "--min-quality", paramLabel = "Q",
                description = "The lowest variant quality it accepts, 0..1 (a request may ask for more, not less).")
        Double minQuality;

        @Mixin
        NodesCommand.ServerOption server;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Set<Tier> set;
            try {
                set = Tenants.parseTiers(tiers);
            } catch (IllegalArgumentException e) {
                throw new Main.UsageException("--tiers: " + e.getMessage());
            }
            if (set.isEmpty()) {
                throw new Main.UsageException("--tiers names at least one of device, edge, cloud");
            }
            if (minQuality != null && !(minQuality >= 0 && minQuality <= 1)) {
                throw new Main.UsageException("--min-quality is a number from 0 to 1, not " + minQuality);
            }
            ObjectNode body = Json.MAPPER.createObjectNode();
            set.forEach(t -> body.withArray("tiers").add(t.name().toLowerCase(Locale.ROOT)));
            if (minQuality != null) {
                body.put("min_quality", minQuality);
            }
            JsonNode p = server.call("PUT", path(tenant), body);
            spec.commandLine().getOut().println("Tenant " + p.path("tenant").asText() + " may use: " + describe(p) + ".");
            return Main.OK;
        }
    }

    @Command(name = "list", description = "List the tenants that have a policy.")
    static final class ListTenants implements Callable<Integer> {
        @Mixin
        NodesCommand.ServerOption server;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            out.printf("%-24s %-18s %-11s %s%n", "TENANT", "TIERS", "MIN-QUALITY", "UPDATED");
            for (JsonNode p : server.call("GET", "/api/tenants")) {
                String tiers = names(p.path("tiers"));
                out.printf("%-24s %-18s %-11s %s%n", p.path("tenant").asText(), tiers,
                        p.path("min_quality").isNumber() ? String.format(Locale.ROOT, "%.2f", p.path("min_quality").asDouble()) : "-",
                        NodesCommand.ServerOption.toSecond(p.path("updated_at").asText()));
            }
            out.flush();
            return Main.OK;
        }
    }

    @Command(name = "rm", description = "Remove a tenant's policy: it may use every tier again.")
    static final class Remove implements Callable<Integer> {
        @Parameters(paramLabel = "TENANT")
        String tenant;

        @Mixin
        NodesCommand.ServerOption server;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            server.call("DELETE", path(tenant));
            spec.commandLine().getOut().println("Removed the policy of tenant " + tenant + ": it may use every tier.");
            return Main.OK;
        }
    }

    @Command(name = "compliance", description = "Show or change a tenant's compliance settings: whether its users must "
            + "be verified, whether the visible label may be left out for users who accepted the labelling terms, "
            + "whether audit records keep text or hashes, and minors' daily limit.")
    static final class ComplianceSettings implements Callable<Integer> {
        @Parameters(paramLabel = "TENANT")
        String tenant;

        @Option(names = "--require-verified", paramLabel = "true|false", arity = "1",
                description = "Serve only users whose real names were verified.")
        Boolean requireVerified;

        @Option(names = "--explicit-label", paramLabel = "on|off", description = "off leaves the visible label out "
                + "for users who accepted the labelling terms (the others keep it; the AIGC metadata stays).")
        String label;

        @Option(names = "--audit-text", paramLabel = "full|hash|server", description = "What audit records keep of "
                + "requests and answers (server: as `serve --audit-text` says).")
        String auditText;

        @Option(names = "--minor-daily-limit", paramLabel = "N|none", description = "Requests a minor may make a day.")
        String minorLimit;

        @Option(names = "--block-categories", paramLabel = "CAT[,CAT…]|none", description = "Categories whose flagging "
                + "entries (the base lexicon's) refuse for this tenant's users, e.g. pornography,gambling.")
        String blockCategories;

        @Option(names = "--label-text", paramLabel = "TEXT|server", description = "The tenant's wording of the visible "
                + "label (it must say 人工智能生成 or AI-generated).")
        String labelText;

        @Option(names = "--label-position", paramLabel = "prefix|suffix|server", description = "Where its label goes.")
        String labelPosition;

        @Mixin
        NodesCommand.ServerOption server;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            ObjectNode body = Json.MAPPER.createObjectNode();
            if (requireVerified != null) {
                body.put("require_verified", requireVerified);
            }
            if (label != null) {
                if (!label.equals("on") && !label.equals("off")) {
                    throw new Main.UsageException("--explicit-label is on or off, not '" + label + "'");
                }
                body.put("explicit_label", label.equals("on"));
            }
            if (auditText != null) {
                switch (auditText) {
                    case "full", "hash" -> body.put("audit_text", auditText);
                    case "server" -> body.putNull("audit_text");
                    default -> throw new Main.UsageException("--audit-text is full, hash or server, not '" + auditText + "'");
                }
            }
            if (minorLimit != null) {
                if (minorLimit.equals("none")) {
                    body.putNull("minor_daily_requests");
                } else {
                    try {
                        body.put("minor_daily_requests", Integer.parseInt(minorLimit));
                    } catch (NumberFormatException e) {
                        throw new Main.UsageException("--minor-daily-limit is a number of requests or none, not '" + minorLimit + "'");
                    }
                }
            }
            if (blockCategories != null) {
                var a = body.putArray("block_categories");
                if (!blockCategories.equals("none")) {
                    for (String c : blockCategories.split(",")) {
                        if (!c.isBlank()) {
                            a.add(c.strip());
                        }
                    }
                }
            }
            if (labelText != null) {
                if (labelText.equals("server")) {
                    body.putNull("label_text");
                } else {
                    body.put("label_text", labelText);
                }
            }
            if (labelPosition != null) {
                switch (labelPosition) {
                    case "prefix", "suffix" -> body.put("label_position", labelPosition);
                    case "server" -> body.putNull("label_position");
                    default -> throw new Main.UsageException("--label-position is prefix, suffix or server, not '" + labelPosition + "'");
                }
            }
            JsonNode c = body.isEmpty() ? server.call("GET", path(tenant) + "/compliance")
                    : server.call("PUT", path(tenant) + "/compliance", body);
            spec.commandLine().getOut().println("Tenant " + c.path("tenant").asText() + ": "
                    + (c.path("require_verified").asBoolean() ? "verified users only" : "any user") + "; visible label "
                    + (c.path("explicit_label").asBoolean() ? "always" : "left out for users who accepted the terms")
                    + "; audit text " + (c.path("audit_text").isNull() ? "as the server says" : c.path("audit_text").asText())
                    + "; minors " + (c.path("minor_daily_requests").isNull() ? "without a daily limit"
                    : c.path("minor_daily_requests").asInt() + " requests a day")
                    + (c.path("block_categories").isEmpty() ? "" : "; also refused: " + names(c.path("block_categories")))
                    + (c.path("label_text").isTextual() ? "; label '" + c.path("label_text").asText() + "'" : "")
                    + (c.path("label_position").isTextual() ? " at the " + c.path("label_position").asText() : "") + ".");
            return Main.OK;
        }
    }
}
