package io.puhui.server.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.puhui.engine.SharedData;
import io.puhui.engine.gguf.GgmlType;
import io.puhui.engine.model.RandomModel;
import io.puhui.server.pool.NodeInstance;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFormatTest {

    @TempDir
    Path tmp;

    @Test
    void theFormatComesFromTheFileTypeOrElseFromTheWeights() throws Exception {
        // stories260K's converter wrote no general.file_type: its matrices are F32
        assertThat(ModelFormat.of(SharedData.stories260K())).isEqualTo("F32");
        Path q8 = tmp.resolve("q8.gguf");
        RandomModel.write(RandomModel.LLAMA_3_2_TINY, GgmlType.Q8_0, 1, q8);
        assertThat(ModelFormat.of(q8)).isEqualTo("Q8_0");
        Path junk = Files.writeString(tmp.resolve("junk.gguf"), "not a model");
        assertThat(ModelFormat.of(junk)).isEqualTo("unknown");
    }

    @Test
    void qualityPriorsFallWithCompressionAndSpeedPriorsWithSize() {
        assertThat(NodeInstance.qualityPrior("F32")).isEqualTo(1.0);
        assertThat(NodeInstance.qualityPrior("q8_0")).isGreaterThan(NodeInstance.qualityPrior("Q4_K_M"));
        assertThat(NodeInstance.qualityPrior("Q4_K_M")).isGreaterThan(NodeInstance.qualityPrior("Q2_K"));
        assertThat(NodeInstance.decodePrior(1L << 30, 10e9)).isBetween(9.0, 10.0);
        assertThat(NodeInstance.decodePrior(1000, 10e9)).isEqualTo(1000);
    }
}
