// Writes GGUF v3 files: metadata in the given order, tensor data aligned and padded as llama.cpp writes it.
// The file is written under a temporary name and renamed when complete, so no half file carries the final name.
package io.puhui.engine.gguf;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

public final class GgufWriter {

    /** One tensor of the file: its header fields, and how its bytes get written. */
    public sealed interface Entry permits Tensor, Streamed {
        String name();

        GgmlType type();

        long[] shape();

        long byteSize();

        void writeData(OutputStream out) throws IOException;
    }

    /** Writes a tensor's bytes when the file reaches them, so a large model need not be held in memory. */
    @FunctionalInterface
    public interface DataWriter {
        void write(OutputStream out) throws IOException;
    }

    /** A tensor to write: its bytes come from {@code data}, already in {@code type}'s encoding. */
    public record Tensor(String name, GgmlType type, long[] shape, MemorySegment data) implements Entry {
        public Tensor {
            long expected = checkedByteSize(name, type, shape);
            if (data.byteSize() != expected) {
                throw new IllegalArgumentException(name + ": " + data.byteSize() + " bytes given, "
                        + type + " " + java.util.Arrays.toString(shape) + " needs " + expected);
            }
        }

        public static Tensor f32(String name, float[] values, long... shape) {
            return new Tensor(name, GgmlType.F32, shape, MemorySegment.ofArray(values));
        }

        @Override
        public long byteSize() {
            return data.byteSize();
        }

        @Override
        public void writeData(OutputStream out) throws IOException {
            byte[] chunk = new byte[(int) Math.min(1 << 16, Math.max(1, data.byteSize()))];
            for (long p = 0; p < data.byteSize(); p += chunk.length) {
                int n = (int) Math.min(chunk.length, data.byteSize() - p);
                MemorySegment.copy(data, ValueLayout.JAVA_BYTE, p, chunk, 0, n);
                out.write(chunk, 0, n);
            }
        }
    }

    /** A tensor whose bytes {@code writer} produces while the file is written; it must write exactly its size. */
    public record Streamed(String name, GgmlType type, long[] shape, DataWriter writer) implements Entry {
        public Streamed {
            checkedByteSize(name, type, shape);
        }

        @Override
        public long byteSize() {
            return checkedByteSize(name, type, shape);
        }

        @Override
        public void writeData(OutputStream out) throws IOException {
            writer.write(out);
        }
    }

    private static long checkedByteSize(String name, GgmlType type, long[] shape) {
        if (shape.length < 1 || shape.length > 4) {
            throw new IllegalArgumentException(name + ": 1 to 4 dimensions, got " + shape.length);
        }
        long elements = 1;
        for (long d : shape) {
            elements = Math.multiplyExact(elements, d);
        }
        if (shape[0] % type.blockSize != 0) {
            throw new IllegalArgumentException(name + ": row width " + shape[0]
                    + " is not a multiple of the " + type + " block size " + type.blockSize);
        }
        return type.byteSize(elements);
    }

    private final Metadata metadata;
    private final List<Entry> tensors = new ArrayList<>();

    public GgufWriter(Metadata metadata) {
        this.metadata = metadata;
    }

    public GgufWriter add(Entry t) {
        for (Entry existing : tensors) {
            if (existing.name().equals(t.name())) {
                throw new IllegalArgumentException("duplicate tensor name '" + t.name() + "'");
            }
        }
        tensors.add(t);
        return this;
    }

    private int alignment() {
        return metadata.get(GgufFile.ALIGNMENT_KEY).map(v -> (int) v.asLong()).orElse(GgufFile.DEFAULT_ALIGNMENT);
    }

    /** The size of the file {@link #write} would produce, without producing any tensor data. */
    public long fileSize() throws IOException {
        Counting header = new Counting(OutputStream.nullOutputStream());
        writeHeader(header);
        long size = header.count;
        for (Entry t : tensors) {
            size = GgufFile.align(size + t.byteSize(), alignment());
        }
        return size;
    }

    public void write(Path target) throws IOException {
        write(target, null);
    }

