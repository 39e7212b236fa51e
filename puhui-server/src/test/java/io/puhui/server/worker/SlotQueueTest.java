package io.puhui.server.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.puhui.server.api.ApiException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SlotQueueTest {
    @Test
    void requestsForSeveralSlotsGetThemAllAtOnceOrWait() throws Exception {
        SlotQueue q = new SlotQueue(4, 8);
        SlotQueue.Slot a = q.acquire("t1", 1000, 3);
        assertThat(q.busy()).isEqualTo(3);
        // a second request for 3 cannot take the one free slot and hold it: it waits for all three
        CompletableFuture<SlotQueue.Slot> b = CompletableFuture.supplyAsync(() -> take(q, "t2", 3));
        Thread.sleep(100);
        assertThat(b).isNotDone();
        assertThat(q.busy()).isEqualTo(3);
        assertThat(q.waiting()).isEqualTo(1);
        a.close();
        SlotQueue.Slot got = b.get(2, TimeUnit.SECONDS);
        assertThat(q.busy()).isEqualTo(3);
        got.close();
        assertThat(q.busy()).isZero();
    }

    @Test
    void aLargeRequestIsNotOvertakenForEverBySmallOnes() throws Exception {
        SlotQueue q = new SlotQueue(2, 8);
        SlotQueue.Slot one = q.acquire("a", 1000, 1);
        CompletableFuture<SlotQueue.Slot> big = CompletableFuture.supplyAsync(() -> take(q, "b", 2));
        Thread.sleep(100);
        CompletableFuture<SlotQueue.Slot> small = CompletableFuture.supplyAsync(() -> take(q, "c", 1));
        Thread.sleep(100);
        // one slot is free, but the big request is first in line: the small one waits behind it
        assertThat(small).isNotDone();
        one.close();
        big.get(2, TimeUnit.SECONDS).close();
        small.get(2, TimeUnit.SECONDS).close();
        assertThat(q.busy()).isZero();
    }

    @Test
    void moreSlotsThanExistIsABadRequest() {
        SlotQueue q = new SlotQueue(4, 8);
        assertThatThrownBy(() -> q.acquire("t", 100, 5)).isInstanceOf(ApiException.class)
                .hasMessageContaining("5 decoding slots").hasMessageContaining("has 4");
    }

    @Test
    void aWaiterThatGivesUpLetsTheNextOneIn() throws Exception {
        SlotQueue q = new SlotQueue(2, 8);
        SlotQueue.Slot held = q.acquire("a", 1000, 1);
        assertThatThrownBy(() -> q.acquire("b", 100, 2)).hasMessageContaining("waited");
        // the one free slot is not lost with the request that gave up
        SlotQueue.Slot next = q.acquire("c", 100, 1);
        assertThat(q.busy()).isEqualTo(2);
        next.close();
        held.close();
        assertThat(q.busy()).isZero();
    }

    private static SlotQueue.Slot take(SlotQueue q, String tenant, int n) {
        try {
            return q.acquire(tenant, 5000, n);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
