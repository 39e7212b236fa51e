package io.puhui.scheduler;

/**
 * Keep tasks of one kind together (shares with shares, 2-accelerator tasks with their like): a node running
 * only this kind scores 75..100, a mixed node running it 50..75, an idle node 25..50, a node running only
 * other kinds 0..25; within each band, fuller nodes score higher. CPU-only tasks go anywhere.
 */
final class GpuClusteringPolicy extends ScoringPolicy {

    GpuClusteringPolicy() {
    }

    @Override
    public String name() {
        return "gpuclustering";
    }

    @Override
    long score(Task task, Cluster cluster, int node) {
        if (task.gpus() == 0) {
            return 0;
        }
        long band = MAX_SCORE / 4 * (8_000 - cluster.gpuLeftTotal(node)) / 8_000;
        int distinct = cluster.distinctTags(node);
        if (cluster.tasksWithTag(node, task) > 0) {
            return band + (distinct == 1 ? MAX_SCORE * 3 / 4 : MAX_SCORE * 2 / 4);
        }
        return band + (distinct == 0 ? MAX_SCORE / 4 : 0);
    }

    @Override
    int[] chooseGpus(Task task, Cluster cluster, int node) {
        return tightestGpus(task, cluster, node);
    }
}
