package io.puhui.scheduler;

import java.util.List;

/**
 * Accelerator fragmentation in the sense of Weng et al. (ATC'23): the free accelerator capacity of a node that
 * a typical task, drawn from a {@link TaskMix}, could not use, weighted by how often such tasks come.
 *
 * <p>For one typical task: if it needs no accelerator, or the node's type is not allowed, or it cannot fit for
 * lack of CPU or of accelerator share, all free accelerator capacity counts as fragment; if it fits, the free
 * capacity of the accelerators each too small for it counts. The node's fragmentation is the
 * frequency-weighted sum.
 */
public final class Fragmentation {

    // Category order of the published measure: lack both, lack accelerator, (fits), lack CPU, CPU task fits,
    // CPU task lacks CPU, type not allowed. Sums run in this order so that equal inputs give equal bits.
    private static final int LACK_BOTH = 0;
    private static final int LACK_GPU = 1;
    private static final int LACK_CPU = 3;
    private static final int CPU_FITS = 4;
    private static final int CPU_LACKS = 5;
    private static final int NO_ACCESS = 6;

    private final long[] cpu;
    private final int[] milli;
    private final int[] count;
    private final double[] freq;
    private final boolean[][] access;

    public Fragmentation(TaskMix mix, List<String> types) {
        int k = mix.size();
        cpu = new long[k];
        milli = new int[k];
        count = new int[k];
        freq = mix.frequencies();
        access = new boolean[k][types.size()];
        for (int i = 0; i < k; i++) {
            TaskShape s = mix.shapes().get(i);
            cpu[i] = s.cpuMilli();
            milli[i] = s.gpuMilli();
            count[i] = s.gpus();
            for (int t = 0; t < types.size(); t++) {
                access[i][t] = !types.get(t).isEmpty() && s.acceptsType(types.get(t));
                if (s.gpuSpec().isEmpty()) {
                    access[i][t] = true;
                }
            }
        }
    }

    /** Fragmented milli-units of a node of accelerator type {@code type} with this free CPU and free shares. */
    public double of(int type, long cpuLeft, int[] gpuLeft) {
        long free = 0;
        for (int g : gpuLeft) {
            free += g;
        }
        double[] sum = new double[7];
        for (int i = 0; i < cpu.length; i++) {
            double f = freq[i];
            if (milli[i] == 0) {
                sum[cpuLeft >= cpu[i] ? CPU_FITS : CPU_LACKS] += f * free;
                continue;
            }
            if (!access[i][type]) {
                sum[NO_ACCESS] += f * free;
                continue;
            }
            int fitting = 0;
            long tooSmall = 0;
            for (int g : gpuLeft) {
                if (g >= milli[i]) {
                    fitting++;
                } else {
                    tooSmall += g;
                }
            }
            boolean gpuFits = fitting >= count[i];
            boolean cpuFits = cpuLeft >= cpu[i];
            if (gpuFits && cpuFits) {
                sum[LACK_GPU] += f * tooSmall;
            } else if (gpuFits) {
                sum[LACK_CPU] += f * free;
            } else {
                sum[cpuFits ? LACK_GPU : LACK_BOTH] += f * free;
            }
        }
        double out = 0;
        for (int c = 0; c < sum.length; c++) {
            out += sum[c];
        }
        return out;
    }

    /** Fragmentation of a node state of the cluster. */
    public double of(Cluster.StateKey state) {
        return of(state.type(), state.cpuLeft(), state.shares());
    }
}
