// Chooses each tensor's type for a compression target, by llama-quantize's rules: which tensors are weights
// to quantize at all, which ones a "mostly" mix keeps at higher precision (output, attention V, some FFN-down
// layers, ...), and the fallback when a row is not a whole number of blocks. It also fixes the tensor order
// (tensors outside the blocks first, then block by block, names sorted inside each group).
package io.puhui.engine.quant;

import io.puhui.engine.gguf.GgmlType;
import io.puhui.engine.gguf.GgufFile;
import io.puhui.engine.gguf.Metadata;
import io.puhui.engine.gguf.TensorInfo;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

public final class MixPlanner {

    /** One output tensor: where it comes from and the type it is written in. */
    public record Planned(TensorInfo source, GgmlType type) {
        public boolean converted() {
            return type != source.type();
        }

        public long outputBytes() {
            return type.byteSize(source.elementCount());
        }
    }

    private enum Category {
        OUTPUT, TOKEN_EMBD, ATTN_V, ATTN_QKV, ATTN_K, ATTN_Q, ATTN_OUTPUT, FFN_DOWN, OTHER
    }

    private final QuantMix mix;
    private final boolean hasImportance;
    private final String arch;
    private final int nLayer;
    private final int nExpert;
    private final int nGqa;
    private final boolean is70B;
    private final boolean hasOutput;
    private final int nAttentionWv;
    private int iAttentionWv;
    private int iFfnDown;

    private MixPlanner(GgufFile file, QuantMix mix, boolean hasImportance) {
        this.mix = mix;
        this.hasImportance = hasImportance;
        Metadata m = file.metadata();
        this.arch = m.findString("general.architecture").orElse("");
        this.nLayer = m.getInt(arch + ".block_count", 0);
        this.nExpert = Math.max(1, m.getInt(arch + ".expert_count", 0));
        int heads = m.getInt(arch + ".attention.head_count", 0);
        int kvHeads = m.getInt(arch + ".attention.head_count_kv", heads);
        this.nGqa = kvHeads > 0 ? heads / kvHeads : 0;
        this.is70B = arch.equals("llama") && nLayer == 80 && heads != kvHeads;
        int wv = 0;
        boolean output = false;
        for (TensorInfo t : file.tensors()) {
            String n = t.name();
            if (n.contains("attn_v.weight") || n.contains("attn_qkv.weight") || n.contains("attn_kv_b.weight")) {
                wv++;
            } else if (n.equals("output.weight")) {
                output = true;
            }
        }
        this.nAttentionWv = wv;
        this.hasOutput = output;
    }

    /**
     * The output tensors in file order with their types. {@code overrides} (tensor name → type) replace the
     * mix's choice for the tensors they name, still subject to the block-size fallback.
     *
     * Tensors whose rows do not divide into the target's blocks fall back (see {@link #compatible}).
     */
    public static List<Planned> plan(GgufFile file, QuantMix mix, boolean hasImportance, Map<String, GgmlType> overrides) {
        MixPlanner p = new MixPlanner(file, mix, hasImportance);
        List<TensorInfo> ordered = new ArrayList<>(file.tensors());
        ordered.sort(FILE_ORDER);
        List<Planned> out = new ArrayList<>(ordered.size());
        for (TensorInfo t : ordered) {
            out.add(new Planned(t, p.typeFor(t, overrides.get(t.name()))));
        }
        return out;
    }

    /** Tensors outside the blocks first, then by block number; names in byte order inside each group. */
    public static final Comparator<TensorInfo> FILE_ORDER = Comparator.<TensorInfo>comparingInt(t -> layerOf(t.name()))
            .thenComparing((a, b) -> compareBytes(a.name(), b.name()));

    /** The block number of "blk.N.…", or -1. */
    static int layerOf(String name) {
        if (!name.startsWith("blk.")) {
            return -1;
        }
        int i = 4;
        int sign = 1;
        if (i < name.length() && (name.charAt(i) == '-' || name.charAt(i) == '+')) {
            sign = name.charAt(i) == '-' ? -1 : 1;
            i++;
        }
        int start = i;
        long v = 0;
        while (i < name.length() && Character.isDigit(name.charAt(i)) && v < Integer.MAX_VALUE) {
            v = v * 10 + (name.charAt(i) - '0');
            i++;
        }
        return i == start ? -1 : (int) (sign * v);
    }

