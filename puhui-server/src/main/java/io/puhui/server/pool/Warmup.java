package io.puhui.server.pool;

import io.puhui.scheduler.Cluster;
import io.puhui.scheduler.Node;
import io.puhui.scheduler.Placement;
import io.puhui.scheduler.PlacementPolicy;
import io.puhui.scheduler.Policies;
import io.puhui.scheduler.Task;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Which model variants should be loaded on which nodes, from demand and what the nodes lend: the placement step
 * of the pool, a plain function the control plane runs at every sweep (and an administrator on request).
 *
 * <p>For each model, busiest first, the instances it needs are its demand over what one loaded instance serves
 * (its slots over the seconds a typical answer takes at its speed), at least one while it has demand and at most
 * one per node that holds it. Nodes that have it loaded count first; the rest are placed by the scheduler
 * library's policy (best fit by default) on the nodes that hold a variant of it, are ready, and whose scene lends
 * threads to others, within the memory they lend less what is loaded or placed there already.
 */
public final class Warmup {

    /** Tokens of a typical answer, for an instance's capacity. */
    static final int TYPICAL_TOKENS = 256;
    /** What a worker needs beside its weights (the runtime, the KV cache of a few slots). */
    static final long OVERHEAD_MIB = 256;

    /** Load {@code model}'s variant on the node. */
    public record Load(String nodeId, String model, String variant) {
    }

    private Warmup() {
    }

    /**
     * @param nodes  the pool's nodes (the caller leaves out those it runs itself)
     * @param demand requests per second per model, recently
     * @param wanted instances an administrator asked for per model, beyond what demand needs (0 for none)
     * @param policy a placement policy name of the scheduler library
     */
    public static List<Load> plan(List<NodeRegistry.NodeInfo> nodes, Map<String, Double> demand,
                                  Map<String, Integer> wanted, String policy) {
        PlacementPolicy placer = Policies.create(policy, new SplittableRandom(42), null);
        Map<String, Long> usedMib = new HashMap<>();
        for (NodeRegistry.NodeInfo n : nodes) {
            long mib = 0;
            for (NodeInstance i : n.instances()) {
                if (i.loaded()) {
                    mib += (i.bytes() >> 20) + OVERHEAD_MIB;
                }
            }
            usedMib.put(n.id(), mib);
        }
        List<String> models = new ArrayList<>();
        demand.forEach((m, rate) -> {
            if (rate > 0) {
                models.add(m);
            }
        });
        wanted.forEach((m, count) -> {
            if (count > 0 && !models.contains(m)) {
                models.add(m);
            }
        });
        models.sort(Comparator.comparingDouble((String m) -> -demand.getOrDefault(m, 0.0)).thenComparing(m -> m));
        List<Load> out = new ArrayList<>();
        for (String model : models) {
            List<NodeRegistry.NodeInfo> holders = new ArrayList<>();
            int loaded = 0;
            double capacity = 0;
            for (NodeRegistry.NodeInfo n : nodes) {
                Optional<NodeInstance> i = n.instances().stream().filter(x -> x.model().equals(model)).findFirst();
                if (i.isEmpty() || n.state() != NodeRegistry.State.READY || n.lendsThreads() == 0 || !n.acceptsRemote()) {
                    continue;
                }
                if (i.get().loaded()) {
                    loaded++;
                } else {
                    holders.add(n);
                }
                capacity = Math.max(capacity, i.get().slots() * i.get().decodeTps() / TYPICAL_TOKENS);
            }
            if (capacity == 0) {
                continue;
            }
            int need = (int) Math.ceil(demand.getOrDefault(model, 0.0) / capacity);
            need = Math.max(need, demand.getOrDefault(model, 0.0) > 0 ? 1 : 0);
            need = Math.max(need, wanted.getOrDefault(model, 0));
            int missing = Math.min(need, loaded + holders.size()) - loaded;
            if (missing <= 0) {
                continue;
            }
            // the same task shape on every holder: one thread and the largest variant among them
            long mib = 0;
            for (NodeRegistry.NodeInfo n : holders) {
                for (NodeInstance i : n.instances()) {
                    if (i.model().equals(model)) {
                        mib = Math.max(mib, (i.bytes() >> 20) + OVERHEAD_MIB);
                    }
                }
            }
            Task task = Task.of(model, 1000, mib, 0, 0, List.of());
            for (int k = 0; k < missing && !holders.isEmpty(); k++) {
                List<Node> capacities = new ArrayList<>();
                for (NodeRegistry.NodeInfo n : holders) {
                    long lentMib = n.lendsMemoryBytes() >> 20;
                    capacities.add(new Node(n.id(), n.lendsThreads() * 1000L,
                            Math.max(0, lentMib - usedMib.getOrDefault(n.id(), 0L)), 0, "", 0,
                            n.tier().name().toLowerCase(java.util.Locale.ROOT), Map.of()));
                }
                Placement p = placer.place(task, new Cluster(capacities));
                if (p == null) {
                    break; // no holder lends room for it
                }
                NodeRegistry.NodeInfo chosen = holders.remove(p.node()); // one instance of a model per node
                NodeInstance variant = chosen.instances().stream().filter(x -> x.model().equals(model)).findFirst()
                        .orElseThrow();
                usedMib.merge(chosen.id(), (variant.bytes() >> 20) + OVERHEAD_MIB, Long::sum);
                out.add(new Load(chosen.id(), model, variant.variant()));
            }
        }
        return out;
    }
}
