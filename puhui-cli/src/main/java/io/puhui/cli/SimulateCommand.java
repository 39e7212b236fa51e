// `puhui simulate --trace FILE`: replay a cluster trace through the placement policies, side by side.
package io.puhui.cli;

import io.puhui.scheduler.Node;
import io.puhui.scheduler.Policies;
import io.puhui.scheduler.TaskShape;
import io.puhui.scheduler.queue.QueuePolicies;
import io.puhui.scheduler.queue.QueueRun;
import io.puhui.scheduler.queue.QueueSimulator;
import io.puhui.scheduler.queue.Quotas;
import io.puhui.scheduler.sim.InflationReplay;
import io.puhui.scheduler.sim.ReplaySet;
import io.puhui.scheduler.trace.Traces;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "simulate", description = {
    "Replay a cluster trace through scheduling policies, side by side.",
    "Packing (openb task lists; --mode packing): as the FGD paper (ATC'23), tasks arrive in a shuffled order and "
        + "never leave, resampled until the arrived accelerator demand reaches --inflate times capacity; allocation "
        + "and fragmentation are recorded against arrived demand. With --out: curves.csv and allocation.svg.",
    "Queues (Philly, ITP and timed Puhui traces; --mode queue): jobs arrive at their times and run for their "
        + "durations on --quotas per tenant (or one --cluster pool); JCT, waiting and utilization per policy. "
        + "With --out: jobs.csv and summary.csv.",
    "Traces are told apart by their header: openb (name,cpu_milli,memory_mib,num_gpu,gpu_milli,...), Philly "
        + "(timestamp,duration,num_gpus,gpu_time,cluster), ITP (job_id,submission_time,duration,num_gpu), Puhui "
        + "(name,submit_s,duration_s,tenant,cpu_milli,memory_mib,gpus,gpu_milli,gpu_types)."})
final class SimulateCommand implements Callable<Integer> {
    @Option(names = "--trace", required = true, paramLabel = "FILE.csv", description = "The task trace.")
    Path trace;

    @Option(names = "--nodes", paramLabel = "FILE.csv",
            description = "Node list (openb: sn,cpu_milli,memory_mib,gpu,model; or name,cpu_milli,memory_mib,gpus,gpu_type).")
    Path nodes;

    @Option(names = "--cluster", paramLabel = "N[xG]",
            description = "A uniform cluster of N nodes with G accelerators each (default 8), for traces that carry no node list.")
    String cluster;

    @Option(names = "--policy", split = ",", paramLabel = "P",
            description = "Policies to compare (repeat or separate with commas; default: all). Packing: random, "
                    + "dotproduct, gpuclustering, gpupacking, bestfit, fgd, puhui. Queues: fifo, sjf, srtf, las, puhui.")
    List<String> policies = new ArrayList<>();

    @Option(names = "--mode", paramLabel = "packing|queue",
            description = "Packing replay or queue simulation (default: queue for timed job traces, packing for openb).")
    String mode;

    @Option(names = "--quotas", paramLabel = "FILE.csv",
            description = "Queues: accelerators per tenant (tenant,gpus), or Philly virtual clusters (vc,node num; 8 per node).")
    Path quotas;

    @Option(names = "--load", defaultValue = "1", paramLabel = "X",
            description = "Queues: arrivals X times as dense (submission times divided by X; default ${DEFAULT-VALUE}).")
    double load;

    @Option(names = "--restart-seconds", defaultValue = "30", paramLabel = "S",
            description = "Queues: time a preempted job loses when it starts again (default ${DEFAULT-VALUE}).")
    long restartSeconds;

    @Option(names = "--seeds", defaultValue = "42", paramLabel = "A..B",
            description = "Seeds: one number, a range A..B, or a list A,B,C (default ${DEFAULT-VALUE}).")
    String seeds;

    @Option(names = "--inflate", defaultValue = "1.3", paramLabel = "X",
            description = "Arrived accelerator demand to reach, as a multiple of capacity (default ${DEFAULT-VALUE}; 0 replays the trace once).")
    double inflate;

