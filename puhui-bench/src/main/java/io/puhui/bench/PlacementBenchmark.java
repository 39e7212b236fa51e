// Placement decisions per second on the openb cluster (1,523 nodes) and on a 10x copy of it, half full and
// nearly full: each operation places one task from the trace, commits it, and releases the task committed
// 4,096 operations earlier, so the cluster keeps changing as a live one does.
// Needs the openb trace (the folder with csv/openb_node_list_all_node.csv): -p openb=PATH.
package io.puhui.bench;

import io.puhui.scheduler.Cluster;
import io.puhui.scheduler.Node;
import io.puhui.scheduler.Placement;
import io.puhui.scheduler.PlacementPolicy;
import io.puhui.scheduler.Policies;
import io.puhui.scheduler.Task;
import io.puhui.scheduler.TaskMix;
import io.puhui.scheduler.trace.Traces;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class PlacementBenchmark {

    @Param({"bestfit", "fgd", "puhui"})
    public String policy;

    /** Copies of the 1,523-node cluster. */
    @Param({"1", "10"})
    public int scale;

    /** Accelerator demand placed before measuring, as a share of capacity. */
    @Param({"0.5", "0.9"})
    public double fill;

    @Param({""})
    public String openb;

    private static final int WINDOW = 4096;

    private Cluster cluster;
    private PlacementPolicy placement;
    private Task[] stream;
    private final Task[] placedTask = new Task[WINDOW];
    private final Placement[] placedWhere = new Placement[WINDOW];
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        if (openb.isBlank()) {
            throw new IllegalStateException("give the openb trace folder with -p openb=PATH (it holds csv/openb_node_list_all_node.csv)");
        }
        Path dir = Path.of(openb, "csv");
        List<Node> base = Traces.readNodes(dir.resolve("openb_node_list_all_node.csv"));
        List<Node> nodes = new ArrayList<>();
        for (int c = 0; c < scale; c++) {
            for (Node n : base) {
                nodes.add(new Node(n.name() + "-" + c, n.cpuMilli(), n.memoryMib(), n.gpus(), n.gpuType()));
            }
        }
        List<Task> trace = Traces.read(dir.resolve("openb_pod_list_default.csv")).tasks();
        cluster = new Cluster(nodes);
        SplittableRandom random = new SplittableRandom(42);
        placement = Policies.create(policy, random, TaskMix.of(trace));
        // Fill with tasks drawn from the trace, then keep a stream of more.
        long target = (long) (fill * cluster.totalGpuMilli());
        long demand = 0;
        int i = 0;
        while (demand < target) {
            Task t = trace.get(random.nextInt(trace.size())).withName("fill-" + i++);
            demand += t.totalGpuMilli();
            Placement p = placement.place(t, cluster);
            if (p != null) {
                cluster.assign(t, p.node(), p.gpus());
            }
        }
        stream = new Task[1 << 16];
        for (int k = 0; k < stream.length; k++) {
            stream[k] = trace.get(random.nextInt(trace.size()));
        }
    }

    @Benchmark
    public Placement decide() {
        int slot = next & (WINDOW - 1);
        if (placedTask[slot] != null) {
            cluster.release(placedTask[slot], placedWhere[slot]);
            placedTask[slot] = null;
        }
        Task t = stream[next & (stream.length - 1)];
        next++;
        Placement p = placement.place(t, cluster);
        if (p != null) {
            cluster.assign(t, p.node(), p.gpus());
            placedTask[slot] = t;
            placedWhere[slot] = p;
        }
        return p;
    }
}
