package io.puhui.scheduler;

import java.util.Comparator;

/**
 * What a task asks for, without its name and timing: tasks of one shape place alike.
 *
 * @param cpuMilli CPU request
 * @param gpuMilli share of each accelerator (0 for none)
 * @param gpus     accelerators
 * @param gpuSpec  allowed accelerator types joined with {@code |}; empty for any
 */
public record TaskShape(long cpuMilli, int gpuMilli, int gpus, String gpuSpec) {

    /** CPU, then share, then count, then type list: a total order for reproducible tables. */
    public static final Comparator<TaskShape> ORDER = Comparator.comparingLong(TaskShape::cpuMilli)
            .thenComparingInt(TaskShape::gpuMilli).thenComparingInt(TaskShape::gpus)
            .thenComparing(TaskShape::gpuSpec);

    public long totalGpuMilli() {
        return (long) gpus * gpuMilli;
    }

    public boolean acceptsType(String type) {
        if (gpuSpec.isEmpty()) {
            return true;
        }
        for (String t : gpuSpec.split("\\|")) {
            if (t.equals(type)) {
                return true;
            }
        }
        return false;
    }
}
