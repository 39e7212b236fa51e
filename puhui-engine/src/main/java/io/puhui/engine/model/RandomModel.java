// Writes random-weight GGUF models in the shapes of real ones, for tests and benchmarks that need a model
// of a given size without downloading one. The weights are noise; the shapes, types and metadata are real.
package io.puhui.engine.model;

import io.puhui.engine.gguf.GgmlType;
import io.puhui.engine.gguf.GgufWriter;
import io.puhui.engine.gguf.MetaValue;
import io.puhui.engine.gguf.Metadata;
import io.puhui.engine.gguf.ValueType;
import io.puhui.engine.tensor.BlockEncoder;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

public final class RandomModel {

    /** A model shape: architecture and hyper-parameters. */
    public record Shape(String name, Architecture arch, int vocab, int embd, int layers, int ff, int heads,
                        int kvHeads, int headDim, float ropeBase, boolean tiedEmbeddings, int context) {
    }

    public static final Shape LLAMA_3_2_1B =
            new Shape("llama-3.2-1b", Architecture.LLAMA, 128256, 2048, 16, 8192, 32, 8, 64, 500000f, true, 131072);
    public static final Shape QWEN2_5_0_5B =
            new Shape("qwen2.5-0.5b", Architecture.QWEN2, 151936, 896, 24, 4864, 14, 2, 64, 1000000f, true, 32768);
    public static final Shape QWEN3_0_6B =
            new Shape("qwen3-0.6b", Architecture.QWEN3, 151936, 1024, 28, 3072, 16, 8, 128, 1000000f, true, 40960);
    /** About 25M parameters (26.4M): a small Llama with a 32k vocabulary, like the TinyStories models. */
    public static final Shape LLAMA_25M =
            new Shape("llama-25m", Architecture.LLAMA, 32000, 384, 8, 1024, 6, 6, 64, 10000f, true, 2048);
    /** Tiny variants keep every structural feature of their parents (GQA ratio, biases, tying, norms). */
    public static final Shape LLAMA_3_2_TINY =
            new Shape("llama-3.2-tiny", Architecture.LLAMA, 512, 128, 2, 256, 8, 2, 16, 500000f, true, 1024);
    public static final Shape QWEN2_5_TINY =
            new Shape("qwen2.5-tiny", Architecture.QWEN2, 512, 128, 2, 256, 4, 2, 32, 1000000f, true, 1024);
    public static final Shape QWEN3_TINY =
            new Shape("qwen3-tiny", Architecture.QWEN3, 512, 128, 2, 256, 4, 2, 64, 1000000f, true, 1024);

    public static final Shape[] SHAPES = {LLAMA_3_2_1B, QWEN2_5_0_5B, QWEN3_0_6B, LLAMA_25M, LLAMA_3_2_TINY,
        QWEN2_5_TINY, QWEN3_TINY};

    private RandomModel() {
    }

    public static Shape shape(String name) {
        return Arrays.stream(SHAPES).filter(s -> s.name().equals(name)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("unknown model shape '" + name + "' (known: "
                        + Arrays.stream(SHAPES).map(Shape::name).collect(Collectors.joining(", ")) + ")"));
    }

    /**
     * Writes a model of {@code shape} with matrices in {@code type} (norms stay F32) and a byte-level vocabulary:
     * 256 byte tokens, then control tokens, then fillers up to the vocabulary size.
     */
    public static void write(Shape shape, GgmlType type, long seed, Path out) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        String a = shape.arch().ggufName;
        Metadata m = new Metadata()
                .putString("general.architecture", a)
                .putString("general.name", "random " + shape.name())
                .putUInt32(a + ".context_length", shape.context())
                .putUInt32(a + ".embedding_length", shape.embd())
                .putUInt32(a + ".block_count", shape.layers())
                .putUInt32(a + ".feed_forward_length", shape.ff())
                .putUInt32(a + ".attention.head_count", shape.heads())
                .putUInt32(a + ".attention.head_count_kv", shape.kvHeads())
                .putFloat(a + ".rope.freq_base", shape.ropeBase())
                .putFloat(a + ".attention.layer_norm_rms_epsilon", 1e-6f);
        if (shape.headDim() * shape.heads() != shape.embd()) {
            m.putUInt32(a + ".attention.key_length", shape.headDim());
            m.putUInt32(a + ".attention.value_length", shape.headDim());
        }
        m.putUInt32("general.file_type", fileType(type));
        addByteVocabulary(m, shape.vocab());

