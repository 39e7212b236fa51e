package io.puhui.scheduler;

/**
 * Where a task runs: a node (its index in the cluster) and the accelerators on it.
 *
 * @param node index of the node in {@link Cluster#node(int)}
 * @param gpus indices of the accelerators on that node; empty for a CPU-only task
 */
public record Placement(int node, int[] gpus) {
}
