package dev.ingest.core.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    private final ConcurrentLinkedQueue<Failure> failures = new ConcurrentLinkedQueue<>();
    private final long startNanos = System.nanoTime();
    private volatile EngineEvents events = EngineEvents.NONE;

    /** @param listener where {@link #event} goes */
    void events(EngineEvents listener) {
        this.events = listener == null ? EngineEvents.NONE : listener;
    }

    /**
     * Tells the listener of something that happened (a dead letter, a failed scan or copy attempt, a workflow
     * started or stopped). Never throws.
     */
    void event(String type, String workflow, java.util.Map<String, Object> fields) {
        try {
            events.event(type, workflow, fields);
        } catch (RuntimeException e) {
            // a listener's failure is not the engine's
        }
    }

    private final java.util.concurrent.atomic.AtomicLong copying = new java.util.concurrent.atomic.AtomicLong();
    private final LongAdder handedBack = new LongAdder();
    private final LongAdder handedBackUnstarted = new LongAdder();

    void listed() {
        listed.increment();
    }

    /** A copy started (a message is being handled). */
    void copyStarted() {
        copying.incrementAndGet();
    }

    /** A copy ended, whatever its outcome. */
    void copyEnded() {
        copying.decrementAndGet();
    }

    /** @return the copies running now */
    long copying() {
        return copying.get();
    }

    /** @param started whether the message was being copied (interrupted), or fetched and not yet started */
    void handedBack(boolean started) {
        (started ? handedBack : handedBackUnstarted).increment();
    }

    /** @return messages whose copy was interrupted by a stop and that went back to the queue */
    long handedBack() {
        return handedBack.sum();
    }

    /** @return messages fetched but not yet started when stopping, which went back to the queue */
    long handedBackUnstarted() {
        return handedBackUnstarted.sum();
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
        failures.add(new Failure(null, description));
    }

    void records(long count) {
        records.add(count);
    }

    void batchStored(long byteCount) {
        batches.increment();
        bytes.add(byteCount);
    }

    /** One failure: its line, and the object it is about ({@code null} for a failed scan, say). */
    private record Failure(String object, String line) {
    }

    /** @param description a failure that is about no single object (a scan that failed), naming the workflow */
    void failed(String description) {
        failed(null, description);
    }

    /**
     * @param object the name of the object that failed, or {@code null}
     * @param description the failure, naming the workflow and object and saying why
     */
    void failed(String object, String description) {
        failed.increment();
        failures.add(new Failure(object, description));
    }

    /**
     * A snapshot of the counters.
     *
     * @return the summary so far
     */
    public RunSummary snapshot() {
        List<Failure> all = new ArrayList<>(failures);
        return new RunSummary(listed.sum(), queued.sum(), alreadyQueued.sum(), copied.sum(), skipped.sum(),
                failed.sum(), retried.sum(), bytes.sum(), webhookDelivered.sum(), webhookFailed.sum(), records.sum(),
                batches.sum(), Duration.ofNanos(System.nanoTime() - startNanos),
                all.stream().map(Failure::line).toList(), groups(all));
    }

    /**
     * Groups the failures that say the same once their object's name is taken out (the same error for many objects
     * of a workflow), in the order of each group's first failure.
     */
    private static List<RunSummary.FailureGroup> groups(List<Failure> all) {
        Map<Object, List<Failure>> byReason = new LinkedHashMap<>();
        for (Failure f : all) {
            String reason = f.object() == null ? f.line() : RunSummary.withoutObject(f.line(), f.object());
            // A line in which the name could not be taken out stays on its own.
            Object key = f.object() != null && reason.equals(f.line()) ? new Object() : reason;
            byReason.computeIfAbsent(key, k -> new ArrayList<>()).add(f);
        }
        List<RunSummary.FailureGroup> groups = new ArrayList<>(byReason.size());
        for (List<Failure> group : byReason.values()) {
            Failure first = group.get(0);
            if (group.size() == 1 || first.object() == null) {
                group.forEach(f -> groups.add(new RunSummary.FailureGroup(f.line(), 1, f.object() == null
                        ? List.of() : List.of(f.object()))));
            } else {
                List<String> names = group.stream().map(Failure::object).sorted().toList();
                groups.add(new RunSummary.FailureGroup(RunSummary.withoutObject(first.line(), first.object()),
                        group.size(), names.subList(0, Math.min(RunSummary.FailureGroup.EXAMPLES, names.size()))));
            }
        }
        return List.copyOf(groups);
    }
}
