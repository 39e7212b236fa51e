package io.puhui.scheduler.queue;

import io.puhui.scheduler.Task;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Locale;
import java.util.TreeSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Several queue policies on one timed trace: the jobs every policy can run (each within its tenant's quota),
 * the runs, and the jobs left out with the reason.
 */
public final class QueueRun {

    private final List<Job> jobs;
    private final List<String> skipped;
    private final Map<String, QueueSimulator.Result> results = new LinkedHashMap<>();

    private QueueRun(List<Job> jobs, List<String> skipped) {
        this.jobs = jobs;
        this.skipped = skipped;
    }

    /**
     * Jobs from the trace's accelerator tasks. A job whose tenant has no quota, or that asks for more than its
     * tenant's quota, could never run in a partitioned cluster; it is left out of every run (and listed).
     */
    public static QueueRun prepare(List<Task> tasks, Quotas quotas) {
        return prepare(tasks, quotas, 1);
    }

    /**
     * As {@link #prepare(List, Quotas)}, with arrivals {@code load} times as dense (submission times divided by
     * it): the same jobs, sizes and run times, arriving faster.
     */
    public static QueueRun prepare(List<Task> tasks, Quotas quotas, double load) {
        if (!(load > 0)) {
            throw new IllegalArgumentException("load must be above 0, was " + load);
        }
        List<Job> jobs = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (Task t : tasks) {
            if (t.gpus() == 0) {
                skipped.add(t.name() + ": asks for no accelerator");
            } else if (t.duration() < 0) {
                skipped.add(t.name() + ": no run time");
            } else if (!quotas.known(t.tenant()) && !(quotas.all().size() == 1 && quotas.known(""))) {
                skipped.add(t.name() + ": tenant '" + t.tenant() + "' has no quota");
            } else {
                String tenant = quotas.known(t.tenant()) ? t.tenant() : "";
                if (t.gpus() > quotas.nominal(tenant)) {
                    skipped.add(t.name() + ": " + t.gpus() + " accelerators, more than the " + quotas.nominal(tenant)
                            + " of tenant '" + tenant + "'");
                } else {
                    jobs.add(new Job(jobs.size(), t.name(), tenant, t.gpus(), Math.round(t.arrival() / load), t.duration()));
                }
            }
        }
        return new QueueRun(jobs, skipped);
    }

    public List<Job> jobs() {
        return jobs;
    }

    public List<String> skipped() {
        return skipped;
    }

    public QueueSimulator.Result run(String policy, Quotas quotas, QueueSimulator.Options options) {
        QueueSimulator.Result r = QueueSimulator.run(jobs, quotas, QueuePolicies.create(policy), options);
        results.put(r.policy(), r);
        return r;
    }

    public Map<String, QueueSimulator.Result> results() {
        return results;
    }

    /** The results table printed by {@code puhui simulate}. */
    public String table() {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-8s %7s %12s %12s %12s %12s %6s %11s%n",
                "policy", "jobs", "avg JCT s", "p50 JCT s", "p95 JCT s", "avg wait s", "util", "preemptions"));
        for (QueueSimulator.Result r : results.values()) {
            sb.append(String.format(Locale.ROOT, "%-8s %7d %12.0f %12.0f %12.0f %12.0f %5.1f%% %11d%n", r.policy(),
                    r.jobs().size(), r.meanJct(), r.percentileJct(0.50), r.percentileJct(0.95), r.meanQueueDelay(),
                    100 * r.utilization(), r.preemptions()));
        }
        return sb.toString();
    }

    /** Mean queueing delay per tenant and policy. */
    public String tenantTable(Quotas quotas) {
        List<String> policies = new ArrayList<>(results.keySet());
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-10s %6s %7s", "tenant", "quota", "jobs"));
        for (String p : policies) {
            sb.append(String.format(Locale.ROOT, " %10s", p + " wait"));
        }
        sb.append('\n');
        Map<String, Long> counts = new LinkedHashMap<>();
        for (Job j : jobs) {
            counts.merge(j.tenant(), 1L, Long::sum);
        }
        for (String t : new TreeSet<>(counts.keySet())) {
            sb.append(String.format(Locale.ROOT, "%-10s %6d %7d", t.isEmpty() ? "(all)" : t, quotas.nominal(t), counts.get(t)));
            for (String p : policies) {
                sb.append(String.format(Locale.ROOT, " %10.0f", results.get(p).meanQueueDelayByTenant().get(t)));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** {@code jobs.csv}: one row per job and policy. */
    public void writeJobs(Path file) throws IOException {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("policy,job,tenant,gpus,arrival_s,duration_s,start_s,finish_s,jct_s,wait_s,preemptions\n");
            for (QueueSimulator.Result r : results.values()) {
                for (QueueSimulator.JobRecord j : r.jobs()) {
                    w.write(String.format(Locale.ROOT, "%s,%s,%s,%d,%d,%d,%d,%d,%d,%d,%d%n", r.policy(), j.job().name(),
                            j.job().tenant(), j.job().gpus(), j.job().arrival(), j.job().duration(), j.firstStart(),
                            j.finish(), j.jct(), j.queueDelay(), j.preemptions()));
                }
            }
        }
    }

    /** {@code summary.csv}: one row per policy. */
    public void writeSummary(Path file, String trace, double load) throws IOException {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("trace,load,policy,jobs,avg_jct_s,p50_jct_s,p95_jct_s,avg_wait_s,utilization,preemptions\n");
            for (QueueSimulator.Result r : results.values()) {
                w.write(String.format(Locale.ROOT, "%s,%s,%s,%d,%.1f,%.0f,%.0f,%.1f,%.4f,%d%n", trace, load, r.policy(),
                        r.jobs().size(), r.meanJct(), r.percentileJct(0.5), r.percentileJct(0.95), r.meanQueueDelay(),
                        r.utilization(), r.preemptions()));
            }
        }
    }
}
