package io.puhui.server.tunnel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.puhui.server.api.Json;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The control plane's end of one agent's tunnel: opens request streams to the node and reads their answers.
 * {@link #receive} takes the node's frames from the socket's reader and never blocks it: each stream buffers
 * at most {@link Frames#WINDOW} bytes (the node waits for credit beyond that), so a client that reads slowly
 * holds back its own stream only.
 */
public final class Tunnel {

    /** An answer's status line and headers (names in lower case). */
    public record Head(int status, Map<String, String> headers) {
    }

    private final Batcher sender;
    private final AtomicInteger ids = new AtomicInteger();
    private final ConcurrentHashMap<Integer, Stream> streams = new ConcurrentHashMap<>();
    private volatile String failure;

    /** @param socket sends one message on the node's WebSocket */
    public Tunnel(Frames.Sender socket) {
        this.sender = new Batcher(socket);
    }

    /** Streams open now. */
    public int active() {
        return streams.size();
    }

    /**
     * Sends a request and waits for the answer's head.
     *
     * @throws IOException when the tunnel is down, the node abandons the stream before answering, or no head
     *                     comes within {@code headTimeout}; nothing reached the client then, so it may be retried
     */
    public Stream open(String path, Map<String, String> headers, byte[] body, Duration headTimeout) throws IOException {
        String down = failure;
        if (down != null) {
            throw new IOException(down);
        }
        int id = ids.incrementAndGet();
        Stream s = new Stream(id);
        streams.put(id, s);
        try {
            ObjectNode open = Json.MAPPER.createObjectNode().put("path", path);
            ObjectNode h = open.putObject("headers");
            headers.forEach(h::put);
            sender.send(Frames.frame(Frames.OPEN, id, open.toString()));
            for (int off = 0; off < body.length; off += Frames.CHUNK) {
                sender.send(Frames.frame(Frames.DATA, id, body, off, Math.min(Frames.CHUNK, body.length - off)));
            }
            sender.send(Frames.empty(Frames.END, id));
            s.head.get(headTimeout.toMillis(), TimeUnit.MILLISECONDS);
            return s;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            s.close();
            throw new IOException("interrupted while waiting for the node");
        } catch (TimeoutException e) {
            s.close();
            throw new IOException("the node did not answer within " + headTimeout.toSeconds() + " s");
        } catch (ExecutionException e) {
            streams.remove(id);
            throw new IOException(e.getCause().getMessage());
        } catch (IOException e) {
            streams.remove(id);
            throw e;
        }
    }

    /** A frame from the node. Frames of streams already closed here are dropped. */
    public void receive(ByteBuffer message) {
        java.util.List<Frames.Frame> frames;
        try {
            frames = Frames.read(message);
        } catch (IllegalArgumentException e) {
            fail("the node sent a bad frame: " + e.getMessage());
            return;
        }
        for (Frames.Frame f : frames) {
            receive(f);
        }
    }

    private void receive(Frames.Frame f) {
        Stream s = streams.get(f.stream());
        if (s == null) {
            return;
        }
        switch (f.type()) {
            case Frames.HEAD -> s.head(f.text());
            case Frames.DATA -> s.data(f.payload());
            case Frames.END -> s.end(null);
            case Frames.RESET -> s.end(f.text().isEmpty() ? "the node abandoned the answer" : f.text());
            default -> s.end("the node sent a frame of type " + f.type() + " on a stream");
        }
    }

    /** The connection is gone: every open stream ends with {@code reason}, and no new one opens. */
    public void fail(String reason) {
        failure = reason;
        for (Stream s : streams.values()) {
            s.end(reason);
        }
        sender.close();
    }

    /** One request's answer: its head, then its body as an {@link InputStream}. */
    public final class Stream implements Closeable {
        private final int id;
        private final CompletableFuture<Head> head = new CompletableFuture<>();
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition arrived = lock.newCondition();
        private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
        private int buffered;
        private int unacknowledged;
        private boolean ended;
        private String error;
        private final InputStream body = new Body();

        private Stream(int id) {
            this.id = id;
        }

        public Head head() {
            return head.getNow(null);
        }

        /** The answer's body; a read fails with the reason when the stream was abandoned or the node lost. */
        public InputStream body() {
            return body;
        }

        /** Bytes received and not yet read: never more than one window. */
        public int buffered() {
            lock.lock();
            try {
                return buffered;
            } finally {
                lock.unlock();
            }
        }

        private void head(String json) {
            try {
                JsonNode h = Json.MAPPER.readTree(json);
                Map<String, String> headers = new LinkedHashMap<>();
                h.path("headers").properties().forEach(e -> headers.put(e.getKey().toLowerCase(java.util.Locale.ROOT),
                        e.getValue().asText()));
                head.complete(new Head(h.path("status").asInt(502), headers));
            } catch (IOException e) {
                end("the node sent an unreadable head");
            }
        }

        private void data(ByteBuffer payload) {
            byte[] b = new byte[payload.remaining()];
            payload.get(b);
            boolean overrun;
            lock.lock();
            try {
                overrun = buffered + b.length > Frames.WINDOW;
                if (!overrun && !ended) {
                    chunks.add(b);
                    buffered += b.length;
                    arrived.signalAll();
                }
            } finally {
                lock.unlock();
            }
            if (overrun) {
                end("the node sent more than its credit");
                reset("credit exceeded");
            }
        }

        private void end(String why) {
            lock.lock();
            try {
                if (!ended) {
                    ended = true;
                    error = why;
                }
                arrived.signalAll();
            } finally {
                lock.unlock();
            }
            if (why != null) {
                head.completeExceptionally(new IOException(why));
            } else if (!head.isDone()) {
                head.completeExceptionally(new IOException("the node ended the stream without an answer"));
            }
        }

        private void reset(String reason) {
            streams.remove(id);
            try {
                sender.send(Frames.frame(Frames.RESET, id, reason));
            } catch (IOException gone) {
                // the connection is gone: the node cancels its streams itself
            }
        }

        /** Abandons the answer if it has not ended (the client left): the node stops and frees the slot. */
        @Override
        public void close() {
            boolean wasOpen;
            lock.lock();
            try {
                wasOpen = !ended;
                ended = true;
                if (error == null && wasOpen) {
                    error = "closed";
                }
                chunks.clear();
                buffered = 0;
                arrived.signalAll();
            } finally {
                lock.unlock();
            }
            if (wasOpen) {
                reset("the client went away");
            } else {
                streams.remove(id);
            }
        }

        private final class Body extends InputStream {
            private byte[] current;
            private int pos;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                if (current == null || pos == current.length) {
                    current = next();
                    pos = 0;
                    if (current == null) {
                        return -1;
                    }
                }
                int n = Math.min(len, current.length - pos);
                System.arraycopy(current, pos, b, off, n);
                pos += n;
                return n;
            }

            private byte[] next() throws IOException {
                byte[] c;
                int grant = 0;
                lock.lock();
                try {
                    while (chunks.isEmpty() && !ended) {
                        arrived.awaitUninterruptibly();
                    }
                    c = chunks.poll();
                    if (c == null) {
                        if (error != null) {
                            throw new IOException(error);
                        }
                        return null;
                    }
                    buffered -= c.length;
                    unacknowledged += c.length;
                    if (unacknowledged >= Frames.WINDOW / 4 && !ended) {
                        grant = unacknowledged;
                        unacknowledged = 0;
                    }
                } finally {
                    lock.unlock();
                }
                if (grant > 0) {
                    try {
                        sender.send(Frames.credit(id, grant));
                    } catch (IOException e) {
                        // the connection is gone; what is buffered can still be read, then the read fails
                    }
                }
                return c;
            }
        }
    }
}
