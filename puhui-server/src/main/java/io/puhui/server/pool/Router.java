package io.puhui.server.pool;

import io.puhui.server.node.scene.Scene;
import io.puhui.server.node.scene.ScenePolicy;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Picks the instance a request runs on. A plain function over records: the gateway calls it per request, tests
 * and benchmarks call it directly.
 *
 * <p>First the hard rules: the model asked for; a node that is ready (not lost, not draining); a scene that
 * lends threads and, unless the caller owns the device, takes remote requests; the locality header; the
 * tenant's allowed tiers; the minimum quality. Then each remaining instance's time for the whole answer is
 * estimated from its queue, slots and measured speeds, and its energy from its joules per token; instances
 * that miss the caller's latency bound drop out (if all do, the fastest is taken and the reason says so).
 * The cheapest wins: energy in joules plus {@code joulesPerSecond} for each second the caller waits; ties go
 * to the lower tier.
 */
public final class Router {

    /**
     * Joules a second of the caller's waiting is worth by default, about a laptop's draw under load: a device
     * answers when it is not much slower than the edge, the cloud when the small variants would keep the
     * caller waiting.
     */
    public static final double DEFAULT_JOULES_PER_SECOND = 10;

    private final ScenePolicy scenes;
    private final double joulesPerSecond;

    public Router(ScenePolicy scenes, double joulesPerSecond) {
        this.scenes = scenes;
        this.joulesPerSecond = joulesPerSecond;
    }

    public Router() {
        this(ScenePolicy.defaults(), DEFAULT_JOULES_PER_SECOND);
    }

    /** The choice, its estimates, and a one-line reason for {@code x-puhui-route} and the route log. */
    public record Route(Candidate chosen, double estimatedMs, double estimatedJoules, int eligible, String reason) {
    }

    /** No instance may take the request; the message says why each was left out. */
    public static final class NoRouteException extends RuntimeException {
        public NoRouteException(String message) {
            super(message);
        }
    }

    public Route route(RouteRequest request, List<Candidate> candidates) {
        Map<String, Integer> excluded = new TreeMap<>();
        Candidate best = null;
        double bestCost = Double.POSITIVE_INFINITY;
        double bestMs = 0;
        double bestJoules = 0;
        Candidate fastest = null;
        double fastestMs = Double.POSITIVE_INFINITY;
        double fastestJoules = 0;
        int eligible = 0;
        for (Candidate c : candidates) {
            String why = exclusion(request, c);
            if (why != null) {
                excluded.merge(why, 1, Integer::sum);
                continue;
            }
            eligible++;
            double ms = estimateMs(request, c);
            double joules = c.joulesPerToken() * (request.maxTokens() + request.promptTokens() / 8.0);
            if (ms < fastestMs) {
                fastest = c;
                fastestMs = ms;
                fastestJoules = joules;
            }
            if (request.maxLatencyMs().isPresent() && ms > request.maxLatencyMs().getAsLong()) {
                continue;
            }
            double cost = joules + joulesPerSecond * ms / 1000;
            if (cost < bestCost || (cost == bestCost && better(c, best))) {
                best = c;
                bestCost = cost;
                bestMs = ms;
                bestJoules = joules;
            }
        }
        if (eligible == 0) {
            StringBuilder sb = new StringBuilder("no instance of '" + request.model() + "' can take this request");
            if (excluded.isEmpty()) {
                sb.append(": none is running");
            } else {
                sb.append(": ");
                excluded.forEach((why, n) -> sb.append(n).append(' ').append(why).append("; "));
                sb.setLength(sb.length() - 2);
            }
            throw new NoRouteException(sb.toString());
        }
        if (best == null) {
            return new Route(fastest, fastestMs, fastestJoules, eligible, describe(fastest, fastestMs, fastestJoules,
                    eligible, "none meets " + request.maxLatencyMs().getAsLong() + " ms; the fastest"));
        }
        return new Route(best, bestMs, bestJoules, eligible, describe(best, bestMs, bestJoules, eligible, "cheapest"));
    }

    private static boolean better(Candidate c, Candidate than) {
        if (than == null) {
            return true;
        }
        int t = c.tier().compareTo(than.tier());
        return t != 0 ? t < 0 : c.instance().compareTo(than.instance()) < 0;
    }

    /** Why the candidate may not take the request, or null when it may. */
    private String exclusion(RouteRequest r, Candidate c) {
        if (!c.model().equals(r.model())) {
            return "of other models";
        }
        if (c.state() != Candidate.NodeState.READY) {
            return "on " + c.state().name().toLowerCase(Locale.ROOT) + " nodes";
        }
        if (c.slots() == 0) {
            return "without slots";
        }
        Scene scene = c.scene();
        if (scene != null) {
            ScenePolicy.Lending lend = scenes.lending(scene);
            boolean own = !c.owner().isEmpty() && c.owner().equals(r.tenant());
            if (lend.threadShare() == 0 || (!own && !lend.acceptsRemote())) {
                return "on nodes in scene " + scene;
            }
        }
        if (!r.locality().contains(c.tier())) {
            return "outside the requested locality";
        }
        if (!r.allowedTiers().contains(c.tier())) {
            return "on tiers the tenant may not use";
        }
        if (r.minQuality().isPresent() && c.quality() < r.minQuality().getAsDouble()) {
            return "below quality " + r.minQuality().getAsDouble();
        }
        return null;
    }

    /** Time for the whole answer: waiting for a slot, then the prompt, then the tokens. */
    static double estimateMs(RouteRequest r, Candidate c) {
        double serviceMs = 1000.0 * (r.promptTokens() / c.prefillTps() + r.maxTokens() / c.decodeTps());
        return serviceMs * (1 + (double) c.queued() / c.slots());
    }

    private static String describe(Candidate c, double ms, double joules, int eligible, String why) {
        return String.format(Locale.ROOT, "%s:%s/%s (%s of %d; est %.0f ms, %.1f J)",
                c.tier().name().toLowerCase(Locale.ROOT), c.node(), c.variant(), why, eligible, ms, joules);
    }
}
