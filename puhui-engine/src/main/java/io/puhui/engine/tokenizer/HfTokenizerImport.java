// Imports a Hugging Face tokenizer.json (byte-level BPE) and its tokenizer_config.json into GGUF tokenizer
// metadata, so that models converted without a vocabulary, or vocabularies shipped as HF files, tokenize here.
package io.puhui.engine.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.puhui.engine.gguf.MetaValue;
import io.puhui.engine.gguf.Metadata;
import io.puhui.engine.gguf.ValueType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

public final class HfTokenizerImport {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Known pre-tokenizer expressions and the llama.cpp name each corresponds to. */
    private static final Map<String, String> PRE_BY_REGEX = Map.of(
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
            "qwen2",
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
            "llama3");

    private HfTokenizerImport() {
    }

    /**
     * Reads {@code tokenizer.json} (and {@code tokenizer_config.json} beside it when {@code config} is null and the
     * file exists) and returns the GGUF {@code tokenizer.ggml.*} keys plus {@code tokenizer.chat_template}.
     */
    public static Metadata read(Path tokenizerJson, Path config) throws IOException {
        JsonNode root = JSON.readTree(Files.readString(tokenizerJson));
        JsonNode model = root.path("model");
        if (!"BPE".equals(model.path("type").asText())) {
            throw new IllegalArgumentException(tokenizerJson + ": only byte-level BPE tokenizers can be imported, this "
                    + "one is '" + model.path("type").asText("unknown") + "'");
        }
        Map<Integer, String> byId = new HashMap<>();
        Map<Integer, Integer> typeById = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = model.path("vocab").fields(); it.hasNext(); ) {
            var e = it.next();
            byId.put(e.getValue().asInt(), e.getKey());
            typeById.put(e.getValue().asInt(), 1);
        }
        for (JsonNode t : root.path("added_tokens")) {
            int id = t.path("id").asInt();
            byId.put(id, t.path("content").asText());
            typeById.put(id, t.path("special").asBoolean() ? 3 : 4);
        }
        int size = byId.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        String[] tokens = new String[size];
        int[] types = new int[size];
        for (int i = 0; i < size; i++) {
            tokens[i] = byId.getOrDefault(i, "[PAD" + i + "]");
            types[i] = typeById.getOrDefault(i, 5);
        }
        List<String> merges = new ArrayList<>();
        for (JsonNode m : model.path("merges")) {
            merges.add(m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText());
        }
        Metadata out = new Metadata()
                .putString("tokenizer.ggml.model", "gpt2")
                .putString("tokenizer.ggml.pre", preName(root, tokenizerJson))
                .put("tokenizer.ggml.tokens", MetaValue.array(ValueType.STRING, tokens))
                .put("tokenizer.ggml.token_type", MetaValue.array(ValueType.INT32, types))
                .put("tokenizer.ggml.merges", MetaValue.array(ValueType.STRING, merges.toArray(String[]::new)));

        Path cfg = config != null ? config : tokenizerJson.resolveSibling("tokenizer_config.json");
        if (Files.exists(cfg)) {
            JsonNode c = JSON.readTree(Files.readString(cfg));
            Map<String, Integer> idOf = new HashMap<>();
            for (int i = 0; i < size; i++) {
                idOf.putIfAbsent(tokens[i], i);
            }
            setTokenId(out, c, "bos_token", "tokenizer.ggml.bos_token_id", idOf);
            setTokenId(out, c, "eos_token", "tokenizer.ggml.eos_token_id", idOf);
            setTokenId(out, c, "pad_token", "tokenizer.ggml.padding_token_id", idOf);
            setTokenId(out, c, "unk_token", "tokenizer.ggml.unknown_token_id", idOf);
            out.putBool("tokenizer.ggml.add_bos_token", c.path("add_bos_token").asBoolean(false));
            if (c.path("chat_template").isTextual()) {
                out.putString("tokenizer.chat_template", c.path("chat_template").asText());
            }
        }
        return out;
    }

    private static void setTokenId(Metadata out, JsonNode config, String field, String key, Map<String, Integer> idOf) {
        JsonNode v = config.path(field);
        String text = v.isTextual() ? v.asText() : v.path("content").asText(null);
        if (text != null && idOf.containsKey(text)) {
            out.putUInt32(key, idOf.get(text));
        }
    }

    private static String preName(JsonNode root, Path file) {
        List<String> regexes = new ArrayList<>();
        collectRegexes(root.path("pre_tokenizer"), regexes);
        for (String r : regexes) {
            String name = PRE_BY_REGEX.get(r);
            if (name != null) {
                return name;
            }
        }
        throw new IllegalArgumentException(file + ": unrecognised pre-tokenizer " + regexes
                + "; known expressions are those of qwen2 and llama3");
    }

    private static void collectRegexes(JsonNode node, List<String> out) {
        if (node.has("pattern") && node.path("pattern").has("Regex")) {
            out.add(node.path("pattern").path("Regex").asText());
        }
        for (JsonNode child : node.path("pretokenizers")) {
            collectRegexes(child, out);
        }
    }
}