    /** {@link #write(Path)}, feeding every byte written to {@code digest} too (when it is not null). */
    public void write(Path target, java.security.MessageDigest digest) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".part");
        try {
            OutputStream file = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20);
            try (OutputStream out = digest != null ? new java.security.DigestOutputStream(file, digest) : file) {
                writeTo(out);
            }
            // temporary files are created owner-only; a model file is ordinary data, readable like any other
            try {
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException notPosix) {
                // Windows: the default ACL applies
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    public void writeTo(OutputStream raw) throws IOException {
        Counting out = new Counting(raw);
        int alignment = alignment();
        writeHeader(out);
        for (Entry t : tensors) {
            long start = out.count;
            t.writeData(out);
            if (out.count - start != t.byteSize()) {
                throw new IllegalStateException(t.name() + ": " + (out.count - start) + " bytes written, "
                        + t.byteSize() + " expected");
            }
            out.pad(alignment);
        }
        out.flush();
    }

    /** Magic, counts, metadata and tensor infos, padded to the alignment: everything before the data. */
    private void writeHeader(Counting out) throws IOException {
        int alignment = alignment();
        out.i32(GgufFile.MAGIC);
        out.i32(3);
        out.i64(tensors.size());
        out.i64(metadata.size());
        for (var e : metadata.entries().entrySet()) {
            out.string(e.getKey());
            out.i32(e.getValue().type().id);
            writeValue(out, e.getValue());
        }
        long offset = 0;
        for (Entry t : tensors) {
            out.string(t.name());
            out.i32(t.shape().length);
            for (long d : t.shape()) {
                out.i64(d);
            }
            out.i32(t.type().id);
            out.i64(offset);
            offset = GgufFile.align(offset + t.byteSize(), alignment);
        }
        out.pad(alignment);
    }

    private static void writeValue(Counting out, MetaValue v) throws IOException {
        if (v.type() != ValueType.ARRAY) {
            writeScalar(out, v.type(), v.value());
            return;
        }
        out.i32(v.elementType().id);
        out.i64(v.arrayLength());
        switch (v.value()) {
            case byte[] a -> out.write(a, 0, a.length);
            case boolean[] a -> {
                for (boolean b : a) {
                    out.write(b ? 1 : 0);
                }
            }
            case short[] a -> {
                for (short s : a) {
                    out.i16(s);
                }
            }
            case int[] a -> {
                for (int i : a) {
                    out.i32(i);
                }
            }
            case long[] a -> {
                for (long l : a) {
                    out.i64(l);
                }
            }
            case float[] a -> {
                for (float f : a) {
                    out.i32(Float.floatToRawIntBits(f));
                }
            }
            case double[] a -> {
                for (double d : a) {
                    out.i64(Double.doubleToRawLongBits(d));
                }
            }
            case String[] a -> {
                for (String s : a) {
                    out.string(s);
                }
            }
            case MetaValue[] a -> {
                for (MetaValue m : a) {
                    writeValue(out, m);
                }
            }
            default -> throw new IllegalArgumentException("unsupported array value " + v.value().getClass());
        }
    }

    private static void writeScalar(Counting out, ValueType type, Object value) throws IOException {
        switch (type) {
            case UINT8, INT8 -> out.write(((Number) value).byteValue());
            case BOOL -> out.write(((Boolean) value) ? 1 : 0);
            case UINT16, INT16 -> out.i16(((Number) value).shortValue());
            case UINT32, INT32 -> out.i32(((Number) value).intValue());
            case UINT64, INT64 -> out.i64(((Number) value).longValue());
            case FLOAT32 -> out.i32(Float.floatToRawIntBits(((Number) value).floatValue()));
            case FLOAT64 -> out.i64(Double.doubleToRawLongBits(((Number) value).doubleValue()));
            case STRING -> out.string((String) value);
            case ARRAY -> throw new IllegalArgumentException("nested array without element type");
        }
    }

    /** Little-endian primitive writes with a byte count, for alignment padding. */
    private static final class Counting extends OutputStream {
        private final OutputStream out;
        private final ByteBuffer buf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        long count;

        Counting(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        void i16(short v) throws IOException {
            buf.clear();
            buf.putShort(v);
            write(buf.array(), 0, 2);
        }

        void i32(int v) throws IOException {
            buf.clear();
            buf.putInt(v);
            write(buf.array(), 0, 4);
        }

        void i64(long v) throws IOException {
            buf.clear();
            buf.putLong(v);
            write(buf.array(), 0, 8);
        }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            write(b, 0, b.length);
        }

        void pad(int alignment) throws IOException {
            while (count % alignment != 0) {
                write(0);
            }
        }
    }
}
