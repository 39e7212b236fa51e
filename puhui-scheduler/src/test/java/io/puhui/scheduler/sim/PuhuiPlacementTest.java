package io.puhui.scheduler.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.puhui.scheduler.trace.Traces;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * Puhui's placement against FGD under the published protocol (seeds 42..51, 130 % demand) on the three openb
 * workloads here: a higher mean allocation on each, at least 96.0 % on the default one (the goal set for it), and
 * less spread over seeds there.
 */
class PuhuiPlacementTest {

    @Test
    void allocatesMoreThanFgdOnEveryOpenbWorkload() {
        var nodes = Traces.readNodes(OpenbValidationTest.OPENB.resolve("csv/openb_node_list_gpu_node.csv"));
        List<Long> seeds = LongStream.rangeClosed(42, 51).boxed().toList();
        for (String workload : List.of("default", "gpushare100", "multigpu50")) {
            var trace = Traces.read(OpenbValidationTest.OPENB.resolve("csv/openb_pod_list_" + workload + ".csv"));
            ReplaySet set = ReplaySet.run(workload, nodes, trace.tasks(), List.of("fgd", "puhui"), seeds,
                    InflationReplay.Options.PAPER, 2);
            double fgd = set.meanAllocAt("fgd", 130);
            double puhui = set.meanAllocAt("puhui", 130);
            assertThat(puhui).as(workload + ": puhui %.2f vs fgd %.2f", puhui, fgd).isGreaterThan(fgd + 0.2);
            if (workload.equals("default")) {
                assertThat(puhui).isGreaterThanOrEqualTo(96.0);
                assertThat(set.sdAllocAt("puhui", 130)).isLessThan(set.sdAllocAt("fgd", 130));
            }
        }
    }
}
