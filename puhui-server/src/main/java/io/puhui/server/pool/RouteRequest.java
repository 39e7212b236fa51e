package io.puhui.server.pool;

import io.puhui.server.api.ApiException;
import java.util.EnumSet;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;

/**
 * What the router needs to know about a request.
 *
 * @param model        the logical model asked for (a family such as {@code qwen2.5})
 * @param locality     where it may run ({@code x-puhui-locality}); empty for anywhere
 * @param maxLatencyMs the caller's bound on the whole answer ({@code x-puhui-max-latency-ms})
 * @param minQuality   the lowest variant quality the caller accepts, 0..1 ({@code x-puhui-min-quality})
 * @param tenant       who asks; a device's owner may use it in scenes that take no remote requests
 * @param allowedTiers the tenant's policy: tiers its requests may go to
 * @param promptTokens tokens in the prompt (an estimate is enough)
 * @param maxTokens    tokens the answer may take
 */
public record RouteRequest(String model, Set<Tier> locality, OptionalLong maxLatencyMs, OptionalDouble minQuality,
                           String tenant, Set<Tier> allowedTiers, int promptTokens, int maxTokens) {

    public RouteRequest {
        locality = locality.isEmpty() ? EnumSet.allOf(Tier.class) : EnumSet.copyOf(locality);
        allowedTiers = allowedTiers.isEmpty() ? EnumSet.allOf(Tier.class) : EnumSet.copyOf(allowedTiers);
        if (promptTokens < 0 || maxTokens < 1) {
            throw new IllegalArgumentException("token counts must be positive");
        }
    }

    /** A request with no constraints. */
    public static RouteRequest of(String model, int promptTokens, int maxTokens) {
        return new RouteRequest(model, Set.of(), OptionalLong.empty(), OptionalDouble.empty(), "", Set.of(),
                promptTokens, maxTokens);
    }

    /** {@code x-puhui-locality}: device, edge, cloud or any (empty: any); anything else is a 400. */
    public static Set<Tier> parseLocality(String header) {
        if (header == null || header.isBlank() || header.trim().equalsIgnoreCase("any")) {
            return EnumSet.allOf(Tier.class);
        }
        try {
            return EnumSet.of(Tier.valueOf(header.trim().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("x-puhui-locality", "invalid_locality",
                    "x-puhui-locality must be device, edge, cloud or any, not '" + header + "'");
        }
    }

    /** {@code x-puhui-max-latency-ms}: a positive whole number of milliseconds; anything else is a 400. */
    public static OptionalLong parseMaxLatency(String header) {
        if (header == null || header.isBlank()) {
            return OptionalLong.empty();
        }
        try {
            long v = Long.parseLong(header.trim());
            if (v > 0) {
                return OptionalLong.of(v);
            }
        } catch (NumberFormatException e) {
            // fall through to the error
        }
        throw ApiException.badRequest("x-puhui-max-latency-ms", "invalid_latency",
                "x-puhui-max-latency-ms must be a positive number of milliseconds, not '" + header + "'");
    }

    /** {@code x-puhui-min-quality}: a number from 0 to 1; anything else is a 400. */
    public static OptionalDouble parseMinQuality(String header) {
        if (header == null || header.isBlank()) {
            return OptionalDouble.empty();
        }
        try {
            double v = Double.parseDouble(header.trim());
            if (v >= 0 && v <= 1) {
                return OptionalDouble.of(v);
            }
        } catch (NumberFormatException e) {
            // fall through to the error
        }
        throw ApiException.badRequest("x-puhui-min-quality", "invalid_quality",
                "x-puhui-min-quality must be a number from 0 to 1, not '" + header + "'");
    }
}
