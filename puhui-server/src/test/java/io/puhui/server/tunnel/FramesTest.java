package io.puhui.server.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FramesTest {

    @Test
    void aMessageCarriesSeveralFramesInOrder() {
        ByteBuffer a = Frames.frame(Frames.OPEN, 7, "{\"path\":\"/v1/completions\"}");
        ByteBuffer b = Frames.credit(7, 65536);
        ByteBuffer c = Frames.empty(Frames.END, 9);
        ByteBuffer m = ByteBuffer.allocate(a.remaining() + b.remaining() + c.remaining()).put(a).put(b).put(c).flip();
        List<Frames.Frame> frames = Frames.read(m);
        assertThat(frames).extracting(Frames.Frame::type).containsExactly(Frames.OPEN, Frames.CREDIT, Frames.END);
        assertThat(frames).extracting(Frames.Frame::stream).containsExactly(7, 7, 9);
        assertThat(frames.get(0).text()).isEqualTo("{\"path\":\"/v1/completions\"}");
        assertThat(frames.get(1).payload().getInt(0)).isEqualTo(65536);
        assertThat(frames.get(2).payload().remaining()).isZero();
    }

    @Test
    void badMessagesAreRefusedWithTheReason() {
        assertThatThrownBy(() -> Frames.read(ByteBuffer.wrap(new byte[] {1, 0, 0})))
                .hasMessageContaining("at least 9 expected");
        assertThatThrownBy(() -> Frames.read(ByteBuffer.wrap(new byte[] {42, 0, 0, 0, 1, 0, 0, 0, 0})))
                .hasMessageContaining("unknown tunnel frame type 42");
        ByteBuffer cut = Frames.frame(Frames.DATA, 1, new byte[100], 0, 100);
        cut.limit(50);
        assertThatThrownBy(() -> Frames.read(cut)).hasMessageContaining("claims 100 bytes, 41 are left");
        assertThatThrownBy(() -> Frames.read(Frames.frame(Frames.CREDIT, 1, new byte[3], 0, 3)))
                .hasMessageContaining("CREDIT frame carries 4 bytes, not 3");
        assertThatThrownBy(() -> Frames.frame(Frames.DATA, 1, new byte[Frames.MAX_MESSAGE], 0, Frames.MAX_MESSAGE))
                .hasMessageContaining("at most");
    }

    @Test
    void theBatcherPacksWaitingFramesIntoFewMessagesAndKeepsEachStreamsOrder() throws Exception {
        List<ByteBuffer> messages = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch slowSocket = new CountDownLatch(1);
        Batcher b = new Batcher(m -> {
            try {
                slowSocket.await(10, TimeUnit.SECONDS); // the first message holds the socket while frames pile up
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ByteBuffer copy = ByteBuffer.allocate(m.remaining()).put(m).flip();
            messages.add(copy);
        });
        int streams = 16;
        int perStream = 200;
        List<Thread> senders = new ArrayList<>();
        for (int s = 0; s < streams; s++) {
            int id = s;
            senders.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; i < perStream; i++) {
                    byte[] p = ByteBuffer.allocate(4).putInt(i).array();
                    try {
                        b.send(Frames.frame(Frames.DATA, id, p, 0, 4));
                    } catch (java.io.IOException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }));
        }
        Thread.sleep(200);
        slowSocket.countDown();
        for (Thread t : senders) {
            t.join();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Map<Integer, Integer> next = new ConcurrentHashMap<>();
        int frames = 0;
        while (frames < streams * perStream && System.nanoTime() < deadline) {
            frames = 0;
            next.clear();
            for (ByteBuffer m : new ArrayList<>(messages)) {
                assertThat(m.remaining()).isLessThanOrEqualTo(Frames.MAX_MESSAGE);
                for (Frames.Frame f : Frames.read(m)) {
                    int expected = next.getOrDefault(f.stream(), 0);
                    assertThat(f.payload().getInt(0)).as("stream %d in order", f.stream()).isEqualTo(expected);
                    next.put(f.stream(), expected + 1);
                    frames++;
                }
            }
            Thread.sleep(20);
        }
        assertThat(frames).isEqualTo(streams * perStream);
        assertThat(messages.size()).as("frames packed into messages").isLessThan(streams * perStream / 10);
        b.close();
        assertThatThrownBy(() -> b.send(Frames.empty(Frames.END, 1))).hasMessageContaining("closed");
    }
}