    private static int compareBytes(String a, String b) {
        return java.util.Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    /** Dimensions as ggml counts them: trailing 1s do not count. */
    private static int dims(TensorInfo t) {
        long[] s = t.shape();
        for (int i = s.length - 1; i >= 1; i--) {
            if (s[i] > 1) {
                return i + 1;
            }
        }
        return 1;
    }

    /** Whether a tensor is a weight matrix that compression may change (norms, biases, small tables are kept). */
    static boolean quantizable(TensorInfo t) {
        if (dims(t) < 2) {
            return false;
        }
        String n = t.name();
        if (!n.endsWith("weight")) {
            return false;
        }
        for (String kept : KEPT) {
            if (n.contains(kept)) {
                return false;
            }
        }
        return !n.equals("position_embd.weight") && !n.equals("token_types.weight");
    }

    private static final List<String> KEPT = List.of("_norm.weight", "ffn_gate_inp.weight", "altup", "laurel",
            "per_layer_model_proj", "ssm_conv1d", "shortconv.conv.weight", "time_mix_first.weight",
            "time_mix_w0.weight", "time_mix_w1.weight", "time_mix_w2.weight", "time_mix_v0.weight",
            "time_mix_v1.weight", "time_mix_v2.weight", "time_mix_a0.weight", "time_mix_a1.weight",
            "time_mix_a2.weight", "time_mix_g1.weight", "time_mix_g2.weight", "time_mix_decay_w1.weight",
            "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight", "attn_rel_b.weight");

    private GgmlType typeFor(TensorInfo t, GgmlType override) {
        if (!quantizable(t)) {
            return t.type();
        }
        GgmlType type = mix.defaultType;
        if (mix.quantized()) {
            type = override != null ? override : mixRule(t, type);
            type = fallback(t, type);
        } else if (override != null) {
            type = fallback(t, override);
        }
        return type;
    }

    private static Category category(String n) {
        if (n.equals("output.weight")) {
            return Category.OUTPUT;
        }
        if (n.equals("token_embd.weight")) {
            return Category.TOKEN_EMBD;
        }
        if (n.contains("attn_v.weight")) {
            return Category.ATTN_V;
        }
        if (n.contains("attn_k.weight")) {
            return Category.ATTN_K;
        }
        if (n.contains("attn_q.weight")) {
            return Category.ATTN_Q;
        }
        if (n.contains("ffn_down")) {
            return Category.FFN_DOWN;
        }
        if (n.contains("attn_output.weight")) {
            return Category.ATTN_OUTPUT;
        }
        if (n.contains("attn_qkv.weight")) {
            return Category.ATTN_QKV;
        }
        return Category.OTHER;
    }

    private static boolean useMoreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }

    /** With experts, FFN tensors of one layer are not consecutive, so the layer comes from the name. */
    private int layer(int counter, String name) {
        if (nExpert > 1) {
            int l = layerOf(name);
            if (l < 0 || l >= nLayer) {
                throw new IllegalArgumentException("cannot tell the layer of tensor " + name);
            }
            return l;
        }
        return counter;
    }

