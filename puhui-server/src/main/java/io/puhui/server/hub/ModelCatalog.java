// The built-in catalog of friendly model names (qwen2.5-0.5b-instruct:q4_k_m) and where each lives on each hub,
// so that users need not know repository layouts or quantisation file names.
package io.puhui.server.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

public final class ModelCatalog {

    /** A catalog model: for each tag, the file on each hub that carries it. */
    public record Entry(String name, String description, String defaultTag, Map<String, Map<Hub, HubFile>> tags) {
        public Entry {
            tags = Collections.unmodifiableMap(new LinkedHashMap<>(tags));
        }

        public List<String> tagNames() {
            return List.copyOf(tags.keySet());
        }
    }

    /** A catalog reference with its tag settled, and the hubs that carry that file. */
    public record Resolved(String name, String tag, Map<Hub, HubFile> files) {
        /** {@code name:tag}, the name the model is known by once pulled. */
        public String text() {
            return name + ":" + tag;
        }
    }

    private static final String RESOURCE = "catalog.json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ModelRef.Named DEFAULT_CHAT_MODEL = new ModelRef.Named("qwen2.5-0.5b-instruct", "q4_k_m");

    private final Map<String, Entry> entries;

    private ModelCatalog(Map<String, Entry> entries) {
        this.entries = Collections.unmodifiableMap(entries);
    }

    /** The catalog shipped in the jar. */
    public static ModelCatalog builtIn() {
        return BuiltIn.CATALOG;
    }

    private static final class BuiltIn {
        static final ModelCatalog CATALOG = load();

        private static ModelCatalog load() {
            try (InputStream in = ModelCatalog.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException(RESOURCE + " is missing from the class path; the jar is damaged");
                }
                return read(in);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the built-in " + RESOURCE, e);
            }
        }
    }

    /** The model {@code puhui serve} offers when none is configured. */
    public static ModelRef.Named defaultChatModel() {
        return DEFAULT_CHAT_MODEL;
    }

    /** Reads a catalog in the layout of the built-in {@code catalog.json}. */
    public static ModelCatalog read(InputStream in) throws IOException {
        JsonNode root = JSON.readTree(in);
        JsonNode models = root == null ? null : root.get("models");
        if (models == null || !models.isArray()) {
            throw new IllegalArgumentException("catalog: no \"models\" array at the top level");
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (JsonNode m : models) {
            Entry e = entry(m);
            if (entries.putIfAbsent(e.name(), e) != null) {
                throw new IllegalArgumentException("catalog: model '" + e.name() + "' appears twice");
            }
        }
        return new ModelCatalog(entries);
    }

    private static Entry entry(JsonNode m) {
        String name = m.path("name").asText("");
        String where = "catalog: model '" + name + "'";
        try {
            new ModelRef.Named(name, null);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("catalog: '" + name + "' is not a valid model name (lower case "
                    + "letters, digits, '.', '_', '-')", e);
        }
        Map<Hub, String> repos = new EnumMap<>(Hub.class);
        m.path("repos").properties().forEach(r -> repos.put(Hub.parse(r.getKey()), r.getValue().asText()));
        if (repos.isEmpty()) {
            throw new IllegalArgumentException(where + " has no \"repos\"");
        }
        Map<String, Map<Hub, HubFile>> tags = new LinkedHashMap<>();
        for (var t : m.path("tags").properties()) {
            String tag = t.getKey().toLowerCase(Locale.ROOT);
            Map<Hub, HubFile> files = new EnumMap<>(Hub.class);
            for (var r : repos.entrySet()) {
                JsonNode f = t.getValue().isTextual() ? t.getValue() : t.getValue().get(r.getKey().id());
                if (f != null && f.isTextual()) {
                    files.put(r.getKey(), new HubFile(r.getKey(), r.getValue(), f.asText()));
                }
            }
            if (files.isEmpty()) {
                throw new IllegalArgumentException(where + " tag '" + tag + "' names no file on any of its hubs");
            }
            tags.put(tag, Collections.unmodifiableMap(files));
        }
        String defaultTag = m.path("defaultTag").asText("");
        if (!tags.containsKey(defaultTag)) {
            throw new IllegalArgumentException(where + " has default tag '" + defaultTag + "' but its tags are "
                    + tags.keySet());
        }
        return new Entry(name, m.path("description").asText(""), defaultTag, tags);
    }

    public List<String> names() {
        return List.copyOf(entries.keySet());
    }

    public List<Entry> entries() {
        return List.copyOf(entries.values());
    }

    public Entry entry(String name) {
        Entry e = entries.get(name.toLowerCase(Locale.ROOT));
        if (e == null) {
            throw new IllegalArgumentException("unknown model '" + name + "'; the catalog has: "
                    + String.join(", ", entries.keySet())
                    + " (or give a file directly as ms://OWNER/REPO/file.gguf or hf://OWNER/REPO/file.gguf)");
        }
        return e;
    }

    /** Settles the tag (the entry's default when none was given) and looks up the files. */
    public Resolved resolve(ModelRef.Named ref) {
        Entry e = entry(ref.name());
        String tag = ref.tag() == null ? e.defaultTag() : ref.tag();
        Map<Hub, HubFile> files = e.tags().get(tag);
        if (files == null) {
            throw new IllegalArgumentException("model '" + e.name() + "' has no tag '" + tag + "'; its tags are: "
                    + String.join(", ", e.tags().keySet()) + " (default " + e.defaultTag() + ")");
        }
        return new Resolved(e.name(), tag, files);
    }
}
