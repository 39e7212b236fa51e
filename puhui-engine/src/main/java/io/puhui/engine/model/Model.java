// A loaded decoder-only transformer (Llama, Qwen2, Qwen3 families) and its batched forward pass.
// One forward step takes any mix of tokens from any sequences: a prompt in one batch, or one token each of many
// sequences; every weight row is read once per step, whatever the batch.
package io.puhui.engine.model;

import io.puhui.engine.gguf.GgmlType;
import io.puhui.engine.gguf.GgufFile;
import io.puhui.engine.gguf.Metadata;
import io.puhui.engine.gguf.TensorInfo;
import io.puhui.engine.tensor.Attention;
import io.puhui.engine.tensor.BlockCodec;
import io.puhui.engine.tensor.ThreadTeam;
import io.puhui.engine.tensor.VectorMath;
import io.puhui.engine.tensor.WeightMatrix;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

public final class Model implements AutoCloseable {

    private record Layer(
            float[] attnNorm, WeightMatrix wq, WeightMatrix wk, WeightMatrix wv, WeightMatrix wo,
            float[] bq, float[] bk, float[] bv, float[] qNorm, float[] kNorm,
            float[] ffnNorm, WeightMatrix gate, WeightMatrix up, WeightMatrix down) {
    }

    private final GgufFile file;
    private final boolean ownsFile;
    private final java.util.Map<String, Replacement> replacements;

    /** A weight matrix to use instead of the file's: the same shape in another type (bytes in that type). */
    public record Replacement(GgmlType type, java.lang.foreign.MemorySegment data) {
    }
    private final ModelConfig config;
    private final WeightMatrix tokenEmbedding;
    private final WeightMatrix output;
    private final float[] outputNorm;
    private final Layer[] layers;
    private final float[] ropeInvFreq;
    private final float[] ropeRamp;
    private final float ropeMscale;

    private Model(GgufFile file, boolean ownsFile, java.util.Map<String, Replacement> replacements) {
        this.file = file;
        this.ownsFile = ownsFile;
        this.replacements = java.util.Map.copyOf(replacements);
        Metadata m = file.metadata();
        WeightMatrix embd = matrix("token_embd.weight");
        this.config = ModelConfig.from(m, embd.rows());
        this.tokenEmbedding = embd;
        if (embd.cols() != config.embeddingLength()) {
            throw new UnsupportedModelException("token_embd.weight has width " + embd.cols()
                    + " but embedding_length is " + config.embeddingLength());
        }
        this.output = file.findTensor("output.weight").map(t -> matrix(t.name())).orElse(embd);
        this.outputNorm = vector("output_norm.weight", config.embeddingLength());
        this.layers = new Layer[config.blockCount()];
        Architecture arch = config.architecture();
        for (int i = 0; i < layers.length; i++) {
            String p = "blk." + i + ".";
            layers[i] = new Layer(
                    vector(p + "attn_norm.weight", config.embeddingLength()),
                    matrix(p + "attn_q.weight", config.qDim(), config.embeddingLength()),
                    matrix(p + "attn_k.weight", config.kvDim(), config.embeddingLength()),
                    matrix(p + "attn_v.weight", config.kvDim(), config.embeddingLength()),
                    matrix(p + "attn_output.weight", config.embeddingLength(), config.qDim()),
                    arch.qkvBias ? vector(p + "attn_q.bias", config.qDim()) : optionalVector(p + "attn_q.bias"),
                    arch.qkvBias ? vector(p + "attn_k.bias", config.kvDim()) : optionalVector(p + "attn_k.bias"),
                    arch.qkvBias ? vector(p + "attn_v.bias", config.kvDim()) : optionalVector(p + "attn_v.bias"),
                    arch.qkNorm ? vector(p + "attn_q_norm.weight", config.headDim()) : null,
                    arch.qkNorm ? vector(p + "attn_k_norm.weight", config.headDim()) : null,
                    vector(p + "ffn_norm.weight", config.embeddingLength()),
                    matrix(p + "ffn_gate.weight", config.feedForwardLength(), config.embeddingLength()),
                    matrix(p + "ffn_up.weight", config.feedForwardLength(), config.embeddingLength()),
                    matrix(p + "ffn_down.weight", config.embeddingLength(), config.feedForwardLength()));
        }
        // RoPE: per rotated pair, the inverse frequency after any scaling; YaRN adds a ramp and a magnitude scale.
        int half = config.ropeDims() / 2;
        float[] freqFactors = file.findTensor("rope_freqs.weight").map(t -> vector(t.name(), half)).orElse(null);
        ModelConfig.RopeScaling scaling = config.ropeScaling();
        float freqScale = scaling.freqScale();
        boolean yarn = scaling.type().equals("yarn");
        ropeInvFreq = new float[half];
        ropeRamp = yarn ? new float[half] : null;
        float base = config.ropeFreqBase();
        int nDims = config.ropeDims();
        float low = 0;
        float high = 0;
        if (yarn) {
            low = Math.max(0, (float) Math.floor(yarnCorrDim(nDims, scaling.originalContextLength(), 32, base)));
            high = Math.min(nDims - 1, (float) Math.ceil(yarnCorrDim(nDims, scaling.originalContextLength(), 1, base)));
        }
        for (int i = 0; i < half; i++) {
            float extrap = (float) Math.pow(base, -2.0 * i / nDims);
            if (freqFactors != null) {
                extrap /= freqFactors[i];
            }
            if (yarn) {
                float y = (i - low) / Math.max(0.001f, high - low);
                float rampMix = 1 - Math.min(1, Math.max(0, y));
                ropeRamp[i] = rampMix;
                ropeInvFreq[i] = extrap * (freqScale * (1 - rampMix) + rampMix);
            } else {
                ropeInvFreq[i] = extrap * freqScale;
            }
        }
        ropeMscale = yarn ? 1.0f + 0.1f * (float) Math.log(1.0f / freqScale) : 1f;
    }