    private GgmlType mixRule(TensorInfo t, GgmlType type) {
        String name = t.name();
        Category c = category(name);
        boolean falcon = arch.equals("falcon");
        if (c == Category.OUTPUT || (!hasOutput && c == Category.TOKEN_EMBD)) {
            if (falcon || t.rowWidth() % type.blockSize != 0) {
                return GgmlType.Q8_0;
            }
            return type != GgmlType.Q8_0 ? GgmlType.Q6_K : type;
        }
        switch (c) {
            case TOKEN_EMBD, OTHER, ATTN_Q -> {
                return type;
            }
            case ATTN_V -> {
                switch (mix) {
                    case Q2_K -> type = nGqa >= 4 ? GgmlType.Q4_K : GgmlType.Q3_K;
                    case Q3_K_M -> type = iAttentionWv < 2 ? GgmlType.Q5_K : GgmlType.Q4_K;
                    case Q3_K_L -> type = GgmlType.Q5_K;
                    case Q4_K_M, Q5_K_M -> {
                        if (useMoreBits(iAttentionWv, nAttentionWv)) {
                            type = GgmlType.Q6_K;
                        }
                    }
                    case Q4_K_S -> {
                        if (iAttentionWv < 4) {
                            type = GgmlType.Q5_K;
                        }
                    }
                    default -> {
                    }
                }
                if (is70B && (type == GgmlType.Q3_K || type == GgmlType.Q4_K)) {
                    type = GgmlType.Q5_K;
                }
                if (nExpert == 8) {
                    type = GgmlType.Q8_0;
                }
                iAttentionWv++;
                return type;
            }
            case ATTN_K -> {
                return nExpert == 8 ? GgmlType.Q8_0 : type;
            }
            case FFN_DOWN -> {
                int layer = layer(iFfnDown, name);
                iFfnDown++;
                switch (mix) {
                    case Q2_K -> type = GgmlType.Q3_K;
                    case Q3_K_M -> type = layer < nLayer / 16 ? GgmlType.Q5_K
                            : !falcon || useMoreBits(layer, nLayer) ? GgmlType.Q4_K : GgmlType.Q3_K;
                    case Q3_K_L -> type = falcon ? GgmlType.Q4_K : GgmlType.Q5_K;
                    case Q4_K_M -> {
                        if (falcon) {
                            type = layer < nLayer / 16 ? GgmlType.Q6_K
                                    : useMoreBits(layer, nLayer) ? GgmlType.Q5_K : GgmlType.Q4_K;
                        } else if (useMoreBits(layer, nLayer)) {
                            type = GgmlType.Q6_K;
                        }
                    }
                    case Q5_K_M -> {
                        if (useMoreBits(layer, nLayer)) {
                            type = GgmlType.Q6_K;
                        }
                    }
                    case Q4_K_S -> {
                        if (!falcon && layer < nLayer / 8) {
                            type = GgmlType.Q5_K;
                        }
                    }
                    case Q4_0, Q5_0 -> {
                        // with importance data the first FFN-down layers get the min/max variant, which copes
                        // better with their outliers
                        if (hasImportance && layer < nLayer / 8) {
                            type = mix == QuantMix.Q4_0 ? GgmlType.Q4_1 : GgmlType.Q5_1;
                        }
                    }
                    default -> {
                    }
                }
                return type;
            }
            case ATTN_OUTPUT -> {
                if (falcon) {
                    return mix == QuantMix.Q3_K_L ? GgmlType.Q4_K : type;
                }
                if (nExpert == 8) {
                    return switch (mix) {
                        case Q2_K, Q3_K_S, Q3_K_M, Q4_K_S, Q4_K_M -> GgmlType.Q5_K;
                        default -> type;
                    };
                }
                return switch (mix) {
                    case Q2_K -> GgmlType.Q3_K;
                    case Q3_K_M -> GgmlType.Q4_K;
                    case Q3_K_L -> GgmlType.Q5_K;
                    default -> type;
                };
            }
            case ATTN_QKV -> {
                return switch (mix) {
                    case Q3_K_M, Q3_K_L -> GgmlType.Q4_K;
                    case Q4_K_M -> GgmlType.Q5_K;
                    case Q5_K_M -> GgmlType.Q6_K;
                    default -> type;
                };
            }
            default -> {
                return type;
            }
        }
    }

    /** {@code type} if a row of {@code t} is whole blocks of it, else the type it falls back to. */
    public static GgmlType compatible(TensorInfo t, GgmlType type) {
        return fallback(t, type);
    }

    /**
     * A type whose blocks do not fit the row width falls back as llama-quantize does: k-quants to a 32-value
     * type, and to F16 when even 32 does not divide the row. Where llama-quantize gives up (a 32-value type on
     * such a row) the tensor is kept at F16 too, so every target can be made for every model.
     */
    private static GgmlType fallback(TensorInfo t, GgmlType type) {
        long cols = t.rowWidth();
        if (cols % type.blockSize == 0) {
            return type;
        }
        GgmlType alt = switch (type) {
            case Q2_K, Q3_K -> GgmlType.IQ4_NL;
            case Q4_K -> GgmlType.Q5_0;
            case Q5_K -> GgmlType.Q5_1;
            case Q6_K -> GgmlType.Q8_0;
            default -> GgmlType.F16;
        };
        return cols % alt.blockSize == 0 ? alt : GgmlType.F16;
    }
}
