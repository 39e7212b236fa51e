package io.puhui.server.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.javalin.Javalin;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The tunnel over a real WebSocket on loopback: Javalin's server holds the plane's end, the JDK's client the
 * node's, as in the product. The node's handler produces answers from a counting source, so the tests see
 * how far the node ran ahead of a reader.
 */
class TunnelTest {

    Javalin server;
    WebSocket client;
    final CompletableFuture<Tunnel> plane = new CompletableFuture<>();
    TunnelHost host;
    final Map<String, Source> sources = new java.util.concurrent.ConcurrentHashMap<>();

    /** An answer body of {@code size} bytes (byte i is i mod 251) that counts what was read and whether it was closed. */
    static final class Source extends InputStream {
        final long size;
        final AtomicLong produced = new AtomicLong();
        final CountDownLatch closed = new CountDownLatch(1);

        Source(long size) {
            this.size = size;
        }

        @Override
        public int read() {
            throw new UnsupportedOperationException();
        }

        @Override
        public int read(byte[] b, int off, int len) {
            long p = produced.get();
            if (p >= size) {
                return -1;
            }
            int n = (int) Math.min(len, Math.min(4096, size - p));
            for (int i = 0; i < n; i++) {
                b[off + i] = (byte) ((p + i) % 251);
            }
            produced.addAndGet(n);
            return n;
        }

        @Override
        public void close() {
            closed.countDown();
        }
    }

    @BeforeEach
    void start() throws Exception {
        server = Javalin.create(c -> {
            c.startup.showJavalinBanner = false;
            c.jetty.host = "127.0.0.1";
            c.jetty.port = 0;
            c.routes.ws("/tunnel", ws -> {
                ws.onConnect(ctx -> plane.complete(new Tunnel(new Sockets.JettySender(ctx.session))));
                ws.onBinaryMessage(ctx -> plane.join().receive(ctx.data()));
                ws.onClose(ctx -> plane.join().fail("the node's connection closed"));
            });
        }).start();
        Sockets.Assembler assembler = new Sockets.Assembler();
        CompletableFuture<TunnelHost> hostReady = new CompletableFuture<>();
        client = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/tunnel"), new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
                        ByteBuffer whole = assembler.add(data, last);
                        if (whole != null) {
                            try {
                                hostReady.join().receive(whole);
                            } catch (IOException e) {
                                throw new IllegalStateException(e);
                            }
                        }
                        ws.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
                        hostReady.join().close();
                        return null;
                    }

