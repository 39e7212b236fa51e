package io.puhui.scheduler.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.puhui.scheduler.Task;
import io.puhui.scheduler.trace.Traces;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The queue policies on the whole Philly job table (82,229 jobs) with its virtual clusters' capacities (Helios'
 * node counts, 8 accelerators a node), arrivals 5x as dense: at 1x nothing queues, the derived table's load
 * being 13 % of that capacity.
 */
class PhillyQueueTest {

    static final Path PHILLY = Path.of(System.getProperty("puhui.shared", "../../shared"), "traces", "philly-derived-pollux");

    @Test
    void puhuiHalvesFifosJctWithoutDurationsAndNoTenantWaitsLonger() {
        List<Task> tasks = Traces.read(PHILLY.resolve("philly.csv")).tasks();
        Quotas quotas = new Quotas(Traces.readQuotas(PHILLY.resolve("philly_vc_nodes_helios.csv"), 8));
        assertThat(quotas.total()).isEqualTo(352 * 8);
        QueueRun run = QueueRun.prepare(tasks, quotas, 5);
        for (String p : List.of("fifo", "las", "puhui")) {
            run.run(p, quotas, QueueSimulator.Options.DEFAULT);
        }
        Map<String, QueueSimulator.Result> r = run.results();
        double fifo = r.get("fifo").meanJct();
        double puhui = r.get("puhui").meanJct();
        assertThat(puhui * 2).as("puhui %.0f s vs fifo %.0f s", puhui, fifo).isLessThanOrEqualTo(fifo);
        assertThat(r.get("las").meanJct()).as("LAS alone, without lending idle quota").isBetween(puhui, fifo);
        // The fairness bound: no job waits while its tenant holds less than its quota minus the job's size
        // (what a static partition guarantees), and so no tenant waits longer on average than under FIFO.
        assertThat(r.get("puhui").entitledWaitJobSeconds()).isZero();
        Map<String, Double> fifoWait = r.get("fifo").meanQueueDelayByTenant();
        r.get("puhui").meanQueueDelayByTenant().forEach((tenant, wait) ->
                assertThat(wait).as(tenant).isLessThanOrEqualTo(fifoWait.get(tenant) + 60));
        assertThat(r.get("puhui").utilization()).isGreaterThanOrEqualTo(r.get("fifo").utilization());
        assertThat(run.table()).contains("puhui").contains("avg JCT s");
    }
}