        GgufWriter w = new GgufWriter(m);
        int embd = shape.embd();
        int q = shape.heads() * shape.headDim();
        int kv = shape.kvHeads() * shape.headDim();
        // Embeddings and output in the file type too, as "mostly Q8_0"-style files keep most of them quantised.
        w.add(noise("token_embd.weight", type, embd, shape.vocab(), rnd));
        w.add(ones("output_norm.weight", embd));
        if (!shape.tiedEmbeddings()) {
            w.add(noise("output.weight", type, embd, shape.vocab(), rnd));
        }
        for (int i = 0; i < shape.layers(); i++) {
            String p = "blk." + i + ".";
            w.add(ones(p + "attn_norm.weight", embd));
            w.add(noise(p + "attn_q.weight", type, embd, q, rnd));
            w.add(noise(p + "attn_k.weight", type, embd, kv, rnd));
            w.add(noise(p + "attn_v.weight", type, embd, kv, rnd));
            w.add(noise(p + "attn_output.weight", type, q, embd, rnd));
            if (shape.arch().qkvBias) {
                w.add(noise(p + "attn_q.bias", GgmlType.F32, q, 1, rnd));
                w.add(noise(p + "attn_k.bias", GgmlType.F32, kv, 1, rnd));
                w.add(noise(p + "attn_v.bias", GgmlType.F32, kv, 1, rnd));
            }
            if (shape.arch().qkNorm) {
                w.add(ones(p + "attn_q_norm.weight", shape.headDim()));
                w.add(ones(p + "attn_k_norm.weight", shape.headDim()));
            }
            w.add(ones(p + "ffn_norm.weight", embd));
            w.add(noise(p + "ffn_gate.weight", type, embd, shape.ff(), rnd));
            w.add(noise(p + "ffn_up.weight", type, embd, shape.ff(), rnd));
            w.add(noise(p + "ffn_down.weight", type, shape.ff(), embd, rnd));
        }
        w.write(out);
    }

    static int fileType(GgmlType type) {
        return switch (type) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q8_0 -> 7;
            default -> throw new IllegalArgumentException("random models are written as F32, F16, Q8_0 or Q4_0");
        };
    }

    private static GgufWriter.Tensor noise(String name, GgmlType type, int cols, int rows, SplittableRandom rnd) {
        float[] v = new float[Math.multiplyExact(cols, rows)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rnd.nextGaussian() * 0.02);
        }
        MemorySegment data = BlockEncoder.encode(type, v);
        return new GgufWriter.Tensor(name, type, rows == 1 ? new long[] {cols} : new long[] {cols, rows}, data);
    }

    private static GgufWriter.Tensor ones(String name, int n) {
        float[] v = new float[n];
        Arrays.fill(v, 1f);
        return GgufWriter.Tensor.f32(name, v, n);
    }

    /** A byte-level BPE vocabulary without merges: every text encodes, one token per byte. */
    static void addByteVocabulary(Metadata m, int vocab) {
        String[] tokens = new String[vocab];
        int[] types = new int[vocab];
        int[] byteToChar = gpt2ByteChars();
        for (int b = 0; b < 256; b++) {
            tokens[b] = String.valueOf((char) byteToChar[b]);
            types[b] = 1;
        }
        String[] control = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};
        for (int i = 0; i < control.length && 256 + i < vocab; i++) {
            tokens[256 + i] = control[i];
            types[256 + i] = 3;
        }
        for (int i = 256 + control.length; i < vocab; i++) {
            tokens[i] = "[PAD" + i + "]";
            types[i] = 5;
        }
        m.putString("tokenizer.ggml.model", "gpt2");
        m.putString("tokenizer.ggml.pre", "default");
        m.put("tokenizer.ggml.tokens", MetaValue.array(ValueType.STRING, tokens));
        m.put("tokenizer.ggml.token_type", MetaValue.array(ValueType.INT32, types));
        m.put("tokenizer.ggml.merges", MetaValue.array(ValueType.STRING, new String[0]));
        m.putUInt32("tokenizer.ggml.eos_token_id", 256);
        m.putUInt32("tokenizer.ggml.bos_token_id", 256);
        m.putBool("tokenizer.ggml.add_bos_token", false);
    }

    /** GPT-2's printable stand-ins for bytes, so that byte-level tokens are valid strings. */
    private static int[] gpt2ByteChars() {
        int[] map = new int[256];
        boolean[] direct = new boolean[256];
        for (int b = '!'; b <= '~'; b++) {
            direct[b] = true;
        }
        for (int b = 0xA1; b <= 0xAC; b++) {
            direct[b] = true;
        }
        for (int b = 0xAE; b <= 0xFF; b++) {
            direct[b] = true;
        }
        int next = 256;
        for (int b = 0; b < 256; b++) {
            map[b] = direct[b] ? b : next++;
        }
        return map;
    }
}
