package io.puhui.engine.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.puhui.engine.eval.Fidelity;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FidelityTest {
    @TempDir
    Path dir;

    @Test
    void aModelComparedWithItselfHasNoDivergence() throws IOException {
        Fidelity.Report r = FidelityFixture.compare(FidelityFixture.PARENT, "evaluation.txt");
        assertThat(r.chunks()).isEqualTo(16);
        assertThat(r.tokens()).isEqualTo(16 * (128 - 1 - 64));
        assertThat(r.meanKl()).isEqualTo(0.0, within(1e-12));
        assertThat(r.maxKl()).isEqualTo(0.0, within(1e-9));
        assertThat(r.top1()).isEqualTo(1.0);
        assertThat(r.perplexity()).isEqualTo(r.referencePerplexity());
    }

    @Test
    void cachedReferenceLogitsGiveTheSameFigures() throws IOException {
        Path q = dir.resolve("q3.gguf");
        ModelCompressor.compress(FidelityFixture.PARENT, q, ModelCompressor.Options.of(QuantMix.Q3_K_M, 2));
        try (var m = io.puhui.engine.model.Model.load(q); var p = io.puhui.engine.model.Model.load(FidelityFixture.PARENT);
                var team = new io.puhui.engine.tensor.ThreadTeam(2)) {
            int[] toks = FidelityFixture.tokens(p, "evaluation.txt");
            Fidelity.Report live = Fidelity.measure(m, p, toks, 128, toks[0], team, Fidelity.Progress.NONE);
            Fidelity.ReferenceCache cache = new Fidelity.ReferenceCache(64L << 20);
            Fidelity.Report filling = Fidelity.measure(m, p, toks, 128, toks[0], team, Fidelity.Progress.NONE, cache);
            Fidelity.Report fromCache = Fidelity.measure(m, p, toks, 128, toks[0], team, Fidelity.Progress.NONE, cache);
            assertThat(filling).isEqualTo(live);
            assertThat(fromCache).isEqualTo(live);
        }
    }

    /**
     * llama-perplexity (llama.cpp d32676d, CPU) on the same file and chunking (-c 128 -b 128) printed
     * "PPL = 6.5085" for the F32 parent and, with --kl-divergence against it, "Mean KLD: 0.017952",
     * "99.0% KLD: 0.112343" for its Q4_K_M. The engines' arithmetic differs in the last bits (ggml rounds
     * activations to 8 bits for quantized products), so the figures agree closely, not exactly.
     */
    @Test
    void matchesLlamaPerplexityOnTheSameText() throws IOException {
        Path q = dir.resolve("q4km.gguf");
        ModelCompressor.compress(FidelityFixture.PARENT, q, ModelCompressor.Options.of(QuantMix.Q4_K_M, 2));
        Fidelity.Report r = FidelityFixture.compare(q, "evaluation.txt");
        assertThat(r.referencePerplexity()).isCloseTo(6.5085, within(0.005));
        assertThat(r.meanKl()).isCloseTo(0.017952, within(0.017952 * 0.05));
        assertThat(r.p99Kl()).isCloseTo(0.112343, within(0.112343 * 0.05));
        assertThat(r.top1()).isBetween(0.85, 0.99);
        assertThat(r.perplexity()).isGreaterThan(r.referencePerplexity());
    }
}
