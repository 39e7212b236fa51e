// Notices a client that hangs up while its answer is still being made and nothing has been written to it yet.
//
// An HTTP/1.1 server reads nothing more from a connection until it has answered (Jetty's failure listeners stay
// silent for the same reason), so a client that gives up on a whole, non-streamed answer goes unseen until the
// answer is written: the generation runs to its end for nobody and holds its slot. A stream notices at its next
// write; a whole answer has no write until the end. So one selector thread of the process watches the sockets of
// such requests: when one becomes readable, it is read. End of stream means the client has gone. Bytes mean that
// the client sent its next request without waiting (HTTP pipelining, which the common clients do not use): they
// cannot be put back, so the connection is closed after the answer, and the client sends that request again.
//
// Plain connections only: under TLS the socket carries records, and a close arrives as an alert, not as the end
// of the stream; those requests are not watched.
package io.puhui.server.api;

import io.javalin.http.Context;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

public final class HangUps {
    private static final Logger LOG = LoggerFactory.getLogger(HangUps.class);
    private static volatile HangUps shared;

    private final Selector selector;
    private final Queue<Watch> added = new ConcurrentLinkedQueue<>();

    private HangUps() throws IOException {
        this.selector = Selector.open();
        Thread.ofPlatform().daemon().name("puhui-hang-ups").start(this::run);
    }

    /** The process's watcher, started on first use. */
    public static HangUps get() {
        HangUps h = shared;
        if (h == null) {
            synchronized (HangUps.class) {
                h = shared;
                if (h == null) {
                    try {
                        h = new HangUps();
                    } catch (IOException e) {
                        throw new IllegalStateException("cannot open a selector: " + e.getMessage(), e);
                    }
                    shared = h;
                }
            }
        }
        return h;
    }

    /**
     * Watches the connection of {@code ctx} until the returned watch is closed, which must happen before anything
     * is written to it; {@code onHangUp} runs (on the watcher's thread, so it must be quick) if the client hangs up
     * first. The request's body must have been read.
     */
    public Watch watch(Context ctx, Runnable onHangUp) {
        SocketChannel channel = channelOf(ctx);
        Watch w = new Watch(channel, onHangUp);
        if (channel != null) {
            added.add(w);
            selector.wakeup();
        }
        return w;
    }

    private static SocketChannel channelOf(Context ctx) {
        try {
            EndPoint ep = ServletContextRequest.getServletContextRequest(ctx.req()).getConnectionMetaData()
                    .getConnection().getEndPoint();
            return ep instanceof SocketChannelEndPoint s ? s.getChannel() : null; // TLS: an SslEndPoint
        } catch (RuntimeException e) {
            return null; // not served by Jetty's servlet layer: nothing to watch
        }
    }

    /** The watch on one request's connection. */
    public final class Watch implements AutoCloseable {
        private final SocketChannel channel;
        private final Runnable onHangUp;
        private SelectionKey key;
        private boolean closed;
        private volatile boolean hungUp;
        private volatile boolean readAhead;

        private Watch(SocketChannel channel, Runnable onHangUp) {
            this.channel = channel;
            this.onHangUp = onHangUp;
        }

        /** Whether the client hung up. */
        public boolean hungUp() {
            return hungUp;
        }

        /** Whether bytes of the client's next request were read: the connection must close after this answer. */
        public boolean readAhead() {
            return readAhead;
        }

        /** Stops watching; from here on the connection is Jetty's alone. */
        @Override
        public void close() {
            synchronized (this) {
                closed = true;
                if (key == null) {
                    return;
                }
                key.cancel();
            }
            selector.wakeup(); // the channel stays registered, and cannot really close, until the selector runs
        }

        private synchronized void register() {
            if (closed) {
                return;
            }
            try {
                key = channel.register(selector, SelectionKey.OP_READ, this);
            } catch (ClosedChannelException e) {
                hangUp(); // closed before the watch began
            }
        }

        /** The socket is readable: the end of the stream, or bytes that came early. */
        private void readable(ByteBuffer buf) {
            boolean gone;
            synchronized (this) {
                if (closed) {
                    return;
                }
                int n;
                try {
                    buf.clear();
                    n = channel.read(buf);
                } catch (IOException e) {
                    n = -1; // reset by the peer
                }
                if (n == 0) {
                    return;
                }
                key.cancel();
                gone = n < 0;
                readAhead = n > 0;
            }
            if (gone) {
                hangUp();
            }
        }

        private void hangUp() {
            hungUp = true;
            try {
                onHangUp.run();
            } catch (RuntimeException e) {
                LOG.warn("stopping the work of a client that hung up failed", e);
            }
        }
    }

    private void run() {
        ByteBuffer buf = ByteBuffer.allocate(1);
        while (true) {
            try {
                selector.select();
                for (Watch w; (w = added.poll()) != null; ) {
                    w.register();
                }
                for (SelectionKey k : selector.selectedKeys()) {
                    if (k.isValid() && k.attachment() instanceof Watch w) {
                        w.readable(buf);
                    }
                }
                selector.selectedKeys().clear();
            } catch (IOException | RuntimeException e) {
                LOG.warn("watching for clients that hang up", e);
            }
        }
    }
}
