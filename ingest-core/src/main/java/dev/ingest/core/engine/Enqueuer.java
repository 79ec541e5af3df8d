package dev.ingest.core.engine;

import dev.ingest.api.CheckpointUpdate;
import dev.ingest.api.Codec;
import dev.ingest.api.Destination;
import dev.ingest.api.Scan;
import dev.ingest.api.Source;
import dev.ingest.core.config.WorkflowConfig;
import dev.ingest.core.metrics.IngestMetrics;
import dev.ingest.core.queue.CodecJson;
import dev.ingest.core.queue.DeadLetters;
import dev.ingest.core.queue.JetStreamQueue;
import dev.ingest.core.records.CheckpointStore;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scans one workflow's source and publishes one message per object, asynchronously with a bounded window of
 * outstanding acks. A publish the server did not acknowledge is retried synchronously; if it still fails the
 * scan fails loudly (the next scan queues the object again). Nothing is dropped quietly.
 *
 * <p>An object whose unchanged version sits in the workflow's dead letters is not queued again (it would only be
 * dead-lettered again): the scan counts it in its record and its log line, and a {@code once} run counts it as
 * failed. Replaying or deleting the dead letter, or a new version of the object, makes it eligible again. When the
 * dead letters cannot be read, the scan queues everything, as it would without them.
 */
final class Enqueuer {

    private static final Logger LOG = LoggerFactory.getLogger(Enqueuer.class);
    static final int WINDOW = 1024;
    /** How many dead-lettered objects a scan's warning names. */
    private static final int DEAD_EXAMPLES = 5;

    private final JetStreamQueue queue;
    private final WorkflowConfig workflow;
    /** The de-duplication scope of its messages: its name and destinations. */
    private final String dedupScope;
    private final Source source;
    private final RunStats stats;
    private final IngestMetrics metrics;
    private final String sourceType;
    private final List<Transfer.Named<Destination>> destinations;
    private final AtomicLong queued = new AtomicLong();
    private final AtomicLong alreadyQueued = new AtomicLong();
    private final AtomicLong alreadyStored = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    /** The highest stream sequence among the messages of the last scan (new or already queued); 0 for none. */
    private final AtomicLong maxSequence = new AtomicLong();
    private final DeadLetters.Index deadLetters;
    private final boolean once;
    private final CheckpointStore checkpoints;
    private volatile long listedInScan;
    private volatile ScanCheckpoint checkpoint;

    /** An object of the listing with the checkpoint change that comes with it. */
    private record Step(Codec codec, CheckpointUpdate update) {
    }

    /** An object whose publish was not confirmed, with its ordinal in the scan's checkpoint. */
    private record Unconfirmed(Codec codec, long ordinal) {
    }

    /** Objects between two writes of the checkpoint during a scan, at most. */
    static final int CHECKPOINT_EVERY = 1000;

    Enqueuer(JetStreamQueue queue, CheckpointStore checkpoints, WorkflowConfig workflow, Source source,
             String sourceType, List<Transfer.Named<Destination>> destinations, RunStats stats, IngestMetrics metrics,
             boolean once) {
        this.queue = queue;
        this.checkpoints = checkpoints;
        this.deadLetters = new DeadLetters(queue).index(workflow.name());
        this.once = once;
        this.workflow = workflow;
        this.dedupScope = CodecJson.scope(workflow.name(), workflow.destinations());
        this.source = source;
        this.sourceType = sourceType;
        this.destinations = List.copyOf(destinations);
        this.stats = stats;
        this.metrics = metrics;
    }

    /**
     * One full scan.
     *
     * @return how many objects were listed
     * @throws IOException if listing failed or a publish could not be confirmed
     * @throws InterruptedException if interrupted (a shutdown)
     */
    long scan() throws IOException, InterruptedException {
        long started = System.nanoTime();
        queued.set(0);
        alreadyQueued.set(0);
        alreadyStored.set(0);
        deadLettered.set(0);
        maxSequence.set(0);
        String error = "";
        long listed = 0;
        try {
            listed = scanOnce();
            return listed;
        } catch (IOException | RuntimeException e) {
            error = e.toString();
            throw e;
        } finally {
            ScanCheckpoint cp = checkpoint;
            queue.recordScan(workflow.name(), new JetStreamQueue.ScanRecord(Instant.now(), listedInScan,
                    queued.get(), alreadyQueued.get(), alreadyStored.get(), deadLettered.get(),
                    (System.nanoTime() - started) / 1_000_000, error, cp == null ? Map.of() : cp.status()));
        }
    }

