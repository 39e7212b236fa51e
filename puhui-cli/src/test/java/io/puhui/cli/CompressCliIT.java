// `puhui compress`, `puhui imatrix` and `puhui eval` as a user runs them: real processes on the shared models.
package io.puhui.cli;

import static io.puhui.cli.CliProcessIT.ourErrorLines;
import static io.puhui.cli.CliProcessIT.puhui;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.puhui.engine.SharedData;
import io.puhui.server.api.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompressCliIT {
    static final Path TEXTS = CliProcessIT.ROOT.resolve("puhui-engine/src/test/resources/text");

    @TempDir
    Path tmp;

    @Test
    void compressWritesLlamaQuantizesBytesAndARecordThatEvalCompletes() throws Exception {
        Path in = SharedData.resolve("models/quant-golden/rand1m-f32.gguf");
        Path out = tmp.resolve("r-q4km.gguf");
        CliProcessIT.Result r = puhui("compress", in.toString(), "--type", "q4_k_m", "-o", out.toString(),
                "--threads", "2");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("plan: 5 F32", "13 Q4_K", "3 Q6_K", "wrote ");
        String golden = CompressionRecord.sha256(SharedData.resolve("models/quant-golden/rand1m-Q4_K_M.gguf"));
        assertThat(CompressionRecord.sha256(out)).isEqualTo(golden);
        JsonNode rec = Json.MAPPER.readTree(CompressionRecord.pathFor(out).toFile());
        assertThat(rec.at("/parent/sha256").asText())
                .isEqualTo("be423f8092da73f8fcf9714ab3aaa3410bf4a15b997d5f3bb3e32bb713e1b269");
        assertThat(rec.at("/method/type").asText()).isEqualTo("Q4_K_M");
        assertThat(rec.get("sha256").asText()).isEqualTo(golden);
        assertThat(rec.get("fidelity").isNull()).isTrue();

        CliProcessIT.Result e = puhui("eval", "--model", out.toString(), "--reference", in.toString(), "--text",
                TEXTS.resolve("evaluation.txt").toString(), "--ctx", "128", "--json", "--threads", "2");
        assertThat(e.exit()).as(e.err()).isZero();
        JsonNode report = Json.MAPPER.readTree(e.out());
        assertThat(report.get("kl_mean").asDouble()).isPositive();
        assertThat(report.get("top1_agreement").asDouble()).isBetween(0.0, 1.0);
        assertThat(report.get("size_ratio").asDouble()).isCloseTo(904736.0 / 5784800.0,
                org.assertj.core.api.Assertions.within(1e-9));
        JsonNode stored = Json.MAPPER.readTree(CompressionRecord.pathFor(out).toFile()).get("fidelity");
        assertThat(stored.get("kl_mean").asDouble()).isEqualTo(report.get("kl_mean").asDouble());
        assertThat(stored.get("reference_sha256").asText()).isEqualTo(rec.at("/parent/sha256").asText());

        // the registry takes the variant with its lineage and lists it among the parent's variants
        Path home = tmp.resolve("home");
        Map<String, String> env = Map.of("PUHUI_HOME", home.toString());
        CliProcessIT.Result imp = CliProcessIT.run(CliProcessIT.javaCommand("import", out.toString(), "--name",
                "rand:q4_k_m"), env);
        assertThat(imp.exit()).as(imp.err()).isZero();
        assertThat(imp.out()).contains("variant of be423f8092da", "Q4_K_M");
        CliProcessIT.Result list = CliProcessIT.run(CliProcessIT.javaCommand("models", "--variants-of",
                rec.at("/parent/sha256").asText()), env);
        assertThat(list.exit()).as(list.err()).isZero();
        assertThat(list.out().lines().filter(l -> l.startsWith("rand:q4_k_m"))).singleElement().asString()
                .contains(golden.substring(0, 12), "be423f8092da", "Q4_K_M",
                        String.format(java.util.Locale.ROOT, "%.5f", report.get("kl_mean").asDouble()));
    }

    @Test
    void imatrixThenWeightedCompressionThenATable() throws Exception {
        Path stories = SharedData.stories260K();
        Path m = tmp.resolve("s.imatrix");
        CliProcessIT.Result i = puhui("imatrix", "--model", stories.toString(), "--text",
                TEXTS.resolve("calibration.txt").toString(), "--ctx", "128", "-o", m.toString(), "--threads", "2");
        assertThat(i.exit()).as(i.err()).isZero();
        assertThat(i.out()).contains("35 matrices", "chunks of 128 tokens");
        Path q = tmp.resolve("s.gguf");
        CliProcessIT.Result c = puhui("compress", stories.toString(), "--type", "Q3_K_M", "--imatrix", m.toString(),
                "-o", q.toString());
        assertThat(c.exit()).as(c.err()).isZero();
        // the keys llama-quantize writes for an importance-weighted file, with its value types
        try (io.puhui.engine.gguf.GgufFile f = io.puhui.engine.gguf.GgufFile.open(q)) {
            var meta = f.metadata();
            assertThat(meta.getString("quantize.imatrix.file")).isEqualTo(m.toString());
            assertThat(meta.getString("quantize.imatrix.dataset")).isEqualTo("calibration.txt");
            assertThat(meta.get("quantize.imatrix.entries_count").orElseThrow().type())
                    .isEqualTo(io.puhui.engine.gguf.ValueType.UINT32);
            assertThat(meta.getInt("quantize.imatrix.entries_count")).isEqualTo(35);
            assertThat(meta.get("quantize.imatrix.chunks_count").orElseThrow().type())
                    .isEqualTo(io.puhui.engine.gguf.ValueType.UINT32);
        }
        CliProcessIT.Result t = puhui("eval", "--model", q.toString(), "--reference", stories.toString(), "--text",
                TEXTS.resolve("evaluation.txt").toString(), "--ctx", "128");
        assertThat(t.exit()).as(t.err()).isZero();
        assertThat(t.out()).contains("perplexity", "reference perplexity", "KL divergence, mean", "KL divergence, p99",
                "top-1 agreement", "size ratio");
    }

    @Test
    void badInputGetsOneClearLine() throws Exception {
        Path in = SharedData.resolve("models/quant-golden/rand1m-f32.gguf");
        CliProcessIT.Result noType = puhui("compress", in.toString(), "-o", tmp.resolve("x.gguf").toString());
        assertThat(noType.exit()).isEqualTo(2);
        assertThat(ourErrorLines(noType)).singleElement().asString().contains("--type").contains("--fit");

        CliProcessIT.Result badType = puhui("compress", in.toString(), "--type", "Q7_K", "-o",
                tmp.resolve("x.gguf").toString());
        assertThat(badType.exit()).isEqualTo(2);
        assertThat(ourErrorLines(badType)).singleElement().asString().contains("unknown --type Q7_K", "Q4_K_M");

        Path corrupt = tmp.resolve("corrupt.gguf");
        Files.write(corrupt, new byte[] {'G', 'G', 'U', 'F', 3, 0, 0, 0, 1});
        CliProcessIT.Result bad = puhui("compress", corrupt.toString(), "--type", "Q8_0", "-o",
                tmp.resolve("y.gguf").toString());
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(ourErrorLines(bad)).singleElement().asString().startsWith("puhui: cannot read model");
        assertThat(tmp.resolve("y.gguf")).doesNotExist();

        CliProcessIT.Result noText = puhui("compress", in.toString(), "--fit", "1MiB", "-o",
                tmp.resolve("z.gguf").toString());
        assertThat(noText.exit()).isEqualTo(2);
        assertThat(ourErrorLines(noText)).singleElement().asString().contains("--text");
    }
}