    private static double yarnCorrDim(int nDims, int nCtxOrig, float nRot, float base) {
        return nDims * Math.log(nCtxOrig / (nRot * 2 * Math.PI)) / (2 * Math.log(base));
    }

    /** Loads a model from a GGUF file; the weights stay memory-mapped, not copied. */
    public static Model load(Path path) throws IOException {
        GgufFile f = GgufFile.open(path);
        try {
            return new Model(f, true, java.util.Map.of());
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    /** A model over an already open file, which the caller keeps open for the model's life. */
    public static Model of(GgufFile file) {
        return new Model(file, false, java.util.Map.of());
    }

    /**
     * A model over an open file with some weight matrices replaced (tensor name → replacement), e.g. the same
     * model with one group of matrices quantized, without writing a file. The caller keeps the file open.
     */
    public static Model of(GgufFile file, java.util.Map<String, Replacement> replacements) {
        return new Model(file, false, replacements);
    }

    private WeightMatrix matrix(String name) {
        TensorInfo t = file.tensor(name);
        if (t.shape().length > 2 && t.shape()[2] != 1) {
            throw new UnsupportedModelException(name + " has shape " + t.shapeString() + ", expected a matrix");
        }
        int rows = t.shape().length > 1 ? Math.toIntExact(t.shape()[1]) : 1;
        Replacement r = replacements.get(name);
        if (r != null) {
            long expected = r.type().byteSize(t.elementCount());
            if (r.data().byteSize() != expected) {
                throw new IllegalArgumentException(name + ": replacement has " + r.data().byteSize() + " bytes, "
                        + r.type() + " " + t.shapeString() + " needs " + expected);
            }
            return new WeightMatrix(name, r.type(), rows, Math.toIntExact(t.shape()[0]), r.data());
        }
        return new WeightMatrix(name, t.type(), rows, Math.toIntExact(t.shape()[0]), file.data(t));
    }

    private WeightMatrix matrix(String name, int rows, int cols) {
        WeightMatrix w = matrix(name);
        if (w.rows() != rows || w.cols() != cols) {
            throw new UnsupportedModelException(name + " is " + w.cols() + "x" + w.rows() + ", expected "
                    + cols + "x" + rows + " for this model's hyper-parameters");
        }
        return w;
    }

    private float[] vector(String name, int length) {
        TensorInfo t = file.tensor(name);
        if (t.elementCount() != length) {
            throw new UnsupportedModelException(name + " has " + t.elementCount() + " values, expected " + length);
        }
        float[] v = new float[length];
        BlockCodec.dequantize(t.type(), file.data(t), 0, v, 0, length);
        return v;
    }

    private float[] optionalVector(String name) {
        Optional<TensorInfo> t = file.findTensor(name);
        return t.map(info -> vector(name, Math.toIntExact(info.elementCount()))).orElse(null);
    }

    public ModelConfig config() {
        return config;
    }

    public Metadata metadata() {
        return file.metadata();
    }

    public GgufFile file() {
        return file;
    }

    /** Bytes of weights read for one token: every matrix once, plus one embedding row. */
    public long weightBytesPerToken() {
        long total = output.byteSize() + tokenEmbedding.byteSize() / tokenEmbedding.rows();
        for (Layer l : layers) {
            total += l.wq.byteSize() + l.wk.byteSize() + l.wv.byteSize() + l.wo.byteSize()
                    + l.gate.byteSize() + l.up.byteSize() + l.down.byteSize();
        }
        return total;
    }

    /** The type most of the weight bytes are in, e.g. Q8_0 for a "mostly Q8_0" file. */
    public GgmlType dominantType() {
        java.util.Map<GgmlType, Long> bytes = new java.util.EnumMap<>(GgmlType.class);
        for (TensorInfo t : file.tensors()) {
            bytes.merge(t.type(), t.byteSize(), Long::sum);
        }
        return bytes.entrySet().stream().max(java.util.Map.Entry.comparingByValue()).orElseThrow().getKey();
    }

    public KvCache newCache(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("context length must be at least 1, got " + capacity);
        }
        return new KvCache(config.blockCount(), capacity, config.kvDim());
    }

    /**
     * Runs one forward step over a batch of tokens. Entry {@code b} puts {@code tokens[b]} at position
     * {@code positions[b]} of {@code caches[b]}; where {@code logits[b]} is non-null it receives the next-token logits.
     * Entries of one sequence must come in position order; positions must not skip past the cache's length.
     */
    public void forward(ThreadTeam team, int[] tokens, int[] positions, KvCache[] caches, float[][] logits) {
        forward(team, tokens, positions, caches, logits, 0);
    }

    /**
     * {@link #forward} where the first {@code promptEntries} entries are prompt tokens and the rest generated
     * ones. The two kinds go through different weight kernels (a decoded dense product suits a prompt's many
     * vectors, the interleaved one suits a token or a few), each of which gives a token the same bits whatever
     * else is in the batch: a sequence decodes identically alone or batched with others.
     */
    public void forward(ThreadTeam team, int[] tokens, int[] positions, KvCache[] caches, float[][] logits,
                        int promptEntries) {
        int batch = tokens.length;
        if (promptEntries < 0 || promptEntries > batch) {
            throw new IllegalArgumentException("prompt entries " + promptEntries + " outside 0.." + batch);
        }
        final int prompt = promptEntries;
        if (positions.length != batch || caches.length != batch || logits.length != batch) {
            throw new IllegalArgumentException("batch arrays differ in length");
        }
        for (int b = 0; b < batch; b++) {
            if (tokens[b] < 0 || tokens[b] >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + tokens[b] + " is outside the vocabulary of "
                        + config.vocabSize());
            }
            if (positions[b] >= caches[b].capacity()) {
                throw new ContextFullException(positions[b] + 1, caches[b].capacity());
            }
        }
        int dim = config.embeddingLength();
        int qDim = config.qDim();
        int kvDim = config.kvDim();
        int ff = config.feedForwardLength();
        float[][] x = new float[batch][dim];
        float[][] xb = new float[batch][dim];
        float[][] xo = new float[batch][dim];
        float[][] q = new float[batch][qDim];
        float[][] k = new float[batch][kvDim];
        float[][] v = new float[batch][kvDim];
        float[][] att = new float[batch][qDim];
        float[][] hGate = new float[batch][ff];
        float[][] hUp = new float[batch][ff];
        float[][] cos = new float[batch][];
        float[][] sin = new float[batch][];
        for (int b = 0; b < batch; b++) {
            tokenEmbedding.dequantizeRow(tokens[b], x[b], 0);
            cos[b] = new float[ropeInvFreq.length];
            sin[b] = new float[ropeInvFreq.length];
            for (int i = 0; i < ropeInvFreq.length; i++) {
                float theta = positions[b] * ropeInvFreq[i];
                cos[b][i] = (float) Math.cos(theta) * ropeMscale;
                sin[b][i] = (float) Math.sin(theta) * ropeMscale;
            }
        }
        float eps = config.rmsNormEps();
        for (int li = 0; li < layers.length; li++) {
            Layer l = layers[li];
            for (int b = 0; b < batch; b++) {
                rmsNorm(xb[b], x[b], l.attnNorm, eps, 0, dim);
            }
            product(team, l.wq, xb, q, batch, prompt);
            product(team, l.wk, xb, k, batch, prompt);
            product(team, l.wv, xb, v, batch, prompt);
            for (int b = 0; b < batch; b++) {
                addBias(q[b], l.bq);
                addBias(k[b], l.bk);
                addBias(v[b], l.bv);
                if (l.qNorm != null) {
                    for (int h = 0; h < config.headCount(); h++) {
                        rmsNorm(q[b], q[b], l.qNorm, eps, h * config.headDim(), config.headDim());
                    }
                    for (int h = 0; h < config.headCountKv(); h++) {
                        rmsNorm(k[b], k[b], l.kNorm, eps, h * config.headDim(), config.headDim());
                    }
                }
                rope(q[b], config.headCount(), cos[b], sin[b]);
                rope(k[b], config.headCountKv(), cos[b], sin[b]);
                caches[b].put(li, positions[b], k[b], v[b]);
            }
            final int layer = li;
            team.forRange(batch * config.headCount(), 1, (start, end) -> {
                for (int i = start; i < end; i++) {
                    attend(layer, caches[i / config.headCount()], positions[i / config.headCount()],
                            i % config.headCount(), q[i / config.headCount()], att[i / config.headCount()]);
                }
            });
            product(team, l.wo, att, xo, batch, prompt);
            for (int b = 0; b < batch; b++) {
                addInPlace(x[b], xo[b]);
                rmsNorm(xb[b], x[b], l.ffnNorm, eps, 0, dim);
            }
            product(team, l.gate, xb, hGate, batch, prompt);
            product(team, l.up, xb, hUp, batch, prompt);
            for (int b = 0; b < batch; b++) {
                VectorMath.swiglu(hGate[b], hUp[b], ff);
            }
            product(team, l.down, hGate, xo, batch, prompt);
            for (int b = 0; b < batch; b++) {
                addInPlace(x[b], xo[b]);
            }
        }
        for (int b = 0; b < batch; b++) {
            caches[b].advanceTo(positions[b] + 1);
        }
        int wanted = 0;
        for (float[] lg : logits) {
            if (lg != null) {
                wanted++;
            }
        }
        if (wanted == 0) {
            return;
        }
        float[][] normed = new float[wanted][];
        float[][] outs = new float[wanted][];
        int w = 0;
        int wantedPrompt = 0;
        for (int b = 0; b < batch; b++) {
            if (logits[b] != null) {
                if (b < prompt) {
                    wantedPrompt++;
                }
                if (logits[b].length < config.vocabSize()) {
                    throw new IllegalArgumentException("logits buffer smaller than the vocabulary");
                }
                normed[w] = new float[dim];
                rmsNorm(normed[w], x[b], outputNorm, eps, 0, dim);
                outs[w++] = logits[b];
            }
        }
        product(team, output, normed, outs, wanted, wantedPrompt);
    }

