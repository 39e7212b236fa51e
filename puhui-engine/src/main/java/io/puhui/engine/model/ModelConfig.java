// Hyper-parameters of a decoder-only model, read from GGUF metadata under the architecture's prefix.
package io.puhui.engine.model;

import io.puhui.engine.gguf.Metadata;

public record ModelConfig(
        Architecture architecture,
        int embeddingLength,
        int blockCount,
        int feedForwardLength,
        int headCount,
        int headCountKv,
        int headDim,
        int ropeDims,
        float ropeFreqBase,
        RopeScaling ropeScaling,
        float rmsNormEps,
        int trainedContextLength,
        int vocabSize) {

    /** How positions beyond the trained context are stretched. */
    public record RopeScaling(String type, float factor, int originalContextLength) {
        public static final RopeScaling NONE = new RopeScaling("none", 1f, 0);

        public float freqScale() {
            return factor == 0 ? 1f : 1f / factor;
        }
    }

    public ModelConfig {
        if (headCount <= 0 || headCountKv <= 0 || headCount % headCountKv != 0) {
            throw new UnsupportedModelException("head counts " + headCount + "/" + headCountKv
                    + " are not valid grouped-query attention");
        }
        if (ropeDims > headDim || ropeDims % 2 != 0) {
            throw new UnsupportedModelException("rope dimension count " + ropeDims + " does not fit head size " + headDim);
        }
    }

    public static ModelConfig from(Metadata m, int vocabSize) {
        Architecture arch = Architecture.fromGguf(m.getString("general.architecture"));
        String p = arch.ggufName + ".";
        int embd = m.getInt(p + "embedding_length");
        int heads = m.getInt(p + "attention.head_count");
        int kvHeads = m.getInt(p + "attention.head_count_kv", heads);
        int headDim = m.getInt(p + "attention.key_length", embd / heads);
        int valueDim = m.getInt(p + "attention.value_length", headDim);
        if (valueDim != headDim) {
            throw new UnsupportedModelException("key length " + headDim + " differs from value length " + valueDim);
        }
        String scalingType = m.findString(p + "rope.scaling.type").orElse("none");
        float factor = m.getFloat(p + "rope.scaling.factor", 1f);
        int origCtx = m.getInt(p + "rope.scaling.original_context_length", m.getInt(p + "context_length", 0));
        if (!scalingType.equals("none") && !scalingType.equals("linear") && !scalingType.equals("yarn")) {
            throw new UnsupportedModelException("unsupported rope scaling '" + scalingType
                    + "' (supported: none, linear, yarn)");
        }
        RopeScaling scaling = scalingType.equals("none") || factor == 1f ? RopeScaling.NONE
                : new RopeScaling(scalingType, factor, origCtx);
        return new ModelConfig(arch, embd,
                m.getInt(p + "block_count"),
                m.getInt(p + "feed_forward_length"),
                heads, kvHeads, headDim,
                m.getInt(p + "rope.dimension_count", headDim),
                m.getFloat(p + "rope.freq_base", 10000f),
                scaling,
                m.getFloat(p + "attention.layer_norm_rms_epsilon", 1e-5f),
                m.getInt(p + "context_length", 2048),
                vocabSize);
    }

    public int kvDim() {
        return headCountKv * headDim;
    }

    public int qDim() {
        return headCount * headDim;
    }
}
