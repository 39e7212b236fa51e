package io.puhui.server.pool;

/** Where a node sits: a user's device, an edge box, or a cloud server. Cheapest first. */
public enum Tier {
    DEVICE, EDGE, CLOUD
}
