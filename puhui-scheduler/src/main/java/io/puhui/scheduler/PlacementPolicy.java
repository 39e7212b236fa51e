package io.puhui.scheduler;

/**
 * Chooses a node, and the accelerators inside it, for one task. A policy reads the cluster and does not change
 * it: the caller commits the choice with {@link Cluster#assign}.
 */
public interface PlacementPolicy {

    /** The policy's name as {@code puhui simulate --policy} takes it. */
    String name();

    /**
     * @return where the task should run, or {@code null} when no node can take it now
     */
    Placement place(Task task, Cluster cluster);
}