    /** Sees the input vectors of every weight product: what activation statistics (an imatrix) are made of. */
    @FunctionalInterface
    public interface ActivationObserver {
        /** {@code xs[0..count)} are about to be multiplied by the matrix named {@code weight}. */
        void inputs(String weight, float[][] xs, int count);
    }

    private volatile ActivationObserver observer;

    /** Installs (or with null removes) the observer of weight-product inputs. */
    public void observeActivations(ActivationObserver o) {
        this.observer = o;
    }

    /** Prompt entries through the prompt kernel, generated ones through the decode kernel. */
    private void product(ThreadTeam team, WeightMatrix w, float[][] xs, float[][] outs, int batch, int prompt) {
        ActivationObserver o = observer;
        if (o != null) {
            o.inputs(w.name(), xs, batch);
        }
        if (prompt == 0) {
            w.matmul(team, xs, outs, batch);
        } else if (prompt == batch) {
            w.matmulPrompt(team, xs, outs, batch);
        } else {
            w.matmulPrompt(team, java.util.Arrays.copyOf(xs, prompt), java.util.Arrays.copyOf(outs, prompt), prompt);
            w.matmul(team, java.util.Arrays.copyOfRange(xs, prompt, batch), java.util.Arrays.copyOfRange(outs, prompt,
                    batch), batch - prompt);
        }
    }

