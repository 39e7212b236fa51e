// Constrained output always parses and fits its schema, from any logits, within any reasonable token budget,
// on a SentencePiece vocabulary (stories260K) and a 151k byte-level one (Qwen).
package io.puhui.engine.sampling.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.puhui.engine.SharedData;
import io.puhui.engine.generate.GenerationOptions;
import io.puhui.engine.generate.Generator;
import io.puhui.engine.gguf.GgufFile;
import io.puhui.engine.model.Model;
import io.puhui.engine.sampling.SamplingParams;
import io.puhui.engine.tensor.ThreadTeam;
import io.puhui.engine.tokenizer.HfTokenizerImport;
import io.puhui.engine.tokenizer.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class JsonConstraintTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static Tokenizer stories;
    static Tokenizer qwen;

    @BeforeAll
    static void load() throws Exception {
        try (GgufFile g = GgufFile.open(SharedData.stories260K())) {
            stories = Tokenizer.fromMetadata(g.metadata());
        }
        qwen = Tokenizer.fromMetadata(HfTokenizerImport.read(SharedData.resolve("tokenizers/qwen3/tokenizer.json"),
                null));
    }

    /** Draws tokens from random logits under the constraint, as a model that knows nothing would. */
    static String sample(Tokenizer t, JsonConstraint c, int maxTokens, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        float[] logits = new float[t.vocabSize()];
        for (int n = 0; n < maxTokens; n++) {
            for (int i = 0; i < logits.length; i++) {
                logits[i] = (float) (r.nextGaussian() * 3);
            }
            c.mask(logits, maxTokens - n);
            List<Integer> ok = new ArrayList<>();
            for (int i = 0; i < logits.length; i++) {
                if (logits[i] != Float.NEGATIVE_INFINITY) {
                    ok.add(i);
                }
            }
            assertThat(ok).as("some token is always allowed").isNotEmpty();
            int best = ok.get(0);
            for (int i : ok) {
                if (logits[i] > logits[best]) {
                    best = i;
                }
            }
            if (t.isEndOfGeneration(best)) {
                assertThat(c.complete()).isTrue();
                break;
            }
            c.accept(best);
            out.writeBytes(t.tokenBytes(best));
            if (c.complete() && t.eos() < 0) {
                break;
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void anyLogitsGiveAJsonObjectWithinTheBudget() throws Exception {
        for (Tokenizer t : List.of(stories, qwen)) {
            for (int budget : new int[] {8, 16, 32, 64}) {
                for (long seed = 0; seed < (t == qwen ? 6 : 25); seed++) {
                    String text = sample(t, JsonConstraint.object(t), budget, seed);
                    JsonNode node = JSON.readTree(text);
                    assertThat(node.isObject()).as(text).isTrue();
                }
            }
        }
    }

    static final String PERSON = """
            {"type": "object",
             "properties": {
               "name": {"type": "string", "maxLength": 12},
               "age": {"type": "integer"},
               "student": {"type": "boolean"},
               "nickname": {"type": "string"},
               "pet": {"enum": ["cat", "dog", 3, null]},
               "tags": {"type": "array", "items": {"type": "string", "maxLength": 5}, "minItems": 1, "maxItems": 3},
               "home": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
               "score": {"anyOf": [{"type": "number"}, {"type": "null"}]}
             },
             "required": ["name", "age", "student", "pet", "tags", "home", "score"]}""";

    @Test
    void anyLogitsGiveDocumentsThatFitTheSchema() throws Exception {
        JsonNode schema = JSON.readTree(PERSON);
        for (Tokenizer t : List.of(stories, qwen)) {
            for (long seed = 0; seed < (t == qwen ? 6 : 30); seed++) {
                int budget = 100 + (int) seed % 3 * 40;
                String text = sample(t, JsonConstraint.schema(t, schema), budget, seed);
                JsonNode d = JSON.readTree(text);
                assertThat(d.path("name").isTextual()).as(text).isTrue();
                assertThat(d.path("name").asText().codePointCount(0, d.path("name").asText().length()))
                        .isLessThanOrEqualTo(12);
                assertThat(d.path("age").isIntegralNumber()).as(text).isTrue();
                assertThat(d.path("student").isBoolean()).as(text).isTrue();
                assertThat(d.get("pet")).as(text).isIn(JSON.readTree("\"cat\""), JSON.readTree("\"dog\""),
                        JSON.readTree("3"), JSON.readTree("null"));
                assertThat(d.path("tags").size()).as(text).isBetween(1, 3);
                assertThat(d.path("home").path("city").isTextual()).as(text).isTrue();
                assertThat(d.path("score").isNumber() || d.path("score").isNull()).as(text).isTrue();
                List<String> keys = new ArrayList<>();
                d.fieldNames().forEachRemaining(keys::add);
                assertThat(keys).isSubsetOf("name", "age", "student", "nickname", "pet", "tags", "home", "score");
            }
        }
    }

    @Test
    void theShortestDocumentBoundsTheBudget() throws Exception {
        assertThat(JsonConstraint.object(qwen).minimumLength()).isEqualTo(2);
        assertThat(JsonConstraint.schema(qwen, JSON.readTree(PERSON)).minimumLength()).isEqualTo(
                "{\"name\":\"\",\"age\":0,\"student\":true,\"pet\":3,\"tags\":[\"\"],\"home\":{\"city\":\"\"},\"score\":0}"
                        .length());
    }

    @Test
    void recursiveSchemasThroughRefs() throws Exception {
        JsonNode schema = JSON.readTree("""
                {"$ref": "#/$defs/node",
                 "$defs": {"node": {"type": "object",
                   "properties": {"value": {"type": "integer"},
                                  "children": {"type": "array", "items": {"$ref": "#/$defs/node"}, "maxItems": 2}},
                   "required": ["value"]}}}""");
        for (long seed = 0; seed < 20; seed++) {
            String text = sample(stories, JsonConstraint.schema(stories, schema), 60, seed);
            assertThat(JSON.readTree(text).path("value").isIntegralNumber()).as(text).isTrue();
        }
    }

    @Test
    void theMaskAfterAKeyAllowsValuesAndNotAClosingBrace() {
        JsonConstraint c = JsonConstraint.object(qwen);
        for (int id : qwen.encode("{\"a\":", false, false)) {
            c.accept(id);
        }
        float[] logits = new float[qwen.vocabSize()];
        c.mask(logits, 100);
        for (String ok : List.of("\"", "1", "t", "[", "{", "-", "n")) {
            assertThat(logits[qwen.tokenId(ok).orElseThrow()]).as(ok).isEqualTo(0f);
        }
        for (String no : List.of("}", ",", "]", "x")) {
            assertThat(logits[qwen.tokenId(no).orElseThrow()]).as(no).isEqualTo(Float.NEGATIVE_INFINITY);
        }
        assertThat(logits[qwen.eos()]).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(c.complete()).isFalse();
    }

    @Test
    void aCompleteDocumentAllowsOnlyTheEnd() {
        JsonConstraint c = JsonConstraint.object(qwen);
        for (int id : qwen.encode("{\"a\": [1, 2.5e3, \"x\\u00e9\", true, null]}", false, false)) {
            c.accept(id);
        }
        assertThat(c.complete()).isTrue();
        float[] logits = new float[qwen.vocabSize()];
        c.mask(logits, 10);
        for (int i = 0; i < logits.length; i++) {
            assertThat(logits[i] == 0f).isEqualTo(qwen.isEndOfGeneration(i));
        }
    }

    @Test
    void aRealModelUnderTheConstraintWritesParseableJson() throws Exception {
        try (Model m = Model.load(SharedData.stories260K()); ThreadTeam team = new ThreadTeam(1)) {
            Generator g = new Generator(m, stories, team, 256);
            int[] prompt = stories.encode("Once upon a time", true, false);
            for (long seed = 0; seed < 5; seed++) {
                SamplingParams p = seed == 0 ? SamplingParams.GREEDY : SamplingParams.DEFAULT.withSeed(seed);
                String text = g.generate(prompt, GenerationOptions.of(p, 40), JsonConstraint.object(stories),
                        e -> true).text();
                assertThat(JSON.readTree(text).isObject()).as(text).isTrue();
            }
        }
    }

    @Test
    void malformedSchemasAreRefusedAndLooseKeywordsReported() throws Exception {
        Supplier<JsonNode> bad = () -> {
            try {
                return JSON.readTree("{\"type\": \"foo\"}");
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        };
        assertThatThrownBy(() -> JsonConstraint.schema(qwen, bad.get())).hasMessageContaining("'foo' is not a JSON "
                + "Schema type");
        assertThatThrownBy(() -> JsonConstraint.schema(qwen, JSON.readTree("{\"$ref\": \"#/$defs/none\"}")))
                .hasMessageContaining("points to nothing");
        assertThatThrownBy(() -> JsonConstraint.schema(qwen, JSON.readTree(
                "{\"type\": \"object\", \"properties\": {\"a\": {}}, \"required\": [\"b\"]}")))
                .hasMessageContaining("'b'");
        assertThat(JsonConstraint.schema(qwen, JSON.readTree(
                "{\"type\": \"string\", \"pattern\": \"^a\", \"format\": \"email\"}")).ignoredKeywords())
                .containsExactly("pattern", "format");
    }
}
