// Turns a JSON schema (the part of it that structured output needs) into shapes, rejects malformed schemas with
// the place of the fault, and lists the keywords that restrict values but are not enforced while generating.
package io.puhui.engine.sampling.json;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

final class SchemaCompiler {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_NESTING = 100;

    /** Keywords that narrow what is valid but that generation does not enforce. */
    private static final List<String> UNENFORCED = List.of("pattern", "format", "minimum", "maximum",
            "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minProperties", "maxProperties",
            "patternProperties", "propertyNames", "dependentRequired", "dependentSchemas", "dependencies",
            "uniqueItems", "contains", "minContains", "maxContains", "prefixItems", "additionalItems",
            "unevaluatedProperties", "unevaluatedItems", "not", "if", "then", "else");

    /** Keywords that say nothing about validity. */
    private static final Set<String> ANNOTATIONS = Set.of("title", "description", "default", "examples",
            "$schema", "$id", "$comment", "$defs", "definitions", "deprecated", "readOnly", "writeOnly");

    private final JsonNode root;
    private final Map<String, Shape.Ref> refs = new LinkedHashMap<>();
    private final List<Shape> shapes = new ArrayList<>();
    private final Set<String> ignored = new LinkedHashSet<>();

    SchemaCompiler(JsonNode root) {
        if (root == null) {
            throw new IllegalArgumentException("the JSON schema is missing");
        }
        this.root = root;
    }

    List<String> ignored() {
        return List.copyOf(ignored);
    }

    Shape compile() {
        Shape s = compile(root, "#", 0);
        for (Shape.Ref r : refs.values()) {
            Shape t = r.target;
            for (int i = 0; t instanceof Shape.Ref next; i++) {
                if (i > refs.size()) {
                    throw new IllegalArgumentException("$ref '" + r.pointer + "' leads back to itself through "
                            + "references only: it describes no value");
                }
                t = next.target;
            }
        }
        Shape.settle(shapes);
        if (s.minLength >= Shape.INFINITE) {
            throw new IllegalArgumentException("the JSON schema admits no value: a required part can never be "
                    + "satisfied (a false schema, an empty enum, or a recursion that is required at every level)");
        }
        return s;
    }

    private <S extends Shape> S register(S s) {
        shapes.add(s);
        return s;
    }

    private Shape compile(JsonNode node, String path, int depth) {
        if (depth > MAX_NESTING) {
            throw new IllegalArgumentException("the JSON schema nests deeper than " + MAX_NESTING + " levels at "
                    + path);
        }
        if (node.isBoolean()) {
            return node.booleanValue() ? Shape.ANY : register(new Shape.Union(List.of()));
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException("the schema at " + path + " must be an object or a boolean, found "
                    + describe(node));
        }
        if (node.has("$ref")) {
            ObjectNode siblings = ((ObjectNode) node).deepCopy();
            siblings.remove("$ref");
            if (!constrains(siblings)) {
                return reference(node.get("$ref"), path, depth);
            }
            // keywords beside $ref apply too: read the target and those keywords as one schema
            return compile(inline(node, path, depth), path, depth + 1);
        }
        if (node.has("allOf")) {
            return compile(allOf(node, path, depth), path, depth + 1);
        }
        report(node, path);
        if (node.has("const")) {
            return literal(List.of(node.get("const")));
        }
        if (node.has("enum")) {
            JsonNode e = node.get("enum");
            if (!e.isArray() || e.isEmpty()) {
                throw new IllegalArgumentException("enum at " + path + " must be a non-empty array, found "
                        + describe(e));
            }
            List<JsonNode> values = new ArrayList<>();
            e.forEach(values::add);
            return literal(values);
        }
        String choice = node.has("anyOf") ? "anyOf" : node.has("oneOf") ? "oneOf" : null;
        if (choice != null) {
            if (node.has("anyOf") && node.has("oneOf")) {
                ignored.add("oneOf beside anyOf at " + path);
            }
            JsonNode alternatives = node.get(choice);
            if (!alternatives.isArray() || alternatives.isEmpty()) {
                throw new IllegalArgumentException(choice + " at " + path + " must be a non-empty array of schemas, "
                        + "found " + describe(alternatives));
            }
            ObjectNode base = ((ObjectNode) node).deepCopy();
            base.remove(List.of("anyOf", "oneOf"));
            base.remove(UNENFORCED);
            boolean shared = constrains(base);
            List<Shape> out = new ArrayList<>();
            for (int i = 0; i < alternatives.size(); i++) {
                String p = path + "/" + choice + "/" + i;
                JsonNode alt = alternatives.get(i);
                // keywords beside anyOf hold for every alternative
                out.add(compile(shared ? merge(base, inline(alt, p, depth), p) : alt, p, depth + 1));
            }
            return register(new Shape.Union(out));
        }
        JsonNode type = node.get("type");
        if (type == null) {
            return typed(node, inferredType(node), path, depth);
        }
        if (type.isTextual()) {
            return typed(node, type.asText(), path, depth);
        }
        if (type.isArray() && !type.isEmpty()) {
            List<Shape> out = new ArrayList<>();
            for (JsonNode t : type) {
                if (!t.isTextual()) {
                    throw new IllegalArgumentException("type at " + path + " must list type names, found "
                            + describe(t));
                }
                out.add(typed(node, t.asText(), path, depth));
            }
            return out.size() == 1 ? out.getFirst() : register(new Shape.Union(out));
        }
        throw new IllegalArgumentException("type at " + path + " must be a type name or a non-empty array of them, "
                + "found " + describe(type));
    }

