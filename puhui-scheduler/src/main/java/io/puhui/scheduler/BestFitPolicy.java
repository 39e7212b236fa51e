package io.puhui.scheduler;

/**
 * The node left with the least free CPU and accelerator capacity after placing, each measured against the
 * largest node of the reference cluster (128 cores, 8 accelerators) and weighted equally; scores rescaled to
 * 0..100 over the nodes that fit. Inside the node, the fullest accelerator the share still fits on.
 */
final class BestFitPolicy extends ScoringPolicy {

    static final double CPU_SPAN = 128_000;
    static final double GPU_SPAN = 8_000;

    BestFitPolicy() {
    }

    @Override
    public String name() {
        return "bestfit";
    }

    @Override
    boolean normalizes() {
        return true;
    }

    @Override
    long score(Task task, Cluster cluster, int node) {
        double left = 0;
        left += ((double) cluster.cpuLeft(node) - task.cpuMilli()) / CPU_SPAN * 0.5;
        left += ((double) cluster.gpuLeftTotal(node) - task.totalGpuMilli()) / GPU_SPAN * 0.5;
        return (long) ((1.0 - left) * MAX_SCORE);
    }

    @Override
    int[] chooseGpus(Task task, Cluster cluster, int node) {
        return tightestGpus(task, cluster, node);
    }
}
