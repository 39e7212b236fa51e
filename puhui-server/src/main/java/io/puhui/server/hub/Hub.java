// The two model hubs Puhui downloads from, and the URL layout of each. ModelScope comes first because
// most users are in China, where it is fast and Hugging Face is often slow or blocked.
package io.puhui.server.hub;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;

public enum Hub {
    MODELSCOPE("ms", "modelscope", "https://modelscope.cn", List.of("PUHUI_MODELSCOPE_ENDPOINT")),
    // HF_ENDPOINT is what huggingface_hub reads, so a mirror such as hf-mirror.com set up for it works here too.
    HUGGINGFACE("hf", "huggingface", "https://huggingface.co", List.of("PUHUI_HF_ENDPOINT", "HF_ENDPOINT"));

    /** The environment variable that picks the hub tried first. */
    public static final String PREFERRED_HUB_ENV = "PUHUI_HUB";

    private final String scheme;
    private final String id;
    private final String defaultEndpoint;
    private final List<String> endpointEnv;

    Hub(String scheme, String id, String defaultEndpoint, List<String> endpointEnv) {
        this.scheme = scheme;
        this.id = id;
        this.defaultEndpoint = defaultEndpoint;
        this.endpointEnv = endpointEnv;
    }

    /** The short name used in references: {@code ms} or {@code hf}. */
    public String scheme() {
        return scheme;
    }

    /** The long name, used as the directory under the models directory and in {@code PUHUI_HUB}. */
    public String id() {
        return id;
    }

    public Hub other() {
        return this == MODELSCOPE ? HUGGINGFACE : MODELSCOPE;
    }

    /** The base URL from the environment, without a trailing slash. */
    public URI endpoint(Map<String, String> env) {
        String base = defaultEndpoint;
        String from = null;
        for (String name : endpointEnv) {
            String v = env.get(name);
            if (v != null && !v.isBlank()) {
                base = v.strip();
                from = name;
                break;
            }
        }
        while (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        URI uri;
        try {
            uri = URI.create(base);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(from + "=" + base + " is not a URL; set it like " + defaultEndpoint, e);
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
            throw new IllegalArgumentException(from + "=" + base + " is not an http(s) URL; set it like "
                    + defaultEndpoint);
        }
        return uri;
    }

    /** Where the file's bytes are served. */
    public URI fileUrl(URI endpoint, String repo, String file) {
        return switch (this) {
            case HUGGINGFACE -> URI.create(endpoint + "/" + encodePath(repo) + "/resolve/main/" + encodePath(file));
            case MODELSCOPE -> URI.create(endpoint + "/api/v1/models/" + encodePath(repo)
                    + "/repo?Revision=master&FilePath=" + encodePath(file));
        };
    }

    /** ModelScope's file listing, the only place it publishes sizes and SHA-256 sums. */
    public URI listingUrl(URI endpoint, String repo) {
        if (this != MODELSCOPE) {
            throw new UnsupportedOperationException("Hugging Face sends checksums in response headers");
        }
        return URI.create(endpoint + "/api/v1/models/" + encodePath(repo)
                + "/repo/files?Revision=master&Recursive=true");
    }

    /** Accepts what people type: {@code modelscope}, {@code ms}, {@code huggingface}, {@code hf}. */
    public static Hub parse(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        for (Hub h : values()) {
            if (h.id.equals(t) || h.scheme.equals(t)) {
                return h;
            }
        }
        throw new IllegalArgumentException("unknown hub '" + text + "': use modelscope (or ms) or huggingface (or hf)");
    }

    /** The hub tried first: {@code PUHUI_HUB}, else ModelScope. */
    public static Hub preferred(Map<String, String> env) {
        String v = env.get(PREFERRED_HUB_ENV);
        if (v == null || v.isBlank()) {
            return MODELSCOPE;
        }
        try {
            return parse(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PREFERRED_HUB_ENV + "=" + v
                    + " is not a hub: set it to modelscope (or ms) or huggingface (or hf)", e);
        }
    }

    /** Percent-encodes a path, keeping its slashes, so that one encoder serves both path and query use. */
    static String encodePath(String path) {
        StringBuilder sb = new StringBuilder(path.length() + 16);
        for (byte b : path.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return sb.toString();
    }
}
