// A deliberately plain transformer: every weight dequantised to floats up front, one token at a time,
// textbook loops in double precision. The engine's logits are checked against it.
package io.puhui.engine.model;

import io.puhui.engine.gguf.GgufFile;
import io.puhui.engine.gguf.TensorInfo;
import io.puhui.engine.tensor.BlockCodec;
import java.util.ArrayList;
import java.util.List;

final class ScalarReference {
    private final GgufFile f;
    private final ModelConfig c;
    private final List<double[]> keys = new ArrayList<>();
    private final List<double[]> values = new ArrayList<>();

    ScalarReference(GgufFile f, ModelConfig c) {
        this.f = f;
        this.c = c;
    }

    private float[] t(String name) {
        TensorInfo t = f.tensor(name);
        float[] v = new float[(int) t.elementCount()];
        BlockCodec.dequantize(t.type(), f.data(t), 0, v, 0, v.length);
        return v;
    }

    private float[] tOrNull(String name) {
        return f.findTensor(name).isPresent() ? t(name) : null;
    }

    private static double[] matvec(float[] w, double[] x, int rows) {
        int cols = x.length;
        double[] out = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int i = 0; i < cols; i++) {
                s += w[r * cols + i] * x[i];
            }
            out[r] = s;
        }
        return out;
    }

    private double[] norm(double[] x, int off, int n, float[] w) {
        double ss = 0;
        for (int i = 0; i < n; i++) {
            ss += x[off + i] * x[off + i];
        }
        double scale = 1 / Math.sqrt(ss / n + c.rmsNormEps());
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = x[off + i] * scale * w[i];
        }
        return out;
    }

    private void rope(double[] v, int heads, int pos) {
        int hd = c.headDim();
        int half = c.ropeDims() / 2;
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                double theta = pos * Math.pow(c.ropeFreqBase(), -2.0 * i / c.ropeDims());
                int a = c.architecture().neoxRope ? h * hd + i : h * hd + 2 * i;
                int b = c.architecture().neoxRope ? h * hd + i + half : h * hd + 2 * i + 1;
                double x0 = v[a];
                double x1 = v[b];
                v[a] = x0 * Math.cos(theta) - x1 * Math.sin(theta);
                v[b] = x0 * Math.sin(theta) + x1 * Math.cos(theta);
            }
        }
    }

    /** Logits after feeding {@code token} at the next position. */
    double[] step(int token, int layerCacheIndexUnused) {
        int dim = c.embeddingLength();
        int hd = c.headDim();
        int pos = keys.size() / Math.max(1, c.blockCount());
        float[] emb = t("token_embd.weight");
        double[] x = new double[dim];
        for (int i = 0; i < dim; i++) {
            x[i] = emb[token * dim + i];
        }
        for (int l = 0; l < c.blockCount(); l++) {
            String p = "blk." + l + ".";
            double[] xb = norm(x, 0, dim, t(p + "attn_norm.weight"));
            double[] q = matvec(t(p + "attn_q.weight"), xb, c.qDim());
            double[] k = matvec(t(p + "attn_k.weight"), xb, c.kvDim());
            double[] v = matvec(t(p + "attn_v.weight"), xb, c.kvDim());
            float[] bq = tOrNull(p + "attn_q.bias");
            float[] bk = tOrNull(p + "attn_k.bias");
            float[] bv = tOrNull(p + "attn_v.bias");
            for (int i = 0; bq != null && i < q.length; i++) {
                q[i] += bq[i];
            }
            for (int i = 0; bk != null && i < k.length; i++) {
                k[i] += bk[i];
                v[i] += bv[i];
            }
            float[] qn = tOrNull(p + "attn_q_norm.weight");
            if (qn != null) {
                float[] kn = t(p + "attn_k_norm.weight");
                for (int h = 0; h < c.headCount(); h++) {
                    System.arraycopy(norm(q, h * hd, hd, qn), 0, q, h * hd, hd);
                }
                for (int h = 0; h < c.headCountKv(); h++) {
                    System.arraycopy(norm(k, h * hd, hd, kn), 0, k, h * hd, hd);
                }
            }
            rope(q, c.headCount(), pos);
            rope(k, c.headCountKv(), pos);
            keys.add(k);
            values.add(v);
            double[] att = new double[c.qDim()];
            int group = c.headCount() / c.headCountKv();
            for (int h = 0; h < c.headCount(); h++) {
                int kvh = h / group;
                double[] s = new double[pos + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int t = 0; t <= pos; t++) {
                    double[] kt = keys.get(t * c.blockCount() + l);
                    double d = 0;
                    for (int i = 0; i < hd; i++) {
                        d += q[h * hd + i] * kt[kvh * hd + i];
                    }
                    s[t] = d / Math.sqrt(hd);
                    max = Math.max(max, s[t]);
                }
                double sum = 0;
                for (int t = 0; t <= pos; t++) {
                    s[t] = Math.exp(s[t] - max);
                    sum += s[t];
                }
                for (int t = 0; t <= pos; t++) {
                    double[] vt = values.get(t * c.blockCount() + l);
                    for (int i = 0; i < hd; i++) {
                        att[h * hd + i] += s[t] / sum * vt[kvh * hd + i];
                    }
                }
            }
            double[] o = matvec(t(p + "attn_output.weight"), att, dim);
            for (int i = 0; i < dim; i++) {
                x[i] += o[i];
            }
            xb = norm(x, 0, dim, t(p + "ffn_norm.weight"));
            double[] g = matvec(t(p + "ffn_gate.weight"), xb, c.feedForwardLength());
            double[] u = matvec(t(p + "ffn_up.weight"), xb, c.feedForwardLength());
            for (int i = 0; i < g.length; i++) {
                g[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
            }
            double[] d = matvec(t(p + "ffn_down.weight"), g, dim);
            for (int i = 0; i < dim; i++) {
                x[i] += d[i];
            }
        }
        double[] xn = norm(x, 0, dim, t("output_norm.weight"));
        float[] out = f.findTensor("output.weight").isPresent() ? t("output.weight") : emb;
        return matvec(out, xn, c.vocabSize());
    }
}
