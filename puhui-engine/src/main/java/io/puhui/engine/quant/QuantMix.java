// The compression targets ("file types"): a default tensor type plus, for the k-quant mixes, rules that keep
// the most sensitive tensors at higher precision. Ids are llama.cpp's `general.file_type` values.
package io.puhui.engine.quant;

import io.puhui.engine.gguf.GgmlType;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

public enum QuantMix {
    F32(0, GgmlType.F32),
    F16(1, GgmlType.F16),
    BF16(32, GgmlType.BF16),
    Q4_0(2, GgmlType.Q4_0),
    Q4_1(3, GgmlType.Q4_1),
    Q8_0(7, GgmlType.Q8_0),
    Q5_0(8, GgmlType.Q5_0),
    Q5_1(9, GgmlType.Q5_1),
    Q2_K(10, GgmlType.Q2_K),
    Q3_K_S(11, GgmlType.Q3_K),
    Q3_K_M(12, GgmlType.Q3_K),
    Q3_K_L(13, GgmlType.Q3_K),
    Q4_K_S(14, GgmlType.Q4_K),
    Q4_K_M(15, GgmlType.Q4_K),
    Q5_K_S(16, GgmlType.Q5_K),
    Q5_K_M(17, GgmlType.Q5_K),
    Q6_K(18, GgmlType.Q6_K);

    /** The value written to {@code general.file_type}. */
    public final int fileType;
    /** The type a weight matrix gets unless a rule says otherwise. */
    public final GgmlType defaultType;

    QuantMix(int fileType, GgmlType defaultType) {
        this.fileType = fileType;
        this.defaultType = defaultType;
    }

    /** Case-insensitive; "q4_k" and "q5_k" mean the _M mixes, as in llama-quantize. */
    public static Optional<QuantMix> parse(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        if (n.equals("Q4_K")) {
            return Optional.of(Q4_K_M);
        }
        if (n.equals("Q5_K")) {
            return Optional.of(Q5_K_M);
        }
        if (n.equals("Q3_K")) {
            return Optional.of(Q3_K_M);
        }
        return Arrays.stream(values()).filter(m -> m.name().equals(n)).findFirst();
    }

    public static String names() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }

    public boolean quantized() {
        return defaultType.isQuantized();
    }
}