    @Option(names = "--order", defaultValue = "shuffled", paramLabel = "shuffled|submission",
            description = "Arrival order of the trace's tasks (default ${DEFAULT-VALUE}, as the published runs).")
    String order;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Write curves.csv and allocation.svg (packing) or jobs.csv and summary.csv (queues) here.")
    Path out;

    @Mixin
    ThreadsOption threads;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Main.existingFile(trace, "trace file");
        Traces.Format format = Traces.detect(trace);
        boolean queue = switch (mode == null ? "" : mode) {
            case "" -> format == Traces.Format.PHILLY || format == Traces.Format.ITP
                    || (format == Traces.Format.PUHUI && Traces.read(trace).timed());
            case "queue" -> true;
            case "packing" -> false;
            default -> throw new Main.UsageException("--mode must be packing or queue, not '" + mode + "'");
        };
        return queue ? queues(format) : packing();
    }

    private int queues(Traces.Format format) throws Exception {
        int given = (quotas != null ? 1 : 0) + (cluster != null ? 1 : 0) + (nodes != null ? 1 : 0);
        if (given != 1) {
            throw new Main.UsageException("give the capacity with exactly one of --quotas FILE.csv (per tenant), "
                    + "--cluster N[xG] or --nodes FILE.csv");
        }
        if (!(load > 0) || load > 1000) {
            throw new Main.UsageException("--load must be above 0 and at most 1000, not " + load);
        }
        if (restartSeconds < 0) {
            throw new Main.UsageException("--restart-seconds must not be negative");
        }
        List<String> chosen = chosen(QueuePolicies.NAMES, QueuePolicies::canonical);
        Traces.Trace t = Traces.read(trace);
        if (!t.timed()) {
            throw new Main.UsageException("a queue simulation needs arrival times and durations; " + t.name()
                    + " has none (use --mode packing)");
        }
        if (t.tasks().stream().anyMatch(io.puhui.scheduler.Task::sharesGpu)) {
            throw new Main.UsageException("a queue simulation runs jobs on whole accelerators; " + t.name()
                    + " has tasks asking for a fraction of one (use --mode packing)");
        }
        Quotas q = quotas != null
                ? new Quotas(Traces.readQuotas(Main.existingFile(quotas, "quota file"), 8))
                : Quotas.single((int) ((nodes != null ? Traces.readNodes(Main.existingFile(nodes, "node list"))
                        : uniform(cluster)).stream().mapToLong(Node::gpus).sum()));
        PrintWriter w = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        QueueRun run = QueueRun.prepare(t.tasks(), q, load);
        if (!run.skipped().isEmpty()) {
            err.printf("puhui: %d job(s) left out of every run, e.g. %s%n", run.skipped().size(), run.skipped().getFirst());
        }
        if (run.jobs().isEmpty()) {
            throw new Main.UsageException("no job of " + t.name() + " can run on the given capacity");
        }
        w.printf("trace %s (%s, %d jobs) on %d accelerators in %d quota(s); load x%s, restart %d s%n", t.name(),
                format.label(), run.jobs().size(), q.total(), q.all().size(), load, restartSeconds);
        long start = System.nanoTime();
        for (String p : chosen) {
            run.run(p, q, new QueueSimulator.Options(restartSeconds));
        }
        w.print(run.table());
        if (q.all().size() > 1) {
            w.println();
            w.println("mean wait per tenant (s):");
            w.print(run.tenantTable(q));
        }
        w.printf("%d runs in %.1f s%n", chosen.size(), (System.nanoTime() - start) / 1e9);
        if (out != null) {
            Files.createDirectories(out);
            run.writeJobs(out.resolve("jobs.csv"));
            run.writeSummary(out.resolve("summary.csv"), t.name(), load);
            w.println("wrote " + out.resolve("jobs.csv") + " and " + out.resolve("summary.csv"));
        }
        w.flush();
        return Main.OK;
    }

    private int packing() throws Exception {
        if ((nodes == null) == (cluster == null)) {
            throw new Main.UsageException("give the cluster with exactly one of --nodes FILE.csv or --cluster N[xG]");
        }
        List<String> chosen = chosen(Policies.NAMES, Policies::canonical);
        boolean shuffle = switch (order) {
            case "shuffled" -> true;
            case "submission" -> false;
            default -> throw new Main.UsageException("--order must be shuffled or submission, not '" + order + "'");
        };
        InflationReplay.Options options;
        try {
            options = new InflationReplay.Options(inflate, shuffle, io.puhui.scheduler.TaskMix.DEFAULT_COVERAGE);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException("--inflate: " + e.getMessage());
        }
        List<Long> seedList = parseSeeds(seeds);
        List<Node> nodeList = nodes != null ? Traces.readNodes(Main.existingFile(nodes, "node list")) : uniform(cluster);
        Traces.Trace t = Traces.read(trace);
        PrintWriter w = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        long capacity = nodeList.stream().mapToLong(Node::gpuMilli).sum();
        if (capacity == 0) {
            throw new Main.UsageException("the cluster has no accelerators; allocation is measured on accelerators");
        }
        w.printf("trace %s (%s, %d tasks) on %d nodes with %d accelerators; %d seeds, inflate %s%n", t.name(),
                t.format().label(), t.tasks().size(), nodeList.size(), capacity / 1000, seedList.size(), inflate);
        long start = System.nanoTime();
        ReplaySet set = ReplaySet.run(t.name(), nodeList, t.tasks(), chosen, seedList, options, threads.count());
        List<TaskShape> impossible = set.impossible();
        if (!impossible.isEmpty()) {
            err.printf("puhui: %d task shape(s) fit no node even in an empty cluster and count as failed arrivals, "
                    + "e.g. %s%n", impossible.size(), describe(impossible.getFirst()));
        }
        w.print(set.table());
        w.printf("%d runs in %.1f s%n", chosen.size() * seedList.size(), (System.nanoTime() - start) / 1e9);
        if (out != null) {
            Files.createDirectories(out);
            set.writeCurves(out.resolve("curves.csv"));
            set.writeChart(out.resolve("allocation.svg"));
            w.println("wrote " + out.resolve("curves.csv") + " and " + out.resolve("allocation.svg"));
        }
        w.flush();
        return Main.OK;
    }

    /** The --policy names, or all of them; an unknown name is a usage error listing the valid ones. */
    private List<String> chosen(List<String> all, java.util.function.UnaryOperator<String> canonical) {
        if (policies.isEmpty()) {
            return all;
        }
        try {
            return policies.stream().map(canonical).distinct().toList();
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException(e.getMessage());
        }
    }

    private static String describe(TaskShape s) {
        return String.format("%d milli-CPU, %d x %d milli accelerator%s", s.cpuMilli(), s.gpus(), s.gpuMilli(),
                s.gpuSpec().isEmpty() ? "" : " of type " + s.gpuSpec());
    }

    static List<Long> parseSeeds(String text) {
        List<Long> out = new ArrayList<>();
        try {
            for (String part : text.split(",")) {
                part = part.trim();
                int dots = part.indexOf("..");
                if (dots >= 0) {
                    long a = Long.parseLong(part.substring(0, dots).trim());
                    long b = Long.parseLong(part.substring(dots + 2).trim());
                    if (b < a || b - a >= 10_000) {
                        throw new Main.UsageException("--seeds range " + part + " must run upwards and span at most 10000 seeds");
                    }
                    for (long s = a; s <= b; s++) {
                        out.add(s);
                    }
                } else {
                    out.add(Long.parseLong(part));
                }
            }
        } catch (NumberFormatException e) {
            throw new Main.UsageException("--seeds takes a number, a range A..B or a list A,B,C; not '" + text + "'");
        }
        return out;
    }

    static List<Node> uniform(String spec) {
        String[] p = spec.toLowerCase(java.util.Locale.ROOT).split("x");
        try {
            int n = Integer.parseInt(p[0].trim());
            int g = p.length > 1 ? Integer.parseInt(p[1].trim()) : 8;
            if (p.length > 2 || n < 1 || g < 1) {
                throw new NumberFormatException();
            }
            return Traces.uniform(n, g);
        } catch (NumberFormatException e) {
            throw new Main.UsageException("--cluster takes N or NxG (nodes, accelerators per node), such as 64x8; not '" + spec + "'");
        }
    }
}
