package io.puhui.engine.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.puhui.engine.model.Model;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FitPlannerTest {
    @TempDir
    Path dir;

    @Test
    void honoursTheBudgetAndBeatsEveryUniformMixThatIsNoLarger() throws IOException {
        long budget = 300_000;
        int[] calib;
        try (Model m = Model.load(FidelityFixture.PARENT)) {
            calib = FidelityFixture.tokens(m, "calibration.txt");
        }
        FitPlanner.Plan plan = FitPlanner.plan(FidelityFixture.PARENT, budget, calib, FidelityFixture.CTX, calib[0], 2,
                Map.of(), (d, t, w) -> {
                });
        Path fit = dir.resolve("fit.gguf");
        ModelCompressor.compress(FidelityFixture.PARENT, fit, new ModelCompressor.Options(plan.fileType(), 2, Map.of(),
                plan.overrides(), Map.of(), ModelCompressor.Progress.NONE));
        long size = Files.size(fit);
        assertThat(size).isEqualTo(plan.fileBytes()).isLessThanOrEqualTo(budget);
        double fitKl = FidelityFixture.compare(fit, "evaluation.txt").meanKl();
        // the additive estimate from the calibration text is close to what the evaluation text measures
        assertThat(plan.expectedKl()).isBetween(fitKl * 0.5, fitKl * 2);

        int compared = 0;
        for (QuantMix mix : EnumSet.range(QuantMix.Q2_K, QuantMix.Q6_K)) {
            Path u = dir.resolve(mix + ".gguf");
            ModelCompressor.compress(FidelityFixture.PARENT, u, ModelCompressor.Options.of(mix, 2));
            if (Files.size(u) <= size) {
                double kl = FidelityFixture.compare(u, "evaluation.txt").meanKl();
                assertThat(fitKl).as("fit (%d bytes) vs uniform %s (%d bytes)", size, mix, Files.size(u))
                        .isLessThan(kl);
                compared++;
            }
        }
        assertThat(compared).isGreaterThanOrEqualTo(3);
    }

    @Test
    void aBudgetBelowTheSmallestPlanIsRefused() throws IOException {
        int[] calib;
        try (Model m = Model.load(FidelityFixture.PARENT)) {
            calib = FidelityFixture.tokens(m, "calibration.txt");
        }
        int[] few = java.util.Arrays.copyOf(calib, FidelityFixture.CTX);
        assertThatThrownBy(() -> FitPlanner.plan(FidelityFixture.PARENT, 100_000, few, FidelityFixture.CTX, few[0], 2,
                Map.of(), (d, t, w) -> {
                })).hasMessageContaining("below the smallest plan");
    }

    @Test
    void frontierDropsOptionsThatCostMoreForNoGain() {
        var f = FitPlanner.frontier(java.util.List.of(
                new FitPlanner.Option(io.puhui.engine.gguf.GgmlType.Q4_K, "Q4_K", 100, 0.5),
                new FitPlanner.Option(io.puhui.engine.gguf.GgmlType.Q5_K, "Q5_K", 120, 0.6),
                new FitPlanner.Option(io.puhui.engine.gguf.GgmlType.Q2_K, "Q2_K", 60, 0.9),
                new FitPlanner.Option(io.puhui.engine.gguf.GgmlType.Q8_0, "Q8_0", 200, 0.1)));
        assertThat(f).extracting(FitPlanner.Option::label).containsExactly("Q2_K", "Q4_K", "Q8_0");
    }
}
