package io.puhui.scheduler;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.random.RandomGenerator;

/** The placement policies by name. */
public final class Policies {

    private Policies() {
    }

    /** Canonical names, in the order tables list them. */
    public static final List<String> NAMES = List.of(
            "random", "dotproduct", "gpuclustering", "gpupacking", "bestfit", "fgd", "puhui");

    private static final Map<String, String> ALIASES = new LinkedHashMap<>();

    static {
        for (String n : NAMES) {
            ALIASES.put(n, n);
        }
        ALIASES.put("dotprod", "dotproduct");
        ALIASES.put("dot-product", "dotproduct");
        ALIASES.put("gpu-clustering", "gpuclustering");
        ALIASES.put("gpu-packing", "gpupacking");
        ALIASES.put("best-fit", "bestfit");
    }

    /**
     * The canonical name for {@code name} (case and dashes ignored; {@code 05-BestFit} style prefixes of the
     * published result files accepted).
     *
     * @throws IllegalArgumentException naming the valid policies when {@code name} is none of them
     */
    public static String canonical(String name) {
        String key = name.trim().toLowerCase(Locale.ROOT).replaceFirst("^\\d+-", "");
        String found = ALIASES.get(key);
        if (found == null) {
            throw new IllegalArgumentException("unknown placement policy '" + name + "'; valid: "
                    + String.join(", ", NAMES));
        }
        return found;
    }

    /**
     * A new policy instance. Instances keep per-cluster caches: use one per cluster.
     *
     * @param random the source of the random policy's choices (score-based policies break ties by node order)
     * @param mix    the typical tasks, which the fragmentation-aware policies measure against
     */
    public static PlacementPolicy create(String name, RandomGenerator random, TaskMix mix) {
        return switch (canonical(name)) {
            case "random" -> new RandomPolicy(random);
            case "dotproduct" -> new DotProductPolicy();
            case "gpuclustering" -> new GpuClusteringPolicy();
            case "gpupacking" -> new GpuPackingPolicy();
            case "bestfit" -> new BestFitPolicy();
            case "fgd" -> new FgdPolicy(mix);
            case "puhui" -> new PuhuiPolicy(mix);
            default -> throw new IllegalStateException(name);
        };
    }
}
