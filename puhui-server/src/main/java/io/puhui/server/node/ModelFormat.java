// A model file's compression as llama.cpp's `general.file_type` names it (Q4_K_M, Q8_0, F32, …).
package io.puhui.server.node;

import io.puhui.engine.gguf.GgufFile;
import io.puhui.engine.gguf.TensorInfo;
import io.puhui.engine.gguf.GgmlType;
import io.puhui.engine.quant.QuantMix;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

public final class ModelFormat {
    private static final Map<Path, String> CACHE = new ConcurrentHashMap<>();

    private ModelFormat() {
    }

    /**
     * The file's format, from {@code general.file_type}, or for files without it (older converters) from the type
     * most of the weight matrices' bytes have; "unknown" when the file cannot be read. Read once per file.
     */
    public static String of(Path file) {
        return CACHE.computeIfAbsent(file.toAbsolutePath(), ModelFormat::read);
    }

    private static String read(Path file) {
        try (GgufFile g = GgufFile.open(file)) {
            int type = g.metadata().getInt("general.file_type", -1);
            if (type >= 0) {
                return Arrays.stream(QuantMix.values()).filter(q -> q.fileType == type).map(Enum::name).findFirst()
                        .orElse("unknown");
            }
            Map<GgmlType, Long> elements = new java.util.EnumMap<>(GgmlType.class);
            for (TensorInfo t : g.tensors()) {
                if (t.shape().length == 2) {
                    elements.merge(t.type(), t.shape()[0] * t.shape()[1], Long::sum);
                }
            }
            GgmlType main = elements.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey)
                    .orElse(null);
            // the mix that has it as its default type; for k-quants, the _M mix llama-quantize defaults to
            return Arrays.stream(QuantMix.values()).filter(q -> q.defaultType == main)
                    .map(Enum::name).reduce((a, b) -> b.endsWith("_M") ? b : a).orElse("unknown");
        } catch (Exception e) {
            return "unknown";
        }
    }
}