    private void report(JsonNode node, String path) {
        for (String k : UNENFORCED) {
            if (node.has(k)) {
                ignored.add(k + " at " + path);
            }
        }
        JsonNode items = node.get("items");
        if (items != null && items.isArray()) {
            ignored.add("items (as a list of schemas) at " + path);
        }
    }

    /** The type a schema without "type" describes by its other keywords; null for any value. */
    private static String inferredType(JsonNode node) {
        if (node.has("properties") || node.has("required") || node.has("additionalProperties")) {
            return "object";
        }
        if (node.has("items") || node.has("minItems") || node.has("maxItems")) {
            return "array";
        }
        if (node.has("minLength") || node.has("maxLength")) {
            return "string";
        }
        return null;
    }

    private Shape typed(JsonNode node, String type, String path, int depth) {
        if (type == null) {
            return Shape.ANY;
        }
        return switch (type) {
            case "object" -> object(node, path, depth);
            case "array" -> array(node, path, depth);
            case "string" -> {
                int min = count(node, "minLength", path, 0);
                int max = count(node, "maxLength", path, Integer.MAX_VALUE);
                if (min > max) {
                    throw new IllegalArgumentException("minLength " + min + " is above maxLength " + max + " at "
                            + path);
                }
                yield min == 0 && max == Integer.MAX_VALUE ? Shape.FREE_STRING : register(new Shape.Str(min, max));
            }
            case "number" -> Shape.NUMBER;
            case "integer" -> register(new Shape.Num(true));
            case "boolean" -> Shape.BOOLEAN;
            case "null" -> Shape.NULL;
            default -> throw new IllegalArgumentException("unknown type '" + type + "' at " + path
                    + " (known: object, array, string, number, integer, boolean, null)");
        };
    }

