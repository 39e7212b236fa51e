// JSON structured output on real vocabularies: whatever the logits, the answer is a valid document within the
// token budget; the mask itself is checked by hand in chosen states; malformed schemas are refused clearly.
package io.puhui.engine.sampling;

import static io.puhui.engine.sampling.ConstraintRuns.parse;
import static io.puhui.engine.sampling.ConstraintRuns.random;
import static io.puhui.engine.sampling.ConstraintRuns.violations;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.puhui.engine.SharedData;
import io.puhui.engine.gguf.GgufFile;
import io.puhui.engine.model.KvCache;
import io.puhui.engine.model.Model;
import io.puhui.engine.sampling.ConstraintRuns.Run;
import io.puhui.engine.sampling.json.JsonConstraint;
import io.puhui.engine.tensor.ThreadTeam;
import io.puhui.engine.tokenizer.HfTokenizerImport;
import io.puhui.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class JsonConstraintTest {
    static final ObjectMapper JSON = new ObjectMapper();
    /** SentencePiece, 512 pieces with byte fallback (stories260K). */
    static Tokenizer stories;
    /** Byte-level BPE, 151,643 tokens plus specials (Qwen2/2.5/3). */
    static Tokenizer qwen;

    static final String PERSON = """
            {"type": "object",
             "properties": {
               "name": {"type": "string", "minLength": 1, "maxLength": 20},
               "age": {"type": "integer"},
               "member": {"type": "boolean"},
               "role": {"enum": ["admin", "user", "guest"]},
               "nickname": {"type": "string"},
               "tags": {"type": "array", "items": {"type": "string", "maxLength": 6}, "minItems": 1, "maxItems": 3}
             },
             "required": ["name", "age", "member", "role", "tags"]}""";
    static final String NESTED = """
            {"type": "object",
             "properties": {
               "id": {"type": "integer"},
               "address": {"type": "object",
                           "properties": {"street": {"type": "string"}, "zip": {"type": "string", "maxLength": 5}},
                           "required": ["street", "zip"]},
               "scores": {"type": "array", "items": {"type": "number"}, "maxItems": 4},
               "note": {"type": ["string", "null"]}
             },
             "required": ["id", "address"]}""";
    static final String ALTERNATIVES = """
            {"type": "object",
             "properties": {
               "value": {"anyOf": [{"type": "string", "maxLength": 4}, {"type": "integer"}, {"type": "null"}]},
               "shape": {"oneOf": [
                 {"type": "object", "properties": {"kind": {"const": "circle"}, "r": {"type": "number"}},
                  "required": ["kind", "r"]},
                 {"type": "object", "properties": {"kind": {"const": "square"}, "side": {"type": "number"}},
                  "required": ["kind", "side"]}]}
             },
             "required": ["value", "shape"]}""";
    static final String RECURSIVE = """
            {"$defs": {"node": {"type": "object",
                                "properties": {"name": {"type": "string", "maxLength": 8},
                                               "children": {"type": "array", "items": {"$ref": "#/$defs/node"},
                                                            "maxItems": 2}},
                                "required": ["name"]}},
             "$ref": "#/$defs/node"}""";
    static final String SCALARS = """
            {"type": "array", "items": {"type": ["string", "number", "boolean", "null"]}, "minItems": 2}""";
    static final String ANYTHING = "{}";
    static final String LITERALS = """
            {"enum": [1, 12, "x", null, {"a": [true]}]}""";
    static final String NUMBER = """
            {"type": "number"}""";

    @BeforeAll
    static void load() throws IOException {
        try (GgufFile f = GgufFile.open(SharedData.stories260K())) {
            stories = Tokenizer.fromMetadata(f.metadata());
        }
        qwen = Tokenizer.fromMetadata(HfTokenizerImport.read(SharedData.resolve("tokenizers/qwen3/tokenizer.json"),
                null));
    }

    // --- (a) json_object under random logits

    @ParameterizedTest
    @ValueSource(ints = {16, 32, 64})
    void randomTokensUnderJsonObjectAlwaysGiveOneObject(int maxTokens) {
        for (Tokenizer t : List.of(stories, qwen)) {
            int seeds = t == stories ? 60 : 12;
            for (int seed = 0; seed < seeds; seed++) {
                Run r = random(t, JsonConstraint.object(t), maxTokens, seed);
                assertThat(parse(r.bytes()).isObject()).as(r.text()).isTrue();
                assertThat(r.stopped()).as("ended by an end token: %s", r.text()).isTrue();
                assertThat(r.tokens().size()).isLessThan(maxTokens);
            }
        }
    }

    @Test
    void whitespaceIsBoundedAndNeverLeads() {
        for (int seed = 0; seed < 40; seed++) {
            String text = random(stories, JsonConstraint.object(stories), 48, seed).text();
            assertThat(text).startsWith("{").doesNotContain("  \"").doesNotContain("\t\t").doesNotContain(" \n");
        }
    }

    // --- (b) json_schema under random logits

    static Stream<Arguments> schemas() {
        return Stream.of(PERSON, NESTED, ALTERNATIVES, RECURSIVE, SCALARS, ANYTHING, LITERALS, NUMBER)
                .map(Arguments::of);
    }

    @ParameterizedTest
    @MethodSource("schemas")
    void randomTokensUnderASchemaAlwaysGiveAConformingValue(String text) throws IOException {
        JsonNode schema = JSON.readTree(text);
        for (Tokenizer t : List.of(stories, qwen)) {
            int least = JsonConstraint.schema(t, schema).bytesToFinish();
            int seeds = t == stories ? 25 : 5;
            for (int maxTokens : new int[] {least + 2, least + 12, 2 * least + 40}) {
                for (int seed = 0; seed < seeds; seed++) {
                    Run r = random(t, JsonConstraint.schema(t, schema), maxTokens, seed);
                    JsonNode value = parse(r.bytes());
                    assertThat(violations(value, schema, schema)).as(r.text()).isEmpty();
                    assertThat(r.stopped()).as("ended by an end token: %s", r.text()).isTrue();
                }
            }
        }
    }

    @Test
    void theShortestBudgetStillGivesAValidDocument() throws IOException {
        // without room for an end token the document is finished by the budget instead
        JsonNode schema = JSON.readTree(PERSON);
        int least = JsonConstraint.schema(stories, schema).bytesToFinish();
        for (int seed = 0; seed < 20; seed++) {
            Run r = random(stories, JsonConstraint.schema(stories, schema), least, seed);
            assertThat(violations(parse(r.bytes()), schema, schema)).as(r.text()).isEmpty();
        }
    }

    @Test
    void requiredKeysComeInTheSchemasOrderAndNoOthers() throws IOException {
        JsonNode schema = JSON.readTree(PERSON);
        List<String> order = List.of("name", "age", "member", "role", "nickname", "tags");
        for (int seed = 0; seed < 20; seed++) {
            JsonNode v = parse(random(qwen, JsonConstraint.schema(qwen, schema), 80, seed).bytes());
            List<String> keys = new ArrayList<>();
            v.fieldNames().forEachRemaining(keys::add);
            assertThat(keys).isSubsetOf(order).containsAll(List.of("name", "age", "member", "role", "tags"));
            assertThat(keys).isSortedAccordingTo((a, b) -> Integer.compare(order.indexOf(a), order.indexOf(b)));
        }
    }

    @Test
    void aTopLevelNumberMayGoOnOrEnd() throws IOException {
        JsonConstraint c = JsonConstraint.schema(stories, JSON.readTree(NUMBER));
        feed(c, stories, "12");
        assertThat(c.complete()).isTrue();
        Set<Integer> allowed = allowed(c, stories, 100);
        assertThat(allowed).contains(stories.eos(), single(stories, '3'), single(stories, '.'))
                .doesNotContain(single(stories, ' '), single(stories, '-'));
    }

    // --- (c) a real model, greedy

    @Test
    void storiesModelWritesParseableJsonGreedily() throws IOException {
        try (Model model = Model.load(SharedData.stories260K()); ThreadTeam team = new ThreadTeam(1)) {
            Tokenizer t = Tokenizer.fromMetadata(model.metadata());
            int[] prompt = t.encode("Once upon a time", true, false);
            for (String schema : List.of("object", PERSON, RECURSIVE)) {
                JsonConstraint c = schema.equals("object") ? JsonConstraint.object(t)
                        : JsonConstraint.schema(t, JSON.readTree(schema));
                int maxTokens = c.bytesToFinish() + 40;
                KvCache cache = model.newCache(prompt.length + maxTokens + 1);
                float[] logits = new float[model.config().vocabSize()];
                model.forwardSequence(team, prompt, 0, cache, logits, 128);
                StringBuilder text = new StringBuilder();
                boolean stopped = false;
                for (int step = 0; step < maxTokens; step++) {
                    c.mask(logits, maxTokens - step);
                    int next = ConstraintRuns.argmax(logits);
                    if (t.isEndOfGeneration(next)) {
                        stopped = true;
                        break;
                    }
                    c.accept(next);
                    text.append(new String(t.tokenBytes(next), StandardCharsets.UTF_8));
                    model.forward(team, new int[] {next}, new int[] {prompt.length + step}, new KvCache[] {cache},
                            new float[][] {logits});
                }
                JsonNode v = parse(text.toString().getBytes(StandardCharsets.UTF_8));
                assertThat(stopped).as(text.toString()).isTrue();
                if (!schema.equals("object")) {
                    assertThat(violations(v, JSON.readTree(schema), JSON.readTree(schema))).as(text.toString())
                            .isEmpty();
                } else {
                    assertThat(v.isObject()).isTrue();
                }
            }
        }
    }

    // --- (d) malformed schemas

    static Stream<Arguments> malformed() {
        return Stream.of(
                Arguments.of("{\"type\": \"foo\"}", "unknown type 'foo' at #"),
                Arguments.of("{\"properties\": {\"a\": {\"type\": \"strin\"}}}",
                        "unknown type 'strin' at #/properties/a"),
                Arguments.of("{\"type\": 3}", "type at # must be a type name"),
                Arguments.of("{\"$ref\": \"#/$defs/missing\"}", "$ref '#/$defs/missing' at # points to nothing"),
                Arguments.of("{\"$ref\": \"https://example.com/s.json\"}", "only references inside the schema"),
                Arguments.of("{\"$defs\": {\"a\": {\"$ref\": \"#/$defs/b\"}, \"b\": {\"$ref\": \"#/$defs/a\"}},"
                        + " \"$ref\": \"#/$defs/a\"}", "leads back to itself"),
                Arguments.of("{\"enum\": []}", "enum at # must be a non-empty array"),
                Arguments.of("{\"anyOf\": {}}", "anyOf at # must be a non-empty array"),
                Arguments.of("{\"required\": \"a\"}", "required at # must be an array"),
                Arguments.of("{\"properties\": []}", "properties at # must be an object"),
                Arguments.of("{\"type\": \"array\", \"minItems\": -1}", "minItems at # must be a non-negative integer"),
                Arguments.of("{\"type\": \"string\", \"minLength\": 5, \"maxLength\": 2}",
                        "minLength 5 is above maxLength 2"),
                Arguments.of("{\"items\": 7}", "the schema at #/items must be an object or a boolean"),
                Arguments.of("false", "admits no value"),
                Arguments.of("{\"$defs\": {\"n\": {\"properties\": {\"next\": {\"$ref\": \"#/$defs/n\"}}, "
                        + "\"required\": [\"next\"]}}, \"$ref\": \"#/$defs/n\"}", "admits no value"));
    }

    @ParameterizedTest
    @MethodSource("malformed")
    void malformedSchemasAreRefusedWithTheirPlace(String schema, String message) throws IOException {
        JsonNode node = JSON.readTree(schema);
        assertThatThrownBy(() -> JsonConstraint.schema(stories, node))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
    }

    @Test
    void unenforcedKeywordsAreListed() throws IOException {
        JsonConstraint c = JsonConstraint.schema(stories, JSON.readTree("""
                {"type": "object", "properties": {
                   "email": {"type": "string", "format": "email", "pattern": "^.+@.+$"},
                   "age": {"type": "integer", "minimum": 0},
                   "name": {"type": "string", "description": "not a constraint"}}}"""));
        assertThat(c.ignoredKeywords()).containsExactlyInAnyOrder("format at #/properties/email",
                "pattern at #/properties/email", "minimum at #/properties/age");
        assertThat(JsonConstraint.object(stories).ignoredKeywords()).isEmpty();
    }

    // --- (e) the mask in chosen states

    @Test
    void afterAKeyAndColonAValueMayStartButTheObjectMayNotClose() {
        for (Tokenizer t : List.of(stories, qwen)) {
            JsonConstraint c = JsonConstraint.object(t);
            feed(c, t, "{\"a\":");
            Set<Integer> allowed = allowed(c, t, 100);
            assertThat(allowed).contains(single(t, '"'), single(t, '1'), single(t, 't'), single(t, '['),
                    single(t, '{'), single(t, '-'), single(t, ' '), single(t, 'n'));
            assertThat(allowed).doesNotContain(single(t, '}'), single(t, ','), single(t, ']'), single(t, ':'),
                    single(t, 'x'), single(t, '+'), single(t, '.'));
            for (int id : allowed) {
                assertThat(t.isEndOfGeneration(id)).isFalse();
                assertThat(t.tokenBytes(id)).isNotEmpty();
            }
        }
        JsonConstraint c = JsonConstraint.object(qwen);
        feed(c, qwen, "{\"a\":");
        Set<Integer> allowed = allowed(c, qwen, 100);
        assertThat(allowed).contains(token(qwen, " \""), token(qwen, " true"), token(qwen, " ["))
                .doesNotContain(token(qwen, "  "), token(qwen, " }"), token(qwen, "}"));
    }

    @Test
    void theDocumentStartsWithTheBraceAndEndsWithAnEndToken() {
        JsonConstraint c = JsonConstraint.object(qwen);
        Set<Integer> first = allowed(c, qwen, 100);
        assertThat(first).contains(single(qwen, '{'), token(qwen, "{\""), token(qwen, "{\n"))
                .doesNotContain(token(qwen, " {"), single(qwen, '['), single(qwen, '"'));
        assertThat(first).noneMatch(qwen::isEndOfGeneration);
        feed(c, qwen, "{ }");
        assertThat(c.complete()).isTrue();
        Set<Integer> last = allowed(c, qwen, 100);
        assertThat(last).isNotEmpty().allMatch(qwen::isEndOfGeneration);
    }

    @Test
    void charactersMaySplitAcrossTokensButMustBeWellFormed() {
        JsonConstraint c = JsonConstraint.object(stories);
        feed(c, stories, "{\"a\":\"");
        assertThat(allowed(c, stories, 100)).doesNotContain(byteToken(stories, 0x80), byteToken(stories, 0xC0),
                byteToken(stories, 0xF5), byteToken(stories, 0x0A)).contains(byteToken(stories, 0xE4));
        c.accept(byteToken(stories, 0xE4));
        Set<Integer> allowed = allowed(c, stories, 100);
        assertThat(allowed).hasSize(64).containsAll(byteTokens(stories, 0x80, 0xBF));
        c.accept(byteToken(stories, 0xBD));
        c.accept(byteToken(stories, 0xA0));
        assertThat(allowed(c, stories, 100)).contains(single(stories, '"'));

        JsonConstraint e0 = JsonConstraint.object(stories);
        feed(e0, stories, "{\"a\":\"");
        e0.accept(byteToken(stories, 0xE0)); // no overlong forms: the next byte is A0..BF
        assertThat(allowed(e0, stories, 100)).containsExactlyInAnyOrderElementsOf(byteTokens(stories, 0xA0, 0xBF));
        JsonConstraint ed = JsonConstraint.object(stories);
        feed(ed, stories, "{\"a\":\"");
        ed.accept(byteToken(stories, 0xED)); // no surrogates: 80..9F
        assertThat(allowed(ed, stories, 100)).containsExactlyInAnyOrderElementsOf(byteTokens(stories, 0x80, 0x9F));
    }

    @Test
    void escapesIncludingSurrogatePairs() {
        JsonConstraint c = JsonConstraint.object(stories);
        feed(c, stories, "{\"a\":\"x\\");
        assertThat(allowed(c, stories, 100)).contains(single(stories, 'n'), single(stories, 'u'), single(stories, '"'))
                .doesNotContain(single(stories, 'x'), single(stories, '0'));
        feed(c, stories, "u00e9\\ud83d");
        assertThat(allowed(c, stories, 100)).containsExactlyInAnyOrderElementsOf(tokens(stories, "\\"));
        feed(c, stories, "\\u");
        List<Integer> d = new ArrayList<>(tokens(stories, "d"));
        d.addAll(tokens(stories, "D"));
        assertThat(allowed(c, stories, 100)).containsExactlyInAnyOrderElementsOf(d);
        feed(c, stories, "de00\"}");
        assertThat(c.complete()).isTrue();

        JsonConstraint lone = JsonConstraint.object(stories);
        feed(lone, stories, "{\"a\":\"\\ud");
        assertThat(allowed(lone, stories, 100)).contains(single(stories, '8'), single(stories, '0'))
                .doesNotContain(single(stories, 'c'), single(stories, 'f'));
    }

    @Test
    void nearTheEndOfTheBudgetOnlyClosingTokensRemain() {
        JsonConstraint c = JsonConstraint.object(qwen);
        feed(c, qwen, "{\"a\":[\"xyz");
        assertThat(c.bytesToFinish()).isEqualTo(3);
        // three bytes to close, one token for the end: with four tokens left the string must close now
        Set<Integer> allowed = allowed(c, qwen, 4);
        assertThat(allowed).contains(single(qwen, '"'), token(qwen, "\"]"), token(qwen, "\"]}"))
                .doesNotContain(single(qwen, 'a'), token(qwen, "\","));
        for (int id : allowed) {
            assertThat(new String(qwen.tokenBytes(id), StandardCharsets.UTF_8)).contains("\"");
        }
        assertThat(allowed(c, qwen, 5)).contains(single(qwen, 'a'), token(qwen, " the"));
    }

    @Test
    void aRequiredKeyIsTheOnlyWayOn() throws IOException {
        JsonConstraint c = JsonConstraint.schema(qwen, JSON.readTree(PERSON));
        feed(c, qwen, "{");
        Set<Integer> allowed = allowed(c, qwen, 1000);
        assertThat(allowed).contains(single(qwen, '"'), single(qwen, ' '), token(qwen, "\"name"))
                .doesNotContain(single(qwen, '}'), token(qwen, "\"a"));
        for (int id : allowed) {
            String s = new String(qwen.tokenBytes(id), StandardCharsets.UTF_8);
            String text = Character.isWhitespace(s.charAt(0)) ? s.substring(1) : s;
            assertThat("\"name\":").as(s).startsWith(text);
        }
        feed(c, qwen, "\"name\":\"Al\",\"age\":");
        assertThat(allowed(c, qwen, 1000)).contains(single(qwen, '4'), single(qwen, '-'))
                .doesNotContain(single(qwen, '"'), single(qwen, '.'), token(qwen, "true"));
    }

    // --- helpers

    static Set<Integer> allowed(JsonConstraint c, Tokenizer t, int remaining) {
        float[] logits = new float[t.vocabSize()];
        c.mask(logits, remaining);
        Set<Integer> out = new TreeSet<>();
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] != Float.NEGATIVE_INFINITY) {
                out.add(i);
            }
        }
        return out;
    }

    /** Accepts {@code text} one single-byte token at a time. */
    static void feed(JsonConstraint c, Tokenizer t, String text) {
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            c.accept(byteToken(t, b & 0xFF));
        }
    }

    static int single(Tokenizer t, char ch) {
        return byteToken(t, ch);
    }

    /** A token whose bytes are exactly {@code b}. */
    static int byteToken(Tokenizer t, int b) {
        for (int i = 0; i < t.vocabSize(); i++) {
            byte[] tb = t.tokenBytes(i);
            if (tb.length == 1 && (tb[0] & 0xFF) == b && !t.isEndOfGeneration(i)) {
                return i;
            }
        }
        throw new AssertionError("no token for byte " + b);
    }

    static List<Integer> byteTokens(Tokenizer t, int from, int to) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < t.vocabSize(); i++) {
            byte[] tb = t.tokenBytes(i);
            if (tb.length == 1 && (tb[0] & 0xFF) >= from && (tb[0] & 0xFF) <= to) {
                out.add(i);
            }
        }
        return out;
    }

    /** All tokens whose bytes are exactly {@code text}. */
    static List<Integer> tokens(Tokenizer t, String text) {
        byte[] want = text.getBytes(StandardCharsets.UTF_8);
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < t.vocabSize(); i++) {
            if (Arrays.equals(t.tokenBytes(i), want) && !t.isEndOfGeneration(i)) {
                out.add(i);
            }
        }
        return out;
    }

    /** The token whose bytes are exactly {@code text}. */
    static int token(Tokenizer t, String text) {
        byte[] want = text.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < t.vocabSize(); i++) {
            if (Arrays.equals(t.tokenBytes(i), want) && !t.isEndOfGeneration(i)) {
                return i;
            }
        }
        throw new AssertionError("no token for '" + text + "'");
    }
}
