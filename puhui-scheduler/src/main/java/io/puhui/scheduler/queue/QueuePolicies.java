package io.puhui.scheduler.queue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.PriorityQueue;

/** The queue policies by name. */
public final class QueuePolicies {

    private QueuePolicies() {
    }

    public static final List<String> NAMES = List.of("fifo", "sjf", "srtf", "las", "puhui");

    /** LAS queue boundaries in accelerator-seconds: 1 and 10 accelerator-hours, as Tiresias' discretised LAS. */
    static final long[] LAS_THRESHOLDS = {3_600, 36_000};

    public static String canonical(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (n.equals("tiresias")) {
            n = "las";
        }
        if (!NAMES.contains(n)) {
            throw new IllegalArgumentException("unknown queue policy '" + name + "'; valid: " + String.join(", ", NAMES));
        }
        return n;
    }

    public static QueuePolicy create(String name) {
        return switch (canonical(name)) {
            case "fifo" -> new Ordered("fifo", false, Comparator.comparingLong(ActiveJob::arrival));
            case "sjf" -> new Ordered("sjf", false, Comparator.comparingLong((ActiveJob a) -> a.job().duration())
                    .thenComparingLong(ActiveJob::arrival));
            case "srtf" -> new Ordered("srtf", true, Comparator.comparingLong(ActiveJob::remaining)
                    .thenComparingLong(ActiveJob::arrival));
            case "las" -> new Ordered("las", true, LAS);
            case "puhui" -> new Cohort();
            default -> throw new IllegalStateException(name);
        };
    }

    static int lasQueue(ActiveJob a) {
        int q = 0;
        while (q < LAS_THRESHOLDS.length && a.attainedGpuSeconds() >= LAS_THRESHOLDS[q]) {
            q++;
        }
        return q;
    }

    /** Least attained service, discretised: lower queue first, first come first within a queue. */
    static final Comparator<ActiveJob> LAS = Comparator.comparingInt(QueuePolicies::lasQueue)
            .thenComparingLong(ActiveJob::arrival).thenComparingInt(a -> a.job().id());

    /** When the next running job crosses a LAS boundary. */
    static long nextDemotion(long now, List<ActiveJob> running) {
        long next = Long.MAX_VALUE;
        for (ActiveJob a : running) {
            int q = lasQueue(a);
            if (q < LAS_THRESHOLDS.length) {
                long need = LAS_THRESHOLDS[q] - a.attainedGpuSeconds();
                next = Math.min(next, now + (need + a.gpus() - 1) / a.gpus());
            }
        }
        return next;
    }

    /**
     * One order over the jobs, each tenant held to its own quota (static partitions, as Philly's virtual
     * clusters). Jobs start in order while they fit, skipping those that do not (best effort, Kueue's default
     * queueing). A preemptive policy reorders running jobs too; a non-preemptive one keeps them.
     */
    static final class Ordered implements QueuePolicy {
        private final String name;
        private final boolean preemptive;
        private final Comparator<ActiveJob> order;

        Ordered(String name, boolean preemptive, Comparator<ActiveJob> order) {
            this.name = name;
            this.preemptive = preemptive;
            this.order = order;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public List<ActiveJob> select(long now, List<ActiveJob> active, Quotas quotas) {
            int[] used = new int[quotas.size()];
            List<ActiveJob> chosen = new ArrayList<>();
            List<ActiveJob> candidates = new ArrayList<>();
            int free = quotas.total();
            for (ActiveJob a : active) {
                if (!preemptive && a.running()) {
                    chosen.add(a);
                    used[a.tenantIndex()] += a.gpus();
                    free -= a.gpus();
                } else {
                    candidates.add(a);
                }
            }
            if (free == 0) {
                return chosen;
            }
            candidates.sort(order);
            for (ActiveJob a : candidates) {
                int t = a.tenantIndex();
                if (used[t] + a.gpus() <= quotas.nominal(t)) {
                    chosen.add(a);
                    used[t] += a.gpus();
                    free -= a.gpus();
                    if (free == 0) {
                        break;
                    }
                }
            }
            return chosen;
        }

        @Override
        public long nextWakeUp(long now, List<ActiveJob> running) {
            return name.equals("las") ? nextDemotion(now, running) : Long.MAX_VALUE;
        }
    }

    /**
     * Puhui's multi-tenant queue: each tenant is guaranteed its quota, in least-attained-service order, so no
     * duration is needed; accelerators a tenant leaves idle are lent to the others, the tenant with the
     * smallest share of its quota in use first; a loan ends (the borrower is preempted) when the owner needs
     * its quota back. This is Kueue's cohort with borrowing and reclaim, with LAS inside each queue.
     */
    static final class Cohort implements QueuePolicy {

        @Override
        public String name() {
            return "puhui";
        }

        @Override
        public List<ActiveJob> select(long now, List<ActiveJob> active, Quotas quotas) {
            List<ActiveJob> sorted = new ArrayList<>(active);
            sorted.sort(LAS);
            int[] used = new int[quotas.size()];
            List<ActiveJob> chosen = new ArrayList<>();
            List<ActiveJob> rest = new ArrayList<>();
            int inUse = 0;
            // Guaranteed: each tenant's jobs within its own quota.
            for (ActiveJob a : sorted) {
                int t = a.tenantIndex();
                if (used[t] + a.gpus() <= quotas.nominal(t)) {
                    chosen.add(a);
                    used[t] += a.gpus();
                    inUse += a.gpus();
                } else {
                    rest.add(a);
                }
            }
            int idle = quotas.total() - inUse;
            if (idle <= 0 || rest.isEmpty()) {
                return chosen;
            }
            // Loans already running keep their accelerators while the owners do not reclaim them.
            List<ActiveJob> waiting = new ArrayList<>();
            for (ActiveJob a : rest) {
                if (a.running() && a.gpus() <= idle) {
                    chosen.add(a);
                    used[a.tenantIndex()] += a.gpus();
                    idle -= a.gpus();
                } else {
                    waiting.add(a);
                }
            }
            // New loans: the tenant using the least of its quota first; each tenant's jobs in LAS order.
            List<List<ActiveJob>> byTenant = new ArrayList<>();
            for (int t = 0; t < quotas.size(); t++) {
                byTenant.add(new ArrayList<>());
            }
            for (ActiveJob a : waiting) {
                byTenant.get(a.tenantIndex()).add(a);
            }
            PriorityQueue<Integer> tenants = new PriorityQueue<>(Comparator.comparingDouble(
                    (Integer t) -> used[t] / (double) Math.max(1, quotas.nominal(t))).thenComparingInt(t -> t));
            for (int t = 0; t < quotas.size(); t++) {
                if (!byTenant.get(t).isEmpty()) {
                    tenants.add(t);
                }
            }
            int[] cursor = new int[quotas.size()];
            while (!tenants.isEmpty() && idle > 0) {
                int t = tenants.poll();
                List<ActiveJob> jobs = byTenant.get(t);
                int i = cursor[t];
                while (i < jobs.size() && jobs.get(i).gpus() > idle) {
                    i++;
                }
                if (i == jobs.size()) {
                    continue;
                }
                ActiveJob a = jobs.get(i);
                chosen.add(a);
                used[t] += a.gpus();
                idle -= a.gpus();
                cursor[t] = i + 1;
                tenants.add(t);
            }
            return chosen;
        }

        @Override
        public long nextWakeUp(long now, List<ActiveJob> running) {
            return nextDemotion(now, running);
        }
    }
}
