package io.puhui.scheduler;

import java.util.random.RandomGenerator;

/** Any node that fits, each equally likely; any accelerator a share fits on. The baseline. */
final class RandomPolicy implements PlacementPolicy {

    private final RandomGenerator random;
    private int[] candidates = new int[0];

    RandomPolicy(RandomGenerator random) {
        this.random = random;
    }

    @Override
    public String name() {
        return "random";
    }

    @Override
    public Placement place(Task task, Cluster cluster) {
        if (candidates.length < cluster.size()) {
            candidates = new int[cluster.size()];
        }
        int fit = 0;
        for (int node = 0; node < cluster.size(); node++) {
            if (cluster.fits(task, node)) {
                candidates[fit++] = node;
            }
        }
        if (fit == 0) {
            return null;
        }
        int node = candidates[random.nextInt(fit)];
        return new Placement(node, ScoringPolicy.randomGpus(task, cluster, node, random));
    }
}