    /**
     * Gets the model ready to answer fast: compiles the kernels of its weight formats on small matrices (the JIT
     * would otherwise compile them while the first real tokens crawl through the interpreter), then runs one
     * throwaway token so that every weight is laid out for the fast kernels. Costs a second or so, once.
     */
    public void warmUp(ThreadTeam team) {
        java.util.Set<GgmlType> types = java.util.EnumSet.noneOf(GgmlType.class);
        for (Layer l : layers) {
            for (WeightMatrix w : new WeightMatrix[] {l.wq, l.wk, l.wv, l.wo, l.gate, l.up, l.down}) {
                types.add(w.type());
            }
        }
        types.add(output.type());
        for (GgmlType t : types) {
            WeightMatrix.warmUp(t, team);
        }
        forwardSequence(team, new int[] {0, 0, 0, 0}, 0, newCache(4), new float[config.vocabSize()], 4);
    }

    /**
     * Feeds {@code tokens} of one sequence from position {@code start} in batches of {@code batchSize};
     * {@code lastLogits}, when not null, receives the logits after the last token.
     */
    public void forwardSequence(ThreadTeam team, int[] tokens, int start, KvCache cache, float[] lastLogits,
                                int batchSize) {
        for (int from = 0; from < tokens.length; from += batchSize) {
            int n = Math.min(batchSize, tokens.length - from);
            int[] batch = java.util.Arrays.copyOfRange(tokens, from, from + n);
            int[] positions = new int[n];
            KvCache[] caches = new KvCache[n];
            float[][] logits = new float[n][];
            for (int i = 0; i < n; i++) {
                positions[i] = start + from + i;
                caches[i] = cache;
            }
            if (from + n == tokens.length) {
                logits[n - 1] = lastLogits;
            }
            forward(team, batch, positions, caches, logits, n);
        }
    }

