// Activation statistics of a model's weight matrices: for each matrix, the sum over calibration tokens of each
// input column's squared activation, and the token count. Their ratio (the mean square) is the importance the
// quantizer gives that column. Stored in llama.cpp's GGUF imatrix layout ("<tensor>.in_sum2" and
// "<tensor>.counts"), so files move freely between Puhui and llama.cpp's tools.
package io.puhui.engine.quant;

import io.puhui.engine.gguf.GgmlType;
import io.puhui.engine.gguf.GgufFile;
import io.puhui.engine.gguf.GgufFormatException;
import io.puhui.engine.gguf.GgufWriter;
import io.puhui.engine.gguf.MetaValue;
import io.puhui.engine.gguf.Metadata;
import io.puhui.engine.gguf.TensorInfo;
import io.puhui.engine.gguf.ValueType;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

public final class ImportanceMatrix {
    public static final String DATASETS = "imatrix.datasets";
    public static final String CHUNK_COUNT = "imatrix.chunk_count";
    public static final String CHUNK_SIZE = "imatrix.chunk_size";

    /** One matrix's statistics: per-column sums of squares and the number of activation rows summed. */
    public record Entry(double[] sumSquares, long count) {
        /** Mean square per column; columns never seen get 1 (no preference), as llama-quantize does. */
        public float[] means() {
            float[] m = new float[sumSquares.length];
            for (int i = 0; i < m.length; i++) {
                m[i] = count > 0 ? (float) sumSquares[i] / (float) count : 1f;
            }
            return m;
        }
    }

    private final Map<String, Entry> entries;
    private final List<String> datasets;
    private final int chunkCount;
    private final int chunkSize;

