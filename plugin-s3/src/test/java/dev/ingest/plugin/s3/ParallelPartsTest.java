package dev.ingest.plugin.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.CompletedPart;

class ParallelPartsTest {

    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        threads.shutdownNow();
    }

    private static CompletedPart part(int n) {
        return CompletedPart.builder().partNumber(n).eTag("e" + n).build();
    }

    @Test
    void sendsAtMostConcurrencyPartsAtOnceAndReturnsThemInOrder() throws Exception {
        ParallelParts parts = new ParallelParts(threads, 3, "test");
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        AtomicInteger cleaned = new AtomicInteger();
        for (int i = 1; i <= 20; i++) {
            int n = i;
            parts.submit(() -> {
                most.accumulateAndGet(running.incrementAndGet(), Math::max);
                try {
                    Thread.sleep(n % 3 == 0 ? 30 : 10);
                } catch (InterruptedException e) {
                    throw new InterruptedIOException();
                } finally {
                    running.decrementAndGet();
                }
                return part(n);
            }, cleaned::incrementAndGet);
        }
        List<CompletedPart> done = parts.awaitAll();
        assertThat(done).extracting(CompletedPart::partNumber).containsExactlyElementsOf(
                java.util.stream.IntStream.rangeClosed(1, 20).boxed().toList());
        assertThat(most.get()).as("parts in flight at once").isEqualTo(3);
        assertThat(cleaned).hasValue(20);
    }

    @Test
    void aFailedPartFailsTheNextSubmitAndCancelDropsWhatDidNotStart() throws Exception {
        ParallelParts parts = new ParallelParts(threads, 2, "test");
        IOException broken = new IOException("part 1 refused");
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        AtomicInteger cleaned = new AtomicInteger();
        AtomicInteger interrupted = new AtomicInteger();
        parts.submit(() -> {
            started.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                interrupted.incrementAndGet();
                throw new InterruptedIOException();
            }
            return part(2);
        }, cleaned::incrementAndGet);
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        parts.submit(() -> {
            throw broken;
        }, cleaned::incrementAndGet);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        IOException thrown = null;
        while (thrown == null && System.nanoTime() < deadline) {
            try {
                parts.submit(() -> part(3), cleaned::incrementAndGet);
            } catch (IOException e) {
                thrown = e;
            }
        }
        assertThat(thrown).isSameAs(broken);
        parts.cancel();
        assertThat(interrupted).as("the part in flight was interrupted").hasValue(1);
        assertThat(cleaned.get()).as("every submitted part cleaned up, sent or not").isGreaterThanOrEqualTo(2);
        assertThatThrownBy(parts::awaitAll).isSameAs(broken);
    }

    @Test
    void aSubmitRefusedByAClosedExecutorCleansUpAtOnce() {
        ParallelParts parts = new ParallelParts(threads, 2, "storing x");
        threads.shutdownNow();
        AtomicInteger cleaned = new AtomicInteger();
        assertThatThrownBy(() -> parts.submit(() -> part(1), cleaned::incrementAndGet)).isInstanceOf(IOException.class)
                .hasMessage("storing x: the destination is closed");
        assertThat(cleaned).hasValue(1);
    }

    @Test
    void waitingForASlotIsInterruptibleAndKeepsTheInterruptStatus() throws Exception {
        ParallelParts parts = new ParallelParts(threads, 1, "storing y");
        CountDownLatch hold = new CountDownLatch(1);
        AtomicInteger cleaned = new AtomicInteger();
        parts.submit(() -> {
            try {
                hold.await();
            } catch (InterruptedException e) {
                throw new InterruptedIOException();
            }
            return part(1);
        }, cleaned::incrementAndGet);
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> parts.submit(() -> part(2), cleaned::incrementAndGet))
                    .isInstanceOf(InterruptedIOException.class).hasMessage("storing y was interrupted");
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
            parts.cancel();
            assertThat(Thread.currentThread().isInterrupted()).as("still interrupted after cancel").isTrue();
        } finally {
            Thread.interrupted();
        }
        assertThat(cleaned).hasValue(2);
    }
}
