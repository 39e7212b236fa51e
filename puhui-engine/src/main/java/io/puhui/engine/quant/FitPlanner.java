// Picks a type for every group of weight matrices so that the compressed file fits a size budget with the
// least loss. Sensitivity is measured, not guessed: for each group (attn_q of all blocks, ffn_down of all
// blocks, the output matrix, ...) and each candidate type, a copy of the model with only that group
// quantized is scored against the parent on calibration text, giving the KL divergence that group's choice
// costs. Treating those costs as additive, the planner starts every group at its smallest type and keeps
// buying the upgrade with the largest KL reduction per byte that still fits.
package io.puhui.engine.quant;

import io.puhui.engine.eval.Fidelity;
import io.puhui.engine.gguf.GgmlType;
import io.puhui.engine.gguf.GgufFile;
import io.puhui.engine.gguf.TensorInfo;
import io.puhui.engine.model.Model;
import io.puhui.engine.tensor.ThreadTeam;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

public final class FitPlanner {
    /** The types a group may get, smallest first. */
    static final List<GgmlType> CANDIDATES = List.of(GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K,
            GgmlType.Q6_K, GgmlType.Q8_0, GgmlType.F16);

    /**
     * One group's option: the type asked for, the types its tensors really get (after fallbacks for row widths
     * that are not whole blocks), the bytes they take, and the KL it costs alone.
     */
    public record Option(GgmlType type, String label, long bytes, double deltaKl) {
    }

    /** A group's chosen option, with the tensors it covers. */
    public record Choice(String group, List<String> tensors, Option option) {
    }

    /**
     * The plan: per-group choices, the overrides that carry them out, the exact output size, the expected
     * KL (sum of the chosen options' costs) and the mix whose file type the output declares.
     */
    public record Plan(List<Choice> choices, Map<String, GgmlType> overrides, long fileBytes, double expectedKl,
            QuantMix fileType) {
    }

    @FunctionalInterface
    public interface Progress {
        void update(int done, int total, String what);
    }

    private FitPlanner() {
    }

    /** "blk.7.attn_q.weight" → "attn_q.weight"; tensors outside the blocks are their own group. */
    static String groupOf(String tensor) {
        return MixPlanner.layerOf(tensor) >= 0 ? tensor.substring(tensor.indexOf('.', 4) + 1) : tensor;
    }

    public static Plan plan(Path input, long budget, int[] calibration, int ctx, int bos, int threads,
            Map<String, float[]> importance, Progress progress) throws IOException {
        Map<String, List<TensorInfo>> groups = new LinkedHashMap<>();
        QuantMix keep;
        try (GgufFile in = GgufFile.open(input)) {
            List<TensorInfo> ordered = new ArrayList<>(in.tensors());
            ordered.sort(MixPlanner.FILE_ORDER);
            Map<GgmlType, Long> sourceTypes = new EnumMap<>(GgmlType.class);
            for (TensorInfo t : ordered) {
                if (MixPlanner.quantizable(t)) {
                    groups.computeIfAbsent(groupOf(t.name()), g -> new ArrayList<>()).add(t);
                    sourceTypes.merge(t.type(), t.byteSize(), Long::sum);
                }
            }
            GgmlType source = sourceTypes.entrySet().stream().max(Map.Entry.comparingByValue())
                    .map(Map.Entry::getKey).orElseThrow(() -> new IllegalArgumentException(
                            input + " has no weight matrices to compress"));
            keep = switch (source) {
                case F32 -> QuantMix.F32;
                case F16 -> QuantMix.F16;
                case BF16 -> QuantMix.BF16;
                default -> throw new IllegalArgumentException("--fit needs F32, F16 or BF16 weights; " + input
                        + " is mostly " + source);
            };
        }
        Map<String, List<Option>> options = new LinkedHashMap<>();
        int total = 0;
        for (var g : groups.entrySet()) {
            total += candidates(g.getValue()).size();
        }
        int done = 0;
        Fidelity.ReferenceCache parentLogits = new Fidelity.ReferenceCache(512L << 20);
        try (GgufFile file = GgufFile.open(input); Model parent = Model.of(file); ThreadTeam team = new ThreadTeam(threads)) {
            for (var g : groups.entrySet()) {
                List<Option> opts = new ArrayList<>();
                for (var c : candidates(g.getValue()).entrySet()) {
                    Map<String, GgmlType> overrides = c.getValue();
                    long bytes = 0;
                    Map<String, Model.Replacement> replaced = new LinkedHashMap<>();
                    for (TensorInfo t : g.getValue()) {
                        GgmlType to = overrides.get(t.name());
                        bytes += to.byteSize(t.elementCount());
                        if (to != t.type()) {
                            replaced.put(t.name(), quantized(file, t, to, importance.get(t.name())));
                        }
                    }
                    double kl = 0;
                    if (!replaced.isEmpty()) {
                        try (Model m = Model.of(file, replaced)) {
                            kl = Fidelity.measure(m, parent, calibration, ctx, bos, team, Fidelity.Progress.NONE,
                                    parentLogits).meanKl();
                        }
                    }
                    String label = overrides.values().stream().distinct().map(Enum::name)
                            .collect(java.util.stream.Collectors.joining("/"));
                    opts.add(new Option(c.getKey(), label, bytes, kl));
                    progress.update(++done, total, g.getKey() + " " + c.getKey());
                }
                options.put(g.getKey(), frontier(opts));
            }
        }
        return choose(input, budget, groups, options, importance, threads);
    }

