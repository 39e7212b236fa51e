package io.puhui.server.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WarmupTest {

    static NodeInstance qwen(long bytes, boolean loaded) {
        return new NodeInstance("qwen", "qwen-" + bytes, "Q4_K_M", bytes, 0.96, 4, 20, 160, loaded);
    }

    static NodeRegistry.NodeInfo node(String id, Tier tier, NodeRegistry.State state, String scene, int threads,
                                      long memory, boolean remote, NodeInstance... instances) {
        return new NodeRegistry.NodeInfo(id, id, tier, "t", 8, 32L << 30, scene, "", threads, memory, remote, state,
                Instant.EPOCH, Instant.EPOCH, "127.0.0.1", List.of(instances), NodeResources.UNKNOWN, tier.defaultWatts());
    }

    final NodeRegistry.NodeInfo device = node("dev", Tier.DEVICE, NodeRegistry.State.READY, "IDLE", 4, 2L << 30, true,
            qwen(500L << 20, false));
    final NodeRegistry.NodeInfo edge = node("edge", Tier.EDGE, NodeRegistry.State.READY, "IDLE_CHARGING", 8, 16L << 30, true,
            qwen(1L << 30, false));
    final NodeRegistry.NodeInfo gaming = node("game", Tier.DEVICE, NodeRegistry.State.READY, "GAMING", 0, 0, false,
            qwen(500L << 20, false));
    final NodeRegistry.NodeInfo draining = node("drain", Tier.EDGE, NodeRegistry.State.DRAINING, "IDLE", 8, 16L << 30, true,
            qwen(1L << 30, false));

    @Test
    void aModelInDemandGetsOneInstanceOnANodeThatLendsRoomForIt() {
        List<Warmup.Load> plan = Warmup.plan(List.of(device, edge, gaming, draining), Map.of("qwen", 0.01), Map.of(), "bestfit");
        assertThat(plan).hasSize(1);
        assertThat(plan.get(0).nodeId()).isIn("dev", "edge");
        assertThat(plan.get(0).model()).isEqualTo("qwen");
    }

    @Test
    void moreDemandThanOneInstanceServesSpreadsItOverTheHoldersThatMayRunIt() {
        // one instance serves 4 slots x 20 tokens/s / 256 tokens = 0.31 requests/s
        List<Warmup.Load> plan = Warmup.plan(List.of(device, edge, gaming, draining), Map.of("qwen", 100.0), Map.of(), "bestfit");
        assertThat(plan).extracting(Warmup.Load::nodeId).containsExactlyInAnyOrder("dev", "edge");
        assertThat(plan).extracting(Warmup.Load::variant).contains("qwen-" + (500L << 20));
    }

    @Test
    void loadedInstancesCountAndNodesWithoutRoomAreSkipped() {
        NodeRegistry.NodeInfo edgeLoaded = node("edge", Tier.EDGE, NodeRegistry.State.READY, "IDLE", 8, 16L << 30, true,
                qwen(1L << 30, true));
        assertThat(Warmup.plan(List.of(device, edgeLoaded), Map.of("qwen", 0.1), Map.of(), "bestfit")).isEmpty();
        NodeRegistry.NodeInfo tinyDevice = node("dev", Tier.DEVICE, NodeRegistry.State.READY, "MEETING", 1, 100L << 20, true,
                qwen(500L << 20, false));
        assertThat(Warmup.plan(List.of(tinyDevice, edge), Map.of("qwen", 100.0), Map.of(), "bestfit"))
                .extracting(Warmup.Load::nodeId).containsExactly("edge");
        assertThat(Warmup.plan(List.of(tinyDevice), Map.of("qwen", 100.0), Map.of(), "bestfit")).as("no room").isEmpty();
    }

    @Test
    void anAdministratorCanAskForInstancesBeforeDemandComes() {
        assertThat(Warmup.plan(List.of(device, edge), Map.of(), Map.of("qwen", 2), "bestfit"))
                .extracting(Warmup.Load::nodeId).containsExactlyInAnyOrder("dev", "edge");
        assertThat(Warmup.plan(List.of(device, edge), Map.of(), Map.of(), "bestfit")).isEmpty();
        assertThat(Warmup.plan(List.of(device, edge), Map.of("llama", 5.0), Map.of(), "bestfit")).as("nobody holds it").isEmpty();
    }

    @Test
    void aDrainedNodesInstancesMoveToAnotherHolder() {
        NodeRegistry.NodeInfo drainedLoaded = node("drain", Tier.EDGE, NodeRegistry.State.DRAINING, "IDLE", 8, 16L << 30,
                true, qwen(1L << 30, true));
        assertThat(Warmup.plan(List.of(drainedLoaded, edge), Map.of("qwen", 0.1), Map.of(), "bestfit"))
                .extracting(Warmup.Load::nodeId).containsExactly("edge");
    }
}
