package io.puhui.engine.quant;

import static org.assertj.core.api.Assertions.assertThat;

import io.puhui.engine.SharedData;
import io.puhui.engine.gguf.GgufFile;
import io.puhui.engine.gguf.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every llama-quantize output in the shared golden set, reproduced byte for byte from its F32 parent. */
class QuantParityTest {
    @TempDir
    Path dir;

    static Stream<String> goldens() throws IOException {
        try (var s = Files.list(SharedData.resolve("models/quant-golden"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".gguf") && !n.contains("-f32"))
                    .sorted().toList().stream();
        }
    }

    @ParameterizedTest
    @MethodSource("goldens")
    void reproducesLlamaQuantizeBytes(String golden) throws IOException {
        String model = golden.substring(0, golden.indexOf('-'));
        String type = golden.substring(golden.indexOf('-') + 1, golden.length() - ".gguf".length());
        Path input = model.equals("rand1m") ? SharedData.resolve("models/quant-golden/rand1m-f32.gguf")
                : SharedData.stories260K();
        Path expected = SharedData.resolve("models/quant-golden/" + golden);
        Path out = dir.resolve(golden);
        QuantMix mix = QuantMix.parse(type).orElseThrow();
        ModelCompressor.compress(input, out, ModelCompressor.Options.of(mix, 2));

        byte[] want = Files.readAllBytes(expected);
        byte[] got = Files.readAllBytes(out);
        if (!java.util.Arrays.equals(want, got)) {
            assertThat(differences(expected, out)).as("tensors that differ from " + golden).isEmpty();
        }
        assertThat(got).as(golden).isEqualTo(want);
    }

    /** Names, types and first differing byte of the tensors that differ, for a readable failure. */
    private static List<String> differences(Path expected, Path actual) throws IOException {
        List<String> diffs = new ArrayList<>();
        try (GgufFile a = GgufFile.open(expected); GgufFile b = GgufFile.open(actual)) {
            if (!a.metadata().keys().equals(b.metadata().keys())) {
                diffs.add("metadata keys " + a.metadata().keys() + " vs " + b.metadata().keys());
            }
            for (int i = 0; i < a.tensors().size(); i++) {
                TensorInfo ta = a.tensors().get(i);
                TensorInfo tb = i < b.tensors().size() ? b.tensors().get(i) : null;
                if (tb == null || !ta.name().equals(tb.name()) || ta.type() != tb.type()) {
                    diffs.add("#" + i + " " + ta.name() + " " + ta.type() + " vs "
                            + (tb == null ? "missing" : tb.name() + " " + tb.type()));
                    continue;
                }
                long mismatch = a.data(ta).mismatch(b.data(tb));
                if (mismatch >= 0) {
                    diffs.add(ta.name() + " " + ta.type() + " first differs at byte " + mismatch);
                }
            }
        }
        return diffs;
    }
}
