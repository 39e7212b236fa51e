// The HTTP side of a pull: asks a hub for a file's size and SHA-256, and opens the file's bytes at an offset.
// Redirects are followed by hand because Hugging Face puts the checksum on the redirect, not on the CDN's answer.
package io.puhui.server.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

final class HubClient implements AutoCloseable {

    /** What the hub says about a file before the download: -1 and null when it does not say. */
    record Remote(long size, String sha256) {
    }

    /**
     * An open response to a download request.
     *
     * @param status      200, 206 or 416
     * @param rangeStart  the first byte of a 206 answer, else 0
     * @param totalSize   the whole file's size if the answer tells it, else -1
     * @param sha256      a checksum found in the answer's headers (Hugging Face), else null
     */
    record Opened(int status, InputStream body, long rangeStart, long totalSize, String sha256) {
    }

    private static final int MAX_REDIRECTS = 10;
    // Until the response headers arrive; the body of a large model is never under a total time limit.
    private static final Duration HEADERS_TIMEOUT = Duration.ofSeconds(30);
    private static final String USER_AGENT = "puhui/0.1 (java " + Runtime.version().feature() + ")";
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;
    private final Map<String, String> env;
    private final Duration connectTimeout;

    HubClient(Map<String, String> env, Duration connectTimeout) {
        this.env = env;
        this.connectTimeout = connectTimeout;
        this.http = HttpClient.newBuilder()
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                // One TCP stream per request keeps Range and resume behaviour plain across CDNs.
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    URI endpoint(Hub hub) {
        return hub.endpoint(env);
    }

    /** The name the user knows the hub by: modelscope.cn, huggingface.co, or a mirror's host. */
    String host(Hub hub) {
        return endpoint(hub).getAuthority();
    }

    Remote describe(HubFile f) throws HubException {
        return switch (f.hub()) {
            case MODELSCOPE -> describeModelScope(f);
            case HUGGINGFACE -> describeHuggingFace(f);
        };
    }

    private Remote describeModelScope(HubFile f) throws HubException {
        String host = host(f.hub());
        URI listing = f.hub().listingUrl(endpoint(f.hub()), f.repo());
        HttpResponse<InputStream> r = exchange(f.hub(), "GET", listing, 0).response();
        JsonNode root;
        try (InputStream in = r.body()) {
            checkStatus(f, host, r.statusCode(), "repository " + f.repo());
            root = JSON.readTree(in);
        } catch (HubException e) {
            throw e;
        } catch (IOException e) {
            throw new HubException(HubException.Kind.REFUSED, host, "the file list of " + f.repo()
                    + " is not readable JSON (" + e.getMessage() + ")", e);
        }
        int code = root.path("Code").asInt(200);
        if (code != 200 || !root.path("Success").asBoolean(true)) {
            throw new HubException(HubException.Kind.NOT_FOUND, host, "no repository " + f.repo() + " ("
                    + root.path("Message").asText("code " + code) + ")");
        }
        for (JsonNode file : root.path("Data").path("Files")) {
            String path = file.hasNonNull("Path") ? file.get("Path").asText() : file.path("Name").asText();
            if (path.equals(f.file())) {
                return new Remote(file.path("Size").asLong(-1), sha256(file.path("Sha256").asText("")));
            }
        }
        throw new HubException(HubException.Kind.NOT_FOUND, host, "repository " + f.repo() + " has no file "
                + f.file());
    }

    private Remote describeHuggingFace(HubFile f) throws HubException {
        String host = host(f.hub());
        URI uri = f.hub().fileUrl(endpoint(f.hub()), f.repo(), f.file());
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpResponse<Void> r = send(f.hub(), request(f.hub(), "HEAD", uri, 0),
                    HttpResponse.BodyHandlers.discarding());
            int status = r.statusCode();
            HttpHeaders h = r.headers();
            Optional<String> linkedSize = h.firstValue("X-Linked-Size");
            String linkedSha = sha256(h.firstValue("X-Linked-Etag").orElse(""));
            if (isRedirect(status) && linkedSize.isEmpty() && linkedSha == null) {
                // A renamed repository redirects within the hub; the CDN redirect carries the X-Linked headers.
                uri = location(f.hub(), uri, h);
                continue;
            }
            if (isRedirect(status)) {
                return new Remote(parseLong(linkedSize.orElse("")), linkedSha);
            }
            if (status == 405 || status == 501) {
                // A mirror that does not answer HEAD: the download's own headers will have to do.
                return new Remote(-1, null);
            }
            checkStatus(f, host, status, f.file() + " in " + f.repo());
            long size = parseLong(linkedSize.orElse(""));
            if (size < 0) {
                size = h.firstValueAsLong("Content-Length").orElse(-1);
            }
            return new Remote(size, linkedSha != null ? linkedSha : sha256(h.firstValue("ETag").orElse("")));
        }
        throw new HubException(HubException.Kind.REFUSED, host, "more than " + MAX_REDIRECTS + " redirects for "
                + f.file());
    }

