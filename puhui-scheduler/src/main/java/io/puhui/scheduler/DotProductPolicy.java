package io.puhui.scheduler;

/**
 * Tetris-style alignment: the node whose free (CPU, accelerator) vector has the smallest dot product with the
 * task's request, both scaled by the largest node (128 cores, 8 accelerators). Inside the node, the fullest
 * accelerator the share still fits on.
 */
final class DotProductPolicy extends ScoringPolicy {

    DotProductPolicy() {
    }

    @Override
    public String name() {
        return "dotproduct";
    }

    @Override
    long score(Task task, Cluster cluster, int node) {
        double dot = cluster.cpuLeft(node) / BestFitPolicy.CPU_SPAN * (task.cpuMilli() / BestFitPolicy.CPU_SPAN)
                + cluster.gpuLeftTotal(node) / BestFitPolicy.GPU_SPAN * (task.totalGpuMilli() / BestFitPolicy.GPU_SPAN);
        return (long) (MAX_SCORE * (1 - dot / 2));
    }

    @Override
    int[] chooseGpus(Task task, Cluster cluster, int node) {
        return tightestGpus(task, cluster, node);
    }
}
