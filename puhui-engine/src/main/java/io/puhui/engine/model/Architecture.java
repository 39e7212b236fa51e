// The decoder-only architectures the engine runs, and how each differs from plain Llama.
package io.puhui.engine.model;

import java.util.Arrays;
import java.util.stream.Collectors;

public enum Architecture {
    /** Llama 2/3, Mistral, SmolLM, TinyLlama: Q/K weights are permuted at conversion, so RoPE rotates adjacent pairs. */
    LLAMA("llama", false, false, false),
    /** Qwen2 / Qwen2.5: biases on Q, K and V; RoPE rotates the two halves of each head (NeoX style). */
    QWEN2("qwen2", true, true, false),
    /** Qwen3: RMS norm on each head of Q and K before RoPE; no QKV biases. */
    QWEN3("qwen3", true, false, true);

    public final String ggufName;
    public final boolean neoxRope;
    public final boolean qkvBias;
    public final boolean qkNorm;

    Architecture(String ggufName, boolean neoxRope, boolean qkvBias, boolean qkNorm) {
        this.ggufName = ggufName;
        this.neoxRope = neoxRope;
        this.qkvBias = qkvBias;
        this.qkNorm = qkNorm;
    }

    public static Architecture fromGguf(String name) {
        for (Architecture a : values()) {
            if (a.ggufName.equals(name)) {
                return a;
            }
        }
        throw new UnsupportedModelException("unsupported architecture '" + name + "' (supported: "
                + Arrays.stream(values()).map(a -> a.ggufName).collect(Collectors.joining(", ")) + ")");
    }
}
