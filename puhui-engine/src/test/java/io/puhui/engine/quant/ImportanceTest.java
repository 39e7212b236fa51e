package io.puhui.engine.quant;

import static org.assertj.core.api.Assertions.assertThat;

import io.puhui.engine.model.Model;
import io.puhui.engine.tensor.ThreadTeam;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Importance collected on one text lowers the divergence measured on another. */
class ImportanceTest {
    @TempDir
    static Path dir;

    static ImportanceMatrix matrix;

    @BeforeAll
    static void collect() throws IOException {
        try (Model m = Model.load(FidelityFixture.PARENT); ThreadTeam team = new ThreadTeam(2)) {
            int[] toks = FidelityFixture.tokens(m, "calibration.txt");
            matrix = ImportanceCollector.collect(m, toks, FidelityFixture.CTX, toks[0], false, "calibration.txt", team,
                    (d, t) -> {
                    });
        }
    }

    @Test
    void collectsEveryBlockMatrixWithOneCountPerToken() {
        // 5 blocks x 7 matrices; the output matrix only on request
        assertThat(matrix.entries()).hasSize(35).doesNotContainKey("output.weight");
        ImportanceMatrix.Entry q = matrix.entries().get("blk.0.attn_q.weight");
        assertThat(q.count()).isEqualTo((long) matrix.chunkCount() * FidelityFixture.CTX);
        assertThat(q.sumSquares()).hasSize(64);
        assertThat(java.util.Arrays.stream(q.sumSquares()).allMatch(v -> v > 0)).isTrue();
        assertThat(matrix.entries().get("blk.4.ffn_down.weight").sumSquares()).hasSize(172);
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_K_M", "Q3_K_M"})
    void lowersKlAtTheSameSize(QuantMix mix) throws IOException {
        Path plain = dir.resolve(mix + ".gguf");
        Path weighted = dir.resolve(mix + "-imatrix.gguf");
        ModelCompressor.compress(FidelityFixture.PARENT, plain, ModelCompressor.Options.of(mix, 2));
        ModelCompressor.compress(FidelityFixture.PARENT, weighted, new ModelCompressor.Options(mix, 2,
                matrix.columns(), Map.of(), Map.of(), ModelCompressor.Progress.NONE));
        var a = FidelityFixture.compare(plain, "evaluation.txt");
        var b = FidelityFixture.compare(weighted, "evaluation.txt");
        assertThat(java.nio.file.Files.size(weighted)).isEqualTo(java.nio.file.Files.size(plain));
        assertThat(b.meanKl()).as("KL with importance vs without (%s)", a.meanKl()).isLessThan(a.meanKl());
    }
}
