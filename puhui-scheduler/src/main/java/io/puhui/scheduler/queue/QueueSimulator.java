package io.puhui.scheduler.queue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An event-driven simulation of jobs sharing accelerators over time: arrivals, starts, completions and
 * preemptions on a virtual clock. At each event the policy picks the jobs that run; a preempted job keeps its
 * progress (it checkpoints) and pays {@code restartSeconds} when it runs again.
 */
public final class QueueSimulator {

    private QueueSimulator() {
    }

    /** @param restartSeconds time lost each time a preempted job starts again (checkpoint restore) */
    public record Options(long restartSeconds) {
        public static final Options DEFAULT = new Options(30);
    }

    /** What happened to one job. */
    public record JobRecord(Job job, long firstStart, long finish, int preemptions) {
        public long jct() {
            return finish - job.arrival();
        }

        public long queueDelay() {
            return firstStart - job.arrival();
        }
    }

    /** A run's outcome. */
    /**
     * A run's outcome.
     *
     * @param busyGpuSeconds   accelerator-seconds held while jobs were still arriving
     * @param window           seconds from the first to the last arrival
     * @param entitledWaitJobSeconds job-seconds spent waiting while the job's tenant held less than its quota
     *                         minus the job's size (a static partition would have started the job)
     */
    public record Result(String policy, List<JobRecord> jobs, long busyGpuSeconds, long window, int capacity,
                         long entitledWaitJobSeconds) {

        public double meanJct() {
            return jobs.stream().mapToLong(JobRecord::jct).average().orElse(0);
        }

        public double percentileJct(double p) {
            long[] v = jobs.stream().mapToLong(JobRecord::jct).sorted().toArray();
            return v.length == 0 ? 0 : v[(int) Math.min(v.length - 1, Math.ceil(p * v.length) - 1)];
        }

        public double meanQueueDelay() {
            return jobs.stream().mapToLong(JobRecord::queueDelay).average().orElse(0);
        }

        /** Accelerator-time held over capacity, while jobs were arriving (the drain at the end excluded). */
        public double utilization() {
            return window == 0 ? 0 : busyGpuSeconds / ((double) capacity * window);
        }

        public long preemptions() {
            return jobs.stream().mapToLong(JobRecord::preemptions).sum();
        }

        /** Mean queueing delay per tenant. */
        public Map<String, Double> meanQueueDelayByTenant() {
            Map<String, double[]> sums = new LinkedHashMap<>();
            for (JobRecord r : jobs) {
                double[] s = sums.computeIfAbsent(r.job().tenant(), k -> new double[2]);
                s[0] += r.queueDelay();
                s[1]++;
            }
            Map<String, Double> out = new LinkedHashMap<>();
            sums.forEach((k, s) -> out.put(k, s[0] / s[1]));
            return out;
        }
    }

    public static Result run(List<Job> jobs, Quotas quotas, QueuePolicy policy, Options options) {
        Job[] order = jobs.toArray(Job[]::new);
        Arrays.sort(order, Comparator.comparingLong(Job::arrival).thenComparingInt(Job::id));
        for (Job j : order) {
            if (j.gpus() > quotas.total()) {
                throw new IllegalArgumentException("job " + j.name() + " asks for " + j.gpus()
                        + " accelerators; the cluster has " + quotas.total());
            }
            if (quotas.index(j.tenant()) < 0) {
                throw new IllegalArgumentException("job " + j.name() + ": tenant '" + j.tenant() + "' has no quota");
            }
        }
        List<ActiveJob> active = new ArrayList<>();
        List<ActiveJob> running = new ArrayList<>();
        JobRecord[] records = new JobRecord[order.length];
        int done = 0;
        int next = 0;
        long now = order.length > 0 ? order[0].arrival() : 0;
        long start = now;
        long lastArrival = order.length > 0 ? order[order.length - 1].arrival() : 0;
        long busy = 0;
        long entitledWait = 0;
        int[] held = new int[quotas.size()];
        int round = 0;
        while (done < order.length) {
            long t = next < order.length ? order[next].arrival() : Long.MAX_VALUE;
            for (ActiveJob a : running) {
                t = Math.min(t, now + a.remaining);
            }
            t = Math.min(t, Math.max(now, policy.nextWakeUp(now, running)));
            long dt = t - now;
            long inWindow = Math.max(0, Math.min(t, lastArrival) - now);
            for (ActiveJob a : running) {
                a.remaining -= dt;
                a.attainedGpuSeconds += (long) a.gpus() * dt;
                busy += (long) a.gpus() * inWindow;
            }
            if (dt > 0) {
                for (ActiveJob a : active) {
                    if (!a.running && held[a.tenant] + a.gpus() <= quotas.nominal(a.tenant)) {
                        entitledWait += dt;
                    }
                }
            }
            now = t;
            for (int i = running.size() - 1; i >= 0; i--) {
                ActiveJob a = running.get(i);
                if (a.remaining <= 0) {
                    a.running = false;
                    a.finish = now;
                    running.remove(i);
                    active.remove(a);
                    records[a.job.id()] = new JobRecord(a.job, a.firstStart, a.finish, a.preemptions);
                    done++;
                }
            }
            while (next < order.length && order[next].arrival() == now) {
                Job j = order[next++];
                active.add(new ActiveJob(j, quotas.index(j.tenant())));
            }
            List<ActiveJob> chosen = policy.select(now, active, quotas);
            round++;
            int total = 0;
            java.util.Arrays.fill(held, 0);
            for (ActiveJob a : chosen) {
                a.chosenIn = round;
                total += a.gpus();
                held[a.tenant] += a.gpus();
            }
            if (total > quotas.total()) {
                throw new IllegalStateException(policy.name() + " chose " + total + " accelerators of " + quotas.total());
            }
            for (int i = running.size() - 1; i >= 0; i--) {
                ActiveJob a = running.get(i);
                if (a.chosenIn != round) {
                    a.running = false;
                    a.preemptions++;
                    a.remaining += options.restartSeconds();
                    running.remove(i);
                }
            }
            for (ActiveJob a : chosen) {
                if (!a.running) {
                    a.running = true;
                    a.runningSince = now;
                    if (a.firstStart < 0) {
                        a.firstStart = now;
                    }
                    running.add(a);
                }
            }
            if (running.isEmpty() && next >= order.length && done < order.length) {
                throw new IllegalStateException(policy.name() + " leaves " + (order.length - done)
                        + " jobs waiting with the cluster idle");
            }
        }
        return new Result(policy.name(), Arrays.asList(records), busy, lastArrival - start, quotas.total(), entitledWait);
    }
}
