package io.puhui.server.node.scene;

/** Reads the node's signals; called once per heartbeat. Tests inject their own. */
@FunctionalInterface
public interface SignalSource {
    Signals read();
}
