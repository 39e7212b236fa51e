// OpenAI's response_format as a sampling constraint: json_object (any JSON object) or json_schema (a subset of JSON
// Schema). Masks every token that cannot continue valid output, and steers towards a complete document when the
// token budget runs short, so that an answer cut by max_tokens still parses.
package io.puhui.engine.sampling.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.puhui.engine.sampling.TokenConstraint;
import io.puhui.engine.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

public final class JsonConstraint implements TokenConstraint {
    /** Live alternatives kept at most (anyOf and optional keys fan out; most die within a byte or two). */
    private static final int MAX_CONFIGS = 64;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TokenTrie trie;
    private final List<String> ignored;
    private final int minimumLength;
    private List<Grammar.Frame> configs;

    private JsonConstraint(Tokenizer tokenizer, Grammar.Node root, List<String> ignored) {
        this.trie = TokenTrie.of(tokenizer);
        this.ignored = List.copyOf(ignored);
        this.configs = List.of(Grammar.root(root));
        this.minimumLength = root.minLen;
    }

    /** Any JSON object, as {@code response_format: {"type": "json_object"}} asks. */
    public static JsonConstraint object(Tokenizer tokenizer) {
        Grammar.Node obj = new Grammar.Node(Grammar.Kind.OBJECT);
        obj.free = true;
        Grammar.computeMinLengths(obj);
        return new JsonConstraint(tokenizer, obj, List.of());
    }

    /**
     * A document valid under {@code schema}.
     *
     * @throws IllegalArgumentException when the schema is malformed (unknown type, dangling $ref, ...)
     */
    public static JsonConstraint schema(Tokenizer tokenizer, JsonNode schema) {
        List<String> ignored = new ArrayList<>();
        Grammar.Node root = new SchemaCompiler(schema, ignored).compile(schema, "#");
        Grammar.computeMinLengths(root);
        if (root.minLen >= Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException("the schema admits no finite document (a required property refers "
                    + "back to itself)");
        }
        return new JsonConstraint(tokenizer, root, ignored);
    }

    /**
     * Bytes in the shortest valid document. A budget of at least this many tokens always ends in a complete one
     * (every token adds a byte or more); with fewer, only a model that writes long tokens gets there.
     */
    public int minimumLength() {
        return minimumLength;
    }

    /** Keywords of the schema that constrain values but are not enforced (e.g. pattern, format, minimum). */
    public List<String> ignoredKeywords() {
        return ignored;
    }

