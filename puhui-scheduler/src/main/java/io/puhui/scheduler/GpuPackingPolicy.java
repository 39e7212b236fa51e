package io.puhui.scheduler;

/**
 * Fill partly used accelerators first, then partly used nodes, and open an idle node last: a share or whole
 * accelerator that lands on already used accelerators scores 50..100 (fuller is better), one that needs free
 * accelerators on a used node 33..50, an idle node at most 33. CPU-only tasks go anywhere.
 */
final class GpuPackingPolicy extends ScoringPolicy {

    GpuPackingPolicy() {
    }

    @Override
    public String name() {
        return "gpupacking";
    }

    @Override
    long score(Task task, Cluster cluster, int node) {
        if (task.gpus() == 0) {
            return 0;
        }
        int gpus = cluster.gpuCount(node);
        int free = cluster.freeGpus(node);
        if (free == gpus) {
            return Math.max(MAX_SCORE / 3 - free, free);
        }
        // Walk the accelerators from the fullest, taking each one the share fits on.
        int[] order = ascendingByLeft(cluster, node);
        int wanted = task.gpus();
        int freeUsed = 0;
        long freeRatio = 0;
        for (int g : order) {
            if (wanted == 0) {
                break;
            }
            int left = cluster.gpuLeft(node, g);
            if (task.gpuMilli() <= left) {
                wanted--;
                if (left == Node.GPU_MILLI) {
                    freeUsed++;
                }
                freeRatio += (long) left * 100 / Node.GPU_MILLI;
            }
        }
        if (freeUsed > 0) {
            return Math.max(MAX_SCORE / 2 - freeUsed, MAX_SCORE / 3);
        }
        return Math.max(MAX_SCORE - freeRatio / 10, MAX_SCORE / 2);
    }

    /** Device indices sorted by free share, ascending, ties in device order. */
    static int[] ascendingByLeft(Cluster cluster, int node) {
        int n = cluster.gpuCount(node);
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = 1; i < n; i++) {
            int g = order[i];
            int left = cluster.gpuLeft(node, g);
            int j = i - 1;
            while (j >= 0 && cluster.gpuLeft(node, order[j]) > left) {
                order[j + 1] = order[j];
                j--;
            }
            order[j + 1] = g;
        }
        return order;
    }

    @Override
    int[] chooseGpus(Task task, Cluster cluster, int node) {
        return tightestGpus(task, cluster, node);
    }
}
