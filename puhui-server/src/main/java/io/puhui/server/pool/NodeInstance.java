package io.puhui.server.pool;

import java.util.Locale;

/**
 * A model variant a node holds and can run, as its agent reports it.
 *
 * @param model      the logical model (family) clients ask for, such as {@code qwen2.5}
 * @param variant    this variant, such as {@code qwen2.5-0.5b-q4_k_m}
 * @param format     its compression, as {@code general.file_type} names it ({@code Q4_K_M}, {@code F32}, …)
 * @param bytes      its size on disk
 * @param quality    quality score 0..1 (1 for the family's reference)
 * @param slots      requests it runs at once
 * @param decodeTps  expected generation speed per stream, tokens/s (the plane replaces it with what it measures)
 * @param prefillTps expected prompt speed, tokens/s
 * @param loaded     whether a worker has it in memory now (else the first request loads it)
 */
public record NodeInstance(String model, String variant, String format, long bytes, double quality, int slots,
                           double decodeTps, double prefillTps, boolean loaded) {

    public NodeInstance {
        if (model == null || model.isBlank() || variant == null || variant.isBlank()) {
            throw new IllegalArgumentException("an instance needs a model and a variant name");
        }
        if (!(quality >= 0 && quality <= 1) || slots < 1 || !(decodeTps > 0) || !(prefillTps > 0) || bytes < 0) {
            throw new IllegalArgumentException("instance " + variant + ": quality is 0..1, slots and speeds positive");
        }
    }

    /**
     * Quality a compression keeps, before {@code puhui eval} has measured it: the share of the reference's
     * quality, ordered as published perplexity increases of llama.cpp's formats are (8-bit all but lossless,
     * 4-bit k-quants a few percent, 2- and 3-bit ones clearly worse). Unknown formats count as 4-bit.
     */
    public static double qualityPrior(String format) {
        return switch (format == null ? "" : format.toUpperCase(Locale.ROOT)) {
            case "F32", "F16", "BF16" -> 1.0;
            case "Q8_0" -> 0.995;
            case "Q6_K" -> 0.99;
            case "Q5_K_M" -> 0.98;
            case "Q5_K_S", "Q5_1" -> 0.975;
            case "Q5_0" -> 0.97;
            case "Q4_K_M" -> 0.96;
            case "Q4_K_S" -> 0.95;
            case "Q4_1" -> 0.94;
            case "Q4_0" -> 0.93;
            case "Q3_K_L" -> 0.9;
            case "Q3_K_M" -> 0.88;
            case "Q3_K_S" -> 0.85;
            case "Q2_K" -> 0.75;
            default -> 0.93;
        };
    }

    /**
     * Generation speed before any is measured: one pass over the weights per token at {@code bytesPerSecond}
     * of memory bandwidth, capped at 1,000 tokens/s for tiny models.
     */
    public static double decodePrior(long bytes, double bytesPerSecond) {
        return Math.min(1000, bytesPerSecond / Math.max(1, bytes));
    }
}
