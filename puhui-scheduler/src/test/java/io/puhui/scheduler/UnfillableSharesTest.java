package io.puhui.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class UnfillableSharesTest {

    /** Typical: 470 with 4 cores, 320 with 8 cores (on any type), 1000 with 4 cores, and 150 on V100 only. */
    private static UnfillableShares measure() {
        List<Task> w = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            w.add(Task.of("a" + i, 4_000, 1, 1, 470, List.of()));
            w.add(Task.of("b" + i, 8_000, 1, 1, 320, List.of()));
            w.add(Task.of("c" + i, 4_000, 1, 1, 1000, List.of()));
            w.add(Task.of("d" + i, 1_000, 1, 1, 150, List.of("V100M32")));
        }
        w.add(Task.of("multi", 16_000, 1, 8, 1000, List.of()));
        return new UnfillableShares(TaskMix.of(w, 1.0), List.of("T4", "V100M32"));
    }

    private static final int T4 = 0;
    private static final int V100 = 1;

    @Test
    void aShareCountsWhatTheBestPackingOfTypicalSharesLeavesFree() {
        UnfillableShares u = measure();
        long cpu = 64_000;
        assertThat(u.of(T4, cpu, new int[] {0})).isZero();
        assertThat(u.of(T4, cpu, new int[] {1000})).as("a whole typical task fills it").isZero();
        assertThat(u.of(T4, cpu, new int[] {190})).as("smaller than any typical share on a T4").isEqualTo(190);
        assertThat(u.of(T4, cpu, new int[] {530})).as("470 fits, and 60 stays").isEqualTo(60);
        assertThat(u.of(T4, cpu, new int[] {640})).as("320 + 320").isZero();
        assertThat(u.of(T4, cpu, new int[] {900})).as("470 + 320 leaves 110").isEqualTo(110);
        assertThat(u.of(T4, cpu, new int[] {190, 530, 640})).as("summed over accelerators").isEqualTo(250);
    }

    @Test
    void onlyTasksTheNodeCouldRunCount() {
        UnfillableShares u = measure();
        assertThat(u.of(V100, 64_000, new int[] {190})).as("150 runs on a V100 only").isEqualTo(40);
        assertThat(u.of(V100, 64_000, new int[] {300})).as("150 + 150").isZero();
        assertThat(u.of(T4, 64_000, new int[] {300})).isEqualTo(300);
        assertThat(u.of(T4, 5_000, new int[] {640})).as("320 needs 8 cores: with 5 left only 470 fits")
                .isEqualTo(170);
        assertThat(u.of(T4, 3_000, new int[] {1000})).as("nothing fits 3 cores").isEqualTo(1000);
    }
}
