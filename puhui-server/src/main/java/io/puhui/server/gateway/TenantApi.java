// `/api/tenants`: an administrator sets which tiers a tenant's requests may run on and the quality it accepts.
package io.puhui.server.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.puhui.server.api.ApiException;
import io.puhui.server.api.Json;
import io.puhui.server.compliance.Labels;
import io.puhui.server.pool.Tier;
import io.puhui.server.safety.Lexicon;
import io.puhui.server.store.Tenants;
import java.util.EnumSet;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * {@code GET /api/tenants} lists the policies; {@code PUT /api/tenants/{name}} with {@code {"tiers": ["device",
 * "edge"], "min_quality": 0.8}} sets one (no {@code min_quality}: no floor); {@code GET} and {@code DELETE} on the
 * same path read and remove it. The caller guards these paths with its administrator check.
 */
final class TenantApi {
    private TenantApi() {
    }

    static void install(JavalinConfig c, Supplier<Tenants> tenants) {
        c.routes.get("/api/tenants", ctx -> {
            ArrayNode out = Json.MAPPER.createArrayNode();
            store(tenants).list().forEach(p -> out.add(json(p)));
            ctx.contentType("application/json").result(out.toString());
        });
        c.routes.get("/api/tenants/{name}", ctx -> {
            String name = ctx.pathParam("name");
            Tenants.Policy p = store(tenants).get(name).orElseThrow(() -> ApiException.notFound("tenant_not_found",
                    "tenant '" + name + "' has no policy: it may use every tier at any quality"));
            ctx.contentType("application/json").result(json(p).toString());
        });
        c.routes.put("/api/tenants/{name}", ctx -> put(ctx, store(tenants)));
        c.routes.get("/api/tenants/{name}/compliance", ctx -> ctx.contentType("application/json")
                .result(json(store(tenants).compliance(ctx.pathParam("name"))).toString()));
        c.routes.put("/api/tenants/{name}/compliance", ctx -> putCompliance(ctx, store(tenants)));
        c.routes.delete("/api/tenants/{name}", ctx -> {
            String name = ctx.pathParam("name");
            if (!store(tenants).remove(name)) {
                throw ApiException.notFound("tenant_not_found", "tenant '" + name + "' has no policy to remove; "
                        + "`puhui tenant list` shows the policies");
            }
            ctx.contentType("application/json").result(Json.MAPPER.createObjectNode().put("tenant", name)
                    .put("removed", true).toString());
        });
    }

    private static void put(Context ctx, Tenants store) {
        JsonNode body = Json.parseBody(ctx.bodyAsBytes());
        JsonNode tiers = body.get("tiers");
        if (tiers == null || !tiers.isArray() || tiers.isEmpty()) {
            throw ApiException.badRequest("tiers", "tiers is a non-empty list of device, edge and cloud, e.g. "
                    + "[\"device\", \"edge\"]");
        }
        Set<Tier> set = EnumSet.noneOf(Tier.class);
        for (JsonNode t : tiers) {
            try {
                set.addAll(Tenants.parseTiers(t.asText()));
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("tiers", e.getMessage());
            }
        }
        OptionalDouble min = OptionalDouble.empty();
        JsonNode q = body.get("min_quality");
        if (q != null && !q.isNull()) {
            if (!q.isNumber() || q.asDouble() < 0 || q.asDouble() > 1) {
                throw ApiException.badRequest("min_quality", "min_quality is a number from 0 to 1, not " + q);
            }
            min = OptionalDouble.of(q.asDouble());
        }
        try {
            ctx.contentType("application/json").result(json(store.put(ctx.pathParam("name"), set, min)).toString());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("name", e.getMessage());
        }
    }

