package io.puhui.server.tunnel;

import java.io.IOException;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Frame senders over the two WebSocket implementations in use: the JDK's client (the agent) and Jetty's server
 * session (the plane). Both allow one send at a time, so sends are serialised; a send that does not finish
 * within 30 s means the peer stopped reading, and the connection is treated as broken.
 */
public final class Sockets {
    private static final long SEND_TIMEOUT_S = 30;

    private Sockets() {
    }

    /** Waits for one send to finish, under {@code lock}; a send that fails or hangs breaks the connection. */
    private static void send(ReentrantLock lock, java.util.function.Supplier<java.util.concurrent.Future<?>> send,
                             Runnable breakConnection, String peer) throws IOException {
        lock.lock();
        try {
            send.get().get(SEND_TIMEOUT_S, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while sending");
        } catch (ExecutionException | TimeoutException e) {
            breakConnection.run();
            throw new IOException("the connection to the " + peer + " broke: " + e.getMessage());
        } finally {
            lock.unlock();
        }
    }

    /** Sends over the JDK client's WebSocket; text messages share the lock through {@link #sendText}. */
    public static final class JdkSender implements Frames.Sender {
        private final WebSocket ws;
        private final ReentrantLock lock = new ReentrantLock();

        public JdkSender(WebSocket ws) {
            this.ws = ws;
        }

        @Override
        public void send(ByteBuffer frame) throws IOException {
            Sockets.send(lock, () -> ws.sendBinary(frame, true), ws::abort, "plane");
        }

        public void sendText(String text) throws IOException {
            Sockets.send(lock, () -> ws.sendText(text, true), ws::abort, "plane");
        }
    }

    /** Sends over a Jetty WebSocket session (the plane's side of an agent's connection). */
    public static final class JettySender implements Frames.Sender {
        private final org.eclipse.jetty.websocket.api.Session session;
        private final ReentrantLock lock = new ReentrantLock();

        public JettySender(org.eclipse.jetty.websocket.api.Session session) {
            this.session = session;
        }

        @Override
        public void send(ByteBuffer frame) throws IOException {
            Sockets.send(lock, () -> {
                org.eclipse.jetty.websocket.api.Callback.Completable done = new org.eclipse.jetty.websocket.api.Callback.Completable();
                session.sendBinary(frame, done);
                return done;
            }, session::disconnect, "node");
        }

        public void sendText(String text) throws IOException {
            Sockets.send(lock, () -> {
                org.eclipse.jetty.websocket.api.Callback.Completable done = new org.eclipse.jetty.websocket.api.Callback.Completable();
                session.sendText(text, done);
                return done;
            }, session::disconnect, "node");
        }
    }

    /** Joins the parts of a binary message the JDK client hands over piecemeal. */
    public static final class Assembler {
        private ByteBuffer partial = ByteBuffer.allocate(0);

        /** The whole message once {@code last}, else null. */
        public ByteBuffer add(ByteBuffer data, boolean last) {
            if (last && partial.position() == 0) {
                ByteBuffer whole = ByteBuffer.allocate(data.remaining());
                whole.put(data).flip();
                return whole;
            }
            if (partial.remaining() < data.remaining()) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(partial.capacity() * 2, partial.position() + data.remaining()));
                partial.flip();
                bigger.put(partial);
                partial = bigger;
            }
            partial.put(data);
            if (!last) {
                return null;
            }
            partial.flip();
            ByteBuffer whole = partial;
            partial = ByteBuffer.allocate(0);
            return whole;
        }
    }
}
