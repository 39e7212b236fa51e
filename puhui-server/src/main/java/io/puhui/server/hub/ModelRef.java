// What a user types to name a model: a catalog name with an optional tag, or a file on a hub given exactly.
// Parsing is strict so that a typo fails here with the accepted forms instead of as a 404 from a hub.
package io.puhui.server.hub;

import java.util.Locale;
import java.util.regex.Pattern;

public sealed interface ModelRef permits ModelRef.Named, ModelRef.Direct {

    String FORMS = "use a catalog name such as qwen2.5-0.5b-instruct or qwen2.5-0.5b-instruct:q4_k_m, "
            + "or a file on a hub: ms://OWNER/REPO/path/file.gguf (ModelScope) or hf://OWNER/REPO/path/file.gguf "
            + "(Hugging Face)";

    /** The reference in its canonical written form, which {@link #parse} reads back to an equal reference. */
    String text();

    /** A catalog entry; {@code tag} is null when the user gave none and the entry's default applies. */
    record Named(String name, String tag) implements ModelRef {
        private static final Pattern WORD = Pattern.compile("[a-z0-9][a-z0-9._-]*");

        public Named {
            if (name == null || !WORD.matcher(name).matches()) {
                throw new IllegalArgumentException("'" + name + "' is not a model name: " + FORMS);
            }
            if (tag != null && !WORD.matcher(tag).matches()) {
                throw new IllegalArgumentException("'" + tag + "' is not a tag (letters, digits, '.', '_', '-'): "
                        + FORMS);
            }
        }

        @Override
        public String text() {
            return tag == null ? name : name + ":" + tag;
        }
    }

    /** A file on one hub, downloaded from that hub only. */
    record Direct(HubFile file) implements ModelRef {
        @Override
        public String text() {
            return file.source();
        }
    }

    static ModelRef parse(String input) {
        if (input == null || input.isBlank()) {
            throw new IllegalArgumentException("no model given: " + FORMS);
        }
        String s = input.strip();
        int scheme = s.indexOf("://");
        if (scheme >= 0) {
            return parseDirect(input, s.substring(0, scheme), s.substring(scheme + 3));
        }
        if (s.contains("/")) {
            throw new IllegalArgumentException("'" + input + "' looks like a hub path but has no ms:// or hf:// in "
                    + "front: " + FORMS);
        }
        // Catalog names are lower case; accepting "Qwen2.5-0.5B-Instruct" costs nothing and saves a retry.
        String lower = s.toLowerCase(Locale.ROOT);
        int colon = lower.indexOf(':');
        if (colon < 0) {
            return new Named(lower, null);
        }
        if (colon == 0 || colon == lower.length() - 1 || lower.indexOf(':', colon + 1) >= 0) {
            throw new IllegalArgumentException("'" + input + "' is not NAME or NAME:TAG: " + FORMS);
        }
        return new Named(lower.substring(0, colon), lower.substring(colon + 1));
    }

    private static ModelRef parseDirect(String input, String scheme, String rest) {
        Hub hub;
        try {
            hub = Hub.parse(scheme);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + input + "' has an unknown hub '" + scheme + "://': " + FORMS, e);
        }
        int owner = rest.indexOf('/');
        int repoEnd = owner < 0 ? -1 : rest.indexOf('/', owner + 1);
        if (repoEnd < 0 || repoEnd == rest.length() - 1) {
            throw new IllegalArgumentException("'" + input + "' names no file: give OWNER/REPO and then the path of "
                    + "the .gguf file in the repository, like " + hub.scheme()
                    + "://Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf; " + FORMS);
        }
        String file = rest.substring(repoEnd + 1);
        if (!file.toLowerCase(Locale.ROOT).endsWith(".gguf")) {
            throw new IllegalArgumentException("'" + input + "' is not a .gguf file; Puhui serves GGUF models: "
                    + FORMS);
        }
        try {
            return new Direct(new HubFile(hub, rest.substring(0, repoEnd), file));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + input + "': " + e.getMessage() + "; " + FORMS, e);
        }
    }
}
