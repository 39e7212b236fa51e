package io.puhui.engine.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.puhui.engine.SharedData;
import io.puhui.engine.gguf.GgmlType;
import io.puhui.engine.gguf.GgufFile;
import io.puhui.engine.gguf.GgufFormatException;
import io.puhui.engine.gguf.MetaValue;
import io.puhui.engine.gguf.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ModelCompressorTest {
    @TempDir
    Path dir;

    private final Path rand = SharedData.resolve("models/quant-golden/rand1m-f32.gguf");

    @Test
    void legacyTypeOnRowsThatAreNotWholeBlocksKeepsThoseTensorsAtF16() throws IOException {
        // llama-quantize refuses Q4_0 for stories260K (its FFN rows are 172 wide); here those tensors stay F16
        Path out = dir.resolve("o.gguf");
        ModelCompressor.compress(SharedData.stories260K(), out, ModelCompressor.Options.of(QuantMix.Q4_0, 1));
        try (GgufFile f = GgufFile.open(out)) {
            assertThat(f.tensor("blk.0.ffn_down.weight").type()).isEqualTo(GgmlType.F16);
            assertThat(f.tensor("blk.0.ffn_up.weight").type()).isEqualTo(GgmlType.Q4_0);
            assertThat(f.tensor("output.weight").type()).isEqualTo(GgmlType.Q8_0);
        }
    }

    @Test
    void refusesToOverwriteItsInputAndToGrowTheModel() throws IOException {
        Path copy = dir.resolve("in.gguf");
        Files.copy(rand, copy);
        assertThatThrownBy(() -> ModelCompressor.compress(copy, copy, ModelCompressor.Options.of(QuantMix.Q8_0, 1)))
                .hasMessageContaining("is the input");
        assertThatThrownBy(() -> ModelCompressor.compress(copy, dir.resolve("f32.gguf"),
                ModelCompressor.Options.of(QuantMix.F32, 1)))
                .hasMessageContaining("would not be smaller");
        assertThat(Files.readAllBytes(copy)).isEqualTo(Files.readAllBytes(rand));
    }

    @Test
    void refusesAlreadyQuantizedWeights() {
        Path q8 = SharedData.resolve("models/quant-golden/rand1m-Q8_0.gguf");
        assertThatThrownBy(() -> ModelCompressor.compress(q8, dir.resolve("o.gguf"),
                ModelCompressor.Options.of(QuantMix.Q4_0, 1)))
                .hasMessageContaining("is stored as Q8_0").hasMessageContaining("F32, F16 or BF16");
    }

    @Test
    void corruptInputIsAFormatError() throws IOException {
        Path bad = dir.resolve("bad.gguf");
        byte[] head = Files.readAllBytes(rand);
        Files.write(bad, java.util.Arrays.copyOf(head, 4000));
        assertThatThrownBy(() -> ModelCompressor.compress(bad, dir.resolve("o.gguf"),
                ModelCompressor.Options.of(QuantMix.Q8_0, 1))).isInstanceOf(GgufFormatException.class);
        assertThat(dir.resolve("o.gguf")).doesNotExist();
    }

    @ParameterizedTest
    @EnumSource(names = {"F16", "BF16"})
    void halfPrecisionTargetsAndInputs(QuantMix half) throws IOException {
        Path h = dir.resolve(half + ".gguf");
        ModelCompressor.compress(rand, h, ModelCompressor.Options.of(half, 2));
        try (GgufFile f = GgufFile.open(h)) {
            assertThat(f.tensor("blk.0.attn_q.weight").type()).isEqualTo(half.defaultType);
            assertThat(f.tensor("blk.0.attn_norm.weight").type()).isEqualTo(GgmlType.F32);
            assertThat(f.metadata().getInt("general.file_type")).isEqualTo(half.fileType);
        }
        Path q = dir.resolve(half + "-q6k.gguf");
        ModelCompressor.compress(h, q, ModelCompressor.Options.of(QuantMix.Q6_K, 1));
        try (GgufFile f = GgufFile.open(q)) {
            assertThat(f.tensor("blk.0.attn_q.weight").type()).isEqualTo(GgmlType.Q6_K);
        }
        assertThatThrownBy(() -> ModelCompressor.compress(h, dir.resolve("same.gguf"),
                ModelCompressor.Options.of(half, 1))).hasMessageContaining("would not be smaller");
    }

    @Test
    void bf16RoundsToNearestEvenAndKeepsNaN() {
        assertThat(Quantizer.toBf16(1.0f)).isEqualTo((short) 0x3F80);
        assertThat(Quantizer.toBf16(Float.intBitsToFloat(0x3F808000))).isEqualTo((short) 0x3F80); // tie, even stays
        assertThat(Quantizer.toBf16(Float.intBitsToFloat(0x3F818000))).isEqualTo((short) 0x3F82); // tie, odd rounds up
        assertThat(Quantizer.toBf16(Float.intBitsToFloat(0x3F808001))).isEqualTo((short) 0x3F81);
        assertThat(Quantizer.toBf16(Float.NaN) & 0x7FC0).isEqualTo(0x7FC0);
    }

    @Test
    void extraMetadataGoesAfterTheFileType() throws IOException {
        Path out = dir.resolve("o.gguf");
        ModelCompressor.compress(rand, out, new ModelCompressor.Options(QuantMix.Q8_0, 2, Map.of(), Map.of(),
                Map.of("puhui.parent.sha256", MetaValue.string("abc")), ModelCompressor.Progress.NONE));
        try (GgufFile f = GgufFile.open(out)) {
            List<String> keys = List.copyOf(f.metadata().keys());
            assertThat(keys.subList(keys.size() - 3, keys.size()))
                    .containsExactly("general.quantization_version", "general.file_type", "puhui.parent.sha256");
        }
    }

    @Test
    void importanceMatrixRoundTripsThroughItsGgufForm() throws IOException {
        ImportanceMatrix m = new ImportanceMatrix(Map.of("blk.0.attn_q.weight",
                new ImportanceMatrix.Entry(new double[] {4, 9, 0}, 2)), List.of("calib.txt"), 3, 512);
        Path p = dir.resolve("m.imatrix");
        m.write(p);
        ImportanceMatrix back = ImportanceMatrix.read(p);
        assertThat(back.datasets()).containsExactly("calib.txt");
        assertThat(back.chunkCount()).isEqualTo(3);
        assertThat(back.chunkSize()).isEqualTo(512);
        assertThat(back.columns().get("blk.0.attn_q.weight")).containsExactly(2f, 4.5f, 0f);
        assertThatThrownBy(() -> ImportanceMatrix.read(rand)).hasMessageContaining("no importance data");
    }

    @Test
    void readsTheLegacyImatrixLayoutToo() throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(200).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        byte[] name = "blk.0.ffn_up.weight".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        b.putInt(1).putInt(name.length).put(name).putInt(4).putInt(3).putFloat(8f).putFloat(2f).putFloat(0f);
        byte[] ds = "wiki.txt".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        b.putInt(10).putInt(ds.length).put(ds);
        bytes.write(b.array(), 0, b.position());
        Path p = dir.resolve("old.dat");
        Files.write(p, bytes.toByteArray());
        ImportanceMatrix m = ImportanceMatrix.read(p);
        assertThat(m.columns().get("blk.0.ffn_up.weight")).containsExactly(2f, 0.5f, 0f);
        assertThat(m.chunkCount()).isEqualTo(10);
        assertThat(m.datasets()).containsExactly("wiki.txt");
        Files.write(p, java.util.Arrays.copyOf(bytes.toByteArray(), 30));
        assertThatThrownBy(() -> ImportanceMatrix.read(p)).isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("ends early");
    }

    @Test
    void importanceForTheWrongShapeIsRefused() {
        var o = new ModelCompressor.Options(QuantMix.Q4_K_M, 1, Map.of("blk.0.attn_q.weight", new float[7]), Map.of(),
                Map.of(), ModelCompressor.Progress.NONE);
        assertThatThrownBy(() -> ModelCompressor.compress(rand, dir.resolve("o.gguf"), o))
                .hasMessageContaining("has 7 columns, the tensor has 256");
    }
}
