package io.puhui.server.tunnel;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The tunnel's wire format: frames {@code [type:1][stream:4][length:4][payload]}, one or more to a binary
 * WebSocket message (a {@link Batcher} packs the frames waiting to go into one message, so that many streams
 * cost few messages).
 *
 * <ul>
 *   <li>{@code OPEN} (plane → node): a request's path and headers as JSON; its body follows as {@code DATA}
 *       frames and an {@code END}.</li>
 *   <li>{@code HEAD} (node → plane): the answer's status and headers as JSON; its body follows as {@code DATA}
 *       and ends with {@code END}.</li>
 *   <li>{@code DATA}: body bytes, either way. A node sends answer bytes only while it has credit.</li>
 *   <li>{@code END}: the body in that direction is complete.</li>
 *   <li>{@code RESET}: the stream is abandoned, either way, with a reason in UTF-8 (the client left; the worker
 *       failed).</li>
 *   <li>{@code CREDIT} (plane → node): a 4-byte count of further answer bytes the plane will buffer.</li>
 * </ul>
 * Every stream starts with {@link #WINDOW} bytes of credit; the plane grants more as its client takes the bytes,
 * so each stream has at most one window buffered at the plane, however slow its client.
 */
public final class Frames {
    public static final byte OPEN = 1;
    public static final byte HEAD = 2;
    public static final byte DATA = 3;
    public static final byte END = 4;
    public static final byte RESET = 5;
    public static final byte CREDIT = 6;

    /** Answer bytes a stream may have in flight before the plane grants more. */
    public static final int WINDOW = 256 * 1024;
    /** The largest payload of one DATA frame. */
    public static final int CHUNK = 16 * 1024;
    /** The largest message: under the 64 KiB that WebSocket servers accept by default. */
    public static final int MAX_MESSAGE = 60 * 1024;
    private static final int HEADER = 9;

    private Frames() {
    }

    /** One decoded frame; {@code payload} is a view of the message. */
    public record Frame(byte type, int stream, ByteBuffer payload) {
        public String text() {
            ByteBuffer p = payload.duplicate();
            byte[] b = new byte[p.remaining()];
            p.get(b);
            return new String(b, StandardCharsets.UTF_8);
        }
    }

    public static ByteBuffer frame(byte type, int stream, byte[] payload, int off, int len) {
        if (len > MAX_MESSAGE - HEADER) {
            throw new IllegalArgumentException("a tunnel frame of " + len + " bytes (at most " + (MAX_MESSAGE - HEADER) + ")");
        }
        ByteBuffer b = ByteBuffer.allocate(HEADER + len);
        b.put(type).putInt(stream).putInt(len).put(payload, off, len);
        return b.flip();
    }

    public static ByteBuffer frame(byte type, int stream, String payload) {
        byte[] p = payload.getBytes(StandardCharsets.UTF_8);
        return frame(type, stream, p, 0, p.length);
    }

    public static ByteBuffer empty(byte type, int stream) {
        return frame(type, stream, new byte[0], 0, 0);
    }

    public static ByteBuffer credit(int stream, int bytes) {
        return ByteBuffer.allocate(HEADER + 4).put(CREDIT).putInt(stream).putInt(4).putInt(bytes).flip();
    }

    /** Decodes the frames of a message, in order. */
    public static java.util.List<Frame> read(ByteBuffer message) {
        ByteBuffer m = message.duplicate();
        java.util.List<Frame> out = new java.util.ArrayList<>(2);
        do {
            if (m.remaining() < HEADER) {
                throw new IllegalArgumentException("a tunnel frame of " + m.remaining() + " bytes (at least " + HEADER + " expected)");
            }
            byte type = m.get();
            if (type < OPEN || type > CREDIT) {
                throw new IllegalArgumentException("unknown tunnel frame type " + type);
            }
            int stream = m.getInt();
            int length = m.getInt();
            if (length < 0 || length > m.remaining()) {
                throw new IllegalArgumentException("a tunnel frame claims " + length + " bytes, " + m.remaining() + " are left");
            }
            if (type == CREDIT && length != 4) {
                throw new IllegalArgumentException("a CREDIT frame carries 4 bytes, not " + length);
            }
            ByteBuffer payload = m.slice(m.position(), length);
            m.position(m.position() + length);
            out.add(new Frame(type, stream, payload));
        } while (m.hasRemaining());
        return out;
    }

    /** Where frames go: one WebSocket, one message per frame, sends never interleaved. */
    @FunctionalInterface
    public interface Sender {
        void send(ByteBuffer frame) throws java.io.IOException;
    }
}