    /** A tensor of the file quantized to {@code type} in memory, as the engine would read it from a file. */
    private static Model.Replacement quantized(GgufFile file, TensorInfo t, GgmlType type, float[] importance) {
        int width = Math.toIntExact(t.rowWidth());
        float[] x = new float[Math.toIntExact(t.elementCount())];
        io.puhui.engine.tensor.BlockCodec.dequantize(t.type(), file.data(t), 0, x, 0, x.length);
        byte[] q = Quantizer.quantize(type, x, width, importance);
        java.lang.foreign.MemorySegment seg = java.lang.foreign.Arena.ofAuto().allocate(q.length, 64);
        java.lang.foreign.MemorySegment.copy(q, 0, seg, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, q.length);
        return new Model.Replacement(type, seg);
    }

    /** For each candidate type, the override of every tensor of the group (with per-tensor fallbacks). */
    private static Map<GgmlType, Map<String, GgmlType>> candidates(List<TensorInfo> tensors) {
        Map<GgmlType, Map<String, GgmlType>> out = new LinkedHashMap<>();
        List<Map<String, GgmlType>> seen = new ArrayList<>();
        for (GgmlType c : CANDIDATES) {
            Map<String, GgmlType> o = new LinkedHashMap<>();
            for (TensorInfo t : tensors) {
                o.put(t.name(), MixPlanner.compatible(t, c));
            }
            if (!seen.contains(o)) {
                seen.add(o);
                out.put(c, o);
            }
        }
        return out;
    }

    /** Options sorted by size with the ones that cost more bytes for no less KL removed. */
    static List<Option> frontier(List<Option> opts) {
        List<Option> sorted = new ArrayList<>(opts);
        sorted.sort((a, b) -> a.bytes() != b.bytes() ? Long.compare(a.bytes(), b.bytes())
                : Double.compare(a.deltaKl(), b.deltaKl()));
        List<Option> out = new ArrayList<>();
        for (Option o : sorted) {
            if (out.isEmpty() || o.deltaKl() < out.getLast().deltaKl()) {
                out.add(o);
            }
        }
        return out;
    }

