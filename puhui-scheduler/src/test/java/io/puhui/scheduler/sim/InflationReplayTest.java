package io.puhui.scheduler.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.puhui.scheduler.Node;
import io.puhui.scheduler.Task;
import io.puhui.scheduler.TaskShape;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class InflationReplayTest {

    static List<Node> nodes(int n) {
        List<Node> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new Node(String.format("n%02d", i), 64_000, 262_144, 4, "T4"));
        }
        return out;
    }

    static List<Task> trace() {
        List<Task> t = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            t.add(Task.of("share-" + i, 4_000, 8_192, 1, 300 + 10 * i, List.of()));
            t.add(Task.of("whole-" + i, 8_000, 16_384, 1 + i % 2, 1000, List.of()));
            t.add(Task.of("cpu-" + i, 2_000, 4_096, 0, 0, List.of()));
        }
        return t;
    }

    @Test
    void arrivalsReachTheTargetDemandWithoutPassingIt() {
        List<Task> w = trace();
        long capacity = 20 * 4 * 1000;
        List<Task> order = InflationReplay.arrivals(w, capacity, InflationReplay.Options.PAPER, new SplittableRandom(3));
        long demand = order.stream().mapToLong(Task::totalGpuMilli).sum();
        assertThat(demand).isLessThanOrEqualTo((long) (1.3 * capacity)).isGreaterThan((long) (1.3 * capacity) - 2000);
        assertThat(order.subList(0, w.size())).containsExactlyInAnyOrderElementsOf(w);
        assertThat(order.get(w.size()).name()).contains("-tuned-0");
        // Demand above the target is cut down to it.
        List<Task> less = InflationReplay.arrivals(w, capacity, new InflationReplay.Options(0.5, false, 0.95), new SplittableRandom(3));
        assertThat(less.stream().mapToLong(Task::totalGpuMilli).sum()).isLessThanOrEqualTo(40_000);
    }

    @Test
    void aSeedGivesTheSameRunAndAnotherSeedAnotherOne() {
        var a = InflationReplay.run(nodes(10), trace(), "fgd", 42);
        var b = InflationReplay.run(nodes(10), trace(), "fgd", 42);
        var c = InflationReplay.run(nodes(10), trace(), "fgd", 43);
        assertThat(a.allocated()).containsExactly(b.allocated());
        assertThat(a.arrived()).isNotEqualTo(c.arrived());
        assertThat(a.finalAllocPct()).isBetween(80.0, 100.0);
        assertThat(a.placed()).isLessThan(a.arrivals());
    }

    @Test
    void curvesHaveOneRowPerWholePercentUpToTheInflation() {
        var run = InflationReplay.run(nodes(40), trace(), "bestfit", 7);
        var curve = run.curve();
        assertThat(curve.getFirst().demandPct()).isLessThanOrEqualTo(1);
        assertThat(curve.getLast().demandPct()).isBetween(128, 130);
        for (int i = 1; i < curve.size(); i++) {
            assertThat(curve.get(i).demandPct()).isEqualTo(curve.get(i - 1).demandPct() + 1);
            assertThat(curve.get(i).allocPct()).isLessThanOrEqualTo(curve.get(i).demandPct() + 1.0);
        }
        assertThat(run.allocAt(curve.getLast().demandPct())).isEqualTo(curve.getLast().allocPct());
        assertThat(run.allocAt(200)).isNaN();
    }

    @Test
    void tasksNoNodeCouldTakeAreReportedAndCountAsFailures() {
        List<Task> t = new ArrayList<>(trace());
        t.add(Task.of("huge", 4_000, 8_192, 8, 1000, List.of()));
        t.add(Task.of("wrong-type", 4_000, 8_192, 1, 500, List.of("A100")));
        var run = InflationReplay.run(nodes(10), t, "fgd", 1, new InflationReplay.Options(0, false, 0.95));
        assertThat(run.impossible()).containsExactlyInAnyOrder(new TaskShape(4_000, 1000, 8, ""), new TaskShape(4_000, 500, 1, "A100"));
        assertThat(run.failed()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void aTraceWithoutAcceleratorTasksCannotBeInflated() {
        List<Task> cpuOnly = List.of(Task.of("c", 1_000, 1, 0, 0, List.of()));
        assertThatThrownBy(() -> InflationReplay.run(nodes(1), cpuOnly, "bestfit", 1))
                .hasMessageContaining("--inflate 0");
    }
}
