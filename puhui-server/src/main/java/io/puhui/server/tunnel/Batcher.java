package io.puhui.server.tunnel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Packs the frames that streams hand in into as few WebSocket messages as possible: a writer thread takes
 * every frame waiting when it is free and sends them as one message of up to {@link Frames#MAX_MESSAGE} bytes.
 * A lone frame goes out at once; under load, sixteen streams' tokens share a message instead of queueing for
 * the socket one by one. Frames of one stream keep their order. {@link #send} waits only when a megabyte is
 * already waiting (the socket is slower than the streams), and fails once the socket has failed.
 */
public final class Batcher implements Frames.Sender, AutoCloseable {
    private static final int QUEUE_LIMIT = 1 << 20;

    private final Frames.Sender socket;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition waiting = lock.newCondition();
    private final Condition room = lock.newCondition();
    private final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
    private int queued;
    private boolean closed;
    private IOException broken;

    /** @param socket sends one whole message */
    public Batcher(Frames.Sender socket, String name) {
        this.socket = socket;
        Thread.ofVirtual().name(name).start(this::write);
    }

    @Override
    public void send(ByteBuffer frame) throws IOException {
        lock.lock();
        try {
            while (queued > 0 && queued + frame.remaining() > QUEUE_LIMIT && broken == null && !closed) {
                room.awaitUninterruptibly();
            }
            if (broken != null) {
                throw new IOException(broken.getMessage());
            }
            if (closed) {
                throw new IOException("the connection is closed");
            }
            queue.add(frame);
            queued += frame.remaining();
            waiting.signal();
        } finally {
            lock.unlock();
        }
    }

    private void write() {
        while (true) {
            ByteBuffer message;
            lock.lock();
            try {
                while (queue.isEmpty() && !closed) {
                    waiting.awaitUninterruptibly();
                }
                if (queue.isEmpty()) {
                    return;
                }
                int size = 0;
                for (ByteBuffer f : queue) {
                    if (size > 0 && size + f.remaining() > Frames.MAX_MESSAGE) {
                        break;
                    }
                    size += f.remaining();
                }
                message = ByteBuffer.allocate(size);
                while (!queue.isEmpty() && message.remaining() >= queue.peek().remaining()) {
                    ByteBuffer f = queue.poll();
                    queued -= f.remaining();
                    message.put(f);
                }
                message.flip();
                room.signalAll();
            } finally {
                lock.unlock();
            }
            try {
                socket.send(message);
            } catch (IOException e) {
                lock.lock();
                try {
                    broken = e;
                    queue.clear();
                    queued = 0;
                    room.signalAll();
                } finally {
                    lock.unlock();
                }
                return;
            }
        }
    }

    /** Sends what is queued, then stops the writer. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            waiting.signalAll();
            room.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
