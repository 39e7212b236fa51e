// A weight matrix in its file encoding (rows of ne[0] values), multiplied with float activations in place.
package io.puhui.engine.tensor;

import io.puhui.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;

public final class WeightMatrix {
    private final String name;
    private final GgmlType type;
    private final int rows;
    private final int cols;
    private final long rowBytes;
    private final MemorySegment data;
    /** The same weights re-laid for fast matrix-vector products, made on first use where the format allows. */
    private volatile InterleavedRows interleaved;
    private final boolean interleavable;

    public WeightMatrix(String name, GgmlType type, int rows, int cols, MemorySegment data) {
        if (cols % type.blockSize != 0) {
            throw new IllegalArgumentException(name + ": row width " + cols + " is not a multiple of the "
                    + type + " block size " + type.blockSize);
        }
        this.name = name;
        this.type = type;
        this.rows = rows;
        this.cols = cols;
        this.rowBytes = type.byteSize(cols);
        if (data.byteSize() < rowBytes * rows) {
            throw new IllegalArgumentException(name + ": " + data.byteSize() + " bytes, need " + rowBytes * rows);
        }
        this.data = data;
        this.interleavable = InterleavedRows.supports(type, rows) && !Boolean.getBoolean("puhui.no-interleave");
    }

    public String name() {
        return name;
    }

    public GgmlType type() {
        return type;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public long byteSize() {
        return rowBytes * rows;
    }

    public MemorySegment data() {
        return data;
    }

    /** Dot product of row {@code row} with {@code x[xo .. xo+cols)}. */
    public float dot(int row, float[] x, int xo) {
        long off = row * rowBytes;
        // Rows outside the interleaved layout are decoded to floats and multiplied with the dense kernel, as
        // matmul does: the same arithmetic alone and in a batch, so that batching never changes a sequence's bits.
        return type == GgmlType.F32 ? DotKernels.dotF32(data, off, x, xo, cols) : dotDecoded(row, x, xo);
    }

    private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[0]);

    private float[] rowBuffer() {
        float[] buf = ROW.get();
        if (buf.length < cols) {
            buf = new float[cols];
            ROW.set(buf);
        }
        return buf;
    }

    private float dotDecoded(int row, float[] x, int xo) {
        float[] buf = rowBuffer();
        dequantizeRow(row, buf, 0);
        return DotKernels.dot(buf, 0, x, xo, cols);
    }

    public void dequantizeRow(int row, float[] dst, int dstOff) {
        if (DotKernels.decodeRow(type, data, row * rowBytes, dst, dstOff, cols)) {
            return;
        }
        BlockCodec.dequantize(type, data, row * rowBytes, dst, dstOff, cols);
    }

    /**
     * Runs the kernels of {@code type} enough times on a small matrix for the JIT to compile them: the Vector API
     * is hundreds of times slower interpreted than compiled.
     */
    public static void warmUp(GgmlType type, ThreadTeam team) {
        int rows = 64;
        int cols = 256;
        MemorySegment data = java.lang.foreign.Arena.ofAuto().allocate(type.byteSize((long) rows * cols), 64);
        // zero bytes are valid blocks of every format (all scales zero)
        WeightMatrix w = new WeightMatrix("warm-up", type, rows, cols, data);
        float[] x = new float[cols];
        float[] out = new float[rows];
        for (int i = 0; i < 3000; i++) {
            w.matvec(team, x, out);
        }
        float[][] xs = {x, x, x, x};
        float[][] outs = new float[4][rows];
        for (int i = 0; i < 200; i++) {
            w.matmul(team, xs, outs, 4);
        }
    }

    private InterleavedRows interleaved(ThreadTeam team) {
        InterleavedRows ir = interleaved;
        if (ir == null) {
            synchronized (this) {
                ir = interleaved;
                if (ir == null) {
                    ir = InterleavedRows.repack(type, rows, cols, data, team);
                    interleaved = ir;
                }
            }
        }
        return ir;
    }

    /** {@code out[r] = row_r · x} for every row, split over the team. */
    public void matvec(ThreadTeam team, float[] x, float[] out) {
        if (interleavable) {
            interleaved(team).matvec(team, x, out);
            return;
        }
        team.forRange(rows, 16, (start, end) -> {
            for (int r = start; r < end; r++) {
                out[r] = dot(r, x, 0);
            }
        });
    }

    /**
     * {@code outs[b][r] = row_r · xs[b]} for {@code b < batch}: each row is decoded once and used for the
     * whole batch, which is what makes prompt processing and multi-sequence decoding cheaper than one at a time.
     */
    public void matmul(ThreadTeam team, float[][] xs, float[][] outs, int batch) {
        if (batch == 1) {
            matvec(team, xs[0], outs[0]);
            return;
        }
        if (interleavable) {
            interleaved(team).matmul(team, xs, outs, batch);
            return;
        }
        dense(team, xs, outs, batch);
    }

    /**
     * The product for prompt tokens: each row is decoded to floats once and multiplied with the whole batch by the
     * dense kernel, which beats the interleaved one when a prompt brings a hundred vectors. A row gives the same
     * bits for a vector whatever the batch size, one included, so prompt processing is batch-invariant too; it
     * differs in the last bits from {@link #matmul}, which is why the engine never mixes the two for one token.
     */
    public void matmulPrompt(ThreadTeam team, float[][] xs, float[][] outs, int batch) {
        dense(team, xs, outs, batch);
    }

    private void dense(ThreadTeam team, float[][] xs, float[][] outs, int batch) {
        if (!DotKernels.VECTOR || batch < 4) {
            team.forRange(rows, 4, (start, end) -> {
                float[] buf = rowBuffer();
                for (int r = start; r < end; r++) {
                    dequantizeRow(r, buf, 0);
                    for (int b = 0; b < batch; b++) {
                        outs[b][r] = DotKernels.dot(buf, 0, xs[b], 0, cols);
                    }
                }
            });
            return;
        }
        // four rows decoded at a time, multiplied with four activation vectors at a time
        team.forRange((rows + 3) / 4, 1, (start, end) -> {
            float[] buf = new float[4 * cols];
            float[] tile = new float[8];
            for (int g = start; g < end; g++) {
                int r0 = 4 * g;
                int n = Math.min(4, rows - r0);
                for (int i = 0; i < n; i++) {
                    dequantizeRow(r0 + i, buf, i * cols);
                }
                int b = 0;
                if (n == 4) {
                    for (; b + 4 <= batch; b += 4) {
                        for (int half = 0; half < 2; half++) {
                            DotKernels.dot2x4(buf, 2 * half * cols, cols, xs[b], xs[b + 1], xs[b + 2], xs[b + 3], cols,
                                    tile);
                            for (int k = 0; k < 8; k++) {
                                outs[b + k % 4][r0 + 2 * half + k / 4] = tile[k];
                            }
                        }
                    }
                }
                for (; b < batch; b++) {
                    for (int i = 0; i < n; i++) {
                        outs[b][r0 + i] = DotKernels.dot(buf, i * cols, xs[b], 0, cols);
                    }
                }
            }
        });
    }
}
