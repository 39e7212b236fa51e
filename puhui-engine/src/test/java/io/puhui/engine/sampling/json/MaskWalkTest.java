// The trie walk with its shortcuts (plain text taken or dropped by subtree, string states computed without stepping)
// must allow exactly the tokens that stepping each token's bytes on its own allows.
package io.puhui.engine.sampling.json;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.puhui.engine.SharedData;
import io.puhui.engine.gguf.GgufFile;
import io.puhui.engine.tokenizer.HfTokenizerImport;
import io.puhui.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MaskWalkTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static Tokenizer stories;
    static Tokenizer qwen;

    @BeforeAll
    static void load() throws IOException {
        try (GgufFile f = GgufFile.open(SharedData.stories260K())) {
            stories = Tokenizer.fromMetadata(f.metadata());
        }
        qwen = Tokenizer.fromMetadata(HfTokenizerImport.read(SharedData.resolve("tokenizers/qwen3/tokenizer.json"),
                null));
    }

    static List<JsonConstraint> constraints(Tokenizer t) throws IOException {
        return List.of(JsonConstraint.object(t),
                JsonConstraint.schema(t, JSON.readTree("""
                        {"type": "object", "properties": {
                           "s": {"type": "string", "minLength": 3, "maxLength": 7},
                           "e": {"enum": ["ab", "abc", 1, 12]},
                           "u": {"anyOf": [{"type": "string", "maxLength": 2}, {"enum": ["xyz", "x\\u00e9"]},
                                           {"type": "integer"}]},
                           "a": {"type": "array", "items": {"type": "number"}, "minItems": 1, "maxItems": 3}},
                         "required": ["s", "e", "u", "a"]}""")),
                JsonConstraint.schema(t, JSON.readTree("""
                        {"type": "array", "items": {"type": "string", "maxLength": 5}, "maxItems": 3}""")));
    }

    @Test
    void walkAgreesWithSteppingEveryTokenOnStories() throws IOException {
        agree(stories, 40, 40);
    }

    @Test
    void walkAgreesWithSteppingEveryTokenOnQwen() throws IOException {
        agree(qwen, 3, 14);
    }

    /** Random generations; at each step the mask for several budgets is checked against the token-by-token rule. */
    private static void agree(Tokenizer t, int seeds, int maxTokens) throws IOException {
        float[] logits = new float[t.vocabSize()];
        for (int seed = 0; seed < seeds; seed++) {
            for (JsonConstraint c : constraints(t)) {
                SplittableRandom r = new SplittableRandom(seed);
                int budget = c.bytesToFinish() + maxTokens;
                for (int step = 0; step < budget; step++) {
                    int remaining = budget - step;
                    int need = c.bytesToFinish();
                    int[] budgets = t == qwen ? new int[] {remaining, need + 3}
                            : new int[] {remaining, Math.max(1, need), need + 2, need + 4};
                    for (int left : budgets) {
                        Arrays.fill(logits, 0f);
                        c.mask(logits, left);
                        List<Integer> expected = tokenByToken(t, c, left);
                        List<Integer> actual = new ArrayList<>();
                        for (int i = 0; i < logits.length; i++) {
                            if (logits[i] == 0f) {
                                actual.add(i);
                            }
                        }
                        assertThat(actual).as("seed %d step %d, %d tokens left", seed, step, left)
                                .isEqualTo(expected);
                    }
                    for (int i = 0; i < logits.length; i++) {
                        logits[i] = (float) r.nextDouble();
                    }
                    c.mask(logits, remaining);
                    int best = 0;
                    for (int i = 1; i < logits.length; i++) {
                        if (logits[i] > logits[best]) {
                            best = i;
                        }
                    }
                    if (t.isEndOfGeneration(best)) {
                        break;
                    }
                    c.accept(best);
                }
            }
        }
    }

    /** The allowed tokens by definition: each token's bytes stepped from the state, then the budget rule. */
    private static List<Integer> tokenByToken(Tokenizer t, JsonConstraint c, int left) {
        BranchSet state = c.readings();
        boolean endToken = false;
        for (int i = 0; i < t.vocabSize(); i++) {
            endToken |= t.isEndOfGeneration(i);
        }
        List<Integer> out = new ArrayList<>();
        if (state.canContinue()) {
            out = valid(t, state, JsonConstraint.limit(state.cost, left, endToken));
            if (out.isEmpty() && !state.complete()) {
                out = valid(t, state, Shape.INFINITE - 1);
            }
        }
        if (state.complete() || out.isEmpty()) {
            for (int id = 0; id < t.vocabSize(); id++) {
                if (t.isEndOfGeneration(id)) {
                    out.add(id);
                }
            }
            out.sort(null);
        }
        return out;
    }

    private static List<Integer> valid(Tokenizer t, BranchSet state, long lim) {
        List<Integer> out = new ArrayList<>();
        BranchSet a = new BranchSet();
        BranchSet b = new BranchSet();
        for (int id = 0; id < t.vocabSize(); id++) {
            byte[] bytes = t.tokenBytes(id);
            if (bytes.length == 0 || t.isEndOfGeneration(id)) {
                continue;
            }
            a.copyFrom(state);
            boolean ok = true;
            for (byte x : bytes) {
                b.stepFrom(a, x & 0xFF);
                if (b.size == 0) {
                    ok = false;
                    break;
                }
                BranchSet s = a;
                a = b;
                b = s;
            }
            if (ok && a.cost <= lim) {
                out.add(id);
            }
        }
        return out;
    }
}
