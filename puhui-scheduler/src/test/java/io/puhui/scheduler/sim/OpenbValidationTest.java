package io.puhui.scheduler.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.puhui.scheduler.trace.Traces;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;

/**
 * The simulator against the published one: on each openb workload with published results (default,
 * gpushare100, multigpu50), the mean over seeds 42..51 of each policy's allocation at 100 % and 130 % arrived
 * demand is within half a percentage point of the mean of the published runs
 * (reference_results/fgd_analysis_allo_discrete.csv), and fragmentation within one.
 */
class OpenbValidationTest {

    static final Path OPENB = Path.of(System.getProperty("puhui.shared", "../../shared"), "traces", "alibaba-gpu-v2023-openb");

    /** Mean over seeds of the published value at a demand percent, per policy ("05-BestFit" -> "bestfit"). */
    static Map<String, double[]> reference(String file, String workload) throws IOException {
        List<String> lines = Files.readAllLines(OPENB.resolve("reference_results").resolve(file));
        List<String> header = List.of(lines.getFirst().split(","));
        int at100 = header.indexOf("100");
        int at130 = header.indexOf("130");
        Map<String, double[]> sums = new HashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",");
            if (!f[0].equals(workload)) {
                continue;
            }
            double[] s = sums.computeIfAbsent(io.puhui.scheduler.Policies.canonical(f[1]), k -> new double[3]);
            s[0] += Double.parseDouble(f[at100]);
            s[1] += Double.parseDouble(f[at130]);
            s[2]++;
        }
        sums.values().forEach(s -> {
            s[0] /= s[2];
            s[1] /= s[2];
        });
        return sums;
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"openb_pod_list_default", "openb_pod_list_gpushare100",
        "openb_pod_list_multigpu50"})
    void everyPublishedPolicyMatchesTheReferenceMeans(String workload) throws IOException {
        var nodes = Traces.readNodes(OPENB.resolve("csv/openb_node_list_gpu_node.csv"));
        var trace = Traces.read(OPENB.resolve("csv/" + workload + ".csv"));
        List<Long> seeds = LongStream.rangeClosed(42, 51).boxed().toList();
        List<String> policies = List.of("random", "dotproduct", "gpuclustering", "gpupacking", "bestfit", "fgd");
        ReplaySet set = ReplaySet.run(workload, nodes, trace.tasks(), policies, seeds,
                InflationReplay.Options.PAPER, 2);
        Map<String, double[]> alloc = reference("fgd_analysis_allo_discrete.csv", workload);
        Map<String, double[]> frag = reference("fgd_analysis_frag_discrete.csv", workload);
        assertThat(alloc.keySet()).containsExactlyInAnyOrderElementsOf(policies);
        for (String p : policies) {
            assertThat(set.runs(p)).hasSize(10);
            assertThat(set.meanAllocAt(p, 100)).as(p + " at 100%").isCloseTo(alloc.get(p)[0], within(0.5));
            assertThat(set.meanAllocAt(p, 130)).as(p + " at 130%").isCloseTo(alloc.get(p)[1], within(0.5));
            assertThat(set.meanFragAt(p, 100)).as(p + " fragmentation at 100%").isCloseTo(frag.get(p)[0], within(1.0));
        }
    }
}
