package io.puhui.server.tunnel;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The tunnel's wire format: one binary WebSocket message per frame, {@code [type:1][stream:4][payload]}.
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
    /** The largest payload of one DATA frame (well under the WebSocket servers' usual message limits). */
    public static final int CHUNK = 16 * 1024;

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
        ByteBuffer b = ByteBuffer.allocate(5 + len);
        b.put(type).putInt(stream).put(payload, off, len);
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
        return ByteBuffer.allocate(9).put(CREDIT).putInt(stream).putInt(bytes).flip();
    }

    /** Decodes a message. */
    public static Frame read(ByteBuffer message) {
        if (message.remaining() < 5) {
            throw new IllegalArgumentException("a tunnel frame of " + message.remaining() + " bytes (at least 5 expected)");
        }
        ByteBuffer m = message.duplicate();
        byte type = m.get();
        if (type < OPEN || type > CREDIT) {
            throw new IllegalArgumentException("unknown tunnel frame type " + type);
        }
        int stream = m.getInt();
        if (type == CREDIT && m.remaining() != 4) {
            throw new IllegalArgumentException("a CREDIT frame carries 4 bytes, not " + m.remaining());
        }
        return new Frame(type, stream, m.slice());
    }

    /** Where frames go: one WebSocket, one message per frame, sends never interleaved. */
    @FunctionalInterface
    public interface Sender {
        void send(ByteBuffer frame) throws java.io.IOException;
    }
}
