package io.puhui.server.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.puhui.server.api.ApiException;
import io.puhui.server.node.scene.Scene;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RouterTest {

    static final Router ROUTER = new Router();

    // A phone running a 0.5B Q4 (slow, frugal), an edge box with a 1.5B Q8 and a cloud endpoint with the 72B.
    static Candidate device(Scene scene, int queued) {
        return new Candidate("i-dev", "phone-1", Tier.DEVICE, "qwen2.5", "qwen2.5-0.5b-q4_k_m", 0.55,
                Candidate.NodeState.READY, scene, "alice", 12, 80, queued, 1, 0.05);
    }

    static Candidate edge(int queued) {
        return new Candidate("i-edge", "edge-7", Tier.EDGE, "qwen2.5", "qwen2.5-1.5b-q8_0", 0.7,
                Candidate.NodeState.READY, Scene.IDLE_CHARGING, "", 40, 400, queued, 4, 0.4);
    }

    static Candidate cloud(int queued) {
        return new Candidate("i-cloud", "gpu-box", Tier.CLOUD, "qwen2.5", "Qwen/Qwen2.5-72B-Instruct", 1.0,
                Candidate.NodeState.READY, null, "", 60, 3000, queued, 32, 3.0);
    }

    static RouteRequest request(String locality, Long maxMs, Double minQuality, String tenant) {
        return new RouteRequest("qwen2.5", RouteRequest.parseLocality(locality),
                maxMs == null ? OptionalLong.empty() : OptionalLong.of(maxMs),
                minQuality == null ? OptionalDouble.empty() : OptionalDouble.of(minQuality), tenant, Set.of(), 200, 64);
    }

    @Test
    void theLocalityHeaderPicksTheTier() {
        List<Candidate> all = List.of(cloud(0), edge(0), device(Scene.IDLE_CHARGING, 0));
        assertThat(ROUTER.route(request("device", null, null, "bob"), all).chosen().tier()).isEqualTo(Tier.DEVICE);
        assertThat(ROUTER.route(request("edge", null, null, "bob"), all).chosen().tier()).isEqualTo(Tier.EDGE);
        assertThat(ROUTER.route(request("cloud", null, null, "bob"), all).chosen().tier()).isEqualTo(Tier.CLOUD);
        Router.Route any = ROUTER.route(request("any", null, null, "bob"), all);
        assertThat(any.chosen().tier()).as("cheapest in energy plus waiting").isEqualTo(Tier.EDGE);
        assertThat(any.eligible()).isEqualTo(3);
        assertThat(any.reason()).startsWith("edge:edge-7/qwen2.5-1.5b-q8_0 (cheapest of 3; est ");
        assertThatThrownBy(() -> RouteRequest.parseLocality("moon")).isInstanceOf(ApiException.class)
                .hasMessage("x-puhui-locality must be device, edge, cloud or any, not 'moon'")
                .extracting(e -> ((ApiException) e).status()).isEqualTo(400);
    }

    @Test
    void scenesGateRemoteWorkAndTheOwnerKeepsHisOwnDevice() {
        assertThatThrownBy(() -> ROUTER.route(request("device", null, null, "bob"), List.of(device(Scene.GAMING, 0))))
                .isInstanceOf(Router.NoRouteException.class).hasMessageContaining("1 on nodes in scene GAMING");
        assertThatThrownBy(() -> ROUTER.route(request("device", null, null, "bob"), List.of(device(Scene.MEETING, 0))))
                .hasMessageContaining("scene MEETING");
        assertThat(ROUTER.route(request("device", null, null, "alice"), List.of(device(Scene.MEETING, 0))).chosen().node())
                .as("her own phone in a meeting still answers her").isEqualTo("phone-1");
        assertThatThrownBy(() -> ROUTER.route(request("device", null, null, "alice"), List.of(device(Scene.GAMING, 0))))
                .as("not while she plays").hasMessageContaining("GAMING");
        assertThat(ROUTER.route(request("any", null, null, "bob"), List.of(device(Scene.GAMING, 0), cloud(0))).chosen().tier())
                .isEqualTo(Tier.CLOUD);
    }

    @Test
    void qualityLatencyAndLoadDecide() {
        List<Candidate> all = List.of(cloud(0), edge(0), device(Scene.IDLE_CHARGING, 0));
        assertThat(ROUTER.route(request("any", null, 0.9, "bob"), all).chosen().tier()).isEqualTo(Tier.CLOUD);
        // The phone needs ~7.8 s for 64 tokens; a 3 s bound leaves edge and cloud.
        assertThat(Router.estimateMs(request("any", null, null, "bob"), device(Scene.IDLE, 0))).isBetween(7000.0, 8500.0);
        assertThat(ROUTER.route(request("device", 3000L, null, "bob"), all).reason()).contains("none meets 3000 ms; the fastest of 1");
        // A long queue at the edge sends the request on.
        Router.Route busy = ROUTER.route(request("any", 2500L, null, "bob"), List.of(edge(40), device(Scene.IDLE, 0), cloud(0)));
        assertThat(busy.chosen().tier()).isEqualTo(Tier.CLOUD);
        assertThat(busy.estimatedMs()).isLessThan(2500);
    }

    @Test
    void lostAndDrainingNodesAndOtherModelsAreNeverChosen() {
        Candidate lost = new Candidate("i-x", "edge-9", Tier.EDGE, "qwen2.5", "v", 0.7, Candidate.NodeState.LOST,
                null, "", 40, 400, 0, 4, 0.1);
        Candidate draining = new Candidate("i-y", "edge-8", Tier.EDGE, "qwen2.5", "v", 0.7, Candidate.NodeState.DRAINING,
                null, "", 40, 400, 0, 4, 0.1);
        Candidate other = new Candidate("i-z", "edge-6", Tier.EDGE, "llama3", "v", 0.7, Candidate.NodeState.READY,
                null, "", 40, 400, 0, 4, 0.1);
        assertThatThrownBy(() -> ROUTER.route(request("edge", null, null, "bob"), List.of(lost, draining, other)))
                .hasMessage("no instance of 'qwen2.5' can take this request: 1 of other models; 1 on draining nodes; 1 on lost nodes");
        assertThat(ROUTER.route(request("any", null, null, "bob"), List.of(lost, draining, cloud(0))).chosen().tier()).isEqualTo(Tier.CLOUD);
        assertThatThrownBy(() -> ROUTER.route(request("any", null, null, "bob"), List.of()))
                .hasMessageContaining("none is running");
    }

    @Test
    void aTenantPolicyCanKeepRequestsOffTiers() {
        RouteRequest noCloud = new RouteRequest("qwen2.5", Set.of(), OptionalLong.empty(), OptionalDouble.empty(), "bob",
                Set.of(Tier.DEVICE, Tier.EDGE), 200, 64);
        assertThat(ROUTER.route(noCloud, List.of(cloud(0), edge(0))).chosen().tier()).isEqualTo(Tier.EDGE);
        assertThatThrownBy(() -> ROUTER.route(noCloud, List.of(cloud(0)))).hasMessageContaining("on tiers the tenant may not use");
        List<Candidate> many = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            many.add(new Candidate("i-" + i, "edge-" + i, Tier.EDGE, "qwen2.5", "v", 0.7, Candidate.NodeState.READY,
                    null, "", 40, 400, 0, 4, 0.4));
        }
        assertThat(ROUTER.route(noCloud, many).chosen().instance()).as("equal costs: first by name").isEqualTo("i-0");
    }

    @Test
    void headersThatAreNotNumbersAreRefused() {
        assertThat(RouteRequest.parseMaxLatency("1500")).hasValue(1500);
        assertThat(RouteRequest.parseMaxLatency(null)).isEmpty();
        assertThatThrownBy(() -> RouteRequest.parseMaxLatency("-3")).hasMessageContaining("positive number of milliseconds");
        assertThat(RouteRequest.parseMinQuality("0.8")).hasValue(0.8);
        assertThatThrownBy(() -> RouteRequest.parseMinQuality("high")).hasMessageContaining("from 0 to 1, not 'high'");
        assertThat(RouteRequest.parseLocality("ANY")).containsExactlyInAnyOrder(Tier.values());
    }
}
