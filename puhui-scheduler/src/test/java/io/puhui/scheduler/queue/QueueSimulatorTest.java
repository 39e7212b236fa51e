package io.puhui.scheduler.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class QueueSimulatorTest {

    static final QueueSimulator.Options RESTART_30 = new QueueSimulator.Options(30);

    static QueueSimulator.Result run(String policy, Quotas q, Job... jobs) {
        return QueueSimulator.run(List.of(jobs), q, QueuePolicies.create(policy), RESTART_30);
    }

    static long finish(QueueSimulator.Result r, String name) {
        return r.jobs().stream().filter(j -> j.job().name().equals(name)).findFirst().orElseThrow().finish();
    }

    @Test
    void fifoServesInArrivalOrderAndSjfShortestFirst() {
        Job a = new Job(0, "a", "", 1, 0, 100);
        Job b = new Job(1, "b", "", 1, 1, 20);
        Job c = new Job(2, "c", "", 1, 2, 10);
        var fifo = run("fifo", Quotas.single(1), a, b, c);
        assertThat(List.of(finish(fifo, "a"), finish(fifo, "b"), finish(fifo, "c"))).containsExactly(100L, 120L, 130L);
        var sjf = run("sjf", Quotas.single(1), a, b, c);
        assertThat(List.of(finish(sjf, "a"), finish(sjf, "c"), finish(sjf, "b"))).containsExactly(100L, 110L, 130L);
        assertThat(fifo.meanJct()).isEqualTo((100 + 119 + 128) / 3.0);
        assertThat(fifo.preemptions()).isZero();
    }

    @Test
    void srtfPreemptsForAShorterJobWhichThenPaysNothingAndTheLongOneItsRestart() {
        var r = run("srtf", Quotas.single(1), new Job(0, "long", "", 1, 0, 100), new Job(1, "short", "", 1, 5, 10));
        assertThat(finish(r, "short")).isEqualTo(15);
        assertThat(finish(r, "long")).isEqualTo(140);
        assertThat(r.preemptions()).isEqualTo(1);
    }

    @Test
    void lasDemotesAJobPastAnAcceleratorHourWithoutKnowingDurations() {
        var r = run("las", Quotas.single(1), new Job(0, "old", "", 1, 0, 5 * 3600), new Job(1, "new", "", 1, 2 * 3600, 1800));
        assertThat(finish(r, "new")).as("started on arrival: the old job is past the first queue").isEqualTo(2 * 3600 + 1800);
        assertThat(finish(r, "old")).isEqualTo(5 * 3600 + 1800 + 30);
        // Below the first threshold both are in the same queue: first come, first served.
        var early = run("las", Quotas.single(1), new Job(0, "old", "", 1, 0, 3000), new Job(1, "new", "", 1, 600, 100));
        assertThat(finish(early, "old")).isEqualTo(3000);
    }

    @Test
    void aTenantBorrowsIdleQuotaAndTheOwnerReclaimsIt() {
        Quotas q = new Quotas(Map.of("x", 2, "y", 2));
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            jobs.add(new Job(i, "x" + i, "x", 1, 0, 1000));
        }
        jobs.add(new Job(4, "y0", "y", 1, 10, 100));
        jobs.add(new Job(5, "y1", "y", 1, 10, 100));
        var puhui = QueueSimulator.run(jobs, q, QueuePolicies.create("puhui"), RESTART_30);
        assertThat(finish(puhui, "y0")).as("y's quota is handed back at once").isEqualTo(110);
        assertThat(finish(puhui, "y1")).isEqualTo(110);
        assertThat(puhui.preemptions()).isEqualTo(2);
        assertThat(finish(puhui, "x0")).isEqualTo(1000);
        // Static partitions: x's third and fourth jobs wait for its own accelerators.
        var fifo = QueueSimulator.run(jobs, q, QueuePolicies.create("fifo"), RESTART_30);
        assertThat(finish(fifo, "x2")).isEqualTo(2000);
        assertThat(puhui.meanJct()).isLessThan(fifo.meanJct());
    }

    @Test
    void idleCapacityGoesFirstToTheTenantUsingTheLeastOfItsQuota() {
        Quotas q = new Quotas(Map.of("idle", 4, "a", 2, "b", 2));
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            jobs.add(new Job(i, "a" + i, "a", 1, 0, 1000));
        }
        for (int i = 0; i < 3; i++) {
            jobs.add(new Job(6 + i, "b" + i, "b", 1, 1, 1000));
        }
        var r = QueueSimulator.run(jobs, q, QueuePolicies.create("puhui"), RESTART_30);
        // At t=0 a borrows all four idle accelerators; b's third job cannot take a running loan away.
        assertThat(r.jobs().stream().filter(j -> j.job().tenant().equals("b")).mapToLong(QueueSimulator.JobRecord::queueDelay))
                .containsExactly(0L, 0L, 999L);
        assertThat(r.entitledWaitJobSeconds()).isZero();
    }

    @Test
    void noPolicyKeepsAJobWaitingWhileItsTenantHasRoomInItsQuota() {
        SplittableRandom random = new SplittableRandom(5);
        Quotas q = new Quotas(Map.of("a", 8, "b", 4, "c", 4));
        List<Job> jobs = new ArrayList<>();
        String[] tenants = {"a", "a", "b", "c"};
        for (int i = 0; i < 400; i++) {
            String t = tenants[random.nextInt(tenants.length)];
            int gpus = 1 << random.nextInt(t.equals("a") ? 4 : 3);
            jobs.add(new Job(i, "j" + i, t, gpus, random.nextLong(20_000), 60 + random.nextLong(6 * 3600)));
        }
        for (String p : QueuePolicies.NAMES) {
            var r = QueueSimulator.run(jobs, q, QueuePolicies.create(p), RESTART_30);
            assertThat(r.jobs()).as(p).hasSize(400).allMatch(j -> j.finish() >= j.job().arrival() + j.job().duration());
            assertThat(r.entitledWaitJobSeconds()).as(p).isZero();
            assertThat(r.utilization()).as(p).isBetween(0.0, 1.0);
        }
    }

    @Test
    void namesAndImpossibleJobsAreReported() {
        assertThat(QueuePolicies.canonical("Tiresias")).isEqualTo("las");
        assertThatThrownBy(() -> QueuePolicies.canonical("edf")).hasMessageContaining("valid: fifo, sjf, srtf, las, puhui");
        assertThatThrownBy(() -> run("fifo", Quotas.single(4), new Job(0, "big", "", 8, 0, 10)))
                .hasMessageContaining("asks for 8 accelerators; the cluster has 4");
    }
}
