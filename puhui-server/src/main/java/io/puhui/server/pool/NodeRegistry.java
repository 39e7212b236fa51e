package io.puhui.server.pool;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The nodes of the pool as the control plane knows them: who joined with which token and tier, their
 * resources, their last scene and heartbeat, and their state. A node that misses three heartbeats, or whose
 * connection closes, is LOST and gets no new work until it reconnects.
 */
public final class NodeRegistry {

    /** A node's state: ready for work, draining (finishing, no new work), or lost. */
    public enum State { READY, DRAINING, LOST }

    /** What the control plane knows of one node. */
    public record NodeInfo(String id, String name, Tier tier, String tokenId, int cores, long memoryBytes,
                           String scene, String sceneReason, int lendsThreads, long lendsMemoryBytes,
                           boolean acceptsRemote, State state, Instant joinedAt, Instant lastHeartbeat,
                           String address, List<NodeInstance> instances, NodeResources resources, double watts) {
        public NodeInfo {
            instances = List.copyOf(instances);
        }
    }

    private final ConcurrentHashMap<String, NodeInfo> nodes = new ConcurrentHashMap<>();
    private final Clock clock;
    private final Duration heartbeat;

    public NodeRegistry(Clock clock, Duration heartbeat) {
        this.clock = clock;
        this.heartbeat = heartbeat;
    }

    public Duration heartbeat() {
        return heartbeat;
    }

    /** A node joins (or rejoins after a reconnect: its id is stable). Draining survives a reconnect. */
    /** @param watts the node's power while generating; 0 or less for its tier's default */
    public NodeInfo join(String id, String name, Tier tier, String tokenId, int cores, long memoryBytes, String address,
                         List<NodeInstance> instances, double watts) {
        Instant now = clock.instant();
        return nodes.compute(id, (k, old) -> new NodeInfo(id, name, tier, tokenId, cores, memoryBytes,
                old != null ? old.scene() : "UNKNOWN", old != null ? old.sceneReason() : "", 0, 0, false,
                old != null && old.state() == State.DRAINING ? State.DRAINING : State.READY,
                old != null ? old.joinedAt() : now, now, address, instances,
                old != null ? old.resources() : NodeResources.UNKNOWN, watts > 0 ? watts : tier.defaultWatts()));
    }

    /**
     * A heartbeat: the node's scene, what it lends and the variants it holds now. Unknown ids are ignored (the
     * node must join).
     */
    public void heartbeat(String id, String scene, String reason, int threads, long memoryBytes, boolean remote,
                          List<NodeInstance> instances, NodeResources resources) {
        Instant now = clock.instant();
        nodes.computeIfPresent(id, (k, n) -> new NodeInfo(n.id(), n.name(), n.tier(), n.tokenId(), n.cores(),
                n.memoryBytes(), scene, reason, threads, memoryBytes, remote,
                n.state() == State.LOST ? State.READY : n.state(), n.joinedAt(), now, n.address(), instances, resources,
                n.watts()));
    }

    /** The node's connection closed: it is lost until it joins again. */
    public void disconnected(String id) {
        setState(id, State.LOST);
    }

    /** Stops new work going to the node. */
    public boolean drain(String id) {
        return setState(id, State.DRAINING);
    }

    /** Lets a drained node take new work again; false when there is no such node or it is not draining. */
    public boolean resume(String id) {
        NodeInfo n = nodes.get(id);
        return n != null && n.state() == State.DRAINING && setState(id, State.READY);
    }

    private boolean setState(String id, State state) {
        return nodes.computeIfPresent(id, (k, n) -> new NodeInfo(n.id(), n.name(), n.tier(), n.tokenId(), n.cores(),
                n.memoryBytes(), n.scene(), n.sceneReason(), n.lendsThreads(), n.lendsMemoryBytes(),
                n.acceptsRemote(), state, n.joinedAt(), n.lastHeartbeat(), n.address(), n.instances(),
                n.resources(), n.watts())) != null;
    }

    /** Marks nodes lost whose last heartbeat is more than three heartbeats old; returns how many. */
    public int sweep() {
        Instant limit = clock.instant().minus(heartbeat.multipliedBy(3));
        int lost = 0;
        for (NodeInfo n : nodes.values()) {
            if (n.state() != State.LOST && n.lastHeartbeat().isBefore(limit)) {
                setState(n.id(), State.LOST);
                lost++;
            }
        }
        return lost;
    }

    public Optional<NodeInfo> find(String id) {
        return Optional.ofNullable(nodes.get(id));
    }

    public List<NodeInfo> list() {
        List<NodeInfo> out = new ArrayList<>(nodes.values());
        out.sort(Comparator.comparing(NodeInfo::tier).thenComparing(NodeInfo::name).thenComparing(NodeInfo::id));
        return out;
    }
}