    private long scanOnce() throws IOException, InterruptedException {
        long started = System.nanoTime();
        Semaphore window = new Semaphore(WINDOW);
        ConcurrentLinkedQueue<Unconfirmed> unconfirmed = new ConcurrentLinkedQueue<>();
        ScanCheckpoint cp = new ScanCheckpoint(checkpoints, workflow.name());
        checkpoint = cp;
        AtomicReference<CheckpointUpdate> atEnd = new AtomicReference<>(CheckpointUpdate.NONE);
        AtomicReference<Throwable> firstError = new AtomicReference<>();
        long listed = 0;
        listedInScan = 0;
        boolean listedAll = false;
        // The source is listed on its own thread, ahead of the publishing: the next page is being fetched while
        // this one is published. So are the destinations' listings, when they are compared.
        ListingComparison comparison = workflow.listDestinations() ? ListingComparison.start(workflow.name(),
                destinations, (d, ok) -> metrics.storageOperation(workflow.name(), d.name(), d.type(), "list", ok,
                        (System.nanoTime() - started) / 1e9)) : null;
        // A scan of this workflow's own: other workflows on the same source scan it independently.
        Prefetch<Step> listing = new Prefetch<>(new Prefetch.Lister<>() {
            private Scan scan;

            @Override
            public void start() throws IOException {
                scan = source.scan(cp);
            }

            @Override
            public Optional<Step> next() throws IOException {
                Optional<Codec> codec = scan.next();
                if (codec.isEmpty()) {
                    atEnd.set(scan.checkpointAfter(null));
                    return Optional.empty();
                }
                return Optional.of(new Step(codec.get(), scan.checkpointAfter(codec.get())));
            }

            @Override
            public void finish() throws IOException {
                if (scan != null) {
                    scan.close();
                }
            }
        }, "list-" + workflow.name(), workflow.name());
        boolean compared = comparison != null && comparison.active();
        Map<DeadLetters.ObjectVersion, Long> dead = deadLetteredObjects();
        List<String> deadExamples = new ArrayList<>();
        try {
            for (Step step = listing.next(); step != null; step = listing.next()) {
                Codec codec = step.codec();
                long ordinal = cp.add(step.update());
                if (listed > 0 && listed % CHECKPOINT_EVERY == 0) {
                    commitQuietly(cp);
                }
                if (Thread.currentThread().isInterrupted()) {
                    throw new InterruptedException("scan interrupted");
                }
                listed++;
                listedInScan = listed;
                stats.listed();
                ListingComparison.Verdict verdict = comparison == null ? ListingComparison.Verdict.UNKNOWN
                        : comparison.compare(codec);
                // With cleanUp the dequeuer still has to delete it from the source, after its own check.
                if (verdict.heldEverywhere() && !workflow.cleanUp()) {
                    cp.settle(ordinal);
                    alreadyStored.incrementAndGet();
                    stats.skipped();
                    metrics.skipped(workflow.name());
                    continue;
                }
                Long deadLetter = dead.isEmpty() ? null : dead.get(DeadLetters.ObjectVersion.of(codec));
                if (deadLetter != null) {
                    cp.settle(ordinal); // it waits in the dead letters; a replay queues it again
                    deadLettered.incrementAndGet();
                    if (deadExamples.size() < DEAD_EXAMPLES) {
                        deadExamples.add("'" + codec.name() + "' (#" + deadLetter + ")");
                    }
                    if (once) {
                        stats.failed("workflow " + workflow.name() + ": object '" + codec.name() + "' is dead-lettered"
                                + " unchanged (#" + deadLetter + ") and was not queued again; see ingest dlq list "
                                + workflow.name());
                    }
                    continue;
                }
                window.acquire();
                try {
                    queue.publishAsync(workflow.name(), dedupScope, codec, verdict.lackingAt()).whenComplete((ack, error) -> {
                        try {
                            if (error != null) {
                                firstError.compareAndSet(null, error);
                                unconfirmed.add(new Unconfirmed(codec, ordinal));
                                metrics.queueOperation(workflow.name(), "publish", false);
                            } else {
                                cp.settle(ordinal);
                                countQueued(ack.isDuplicate());
                                maxSequence.accumulateAndGet(ack.getSeqno(), Math::max);
                                metrics.enqueued(workflow.name(), workflow.source(), true);
                                metrics.queueOperation(workflow.name(), "publish", true);
                            }
                        } finally {
                            window.release();
                        }
                    });
                } catch (RuntimeException e) {
                    window.release();
                    firstError.compareAndSet(null, e);
                    unconfirmed.add(new Unconfirmed(codec, ordinal));
                    metrics.queueOperation(workflow.name(), "publish", false);
                }
            }
            listedAll = true;
        } finally {
            listing.close();
            if (comparison != null) {
                comparison.close();
            }
            metrics.clientOperation(workflow.name(), workflow.source(), sourceType, "list", listedAll);
            window.acquire(WINDOW); // wait for every outstanding ack, whatever happened
            window.release(WINDOW);
        }
        if (!unconfirmed.isEmpty()) {
            LOG.warn("workflow {}: {} publishes were not confirmed ({}); retrying them one by one",
                    workflow.name(), unconfirmed.size(), firstError.get() == null ? "?" : firstError.get().toString());
            for (Unconfirmed u : unconfirmed) {
                publishWithRetries(u.codec());
                cp.settle(u.ordinal());
            }
        }
        if (listedAll) {
            cp.end(atEnd.get());
        }
        if (cp.used()) {
            cp.commit(); // a failure fails the scan: the next one starts from the checkpoint committed before
        }
        LOG.info("workflow {}: scanned source {}: {} objects in {} ms{}{}", workflow.name(), workflow.source(), listed,
                (System.nanoTime() - started) / 1_000_000, !compared ? ""
                        : ", " + alreadyStored.get() + " of them already at every destination",
                deadLettered.get() == 0 ? "" : ", " + deadLettered.get() + " dead-lettered and not queued again");
        if (deadLettered.get() > 0) {
            LOG.warn("workflow {}: {} object(s) not queued because their unchanged version is dead-lettered: {}{}; "
                            + "'ingest dlq list {}' shows why, 'ingest dlq replay {}' queues them again",
                    workflow.name(), deadLettered.get(), String.join(", ", deadExamples),
                    deadLettered.get() > deadExamples.size() ? ", ..." : "", workflow.name(), workflow.name());
        }
        return listed;
    }

