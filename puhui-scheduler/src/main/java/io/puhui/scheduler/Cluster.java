package io.puhui.scheduler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The free capacity of every node, kept in flat arrays so that a placement decision over thousands of nodes
 * touches little memory. Nodes are numbered in the order given.
 *
 * <p>Each node's placement-relevant state (accelerator type, free CPU and the multiset of free accelerator
 * shares) is interned to a small integer, {@link #state(int)}: nodes in the same state score alike under any
 * policy that ignores names, so policies can remember a score per state instead of recomputing it.
 */
public final class Cluster {

    private final Node[] nodes;
    private final List<String> types = new ArrayList<>();
    private final int[] typeOf;
    private final long[] cpuLeft;
    private final long[] memLeft;
    private final int[] gpuStart;
    private final int[] gpuLeft;
    private final int[] freeGpus;
    private final int[] maxGpuLeft;
    private final long[] gpuLeftTotal;
    private final long totalGpuMilli;
    private final long totalCpuMilli;
    private long allocatedGpuMilli;
    private long allocatedCpuMilli;

    /** Running tasks per node by accelerator-affinity tag: 0 = shared, k = k whole accelerators. */
    private final int[][] tagCounts;
    private final int[] distinctTags;

    private final int[] stateOf;
    private final Map<StateKey, Integer> stateIds = new HashMap<>();
    private final List<StateKey> states = new ArrayList<>();

    private final Map<String, boolean[]> accessCache = new HashMap<>();

    public Cluster(List<Node> nodeList) {
        int n = nodeList.size();
        nodes = nodeList.toArray(Node[]::new);
        typeOf = new int[n];
        cpuLeft = new long[n];
        memLeft = new long[n];
        gpuStart = new int[n + 1];
        freeGpus = new int[n];
        maxGpuLeft = new int[n];
        gpuLeftTotal = new long[n];
        tagCounts = new int[n][];
        distinctTags = new int[n];
        stateOf = new int[n];
        Map<String, Integer> typeIds = new HashMap<>();
        long gpuTotal = 0;
        long cpuTotal = 0;
        for (int i = 0; i < n; i++) {
            Node node = nodes[i];
            typeOf[i] = typeIds.computeIfAbsent(node.gpuType(), t -> {
                types.add(t);
                return types.size() - 1;
            });
            cpuLeft[i] = node.cpuMilli();
            memLeft[i] = node.memoryMib();
            gpuStart[i + 1] = gpuStart[i] + node.gpus();
            freeGpus[i] = node.gpus();
            maxGpuLeft[i] = node.gpus() > 0 ? Node.GPU_MILLI : 0;
            gpuLeftTotal[i] = node.gpuMilli();
            tagCounts[i] = new int[node.gpus() + 1];
            gpuTotal += node.gpuMilli();
            cpuTotal += node.cpuMilli();
        }
        gpuLeft = new int[gpuStart[n]];
        Arrays.fill(gpuLeft, Node.GPU_MILLI);
        totalGpuMilli = gpuTotal;
        totalCpuMilli = cpuTotal;
        for (int i = 0; i < n; i++) {
            stateOf[i] = intern(i);
        }
    }

    public int size() {
        return nodes.length;
    }

    public Node node(int i) {
        return nodes[i];
    }

    public List<Node> nodes() {
        return List.of(nodes);
    }

    /** Index of the node's accelerator type in {@link #types()}. */
    public int typeOf(int node) {
        return typeOf[node];
    }

    /** Accelerator types present, the empty string standing for CPU-only nodes. */
    public List<String> types() {
        return List.copyOf(types);
    }

    public long cpuLeft(int node) {
        return cpuLeft[node];
    }

    public long memoryLeft(int node) {
        return memLeft[node];
    }

    public int gpuCount(int node) {
        return gpuStart[node + 1] - gpuStart[node];
    }

    /** Free milli-units of accelerator {@code gpu} on {@code node}. */
    public int gpuLeft(int node, int gpu) {
        return gpuLeft[gpuStart[node] + gpu];
    }

    /** Free milli-units of every accelerator of the node, in device order (a copy). */
    public int[] gpuLeft(int node) {
        return Arrays.copyOfRange(gpuLeft, gpuStart[node], gpuStart[node + 1]);
    }

    public long gpuLeftTotal(int node) {
        return gpuLeftTotal[node];
    }

    /** Accelerators with nothing allocated on them. */
    public int freeGpus(int node) {
        return freeGpus[node];
    }

    public int maxGpuLeft(int node) {
        return maxGpuLeft[node];
    }

    public long totalGpuMilli() {
        return totalGpuMilli;
    }

    public long totalCpuMilli() {
        return totalCpuMilli;
    }

    public long allocatedGpuMilli() {
        return allocatedGpuMilli;
    }

    public long allocatedCpuMilli() {
        return allocatedCpuMilli;
    }

    /** Interned placement state of the node; equal numbers mean equal type, free CPU and free shares. */
    public int state(int node) {
        return stateOf[node];
    }

    /** Number of distinct node states seen so far (state numbers are below it). */
    public int stateCount() {
        return states.size();
    }

    /** Running tasks on the node with the affinity tag of {@code task} (shared, or k whole accelerators). */
    public int tasksWithTag(int node, Task task) {
        int tag = tag(task);
        return tag < 0 || tag >= tagCounts[node].length ? 0 : tagCounts[node][tag];
    }

    /** Number of different affinity tags among the accelerator tasks running on the node. */
    public int distinctTags(int node) {
        return distinctTags[node];
    }

    /** For each type in {@link #types()}: may a task with this type list run on it. */
    public boolean[] access(List<String> gpuTypes) {
        if (gpuTypes.isEmpty()) {
            boolean[] all = new boolean[types.size()];
            Arrays.fill(all, true);
            return all;
        }
        return accessCache.computeIfAbsent(String.join("|", gpuTypes), k -> {
            boolean[] ok = new boolean[types.size()];
            for (int t = 0; t < ok.length; t++) {
                ok[t] = !types.get(t).isEmpty() && gpuTypes.contains(types.get(t));
            }
            return ok;
        });
    }

    /** Whether the node has room for the task now (CPU, memory, accelerator type, and accelerator shares). */
    public boolean fits(Task task, int node) {
        if (cpuLeft[node] < task.cpuMilli() || memLeft[node] < task.memoryMib()) {
            return false;
        }
        if (task.gpus() == 0) {
            return true;
        }
        if (!task.gpuTypes().isEmpty() && !access(task.gpuTypes())[typeOf[node]]) {
            return false;
        }
        return task.gpus() == 1 ? maxGpuLeft[node] >= task.gpuMilli() : freeGpus[node] >= task.gpus();
    }

    /** The first {@code count} accelerators of the node with nothing allocated, in device order. */
    public int[] firstFreeGpus(int node, int count) {
        int[] ids = new int[count];
        int k = 0;
        for (int g = gpuStart[node]; g < gpuStart[node + 1] && k < count; g++) {
            if (gpuLeft[g] == Node.GPU_MILLI) {
                ids[k++] = g - gpuStart[node];
            }
        }
        if (k < count) {
            throw new IllegalStateException("node " + nodes[node].name() + " has " + k + " free accelerators, not " + count);
        }
        return ids;
    }

    /** Takes the task's resources from the node. */
    public Placement assign(Task task, int node, int[] gpus) {
        if (!fits(task, node) || gpus.length != task.gpus()) {
            throw new IllegalStateException("task " + task.name() + " does not fit on node " + nodes[node].name());
        }
        for (int gpu : gpus) {
            if (gpuLeft[gpuStart[node] + gpu] < task.gpuMilli()) {
                throw new IllegalStateException("accelerator " + gpu + " of node " + nodes[node].name()
                        + " has " + gpuLeft[gpuStart[node] + gpu] + " milli left, task " + task.name()
                        + " needs " + task.gpuMilli());
            }
        }
        change(task, node, gpus, -1);
        return new Placement(node, gpus.clone());
    }

    /** Gives a placed task's resources back. */
    public void release(Task task, Placement placement) {
        change(task, placement.node(), placement.gpus(), +1);
    }

    private void change(Task task, int node, int[] gpus, int sign) {
        cpuLeft[node] += sign * task.cpuMilli();
        memLeft[node] += sign * task.memoryMib();
        allocatedCpuMilli -= sign * task.cpuMilli();
        for (int gpu : gpus) {
            gpuLeft[gpuStart[node] + gpu] += sign * task.gpuMilli();
        }
        long total = 0;
        int free = 0;
        int max = 0;
        for (int g = gpuStart[node]; g < gpuStart[node + 1]; g++) {
            total += gpuLeft[g];
            free += gpuLeft[g] == Node.GPU_MILLI ? 1 : 0;
            max = Math.max(max, gpuLeft[g]);
        }
        allocatedGpuMilli -= sign * task.totalGpuMilli();
        gpuLeftTotal[node] = total;
        freeGpus[node] = free;
        maxGpuLeft[node] = max;
        int tag = tag(task);
        if (tag >= 0) {
            int before = tagCounts[node][tag];
            tagCounts[node][tag] -= sign;
            if (before == 0) {
                distinctTags[node]++;
            } else if (tagCounts[node][tag] == 0) {
                distinctTags[node]--;
            }
        }
        stateOf[node] = intern(node);
    }

    private static int tag(Task task) {
        if (task.gpus() == 0) {
            return -1;
        }
        return task.sharesGpu() ? 0 : task.gpus();
    }

    private int intern(int node) {
        int[] shares = Arrays.copyOfRange(gpuLeft, gpuStart[node], gpuStart[node + 1]);
        Arrays.sort(shares);
        StateKey key = new StateKey(typeOf[node], cpuLeft[node], shares);
        Integer id = stateIds.get(key);
        if (id == null) {
            id = states.size();
            states.add(key);
            stateIds.put(key, id);
        }
        return id;
    }

    /** Type, free CPU and sorted free shares of a state number. */
    public StateKey stateKey(int state) {
        return states.get(state);
    }

    /**
     * A node state: accelerator type, free CPU and the free share of each accelerator in ascending order.
     */
    public static final class StateKey {
        private final int type;
        private final long cpuLeft;
        private final int[] sortedGpuLeft;
        private final int hash;

        StateKey(int type, long cpuLeft, int[] sortedGpuLeft) {
            this.type = type;
            this.cpuLeft = cpuLeft;
            this.sortedGpuLeft = sortedGpuLeft;
            this.hash = 31 * (31 * type + Long.hashCode(cpuLeft)) + Arrays.hashCode(sortedGpuLeft);
        }

        public int type() {
            return type;
        }

        public long cpuLeft() {
            return cpuLeft;
        }

        /** Free share of each accelerator, ascending (a copy). */
        public int[] sortedGpuLeft() {
            return sortedGpuLeft.clone();
        }

        int[] shares() {
            return sortedGpuLeft;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof StateKey k && k.hash == hash && k.type == type && k.cpuLeft == cpuLeft
                    && Arrays.equals(k.sortedGpuLeft, sortedGpuLeft);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