    /** Requests the file from byte {@code from} (0: the whole file). */
    Opened open(HubFile f, long from) throws HubException {
        String host = host(f.hub());
        URI uri = f.hub().fileUrl(endpoint(f.hub()), f.repo(), f.file());
        Exchange ex = exchange(f.hub(), "GET", uri, from);
        HttpResponse<InputStream> r = ex.response();
        int status = r.statusCode();
        HttpHeaders h = r.headers();
        String sha = null;
        if (f.hub() == Hub.HUGGINGFACE) {
            for (HttpHeaders hop : ex.hops()) {
                sha = sha256(hop.firstValue("X-Linked-Etag").orElse(""));
                if (sha != null) {
                    break;
                }
            }
        }
        switch (status) {
            case 200 -> {
                return new Opened(200, r.body(), 0, h.firstValueAsLong("Content-Length").orElse(-1), sha);
            }
            case 206 -> {
                Matcher m = CONTENT_RANGE.matcher(h.firstValue("Content-Range").orElse(""));
                if (!m.matches()) {
                    close(r.body());
                    throw new HubException(HubException.Kind.REFUSED, host, "answered a resume request with a "
                            + "partial response but no usable Content-Range header");
                }
                long total = m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3));
                return new Opened(206, r.body(), Long.parseLong(m.group(1)), total, sha);
            }
            case 416 -> {
                close(r.body());
                return new Opened(416, InputStream.nullInputStream(), 0, -1, sha);
            }
            default -> {
                close(r.body());
                checkStatus(f, host, status, f.file() + " in " + f.repo());
                throw new HubException(HubException.Kind.REFUSED, host, "answered HTTP " + status + " for "
                        + f.file() + " in " + f.repo());
            }
        }
    }

    /** A final response and the headers of every response on the way to it, redirects included. */
    private record Exchange(HttpResponse<InputStream> response, List<HttpHeaders> hops) {
    }

    /** Sends a request and follows redirects, keeping each hop so that headers on a redirect can be read. */
    private Exchange exchange(Hub hub, String method, URI uri, long from) throws HubException {
        List<HttpHeaders> hops = new ArrayList<>();
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpResponse<InputStream> r = send(hub, request(hub, method, uri, from),
                    HttpResponse.BodyHandlers.ofInputStream());
            hops.add(r.headers());
            if (!isRedirect(r.statusCode())) {
                return new Exchange(r, hops);
            }
            close(r.body());
            uri = location(hub, uri, r.headers());
        }
        throw new HubException(HubException.Kind.REFUSED, host(hub), "more than " + MAX_REDIRECTS + " redirects");
    }

    private HttpRequest request(Hub hub, String method, URI uri, long from) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                .timeout(HEADERS_TIMEOUT)
                .header("User-Agent", USER_AGENT)
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (from > 0) {
            b.header("Range", "bytes=" + from + "-");
        }
        String token = hub == Hub.HUGGINGFACE ? env.get("HF_TOKEN") : null;
        URI base = endpoint(hub);
        // The token is for the hub itself, never for the CDN a download is redirected to.
        if (token != null && !token.isBlank() && base.getAuthority().equalsIgnoreCase(uri.getAuthority())) {
            b.header("Authorization", "Bearer " + token.strip());
        }
        return b.build();
    }

    private <T> HttpResponse<T> send(Hub hub, HttpRequest req, HttpResponse.BodyHandler<T> handler)
            throws HubException {
        try {
            return http.send(req, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException(HubException.Kind.UNREACHABLE, host(hub), "interrupted",
                    new InterruptedIOException("interrupted while waiting for " + req.uri().getHost()));
        } catch (IOException e) {
            throw new HubException(HubException.Kind.UNREACHABLE, host(hub), describe(e), e);
        }
    }

    /** Says in words why a connection failed, from the most telling exception in the cause chain. */
    private String describe(IOException e) {
        if (causedBy(e, UnknownHostException.class) || causedBy(e, UnresolvedAddressException.class)) {
            return "unknown host (no DNS answer)";
        }
        if (causedBy(e, HttpConnectTimeoutException.class)) {
            return "no connection within " + connectTimeout.toSeconds() + " s";
        }
        if (causedBy(e, HttpTimeoutException.class)) {
            return "no answer within " + HEADERS_TIMEOUT.toSeconds() + " s";
        }
        if (causedBy(e, ConnectException.class)) {
            return "cannot connect" + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")");
        }
        return "connection failed (" + e + ")";
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static void checkStatus(HubFile f, String host, int status, String what) throws HubException {
        if (status >= 200 && status < 300) {
            return;
        }
        String hub = f.hub() == Hub.MODELSCOPE ? "ModelScope" : "Hugging Face";
        if (status == 404 || status == 410) {
            throw new HubException(HubException.Kind.NOT_FOUND, host, "HTTP " + status + ": " + hub + " has no "
                    + what);
        }
        if (status == 401 || status == 403) {
            throw new HubException(HubException.Kind.REFUSED, host, "HTTP " + status + ": " + what
                    + " needs a login or an accepted licence on " + hub
                    + (f.hub() == Hub.HUGGINGFACE ? " (set HF_TOKEN to an access token)" : ""));
        }
        if (status == 429) {
            throw new HubException(HubException.Kind.REFUSED, host, "HTTP 429: too many requests; wait a minute");
        }
        if (status >= 500) {
            throw new HubException(HubException.Kind.REFUSED, host, "HTTP " + status + ": server error");
        }
        throw new HubException(HubException.Kind.REFUSED, host, "HTTP " + status + " for " + what);
    }

    private URI location(Hub hub, URI current, HttpHeaders h) throws HubException {
        String loc = h.firstValue("Location").orElse(null);
        if (loc == null) {
            throw new HubException(HubException.Kind.REFUSED, host(hub), "answered a redirect without a Location");
        }
        try {
            return current.resolve(loc);
        } catch (IllegalArgumentException e) {
            throw new HubException(HubException.Kind.REFUSED, host(hub), "redirected to an invalid URL " + loc, e);
        }
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    /**
     * A 64-hex SHA-256 from an ETag-like header value, or null: LFS files carry their SHA-256 there, quoted and
     * possibly weak; small files carry a git SHA-1, which is not a content hash and is ignored.
     */
    static String sha256(String etag) {
        String v = etag.strip();
        if (v.startsWith("W/")) {
            v = v.substring(2);
        }
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
            v = v.substring(1, v.length() - 1);
        }
        v = v.toLowerCase(Locale.ROOT);
        return SHA256.matcher(v).matches() ? v : null;
    }

    private static long parseLong(String s) {
        try {
            return Long.parseLong(s.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void close(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // the response is being abandoned anyway
        }
    }

    /** Stops every transfer of this client at once, which is the only way to wake a read blocked on a stalled body. */
    void abort() {
        http.shutdownNow();
    }

    @Override
    public void close() {
        http.shutdownNow();
    }
}
