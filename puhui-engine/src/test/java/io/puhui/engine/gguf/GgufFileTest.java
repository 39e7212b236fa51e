// GGUF reading, writing and the errors for damaged files.
package io.puhui.engine.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.puhui.engine.SharedData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufFileTest {
    @TempDir
    Path tmp;

    @Test
    void readsStoriesMetadataAndTensors() throws IOException {
        try (GgufFile f = GgufFile.open(SharedData.stories260K())) {
            assertThat(f.version()).isEqualTo(3);
            assertThat(f.metadata().getString("general.architecture")).isEqualTo("llama");
            assertThat(f.metadata().getInt("llama.embedding_length")).isEqualTo(64);
            assertThat(f.metadata().getStringArray("tokenizer.ggml.tokens")).hasSize(512);
            assertThat(f.tensors()).hasSize(48);
            TensorInfo emb = f.tensor("token_embd.weight");
            assertThat(emb.shape()).containsExactly(64, 512);
            assertThat(emb.type()).isEqualTo(GgmlType.F32);
            assertThat(f.data(emb).byteSize()).isEqualTo(64 * 512 * 4);
        }
    }

    @Test
    void rewritingAFileReproducesItByteForByte() throws IOException {
        for (String name : new String[] {"models/stories260K-f32.gguf", "models/quant-golden/rand1m-Q4_K_M.gguf"}) {
            Path src = SharedData.resolve(name);
            Path out = tmp.resolve("copy.gguf");
            try (GgufFile f = GgufFile.open(src)) {
                GgufWriter w = new GgufWriter(f.metadata().copy());
                for (TensorInfo t : f.tensors()) {
                    w.add(new GgufWriter.Tensor(t.name(), t.type(), t.shape(), f.data(t)));
                }
                w.write(out);
            }
            assertThat(Files.readAllBytes(out)).as(name).isEqualTo(Files.readAllBytes(src));
        }
    }

    @Test
    void writesEveryMetadataTypeAndReadsItBack() throws IOException {
        Metadata m = new Metadata()
                .putString("s", "普惠 text")
                .put("u8", MetaValue.of(ValueType.UINT8, (byte) 200))
                .put("i16", MetaValue.of(ValueType.INT16, (short) -5))
                .putUInt32("u32", 0xFFFFFFF0)
                .put("i64", MetaValue.of(ValueType.INT64, -7L))
                .put("f64", MetaValue.of(ValueType.FLOAT64, 2.5))
                .putBool("b", true)
                .put("strs", MetaValue.array(ValueType.STRING, new String[] {"a", "", "ü"}))
                .put("ints", MetaValue.array(ValueType.INT32, new int[] {1, -2, 3}))
                .put("floats", MetaValue.array(ValueType.FLOAT32, new float[] {0.5f}));
        Path out = tmp.resolve("m.gguf");
        new GgufWriter(m).add(GgufWriter.Tensor.f32("t", new float[] {1, 2, 3, 4, 5, 6}, 3, 2)).write(out);
        try (GgufFile f = GgufFile.open(out)) {
            Metadata r = f.metadata();
            assertThat(r.keys()).containsExactlyElementsOf(m.keys());
            assertThat(r.getString("s")).isEqualTo("普惠 text");
            assertThat(r.getLong("u8")).isEqualTo(200);
            assertThat(r.getLong("i16")).isEqualTo(-5);
            assertThat(r.getLong("u32")).isEqualTo(0xFFFFFFF0L);
            assertThat(r.getLong("i64")).isEqualTo(-7);
            assertThat(r.getFloat("f64")).isEqualTo(2.5f);
            assertThat(r.getBool("b", false)).isTrue();
            assertThat(r.getStringArray("strs")).containsExactly("a", "", "ü");
            assertThat(r.getIntArray("ints")).containsExactly(1, -2, 3);
            assertThat(r.getFloatArray("floats")).containsExactly(0.5f);
            MemorySegment d = f.data("t");
            assertThat(d.toArray(ValueLayout.JAVA_FLOAT)).containsExactly(1, 2, 3, 4, 5, 6);
            assertThat(f.tensor("t").rowWidth()).isEqualTo(3);
        }
    }

    @Test
    void truncatedFileIsReportedAsTruncated() throws IOException {
        byte[] all = Files.readAllBytes(SharedData.stories260K());
        Path cut = tmp.resolve("cut.gguf");
        Files.write(cut, Arrays.copyOf(all, all.length - 1000));
        assertThatThrownBy(() -> GgufFile.open(cut)).isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("truncated");
        Files.write(cut, Arrays.copyOf(all, 300));
        assertThatThrownBy(() -> GgufFile.open(cut)).isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("truncated");
    }

    @Test
    void wrongMagicSaysItIsNotGguf() throws IOException {
        Path p = tmp.resolve("x.gguf");
        Files.writeString(p, "this is a text file, not a model at all");
        assertThatThrownBy(() -> GgufFile.open(p)).isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("not a GGUF file");
    }

    @Test
    void unknownTensorTypeIsNamed() throws IOException {
        Path p = tmp.resolve("t.gguf");
        new GgufWriter(new Metadata()).add(GgufWriter.Tensor.f32("w", new float[32], 32)).write(p);
        byte[] b = Files.readAllBytes(p);
        // header 24 bytes, then tensor info: name (8 + 1), n_dims (4), dim (8), then the type id
        int typeAt = 24 + 8 + 1 + 4 + 8;
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(typeAt, 16);
        Files.write(p, b);
        assertThatThrownBy(() -> GgufFile.open(p)).isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("IQ2_XXS").hasMessageContaining("does not support");
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(typeAt, 99);
        Files.write(p, b);
        assertThatThrownBy(() -> GgufFile.open(p)).hasMessageContaining("unknown type 99");
    }

    @Test
    void versionOneIsRefusedWithAHint() throws IOException {
        Path p = tmp.resolve("v1.gguf");
        ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(GgufFile.MAGIC).putInt(1);
        Files.write(p, b.array());
        assertThatThrownBy(() -> GgufFile.open(p)).hasMessageContaining("version 1 is no longer supported");
    }
}
