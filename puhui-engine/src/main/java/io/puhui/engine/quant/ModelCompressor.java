// Writes a compressed copy of a GGUF model: the plan's type for every tensor, the input's metadata with the
// file type set, tensors streamed through the quantizer a slice of rows at a time on several threads. The
// result goes to a temporary name and is renamed when complete; the input is only read.
package io.puhui.engine.quant;

import io.puhui.engine.gguf.GgmlType;
import io.puhui.engine.gguf.GgufFile;
import io.puhui.engine.gguf.GgufWriter;
import io.puhui.engine.gguf.MetaValue;
import io.puhui.engine.gguf.Metadata;
import io.puhui.engine.gguf.TensorInfo;
import io.puhui.engine.tensor.BlockCodec;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

public final class ModelCompressor {
    /** GGML's quantization format version, written to every quantized file. */
    public static final int QUANTIZATION_VERSION = 2;
    /** Float values converted per slice: bounds the memory a tensor of any size needs. */
    private static final int SLICE_VALUES = 1 << 22;

    /** Told after each slice how many input bytes are done, of how many. */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (done, total) -> {
        };

        void update(long doneBytes, long totalBytes);
    }

    /**
     * @param importance per-tensor column importance (tensor name → one weight per input column), or empty
     * @param overrides  tensor name → type, replacing the mix's choice (the fit planner's output)
     * @param extra      metadata appended after the file type (records), or empty
     */
    public record Options(QuantMix mix, int threads, Map<String, float[]> importance, Map<String, GgmlType> overrides,
            Map<String, MetaValue> extra, Progress progress) {
        public Options {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be at least 1, got " + threads);
            }
            importance = Map.copyOf(importance);
            overrides = Map.copyOf(overrides);
            extra = new LinkedHashMap<>(extra);
        }

        public static Options of(QuantMix mix, int threads) {
            return new Options(mix, threads, Map.of(), Map.of(), Map.of(), Progress.NONE);
        }
    }

    /** What was written; {@code sha256} is the output file's, computed while writing it. */
    public record Result(List<MixPlanner.Planned> plan, long inputBytes, long outputBytes, String sha256) {
    }

    private ModelCompressor() {
    }

    /** The plan for {@code input} without writing anything; checks the same things {@link #compress} does. */
    public static List<MixPlanner.Planned> plan(GgufFile input, Options o) {
        List<MixPlanner.Planned> plan = MixPlanner.plan(input, o.mix(), !o.importance().isEmpty(), o.overrides());
        for (MixPlanner.Planned p : plan) {
            GgmlType from = p.source().type();
            if (p.converted() && from != GgmlType.F32 && from != GgmlType.F16 && from != GgmlType.BF16) {
                throw new IllegalArgumentException("tensor " + p.source().name() + " is stored as " + from
                        + "; compress reads models whose weights are F32, F16 or BF16 (convert from the original"
                        + " weights, not from an already quantized file)");
            }
            float[] imp = o.importance().get(p.source().name());
            if (imp != null && imp.length != p.source().rowWidth()) {
                throw new IllegalArgumentException("importance data for " + p.source().name() + " has "
                        + imp.length + " columns, the tensor has " + p.source().rowWidth()
                        + " (was it collected on another model?)");
            }
        }
        return plan;
    }

    /** The exact size of the file {@link #compress} would write for {@code input}. */
    public static long outputSize(GgufFile input, Options o) throws IOException {
        GgufWriter w = new GgufWriter(metadata(input.metadata(), o));
        for (MixPlanner.Planned p : plan(input, o)) {
            w.add(new GgufWriter.Streamed(p.source().name(), p.type(), p.source().shape(), out -> {
            }));
        }
        return w.fileSize();
    }

    public static Result compress(Path input, Path output, Options o) throws IOException {
        if (Files.exists(output) && Files.isSameFile(input, output)) {
            throw new IllegalArgumentException("the output " + output + " is the input; choose another name");
        }
        try (GgufFile in = GgufFile.open(input)) {
            List<MixPlanner.Planned> plan = plan(in, o);
            long inBytes = 0;
            long outBytes = 0;
            for (MixPlanner.Planned p : plan) {
                inBytes += p.source().byteSize();
                outBytes += p.outputBytes();
            }
            if (outBytes >= inBytes) {
                throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                        "%s would not be smaller than the input (%,d bytes of tensors either way or more);"
                                + " choose a smaller type", o.mix(), inBytes));
            }
            GgufWriter w = new GgufWriter(metadata(in.metadata(), o));
            java.security.MessageDigest digest;
            try {
                digest = java.security.MessageDigest.getInstance("SHA-256");
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            AtomicLong done = new AtomicLong();
            long total = inBytes;
            ExecutorService pool = o.threads() > 1 ? Executors.newFixedThreadPool(o.threads(), r -> {
                Thread t = new Thread(r, "compress");
                t.setDaemon(true);
                return t;
            }) : null;
            try {
                for (MixPlanner.Planned p : plan) {
                    TensorInfo t = p.source();
                    MemorySegment src = in.data(t);
                    float[] imp = o.importance().get(t.name());
                    w.add(new GgufWriter.Streamed(t.name(), p.type(), t.shape(), out -> {
                        if (p.converted()) {
                            convert(src, t, p.type(), imp, out, pool, o.threads());
                        } else {
                            copy(src, out);
                        }
                        o.progress().update(done.addAndGet(t.byteSize()), total);
                    }));
                }
                w.write(output, digest);
            } finally {
                if (pool != null) {
                    pool.shutdownNow();
                }
            }
            return new Result(plan, in.fileSize(), Files.size(output),
                    java.util.HexFormat.of().formatHex(digest.digest()));
        }
    }

    /** The input's metadata with the quantization version and file type moved to the end, then the extras. */
    static Metadata metadata(Metadata source, Options o) {
        Metadata m = source.copy();
        m.remove("general.quantization_version");
        m.remove("general.file_type");
        m.putUInt32("general.quantization_version", QUANTIZATION_VERSION);
        m.putUInt32("general.file_type", o.mix().fileType);
        for (var e : o.extra().entrySet()) {
            m.remove(e.getKey());
            m.put(e.getKey(), e.getValue());
        }
        return m;
    }

    private static void copy(MemorySegment src, OutputStream out) throws IOException {
        byte[] chunk = new byte[(int) Math.min(1 << 20, Math.max(1, src.byteSize()))];
        for (long p = 0; p < src.byteSize(); p += chunk.length) {
            int n = (int) Math.min(chunk.length, src.byteSize() - p);
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, p, chunk, 0, n);
            out.write(chunk, 0, n);
        }
    }

    /**
     * Converts a tensor slice by slice: the workers each decode and quantize their share of the rows of slice
     * i while this thread writes slice i-1, so the writing (and hashing) hides behind the quantization.
     */
    private static void convert(MemorySegment src, TensorInfo t, GgmlType to, float[] imp, OutputStream out,
            ExecutorService pool, int threads) throws IOException {
        int width = Math.toIntExact(t.rowWidth());
        long rows = t.rowCount();
        int rowsPerSlice = (int) Math.max(1, Math.min(rows, SLICE_VALUES / Math.max(1, width)));
        long inRowBytes = t.type().byteSize(width);
        int outRowBytes = Quantizer.rowBytes(to, width);
        byte[][] buffers = {new byte[rowsPerSlice * outRowBytes], new byte[rowsPerSlice * outRowBytes]};
        byte[] pending = null;
        int pendingBytes = 0;
        int slice = 0;
        for (long r0 = 0; r0 < rows; r0 += rowsPerSlice, slice++) {
            int n = (int) Math.min(rowsPerSlice, rows - r0);
            byte[] y = buffers[slice % 2];
            long first = r0;
            int parts = pool == null ? 1 : (int) Math.min(threads, n);
            List<Future<?>> jobs = new ArrayList<>(parts);
            for (int p = 0; p < parts; p++) {
                int a = (int) ((long) n * p / parts);
                int b = (int) ((long) n * (p + 1) / parts);
                Runnable job = () -> {
                    float[] x = scratch(( b - a) * width);
                    BlockCodec.dequantize(t.type(), src, (first + a) * inRowBytes, x, 0, (b - a) * width);
                    Quantizer.quantizeRows(to, x, 0, b - a, width, imp, y, a * outRowBytes);
                };
                if (pool == null) {
                    job.run();
                } else {
                    jobs.add(pool.submit(job));
                }
            }
            if (pending != null) {
                out.write(pending, 0, pendingBytes);
            }
            await(jobs);
            pending = y;
            pendingBytes = n * outRowBytes;
        }
        if (pending != null) {
            out.write(pending, 0, pendingBytes);
        }
    }

    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    private static float[] scratch(int n) {
        float[] x = SCRATCH.get();
        if (x.length < n) {
            x = new float[n];
            SCRATCH.set(x);
        }
        return x;
    }

    private static void await(List<Future<?>> jobs) throws IOException {
        for (Future<?> f : jobs) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                if (e.getCause() instanceof Error err) {
                    throw err;
                }
                throw new IOException(e.getCause());
            }
        }
    }
}
