package io.puhui.scheduler;

import java.util.Map;
import java.util.Objects;

/**
 * A machine of the pool as the scheduler sees it: CPU in milli-cores, memory in MiB and a number of
 * accelerators of one type, each of which offers 1000 milli-units of compute and {@code gpuMemoryMib} of memory.
 *
 * @param name         unique name
 * @param cpuMilli     CPU capacity, 1000 per core
 * @param memoryMib    memory capacity
 * @param gpus         number of accelerators (0 for a CPU-only node)
 * @param gpuType      accelerator type, such as {@code V100M32} or {@code T4}; empty when {@code gpus == 0}
 * @param gpuMemoryMib memory of one accelerator, 0 when unknown
 * @param tier         device, edge or cloud (free text; empty when not known)
 * @param labels       other attributes placement may match on
 */
public record Node(String name, long cpuMilli, long memoryMib, int gpus, String gpuType, long gpuMemoryMib,
                   String tier, Map<String, String> labels) {

    /** Compute and memory of one whole accelerator, in milli-units. */
    public static final int GPU_MILLI = 1000;

    public Node {
        Objects.requireNonNull(name, "name");
        if (cpuMilli < 0 || memoryMib < 0 || gpus < 0 || gpuMemoryMib < 0) {
            throw new IllegalArgumentException("node " + name + ": capacities must not be negative");
        }
        if (gpus > 64) {
            throw new IllegalArgumentException("node " + name + ": " + gpus + " accelerators; at most 64 per node");
        }
        gpuType = gpus == 0 || gpuType == null ? "" : gpuType;
        tier = tier == null ? "" : tier;
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    public Node(String name, long cpuMilli, long memoryMib, int gpus, String gpuType) {
        this(name, cpuMilli, memoryMib, gpus, gpuType, 0, "", Map.of());
    }

    public long gpuMilli() {
        return (long) gpus * GPU_MILLI;
    }
}
