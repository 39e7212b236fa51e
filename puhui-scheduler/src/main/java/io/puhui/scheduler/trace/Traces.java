package io.puhui.scheduler.trace;

import io.puhui.scheduler.Node;
import io.puhui.scheduler.Task;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads task traces and node lists. The format is told apart by the header line, and columns are looked up by
 * name, so their order does not matter and extra columns are ignored.
 *
 * <table>
 * <caption>Task trace formats</caption>
 * <tr><th>format</th><th>required columns</th><th>optional</th></tr>
 * <tr><td>openb (Alibaba GPU-sharing cluster, ATC'23)</td><td>name, cpu_milli, memory_mib, num_gpu, gpu_milli</td>
 *     <td>gpu_spec, qos, creation_time, deletion_time</td></tr>
 * <tr><td>Philly (as derived by the Pollux artifact)</td><td>timestamp, duration, num_gpus, cluster</td><td></td></tr>
 * <tr><td>ITP (Microsoft, ElasticFlow artifact)</td><td>job_id, submission_time, duration, num_gpu</td><td></td></tr>
 * <tr><td>Puhui</td><td>name, gpus</td><td>submit_s, duration_s, tenant, priority, cpu_milli, memory_mib,
 *     gpu_milli (default 1000), gpu_types (separated by |), qos</td></tr>
 * </table>
 *
 * <p>Node lists: openb ({@code sn, cpu_milli, memory_mib, gpu, model}) or Puhui ({@code name, cpu_milli,
 * memory_mib, gpus}, optional {@code gpu_type, gpu_memory_mib, tier}).
 */
public final class Traces {

    private Traces() {
    }

    /** The trace formats. */
    public enum Format {
        OPENB("openb task list"),
        PHILLY("Philly job table"),
        ITP("ITP job list"),
        PUHUI("Puhui task list");

        private final String label;

        Format(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /**
     * A trace read from a file.
     *
     * @param timed whether tasks carry arrival times and durations (a queue simulation can run on it)
     */
    public record Trace(Path file, Format format, List<Task> tasks, boolean timed) {
        public Trace {
            tasks = List.copyOf(tasks);
        }

        /** File name without directory and {@code .csv}. */
        public String name() {
            String n = file.getFileName().toString();
            return n.endsWith(".csv") ? n.substring(0, n.length() - 4) : n;
        }
    }

    private static final String EXPECTED = "expected the header of an openb task list (name,cpu_milli,memory_mib,"
            + "num_gpu,gpu_milli,...), the Philly job table (timestamp,duration,num_gpus,gpu_time,cluster), an ITP "
            + "job list (job_id,submission_time,duration,num_gpu) or a Puhui task list (name,submit_s,duration_s,"
            + "tenant,cpu_milli,memory_mib,gpus,gpu_milli,gpu_types)";

    /** Which task format a file holds, from its header. */
    public static Format detect(Path file) {
        List<String> h = Csv.header(file);
        Set<String> cols = new HashSet<>(h);
        if (cols.containsAll(List.of("name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli"))) {
            return Format.OPENB;
        }
        if (cols.containsAll(List.of("timestamp", "duration", "num_gpus", "cluster"))) {
            return Format.PHILLY;
        }
        if (cols.containsAll(List.of("job_id", "submission_time", "duration", "num_gpu"))) {
            return Format.ITP;
        }
        if (cols.containsAll(List.of("name", "gpus"))) {
            return Format.PUHUI;
        }
        if (cols.containsAll(List.of("sn", "gpu", "model"))) {
            throw new TraceFormatException(file, 1, "this is a node list; pass it with --nodes, and a task trace "
                    + "with --trace");
        }
        throw new TraceFormatException(file, 1, "unknown trace header (" + String.join(",", h) + "); " + EXPECTED);
    }

    /** Reads a task trace of any supported format. */
    public static Trace read(Path file) {
        Format format = detect(file);
        Csv csv = Csv.open(file);
        List<Task> tasks = new ArrayList<>();
        switch (format) {
            case OPENB -> csv.rows(r -> tasks.add(openbTask(csv, r)));
            case PHILLY -> csv.rows(r -> tasks.add(phillyJob(r, tasks.size())));
            case ITP -> csv.rows(r -> tasks.add(itpJob(r)));
            case PUHUI -> csv.rows(r -> tasks.add(puhuiTask(csv, r)));
        }
        if (tasks.isEmpty()) {
            throw new TraceFormatException(file, 0, "the trace has a header but no tasks");
        }
        boolean timed = switch (format) {
            case OPENB -> csv.has("creation_time") && csv.has("deletion_time");
            case PHILLY, ITP -> true;
            case PUHUI -> csv.has("submit_s") && csv.has("duration_s");
        };
        if (format == Format.PHILLY) {
            rebaseArrivals(tasks);
        }
        return new Trace(file, format, tasks, timed);
    }

    private static Task openbTask(Csv csv, Csv.Row r) {
        String name = r.text("name");
        long cpu = nonNegative(r, "cpu_milli");
        long mem = nonNegative(r, "memory_mib");
        int gpus = (int) nonNegative(r, "num_gpu");
        long milli = r.integer("gpu_milli");
        if (gpus > 0) {
            if (milli <= 0) {
                throw r.fault("num_gpu is " + gpus + " but gpu_milli is " + milli + "; a task with accelerators "
                        + "needs a share of 1..1000 milli per accelerator");
            }
            milli = Math.min(milli, 1000); // the published converter caps larger values at one accelerator
            if (gpus > 1 && milli < 1000) {
                throw r.fault(gpus + " accelerators at " + milli + " milli each; only a single accelerator can be "
                        + "shared (gpu_milli must be 1000 when num_gpu > 1)");
            }
        }
        List<String> spec = types(r.text("gpu_spec"));
        long created = r.integer("creation_time", 0);
        long deleted = r.integer("deletion_time", -1);
        long duration = deleted >= created && csv.has("deletion_time") ? deleted - created : -1;
        return new Task(name, cpu, mem, gpus, (int) milli, spec, "", 0, r.text("qos"), created, duration);
    }

    private static final DateTimeFormatter PHILLY_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    private static Task phillyJob(Csv.Row r, int index) {
        long submit;
        try {
            submit = LocalDateTime.parse(r.text("timestamp"), PHILLY_TIME).toEpochSecond(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            throw r.fault("timestamp must look like 2017-10-09 07:01:55, found '" + r.text("timestamp") + "'");
        }
        long duration = Math.round(r.number("duration"));
        int gpus = (int) r.integer("num_gpus");
        if (duration < 0 || gpus < 0) {
            throw r.fault("duration and num_gpus must not be negative");
        }
        return new Task("job-" + index, 0, 0, gpus, gpus > 0 ? 1000 : 0, List.of(), r.text("cluster"), 0, "",
                submit, duration);
    }

    private static Task itpJob(Csv.Row r) {
        long duration = r.integer("duration");
        int gpus = (int) r.integer("num_gpu");
        long submit = r.integer("submission_time");
        if (duration < 0 || gpus < 0) {
            throw r.fault("duration and num_gpu must not be negative");
        }
        return new Task(r.text("job_id"), 0, 0, gpus, gpus > 0 ? 1000 : 0, List.of(), "", 0, "", submit, duration);
    }

    private static Task puhuiTask(Csv csv, Csv.Row r) {
        String name = r.text("name");
        if (name.isEmpty()) {
            throw r.fault("name must not be empty");
        }
        int gpus = (int) nonNegative(r, "gpus");
        long milli = r.integer("gpu_milli", gpus > 0 ? 1000 : 0);
        try {
            return new Task(name, r.integer("cpu_milli", 0), r.integer("memory_mib", 0), gpus, (int) milli,
                    types(r.text("gpu_types")), r.text("tenant"), (int) r.integer("priority", 0), r.text("qos"),
                    r.integer("submit_s", 0), r.integer("duration_s", -1));
        } catch (IllegalArgumentException e) {
            throw r.fault(e.getMessage());
        }
    }

    private static long nonNegative(Csv.Row r, String column) {
        long v = r.integer(column);
        if (v < 0) {
            throw r.fault("column " + column + " must not be negative, found " + v);
        }
        return v;
    }

    private static List<String> types(String spec) {
        return spec.isBlank() ? List.of()
                : Arrays.stream(spec.split("\\|")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private static void rebaseArrivals(List<Task> tasks) {
        long first = tasks.stream().mapToLong(Task::arrival).min().orElse(0);
        tasks.replaceAll(t -> new Task(t.name(), t.cpuMilli(), t.memoryMib(), t.gpus(), t.gpuMilli(), t.gpuTypes(),
                t.tenant(), t.priority(), t.qos(), t.arrival() - first, t.duration()));
    }

    /** Reads a node list (openb or Puhui columns). */
    public static List<Node> readNodes(Path file) {
        Csv csv = Csv.open(file);
        boolean openb = csv.has("sn") && csv.has("gpu");
        if (!openb && !(csv.has("name") && csv.has("gpus") && csv.has("cpu_milli"))) {
            throw new TraceFormatException(file, 1, "unknown node list header (" + String.join(",", csv.header)
                    + "); expected sn,cpu_milli,memory_mib,gpu,model (openb) or name,cpu_milli,memory_mib,gpus,"
                    + "gpu_type[,gpu_memory_mib,tier]");
        }
        List<Node> nodes = new ArrayList<>();
        Set<String> names = new HashSet<>();
        csv.rows(r -> {
            String name = r.text(openb ? "sn" : "name");
            if (!names.add(name)) {
                throw r.fault("node " + name + " is listed twice");
            }
            try {
                nodes.add(openb
                        ? new Node(name, nonNegative(r, "cpu_milli"), nonNegative(r, "memory_mib"),
                                (int) nonNegative(r, "gpu"), r.text("model"))
                        : new Node(name, nonNegative(r, "cpu_milli"), r.integer("memory_mib", 0),
                                (int) nonNegative(r, "gpus"), r.text("gpu_type"), r.integer("gpu_memory_mib", 0),
                                r.text("tier"), java.util.Map.of()));
            } catch (IllegalArgumentException e) {
                throw r.fault(e.getMessage());
            }
        });
        if (nodes.isEmpty()) {
            throw new TraceFormatException(file, 0, "the node list has a header but no nodes");
        }
        return nodes;
    }

    /**
     * Accelerator quotas per tenant: {@code tenant,gpus}, or Philly's virtual-cluster sizes {@code vc,node num}
     * (nodes of {@code gpusPerNode} accelerators).
     */
    public static java.util.Map<String, Integer> readQuotas(Path file, int gpusPerNode) {
        Csv csv = Csv.open(file);
        boolean nodes = csv.has("vc") && csv.has("node num");
        if (!nodes && !(csv.has("tenant") && csv.has("gpus"))) {
            throw new TraceFormatException(file, 1, "unknown quota header (" + String.join(",", csv.header)
                    + "); expected tenant,gpus or vc,node num");
        }
        java.util.Map<String, Integer> out = new java.util.LinkedHashMap<>();
        csv.rows(r -> {
            String tenant = r.text(nodes ? "vc" : "tenant");
            long n = nonNegative(r, nodes ? "node num" : "gpus");
            if (out.put(tenant, (int) (nodes ? n * gpusPerNode : n)) != null) {
                throw r.fault("tenant " + tenant + " is listed twice");
            }
        });
        return out;
    }

    /**
     * A uniform cluster for traces that carry no node list: {@code nodes} machines of {@code gpusPerNode}
     * accelerators with CPU and memory to spare.
     */
    public static List<Node> uniform(int nodes, int gpusPerNode) {
        if (nodes <= 0 || gpusPerNode < 0) {
            throw new IllegalArgumentException("a cluster needs at least one node and a non-negative accelerator count");
        }
        List<Node> out = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            out.add(new Node(String.format("node-%04d", i), 96_000L, 786_432L, gpusPerNode, gpusPerNode > 0 ? "GPU" : ""));
        }
        return out;
    }
}
