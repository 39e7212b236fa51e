package io.puhui.server.pool;

import java.util.List;

/**
 * What a node has now, as its heartbeat reports it.
 *
 * @param cpuLoad         share of all cores busy, 0..1 (-1 when unknown)
 * @param memoryAvailable bytes of memory free for use
 * @param accelerators    its GPUs and other accelerators
 */
public record NodeResources(double cpuLoad, long memoryAvailable, List<Accelerator> accelerators) {

    public static final NodeResources UNKNOWN = new NodeResources(-1, 0, List.of());

    public NodeResources {
        accelerators = List.copyOf(accelerators);
    }

    /**
     * One accelerator.
     *
     * @param utilization share busy, 0..1 (-1 when unknown)
     * @param memoryUsed  bytes of its memory in use (-1 when unknown)
     */
    public record Accelerator(String name, String vendor, long memoryBytes, long memoryUsed, double utilization) {
    }
}
