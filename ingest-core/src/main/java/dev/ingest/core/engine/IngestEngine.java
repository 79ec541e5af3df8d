package dev.ingest.core.engine;

import dev.ingest.api.Destination;
import dev.ingest.api.RecordSource;
import dev.ingest.api.Source;
import dev.ingest.core.config.Durations;
import dev.ingest.core.config.PluginEntry;
import dev.ingest.core.config.WorkflowConfig;
import dev.ingest.core.metrics.IngestMetrics;
import dev.ingest.core.plugin.Configured;
import dev.ingest.core.queue.JetStreamQueue;
import dev.ingest.core.records.CheckpointStore;
import dev.ingest.core.records.RecordRunner;
import dev.ingest.core.records.RecordStatus;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs the workflows of a configuration against a JetStream queue: per workflow an enqueuer (scans every
 * {@code interval}) and/or a dequeuer, as the {@link Mode} says; or, with {@code once}, one scan per workflow
 * and dequeuing until nothing is pending.
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
    private final List<Dequeuer> dequeuers = new ArrayList<>();
    private final List<RecordRunner> runners = new ArrayList<>();
    private final List<Batcher> batchers = new ArrayList<>();
    private final List<Thread> scanners = new ArrayList<>();
    private final List<Thread> recordThreads = new ArrayList<>();
    private final CheckpointStore checkpoints;
    private final RecordStatus recordStatus;
    private final Map<String, Map<String, String>> sourceStatus = new java.util.concurrent.ConcurrentHashMap<>();
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

        private Builder() {
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
        ready = true;
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(daemon("ingest-progress"));
        AtomicInteger unfinished = new AtomicInteger(); // scans that have not completed
        Webhook webhook = new Webhook(stats, metrics, Duration.ofSeconds(10), Duration.ofMillis(500));
        configured.workflows().stream().flatMap(w -> w.webhook().stream()).distinct().forEach(webhook::prepare);
        List<Thread> dequeueThreads = new ArrayList<>();
        List<ExecutorService> pools = new ArrayList<>();
        try {
            for (WorkflowConfig w : configured.workflows()) {
                AtomicBoolean scanDone = new AtomicBoolean(!mode.enqueues());
                List<Transfer.Named<Destination>> dests = new ArrayList<>();
                for (String d : w.destinations()) {
                    dests.add(new Transfer.Named<>(d, typeOf(configured.config().destination(d)),
                            configured.destination(d)));
                }
                Optional<RecordSource> records = configured.recordSource(w.name());
                if (mode.enqueues() && records.isPresent()) {
                    RecordRunner runner = new RecordRunner(queue, checkpoints, w, records.get(), once,
                            new RecordRunner.Listener() {
                                @Override
                                public void published(long count, long bytes) {
                                    stats.records(count);
                                    metrics.records(w.name(), count, bytes);
                                    recordStatus.published(w.name(), count, bytes);
                                }

                                @Override
                                public void status(Map<String, String> status) {
                                    sourceStatus.put(w.name(), status);
                                    recordStatus.source(w.name(), status);
                                }
                            });
                    synchronized (dequeuers) {
                        runners.add(runner);
                    }
                    unfinished.incrementAndGet();
                    recordThreads.add(new Thread(() -> recordLoop(w, runner, scanDone, unfinished), "records-" + w.name()));
                } else if (mode.enqueues()) {
                    Enqueuer enqueuer = new Enqueuer(queue, w, configured.source(w.source()),
                            typeOf(configured.config().source(w.source())), dests, stats, metrics, once);
                    unfinished.incrementAndGet();
                    Thread t = new Thread(() -> scanLoop(w, enqueuer, scanDone, unfinished), "enqueue-" + w.name());
                    scanners.add(t);
                }
                if (mode.dequeues() && w.batch().isPresent()) {
                    ConsumerState state = new ConsumerState(queue, w.name());
                    metrics.consumerState(w.name(), state::pending, state::ackPending);
                    Transfer.Named<Source> objects = records.isPresent() ? null : new Transfer.Named<>(w.source(),
                            typeOf(configured.config().source(w.source())), configured.source(w.source()));
                    Batcher b = new Batcher(queue, w, objects, w.source(), dests, stats, metrics, ticker, webhook,
                            Path.of(System.getProperty("java.io.tmpdir")), recordStatus);
                    synchronized (dequeuers) {
                        batchers.add(b);
                    }
                    dequeueThreads.add(new Thread(() -> batchLoop(w, b, scanDone), "batch-" + w.name()));
                } else if (mode.dequeues()) {
                    ConsumerState state = new ConsumerState(queue, w.name());
                    metrics.consumerState(w.name(), state::pending, state::ackPending);
                    ExecutorService pool = Executors.newFixedThreadPool(w.concurrency(), daemon("copy-" + w.name()));
                    pools.add(pool);
                    Transfer transfer = new Transfer(queue, w, new Transfer.Named<>(w.source(),
                            typeOf(configured.config().source(w.source())), configured.source(w.source())), dests, stats,
                            ticker, metrics);
                    Dequeuer dq = new Dequeuer(queue, w, transfer, pool, webhook, metrics);
                    synchronized (dequeuers) {
                        dequeuers.add(dq);
                    }
                    Thread t = new Thread(() -> dequeueLoop(w, dq, scanDone), "dequeue-" + w.name());
                    dequeueThreads.add(t);
                }
            }
            if (stopping) {
                return stats.snapshot();
            }
            if (!runners.isEmpty() || !batchers.isEmpty()) {
                ticker.scheduleWithFixedDelay(this::reportRecords, 5, 5, TimeUnit.SECONDS);
            }
            Thread watch = new Thread(this::watchQueue, "queue-watch");
            watch.setDaemon(true);
            scanners.forEach(Thread::start);
            recordThreads.forEach(Thread::start);
            dequeueThreads.forEach(Thread::start);
            watch.start();
            LOG.info("running {} workflow(s) in mode {}{}", configured.workflows().size(),
                    mode.name().toLowerCase(), once ? " once" : "");
            if (once) {
                // Until the work is done, or a stop (a signal, close(), a lost stream) ends it early.
                List<Thread> all = new ArrayList<>(scanners);
                all.addAll(recordThreads);
                all.addAll(dequeueThreads);
                for (Thread t : all) {
                    while (t.isAlive() && !stopSignal.await(0, TimeUnit.MILLISECONDS)) {
                        t.join(100);
                    }
                }
            } else {
                stopSignal.await();
            }
            for (Thread t : scanners) {
                t.interrupt(); // a scan still running is abandoned; the next one starts over
            }
            // Stopping (or done): record sources, in-flight copies, then webhook deliveries, get the grace period; then
            // what is left is interrupted (copies are handed back; a copy that does not react to the interrupt in time
            // has its message handed back by the dequeuer) or given up (webhook notices, logged and counted). Record
            // sources use it to hand over what they read and write their last checkpoint.
            long deadline = System.nanoTime() + grace.toNanos();
            for (Thread t : recordThreads) {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                if (t.isAlive()) {
                    LOG.warn("{} did not stop within the grace period; interrupting it", t.getName());
                    t.interrupt();
                }
            }
            for (Thread t : dequeueThreads) {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
            for (Thread t : dequeueThreads) {
                if (t.isAlive()) {
                    LOG.warn("{} did not finish within the {} grace period; interrupting it", t.getName(),
                            Durations.format(grace));
                    t.interrupt();
                }
            }
            for (Thread t : dequeueThreads) {
                t.join(Dequeuer.INTERRUPT_MILLIS + 1_000);
                if (t.isAlive()) {
                    LOG.error("{} did not stop after its copies were interrupted and handed back", t.getName());
                }
            }
            for (Thread t : scanners) {
                t.join(Dequeuer.INTERRUPT_MILLIS);
            }
            for (Thread t : recordThreads) {
                t.join(Dequeuer.INTERRUPT_MILLIS);
            }
            watch.interrupt();
            if (!runners.isEmpty() || !batchers.isEmpty()) {
                reportRecords();
            }
            if (once) {
                // Done even if a signal came at the very end: every scan completed and nothing is left in the queue.
                workDone = abandoned == null && unfinished.get() == 0 && (!mode.dequeues() || queueDrained());
            }
            webhook.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            return stats.snapshot();
        } finally {
            for (ExecutorService p : pools) {
                p.shutdownNow();
            }
            synchronized (dequeuers) {
                batchers.forEach(Batcher::close);
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

    private static String typeOf(java.util.Optional<PluginEntry> entry) {
        return entry.map(PluginEntry::type).orElse("unknown");
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
    }

    /**
     * Checks now and then that the stream and the consumers still exist: a server that lost its store, or an
     * operator who deleted the stream, leaves them missing while the connection looks fine, and every publish and
     * fetch fails. A service logs it, is not ready, recreates them and has every workflow scan again (what was queued
     * is gone; the sources still hold it). A {@code once} run is abandoned with the reason.
     */
    private void watchQueue() {
        List<String> workflows = configured.workflows().stream().map(WorkflowConfig::name).toList();
        long every = once ? ONCE_WATCH_MILLIS : SERVICE_WATCH_MILLIS;
        try {
            while (!stopping) {
                if (stopSignal.await(every, TimeUnit.MILLISECONDS)) {
                    return;
                }
                Optional<String> missing;
                try {
                    missing = queue.missing(workflows);
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

    /** Adds what record workflows did to their status documents (for {@code ingest status}). */
    private void reportRecords() {
        synchronized (dequeuers) {
            batchers.forEach(Batcher::reportHeld);
        }
        recordStatus.flush();
    }

    /** @return whether no workflow has a message waiting, awaiting an ack or waiting for a retry */
    private boolean queueDrained() {
        try {
            for (WorkflowConfig w : configured.workflows()) {
                var info = queue.consumerInfo(w.name());
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

    /**
     * Waits for the next scan: the interval, or less when {@link #rescanAll()} is called or the engine stops.
     *
     * @return false when stopping
     */
    private boolean awaitNextScan(Duration interval, long generation) throws InterruptedException {
        long deadline = System.nanoTime() + interval.toNanos();
        synchronized (rescan) {
            while (!stopping && rescanGeneration == generation) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    break;
                }
                rescan.wait(left);
            }
        }
        return !stopping;
    }

    /**
     * Whether the engine has set up the stream and consumers and is running its workflows (for readiness
     * checks). False before, while a lost stream or consumer is being recreated, and once it stops.
     *
     * @return true while running
     */
    public boolean isReady() {
        return ready && !stopping && !queueLost;
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

    private void scanLoop(WorkflowConfig w, Enqueuer enqueuer, AtomicBoolean scanDone, AtomicInteger unfinished) {
        MDC.put("workflow", w.name());
        try {
            while (!stopping) {
                long generation;
                synchronized (rescan) {
                    generation = rescanGeneration;
                }
                try {
                    enqueuer.scan();
                } catch (InterruptedException e) {
                    return;
                } catch (IOException | RuntimeException e) {
                    LOG.error("workflow {}: scan of source {} failed: {}", w.name(), w.source(), e.toString());
                    if (once) {
                        stats.failed("workflow " + w.name() + ": scan of source " + w.source() + " failed: " + e.getMessage());
                    }
                }
                if (once) {
                    if (!stopping) {
                        unfinished.decrementAndGet();
                    }
                    return;
                }
                try {
                    if (!awaitNextScan(w.interval(), generation)) {
                        return;
                    }
                } catch (InterruptedException e) {
                    return;
                }
            }
        } finally {
            scanDone.set(true);
            MDC.remove("workflow");
        }
    }

    private void recordLoop(WorkflowConfig w, RecordRunner runner, AtomicBoolean scanDone, AtomicInteger unfinished) {
        MDC.put("workflow", w.name());
        try {
            runner.run();
            if (once && !stopping) {
                unfinished.decrementAndGet();
            }
        } catch (InterruptedException e) {
            LOG.info("workflow {}: record source interrupted", w.name());
        } catch (IOException | RuntimeException e) {
            LOG.error("workflow {}: record source {} failed: {}", w.name(), w.source(), e.toString());
            if (once) {
                stats.failed("workflow " + w.name() + ": record source " + w.source() + " failed: " + e.getMessage());
                unfinished.decrementAndGet();
            }
        } finally {
            scanDone.set(true);
            MDC.remove("workflow");
        }
    }

    private void batchLoop(WorkflowConfig w, Batcher batcher, AtomicBoolean scanDone) {
        MDC.put("workflow", w.name());
        try {
            batcher.run(once ? scanDone::get : null);
        } catch (InterruptedException e) {
            LOG.info("workflow {}: batcher interrupted; batches not stored were handed back", w.name());
        } catch (RuntimeException e) {
            LOG.error("workflow {}: batcher failed", w.name(), e);
            stats.failed("workflow " + w.name() + ": batcher failed: " + e);
        } finally {
            MDC.remove("workflow");
        }
    }

    /**
     * @param workflow a record workflow
     * @return what its record source last reported (a tail source: each file's offset and size); empty otherwise
     */
    public Map<String, String> sourceStatus(String workflow) {
        return sourceStatus.getOrDefault(workflow, Map.of());
    }

    private void dequeueLoop(WorkflowConfig w, Dequeuer dq, AtomicBoolean scanDone) {
        MDC.put("workflow", w.name());
        try {
            dq.run(once ? scanDone::get : null);
        } catch (InterruptedException e) {
            LOG.info("workflow {}: dequeuer interrupted", w.name());
        } catch (RuntimeException e) {
            LOG.error("workflow {}: dequeuer failed", w.name(), e);
            stats.failed("workflow " + w.name() + ": dequeuer failed: " + e);
        } finally {
            MDC.remove("workflow");
        }
    }

    /**
     * Stops scanning and fetching; {@link #run()} returns after in-flight copies finish or the grace period
     * ends. Idempotent; callable from any thread.
     */
    public void stop() {
        stopping = true;
        synchronized (dequeuers) {
            dequeuers.forEach(Dequeuer::stop);
            runners.forEach(RecordRunner::stop);
            batchers.forEach(Batcher::stop);
        }
        stopSignal.countDown();
        synchronized (rescan) {
            rescan.notifyAll();
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