    /**
     * {@code PUT /api/tenants/{name}/compliance}: any of {@code require_verified}, {@code explicit_label},
     * {@code audit_text} (full, hash, or null for the server's setting), {@code minor_daily_requests} (null: no
     * limit); fields left out keep their values.
     */
    private static void putCompliance(Context ctx, Tenants store) {
        JsonNode body = Json.parseBody(ctx.bodyAsBytes());
        Tenants.Compliance now = store.compliance(ctx.pathParam("name"));
        boolean requireVerified = now.requireVerified();
        boolean label = now.explicitLabel();
        Boolean keepText = now.keepText();
        Integer daily = now.minorDailyRequests();
        Set<String> blocks = now.blockCategories();
        String labelText = now.labelText();
        Boolean labelPrefix = now.labelPrefix();
        if (body.has("block_categories")) {
            JsonNode b = body.get("block_categories");
            if (!b.isArray()) {
                throw ApiException.badRequest("block_categories", "block_categories is a list of risk categories, e.g. "
                        + "[\"pornography\", \"gambling\"]");
            }
            Set<String> next = new TreeSet<>();
            for (JsonNode x : b) {
                if (!x.isTextual() || !Lexicon.isCategory(x.asText())) {
                    throw ApiException.badRequest("block_categories", "a category is a lower-case name such as gambling, not " + x);
                }
                next.add(x.asText());
            }
            blocks = next;
        }
        if (body.has("label_text")) {
            JsonNode t = body.get("label_text");
            if (t.isNull()) {
                labelText = null;
            } else {
                try {
                    new Labels("x", t.asText(), Labels.Position.SUFFIX, "r", "w"); // the same rule as the server's own
                } catch (IllegalArgumentException e) {
                    throw ApiException.badRequest("label_text", e.getMessage());
                }
                labelText = t.asText();
            }
        }
        if (body.has("label_position")) {
            JsonNode p = body.get("label_position");
            if (p.isNull()) {
                labelPrefix = null;
            } else if (p.asText().equals("prefix") || p.asText().equals("suffix")) {
                labelPrefix = p.asText().equals("prefix");
            } else {
                throw ApiException.badRequest("label_position", "label_position is prefix, suffix or null, not " + p);
            }
        }
        if (body.has("require_verified")) {
            requireVerified = bool(body, "require_verified");
        }
        if (body.has("explicit_label")) {
            label = bool(body, "explicit_label");
        }
        if (body.has("audit_text")) {
            JsonNode t = body.get("audit_text");
            if (t.isNull()) {
                keepText = null;
            } else if (t.asText().equals("full") || t.asText().equals("hash")) {
                keepText = t.asText().equals("full");
            } else {
                throw ApiException.badRequest("audit_text", "audit_text is full, hash or null, not " + t);
            }
        }
        if (body.has("minor_daily_requests")) {
            JsonNode d = body.get("minor_daily_requests");
            if (d.isNull()) {
                daily = null;
            } else if (d.isInt() && d.asInt() >= 0) {
                daily = d.asInt();
            } else {
                throw ApiException.badRequest("minor_daily_requests", "minor_daily_requests is a whole number of 0 "
                        + "or more, or null for no limit, not " + d);
            }
        }
        Tenants.Compliance next = store.putCompliance(new Tenants.Compliance(now.tenant(), requireVerified, label,
                keepText, daily, blocks, labelText, labelPrefix));
        ctx.contentType("application/json").result(json(next).toString());
    }

    private static boolean bool(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (!v.isBoolean()) {
            throw ApiException.badRequest(field, field + " is true or false, not " + v);
        }
        return v.asBoolean();
    }

    static ObjectNode json(Tenants.Compliance c) {
        ObjectNode o = Json.MAPPER.createObjectNode().put("tenant", c.tenant()).put("require_verified", c.requireVerified())
                .put("explicit_label", c.explicitLabel());
        if (c.keepText() == null) {
            o.putNull("audit_text");
        } else {
            o.put("audit_text", c.keepText() ? "full" : "hash");
        }
        if (c.minorDailyRequests() == null) {
            o.putNull("minor_daily_requests");
        } else {
            o.put("minor_daily_requests", c.minorDailyRequests());
        }
        c.blockCategories().stream().sorted().forEach(o.putArray("block_categories")::add);
        o.put("label_text", c.labelText());
        o.put("label_position", c.labelPrefix() == null ? null : c.labelPrefix() ? "prefix" : "suffix");
        return o;
    }

    private static Tenants store(Supplier<Tenants> tenants) {
        Tenants t = tenants.get();
        if (t == null) {
            throw ApiException.unavailable("this server keeps no tenant policies (it has no database)");
        }
        return t;
    }

    static ObjectNode json(Tenants.Policy p) {
        ObjectNode o = Json.MAPPER.createObjectNode().put("tenant", p.tenant());
        p.tierNames().forEach(o.putArray("tiers")::add);
        if (p.minQuality().isPresent()) {
            o.put("min_quality", p.minQuality().getAsDouble());
        } else {
            o.putNull("min_quality");
        }
        return o.put("updated_at", p.updatedAt().toString());
    }
}
