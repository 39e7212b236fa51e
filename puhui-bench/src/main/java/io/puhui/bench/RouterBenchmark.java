// Time of one routing decision over 1,000 nodes (one instance each) in a mix of tiers, scenes, loads and
// states, for a request with no constraints and for one with a locality, a latency bound and a quality floor.
// Sample mode: JMH prints p50 and p99.
package io.puhui.bench;

import io.puhui.server.node.scene.Scene;
import io.puhui.server.pool.Candidate;
import io.puhui.server.pool.RouteRequest;
import io.puhui.server.pool.Router;
import io.puhui.server.pool.Tier;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RouterBenchmark {

    @Param({"1000"})
    public int nodes;

    private final Router router = new Router();
    private List<Candidate> candidates;
    private RouteRequest open;
    private RouteRequest constrained;

    @Setup
    public void setUp() {
        SplittableRandom r = new SplittableRandom(7);
        Scene[] scenes = Scene.values();
        candidates = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            Tier tier = i % 10 == 0 ? Tier.CLOUD : i % 3 == 0 ? Tier.EDGE : Tier.DEVICE;
            Candidate.NodeState state = r.nextInt(50) == 0 ? Candidate.NodeState.LOST : Candidate.NodeState.READY;
            Scene scene = tier == Tier.CLOUD ? null : scenes[r.nextInt(scenes.length)];
            double speed = switch (tier) {
                case DEVICE -> 8 + r.nextDouble(20);
                case EDGE -> 30 + r.nextDouble(40);
                case CLOUD -> 50 + r.nextDouble(50);
            };
            candidates.add(new Candidate("i-" + i, "node-" + i, tier, i % 4 == 0 ? "llama3" : "qwen2.5",
                    "variant-" + tier, tier == Tier.CLOUD ? 1.0 : tier == Tier.EDGE ? 0.75 : 0.55, state, scene,
                    "tenant-" + (i % 17), speed, speed * 8, r.nextInt(6), tier == Tier.CLOUD ? 32 : 2,
                    tier == Tier.CLOUD ? 3.0 : tier == Tier.EDGE ? 0.4 : 0.06));
        }
        open = RouteRequest.of("qwen2.5", 300, 128);
        constrained = new RouteRequest("qwen2.5", Set.of(Tier.EDGE), OptionalLong.of(4000), OptionalDouble.of(0.7),
                "tenant-3", Set.of(), 300, 128);
    }

    @Benchmark
    public Router.Route anywhere() {
        return router.route(open, candidates);
    }

    @Benchmark
    public Router.Route constrained() {
        return router.route(constrained, candidates);
    }
}
