package dev.ingest.core.engine;

import dev.ingest.core.config.WorkflowConfig;
import dev.ingest.core.metrics.IngestMetrics;
import dev.ingest.core.plugin.Configured;
import dev.ingest.core.queue.JetStreamQueue;
import dev.ingest.core.records.CheckpointStore;
import dev.ingest.core.records.RecordRunner;
import dev.ingest.core.records.RecordStatus;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs workflows against a JetStream queue: per workflow (a {@link WorkflowRun}) an enqueuer (scans every
 * {@code interval}) or a record source's runner, and/or a dequeuer or batcher, as the {@link Mode} says; or, with
 * {@code once}, one scan per workflow and dequeuing until nothing is pending. A service's workflows can be added,
 * replaced and removed while it runs ({@link #add}, {@link #remove}); the others keep running.
 *
 * <p>{@link #stop()} (e.g. from a SIGTERM hook) stops scanning and fetching, lets in-flight copies finish
 * within the grace period, then interrupts them; interrupted copies are handed back to the queue. Webhook
 * deliveries may take what is left of the grace period (at the end of a {@code once} run: the whole grace period
 * after the work is done); notices still undelivered then are logged and counted in the {@link RunSummary}.
 *
 * <p>The engine does not own the configured plugins or the queue: the caller closes them after {@link #run()}.
 */
public final class IngestEngine {

    private static final Logger LOG = LoggerFactory.getLogger(IngestEngine.class);

    private final Configured configured;
    private final JetStreamQueue queue;
    private final Mode mode;
    private final boolean once;
    private final Duration grace;
    private final IngestMetrics metrics;
    private final RunStats stats = new RunStats();
    private final CountDownLatch stopSignal = new CountDownLatch(1);
    /** The workflows running now, by name, in the order they were started. */
    private final Map<String, WorkflowRun> runs = new java.util.LinkedHashMap<>();
    private final CheckpointStore checkpoints;
    private final java.util.function.Predicate<String> holdBack;
    private final RecordStatus recordStatus;
    private final Map<String, Map<String, String>> sourceStatus = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile ScheduledExecutorService ticker;
    private volatile Webhook webhook;
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile boolean stopping;
    private volatile boolean ready;
    /** A service's stream or consumers went missing and are being recreated: not ready meanwhile. */
    private volatile boolean queueLost;
    /** Why a {@code once} run was abandoned (its stream or a consumer disappeared), or null. */
    private volatile String abandoned;
    /** Whether a {@code once} run finished its work: every scan completed and every dequeuer drained. */
    private volatile boolean workDone;
    /** Guards {@link #rescanGeneration}; notified when it changes. */
    private final Object rescan = new Object();
    /** Bumped to make every enqueuer scan again at once (after the stream was recreated). */
    private long rescanGeneration;
    private static final int ONCE_SETUP_ATTEMPTS = 10;
    /** How often the stream and consumers are checked for existence: a service, a {@code once} run. */
    private static final long SERVICE_WATCH_MILLIS = 5_000;
    private static final long ONCE_WATCH_MILLIS = 1_000;

    private IngestEngine(Builder b) {
        this.configured = Objects.requireNonNull(b.configured, "configured");
        this.queue = Objects.requireNonNull(b.queue, "queue");
        this.mode = Objects.requireNonNull(b.mode, "mode");
        this.once = b.once;
        this.grace = Objects.requireNonNull(b.grace, "grace");
        this.metrics = b.metrics == null ? IngestMetrics.withoutJvm() : b.metrics;
        this.checkpoints = new CheckpointStore(queue);
        this.recordStatus = new RecordStatus(queue);
        this.holdBack = b.holdBack;
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds an {@link IngestEngine}. */
    public static final class Builder {
        private Configured configured;
        private JetStreamQueue queue;
        private Mode mode = Mode.ALL;
        private boolean once;
        private Duration grace = Duration.ofSeconds(25);
        private IngestMetrics metrics;
        private java.util.function.Predicate<String> holdBack = w -> false;

        private Builder() {
        }

        /**
         * @param holdBack which of the configured workflows {@link IngestEngine#run()} does not start (paused ones: a
         *     control plane may {@link IngestEngine#add add} them later); default none
         * @return this
         */
        public Builder holdBack(java.util.function.Predicate<String> holdBack) {
            this.holdBack = Objects.requireNonNull(holdBack, "holdBack");
            return this;
        }

        /**
         * @param metrics where to count (default: a private registry nobody reads)
         * @return this
         */
        public Builder metrics(IngestMetrics metrics) {
            this.metrics = metrics;
            return this;
        }

        /**
         * @param configured the live plugins and workflows
         * @return this
         */
        public Builder configured(Configured configured) {
            this.configured = configured;
            return this;
        }

        /**
         * @param queue a connected queue
         * @return this
         */
        public Builder queue(JetStreamQueue queue) {
            this.queue = queue;
            return this;
        }

        /**
         * @param mode enqueue, dequeue or both (default both)
         * @return this
         */
        public Builder mode(Mode mode) {
            this.mode = mode;
            return this;
        }

        /**
         * @param once scan once and return when the work is done (default false: run until stopped)
         * @return this
         */
        public Builder once(boolean once) {
            this.once = once;
            return this;
        }

        /**
         * @param grace how long in-flight copies may take to finish after {@link IngestEngine#stop()}; webhook
         *     deliveries get what is left of it (at the end of a {@code once} run, all of it)
         * @return this
         */
        public Builder shutdownGrace(Duration grace) {
            this.grace = grace;
            return this;
        }

        /** @return the engine */
        public IngestEngine build() {
            return new IngestEngine(this);
        }
    }

    /** @return the metrics this engine counts into */
    public IngestMetrics metrics() {
        return metrics;
    }

    /** @return the counters of this run so far */
    public RunSummary progress() {
        return stats.snapshot();
    }

    /**
     * Creates the stream and consumers, then runs until the work is done ({@code once}) or {@link #stop()}.
     *
     * @return what the run did
     * @throws IOException if the stream or a consumer cannot be set up
     * @throws InterruptedException if the calling thread is interrupted
     */
    public RunSummary run() throws IOException, InterruptedException {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("an engine runs once");
        }
        if (!setUpQueue()) {
            return stats.snapshot(); // stopped while waiting for the queue
        }
        ticker = Executors.newSingleThreadScheduledExecutor(daemon("ingest-progress"));
        webhook = new Webhook(stats, metrics, Duration.ofSeconds(10), Duration.ofMillis(500));
        try {
            List<WorkflowRun> initial = new ArrayList<>();
            for (WorkflowConfig w : configured.workflows()) {
                if (once || !holdBack.test(w.name())) {
                    initial.add(new WorkflowRun(this, w, WorkflowPlugins.of(configured, w)));
                }
            }
            if (stopping) {
                return stats.snapshot();
            }
            ticker.scheduleWithFixedDelay(this::reportStatus, 5, 5, TimeUnit.SECONDS);
            Thread watch = new Thread(this::watchQueue, "queue-watch");
            watch.setDaemon(true);
            synchronized (runs) {
                for (WorkflowRun r : initial) {
                    runs.put(r.workflow().name(), r);
                    r.start();
                }
            }
            // Ready only now: before, no workflow is running, and a push source has not even been asked to listen.
            ready = true;
            watch.start();
            LOG.info("running {} workflow(s) in mode {}{}", initial.size(), mode.name().toLowerCase(),
                    once ? " once" : "");
            if (once) {
                // Until the work is done, or a stop (a signal, close(), a lost stream) ends it early.
                for (WorkflowRun r : initial) {
                    r.awaitWork(() -> stopSignal.getCount() == 0);
                }
            } else {
                stopSignal.await();
            }
            // Stopping (or done): record sources, in-flight copies, then webhook deliveries, get the grace period; then
            // what is left is interrupted (copies are handed back; a copy that does not react to the interrupt in time
            // has its message handed back by the dequeuer) or given up (webhook notices, logged and counted). Record
            // sources use it to hand over what they read and write their last checkpoint.
            long deadline = System.nanoTime() + grace.toNanos();
            boolean stopped = stopping;
            long inFlightAtStop = stats.copying();
            List<WorkflowRun> all = running();
            all.forEach(WorkflowRun::stop);
            for (WorkflowRun r : all) {
                r.awaitUntil(deadline);
            }
            all.forEach(WorkflowRun::interruptRemaining);
            for (WorkflowRun r : all) {
                r.awaitInterrupted();
            }
            watch.interrupt();
            reportStatus();
            if (stopped) {
                long handedBack = stats.handedBack();
                LOG.info("stopped: {} copies were in flight; {} finished within the {} grace period and {} were "
                                + "handed back to the queue; {} fetched message(s) not yet started were handed back",
                        inFlightAtStop, Math.max(0, inFlightAtStop - handedBack), dev.ingest.core.config.Durations.format(grace),
                        handedBack, stats.handedBackUnstarted());
            }
            if (once) {
                // Done even if a signal came at the very end: every scan completed and nothing is left in the queue.
                workDone = abandoned == null && all.stream().allMatch(WorkflowRun::readDone)
                        && (!mode.dequeues() || queueDrained());
            }
            webhook.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            return stats.snapshot();
        } finally {
            for (WorkflowRun r : running()) {
                r.release();
            }
            ticker.shutdownNow();
            webhook.close(); // after a failure: gives up at once what is left (a normal end closed it above)
            try {
                queue.flush(Duration.ofSeconds(5));
            } catch (IOException e) {
                LOG.warn("could not flush the last acks to NATS: {}", e.getMessage());
            }
        }
    }

    /**
     * Starts a workflow while the engine runs (a service), next to the others: creates its consumer (and the
     * checkpoint bucket for a record source), then its threads. A workflow of the same name that runs already is
     * replaced: it stops reading and fetching at once, and its in-flight work gets the grace period, in the background.
     *
     * @param w the workflow
     * @param plugins its plugin instances, owned by the caller (who closes them once the workflow stopped)
     * @return completes when a replaced run has finished (at once when none was replaced)
     * @throws IOException if its consumer cannot be created
     * @throws IllegalStateException if the engine is not running as a service
     */
    public CompletableFuture<Void> add(WorkflowConfig w, WorkflowPlugins plugins)
            throws IOException {
        if (once || !ready || stopping) {
            throw new IllegalStateException("workflows are added to a running service, not to a once run");
        }
        queue.ensureConsumer(w);
        if (plugins.records() != null) {
            checkpoints.ensure();
        }
        WorkflowRun run = new WorkflowRun(this, w, plugins);
        WorkflowRun replaced;
        synchronized (runs) {
            if (stopping) {
                throw new IllegalStateException("the engine is stopping");
            }
            replaced = runs.put(w.name(), run);
            run.start();
        }
        LOG.info("workflow {} {}", w.name(), replaced == null ? "started" : "replaced");
        stats.event(replaced == null ? "workflow_started" : "workflow_replaced", w.name(), Map.of());
        return replaced == null ? CompletableFuture.completedFuture(null) : finishLater(replaced);
    }

    /**
     * Stops a workflow while the others keep running: it stops reading and fetching at once; its in-flight work gets
     * the grace period, in the background. Queued work stays queued.
     *
     * @param workflow the workflow's name
     * @return completes when it has finished (its plugins may then be closed); empty when it does not run
     */
    public Optional<CompletableFuture<Void>> remove(String workflow) {
        WorkflowRun run;
        synchronized (runs) {
            run = runs.remove(workflow);
        }
        if (run == null) {
            return Optional.empty();
        }
        LOG.info("workflow {} stopping", workflow);
        stats.event("workflow_stopped", workflow, Map.of());
        return Optional.of(finishLater(run));
    }

    private CompletableFuture<Void> finishLater(WorkflowRun run) {
        run.stop();
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                run.finish(System.nanoTime() + grace.toNanos());
                done.complete(null);
            } catch (InterruptedException | RuntimeException e) {
                done.completeExceptionally(e);
            }
        }, "finish-" + run.workflow().name());
        t.setDaemon(true);
        t.start();
        return done;
    }

    /**
     * Has a running workflow scan its source now rather than at its next interval: a one-time run on a service.
     *
     * @param workflow the workflow's name
     * @return completes with what the scan did (see {@link WorkflowRun#scanNow()}); empty when it does not run here
     */
    public Optional<CompletableFuture<ScanOutcome>> scanNow(String workflow) {
        WorkflowRun run;
        synchronized (runs) {
            run = runs.get(workflow);
        }
        return Optional.ofNullable(run).map(WorkflowRun::scanNow);
    }

    /**
     * @param listener told of dead letters, failed scans, failed copy attempts and workflows started and stopped, as
     *     they happen, from the threads where they happen; it must be quick and must not throw
     */
    public void events(EngineEvents listener) {
        stats.events(listener);
    }

    /** @return the names of the workflows running now, in the order they were started */
    public List<String> workflows() {
        synchronized (runs) {
            return List.copyOf(runs.keySet());
        }
    }

    private List<WorkflowRun> running() {
        synchronized (runs) {
            return new ArrayList<>(runs.values());
        }
    }

    // ---- what the runs of workflows share

    Mode mode() {
        return mode;
    }

    boolean once() {
        return once;
    }

    Duration grace() {
        return grace;
    }

    JetStreamQueue queue() {
        return queue;
    }

    CheckpointStore checkpoints() {
        return checkpoints;
    }

    RecordStatus recordStatus() {
        return recordStatus;
    }

    RunStats stats() {
        return stats;
    }

    ScheduledExecutorService ticker() {
        return ticker;
    }

    Webhook webhook() {
        return webhook;
    }

    boolean isStopping() {
        return stopping;
    }

    /** What a record workflow's runner reports: counted in the run's summary, the metrics and the status document. */
    RecordRunner.Listener recordListener(String workflow) {
        return new RecordRunner.Listener() {
            @Override
            public void published(long count, long bytes) {
                stats.records(count);
                metrics.records(workflow, count, bytes);
                recordStatus.published(workflow, count, bytes);
            }

            @Override
            public void status(Map<String, String> status) {
                sourceStatus.put(workflow, status);
                recordStatus.source(workflow, status);
            }
        };
    }

    /**
     * Creates the stream and consumers, retrying with backoff while JetStream does not answer (a restart, a
     * leader election): for ever in a service, {@value #ONCE_SETUP_ATTEMPTS} times in a {@code once} run.
     *
     * @return false if stopped before the queue was set up
     */
    private boolean setUpQueue() throws IOException, InterruptedException {
        long delay = 500;
        for (int attempt = 1; ; attempt++) {
            try {
                ensureQueue();
                return true;
            } catch (IOException e) {
                if (stopping) {
                    return false;
                }
                if (once && attempt >= ONCE_SETUP_ATTEMPTS) {
                    throw e;
                }
                LOG.warn("setting up the stream and consumers failed (attempt {}), retrying in {} ms: {}", attempt,
                        delay, e.getMessage());
                if (stopSignal.await(delay, TimeUnit.MILLISECONDS)) {
                    return false;
                }
                delay = Math.min(delay * 2, 10_000);
            }
        }
    }

    private void ensureQueue() throws IOException {
        queue.ensureStream();
        for (WorkflowConfig w : configured.workflows()) {
            queue.ensureConsumer(w);
        }
        if (configured.workflows().stream().anyMatch(w -> configured.recordSource(w.name()).isPresent())) {
            checkpoints.ensure();
        }
        for (WorkflowRun r : running()) { // workflows added since the start
            queue.ensureConsumer(r.workflow());
            if (r.readsRecords()) {
                checkpoints.ensure();
            }
        }
    }

    /**
     * Checks now and then that the stream and the consumers still exist: a server that lost its store, or an
     * operator who deleted the stream, leaves them missing while the connection looks fine, and every publish and
     * fetch fails. A service logs it, is not ready, recreates them and has every workflow scan again (what was queued
     * is gone; the sources still hold it). A {@code once} run is abandoned with the reason.
     */
    private void watchQueue() {
        long every = once ? ONCE_WATCH_MILLIS : SERVICE_WATCH_MILLIS;
        try {
            while (!stopping) {
                if (stopSignal.await(every, TimeUnit.MILLISECONDS)) {
                    return;
                }
                Optional<String> missing;
                try {
                    missing = queue.missing(workflows());
                } catch (IOException e) {
                    continue; // JetStream cannot tell now (not connected): nothing is known to be missing
                }
                if (missing.isEmpty()) {
                    if (queueLost) {
                        queueLost = false; // recreated by someone else meanwhile
                        rescanAll();
                    }
                    continue;
                }
                String where = missing.get() + " at " + queue.settings().endpoint();
                if (once) {
                    abandoned = where + " disappeared during the run (the server lost its store, or it was deleted): "
                            + "the objects queued in it are no longer queued; run again to scan the sources anew";
                    LOG.error("{}; stopping", abandoned);
                    stop();
                    return;
                }
                if (!queueLost) {
                    queueLost = true;
                    LOG.error("{} is missing (the server lost its store, or it was deleted): not ready; recreating it "
                            + "and scanning every source again, as the objects queued in it are gone", where);
                }
                try {
                    ensureQueue();
                    queueLost = false;
                    LOG.warn("recreated the stream and consumers at {}; every workflow scans its source again",
                            queue.settings().endpoint());
                    rescanAll();
                } catch (IOException e) {
                    LOG.warn("recreating {} failed, retrying: {}", where, e.getMessage());
                }
            }
        } catch (InterruptedException e) {
            // stopping
        }
    }

    /**
     * Adds what workflows did here to their status documents (for {@code ingest status} and the API): objects copied,
     * and what record workflows did and their batchers hold.
     */
    private void reportStatus() {
        for (WorkflowRun r : running()) {
            if (r.batcher() != null) {
                r.batcher().reportHeld();
            }
        }
        recordStatus.flush();
    }

    /** @return whether no workflow has a message waiting, awaiting an ack or waiting for a retry */
    private boolean queueDrained() {
        try {
            for (String w : workflows()) {
                var info = queue.consumerInfo(w);
                if (info.getNumPending() > 0 || info.getNumAckPending() > 0) {
                    return false;
                }
            }
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Makes every enqueuer start a scan now rather than at its next interval. */
    private void rescanAll() {
        synchronized (rescan) {
            rescanGeneration++;
            rescan.notifyAll();
        }
    }

    /** @return the current rescan generation: a scan started at it is followed by another once it changes */
    long rescanGeneration() {
        synchronized (rescan) {
            return rescanGeneration;
        }
    }

    /** Wakes the scanners waiting for their next scan (a workflow stopping). */
    void wakeScanners() {
        synchronized (rescan) {
            rescan.notifyAll();
        }
    }

    /**
     * Waits for the next scan: the interval, or less when {@link #rescanAll()} is called, a scan is asked for or the
     * run or engine stops.
     *
     * @return false when stopping
     */
    boolean awaitNextScan(Duration interval, long generation, java.util.function.BooleanSupplier stopped,
                          java.util.function.BooleanSupplier asked) throws InterruptedException {
        long deadline = System.nanoTime() + interval.toNanos();
        synchronized (rescan) {
            while (!stopped.getAsBoolean() && rescanGeneration == generation && !asked.getAsBoolean()) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    break;
                }
                rescan.wait(left);
            }
        }
        return !stopped.getAsBoolean();
    }

    /**
     * Whether the engine has set up the stream and consumers and is running its workflows (for readiness
     * checks). False before, while a lost stream or consumer is being recreated, while a record source says it
     * cannot take records (a push source whose listener is not bound: {@link dev.ingest.api.RecordContext#ready}),
     * and once it stops.
     *
     * @return true while running
     */
    public boolean isReady() {
        return ready && !stopping && !queueLost && running().stream().allMatch(WorkflowRun::sourceReady);
    }

    /**
     * @return why a {@code once} run was abandoned before its work was done: its stream or a consumer disappeared
     *     from the server (the summary then tells what was done before); empty otherwise
     */
    public Optional<String> abandoned() {
        return Optional.ofNullable(abandoned);
    }

    /**
     * @return whether a {@code once} run did all its work: every scan completed and every dequeuer found nothing
     *     left; false when it was stopped or abandoned before, and for a service
     */
    public boolean workDone() {
        return workDone;
    }

    /**
     * @return whether every workflow has finished reading its source for this run (a {@code once} run's scans are
     *     complete, so {@link RunSummary#listed()} is the whole listing); false before the workflows start
     */
    public boolean listingComplete() {
        List<WorkflowRun> all = running();
        return !all.isEmpty() && all.stream().allMatch(WorkflowRun::readDone);
    }

    /**
     * @param workflow a record workflow
     * @return what its record source last reported (a tail source: each file's offset and size); empty otherwise
     */
    public Map<String, String> sourceStatus(String workflow) {
        return sourceStatus.getOrDefault(workflow, Map.of());
    }

    /**
     * Stops scanning and fetching; {@link #run()} returns after in-flight copies finish or the grace period
     * ends. Idempotent; callable from any thread.
     */
    public void stop() {
        stopping = true;
        running().forEach(WorkflowRun::stop);
        stopSignal.countDown();
        synchronized (rescan) {
            rescan.notifyAll();
        }
    }

    static java.util.concurrent.ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
