// A real HTTP server on 127.0.0.1 that serves one GGUF file in both hubs' layouts (ModelScope's file list and
// download, Hugging Face's resolve redirect with X-Linked headers), with switches for the failures a pull must handle.
package io.puhui.server.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

final class LoopbackHub implements AutoCloseable {

    static final String REPO = "puhui-test/Tiny-GGUF";
    static final String FILE = "tiny-q8_0.gguf";
    static final String CATALOG_JSON = """
            {"models": [{"name": "tiny", "defaultTag": "q8_0",
              "repos": {"modelscope": "puhui-test/Tiny-GGUF", "huggingface": "puhui-test/Tiny-GGUF"},
              "tags": {"q8_0": "tiny-q8_0.gguf"}}]}
            """;

    record Request(String method, String path, String query, String range) {
        boolean isDownload() {
            return method.equals("GET") && (path.startsWith("/cdn/") || path.endsWith("/repo"));
        }
    }

    final byte[] content;
    final String sha256;
    final List<Request> requests = new CopyOnWriteArrayList<>();

    /** Non-zero: every request in that hub's layout is answered with this status. */
    volatile int modelScopeStatus;
    volatile int huggingFaceStatus;
    /** The checksum both hubs publish; a wrong one makes the download fail verification. */
    volatile String publishedSha256;
    /** The next download answer sends this many bytes and then drops the connection. */
    volatile long cutNextDownloadAfter = -1;
    /** The next download answer sends this many bytes and then goes silent without closing. */
    volatile long stallNextDownloadAfter = -1;
    /** Answer range requests with the whole file, as servers without resume support do. */
    volatile boolean ignoreRange;

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final CountDownLatch closing = new CountDownLatch(1);

    LoopbackHub(byte[] content) throws IOException {
        this.content = content;
        this.sha256 = sha256(content);
        this.publishedSha256 = sha256;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    String base() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The environment a pull sees: both endpoints here (Hugging Face under a path, as some mirrors are). */
    Map<String, String> env(Hub preferred) {
        return Map.of("PUHUI_HUB", preferred.id(), "PUHUI_MODELSCOPE_ENDPOINT", base(),
                "PUHUI_HF_ENDPOINT", base() + "/hf");
    }

    List<Request> downloads() {
        return requests.stream().filter(Request::isDownload).toList();
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getRawPath();
        String query = ex.getRequestURI().getRawQuery();
        requests.add(new Request(ex.getRequestMethod(), path, query, ex.getRequestHeaders().getFirst("Range")));
        try (ex) {
            String ms = "/api/v1/models/" + REPO + "/repo";
            String hf = "/hf/" + REPO + "/resolve/main/" + FILE;
            if (path.startsWith("/api/") && modelScopeStatus != 0) {
                reply(ex, modelScopeStatus, "{\"Code\":" + modelScopeStatus + ",\"Message\":\"switched off\"}");
            } else if (path.startsWith("/hf/") && huggingFaceStatus != 0) {
                reply(ex, huggingFaceStatus, "switched off");
            } else if (path.equals(ms + "/files") && "Revision=master&Recursive=true".equals(query)) {
                reply(ex, 200, """
                        {"Code":200,"Data":{"Files":[
                          {"Name":"README.md","Path":"README.md","Sha256":"","Size":12,"Type":"blob"},
                          {"Name":"%s","Path":"%s","Sha256":"%s","Size":%d,"Type":"blob","IsLFS":true}
                        ]},"Message":"success","Success":true}""".formatted(FILE, FILE, publishedSha256,
                        content.length));
            } else if (path.equals(ms) && ("Revision=master&FilePath=" + FILE).equals(query)) {
                serveBytes(ex);
            } else if (path.equals(hf)) {
                // As huggingface.co does for LFS files: checksum and size on the redirect to the CDN.
                ex.getResponseHeaders().set("X-Linked-Etag", "\"" + publishedSha256 + "\"");
                ex.getResponseHeaders().set("X-Linked-Size", String.valueOf(content.length));
                ex.getResponseHeaders().set("ETag", "W/\"0123456789abcdef0123456789abcdef01234567\"");
                ex.getResponseHeaders().set("Location", "/cdn/blobs/" + sha256);
                ex.sendResponseHeaders(302, -1);
            } else if (path.equals("/cdn/blobs/" + sha256)) {
                // The CDN's ETag is not a SHA-256, as with S3; a client must not take it for one.
                ex.getResponseHeaders().set("ETag", "\"d41d8cd98f00b204e9800998ecf8427e\"");
                serveBytes(ex);
            } else {
                reply(ex, 404, "{\"Code\":404,\"Message\":\"not found: " + path + "\"}");
            }
        }
    }

    private void serveBytes(HttpExchange ex) throws IOException {
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().set("Accept-Ranges", "bytes");
            ex.sendResponseHeaders(200, -1);
            return;
        }
        String range = ex.getRequestHeaders().getFirst("Range");
        long start = 0;
        int status = 200;
        if (range != null && !ignoreRange) {
            start = Long.parseLong(range.substring("bytes=".length(), range.indexOf('-')));
            if (start >= content.length) {
                ex.getResponseHeaders().set("Content-Range", "bytes */" + content.length);
                ex.sendResponseHeaders(416, -1);
                return;
            }
            status = 206;
            ex.getResponseHeaders().set("Content-Range",
                    "bytes " + start + "-" + (content.length - 1) + "/" + content.length);
        }
        long length = content.length - start;
        ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
        ex.sendResponseHeaders(status, length);
        OutputStream out = ex.getResponseBody();
        long cut = cutNextDownloadAfter;
        long stall = stallNextDownloadAfter;
        cutNextDownloadAfter = -1;
        stallNextDownloadAfter = -1;
        long send = cut >= 0 ? Math.min(cut, length) : stall >= 0 ? Math.min(stall, length) : length;
        out.write(content, (int) start, (int) send);
        out.flush();
        if (cut >= 0) {
            // An exception out of the handler makes the server drop the connection mid-body.
            throw new IOException("cut after " + send + " bytes, as a flaky network would");
        }
        if (stall >= 0) {
            try {
                closing.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("stalled");
        }
        out.close();
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", body.startsWith("{") ? "application/json" : "text/plain");
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        closing.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
