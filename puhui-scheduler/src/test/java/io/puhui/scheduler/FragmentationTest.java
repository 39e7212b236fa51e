package io.puhui.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FragmentationTest {

    @Test
    void countsCapacityEachTypicalTaskCannotUse() {
        // Mix: 50 % shares of 600 (4 cores), 30 % whole accelerators (8 cores), 20 % CPU-only (2 cores).
        List<Task> w = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            w.add(Task.of("s" + i, 4_000, 0, 1, 600, List.of()));
        }
        for (int i = 0; i < 3; i++) {
            w.add(Task.of("w" + i, 8_000, 0, 1, 1000, List.of()));
        }
        for (int i = 0; i < 2; i++) {
            w.add(Task.of("c" + i, 2_000, 0, 0, 0, List.of()));
        }
        TaskMix mix = TaskMix.of(w, 1.0);
        Fragmentation f = new Fragmentation(mix, List.of("T4"));
        // Free shares 1000 and 500 with plenty of CPU: the share task can use the 1000 only (500 is a fragment),
        // the whole task likewise (500 a fragment), the CPU task counts all 1500 (it uses no accelerator).
        double expected = 0.5 * 500 + 0.3 * 500 + 0.2 * 1500;
        assertThat(f.of(0, 32_000, new int[] {1000, 500})).isCloseTo(expected, within(1e-9));
        // 6 cores left: the whole task lacks CPU, so all 1500 count for it.
        assertThat(f.of(0, 6_000, new int[] {1000, 500})).isCloseTo(0.5 * 500 + 0.3 * 1500 + 0.2 * 1500, within(1e-9));
        assertThat(f.of(0, 32_000, new int[] {0, 0})).isZero();
    }

    @Test
    void typicalTasksCoverTheAskedShareMostFrequentFirst() {
        List<Task> w = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            w.add(Task.of("a" + i, 1_000, 0, 1, 1000, List.of()));
        }
        for (int i = 0; i < 30; i++) {
            w.add(Task.of("b" + i, 2_000, 0, 1, 500, List.of()));
        }
        for (int i = 0; i < 10; i++) {
            w.add(Task.of("c" + i, 3_000, 0, 0, 0, List.of()));
        }
        TaskMix mix = TaskMix.of(w, 0.85);
        assertThat(mix.shapes()).extracting(TaskShape::gpuMilli).containsExactly(1000, 500);
        assertThat(mix.frequencies()).containsExactly(60 / 90.0, 30 / 90.0);
        assertThat(TaskMix.of(w, 0.95).size()).isEqualTo(3);
    }
}