    private static Plan choose(Path input, long budget, Map<String, List<TensorInfo>> groups,
            Map<String, List<Option>> options, Map<String, float[]> importance, int threads) throws IOException {
        Map<String, Integer> pick = new LinkedHashMap<>();
        options.keySet().forEach(g -> pick.put(g, 0));
        long fixed;
        long smallest;
        try (GgufFile in = GgufFile.open(input)) {
            Map<String, GgmlType> o = overrides(groups, options, pick);
            smallest = ModelCompressor.outputSize(in, new ModelCompressor.Options(QuantMix.Q4_K_M, threads,
                    importance, o, Map.of(), ModelCompressor.Progress.NONE));
        }
        fixed = smallest - tensorBytes(groups, options, pick);
        if (smallest > budget) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                    "a budget of %,d bytes is below the smallest plan (%,d bytes, every matrix at its smallest type)",
                    budget, smallest));
        }
        long used = smallest;
        while (true) {
            String bestGroup = null;
            int bestIndex = -1;
            double bestRatio = 0;
            for (var g : options.entrySet()) {
                List<Option> opts = g.getValue();
                Option cur = opts.get(pick.get(g.getKey()));
                for (int i = pick.get(g.getKey()) + 1; i < opts.size(); i++) {
                    Option next = opts.get(i);
                    long extra = aligned(groups.get(g.getKey()), next) - aligned(groups.get(g.getKey()), cur);
                    if (used + extra > budget) {
                        continue;
                    }
                    double ratio = (cur.deltaKl() - next.deltaKl()) / Math.max(1, extra);
                    if (ratio > bestRatio) {
                        bestRatio = ratio;
                        bestGroup = g.getKey();
                        bestIndex = i;
                    }
                }
            }
            if (bestGroup == null) {
                break;
            }
            List<Option> opts = options.get(bestGroup);
            used += aligned(groups.get(bestGroup), opts.get(bestIndex))
                    - aligned(groups.get(bestGroup), opts.get(pick.get(bestGroup)));
            pick.put(bestGroup, bestIndex);
        }
        Map<String, GgmlType> overrides = overrides(groups, options, pick);
        List<Choice> choices = new ArrayList<>();
        double expected = 0;
        Map<GgmlType, Long> bytesByType = new EnumMap<>(GgmlType.class);
        for (var g : options.entrySet()) {
            Option o = g.getValue().get(pick.get(g.getKey()));
            expected += o.deltaKl();
            choices.add(new Choice(g.getKey(), groups.get(g.getKey()).stream().map(TensorInfo::name).toList(), o));
            for (TensorInfo t : groups.get(g.getKey())) {
                GgmlType to = overrides.get(t.name());
                bytesByType.merge(to, to.byteSize(t.elementCount()), Long::sum);
            }
        }
        QuantMix fileType = fileTypeFor(bytesByType);
        long fileBytes;
        try (GgufFile in = GgufFile.open(input)) {
            fileBytes = ModelCompressor.outputSize(in, new ModelCompressor.Options(fileType, threads, importance,
                    overrides, Map.of(), ModelCompressor.Progress.NONE));
        }
        if (fileBytes > budget) { // cannot happen while the fixed part is as measured; a plain guard
            throw new IllegalStateException("plan of " + fileBytes + " bytes exceeds the budget " + budget
                    + " (fixed part " + fixed + ")");
        }
        return new Plan(choices, overrides, fileBytes, expected, fileType);
    }

    private static long aligned(List<TensorInfo> tensors, Option o) {
        long b = 0;
        for (TensorInfo t : tensors) {
            b += GgufFile.align(MixPlanner.compatible(t, o.type()).byteSize(t.elementCount()), 32);
        }
        return b;
    }

    private static long tensorBytes(Map<String, List<TensorInfo>> groups, Map<String, List<Option>> options,
            Map<String, Integer> pick) {
        long b = 0;
        for (var g : options.entrySet()) {
            b += aligned(groups.get(g.getKey()), g.getValue().get(pick.get(g.getKey())));
        }
        return b;
    }

    private static Map<String, GgmlType> overrides(Map<String, List<TensorInfo>> groups,
            Map<String, List<Option>> options, Map<String, Integer> pick) {
        Map<String, GgmlType> o = new LinkedHashMap<>();
        for (var g : options.entrySet()) {
            GgmlType type = g.getValue().get(pick.get(g.getKey())).type();
            for (TensorInfo t : groups.get(g.getKey())) {
                o.put(t.name(), MixPlanner.compatible(t, type));
            }
        }
        return o;
    }

    /** The named mix whose default type holds the most bytes of the plan, for general.file_type. */
    private static QuantMix fileTypeFor(Map<GgmlType, Long> bytesByType) {
        GgmlType main = bytesByType.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey)
                .orElse(GgmlType.Q4_K);
        return switch (main) {
            case Q2_K -> QuantMix.Q2_K;
            case Q3_K -> QuantMix.Q3_K_M;
            case Q4_K -> QuantMix.Q4_K_M;
            case Q5_K -> QuantMix.Q5_K_M;
            case Q6_K -> QuantMix.Q6_K;
            case Q8_0 -> QuantMix.Q8_0;
            case Q4_0, IQ4_NL -> QuantMix.Q4_0;
            case Q4_1 -> QuantMix.Q4_1;
            case Q5_0 -> QuantMix.Q5_0;
            case Q5_1 -> QuantMix.Q5_1;
            default -> QuantMix.F16;
        };
    }
}
