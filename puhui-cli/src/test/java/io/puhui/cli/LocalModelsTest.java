package io.puhui.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.puhui.engine.SharedData;
import io.puhui.server.pool.NodeInstance;
import io.puhui.server.store.ModelRecords;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a node offers the pool: its files and stored models, each with a quality declared, measured or assumed. */
class LocalModelsTest {

    @TempDir
    Path home;

    @Test
    void qualityIsDeclaredOrMeasuredOrTheFormatsPrior() {
        Path f32 = SharedData.stories260K();
        try (Store store = Store.open(home, null)) {
            store.db.models().put(new ModelRecords.ModelRecord("measured", f32.toString(), 1, "ab".repeat(32),
                    "import:" + f32, Instant.EPOCH, new ModelRecords.Lineage("cd".repeat(32), "Q4_K_M", 0.02, 0.91)));
            store.db.models().put(new ModelRecords.ModelRecord("plain", f32.toString(), 1, "ef".repeat(32),
                    "import:" + f32, Instant.EPOCH, null));
            LocalModels m = new LocalModels(Map.of("declared", f32, "file", f32), store, 4, 16, 512, 1, 1 << 20,
                    Map.of("declared", 0.5));
            List<NodeInstance> offered = m.instances(name -> name.equals("file"));
            assertThat(offered).extracting(NodeInstance::model).containsExactlyInAnyOrder("declared", "file", "measured", "plain");
            Map<String, NodeInstance> by = new java.util.HashMap<>();
            offered.forEach(i -> by.put(i.model(), i));
            assertThat(by.get("declared").quality()).isEqualTo(0.5);
            assertThat(by.get("measured").quality()).as("top-1 agreement with its parent").isEqualTo(0.91);
            assertThat(by.get("plain").quality()).as("F32: the prior").isEqualTo(1.0);
            assertThat(by.get("file").format()).isEqualTo("F32");
            assertThat(by.get("file").variant()).isEqualTo("stories260K-f32");
            assertThat(by.get("file").loaded()).isTrue();
            assertThat(by.get("plain").loaded()).isFalse();
            assertThat(by.get("file").slots()).isEqualTo(4);
        }
    }

    @Test
    void aFileWithItsCompressionRecordBesideItTakesTheMeasuredAgreement() throws Exception {
        Path copy = Files.copy(SharedData.stories260K(), home.resolve("small.gguf"));
        Files.writeString(home.resolve("small.gguf.record.json"), "{\"record\": \"" + CompressionRecord.FORMAT
                + "\", \"bytes\": " + Files.size(copy) + ", \"parent\": {\"sha256\": \"" + "ab".repeat(32)
                + "\"}, \"method\": {\"type\": \"Q4_K_M\"}, \"fidelity\": {\"kl_mean\": 0.03, \"top1_agreement\": 0.88}}");
        Path other = Files.copy(SharedData.stories260K(), home.resolve("other.gguf"));
        Files.writeString(home.resolve("other.gguf.record.json"), "{\"record\": \"" + CompressionRecord.FORMAT
                + "\", \"bytes\": 1, \"parent\": {\"sha256\": \"" + "ab".repeat(32) + "\"}, "
                + "\"fidelity\": {\"top1_agreement\": 0.5}}");
        LocalModels m = new LocalModels(Map.of("small", copy, "other", other), null, 1, 1, 512, 1, 1 << 20, Map.of());
        Map<String, NodeInstance> by = new java.util.HashMap<>();
        m.instances(name -> false).forEach(i -> by.put(i.model(), i));
        assertThat(by.get("small").quality()).as("what eval measured against its parent").isEqualTo(0.88);
        assertThat(by.get("other").quality()).as("a record of another file (its size differs) is not believed")
                .isEqualTo(1.0);
    }
}