    private Shape object(JsonNode node, String path, int depth) {
        JsonNode props = node.get("properties");
        if (props != null && !props.isObject()) {
            throw new IllegalArgumentException("properties at " + path + " must be an object, found "
                    + describe(props));
        }
        Set<String> required = new LinkedHashSet<>();
        JsonNode req = node.get("required");
        if (req != null) {
            if (!req.isArray()) {
                throw new IllegalArgumentException("required at " + path + " must be an array of property names, "
                        + "found " + describe(req));
            }
            for (JsonNode r : req) {
                if (!r.isTextual()) {
                    throw new IllegalArgumentException("required at " + path + " must list property names, found "
                            + describe(r));
                }
                required.add(r.asText());
            }
        }
        JsonNode additional = node.get("additionalProperties");
        if ((props == null || props.isEmpty()) && required.isEmpty()) {
            if (additional != null && additional.isBoolean() && !additional.booleanValue()) {
                return register(new Shape.Obj(new byte[0][], new Shape[0], new boolean[0], null));
            }
            Shape values = additional == null ? Shape.ANY
                    : compile(additional, path + "/additionalProperties", depth + 1);
            return values == Shape.ANY ? Shape.FREE_OBJECT
                    : register(new Shape.Obj(new byte[0][], new Shape[0], new boolean[0], values));
        }
        // only the listed keys are written (as if additionalProperties were false), in the schema's order
        Map<String, JsonNode> listed = new LinkedHashMap<>();
        if (props != null) {
            props.properties().forEach(e -> listed.put(e.getKey(), e.getValue()));
        }
        for (String r : required) {
            // a required key the schema does not describe still has to be written
            listed.putIfAbsent(r, additional != null && additional.isObject() ? additional : JSON.createObjectNode());
        }
        int n = listed.size();
        byte[][] keys = new byte[n][];
        Shape[] shapes = new Shape[n];
        boolean[] isRequired = new boolean[n];
        int i = 0;
        for (var e : listed.entrySet()) {
            keys[i] = json(TextNode.valueOf(e.getKey()));
            String p = props != null && props.has(e.getKey()) ? path + "/properties/" + escape(e.getKey())
                    : path + "/additionalProperties";
            shapes[i] = compile(e.getValue(), p, depth + 1);
            isRequired[i] = required.contains(e.getKey());
            i++;
        }
        return register(new Shape.Obj(keys, shapes, isRequired, null));
    }

    private Shape array(JsonNode node, String path, int depth) {
        JsonNode items = node.get("items");
        Shape item = items == null || items.isArray() ? Shape.ANY : compile(items, path + "/items", depth + 1);
        int min = count(node, "minItems", path, 0);
        int max = count(node, "maxItems", path, Integer.MAX_VALUE);
        if (min > max) {
            throw new IllegalArgumentException("minItems " + min + " is above maxItems " + max + " at " + path);
        }
        return register(new Shape.Arr(item, min, max));
    }

    private Shape literal(List<JsonNode> values) {
        List<byte[]> bytes = new ArrayList<>();
        List<Integer> zeros = new ArrayList<>();
        for (JsonNode v : values) {
            bytes.add(json(v));
            zeros.add(0);
        }
        return register(new Shape.Literal(LiteralSet.of(bytes, zeros, zeros)));
    }

    private Shape reference(JsonNode ref, String path, int depth) {
        String pointer = pointer(ref, path);
        Shape.Ref r = refs.get(pointer);
        if (r == null) {
            JsonNode target = target(pointer, path);
            r = register(new Shape.Ref(pointer));
            refs.put(pointer, r);
            r.target = compile(target, pointer, depth + 1);
        }
        return r;
    }

    private static String pointer(JsonNode ref, String path) {
        if (!ref.isTextual()) {
            throw new IllegalArgumentException("$ref at " + path + " must be a string, found " + describe(ref));
        }
        String p = ref.asText();
        if (!p.startsWith("#")) {
            throw new IllegalArgumentException("$ref '" + p + "' at " + path + " is not supported: only references "
                    + "inside the schema (#/$defs/..., #/definitions/...) are");
        }
        return p;
    }

