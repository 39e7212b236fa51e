package io.puhui.server.node.scene;

/**
 * What a device is doing, which decides what it lends to the pool. Ordered from the scene that lends the most
 * to the one that lends the least.
 */
public enum Scene {
    /** On mains power (or charging) with nobody using it: lend nearly everything. */
    IDLE_CHARGING,
    /** Nobody using it, on battery: lend, but keep some back. */
    IDLE,
    /** Someone is working on it, or other programs keep the CPU busy: lend what they leave. */
    INTERACTIVE,
    /** A call or meeting app is running: keep CPU and battery for it; local requests only. */
    MEETING,
    /** Battery low and not charging: lend nothing, keep the battery for the owner. */
    LOW_BATTERY,
    /** A game is running: keep all performance for the player. */
    GAMING;

    /** True when this scene lends less than {@code other}. */
    public boolean stricterThan(Scene other) {
        return ordinal() > other.ordinal();
    }
}
