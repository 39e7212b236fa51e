// HTTP/1.1 to the workers on loopback over pooled keep-alive sockets, read and written on the request's own
// (virtual) thread. The JDK's HttpClient hands every response through its selector and executor threads; on a
// small machine each hand-over is a wake-up that the client waits for, and relaying a stream made many of them.
package io.puhui.server.gateway;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;

public final class WorkerConnections implements AutoCloseable {
    private static final int CONNECT_TIMEOUT_MS = 5000;
    private final Map<String, ConcurrentLinkedDeque<Connection>> idle = new ConcurrentHashMap<>();

    private static final class Connection {
        final Socket socket;
        final BufferedInputStream in;
        final OutputStream out;

        Connection(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
            this.out = socket.getOutputStream();
        }
    }

    /** A response being read: status, headers (lower-case names) and the body, de-chunked. */
    public final class Exchange implements Closeable {
        final int status;
        final Map<String, String> headers;
        final InputStream body;
        private final Connection connection;
        private final String key;
        private final boolean reusable;
        private boolean finished;

        private Exchange(int status, Map<String, String> headers, Connection c, String key) {
            this.status = status;
            this.headers = headers;
            this.connection = c;
            this.key = key;
            this.reusable = !"close".equalsIgnoreCase(headers.get("connection"));
            String length = headers.get("content-length");
            if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                this.body = new Chunked(c.in, () -> finished = true);
            } else if (length != null) {
                this.body = new Limited(c.in, Long.parseLong(length.trim()), () -> finished = true);
            } else {
                this.body = new Limited(c.in, Long.MAX_VALUE, () -> { });
            }
        }

        public int status() {
            return status;
        }

        /** Response headers, names in lower case. */
        public Map<String, String> headers() {
            return headers;
        }

        public InputStream body() {
            return body;
        }

        /** Returns the socket to the pool when the body was read to its end, else closes it. */
        @Override
        public void close() {
            if (finished && reusable) {
                idle.computeIfAbsent(key, k -> new ConcurrentLinkedDeque<>()).push(connection);
            } else {
                try {
                    connection.socket.close();
                } catch (IOException ignored) {
                    // closing is all we wanted
                }
            }
        }
    }

    /** POSTs {@code body} to {@code base + path} and returns once the response headers are in. */
    public Exchange post(URI base, String path, byte[] body, Map<String, String> headers) throws IOException {
        return post(base, path, body, headers, new Abort());
    }

    /**
     * A hold on the connection of a request in flight, by which another thread gives the request up: the
     * connection is closed, which the worker takes as its client gone, and the request's thread gets an
     * IOException from whatever it was waiting for.
     */
    public static final class Abort {
        private volatile Socket socket;
        private volatile boolean aborted;

        void attach(Socket s) throws IOException {
            socket = s;
            if (aborted) {
                s.close();
            }
        }

        public void abort() {
            aborted = true;
            Socket s = socket;
            if (s != null) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing is all we wanted
                }
            }
        }

        public boolean aborted() {
            return aborted;
        }
    }

    /** {@link #post(URI, String, byte[], Map)}, which {@code abort} can give up at any point. */
    public Exchange post(URI base, String path, byte[] body, Map<String, String> headers, Abort abort)
            throws IOException {
        String key = base.getHost() + ":" + base.getPort();
        StringBuilder head = new StringBuilder(256);
        head.append("POST ").append(path).append(" HTTP/1.1\r\nHost: ").append(key)
                .append("\r\nContent-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
        headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
        head.append("\r\n");
        byte[] headBytes = head.toString().getBytes(StandardCharsets.UTF_8);
        while (true) {
            Connection pooled = poll(key);
            Connection c = pooled != null ? pooled : connect(base);
            try {
                abort.attach(c.socket);
                c.out.write(headBytes);
                c.out.write(body);
                c.out.flush();
                return read(c, key);
            } catch (IOException e) {
                try {
                    c.socket.close();
                } catch (IOException ignored) {
                    // already broken
                }
                if (pooled == null || abort.aborted()) {
                    throw e;
                }
                // a pooled connection the worker had closed meanwhile: nothing was processed, try a fresh one
            }
        }
    }

    private Connection poll(String key) {
        ConcurrentLinkedDeque<Connection> q = idle.get(key);
        for (Connection c; q != null && (c = q.poll()) != null; ) {
            if (!c.socket.isClosed()) {
                return c;
            }
        }
        return null;
    }

    private static Connection connect(URI base) throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress(base.getHost(), base.getPort()), CONNECT_TIMEOUT_MS);
        return new Connection(s);
    }

    private Exchange read(Connection c, String key) throws IOException {
        String status = line(c.in);
        if (status == null) {
            throw new EOFException("the worker closed the connection before answering");
        }
        String[] parts = status.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP response from the worker: " + status);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (String h; (h = line(c.in)) != null && !h.isEmpty(); ) {
            int colon = h.indexOf(':');
            if (colon > 0) {
                headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
            }
        }
        return new Exchange(Integer.parseInt(parts[1]), headers, c, key);
    }

    /** One CRLF-terminated line, or null at end of stream. */
    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(64);
        for (int c; (c = in.read()) >= 0; ) {
            if (c == '\n') {
                int n = b.size();
                byte[] bytes = b.toByteArray();
                return new String(bytes, 0, n > 0 && bytes[n - 1] == '\r' ? n - 1 : n, StandardCharsets.ISO_8859_1);
            }
            b.write(c);
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
    }

    /** A chunked body as plain bytes; each read returns what has arrived, so streams flow token by token. */
    private static final class Chunked extends InputStream {
        private final InputStream in;
        private final Runnable atEnd;
        private long left;
        private boolean done;

        Chunked(InputStream in, Runnable atEnd) {
            this.in = in;
            this.atEnd = atEnd;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) {
                return -1;
            }
            if (left == 0) {
                String size = line(in);
                if (size == null) {
                    throw new EOFException("the worker's stream ended inside a chunked body");
                }
                int semi = size.indexOf(';');
                left = Long.parseLong((semi >= 0 ? size.substring(0, semi) : size).trim(), 16);
                if (left == 0) {
                    for (String t; (t = line(in)) != null && !t.isEmpty(); ) {
                        // trailers: none expected
                    }
                    done = true;
                    atEnd.run();
                    return -1;
                }
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                throw new EOFException("the worker's stream ended inside a chunk");
            }
            left -= n;
            if (left == 0 && line(in) == null) {
                throw new EOFException("the worker's stream ended after a chunk");
            }
            return n;
        }
    }

    /** A body of known length (or up to the end of the connection). */
    private static final class Limited extends InputStream {
        private final InputStream in;
        private final Runnable atEnd;
        private long left;

        Limited(InputStream in, long length, Runnable atEnd) {
            this.in = in;
            this.left = length;
            this.atEnd = atEnd;
            if (length == 0) {
                atEnd.run();
            }
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left == 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                if (left != Long.MAX_VALUE) {
                    throw new EOFException("the worker's answer ended early");
                }
                return -1;
            }
            if (left != Long.MAX_VALUE) {
                left -= n;
                if (left == 0) {
                    atEnd.run();
                }
            }
            return n;
        }
    }

    @Override
    public void close() {
        for (ConcurrentLinkedDeque<Connection> q : idle.values()) {
            for (Connection c; (c = q.poll()) != null; ) {
                try {
                    c.socket.close();
                } catch (IOException ignored) {
                    // shutting down
                }
            }
        }
    }
}