                    @Override
                    public void onError(WebSocket ws, Throwable error) {
                        hostReady.join().close();
                    }
                }).get(10, TimeUnit.SECONDS);
        host = new TunnelHost(new Sockets.JdkSender(client), this::answer);
        hostReady.complete(host);
        plane.get(10, TimeUnit.SECONDS);
    }

    /** The node's handler: {@code /echo} returns the body, {@code /bytes/N/KEY} N counted bytes, {@code /fail} throws. */
    TunnelHost.Answer answer(String path, Map<String, String> headers, byte[] body) throws IOException {
        if (path.equals("/fail")) {
            throw new IOException("no worker for that model");
        }
        InputStream in;
        if (path.equals("/echo")) {
            in = new java.io.ByteArrayInputStream(body);
        } else {
            String[] p = path.split("/");
            Source s = new Source(Long.parseLong(p[2]));
            sources.put(p[3], s);
            in = s;
        }
        return new TunnelHost.Answer() {
            @Override
            public int status() {
                return 200;
            }

            @Override
            public Map<String, String> headers() {
                return Map.of("Content-Type", "application/octet-stream", "X-Seen", headers.getOrDefault("x-test", ""));
            }

            @Override
            public InputStream body() {
                return in;
            }

            @Override
            public void close() throws IOException {
                in.close();
            }
        };
    }

    @AfterEach
    void stop() {
        client.abort();
        server.stop();
    }

    static void assertPattern(byte[] got, long size) {
        assertThat(got.length).isEqualTo(size);
        for (int i = 0; i < got.length; i++) {
            if (got[i] != (byte) (i % 251)) {
                throw new AssertionError("byte " + i + " is " + got[i]);
            }
        }
    }

    @Test
    void carriesRequestAndAnswerWholeInBothDirections() throws Exception {
        byte[] body = new byte[200_000];
        Arrays.fill(body, (byte) 'x');
        body[0] = '{';
        body[body.length - 1] = '}';
        try (Tunnel.Stream s = plane.join().open("/echo", Map.of("x-test", "中文 ok"), body, Duration.ofSeconds(10))) {
            assertThat(s.head().status()).isEqualTo(200);
            assertThat(s.head().headers()).containsEntry("content-type", "application/octet-stream")
                    .containsEntry("x-seen", "中文 ok");
            assertThat(s.body().readAllBytes()).isEqualTo(body);
        }
        try (Tunnel.Stream s = plane.join().open("/bytes/3000000/big", Map.of(), new byte[0], Duration.ofSeconds(10))) {
            assertPattern(s.body().readAllBytes(), 3_000_000);
        }
        assertThat(plane.join().active()).isZero();
    }

    @Test
    void aSlowReaderHoldsBackOnlyItsOwnStream() throws Exception {
        long size = 8L << 20;
        Tunnel.Stream slow = plane.join().open("/bytes/" + size + "/slow", Map.of(), new byte[0], Duration.ofSeconds(10));
        Tunnel.Stream fast = plane.join().open("/bytes/" + size + "/fast", Map.of(), new byte[0], Duration.ofSeconds(10));
        // the fast stream goes through in full while nobody reads the slow one
        assertPattern(fast.body().readAllBytes(), size);
        fast.close();
        Source s = sources.get("slow");
        // the node stopped producing once the slow stream's window was used up (one chunk of read-ahead)
        assertThat(s.produced.get()).isLessThanOrEqualTo(Frames.WINDOW + Frames.CHUNK);
        assertThat(slow.buffered()).isLessThanOrEqualTo(Frames.WINDOW);
        // and goes on when the reader does
        assertPattern(slow.body().readAllBytes(), size);
        slow.close();
    }

    @Test
    void aClosedStreamCancelsTheNodesWork() throws Exception {
        Tunnel.Stream s = plane.join().open("/bytes/100000000/gone", Map.of(), new byte[0], Duration.ofSeconds(10));
        byte[] some = new byte[1000];
        assertThat(s.body().read(some)).isPositive();
        s.close();
        assertThat(sources.get("gone").closed.await(10, TimeUnit.SECONDS)).as("the node closed the answer").isTrue();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (host.active() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(host.active()).isZero();
        assertThat(sources.get("gone").produced.get()).isLessThan(100_000_000);
    }

    @Test
    void aHandlerFailureReachesTheOpenerBeforeAnyAnswer() {
        assertThatThrownBy(() -> plane.join().open("/fail", Map.of(), new byte[0], Duration.ofSeconds(10)))
                .isInstanceOf(IOException.class).hasMessageContaining("no worker for that model");
        assertThat(plane.join().active()).isZero();
    }

    @Test
    void aLostConnectionEndsOpenStreamsWithAnErrorAndRefusesNewOnes() throws Exception {
        Tunnel.Stream s = plane.join().open("/bytes/100000000/cut", Map.of(), new byte[0], Duration.ofSeconds(10));
        assertThat(s.body().read(new byte[100])).isPositive();
        client.abort();
        assertThatThrownBy(() -> s.body().readAllBytes()).isInstanceOf(IOException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> plane.join().open("/echo", Map.of(), "x".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(5)))
                .isInstanceOf(IOException.class).hasMessageContaining("closed");
    }

    @Test
    void theNodeCancelsItsWorkWhenThePlaneGoes() throws Exception {
        Tunnel.Stream s = plane.join().open("/bytes/100000000/orphan", Map.of(), new byte[0], Duration.ofSeconds(10));
        assertThat(s.body().read(new byte[100])).isPositive();
        server.stop();
        assertThat(sources.get("orphan").closed.await(10, TimeUnit.SECONDS)).as("the node closed the answer").isTrue();
        assertThat(sources.get("orphan").produced.get()).isLessThan(100_000_000);
    }
}
