package io.puhui.server.tunnel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.puhui.server.api.Json;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The node's end of the tunnel: takes the plane's request streams, has a {@link Handler} answer each on a
 * virtual thread of its own, and sends the answer back in {@link Frames#CHUNK}-sized frames as far as the
 * stream's credit allows. A stream the plane resets, or every stream when the connection drops, is cancelled:
 * its answer is closed, which frees the worker's slot.
 */
public final class TunnelHost implements AutoCloseable {

    /** An answer being produced: status, headers, body; closing it abandons the work. */
    public interface Answer extends Closeable {
        int status();

        Map<String, String> headers();

        InputStream body();
    }

    /** Answers one request. Throwing means no answer could be made; the plane may try elsewhere. */
    @FunctionalInterface
    public interface Handler {
        Answer handle(String path, Map<String, String> headers, byte[] body) throws IOException;
    }

    private final Batcher sender;
    private final Handler handler;
    private final ConcurrentHashMap<Integer, Incoming> streams = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** @param socket sends one message on the WebSocket to the plane */
    public TunnelHost(Frames.Sender socket, Handler handler) {
        this.sender = new Batcher(socket);
        this.handler = handler;
    }

    /** Streams being answered now. */
    public int active() {
        return streams.size();
    }

    /** A frame from the plane; called by the socket's reader, never blocks. */
    public void receive(ByteBuffer message) throws IOException {
        try {
            for (Frames.Frame f : Frames.read(message)) {
                receive(f);
            }
        } catch (IllegalArgumentException e) {
            throw new IOException("the plane sent a bad frame: " + e.getMessage());
        }
    }

    private void receive(Frames.Frame f) throws IOException {
        int id = f.stream();
        switch (f.type()) {
            case Frames.OPEN -> {
                if (closed) {
                    return;
                }
                JsonNode open = Json.MAPPER.readTree(f.text());
                Map<String, String> headers = new LinkedHashMap<>();
                open.path("headers").properties().forEach(e -> headers.put(e.getKey(), e.getValue().asText()));
                streams.put(id, new Incoming(id, open.path("path").asText("/"), headers));
            }
            case Frames.DATA -> {
                Incoming s = streams.get(id);
                if (s != null) {
                    byte[] b = new byte[f.payload().remaining()];
                    f.payload().duplicate().get(b);
                    s.request.write(b, 0, b.length);
                }
            }
            case Frames.END -> {
                Incoming s = streams.get(id);
                if (s != null) {
                    Thread.ofVirtual().name("tunnel-stream-" + id).start(s::run);
                }
            }
            case Frames.RESET -> {
                Incoming s = streams.remove(id);
                if (s != null) {
                    s.cancel();
                }
            }
            case Frames.CREDIT -> {
                Incoming s = streams.get(id);
                if (s != null) {
                    s.credit(f.payload().getInt(0));
                }
            }
            default -> throw new IOException("the plane sent a frame of type " + f.type());
        }
    }

    /** The connection is gone: every stream is cancelled. */
    @Override
    public void close() {
        closed = true;
        for (Incoming s : streams.values()) {
            s.cancel();
        }
        streams.clear();
        sender.close();
    }

    private final class Incoming {
        final int id;
        final String path;
        final Map<String, String> headers;
        final ByteArrayOutputStream request = new ByteArrayOutputStream();
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition granted = lock.newCondition();
        private int credit = Frames.WINDOW;
        private boolean cancelled;
        private Answer answer;

        Incoming(int id, String path, Map<String, String> headers) {
            this.id = id;
            this.path = path;
            this.headers = headers;
        }

        void run() {
            Answer a = null;
            try {
                a = handler.handle(path, headers, request.toByteArray());
                if (!attach(a)) {
                    return;
                }
                ObjectNode head = Json.MAPPER.createObjectNode().put("status", a.status());
                ObjectNode h = head.putObject("headers");
                a.headers().forEach(h::put);
                sender.send(Frames.frame(Frames.HEAD, id, head.toString()));
                byte[] buf = new byte[Frames.CHUNK];
                InputStream in = a.body();
                for (int n; (n = in.read(buf)) >= 0; ) {
                    for (int off = 0; off < n; ) {
                        int k = take(n - off);
                        if (k < 0) {
                            return;
                        }
                        sender.send(Frames.frame(Frames.DATA, id, buf, off, k));
                        off += k;
                    }
                }
                sender.send(Frames.empty(Frames.END, id));
            } catch (Exception e) {
                if (!isCancelled()) {
                    try {
                        sender.send(Frames.frame(Frames.RESET, id, e.getMessage() == null ? e.toString() : e.getMessage()));
                    } catch (IOException gone) {
                        // the plane learns from the closed connection
                    }
                }
            } finally {
                streams.remove(id);
                if (a != null) {
                    try {
                        a.close();
                    } catch (IOException ignored) {
                        // the worker connection is dropped either way
                    }
                }
            }
        }

        private boolean attach(Answer a) {
            lock.lock();
            try {
                answer = a;
                return !cancelled;
            } finally {
                lock.unlock();
            }
        }

        private boolean isCancelled() {
            lock.lock();
            try {
                return cancelled;
            } finally {
                lock.unlock();
            }
        }

        /** Waits for credit; takes up to {@code want} bytes of it, or -1 when the stream was cancelled. */
        private int take(int want) throws InterruptedException {
            lock.lock();
            try {
                while (credit == 0 && !cancelled) {
                    granted.await();
                }
                if (cancelled) {
                    return -1;
                }
                int k = Math.min(want, credit);
                credit -= k;
                return k;
            } finally {
                lock.unlock();
            }
        }

        void credit(int bytes) {
            lock.lock();
            try {
                credit += Math.max(0, bytes);
                granted.signalAll();
            } finally {
                lock.unlock();
            }
        }

        void cancel() {
            Answer a;
            lock.lock();
            try {
                cancelled = true;
                a = answer;
                granted.signalAll();
            } finally {
                lock.unlock();
            }
            if (a != null) {
                try {
                    a.close(); // unblocks a read from the worker and tells it the client is gone
                } catch (IOException ignored) {
                    // closed either way
                }
            }
        }
    }
}
