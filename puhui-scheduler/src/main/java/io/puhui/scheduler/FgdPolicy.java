package io.puhui.scheduler;

import java.util.HashMap;
import java.util.Map;

/**
 * Fragmentation gradient descent (Weng et al., ATC'23): place the task where it raises the node's
 * {@link Fragmentation} the least. The score is {@code int(100 * sigmoid(-Δfrag / 1000))}, so decreases score
 * above 50 and increases below; inside the node, a share goes to the accelerator with the best such score.
 */
class FgdPolicy extends ScoringPolicy {

    final TaskMix mix;
    private Cluster boundTo;
    Fragmentation fragmentation;
    private double[] fragOfState = new double[0];
    private int knownStates;
    private final ScoreMemo memo = new ScoreMemo();
    private final Map<TaskShape, Integer> shapeIds = new HashMap<>();
    private int shapeId;

    FgdPolicy(TaskMix mix) {
        this.mix = mix;
    }

    @Override
    public String name() {
        return "fgd";
    }

    @Override
    void prepare(Task task, Cluster cluster) {
        if (boundTo != cluster) {
            if (boundTo != null) {
                throw new IllegalStateException("a policy instance serves one cluster");
            }
            boundTo = cluster;
            fragmentation = new Fragmentation(mix, cluster.types());
            bind(cluster);
        }
        shapeId = shapeIds.computeIfAbsent(task.shape(), s -> shapeIds.size());
    }

    /** Called once, when the policy first sees its cluster. */
    void bind(Cluster cluster) {
    }

    /** The fragmentation of a node state; the shares come in any order and may be reordered, not kept. */
    double measure(int type, long cpuLeft, int[] ascendingShares) {
        return fragmentation.of(type, cpuLeft, ascendingShares);
    }

    @Override
    long score(Task task, Cluster cluster, int node) {
        int state = cluster.state(node);
        long key = ScoreMemo.key(state, shapeId);
        long s = memo.get(key, Long.MIN_VALUE);
        if (s == Long.MIN_VALUE) {
            s = scoreState(task, cluster.stateKey(state), fragOf(cluster, state));
            memo.put(key, s);
        }
        return s;
    }

    private long scoreState(Task task, Cluster.StateKey state, double before) {
        int[] shares = state.sortedGpuLeft();
        long cpuAfter = state.cpuLeft() - task.cpuMilli();
        if (!task.sharesGpu()) {
            takeWhole(shares, task.gpus());
            return toScore(before - measure(state.type(), cpuAfter, shares));
        }
        long best = Long.MIN_VALUE;
        int previous = -1;
        for (int g = 0; g < shares.length; g++) {
            int left = shares[g];
            if (left < task.gpuMilli() || left == previous) {
                continue;
            }
            previous = left;
            shares[g] = left - task.gpuMilli();
            best = Math.max(best, toScore(before - measure(state.type(), cpuAfter, shares)));
            shares[g] = left;
        }
        return best;
    }

    /** Takes {@code count} whole accelerators from ascending shares (free ones are the 1000s at the end). */
    private static void takeWhole(int[] ascending, int count) {
        for (int g = 0; g < ascending.length && count > 0; g++) {
            if (ascending[g] == Node.GPU_MILLI) {
                ascending[g] = 0;
                count--;
            }
        }
    }

    static long toScore(double fragDecrease) {
        return (long) (1.0 / (1.0 + Math.exp(-(fragDecrease / 1000))) * MAX_SCORE);
    }

    private double fragOf(Cluster cluster, int state) {
        if (state >= fragOfState.length) {
            double[] grown = new double[Math.max(1024, Math.max(state + 1, fragOfState.length * 2))];
            System.arraycopy(fragOfState, 0, grown, 0, knownStates);
            fragOfState = grown;
        }
        while (knownStates <= state) {
            Cluster.StateKey k = cluster.stateKey(knownStates);
            fragOfState[knownStates] = measure(k.type(), k.cpuLeft(), k.sortedGpuLeft());
            knownStates++;
        }
        return fragOfState[state];
    }

    @Override
    int[] chooseGpus(Task task, Cluster cluster, int node) {
        if (!task.sharesGpu()) {
            return task.gpus() == 0 ? new int[0] : cluster.firstFreeGpus(node, task.gpus());
        }
        int[] shares = cluster.gpuLeft(node);
        int type = cluster.typeOf(node);
        long cpuAfter = cluster.cpuLeft(node) - task.cpuMilli();
        double before = measure(type, cluster.cpuLeft(node), shares.clone());
        int best = -1;
        long bestScore = Long.MIN_VALUE;
        for (int g = 0; g < shares.length; g++) {
            int left = shares[g];
            if (left < task.gpuMilli()) {
                continue;
            }
            shares[g] = left - task.gpuMilli();
            long s = toScore(before - measure(type, cpuAfter, shares.clone()));
            shares[g] = left;
            if (best < 0 || s > bestScore) {
                best = g;
                bestScore = s;
            }
        }
        return new int[] {best};
    }
}
