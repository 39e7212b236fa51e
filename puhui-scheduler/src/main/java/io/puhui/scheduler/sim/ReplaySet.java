package io.puhui.scheduler.sim;

import io.puhui.scheduler.Node;
import io.puhui.scheduler.Policies;
import io.puhui.scheduler.Task;
import io.puhui.scheduler.TaskShape;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Several policies over several seeds on one trace and cluster: the runs, their per-policy means, the
 * {@code curves.csv} of the published format and a chart of allocation against arrived demand.
 */
public final class ReplaySet {

    private final String trace;
    private final List<String> policies;
    private final Map<String, List<InflationReplay.Run>> runs;

    private ReplaySet(String trace, List<String> policies, Map<String, List<InflationReplay.Run>> runs) {
        this.trace = trace;
        this.policies = policies;
        this.runs = runs;
    }

    /**
     * Runs every (policy, seed) pair, on up to {@code threads} threads; runs are independent, so the result
     * does not depend on the thread count.
     */
    public static ReplaySet run(String trace, List<Node> nodes, List<Task> tasks, List<String> policies,
                                List<Long> seeds, InflationReplay.Options options, int threads) {
        List<String> names = policies.stream().map(Policies::canonical).distinct().toList();
        Map<String, List<Future<InflationReplay.Run>>> pending = new LinkedHashMap<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads))) {
            for (String p : names) {
                List<Future<InflationReplay.Run>> fs = new ArrayList<>();
                for (long seed : seeds) {
                    fs.add(pool.submit(() -> InflationReplay.run(nodes, tasks, p, seed, options)));
                }
                pending.put(p, fs);
            }
            Map<String, List<InflationReplay.Run>> done = new LinkedHashMap<>();
            for (var e : pending.entrySet()) {
                List<InflationReplay.Run> rs = new ArrayList<>();
                for (Future<InflationReplay.Run> f : e.getValue()) {
                    rs.add(f.get());
                }
                done.put(e.getKey(), rs);
            }
            return new ReplaySet(trace, names, done);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    public List<String> policies() {
        return policies;
    }

    public List<InflationReplay.Run> runs(String policy) {
        return runs.get(Policies.canonical(policy));
    }

    /** Mean over seeds of the allocation (%) at a whole percent of arrived demand; NaN if a run missed it. */
    public double meanAllocAt(String policy, int demandPct) {
        return mean(runs(policy).stream().mapToDouble(r -> r.allocAt(demandPct)).toArray());
    }

    /** Mean over seeds of the fragmentation (%) at a whole percent of arrived demand. */
    public double meanFragAt(String policy, int demandPct) {
        double[] v = runs(policy).stream().mapToDouble(r -> r.curve().stream()
                .filter(p -> p.demandPct() == demandPct).mapToDouble(InflationReplay.CurvePoint::fragPct)
                .findFirst().orElse(Double.NaN)).toArray();
        return mean(v);
    }

    /** Standard deviation over seeds of the allocation at a demand percent. */
    public double sdAllocAt(String policy, int demandPct) {
        double[] v = runs(policy).stream().mapToDouble(r -> r.allocAt(demandPct)).toArray();
        double m = mean(v);
        double s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return v.length > 1 ? Math.sqrt(s / (v.length - 1)) : 0;
    }

    /** The highest whole percent of arrived demand every run reached. */
    public int topDemandPct() {
        int top = Integer.MAX_VALUE;
        for (List<InflationReplay.Run> rs : runs.values()) {
            for (InflationReplay.Run r : rs) {
                List<InflationReplay.CurvePoint> c = r.curve();
                top = Math.min(top, c.getLast().demandPct());
            }
        }
        return top;
    }

    /** Task shapes no node could take even in an empty cluster. */
    public List<TaskShape> impossible() {
        return runs.values().iterator().next().getFirst().impossible();
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return v.length == 0 ? Double.NaN : s / v.length;
    }

    /** The results table printed by {@code puhui simulate}. */
    public String table() {
        int top = topDemandPct();
        boolean has100 = top >= 100;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-14s %5s %16s %16s %12s %10s%n", "policy", "seeds",
                has100 ? "alloc% @100%" : "alloc% @" + top + "%", "alloc% @" + top + "%",
                "frag% @" + (has100 ? 100 : top) + "%", "failed"));
        for (String p : policies) {
            int at = has100 ? 100 : top;
            double failed = runs(p).stream().mapToInt(InflationReplay.Run::failed).average().orElse(0);
            sb.append(String.format(Locale.ROOT, "%-14s %5d %9.2f ± %4.2f %9.2f ± %4.2f %12.2f %10.0f%n", p,
                    runs(p).size(), meanAllocAt(p, at), sdAllocAt(p, at), meanAllocAt(p, top), sdAllocAt(p, top),
                    meanFragAt(p, at), failed));
        }
        return sb.toString();
    }

    /** Writes {@code curves.csv}: trace, policy, seed, demand_pct, alloc_pct, frag_pct. */
    public void writeCurves(Path file) throws IOException {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("trace,policy,seed,demand_pct,alloc_pct,frag_pct\n");
            for (String p : policies) {
                for (InflationReplay.Run r : runs(p)) {
                    for (InflationReplay.CurvePoint c : r.curve()) {
                        w.write(String.format(Locale.ROOT, "%s,%s,%d,%d,%.2f,%.2f%n", trace, p, r.seed(),
                                c.demandPct(), c.allocPct(), c.fragPct()));
                    }
                }
            }
        }
    }

    /** Writes an SVG chart of mean allocation against arrived demand, one line per policy. */
    public void writeChart(Path file) throws IOException {
        int top = topDemandPct();
        Map<String, double[]> lines = new LinkedHashMap<>();
        for (String p : policies) {
            double[] y = new double[top + 1];
            for (int d = 0; d <= top; d++) {
                y[d] = meanAllocAt(p, d);
            }
            lines.put(p, y);
        }
        Files.writeString(file, SvgChart.allocation("Accelerator allocation vs arrived demand — " + trace
                + " (" + runs.values().iterator().next().size() + " seeds)", lines), StandardCharsets.UTF_8);
    }
}
