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

    /** @param uris stored URIs a webhook acknowledged */
    void webhookDelivered(int uris) {
        webhookDelivered.add(uris);
    }

    /**
     * Stored URIs whose webhook notice was given up. They count apart from {@code failed} (the objects are stored)
     * but go to the failures, so that a {@code --once} run names them and fails.
     *
     * @param uris how many
     * @param description one line naming the workflow, the webhook, why, and the URIs
     */
    void webhookFailed(int uris, String description) {
        webhookFailed.add(uris);
        failures.add(description);
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
                failed.sum(), retried.sum(), bytes.sum(), webhookDelivered.sum(), webhookFailed.sum(), Duration.ofNanos(System.nanoTime() - startNanos),
                List.copyOf(new ArrayList<>(failures)));
    }
}