    /** Writes what the checkpoint may move to so far; a failure is logged, and written with the next change. */
    private void commitQuietly(ScanCheckpoint cp) throws InterruptedException {
        try {
            cp.commit();
        } catch (IOException | RuntimeException e) {
            LOG.warn("workflow {}: could not write the scan's checkpoint yet ({}); trying again", workflow.name(),
                    e.getMessage());
        }
    }

    /**
     * The objects of the workflow's dead letters, read before the scan. If they cannot be read, none: the scan then
     * queues every object, and those dead-lettered before are at worst dead-lettered again.
     */
    private Map<DeadLetters.ObjectVersion, Long> deadLetteredObjects() {
        try {
            return deadLetters.refresh();
        } catch (IOException | RuntimeException e) {
            LOG.warn("workflow {}: cannot read the dead letters ({}); this scan queues dead-lettered objects too",
                    workflow.name(), e.getMessage());
            return Map.of();
        }
    }

    /**
     * What the last scan did (read after {@link #scan()} returned or threw).
     *
     * @param error why it failed; empty when it did not
     * @return its outcome
     */
    ScanOutcome outcome(String error) {
        return new ScanOutcome(listedInScan, queued.get(), alreadyQueued.get(), alreadyStored.get(), deadLettered.get(),
                maxSequence.get(), error);
    }

    private void countQueued(boolean duplicate) {
        stats.queued(duplicate);
        (duplicate ? alreadyQueued : queued).incrementAndGet();
    }

    /** Publishes synchronously, retrying for {@link JetStreamQueue#PUBLISH_RETRY_PERIOD} (a cluster's election). */
    private void publishWithRetries(Codec codec) throws IOException, InterruptedException {
        long start = System.nanoTime();
        for (int attempt = 1; ; attempt++) {
            try {
                var ack = queue.publish(workflow.name(), dedupScope, codec);
                countQueued(ack.isDuplicate());
                maxSequence.accumulateAndGet(ack.getSeqno(), Math::max);
                metrics.enqueued(workflow.name(), workflow.source(), true);
                metrics.queueOperation(workflow.name(), "publish", true);
                return;
            } catch (IOException | RuntimeException e) {
                metrics.queueOperation(workflow.name(), "publish", false);
                IOException last = e instanceof IOException io ? io : new IOException(e.toString(), e);
                long pause = JetStreamQueue.publishRetryPause(attempt, start);
                if (pause < 0) {
                    metrics.enqueued(workflow.name(), workflow.source(), false);
                    throw new IOException("could not queue object '" + codec.name() + "' of workflow "
                            + workflow.name() + " after " + attempt + " attempts in "
                            + (System.nanoTime() - start) / 1_000_000_000 + "s: " + last.getMessage(), last);
                }
                Thread.sleep(pause);
            }
        }
    }
}
