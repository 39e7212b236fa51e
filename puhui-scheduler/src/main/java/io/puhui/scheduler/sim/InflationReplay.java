package io.puhui.scheduler.sim;

import io.puhui.scheduler.Cluster;
import io.puhui.scheduler.Fragmentation;
import io.puhui.scheduler.Node;
import io.puhui.scheduler.Placement;
import io.puhui.scheduler.PlacementPolicy;
import io.puhui.scheduler.Policies;
import io.puhui.scheduler.Task;
import io.puhui.scheduler.TaskMix;
import io.puhui.scheduler.TaskShape;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * The packing replay of the FGD paper (Weng et al., ATC'23): tasks arrive one after another and never leave;
 * the trace is shuffled and then resampled (tasks drawn at random from it) until the accelerator demand that
 * has arrived reaches a multiple of the cluster's capacity, 1.3 in the paper. After every arrival the
 * allocated and the fragmented accelerator capacity are recorded, which gives allocation as a function of
 * arrived demand.
 *
 * <p>One seeded random source drives the shuffle, the resampling, the node order (which decides score ties) and
 * every random choice of the policy, so a (trace, cluster, policy, seed) run is reproducible.
 */
public final class InflationReplay {

    private InflationReplay() {
    }

    /**
     * How to replay.
     *
     * @param inflate  arrived accelerator demand to reach, as a multiple of capacity; 0 replays the trace as it is
     * @param shuffle  shuffle the tasks before replaying (as the published runs do) instead of keeping file order
     * @param coverage share of tasks the typical-task mix covers
     */
    public record Options(double inflate, boolean shuffle, double coverage) {
        public static final Options PAPER = new Options(1.3, true, TaskMix.DEFAULT_COVERAGE);

        public Options {
            if (!(inflate >= 0) || inflate > 100) {
                throw new IllegalArgumentException("inflation must be between 0 and 100 times capacity, was " + inflate);
            }
        }
    }

    /** One arrival's outcome. */
    public record Point(long arrivedGpuMilli, long allocatedGpuMilli, double fragGpuMilli) {
    }

    /** One row of a curve: the means over arrivals whose arrived demand rounds to {@code demandPct}. */
    public record CurvePoint(int demandPct, double allocPct, double fragPct) {
    }

    /** A run's record. */
    public record Run(String policy, long seed, long capacityGpuMilli, int arrivals, int placed,
                      List<TaskShape> impossible, long[] arrived, long[] allocated, double[] frag) {

        public int failed() {
            return arrivals - placed;
        }

        /** Allocation (%) and fragmentation (%) per whole percent of arrived demand, as the published files. */
        public List<CurvePoint> curve() {
            double cap = capacityGpuMilli;
            int top = (int) Math.rint(arrived[arrivals - 1] * 100.0 / cap);
            Map<Integer, double[]> sums = new LinkedHashMap<>();
            for (int i = 0; i < arrivals; i++) {
                int pct = (int) Math.rint(arrived[i] * 100.0 / cap);
                double[] s = sums.computeIfAbsent(pct, k -> new double[3]);
                s[0] += round2(allocated[i] * 100.0 / cap);
                s[1] += frag[i] * 100.0 / cap;
                s[2]++;
            }
            List<CurvePoint> out = new ArrayList<>();
            for (int pct = 0; pct <= top; pct++) {
                double[] s = sums.get(pct);
                if (s == null) {
                    // No arrival rounds to this percent (a large task jumped it): average the neighbours.
                    s = new double[3];
                    for (int d = -1; d <= 1; d++) {
                        double[] n = sums.get(pct + d);
                        if (n != null) {
                            s[0] += n[0];
                            s[1] += n[1];
                            s[2] += n[2];
                        }
                    }
                    if (s[2] == 0) {
                        // Tasks large against the cluster jump several percents: hold the last value.
                        if (!out.isEmpty()) {
                            CurvePoint last = out.getLast();
                            out.add(new CurvePoint(pct, last.allocPct(), last.fragPct()));
                        }
                        continue;
                    }
                }
                out.add(new CurvePoint(pct, round2(s[0] / s[2]), round2(s[1] / s[2])));
            }
            return out;
        }

        /** Allocation (%) at a whole percent of arrived demand, or NaN when the run did not reach it. */
        public double allocAt(int demandPct) {
            for (CurvePoint p : curve()) {
                if (p.demandPct() == demandPct) {
                    return p.allocPct();
                }
            }
            return Double.NaN;
        }

        /** Allocation (%) after the last arrival. */
        public double finalAllocPct() {
            return allocated[arrivals - 1] * 100.0 / capacityGpuMilli;
        }
    }

    private static double round2(double v) {
        return BigDecimal.valueOf(v).setScale(2, RoundingMode.HALF_EVEN).doubleValue();
    }

    /** Runs the paper's protocol: shuffle, inflate to 130 % of capacity. */
    public static Run run(List<Node> nodes, List<Task> trace, String policy, long seed) {
        return run(nodes, trace, policy, seed, Options.PAPER);
    }

    public static Run run(List<Node> nodes, List<Task> trace, String policy, long seed, Options options) {
        RandomGenerator random = new SplittableRandom(seed);
        List<Task> workload = new ArrayList<>(trace);
        workload.sort(Comparator.comparing(Task::name));
        long capacity = nodes.stream().mapToLong(Node::gpuMilli).sum();
        List<Task> order = arrivals(workload, capacity, options, random);
        // Score ties go to the first node in cluster order: a random order per seed, as the published runs
        // give each node a random name prefix and break ties by name.
        List<Node> shuffled = new ArrayList<>(nodes);
        shuffled.sort(Comparator.comparing(Node::name));
        shuffle(shuffled, random);
        Cluster cluster = new Cluster(shuffled);
        TaskMix mix = TaskMix.of(workload, options.coverage());
        PlacementPolicy p = Policies.create(policy, random, mix);
        return replay(cluster, order, p, seed, new Fragmentation(mix, cluster.types()));
    }

    /** The arrival sequence: the workload (shuffled if asked) and then resampled tasks up to the target demand. */
    static List<Task> arrivals(List<Task> workload, long capacityGpuMilli, Options options, RandomGenerator random) {
        List<Task> order = new ArrayList<>(workload);
        if (options.shuffle()) {
            shuffle(order, random);
        }
        if (options.inflate() == 0) {
            return order;
        }
        long demand = 0;
        for (Task t : workload) {
            demand += t.totalGpuMilli();
        }
        if (demand == 0) {
            throw new IllegalArgumentException("the trace asks for no accelerators, so it cannot be inflated to a "
                    + "share of accelerator capacity; run it with --inflate 0");
        }
        double target = options.inflate() * capacityGpuMilli;
        if (demand < target) {
            for (int i = 0; ; i++) {
                Task t = workload.get(random.nextInt(workload.size()));
                if (demand + t.totalGpuMilli() > target) {
                    break;
                }
                demand += t.totalGpuMilli();
                order.add(t.withName(t.name() + "-tuned-" + i));
            }
        } else {
            while (demand > target) {
                demand -= order.remove(random.nextInt(order.size())).totalGpuMilli();
            }
        }
        return order;
    }

    private static <T> void shuffle(List<T> list, RandomGenerator random) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            T t = list.get(i);
            list.set(i, list.get(j));
            list.set(j, t);
        }
    }

    static Run replay(Cluster cluster, List<Task> order, PlacementPolicy policy, long seed, Fragmentation measure) {
        List<TaskShape> impossible = impossible(cluster, order);
        int n = order.size();
        long[] arrived = new long[n];
        long[] allocated = new long[n];
        double[] frag = new double[n];
        FragGauge gauge = new FragGauge(cluster, measure);
        long demand = 0;
        int placed = 0;
        for (int i = 0; i < n; i++) {
            Task t = order.get(i);
            demand += t.totalGpuMilli();
            Placement p = policy.place(t, cluster);
            if (p != null) {
                cluster.assign(t, p.node(), p.gpus());
                gauge.changed(p.node());
                placed++;
            }
            arrived[i] = demand;
            allocated[i] = cluster.allocatedGpuMilli();
            frag[i] = gauge.total();
        }
        return new Run(policy.name(), seed, cluster.totalGpuMilli(), n, placed, impossible, arrived, allocated, frag);
    }

    /** Shapes no node of the cluster could take even when empty. */
    public static List<TaskShape> impossible(Cluster cluster, List<Task> tasks) {
        Map<TaskShape, Boolean> seen = new LinkedHashMap<>();
        for (Task t : tasks) {
            seen.computeIfAbsent(t.shape(), s -> {
                for (int i = 0; i < cluster.size(); i++) {
                    Node node = cluster.node(i);
                    if (node.cpuMilli() >= t.cpuMilli() && node.memoryMib() >= t.memoryMib()
                            && node.gpus() >= t.gpus() && (t.gpus() == 0 || t.acceptsType(node.gpuType()))) {
                        return true;
                    }
                }
                return false;
            });
        }
        List<TaskShape> out = new ArrayList<>();
        seen.forEach((s, possible) -> {
            if (!possible) {
                out.add(s);
            }
        });
        return out;
    }

    /** The cluster's total fragmentation, kept up to date one changed node at a time. */
    static final class FragGauge {
        private final Cluster cluster;
        private final Fragmentation measure;
        private final double[] byNode;
        private double[] byState = new double[1024];
        private int known;
        private double total;

        FragGauge(Cluster cluster, Fragmentation measure) {
            this.cluster = cluster;
            this.measure = measure;
            this.byNode = new double[cluster.size()];
            for (int i = 0; i < byNode.length; i++) {
                byNode[i] = of(cluster.state(i));
                total += byNode[i];
            }
        }

        void changed(int node) {
            double now = of(cluster.state(node));
            total += now - byNode[node];
            byNode[node] = now;
        }

        double total() {
            return total;
        }

        private double of(int state) {
            while (known <= state) {
                if (known == byState.length) {
                    byState = java.util.Arrays.copyOf(byState, byState.length * 2);
                }
                byState[known] = measure.of(cluster.stateKey(known));
                known++;
            }
            return byState[state];
        }
    }
}
