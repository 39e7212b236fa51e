// Reads a GGUF v2/v3 file by memory-mapping it (FFM, so files over 2 GB work) and validating every header field.
package io.puhui.engine.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

public final class GgufFile implements AutoCloseable {
    public static final int MAGIC = 0x46554747; // "GGUF" read little-endian
    public static final int DEFAULT_ALIGNMENT = 32;
    public static final String ALIGNMENT_KEY = "general.alignment";

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final Metadata metadata;
    private final Map<String, TensorInfo> tensors;
    private final int alignment;
    private final long dataOffset;
    private long pos;

    private GgufFile(Path path, Arena arena, MemorySegment file) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.pos = 0;
        int magic = file.byteSize() >= 4 ? file.get(INT, 0) : 0;
        if (magic != MAGIC) {
            throw error(String.format("not a GGUF file (it starts with 0x%08x, a GGUF file with \"GGUF\")", magic));
        }
        if (file.byteSize() < 24) {
            throw error("file is only " + file.byteSize() + " bytes, too short for a GGUF header: it is truncated");
        }
        pos = 4;
        version = readInt();
        if (version == 1) {
            throw error("GGUF version 1 is no longer supported; convert the model again with a current tool");
        }
        if (version != 2 && version != 3) {
            throw error("unsupported GGUF version " + version + " (supported: 2, 3)");
        }
        long tensorCount = readLong();
        long kvCount = readLong();
        if (tensorCount < 0 || kvCount < 0 || tensorCount > file.byteSize() || kvCount > file.byteSize()) {
            throw error("implausible header counts (tensors " + tensorCount + ", metadata " + kvCount
                    + ") for a file of " + file.byteSize() + " bytes: the file is corrupt");
        }
        var kv = new LinkedHashMap<String, MetaValue>();
        for (long i = 0; i < kvCount; i++) {
            String key = readString("metadata key #" + i);
            int typeId = readInt();
            ValueType type = ValueType.byId(typeId);
            if (type == null) {
                throw error("metadata '" + key + "' has unknown value type " + typeId);
            }
            if (kv.put(key, readValue(key, type)) != null) {
                throw error("duplicate metadata key '" + key + "'");
            }
        }
        metadata = new Metadata(kv);
        alignment = metadata.get(ALIGNMENT_KEY).map(v -> (int) v.asLong()).orElse(DEFAULT_ALIGNMENT);
        if (alignment <= 0 || Integer.bitCount(alignment) != 1) {
            throw error("general.alignment = " + alignment + " is not a power of two");
        }
        var infos = new LinkedHashMap<String, TensorInfo>();
        for (long i = 0; i < tensorCount; i++) {
            String name = readString("tensor name #" + i);
            int nDims = readInt();
            if (nDims < 1 || nDims > 4) {
                throw error("tensor '" + name + "' has " + nDims + " dimensions (1 to 4 allowed)");
            }
            long[] shape = new long[nDims];
            for (int d = 0; d < nDims; d++) {
                shape[d] = readLong();
                if (shape[d] < 0) {
                    throw error("tensor '" + name + "' has a negative dimension");
                }
            }
            int typeId = readInt();
            GgmlType type = GgmlType.byId(typeId).orElseThrow(() -> error("tensor '" + name + "' has type "
                    + GgmlType.describe(typeId) + ", which this engine does not support"));
            long offset = readLong();
            if (shape[0] % type.blockSize != 0) {
                throw error("tensor '" + name + "' row width " + shape[0] + " is not a multiple of the "
                        + type + " block size " + type.blockSize);
            }
            if (offset % alignment != 0) {
                throw error("tensor '" + name + "' offset " + offset + " is not aligned to " + alignment);
            }
            TensorInfo info = new TensorInfo(name, shape, type, offset);
            try {
                info.byteSize();
            } catch (ArithmeticException e) {
                throw error("tensor '" + name + "' shape " + info.shapeString() + " overflows");
            }
            if (infos.put(name, info) != null) {
                throw error("duplicate tensor name '" + name + "'");
            }
        }
        dataOffset = align(pos, alignment);
        for (TensorInfo t : infos.values()) {
            long end = dataOffset + t.offset() + t.byteSize();
            if (end > file.byteSize() || end < 0) {
                throw error("tensor '" + t.name() + "' ends at byte " + end + " but the file has only "
                        + file.byteSize() + " bytes: the file is truncated");
            }
        }
        tensors = Collections.unmodifiableMap(infos);
    }

    /** Opens and validates a GGUF file; the mapping lives until {@link #close()}. */
    public static GgufFile open(Path path) throws IOException {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(path.toString(), null, "no such file");
        }
        Arena arena = Arena.ofShared();
        try (channel) {
            long size = channel.size();
            MemorySegment seg = size == 0 ? MemorySegment.NULL.reinterpret(0)
                    : channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return new GgufFile(path, arena, seg);
        } catch (RuntimeException | IOException e) {
            arena.close();
            throw e;
        }
    }

    public static long align(long offset, int alignment) {
        return (offset + alignment - 1) / alignment * alignment;
    }

    private GgufFormatException error(String what) {
        return new GgufFormatException(path.getFileName() + ": " + what);
    }

    private void need(long bytes, String what) {
        if (bytes < 0 || pos + bytes > file.byteSize()) {
            throw error("unexpected end of file while reading " + what + " at byte " + pos
                    + ": the file is truncated or corrupt");
        }
    }

    private int readInt() {
        need(4, "a 32-bit value");
        int v = file.get(INT, pos);
        pos += 4;
        return v;
    }

    private long readLong() {
        need(8, "a 64-bit value");
        long v = file.get(LONG, pos);
        pos += 8;
        return v;
    }

    private String readString(String what) {
        long len = readLong();
        need(len, what);
        byte[] bytes = file.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
        pos += len;
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private MetaValue readValue(String key, ValueType type) {
        if (type != ValueType.ARRAY) {
            return MetaValue.of(type, readScalar(key, type));
        }
        int elemId = readInt();
        ValueType elem = ValueType.byId(elemId);
        if (elem == null) {
            throw error("metadata '" + key + "' is an array of unknown type " + elemId);
        }
        long count = readLong();
        long minBytes = elem.scalarSize() > 0 ? (long) elem.scalarSize() * count : 8 * count;
        if (count < 0 || count > Integer.MAX_VALUE - 8) {
            throw error("metadata '" + key + "' has an implausible array length " + count);
        }
        need(minBytes, "metadata '" + key + "'");
        int n = (int) count;
        Object array = switch (elem) {
            case UINT8, INT8 -> {
                byte[] a = file.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE);
                pos += n;
                yield a;
            }
            case BOOL -> {
                boolean[] a = new boolean[n];
                for (int i = 0; i < n; i++) {
                    a[i] = file.get(ValueLayout.JAVA_BYTE, pos + i) != 0;
                }
                pos += n;
                yield a;
            }
            case UINT16, INT16 -> {
                short[] a = new short[n];
                MemorySegment.copy(file, SHORT, pos, a, 0, n);
                pos += 2L * n;
                yield a;
            }
            case UINT32, INT32 -> {
                int[] a = new int[n];
                MemorySegment.copy(file, INT, pos, a, 0, n);
                pos += 4L * n;
                yield a;
            }
            case UINT64, INT64 -> {
                long[] a = new long[n];
                MemorySegment.copy(file, LONG, pos, a, 0, n);
                pos += 8L * n;
                yield a;
            }
            case FLOAT32 -> {
                float[] a = new float[n];
                MemorySegment.copy(file, FLOAT, pos, a, 0, n);
                pos += 4L * n;
                yield a;
            }
            case FLOAT64 -> {
                double[] a = new double[n];
                MemorySegment.copy(file, DOUBLE, pos, a, 0, n);
                pos += 8L * n;
                yield a;
            }
            case STRING -> {
                String[] a = new String[n];
                for (int i = 0; i < n; i++) {
                    a[i] = readString("metadata '" + key + "' element " + i);
                }
                yield a;
            }
            case ARRAY -> {
                MetaValue[] a = new MetaValue[n];
                for (int i = 0; i < n; i++) {
                    a[i] = readValue(key, ValueType.ARRAY);
                }
                yield a;
            }
        };
        return MetaValue.array(elem, array);
    }

    private Object readScalar(String key, ValueType type) {
        need(type == ValueType.STRING ? 8 : type.scalarSize(), "metadata '" + key + "'");
        Object v = switch (type) {
            case UINT8, INT8 -> file.get(ValueLayout.JAVA_BYTE, pos);
            case BOOL -> file.get(ValueLayout.JAVA_BYTE, pos) != 0;
            case UINT16, INT16 -> file.get(SHORT, pos);
            case UINT32, INT32 -> file.get(INT, pos);
            case UINT64, INT64 -> file.get(LONG, pos);
            case FLOAT32 -> file.get(FLOAT, pos);
            case FLOAT64 -> file.get(DOUBLE, pos);
            case STRING -> null;
            case ARRAY -> throw new IllegalStateException();
        };
        if (type == ValueType.STRING) {
            return readString("metadata '" + key + "'");
        }
        pos += type.scalarSize();
        return v;
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public Metadata metadata() {
        return metadata;
    }

    public int alignment() {
        return alignment;
    }

    public long dataOffset() {
        return dataOffset;
    }

    public long fileSize() {
        return file.byteSize();
    }

    /** Tensors in file order. */
    public List<TensorInfo> tensors() {
        return List.copyOf(tensors.values());
    }

    public Optional<TensorInfo> findTensor(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    public TensorInfo tensor(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw error("tensor '" + name + "' is missing");
        }
        return t;
    }

    /** The bytes of a tensor, as a slice of the mapped file. */
    public MemorySegment data(TensorInfo t) {
        return file.asSlice(dataOffset + t.offset(), t.byteSize());
    }

    public MemorySegment data(String name) {
        return data(tensor(name));
    }

    /** The whole mapped file. */
    public MemorySegment segment() {
        return file;
    }

    @Override
    public void close() {
        arena.close();
    }
}