    private void attend(int layer, KvCache cache, int pos, int head, float[] q, float[] out) {
        int hd = config.headDim();
        int kvHead = head / (config.headCount() / config.headCountKv());
        Attention.head(q, head * hd, cache.keys[layer], cache.values[layer], config.kvDim(),
                kvHead * hd, hd, pos + 1, (float) (1.0 / Math.sqrt(hd)), out, head * hd);
    }

    private void rope(float[] vec, int heads, float[] cos, float[] sin) {
        int hd = config.headDim();
        int half = config.ropeDims() / 2;
        boolean neox = config.architecture().neoxRope;
        for (int h = 0; h < heads; h++) {
            int o = h * hd;
            for (int i = 0; i < half; i++) {
                int a = neox ? o + i : o + 2 * i;
                int b = neox ? o + i + half : o + 2 * i + 1;
                float x0 = vec[a];
                float x1 = vec[b];
                vec[a] = x0 * cos[i] - x1 * sin[i];
                vec[b] = x0 * sin[i] + x1 * cos[i];
            }
        }
    }

    private static void rmsNorm(float[] out, float[] x, float[] weight, float eps, int off, int n) {
        float ss = 0;
        for (int i = 0; i < n; i++) {
            ss += x[off + i] * x[off + i];
        }
        float scale = (float) (1.0 / Math.sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) {
            out[off + i] = x[off + i] * scale * weight[i];
        }
    }

    private static void addBias(float[] x, float[] bias) {
        if (bias != null) {
            addInPlace(x, bias);
        }
    }

    private static void addInPlace(float[] x, float[] y) {
        for (int i = 0; i < x.length; i++) {
            x[i] += y[i];
        }
    }

    @Override
    public void close() {
        if (ownsFile) {
            file.close();
        }
    }
}
