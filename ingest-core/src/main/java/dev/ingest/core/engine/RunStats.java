package dev.ingest.core.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;

/** Counters of one run, shared by every workflow's enqueuer and dequeuer. Thread-safe. */
public final class RunStats {

    private final LongAdder listed = new LongAdder();
    private final LongAdder queued = new LongAdder();
    private final LongAdder alreadyQueued = new LongAdder();
    private final LongAdder copied = new LongAdder();
    private final LongAdder skipped = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder retried = new LongAdder();
    private final LongAdder bytes = new LongAdder();
    private final LongAdder webhookDelivered = new LongAdder();
    private final LongAdder webhookFailed = new LongAdder();
    private final LongAdder records = new LongAdder();
    private final LongAdder batches = new LongAdder();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final long startNanos = System.nanoTime();

    void listed() {
        listed.increment();
    }

    void queued(boolean duplicate) {
        (duplicate ? alreadyQueued : queued).increment();
    }

    void copied(long byteCount) {
        copied.increment();
        bytes.add(byteCount);
    }

    void skipped() {
        skipped.increment();
    }

    void retried() {
        retried.increment();
    }

    void webhookDelivered() {
        webhookDelivered.increment();
    }

    void webhookFailed() {
        webhookFailed.increment();
    }

    void records(long count) {
        records.add(count);
    }

    void batchStored(long byteCount) {
        batches.increment();
        bytes.add(byteCount);
    }

    void failed(String description) {
        failed.increment();
        failures.add(description);
    }

    /**
     * A snapshot of the counters.
     *
     * @return the summary so far
     */
    public RunSummary snapshot() {
        return new RunSummary(listed.sum(), queued.sum(), alreadyQueued.sum(), copied.sum(), skipped.sum(),
                failed.sum(), retried.sum(), bytes.sum(), webhookDelivered.sum(), webhookFailed.sum(), records.sum(),
                batches.sum(), Duration.ofNanos(System.nanoTime() - startNanos),
                List.copyOf(new ArrayList<>(failures)));
    }
}