    @Override
    public boolean complete() {
        for (Grammar.Frame f : configs) {
            if (Grammar.complete(f)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void mask(float[] logits, int remainingTokens) {
        int vocab = Math.min(trie.vocab, logits.length);
        boolean[] allowed = new boolean[vocab];
        if (complete()) {
            for (int id = 0; id < vocab; id++) {
                allowed[id] = trie.endOfGeneration[id];
            }
        } else {
            // Every token adds at least one byte, and single-byte tokens for every closing character exist in
            // byte-level and byte-fallback vocabularies: so a token is allowed only when what it leaves still fits
            // into the tokens left after it. That alone guarantees a complete document within the budget.
            int limit = remainingTokens - 1;
            TokenTrie.Node start = trie.all;
            if (inFreeString() && minToClose(configs) <= limit) {
                for (int id : trie.stringSafe) {
                    allowed[id] = true; // string content leaves the distance to the end unchanged
                }
                start = trie.special;
            }
            walk(start, configs, allowed, limit);
        }
        for (int id = 0; id < logits.length; id++) {
            if (id >= vocab || !allowed[id]) {
                logits[id] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /** Marks the tokens under {@code node} that keep some configuration alive and closable within {@code limit}. */
    private void walk(TokenTrie.Node node, List<Grammar.Frame> from, boolean[] allowed, int limit) {
        for (int i = 0; i < node.labels.length; i++) {
            List<Grammar.Frame> next = step(from, node.labels[i] & 0xFF);
            if (next.isEmpty()) {
                continue;
            }
            TokenTrie.Node child = node.children[i];
            if (child.tokens.length > 0 && minToClose(next) <= limit) {
                for (int id : child.tokens) {
                    if (id < allowed.length) {
                        allowed[id] = true;
                    }
                }
            }
            walk(child, next, allowed, limit);
        }
    }

    @Override
    public void accept(int token) {
        if (token < 0 || token >= trie.vocab) {
            return;
        }
        List<Grammar.Frame> now = configs;
        for (byte b : trie.bytes[token]) {
            now = step(now, b & 0xFF);
        }
        if (now.isEmpty() && trie.bytes[token].length > 0) {
            throw new IllegalStateException("token " + token + " ('"
                    + new String(trie.bytes[token], StandardCharsets.UTF_8) + "') is not valid JSON here");
        }
        if (!now.isEmpty()) {
            configs = now;
        }
    }

    private static List<Grammar.Frame> step(List<Grammar.Frame> from, int c) {
        List<Grammar.Frame> out = new ArrayList<>(2);
        for (Grammar.Frame f : from) {
            Grammar.advance(f, c, out);
        }
        if (out.size() > 1) {
            Set<Grammar.Frame> unique = new LinkedHashSet<>(out);
            out = new ArrayList<>(unique);
            if (out.size() > MAX_CONFIGS) {
                out = out.subList(0, MAX_CONFIGS);
            }
        }
        return out;
    }

    private static int minToClose(List<Grammar.Frame> configs) {
        int best = Integer.MAX_VALUE;
        for (Grammar.Frame f : configs) {
            best = Math.min(best, Grammar.minToClose(f));
        }
        return best;
    }

    /** Inside a string that takes any characters, between characters: every token of whole plain characters fits. */
    private boolean inFreeString() {
        for (Grammar.Frame f : configs) {
            if (f.node().kind != Grammar.Kind.STRING || f.mode() != Grammar.S_BODY || f.a() != 0
                    || f.node().maxLength != Integer.MAX_VALUE) {
                return false;
            }
        }
        return true;
    }

    /** JSON Schema to grammar nodes. */
    private static final class SchemaCompiler {
        private final JsonNode document;
        private final List<String> ignored;
        private final Map<String, Grammar.Node> refs = new HashMap<>();

        SchemaCompiler(JsonNode document, List<String> ignored) {
            this.document = document;
            this.ignored = ignored;
        }

        Grammar.Node compile(JsonNode s, String where) {
            if (s == null || s.isMissingNode() || (s.isBoolean() && s.asBoolean()) || (s.isObject() && s.isEmpty())) {
                return Grammar.any();
            }
            if (!s.isObject()) {
                throw new IllegalArgumentException(where + " must be a schema object, got " + s);
            }
            if (s.has("$ref")) {
                return ref(s.get("$ref").asText(), where);
            }
            for (String k : List.of("pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                    "multipleOf", "allOf", "not", "if", "patternProperties", "prefixItems", "uniqueItems",
                    "minProperties", "maxProperties")) {
                if (s.has(k) && !ignored.contains(k)) {
                    ignored.add(k);
                }
            }
            if (s.has("const")) {
                return Grammar.literals(text(s.get("const")));
            }
            if (s.has("enum")) {
                JsonNode e = s.get("enum");
                if (!e.isArray() || e.isEmpty()) {
                    throw new IllegalArgumentException(where + ".enum must be a non-empty array");
                }
                String[] texts = new String[e.size()];
                for (int i = 0; i < texts.length; i++) {
                    texts[i] = text(e.get(i));
                }
                return Grammar.literals(texts);
            }
            for (String alt : List.of("anyOf", "oneOf")) {
                if (s.has(alt)) {
                    JsonNode opts = s.get(alt);
                    if (!opts.isArray() || opts.isEmpty()) {
                        throw new IllegalArgumentException(where + "." + alt + " must be a non-empty array");
                    }
                    Grammar.Node n = new Grammar.Node(Grammar.Kind.ANY_OF);
                    n.options = new Grammar.Node[opts.size()];
                    for (int i = 0; i < opts.size(); i++) {
                        n.options[i] = compile(opts.get(i), where + "." + alt + "[" + i + "]");
                    }
                    return n;
                }
            }
            JsonNode type = s.get("type");
            if (type == null) {
                if (s.has("properties")) {
                    return typed(s, "object", where);
                }
                if (s.has("items")) {
                    return typed(s, "array", where);
                }
                return Grammar.any();
            }
            if (type.isArray()) {
                Grammar.Node n = new Grammar.Node(Grammar.Kind.ANY_OF);
                n.options = new Grammar.Node[type.size()];
                for (int i = 0; i < type.size(); i++) {
                    n.options[i] = typed(s, type.get(i).asText(), where);
                }
                return n;
            }
            return typed(s, type.asText(), where);
        }

        private Grammar.Node typed(JsonNode s, String type, String where) {
            switch (type) {
                case "object": {
                    Grammar.Node n = new Grammar.Node(Grammar.Kind.OBJECT);
                    JsonNode props = s.get("properties");
                    if (props == null || !props.isObject() || props.isEmpty()) {
                        n.free = true;
                        return n;
                    }
                    Set<String> required = new java.util.HashSet<>();
                    s.path("required").forEach(r -> required.add(r.asText()));
                    for (String r : required) {
                        if (!props.has(r)) {
                            throw new IllegalArgumentException(where + ".required names '" + r
                                    + "', which is not among its properties");
                        }
                    }
                    int count = props.size();
                    n.keyLiterals = new byte[count][];
                    n.values = new Grammar.Node[count];
                    n.required = new boolean[count];
                    int i = 0;
                    for (Iterator<Map.Entry<String, JsonNode>> it = props.properties().iterator(); it.hasNext(); i++) {
                        Map.Entry<String, JsonNode> e = it.next();
                        n.keyLiterals[i] = text(JSON.getNodeFactory().textNode(e.getKey()))
                                .getBytes(StandardCharsets.UTF_8);
                        n.required[i] = required.contains(e.getKey());
                        n.values[i] = compile(e.getValue(), where + ".properties." + e.getKey());
                    }
                    if (s.path("additionalProperties").asBoolean(false) && !ignored.contains("additionalProperties")) {
                        ignored.add("additionalProperties");
                    }
                    return n;
                }
                case "array": {
                    Grammar.Node n = new Grammar.Node(Grammar.Kind.ARRAY);
                    n.item = compile(s.get("items"), where + ".items");
                    n.minItems = s.path("minItems").asInt(0);
                    n.maxItems = s.has("maxItems") ? s.get("maxItems").asInt() : Integer.MAX_VALUE;
                    if (n.minItems < 0 || n.maxItems < n.minItems) {
                        throw new IllegalArgumentException(where + ": minItems/maxItems admit no array");
                    }
                    return n;
                }
                case "string": {
                    Grammar.Node n = new Grammar.Node(Grammar.Kind.STRING);
                    n.minLength = s.path("minLength").asInt(0);
                    n.maxLength = s.has("maxLength") ? s.get("maxLength").asInt() : Integer.MAX_VALUE;
                    if (n.minLength < 0 || n.maxLength < n.minLength) {
                        throw new IllegalArgumentException(where + ": minLength/maxLength admit no string");
                    }
                    return n;
                }
                case "number", "integer": {
                    Grammar.Node n = new Grammar.Node(Grammar.Kind.NUMBER);
                    n.integer = type.equals("integer");
                    return n;
                }
                case "boolean":
                    return Grammar.literals("true", "false");
                case "null":
                    return Grammar.literals("null");
                default:
                    throw new IllegalArgumentException(where + ".type '" + type + "' is not a JSON Schema type (use "
                            + "object, array, string, number, integer, boolean or null)");
            }
        }

        private Grammar.Node ref(String ref, String where) {
            Grammar.Node known = refs.get(ref);
            if (known != null) {
                return known;
            }
            if (!ref.startsWith("#")) {
                throw new IllegalArgumentException(where + ".$ref '" + ref + "': only references inside the schema "
                        + "(#/$defs/..., #/definitions/...) are supported");
            }
            JsonNode target = ref.equals("#") ? document : document.at(ref.substring(1));
            if (target.isMissingNode()) {
                throw new IllegalArgumentException(where + ".$ref '" + ref + "' points to nothing in the schema");
            }
            // an indirection node first, so that recursive references find it while the target compiles
            Grammar.Node n = new Grammar.Node(Grammar.Kind.ANY_OF);
            refs.put(ref, n);
            n.options = new Grammar.Node[] {compile(target, ref)};
            return n;
        }

        private static String text(JsonNode value) {
            try {
                return JSON.writeValueAsString(value);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalArgumentException(e);
            }
        }
    }
}
