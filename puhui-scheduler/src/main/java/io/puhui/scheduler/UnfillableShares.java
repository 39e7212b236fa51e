package io.puhui.scheduler;

import java.util.Arrays;
import java.util.List;

/**
 * The part of each accelerator's free share that no combination of typical tasks could ever fill: for a free
 * share {@code L}, {@code L} minus the largest sum of typical single-accelerator shares (each shape as often as
 * wanted) that fits in {@code L}. With typical shares of 230 and 320 milli, a 190-milli share left beside an
 * 810 task counts whole, and a 530-milli share counts 70, what 230 + 230 leaves.
 *
 * <p>Only shapes the node could run count: its accelerator type must be allowed, and the shape's CPU request
 * must fit the node's free CPU (each shape on its own; what a whole combination needs in CPU is left to the
 * stranding term of {@link PuhuiPolicy}). The answer depends on the node's type and on how many distinct CPU
 * requests of typical shapes its free CPU covers, so one table per such pair serves every state.
 */
final class UnfillableShares {

    /** The single-accelerator typical shapes: {@code shapeCount} entries of share, CPU and allowed types. */
    private final int shapeCount;
    private final int[] milli;
    private final long[] cpu;
    private final boolean[][] access;
    /** Distinct CPU requests of the single-accelerator typical shapes, ascending. */
    private final long[] cpuSteps;
    /** [type][number of CPU steps covered] → unfillable milli per free share 0..GPU_MILLI; built on first use. */
    private final int[][][] tables;

    UnfillableShares(TaskMix mix, List<String> types) {
        List<TaskShape> shapes = mix.shapes();
        int k = 0;
        milli = new int[shapes.size()];
        cpu = new long[shapes.size()];
        access = new boolean[shapes.size()][types.size()];
        for (TaskShape s : shapes) {
            if (s.gpus() != 1 || s.gpuMilli() <= 0) {
                continue;
            }
            milli[k] = s.gpuMilli();
            cpu[k] = s.cpuMilli();
            for (int t = 0; t < types.size(); t++) {
                access[k][t] = s.gpuSpec().isEmpty() || (!types.get(t).isEmpty() && s.acceptsType(types.get(t)));
            }
            k++;
        }
        long[] steps = Arrays.stream(cpu, 0, k).distinct().sorted().toArray();
        this.cpuSteps = steps;
        this.tables = new int[types.size()][steps.length + 1][];
        this.shapeCount = k;
    }

    /** Unfillable milli-units over all the node's accelerators. */
    long of(int type, long cpuLeft, int[] shares) {
        int covered = 0;
        while (covered < cpuSteps.length && cpuSteps[covered] <= cpuLeft) {
            covered++;
        }
        int[] table = tables[type][covered];
        if (table == null) {
            table = build(type, covered == 0 ? -1 : cpuSteps[covered - 1]);
            tables[type][covered] = table;
        }
        long out = 0;
        for (int g : shares) {
            out += table[g];
        }
        return out;
    }

    /** Unbounded knapsack over the shapes of this type whose CPU is at most {@code cpuLimit}. */
    private int[] build(int type, long cpuLimit) {
        int[] fill = new int[Node.GPU_MILLI + 1];
        for (int l = 1; l <= Node.GPU_MILLI; l++) {
            int best = fill[l - 1];
            for (int i = 0; i < shapeCount; i++) {
                if (milli[i] <= l && cpu[i] <= cpuLimit && access[i][type]) {
                    best = Math.max(best, fill[l - milli[i]] + milli[i]);
                }
            }
            fill[l] = best;
        }
        int[] unfillable = new int[Node.GPU_MILLI + 1];
        for (int l = 0; l <= Node.GPU_MILLI; l++) {
            unfillable[l] = l - fill[l];
        }
        return unfillable;
    }
}
