package io.puhui.scheduler;

import java.util.random.RandomGenerator;

/**
 * The shape shared by score-based policies, as kube-scheduler runs them: every node that fits gets an integer
 * score, optionally rescaled to 0..100 over the nodes that fit, the highest score wins, and the policy then
 * chooses the accelerators inside the winner.
 *
 * <p>Ties go to the node that comes first in the cluster's order. A fixed preference among equals is itself a
 * packing rule (equal nodes fill one after another instead of evenly); the published simulator breaks ties by
 * node name after giving the nodes random name prefixes, which is this rule over a shuffled node list.
 */
abstract class ScoringPolicy implements PlacementPolicy {

    /** kube-scheduler's score range. */
    static final long MAX_SCORE = 100;

    private int[] candidates = new int[0];
    private long[] scores = new long[0];

    /** Score of a node that fits the task: higher is better. */
    abstract long score(Task task, Cluster cluster, int node);

    /** The accelerators of the chosen node to give the task. */
    abstract int[] chooseGpus(Task task, Cluster cluster, int node);

    /** Whether scores are rescaled linearly to 0..100 over the nodes that fit before the best is taken. */
    boolean normalizes() {
        return false;
    }

    /** Called once per decision before any node is scored. */
    void prepare(Task task, Cluster cluster) {
    }

    @Override
    public Placement place(Task task, Cluster cluster) {
        int n = cluster.size();
        if (candidates.length < n) {
            candidates = new int[n];
            scores = new long[n];
        }
        prepare(task, cluster);
        int fit = 0;
        for (int node = 0; node < n; node++) {
            if (cluster.fits(task, node)) {
                candidates[fit] = node;
                scores[fit] = score(task, cluster, node);
                fit++;
            }
        }
        if (fit == 0) {
            return null;
        }
        if (normalizes()) {
            normalize(scores, fit);
        }
        int best = pickHighest(candidates, scores, fit);
        return new Placement(best, chooseGpus(task, cluster, best));
    }

    /** Highest score; the first such node in cluster order. */
    static int pickHighest(int[] nodes, long[] scores, int count) {
        long max = scores[0];
        int chosen = nodes[0];
        for (int i = 1; i < count; i++) {
            if (scores[i] > max) {
                max = scores[i];
                chosen = nodes[i];
            }
        }
        return chosen;
    }

    /** Rescales to 0..100 (integer arithmetic); all equal scores become 0. */
    static void normalize(long[] scores, int count) {
        long hi = Long.MIN_VALUE;
        long lo = Long.MAX_VALUE;
        for (int i = 0; i < count; i++) {
            hi = Math.max(hi, scores[i]);
            lo = Math.min(lo, scores[i]);
        }
        long range = hi - lo;
        for (int i = 0; i < count; i++) {
            scores[i] = range == 0 ? 0 : (scores[i] - lo) * MAX_SCORE / range;
        }
    }

    /** In-node choice that keeps whole accelerators free: the fullest accelerator a share still fits on. */
    static int[] tightestGpus(Task task, Cluster cluster, int node) {
        if (task.gpus() == 0) {
            return new int[0];
        }
        if (!task.sharesGpu()) {
            return cluster.firstFreeGpus(node, task.gpus());
        }
        int best = -1;
        int bestLeft = Integer.MAX_VALUE;
        for (int g = 0; g < cluster.gpuCount(node); g++) {
            int left = cluster.gpuLeft(node, g);
            if (left >= task.gpuMilli() && left < bestLeft) {
                best = g;
                bestLeft = left;
            }
        }
        return new int[] {best};
    }

    /** In-node choice at random among the accelerators a share fits on; whole accelerators in device order. */
    static int[] randomGpus(Task task, Cluster cluster, int node, RandomGenerator random) {
        if (task.gpus() == 0) {
            return new int[0];
        }
        if (!task.sharesGpu()) {
            return cluster.firstFreeGpus(node, task.gpus());
        }
        int chosen = -1;
        int seen = 0;
        for (int g = 0; g < cluster.gpuCount(node); g++) {
            if (cluster.gpuLeft(node, g) >= task.gpuMilli()) {
                seen++;
                if (random.nextInt(seen) == 0) {
                    chosen = g;
                }
            }
        }
        return new int[] {chosen};
    }
}