    public ImportanceMatrix(Map<String, Entry> entries, List<String> datasets, int chunkCount, int chunkSize) {
        this.entries = new TreeMap<>(entries);
        this.datasets = List.copyOf(datasets);
        this.chunkCount = chunkCount;
        this.chunkSize = chunkSize;
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    public List<String> datasets() {
        return datasets;
    }

    public int chunkCount() {
        return chunkCount;
    }

    public int chunkSize() {
        return chunkSize;
    }

    /** Tensor name → per-column importance, the form the quantizer takes. */
    public Map<String, float[]> columns() {
        Map<String, float[]> m = new LinkedHashMap<>();
        entries.forEach((k, v) -> m.put(k, v.means()));
        return m;
    }

    /**
     * The legacy layout: entry count; per entry its name, call count and values (mean square times call count);
     * then optionally the chunk count and the dataset name. All little-endian 32-bit.
     */
    static ImportanceMatrix readLegacy(Path file) throws IOException {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(java.nio.file.Files.readAllBytes(file))
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        String bad = file + " is neither a GGUF imatrix nor a legacy llama-imatrix file";
        try {
            int n = b.getInt();
            if (n < 1 || n > 1_000_000) {
                throw new GgufFormatException(bad + " (entry count " + n + ")");
            }
            Map<String, Entry> entries = new TreeMap<>();
            for (int i = 0; i < n; i++) {
                int len = b.getInt();
                if (len < 1 || len > 4096) {
                    throw new GgufFormatException(bad + " (entry " + i + " has a name of " + len + " bytes)");
                }
                byte[] name = new byte[len];
                b.get(name);
                int calls = b.getInt();
                int values = b.getInt();
                if (values < 1 || (long) values * 4 > b.remaining()) {
                    throw new GgufFormatException(bad + " (entry " + i + " claims " + values + " values)");
                }
                double[] v = new double[values];
                for (int j = 0; j < values; j++) {
                    v[j] = b.getFloat();
                }
                // values are mean squares times the call count; with no calls they are used as they are
                entries.put(new String(name, java.nio.charset.StandardCharsets.UTF_8),
                        new Entry(v, calls > 0 ? calls : 1));
            }
            int chunks = 0;
            List<String> datasets = List.of();
            if (b.remaining() >= 4) {
                chunks = b.getInt();
                if (b.remaining() >= 4) {
                    int len = b.getInt();
                    if (len > 0 && len <= b.remaining()) {
                        byte[] d = new byte[len];
                        b.get(d);
                        datasets = List.of(new String(d, java.nio.charset.StandardCharsets.UTF_8));
                    }
                }
            }
            return new ImportanceMatrix(entries, datasets, chunks, 0);
        } catch (java.nio.BufferUnderflowException e) {
            throw new GgufFormatException(bad + " (it ends early)");
        }
    }

    public void write(Path target) throws IOException {
        Metadata m = new Metadata();
        m.putString("general.type", "imatrix");
        m.put(DATASETS, MetaValue.array(ValueType.STRING, datasets.toArray(String[]::new)));
        m.putUInt32(CHUNK_COUNT, chunkCount);
        m.putUInt32(CHUNK_SIZE, chunkSize);
        GgufWriter w = new GgufWriter(m);
        for (var e : entries.entrySet()) {
            double[] s = e.getValue().sumSquares();
            float[] sums = new float[s.length];
            for (int i = 0; i < s.length; i++) {
                sums[i] = (float) s[i];
            }
            w.add(GgufWriter.Tensor.f32(e.getKey() + ".in_sum2", sums, s.length, 1));
            w.add(GgufWriter.Tensor.f32(e.getKey() + ".counts", new float[] {e.getValue().count()}, 1, 1));
        }
        w.write(target);
    }

    /** Reads the GGUF layout, or the older binary one (`.dat`, from llama-imatrix before the GGUF layout). */
    public static ImportanceMatrix read(Path file) throws IOException {
        byte[] head = new byte[4];
        try (var in = java.nio.file.Files.newInputStream(file)) {
            if (in.readNBytes(head, 0, 4) == 4 && java.nio.ByteBuffer.wrap(head).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                    .getInt() != GgufFile.MAGIC) {
                return readLegacy(file);
            }
        }
        try (GgufFile f = GgufFile.open(file)) {
            Metadata m = f.metadata();
            Map<String, Entry> entries = new TreeMap<>();
            for (TensorInfo t : f.tensors()) {
                if (!t.name().endsWith(".in_sum2")) {
                    continue;
                }
                String name = t.name().substring(0, t.name().length() - ".in_sum2".length());
                TensorInfo c = f.findTensor(name + ".counts").orElseThrow(() -> new GgufFormatException(
                        file + ": " + t.name() + " has no matching .counts tensor"));
                if (t.type() != GgmlType.F32 || c.type() != GgmlType.F32) {
                    throw new GgufFormatException(file + ": imatrix tensors must be F32");
                }
                if (c.elementCount() != 1 || t.rowCount() != 1) {
                    throw new GgufFormatException(file + ": " + name
                            + " holds statistics for several experts; only dense matrices are supported");
                }
                float[] sums = new float[(int) t.elementCount()];
                java.lang.foreign.MemorySegment.copy(f.data(t), ValueLayout.JAVA_FLOAT_UNALIGNED, 0, sums, 0,
                        sums.length);
                double[] d = new double[sums.length];
                for (int i = 0; i < d.length; i++) {
                    d[i] = sums[i];
                }
                long count = (long) f.data(c).get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0);
                entries.put(name, new Entry(d, count));
            }
            if (entries.isEmpty()) {
                throw new GgufFormatException(file + " holds no importance data (no *.in_sum2 tensors);"
                        + " make one with `puhui imatrix`");
            }
            List<String> datasets = m.get(DATASETS).map(v -> List.of((String[]) v.value())).orElse(List.of());
            return new ImportanceMatrix(entries, datasets, m.getInt(CHUNK_COUNT, 0), m.getInt(CHUNK_SIZE, 0));
        }
    }
}
