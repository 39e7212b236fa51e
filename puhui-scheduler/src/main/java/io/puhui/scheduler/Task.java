package io.puhui.scheduler;

import java.util.List;
import java.util.Objects;

/**
 * A unit of work to place: CPU, memory and either no accelerator, a fraction of one ({@code gpus == 1},
 * {@code gpuMilli < 1000}) or whole accelerators ({@code gpuMilli == 1000}).
 *
 * @param name      name, unique within a trace
 * @param cpuMilli  CPU request, 1000 per core
 * @param memoryMib memory request
 * @param gpus      accelerators requested
 * @param gpuMilli  share of each requested accelerator, 1..1000 (0 when {@code gpus == 0})
 * @param gpuTypes  accelerator types the task may run on, in the order given; empty for any
 * @param tenant    owner, for quotas and fair share (empty when not known)
 * @param priority  larger runs first where a queue policy uses it
 * @param qos       quality-of-service class as the trace names it (LS, BE, ...; empty when not known)
 * @param arrival   submission time in seconds of the trace's clock
 * @param duration  run time in seconds; negative when not known
 */
public record Task(String name, long cpuMilli, long memoryMib, int gpus, int gpuMilli, List<String> gpuTypes,
                   String tenant, int priority, String qos, long arrival, long duration) {

    public Task {
        Objects.requireNonNull(name, "name");
        if (cpuMilli < 0 || memoryMib < 0 || gpus < 0) {
            throw new IllegalArgumentException("task " + name + ": requests must not be negative");
        }
        if (gpus == 0) {
            gpuMilli = 0;
        } else if (gpuMilli < 1 || gpuMilli > Node.GPU_MILLI) {
            throw new IllegalArgumentException("task " + name + ": gpu share " + gpuMilli
                    + " is outside 1..1000 milli of an accelerator");
        } else if (gpus > 1 && gpuMilli != Node.GPU_MILLI) {
            throw new IllegalArgumentException("task " + name + ": " + gpus + " accelerators at " + gpuMilli
                    + " milli each; only a single accelerator can be shared");
        }
        gpuTypes = gpuTypes == null ? List.of() : List.copyOf(gpuTypes);
        tenant = tenant == null ? "" : tenant;
        qos = qos == null ? "" : qos;
    }

    /** A task with no tenant, priority or timing, as the placement-only replays use. */
    public static Task of(String name, long cpuMilli, long memoryMib, int gpus, int gpuMilli, List<String> gpuTypes) {
        return new Task(name, cpuMilli, memoryMib, gpus, gpuMilli, gpuTypes, "", 0, "", 0, -1);
    }

    public Task withName(String newName) {
        return new Task(newName, cpuMilli, memoryMib, gpus, gpuMilli, gpuTypes, tenant, priority, qos, arrival, duration);
    }

    /** Accelerator demand in milli-units: 460 for a 0.46 share, 8000 for eight whole accelerators. */
    public long totalGpuMilli() {
        return (long) gpus * gpuMilli;
    }

    /** True when the task asks for part of one accelerator. */
    public boolean sharesGpu() {
        return gpus == 1 && gpuMilli < Node.GPU_MILLI;
    }

    /** The accelerator types joined with {@code |}, as traces write them. */
    public String gpuSpec() {
        return String.join("|", gpuTypes);
    }

    public boolean acceptsType(String type) {
        return gpuTypes.isEmpty() || gpuTypes.contains(type);
    }

    /** The resource shape, which is all placement looks at. */
    public TaskShape shape() {
        return new TaskShape(cpuMilli, gpuMilli, gpus, gpuSpec());
    }
}
