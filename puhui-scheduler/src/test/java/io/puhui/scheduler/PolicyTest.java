package io.puhui.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PolicyTest {

    static final TaskMix HALVES = TaskMix.of(List.of(ClusterTest.share("a", 500), ClusterTest.share("b", 500),
            ClusterTest.whole("c", 1)));

    static PlacementPolicy policy(String name) {
        return Policies.create(name, new SplittableRandom(1), HALVES);
    }

    static Cluster fourNodes() {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            nodes.add(new Node("n" + i, 32_000, 131_072, 2, "T4"));
        }
        return new Cluster(nodes);
    }

    @Test
    void namesAreCanonicalAndUnknownOnesListTheValidOnes() {
        assertThat(Policies.canonical("05-BestFit")).isEqualTo("bestfit");
        assertThat(Policies.canonical("DotProd")).isEqualTo("dotproduct");
        assertThat(Policies.canonical("FGD")).isEqualTo("fgd");
        assertThatThrownBy(() -> Policies.canonical("tetris")).hasMessageContaining("unknown placement policy 'tetris'")
                .hasMessageContaining("random, dotproduct, gpuclustering, gpupacking, bestfit, fgd");
    }

    @Test
    void scoreTiesGoToTheFirstNodeInClusterOrder() {
        for (String p : List.of("bestfit", "gpupacking", "gpuclustering", "dotproduct", "fgd")) {
            assertThat(policy(p).place(ClusterTest.share("s", 300), fourNodes()).node()).as(p).isZero();
        }
    }

    @Test
    void bestFitTakesTheFullestNodeThatFits() {
        Cluster c = fourNodes();
        c.assign(ClusterTest.share("w", 1000), 2, new int[] {0});
        c.assign(ClusterTest.share("s", 800), 3, new int[] {0});
        c.assign(ClusterTest.share("h", 500), 3, new int[] {1});
        Placement p = policy("bestfit").place(ClusterTest.share("t", 150), c);
        assertThat(p.node()).as("node 3 has 700 milli left, node 2 1000").isEqualTo(3);
        assertThat(p.gpus()).as("the fullest accelerator the share fits on").containsExactly(0);
        Placement q = policy("bestfit").place(ClusterTest.share("t", 300), c);
        assertThat(q.node()).isEqualTo(3);
        assertThat(q.gpus()).as("200 left on accelerator 0 is too little").containsExactly(1);
        assertThat(policy("bestfit").place(ClusterTest.share("t", 600), c).node()).isEqualTo(2);
    }

    @Test
    void gpuPackingFillsUsedAcceleratorsBeforeOpeningFreeOnes() {
        Cluster c = fourNodes();
        c.assign(ClusterTest.share("s", 500), 1, new int[] {1});
        assertThat(policy("gpupacking").place(ClusterTest.share("t", 400), c).node()).isEqualTo(1);
        // A whole accelerator cannot go on the used one: a used node (with a free accelerator) beats an idle one.
        assertThat(policy("gpupacking").place(ClusterTest.whole("w", 1), c).node()).isEqualTo(1);
    }

    @Test
    void gpuClusteringKeepsKindsTogether() {
        Cluster c = fourNodes();
        c.assign(ClusterTest.whole("w", 1), 0, new int[] {0});
        c.assign(ClusterTest.share("s", 200), 2, new int[] {0});
        assertThat(policy("gpuclustering").place(ClusterTest.share("t", 200), c).node()).isEqualTo(2);
        assertThat(policy("gpuclustering").place(ClusterTest.whole("u", 1), c).node()).isEqualTo(0);
    }

    @Test
    void fgdCompletesAHalfUsedAcceleratorWhenHalvesAreTypical() {
        Cluster c = fourNodes();
        c.assign(ClusterTest.share("s", 500), 3, new int[] {1});
        Placement p = policy("fgd").place(ClusterTest.share("t", 500), c);
        assertThat(p.node()).isEqualTo(3);
        assertThat(p.gpus()).containsExactly(1);
    }

    @Test
    void fgdAvoidsLeavingAnUnusableSliver() {
        // Halves and whole accelerators are typical: a 600 share on a fresh accelerator leaves 400 no typical
        // task can use, on the 700-left one it leaves 100 of a sliver that was already unusable by whole tasks.
        Cluster c = new Cluster(List.of(new Node("a", 32_000, 131_072, 2, "T4")));
        c.assign(ClusterTest.share("s", 300), 0, new int[] {1});
        Placement p = policy("fgd").place(ClusterTest.share("t", 600), c);
        assertThat(p.gpus()).containsExactly(1);
    }

    @Test
    void puhuiKeepsCpuForTheAcceleratorsThatNeedItWhereFgdSeesNoDifference() {
        // Typical tasks: one whole accelerator and 10 cores. Node a has four free accelerators and 48 cores,
        // enough for all four; node b has no free accelerator and 20 cores. A 16-core CPU task on a leaves 32
        // cores, so one accelerator can no longer be fed; on b it strands nothing.
        List<Task> w = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            w.add(Task.of("g" + i, 10_000, 1, 1, 1000, List.of()));
        }
        TaskMix mix = TaskMix.of(w);
        Cluster c = new Cluster(List.of(new Node("a", 48_000, 262_144, 4, "T4"), new Node("b", 40_000, 262_144, 2, "T4")));
        c.assign(Task.of("busy", 20_000, 1, 2, 1000, List.of()), 1, new int[] {0, 1});
        Task cpu = Task.of("cpu", 16_000, 1, 0, 0, List.of());
        assertThat(Policies.create("fgd", new SplittableRandom(1), mix).place(cpu, c).node()).isZero();
        assertThat(Policies.create("puhui", new SplittableRandom(1), mix).place(cpu, c).node()).isEqualTo(1);
        // Accelerator tasks are placed as FGD places them when CPU is plentiful.
        Task share = ClusterTest.share("s", 500);
        assertThat(Policies.create("puhui", new SplittableRandom(1), HALVES).place(share, fourNodes()))
                .usingRecursiveComparison().isEqualTo(policy("fgd").place(share, fourNodes()));
    }

    @Test
    void typeConstraintsAreHonouredByEveryPolicy() {
        Cluster c = new Cluster(List.of(new Node("t4", 32_000, 131_072, 2, "T4"), new Node("v100", 32_000, 131_072, 2, "V100M32")));
        Task t = Task.of("typed", 1_000, 1, 1, 500, List.of("V100M32"));
        for (String p : Policies.NAMES) {
            assertThat(policy(p).place(t, c).node()).as(p).isEqualTo(1);
        }
        Task none = Task.of("typed", 1_000, 1, 1, 500, List.of("A100"));
        for (String p : Policies.NAMES) {
            assertThat(policy(p).place(none, c)).as(p).isNull();
        }
    }

    @Test
    void randomSpreadsOverTheNodesThatFit() {
        Cluster c = fourNodes();
        c.assign(ClusterTest.whole("w", 2), 0, new int[] {0, 1});
        PlacementPolicy p = policy("random");
        int[] hits = new int[4];
        for (int i = 0; i < 3000; i++) {
            hits[p.place(ClusterTest.share("s", 100), c).node()]++;
        }
        assertThat(hits[0]).isZero();
        for (int n = 1; n < 4; n++) {
            assertThat(hits[n]).isBetween(850, 1150);
        }
    }
}
