package dev.ingest.core.engine;

import dev.ingest.api.Destination;
import dev.ingest.core.config.Durations;
import dev.ingest.core.config.WorkflowConfig;
import dev.ingest.core.records.RecordRunner;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One workflow running in an {@link IngestEngine}: its reading side (an enqueuer that scans every {@code interval},
 * or a record source's runner) and its writing side (a dequeuer that copies objects, or a batcher), each on a thread
 * of its own, as the engine's mode says. A workflow is started and stopped on its own, while the others keep running.
 *
 * <p>Lifecycle: {@link #start()}, then {@link #stop()} (stop reading and fetching), then
 * {@link #finish(long)} (wait for in-flight work until a deadline, then interrupt it; interrupted copies hand their
 * messages back). Thread-safe.
 */
final class WorkflowRun {

    private static final Logger LOG = LoggerFactory.getLogger(WorkflowRun.class);

    private final IngestEngine engine;
    private final WorkflowConfig w;
    private final AtomicBoolean scanDone;
    private final Thread reader;
    /** The thread of the source's notifications ({@link FeedRunner}), or null. */
    private final Thread feeder;
    private final FeedRunner feedRunner;
    /** Reading threads not yet ended; the reading side is done at 0. */
    private final java.util.concurrent.atomic.AtomicInteger readersLeft = new java.util.concurrent.atomic.AtomicInteger();
    private final Thread writer;
    private final RecordRunner runner;
    private final Dequeuer dequeuer;
    private final Batcher batcher;
    private final ExecutorService pool;
    private volatile boolean stopping;
    /** Whether the reading side completed its work ({@code once}: its one scan, or its source read everything). */
    private volatile boolean readDone;
    /** Scans asked for ({@link #scanNow()}), answered when the next scan ends. */
    private final java.util.concurrent.ConcurrentLinkedQueue<java.util.concurrent.CompletableFuture<ScanOutcome>>
            scanRequests = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final boolean scans;
    /** Whether a reading thread ended without completing its work. */
    private volatile boolean readDoneFailed;

    WorkflowRun(IngestEngine engine, WorkflowConfig w, WorkflowPlugins plugins) {
        this.engine = engine;
        this.w = w;
        this.scanDone = new AtomicBoolean(!engine.mode().enqueues());
        List<Transfer.Named<Destination>> dests = plugins.named();
        boolean records = plugins.records() != null;
        RecordRunner recordRunner = null;
        Thread read = null;
        if (engine.mode().enqueues() && records) {
            recordRunner = new RecordRunner(engine.queue(), engine.checkpoints(), w, plugins.records(), engine.once(),
                    engine.recordListener(w.name()));
            RecordRunner r = recordRunner;
            read = new Thread(() -> recordLoop(r), "records-" + w.name());
        }
        FeedRunner feedRun = null;
        Thread feed = null;
        if (engine.mode().enqueues() && !records) {
            java.util.Optional<dev.ingest.api.ObjectFeed> objectFeed;
            try {
                objectFeed = plugins.source().feed(w.name());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("workflow " + w.name() + ": cannot set up the notifications of "
                        + "source " + w.source() + ": " + e.getMessage(), e);
            }
            if (objectFeed.isPresent()) {
                dev.ingest.api.ObjectFeed f = objectFeed.get();
                feedRun = new FeedRunner(engine.queue(), w, f, engine.stats(), engine.metrics(), engine.once());
                FeedRunner fr = feedRun;
                feed = new Thread(() -> feedLoop(fr, f), "notify-" + w.name());
            }
            if (objectFeed.isEmpty() || plugins.intervalSet()) { // notified and scanned: scans catch what was missed
                Enqueuer enqueuer = new Enqueuer(engine.queue(), engine.checkpoints(), w, plugins.source(),
                        plugins.sourceType(), dests, engine.stats(), engine.metrics(), engine.once());
                read = new Thread(() -> scanLoop(enqueuer), "enqueue-" + w.name());
            }
        }
        this.feedRunner = feedRun;
        this.feeder = feed;
        this.runner = recordRunner;
        this.reader = read;
        this.scans = read != null && recordRunner == null;
        readersLeft.set((read == null ? 0 : 1) + (feed == null ? 0 : 1));
        Dequeuer dq = null;
        Batcher b = null;
        ExecutorService p = null;
        Thread write = null;
        if (engine.mode().dequeues()) {
            ConsumerState state = new ConsumerState(engine.queue(), w.name());
            engine.metrics().consumerState(w.name(), state::pending, state::ackPending);
            if (w.batch().isPresent()) {
                b = new Batcher(engine.queue(), w, records ? null : plugins.namedSource(), plugins.sourceName(), dests,
                        engine.stats(), engine.metrics(), engine.ticker(), engine.webhook(),
                        Path.of(System.getProperty("java.io.tmpdir")), engine.recordStatus());
                Batcher batch = b;
                write = new Thread(() -> batchLoop(batch), "batch-" + w.name());
            } else {
                p = Executors.newFixedThreadPool(w.concurrency(), IngestEngine.daemon("copy-" + w.name()));
                Transfer transfer = new Transfer(engine.queue(), w, plugins.namedSource(), dests, engine.stats(),
                        engine.ticker(), engine.metrics(), engine.recordStatus());
                dq = new Dequeuer(engine.queue(), w, transfer, p, engine.webhook(), engine.metrics());
                Dequeuer d = dq;
                write = new Thread(() -> dequeueLoop(d), "dequeue-" + w.name());
            }
        }
        this.dequeuer = dq;
        this.batcher = b;
        this.pool = p;
        this.writer = write;
        w.webhook().ifPresent(engine.webhook()::prepare);
    }

    /** @return the workflow */
    WorkflowConfig workflow() {
        return w;
    }

    /** @return whether this run has a batcher (it reports what it holds) */
    Batcher batcher() {
        return batcher;
    }

    /** @return false while its record source says it cannot take records (a push listener not bound) */
    boolean sourceReady() {
        return runner == null || runner.sourceReady();
    }

    /** @return whether it reads records */
    boolean readsRecords() {
        return runner != null;
    }

    void start() {
        if (reader != null) {
            reader.start();
        }
        if (feeder != null) {
            feeder.start();
        }
        if (writer != null) {
            writer.start();
        }
    }

    /** Stops reading and fetching; work in progress goes on until {@link #finish(long)}. Idempotent. */
    void stop() {
        stopping = true;
        if (runner != null) {
            runner.stop();
        }
        if (feedRunner != null) {
            feedRunner.stop();
        }
        if (dequeuer != null) {
            dequeuer.stop();
        }
        if (batcher != null) {
            batcher.stop();
        }
        if (reader != null && runner == null) {
            reader.interrupt(); // a scan still running is abandoned; the next one starts over
        }
        engine.wakeScanners();
    }

    /**
     * Waits until this run's threads end, or a stop ({@link #stop()} or the engine's) comes first: how a
     * {@code once} run waits for its work.
     *
     * @param stopped whether the engine was stopped meanwhile
     */
    void awaitWork(java.util.function.BooleanSupplier stopped) throws InterruptedException {
        for (Thread t : new Thread[] {reader, feeder, writer}) {
            while (t != null && t.isAlive() && !stopped.getAsBoolean()) {
                t.join(100);
            }
        }
    }

    /**
     * Lets the record source and the copies in flight finish until the deadline, then interrupts them (a copy that does
     * not react to the interrupt in time has its message handed back by the dequeuer), and releases the threads: the
     * phases below, for this run alone.
     *
     * @param deadline {@link System#nanoTime()} by which in-flight work must end
     */
    void finish(long deadline) throws InterruptedException {
        stop();
        try {
            awaitUntil(deadline);
            interruptRemaining();
            awaitInterrupted();
        } finally {
            release();
        }
    }

    /** Phase 1 of finishing: waits until the deadline for the record source to hand over, and for the copies. */
    void awaitUntil(long deadline) throws InterruptedException {
        if (reader != null && runner != null) { // a record source hands over what it read, writes its checkpoint
            reader.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
        if (feeder != null) { // a feed acknowledges what JetStream stored
            feeder.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
        if (writer != null) {
            writer.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
    }

    /** Phase 2: interrupts what is still running after the grace period. */
    void interruptRemaining() {
        for (Thread t : new Thread[] {runner != null ? reader : null, feeder, writer}) {
            if (t != null && t.isAlive()) {
                LOG.warn("{} did not finish within the {} grace period; interrupting it", t.getName(),
                        Durations.format(engine.grace()));
                t.interrupt();
            }
        }
    }

    /** Phase 3: waits for the interrupted threads, which hand their messages back. */
    void awaitInterrupted() throws InterruptedException {
        if (writer != null && writer.isAlive()) {
            writer.join(Dequeuer.INTERRUPT_MILLIS + 1_000);
            if (writer.isAlive()) {
                LOG.error("{} did not stop after its copies were interrupted and handed back", writer.getName());
            }
        }
        if (reader != null) {
            reader.join(Dequeuer.INTERRUPT_MILLIS);
        }
        if (feeder != null) {
            feeder.join(Dequeuer.INTERRUPT_MILLIS);
        }
    }

    /** Phase 4: releases the copy threads and the batcher's. */
    void release() {
        if (pool != null) {
            pool.shutdownNow();
        }
        if (batcher != null) {
            batcher.close();
        }
    }

    /** @return whether every thread of this run has ended */
    boolean ended() {
        return (reader == null || !reader.isAlive()) && (feeder == null || !feeder.isAlive())
                && (writer == null || !writer.isAlive());
    }

    /** @return whether the reading side completed its work, in a {@code once} run (also: there is none) */
    boolean readDone() {
        return (reader == null && feeder == null) || readDone;
    }

    /** A reading thread ended: the reading side is done when the last one did. */
    private void readerEnded(boolean done) {
        if (!done) {
            readDoneFailed = true;
        }
        if (readersLeft.decrementAndGet() <= 0) {
            readDone = !readDoneFailed && engine.once();
            scanDone.set(true);
        }
    }

    private boolean stopped() {
        return stopping || engine.isStopping();
    }

    /**
     * Asks for a scan now, rather than at the next interval (a one-time run of a service's workflow).
     *
     * @return completes with what the scan did once it ended; exceptionally when this run scans nothing (a record
     *     workflow, a process that does not enqueue) or stops before the scan
     */
    java.util.concurrent.CompletableFuture<ScanOutcome> scanNow() {
        var answer = new java.util.concurrent.CompletableFuture<ScanOutcome>();
        if (!scans) {
            answer.completeExceptionally(new IllegalStateException("workflow " + w.name() + " is not scanned by this "
                    + "process (" + (runner != null ? "it reads records" : "mode " + engine.mode().name()
                    .toLowerCase(java.util.Locale.ROOT)) + ")"));
            return answer;
        }
        scanRequests.add(answer);
        if (stopped()) {
            failRequests("workflow " + w.name() + " stopped");
        }
        engine.wakeScanners();
        return answer;
    }

    private void failRequests(String why) {
        for (var r = scanRequests.poll(); r != null; r = scanRequests.poll()) {
            r.completeExceptionally(new IllegalStateException(why));
        }
    }

    private void scanLoop(Enqueuer enqueuer) {
        MDC.put("workflow", w.name());
        boolean completed = false;
        try {
            while (!stopped()) {
                long generation = engine.rescanGeneration();
                List<java.util.concurrent.CompletableFuture<ScanOutcome>> asked = new java.util.ArrayList<>();
                for (var r = scanRequests.poll(); r != null; r = scanRequests.poll()) {
                    asked.add(r);
                }
                String error = "";
                try {
                    enqueuer.scan();
                } catch (InterruptedException e) {
                    asked.forEach(r -> r.completeExceptionally(new IllegalStateException("the scan was interrupted")));
                    return;
                } catch (IOException | RuntimeException e) {
                    error = e.toString();
                    LOG.error("workflow {}: scan of source {} failed: {}", w.name(), w.source(), e.toString());
                    engine.stats().event("scan_failed", w.name(), java.util.Map.of("source", w.source(),
                            "error", e.toString()));
                    if (engine.once()) {
                        engine.stats().failed("workflow " + w.name() + ": scan of source " + w.source() + " failed: "
                                + e.getMessage());
                    }
                }
                ScanOutcome outcome = enqueuer.outcome(error);
                asked.forEach(r -> r.complete(outcome));
                if (engine.once()) {
                    completed = !stopped();
                    return;
                }
                try {
                    if (!engine.awaitNextScan(w.interval(), generation, this::stopped, () -> !scanRequests.isEmpty())) {
                        return;
                    }
                } catch (InterruptedException e) {
                    return;
                }
            }
        } finally {
            failRequests("workflow " + w.name() + " stopped before the scan");
            readerEnded(completed);
            MDC.remove("workflow");
        }
    }

    private void feedLoop(FeedRunner feedRun, dev.ingest.api.ObjectFeed feed) {
        MDC.put("workflow", w.name());
        boolean completed = false;
        try {
            feedRun.run();
            completed = engine.once() && !stopped();
        } catch (InterruptedException e) {
            LOG.info("workflow {}: notifications interrupted", w.name());
        } catch (IOException | RuntimeException e) {
            LOG.error("workflow {}: notifications of source {} failed: {}", w.name(), w.source(), e.toString());
            if (engine.once()) {
                engine.stats().failed("workflow " + w.name() + ": notifications of source " + w.source()
                        + " failed: " + e.getMessage());
                completed = true;
            }
        } finally {
            try {
                feed.close();
            } catch (IOException | RuntimeException e) {
                LOG.warn("workflow {}: closing the notifications of source {} failed: {}", w.name(), w.source(),
                        e.toString());
            }
            readerEnded(completed);
            MDC.remove("workflow");
        }
    }

    private void recordLoop(RecordRunner recordRunner) {
        MDC.put("workflow", w.name());
        boolean completed = false;
        try {
            recordRunner.run();
            completed = engine.once() && !stopped();
        } catch (InterruptedException e) {
            LOG.info("workflow {}: record source interrupted", w.name());
        } catch (IOException | RuntimeException e) {
            LOG.error("workflow {}: record source {} failed: {}", w.name(), w.source(), e.toString());
            if (engine.once()) {
                engine.stats().failed("workflow " + w.name() + ": record source " + w.source() + " failed: "
                        + e.getMessage());
                completed = true;
            }
        } finally {
            readerEnded(completed);
            MDC.remove("workflow");
        }
    }

    private void batchLoop(Batcher b) {
        MDC.put("workflow", w.name());
        try {
            b.run(engine.once() ? scanDone::get : null);
        } catch (InterruptedException e) {
            LOG.info("workflow {}: batcher interrupted; batches not stored were handed back", w.name());
        } catch (RuntimeException e) {
            LOG.error("workflow {}: batcher failed", w.name(), e);
            engine.stats().failed("workflow " + w.name() + ": batcher failed: " + e);
        } finally {
            MDC.remove("workflow");
        }
    }

    private void dequeueLoop(Dequeuer dq) {
        MDC.put("workflow", w.name());
        try {
            dq.run(engine.once() ? scanDone::get : null);
        } catch (InterruptedException e) {
            LOG.info("workflow {}: dequeuer interrupted", w.name());
        } catch (RuntimeException e) {
            LOG.error("workflow {}: dequeuer failed", w.name(), e);
            engine.stats().failed("workflow " + w.name() + ": dequeuer failed: " + e);
        } finally {
            MDC.remove("workflow");
        }
    }

    @Override
    public String toString() {
        return "WorkflowRun[" + w.name() + (stopping ? ", stopping" : "") + "]";
    }
}
