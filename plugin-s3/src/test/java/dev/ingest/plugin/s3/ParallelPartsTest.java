package dev.ingest.plugin.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
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
        int count = 12;
        ParallelParts parts = new ParallelParts(threads, 3, "test");
        List<CountDownLatch> finish = new ArrayList<>();
        for (int i = 0; i <= count; i++) {
            finish.add(new CountDownLatch(1));
        }
        List<Integer> started = new CopyOnWriteArrayList<>();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        AtomicInteger cleaned = new AtomicInteger();
        AtomicInteger submitted = new AtomicInteger();
        CompletableFuture<List<CompletedPart>> result = new CompletableFuture<>();
        // The owner thread submits every part, then waits for them all; submit blocks while 3 are being sent.
        Thread owner = new Thread(() -> {
            try {
                for (int i = 1; i <= count; i++) {
                    int n = i;
                    parts.submit(() -> {
                        most.accumulateAndGet(running.incrementAndGet(), Math::max);
                        started.add(n);
                        try {
                            finish.get(n).await();
                        } catch (InterruptedException e) {
                            throw new InterruptedIOException();
                        } finally {
                            running.decrementAndGet();
                        }
                        return part(n);
                    }, cleaned::incrementAndGet);
                    submitted.incrementAndGet();
                }
                result.complete(parts.awaitAll());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        }, "owner");
        owner.start();

        // Each part runs until the test lets it finish, so whatever runs at once stays running until then. Each
        // round: wait until the owner is blocked (a submit waiting for a slot, or awaitAll) or more than 3 parts have
        // started, then check that exactly the expected parts run; then let the part started last finish, so that
        // parts finish out of order.
        List<Integer> finished = new ArrayList<>();
        for (int round = 0; round < count; round++) {
            int done = round;
            int expectedRunning = Math.min(3, count - round);
            await().atMost(Duration.ofSeconds(20)).until(() -> started.size() > done + 3
                    || started.size() == done + expectedRunning && owner.getState() == Thread.State.WAITING);
            assertThat(started).as("parts started after %d finished", round).hasSize(round + expectedRunning);
            assertThat(running).as("parts being sent at once").hasValue(expectedRunning);
            assertThat(submitted.get()).as("submits returned").isEqualTo(Math.min(count, round + 3));
            int last = started.stream().filter(n -> !finished.contains(n)).reduce((a, b) -> b).orElseThrow();
            finished.add(last);
            finish.get(last).countDown();
        }
        List<CompletedPart> sent = result.get(20, TimeUnit.SECONDS);
        assertThat(finished).as("the parts finished out of order").isNotEqualTo(started);
        assertThat(sent).extracting(CompletedPart::partNumber).as("in the order submitted")
                .containsExactlyElementsOf(IntStream.rangeClosed(1, count).boxed().toList());
        assertThat(most).as("the most parts sent at once").hasValue(3);
        assertThat(cleaned).hasValue(count);
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
