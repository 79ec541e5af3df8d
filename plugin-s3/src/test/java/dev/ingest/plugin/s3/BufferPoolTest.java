package dev.ingest.plugin.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class BufferPoolTest {

    @Test
    void aReturnedBufferIsHandedToTheNextLeaseOfItsSize() throws Exception {
        BufferPool pool = new BufferPool(100, 100);
        BufferPool.Lease a = pool.acquire(10);
        byte[] first = a.buffer(10);
        first[3] = 7;
        a.release();
        a.release(); // idempotent
        assertThat(pool.idleBytes()).isEqualTo(10);
        assertThat(pool.free()).isEqualTo(90);
        BufferPool.Lease b = pool.acquire(10);
        assertThat(b.buffer(1)).as("the same array, not a new one").isSameAs(first);
        assertThat(pool.idleBytes()).isZero();
        b.release();
        assertThat(pool.free() + pool.idleBytes()).isEqualTo(100);
    }

    @Test
    void aBufferThatDidNotGrowToItsLeaseIsNotKept() throws Exception {
        BufferPool pool = new BufferPool(100, 100);
        BufferPool.Lease a = pool.acquire(10);
        assertThat(a.buffer(3)).hasSize(3);
        assertThat(a.grow()).hasSize(6);
        assertThat(a.grow()).hasSize(10);
        assertThat(a.grow()).as("never beyond the lease").hasSize(10);
        BufferPool.Lease small = pool.acquire(10);
        small.buffer(4);
        small.release();
        a.release();
        assertThat(pool.idleBytes()).isEqualTo(10);
        assertThat(pool.free()).isEqualTo(90);
    }

    @Test
    void leasesWaitWhileTheBudgetIsUsedUp() throws Exception {
        BufferPool pool = new BufferPool(20, 0);
        BufferPool.Lease a = pool.acquire(10);
        BufferPool.Lease b = pool.acquire(10);
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            Future<BufferPool.Lease> waiting = other.submit(() -> pool.acquire(10));
            assertThatThrownBy(() -> waiting.get(200, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
            a.release();
            BufferPool.Lease c = waiting.get(5, TimeUnit.SECONDS);
            assertThat(pool.free()).isZero();
            b.release();
            c.release();
            assertThat(pool.free()).isEqualTo(20);
        } finally {
            other.shutdownNow();
        }
    }

    @Test
    void aLeaseLargerThanTheBudgetIsGrantedWhenNothingElseIsLeased() throws Exception {
        BufferPool pool = new BufferPool(20, 20);
        BufferPool.Lease small = pool.acquire(5);
        small.buffer(5);
        CompletableFuture<BufferPool.Lease> big = CompletableFuture.supplyAsync(() -> {
            try {
                return pool.acquire(50);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThatThrownBy(() -> big.get(200, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
        small.release(); // kept as idle: the big lease drops it to make room
        BufferPool.Lease granted = big.get(5, TimeUnit.SECONDS);
        assertThat(pool.idleBytes()).isZero();
        assertThat(pool.free()).isEqualTo(-30);
        granted.release();
        assertThat(pool.free()).isEqualTo(20);
    }

    @Test
    void keptBuffersOfAnotherSizeAreDroppedToMakeRoom() throws Exception {
        BufferPool pool = new BufferPool(30, 30);
        for (int i = 0; i < 3; i++) {
            BufferPool.Lease l = pool.acquire(10);
            l.buffer(10);
            l.release();
        }
        assertThat(pool.idleBytes()).isEqualTo(10);
        BufferPool.Lease x = pool.acquire(10);
        BufferPool.Lease y = pool.acquire(10);
        BufferPool.Lease z = pool.acquire(10);
        x.buffer(10);
        y.buffer(10);
        z.buffer(10);
        x.release();
        y.release();
        z.release();
        assertThat(pool.idleBytes()).isEqualTo(30);
        BufferPool.Lease other = pool.acquire(25);
        assertThat(pool.idleBytes()).isLessThanOrEqualTo(5);
        other.release();
        assertThat(pool.free() + pool.idleBytes()).isEqualTo(30);
    }

    @Test
    void waitingIsInterruptible() throws Exception {
        BufferPool pool = new BufferPool(10, 0);
        BufferPool.Lease all = pool.acquire(10);
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> pool.acquire(10)).isInstanceOf(InterruptedException.class);
        } finally {
            Thread.interrupted();
            all.release();
        }
    }

    @Test
    void theDefaultBudgetIsAQuarterOfTheHeap() {
        assertThat(BufferPool.defaultBudget(128L * 1024 * 1024)).isEqualTo(32L * 1024 * 1024);
        assertThat(BufferPool.defaultBudget(Long.MAX_VALUE)).isEqualTo(1024L * 1024 * 1024);
        assertThat(BufferPool.SHARED.budget()).isEqualTo(Runtime.getRuntime().maxMemory() / 4);
    }
}
