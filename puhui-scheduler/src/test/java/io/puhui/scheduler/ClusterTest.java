package io.puhui.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterTest {

    static Task share(String name, int milli) {
        return Task.of(name, 4_000, 8_192, 1, milli, List.of());
    }

    static Task whole(String name, int gpus) {
        return Task.of(name, 8_000, 16_384, gpus, 1000, List.of());
    }

    @Test
    void assignTakesAndReleaseGivesBackEveryResource() {
        Cluster c = new Cluster(List.of(new Node("a", 32_000, 65_536, 4, "T4")));
        Task t = share("s", 300);
        Placement p = c.assign(t, 0, new int[] {2});
        assertThat(c.cpuLeft(0)).isEqualTo(28_000);
        assertThat(c.memoryLeft(0)).isEqualTo(65_536 - 8_192);
        assertThat(c.gpuLeft(0)).containsExactly(1000, 1000, 700, 1000);
        assertThat(c.freeGpus(0)).isEqualTo(3);
        assertThat(c.gpuLeftTotal(0)).isEqualTo(3_700);
        assertThat(c.allocatedGpuMilli()).isEqualTo(300);
        assertThat(c.tasksWithTag(0, share("other", 500))).isEqualTo(1);
        assertThat(c.distinctTags(0)).isEqualTo(1);
        c.release(t, p);
        assertThat(c.gpuLeft(0)).containsExactly(1000, 1000, 1000, 1000);
        assertThat(c.cpuLeft(0)).isEqualTo(32_000);
        assertThat(c.allocatedGpuMilli()).isZero();
        assertThat(c.distinctTags(0)).isZero();
    }

    @Test
    void fitsChecksCpuMemoryTypeAndShares() {
        Cluster c = new Cluster(List.of(new Node("a", 16_000, 32_768, 2, "V100M16"), new Node("cpu", 64_000, 262_144, 0, "")));
        assertThat(c.fits(share("s", 1000), 0)).isTrue();
        assertThat(c.fits(share("s", 10), 1)).as("no accelerators").isFalse();
        assertThat(c.fits(Task.of("cpu", 64_000, 1, 0, 0, List.of()), 1)).isTrue();
        assertThat(c.fits(Task.of("big", 17_000, 1, 0, 0, List.of()), 0)).as("cpu").isFalse();
        assertThat(c.fits(Task.of("mem", 1, 40_000, 0, 0, List.of()), 0)).as("memory").isFalse();
        assertThat(c.fits(Task.of("typed", 1, 1, 1, 500, List.of("T4")), 0)).as("type").isFalse();
        assertThat(c.fits(Task.of("typed", 1, 1, 1, 500, List.of("T4", "V100M16")), 0)).isTrue();
        assertThat(c.fits(whole("w", 3), 0)).isFalse();
        c.assign(share("s", 600), 0, new int[] {0});
        assertThat(c.fits(whole("w", 2), 0)).as("one accelerator is partly used").isFalse();
        assertThat(c.fits(share("s", 400), 0)).isTrue();
        assertThat(c.firstFreeGpus(0, 1)).containsExactly(1);
    }

    @Test
    void equalNodesShareAStateAndDivergeWhenUsedDifferently() {
        Cluster c = new Cluster(List.of(new Node("a", 32_000, 65_536, 2, "T4"), new Node("b", 32_000, 65_536, 2, "T4"),
                new Node("c", 32_000, 65_536, 2, "P100")));
        assertThat(c.state(0)).isEqualTo(c.state(1)).isNotEqualTo(c.state(2));
        c.assign(share("x", 300), 0, new int[] {0});
        c.assign(share("y", 300), 1, new int[] {1});
        assertThat(c.state(0)).as("same multiset of free shares").isEqualTo(c.state(1));
        c.assign(share("z", 100), 1, new int[] {1});
        assertThat(c.state(0)).isNotEqualTo(c.state(1));
        assertThat(c.stateKey(c.state(1)).sortedGpuLeft()).containsExactly(600, 1000);
    }

    @Test
    void assignRefusesWhatDoesNotFit() {
        Cluster c = new Cluster(List.of(new Node("a", 8_000, 8_192, 1, "T4")));
        c.assign(share("s", 700), 0, new int[] {0});
        assertThatThrownBy(() -> c.assign(Task.of("t", 1_000, 1, 1, 400, List.of()), 0, new int[] {0}))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("does not fit");
    }

    @Test
    void tasksValidateTheirShape() {
        assertThatThrownBy(() -> Task.of("x", 1, 1, 2, 500, List.of())).hasMessageContaining("only a single accelerator");
        assertThatThrownBy(() -> Task.of("x", 1, 1, 1, 1500, List.of())).hasMessageContaining("1..1000");
        assertThat(Task.of("x", 1, 1, 0, 700, List.of()).gpuMilli()).isZero();
        assertThat(Task.of("x", 1, 1, 4, 1000, List.of()).totalGpuMilli()).isEqualTo(4000);
    }
}
