package io.puhui.server.tunnel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Packs the frames that streams hand in into as few WebSocket messages as possible. A frame sent while the socket
 * is free goes out at once on the caller's thread; frames sent while a message is being written wait, and the
 * thread that wrote it sends all of them as the next message (up to {@link Frames#MAX_MESSAGE} bytes), so that
 * under load sixteen streams' tokens share a message instead of queueing for the socket one by one. Frames of
 * one stream keep their order. {@link #send} waits when a megabyte is already waiting (the socket is slower than
 * the streams), and fails once the socket has failed.
 */
public final class Batcher implements Frames.Sender, AutoCloseable {
    private static final int QUEUE_LIMIT = 1 << 20;

    private final Frames.Sender socket;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition room = lock.newCondition();
    private final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
    private int queued;
    private boolean writing;
    private boolean closed;
    private IOException broken;

    /** @param socket sends one whole message */
    public Batcher(Frames.Sender socket) {
        this.socket = socket;
    }

    @Override
    public void send(ByteBuffer frame) throws IOException {
        ByteBuffer message;
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
            if (writing) {
                return; // the thread writing now sends it next
            }
            writing = true;
            message = take();
        } finally {
            lock.unlock();
        }
        while (message != null) {
            try {
                socket.send(message);
            } catch (IOException e) {
                lock.lock();
                try {
                    broken = e;
                    queue.clear();
                    queued = 0;
                    writing = false;
                    room.signalAll();
                } finally {
                    lock.unlock();
                }
                throw e;
            }
            lock.lock();
            try {
                if (queue.isEmpty()) {
                    writing = false;
                    message = null;
                } else {
                    message = take();
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /** The waiting frames, as many as fit one message, joined; under the lock. */
    private ByteBuffer take() {
        int size = 0;
        for (ByteBuffer f : queue) {
            if (size > 0 && size + f.remaining() > Frames.MAX_MESSAGE) {
                break;
            }
            size += f.remaining();
        }
        ByteBuffer message = ByteBuffer.allocate(size);
        while (!queue.isEmpty() && message.remaining() >= queue.peek().remaining()) {
            ByteBuffer f = queue.poll();
            queued -= f.remaining();
            message.put(f);
        }
        room.signalAll();
        return message.flip();
    }

    /** No more frames are taken; what is being written finishes. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            room.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
