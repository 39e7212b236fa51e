// The fused kernels agree with plain dequantise-then-multiply maths on every tensor of the golden files,
// and the encoders reproduce llama.cpp's bytes.
package io.puhui.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import io.puhui.engine.SharedData;
import io.puhui.engine.gguf.GgmlType;
import io.puhui.engine.gguf.GgufFile;
import io.puhui.engine.gguf.TensorInfo;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class TensorFormatsTest {
    static ThreadTeam team;

    @BeforeAll
    static void start() {
        team = new ThreadTeam(2);
    }

    @AfterAll
    static void stop() {
        team.close();
    }

    static Stream<Path> goldenFiles() throws IOException {
        try (var s = Files.list(SharedData.resolve("models/quant-golden"))) {
            return s.filter(p -> p.toString().endsWith(".gguf")).sorted().toList().stream();
        }
    }

    @Test
    void goldenFilesCoverEveryFormatTheEngineClaims() throws IOException {
        Set<GgmlType> seen = EnumSet.noneOf(GgmlType.class);
        for (Path p : goldenFiles().toList()) {
            try (GgufFile f = GgufFile.open(p)) {
                f.tensors().forEach(t -> seen.add(t.type()));
            }
        }
        assertThat(seen).contains(GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1,
                GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K,
                GgmlType.Q6_K, GgmlType.IQ4_NL);
    }

    @ParameterizedTest
    @MethodSource("goldenFiles")
    void fusedDotProductsMatchDequantisedReference(Path file) throws IOException {
        SplittableRandom rnd = new SplittableRandom(7);
        try (GgufFile f = GgufFile.open(file)) {
            for (TensorInfo t : f.tensors()) {
                if (t.shape().length != 2) {
                    continue;
                }
                int cols = (int) t.shape()[0];
                int rows = (int) t.shape()[1];
                WeightMatrix w = new WeightMatrix(t.name(), t.type(), rows, cols, f.data(t));
                float[] x = new float[cols];
                for (int i = 0; i < cols; i++) {
                    x[i] = (float) rnd.nextGaussian();
                }
                float[] out = new float[rows];
                w.matvec(team, x, out);
                float[] row = new float[cols];
                for (int r = 0; r < rows; r++) {
                    w.dequantizeRow(r, row, 0);
                    double ref = 0;
                    double mag = 0;
                    for (int i = 0; i < cols; i++) {
                        ref += (double) row[i] * x[i];
                        mag += Math.abs((double) row[i] * x[i]);
                    }
                    assertThat((double) out[r]).as("%s %s row %d", file.getFileName(), t, r)
                            .isCloseTo(ref, org.assertj.core.data.Offset.offset(1e-5 * mag + 1e-6));
                }
                // a batch gives the same as one vector at a time
                float[][] xs = {x, x.clone(), new float[cols], x.clone(), x.clone(), x};
                float[][] outs = new float[6][rows];
                w.matmul(team, xs, outs, 6);
                for (int r = 0; r < rows; r++) {
                    assertThat(outs[0][r]).isCloseTo(out[r], org.assertj.core.data.Offset.offset(1e-4f * (1 + Math.abs(out[r]))));
                    assertThat(outs[2][r]).isZero();
                    assertThat(outs[5][r]).isCloseTo(out[r], org.assertj.core.data.Offset.offset(1e-4f * (1 + Math.abs(out[r]))));
                    assertThat(outs[3][r]).isCloseTo(out[r], org.assertj.core.data.Offset.offset(1e-4f * (1 + Math.abs(out[r]))));
                }
            }
        }
    }

    /** Decoding llama.cpp's quantised tensors gives back their F32 source within each format's typical error. */
    @ParameterizedTest
    @MethodSource("goldenFiles")
    void decodedTensorsMatchTheirF32Source(Path file) throws IOException {
        String name = file.getFileName().toString();
        Path source = SharedData.resolve(name.startsWith("rand1m") ? "models/quant-golden/rand1m-f32.gguf"
                : "models/stories260K-f32.gguf");
        try (GgufFile q = GgufFile.open(file); GgufFile src = GgufFile.open(source)) {
            for (TensorInfo t : q.tensors()) {
                float[] decoded = f32(q, t);
                float[] original = f32(src, src.tensor(t.name()));
                double err = 0;
                double norm = 0;
                for (int i = 0; i < decoded.length; i++) {
                    err += Math.pow(decoded[i] - original[i], 2);
                    norm += Math.pow(original[i], 2);
                }
                double nrmse = Math.sqrt(err / Math.max(norm, 1e-30));
                double bound = switch (t.type()) {
                    case F32 -> 0;
                    case F16 -> 1e-3;
                    case Q8_0 -> 0.01;
                    case Q6_K -> 0.03;
                    case Q5_0, Q5_1, Q5_K -> 0.06;
                    case Q4_0, Q4_1, Q4_K, IQ4_NL -> 0.13;
                    case Q3_K -> 0.25;
                    case Q2_K -> 0.5;
                    default -> throw new AssertionError("unexpected type " + t.type());
                };
                assertThat(nrmse).as("%s %s relative error", name, t).isLessThanOrEqualTo(bound);
                if (t.type().isQuantized()) {
                    assertThat(nrmse).as("%s %s is not trivially exact", name, t).isGreaterThan(0);
                }
            }
        }
    }

    /** The vectorised row decoders give exactly the scalar reference decoder's values. */
    @ParameterizedTest
    @MethodSource("goldenFiles")
    void vectorDecodingEqualsScalarDecoding(Path file) throws IOException {
        try (GgufFile f = GgufFile.open(file)) {
            for (TensorInfo t : f.tensors()) {
                int cols = (int) t.rowWidth();
                int rows = (int) t.rowCount();
                WeightMatrix w = new WeightMatrix(t.name(), t.type(), rows, cols, f.data(t));
                float[] fast = new float[cols];
                float[] reference = new float[cols];
                for (int r = 0; r < rows; r++) {
                    w.dequantizeRow(r, fast, 0);
                    BlockCodec.dequantize(t.type(), f.data(t), r * t.type().byteSize(cols), reference, 0, cols);
                    assertThat(fast).as("%s %s row %d", file.getFileName(), t, r).isEqualTo(reference);
                }
            }
        }
    }

    @Test
    void q8AndQ4EncodersReproduceLlamaQuantizeBytes() throws IOException {
        for (GgmlType type : List.of(GgmlType.Q8_0, GgmlType.Q4_0)) {
            Path golden = SharedData.resolve("models/quant-golden/rand1m-" + type + ".gguf");
            int compared = 0;
            try (GgufFile src = GgufFile.open(SharedData.resolve("models/quant-golden/rand1m-f32.gguf"));
                 GgufFile q = GgufFile.open(golden)) {
                for (TensorInfo t : q.tensors()) {
                    if (t.type() != type) {
                        continue;
                    }
                    float[] x = f32(src, src.tensor(t.name()));
                    MemorySegment mine = BlockEncoder.encode(type, x);
                    assertThat(mine.toArray(ValueLayout.JAVA_BYTE)).as(t.name())
                            .isEqualTo(q.data(t).toArray(ValueLayout.JAVA_BYTE));
                    compared++;
                }
            }
            assertThat(compared).as(type + " tensors compared").isGreaterThan(5);
        }
    }

    /** Row counts that fill whole vector groups or tiles take the fast kernels, others the per-row ones: same answers. */
    @Test
    void interleavedAndPerRowKernelsAgreeForAnyRowCount() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (GgmlType type : List.of(GgmlType.Q8_0, GgmlType.Q4_0)) {
            for (int rows : new int[] {1, 20, 32, 48, 67}) {
                int cols = 96;
                float[] v = new float[rows * cols];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) rnd.nextGaussian();
                }
                java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofAuto();
                MemorySegment enc = BlockEncoder.encode(type, v);
                MemorySegment mapped = arena.allocate(enc.byteSize(), 64).copyFrom(enc);
                WeightMatrix w = new WeightMatrix("w", type, rows, cols, mapped);
                float[] x = new float[cols];
                for (int i = 0; i < cols; i++) {
                    x[i] = (float) rnd.nextGaussian();
                }
                float[] out = new float[rows];
                w.matvec(team, x, out);
                float[][] batchOut = new float[5][rows];
                w.matmul(team, new float[][] {x, x, x, x, x}, batchOut, 5);
                float[] row = new float[cols];
                for (int r = 0; r < rows; r++) {
                    w.dequantizeRow(r, row, 0);
                    double ref = 0;
                    for (int i = 0; i < cols; i++) {
                        ref += (double) row[i] * x[i];
                    }
                    assertThat((double) out[r]).as("%s rows=%d row %d", type, rows, r)
                            .isCloseTo(ref, org.assertj.core.data.Offset.offset(1e-4 * (1 + Math.abs(ref))));
                    assertThat((double) w.dot(r, x, 0)).isCloseTo(ref, org.assertj.core.data.Offset.offset(1e-4 * (1 + Math.abs(ref))));
                    for (float[] bo : batchOut) {
                        assertThat((double) bo[r]).isCloseTo(ref, org.assertj.core.data.Offset.offset(1e-4 * (1 + Math.abs(ref))));
                    }
                }
            }
        }
    }

    @Test
    void f16AndBf16Decode() {
        float[] x = {1.5f, -2.25f, 65504f, 0f, 3.14159f};
        MemorySegment h = BlockEncoder.encode(GgmlType.F16, x);
        float[] back = new float[5];
        BlockCodec.dequantize(GgmlType.F16, h, 0, back, 0, 5);
        assertThat(back).containsExactly(1.5f, -2.25f, 65504f, 0f, Float.float16ToFloat(Float.floatToFloat16(3.14159f)));
        MemorySegment bf = MemorySegment.ofArray(new short[] {(short) 0x3FC0, (short) 0xC010});
        BlockCodec.dequantize(GgmlType.BF16, bf, 0, back, 0, 2);
        assertThat(back[0]).isEqualTo(1.5f);
        assertThat(back[1]).isEqualTo(-2.25f);
    }

    @Test
    void threadTeamCoversEveryRowOnceAndPropagatesFailures() {
        int[] hits = new int[1000];
        team.forRange(1000, 7, (s, e) -> {
            for (int i = s; i < e; i++) {
                hits[i]++;
            }
        });
        assertThat(hits).containsOnly(1);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> team.forRange(100, 1, (s, e) -> {
            if (s > 50) {
                throw new IllegalStateException("boom");
            }
        })).hasMessage("boom");
    }

    static float[] f32(GgufFile f, TensorInfo t) {
        float[] x = new float[(int) t.elementCount()];
        BlockCodec.dequantize(t.type(), f.data(t), 0, x, 0, x.length);
        return x;
    }
}