    private JsonNode target(String pointer, String path) {
        JsonNode t;
        try {
            t = pointer.equals("#") ? root : root.at(JsonPointer.compile(pointer.substring(1)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("$ref '" + pointer + "' at " + path + " is not a valid JSON pointer: "
                    + e.getMessage(), e);
        }
        if (t.isMissingNode()) {
            throw new IllegalArgumentException("$ref '" + pointer + "' at " + path + " points to nothing in the "
                    + "schema");
        }
        return t;
    }

    /** A schema with a leading $ref replaced by what it refers to (merged with the keywords beside it). */
    private JsonNode inline(JsonNode node, String path, int depth) {
        if (!node.isObject() || !node.has("$ref")) {
            return node;
        }
        if (depth > MAX_NESTING) {
            throw new IllegalArgumentException("$ref at " + path + " leads through more than " + MAX_NESTING
                    + " references");
        }
        String pointer = pointer(node.get("$ref"), path);
        JsonNode target = inline(target(pointer, path), pointer, depth + 1);
        ObjectNode rest = ((ObjectNode) node).deepCopy();
        rest.remove("$ref");
        if (target.isBoolean()) {
            return target.booleanValue() ? rest : target;
        }
        if (!target.isObject()) {
            throw new IllegalArgumentException("the schema at " + pointer + " must be an object or a boolean, found "
                    + describe(target));
        }
        return merge((ObjectNode) target, rest, path);
    }

    private JsonNode allOf(JsonNode node, String path, int depth) {
        JsonNode all = node.get("allOf");
        if (!all.isArray() || all.isEmpty()) {
            throw new IllegalArgumentException("allOf at " + path + " must be a non-empty array of schemas, found "
                    + describe(all));
        }
        ObjectNode out = ((ObjectNode) node).deepCopy();
        out.remove("allOf");
        JsonNode result = out;
        for (int i = 0; i < all.size(); i++) {
            String p = path + "/allOf/" + i;
            JsonNode part = inline(all.get(i), p, depth + 1);
            if (!(result instanceof ObjectNode r)) {
                break;
            }
            if (part.isObject() && r.has("anyOf") && part.has("anyOf")) {
                ignored.add("anyOf at " + p + " (a second anyOf in allOf)");
            }
            result = merge(r, part, p);
        }
        return result;
    }

    /**
     * Both schemas at once, as far as a shallow merge gives it: properties are joined (the later one wins per key),
     * required lists are joined, other keywords of the later one replace the earlier.
     */
    private static JsonNode merge(ObjectNode base, JsonNode later, String path) {
        if (later.isBoolean()) {
            return later.booleanValue() ? base : later;
        }
        if (!later.isObject()) {
            throw new IllegalArgumentException("the schema at " + path + " must be an object or a boolean, found "
                    + describe(later));
        }
        ObjectNode out = base.deepCopy();
        for (var e : later.properties()) {
            String k = e.getKey();
            JsonNode v = e.getValue();
            JsonNode mine = out.get(k);
            if (k.equals("properties") && mine != null && mine.isObject() && v.isObject()) {
                ObjectNode joined = ((ObjectNode) mine).deepCopy();
                joined.setAll((ObjectNode) v);
                out.set(k, joined);
            } else if (k.equals("required") && mine != null && mine.isArray() && v.isArray()) {
                Set<JsonNode> names = new LinkedHashSet<>();
                mine.forEach(names::add);
                v.forEach(names::add);
                ArrayNode joined = JSON.createArrayNode();
                names.forEach(joined::add);
                out.set(k, joined);
            } else {
                out.set(k, v);
            }
        }
        return out;
    }

    /** Whether a schema object has any keyword beyond annotations. */
    private static boolean constrains(ObjectNode node) {
        for (var e : node.properties()) {
            if (!ANNOTATIONS.contains(e.getKey())) {
                return true;
            }
        }
        return false;
    }

    private static int count(JsonNode node, String keyword, String path, int absent) {
        JsonNode v = node.get(keyword);
        if (v == null) {
            return absent;
        }
        if (!v.isNumber() || v.asDouble() < 0 || v.asDouble() != Math.floor(v.asDouble())) {
            throw new IllegalArgumentException(keyword + " at " + path + " must be a non-negative integer, found "
                    + describe(v));
        }
        return (int) Math.min(Integer.MAX_VALUE, v.asDouble());
    }

    private static byte[] json(JsonNode v) {
        try {
            return JSON.writeValueAsBytes(v);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write " + v + " as JSON: " + e.getMessage(), e);
        }
    }

    private static String escape(String name) {
        return name.replace("~", "~0").replace("/", "~1");
    }

    private static String describe(JsonNode v) {
        String s = v.toString();
        return v.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + " "
                + (s.length() > 60 ? s.substring(0, 57) + "..." : s);
    }
}
