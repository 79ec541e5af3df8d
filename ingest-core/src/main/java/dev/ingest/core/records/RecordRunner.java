package dev.ingest.core.records;

import dev.ingest.api.CheckpointUpdate;
import dev.ingest.api.DataRecord;
import dev.ingest.api.RecordContext;
import dev.ingest.api.RecordSource;
import dev.ingest.core.config.WorkflowConfig;
import dev.ingest.core.queue.JetStreamQueue;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs one workflow's record source and publishes what it hands over: the enqueue side of a record workflow.
 *
 * <p>Records are published in chunks of up to {@value #CHUNK_BYTES} bytes, asynchronously, at most
 * {@value #WINDOW} chunks unconfirmed at once ({@link #emit} blocks beyond that). A chunk the server did not confirm
 * is published again with the same message id (JetStream drops it if the first one did arrive). Checkpoint updates
 * are committed to the {@link CheckpointStore} in the order they were handed over, and only the updates of the
 * longest run of emits that JetStream has wholly confirmed: a checkpoint never passes a record that is not stored.
 * They are written every {@value #COMMIT_MILLIS} ms and when the source returns.
 *
 * <p>When {@link RecordSource#run} fails, the runner waits until every chunk in flight is settled, forgets the
 * uncommitted updates, and (in a service) runs the source again from the committed checkpoint after a growing
 * delay; records handed over after that checkpoint may then be published twice. So may those of a process that
 * crashed. Each chunk therefore names the run of the source that handed it over (header
 * {@value JetStreamQueue#HEADER_RUN}: this runner's random id and how often it started the source), and the batcher
 * never puts the records of two runs into one batch: the second copies go to other objects than the first.
 */
public final class RecordRunner implements RecordContext {

    private static final Logger LOG = LoggerFactory.getLogger(RecordRunner.class);
    /** Target size of one chunk message. */
    static final int CHUNK_BYTES = 256 * 1024;
    /** Chunks published and not yet confirmed, at most. */
    static final int WINDOW = 256;
    static final long COMMIT_MILLIS = 100;

    /** What the runner reports as it goes. */
    public interface Listener {
        /**
         * Records were stored in the queue.
         *
         * @param records how many
         * @param bytes their data bytes
         */
        void published(long records, long bytes);

        /**
         * The source's status changed.
         *
         * @param status what the source reported
         */
        void status(Map<String, String> status);
    }

    private final JetStreamQueue queue;
    private final CheckpointStore checkpoints;
    private final WorkflowConfig workflow;
    private final RecordSource source;
    private final boolean once;
    private final Listener listener;
    private final int maxRecordBytes;
    private final boolean reportsReadiness;
    private final String runId = UUID.randomUUID().toString();
    /** The current run of the source: {@link #runId} and how many times it was started ({@code Ingest-Run}). */
    private volatile String sourceRun = runId + ".0";
    private int starts;
    private final CountDownLatch stop = new CountDownLatch(1);
    /** Leases on the source's shards, when it has shards and this is a service; else null. */
    private final ShardLeases leases;
    /** Ends the current run of the source: counted down by {@link #stop()} and when its shards change. */
    private volatile CountDownLatch runStop = new CountDownLatch(1);
    /** The shards of the current run. */
    private volatile Set<Integer> shards = Set.of();
    private final Semaphore window = new Semaphore(WINDOW);
    private final Object order = new Object();
    private final AtomicLong chunks = new AtomicLong();

    /** Emits handed over and not yet committed, by ordinal; guarded by {@link #order}. */
    private final TreeMap<Long, Pending> pending = new TreeMap<>();
    /** Next ordinal; guarded by {@link #order}. */
    private long nextOrdinal;
    /** Updates of the confirmed prefix, merged, waiting to be written; guarded by {@link #order}. */
    private final Map<String, byte[]> toPut = new HashMap<>();
    private final Set<String> toRemove = new HashSet<>();
    /** The committed checkpoint the source started from, with what was committed since. */
    private volatile Map<String, byte[]> committed = Map.of();
    private volatile boolean failed;
    /** What the source last said with {@link #ready(boolean)}; always true for a source that does not report it. */
    private volatile boolean sourceReady;
    /** Set once {@link #run()} has returned: late emits are refused. */
    private volatile boolean finished;

    /** One emit: done when every chunk of it is confirmed; failed when one could not be. */
    private static final class Pending {
        final CheckpointUpdate update;
        int chunksLeft;
        boolean failed;

        Pending(CheckpointUpdate update, int chunks) {
            this.update = update;
            this.chunksLeft = chunks;
        }
    }

    /**
     * @param queue the connected queue
     * @param checkpoints where checkpoints are kept
     * @param workflow the workflow
     * @param source its source, owned by the caller
     * @param once read what is there, then return
     * @param listener told what was published
     */
    public RecordRunner(JetStreamQueue queue, CheckpointStore checkpoints, WorkflowConfig workflow, RecordSource source,
                        boolean once, Listener listener) {
        this.queue = queue;
        this.checkpoints = checkpoints;
        this.workflow = workflow;
        this.source = source;
        this.once = once;
        this.listener = listener;
        this.maxRecordBytes = (int) Math.max(1024, Math.min(Integer.MAX_VALUE, queue.maxPayload() - 64 * 1024));
        int n = source.shards();
        this.leases = n > 0 && !once ? new ShardLeases(queue, workflow.name(), n) : null;
        this.reportsReadiness = source.reportsReadiness();
        this.sourceReady = !reportsReadiness;
    }

    /** @return the leases on the source's shards, when it has shards (and this is not a {@code once} run) */
    public java.util.Optional<ShardLeases> leases() {
        return java.util.Optional.ofNullable(leases);
    }

    /**
     * Runs the source until stopped ({@code once}: until it has handed over what there is), restarting it after a
     * failure in a service.
     *
     * @throws IOException in a {@code once} run, when the source or the checkpoint failed
     * @throws InterruptedException if interrupted
     */
    public void run() throws IOException, InterruptedException {
        MDC.put("workflow", workflow.name());
        Thread committer = new Thread(this::commitLoop, "commit-" + workflow.name());
        committer.setDaemon(true);
        committer.start();
        long delay = 500;
        boolean leasing = false;
        try {
            while (!engineStopping()) {
                try {
                    long leaseVersion = 0;
                    if (leases != null && !leasing) { // its bucket may be unreachable: retried like a failed run
                        leases.start(() -> runStop.countDown());
                        leasing = true;
                    }
                    if (leases != null) {
                        leaseVersion = leases.version();
                        shards = leases.owned();
                        if (shards.isEmpty()) { // no shard leased to this replica (yet): wait for a change
                            leases.awaitChange(leaseVersion, Duration.ofSeconds(1));
                            continue;
                        }
                    }
                    runStop = new CountDownLatch(1);
                    if (engineStopping() || leases != null && leases.version() != leaseVersion) {
                        continue;
                    }
                    committed = checkpoints.load(workflow.name());
                    failed = false;
                    sourceRun = runId + "." + starts++;
                    source.run(this);
                    awaitSettled();
                    commit();
                    if (leases != null && !failed) {
                        leases.released(); // the shards given back: their checkpoints are committed
                    }
                    if (failed) {
                        throw new IOException("records of workflow " + workflow.name()
                                + " could not be stored in the queue; the source starts again from its checkpoint");
                    }
                    if (once) {
                        return;
                    }
                    delay = 500; // a source that returns while not stopping is started again
                    if (leases == null || leases.version() == leaseVersion) {
                        runStop.await(delay, TimeUnit.MILLISECONDS);
                    }
                } catch (IOException | RuntimeException e) {
                    if (reportsReadiness) {
                        sourceReady = false; // until the source, started again, says it takes records
                    }
                    awaitSettled();
                    forgetUncommitted();
                    if (leases != null) {
                        leases.released(); // the next holder continues from the committed checkpoint
                    }
                    if (once) {
                        throw e instanceof IOException io ? io : new IOException(e.toString(), e);
                    }
                    LOG.error("workflow {}: record source {} failed, starting it again from its checkpoint in {} ms: {}",
                            workflow.name(), workflow.source(), delay, e.toString());
                    if (stop.await(delay, TimeUnit.MILLISECONDS)) {
                        return;
                    }
                    delay = Math.min(delay * 2, 30_000);
                }
            }
        } finally {
            finished = true;
            committer.interrupt();
            awaitSettled();
            try {
                commit();
            } catch (IOException e) {
                LOG.warn("workflow {}: the last checkpoint could not be written ({}); the source resumes from the one "
                        + "before, and records after it may be queued twice", workflow.name(), e.getMessage());
            }
            if (leases != null) {
                leases.close(); // after the last commit: the next holders continue from it
            }
            MDC.remove("workflow");
        }
    }

    /** Stops the source: {@link #stopping()} turns true and {@link #awaitStop} returns. */
    public void stop() {
        stop.countDown();
        runStop.countDown();
    }

    private boolean engineStopping() {
        return stop.getCount() == 0;
    }

    @Override
    public Set<Integer> shards() {
        return shards;
    }

    @Override
    public Map<String, byte[]> checkpoint() {
        return committed;
    }

    @Override
    public CompletionStage<Void> emit(List<DataRecord> records, CheckpointUpdate update) throws InterruptedException {
        return emit(records, update, (String) null);
    }

    /** Message ids {@code key-<sha256 of workflow and key>-<part>}: a second hand-over under the key is dropped. */
    @Override
    public CompletionStage<Void> emit(List<DataRecord> records, CheckpointUpdate update, String key)
            throws InterruptedException {
        String keyId = null;
        if (key != null) {
            if (key.isEmpty()) {
                throw new IllegalArgumentException("the key of an emit must not be empty");
            }
            try {
                byte[] h = java.security.MessageDigest.getInstance("SHA-256")
                        .digest((workflow.name() + "\u0000" + key).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                keyId = "key-" + java.util.HexFormat.of().formatHex(h);
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
        if (finished) {
            throw new IllegalStateException("workflow " + workflow.name() + " has stopped: no more records are taken");
        }
        List<List<DataRecord>> parts = split(records);
        Pending p = new Pending(update, parts.size());
        synchronized (order) {
            pending.put(nextOrdinal++, p);
            advance(); // an emit without records moves the checkpoint once everything before it is stored
        }
        if (parts.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        List<CompletableFuture<Void>> confirmations = new ArrayList<>(parts.size());
        long bytes = 0;
        for (DataRecord r : records) {
            bytes += r.data().length;
        }
        String run = sourceRun;
        int partIndex = 0;
        for (List<DataRecord> part : parts) {
            byte[] chunk = ChunkCodec.encode(part);
            window.acquire();
            long n = chunks.incrementAndGet();
            String id = keyId != null ? keyId + "-" + partIndex++ : runId + "-" + n;
            CompletableFuture<Void> confirmed = new CompletableFuture<>();
            confirmations.add(confirmed);
            try {
                queue.publishRecordsAsync(workflow.name(), chunk, id, run).whenComplete((ack, error) -> {
                    if (error == null) {
                        settled(p, confirmed, null);
                    } else {
                        retry(p, confirmed, chunk, id, run, error);
                    }
                });
            } catch (RuntimeException e) {
                retry(p, confirmed, chunk, id, run, e);
            }
        }
        CompletableFuture<Void> all = new CompletableFuture<>();
        long count = records.size();
        long size = bytes;
        CompletableFuture.allOf(confirmations.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> {
            if (e == null) {
                listener.published(count, size);
                all.complete(null);
            } else {
                all.completeExceptionally(e.getCause() != null ? e.getCause() : e);
            }
        });
        return all;
    }

    /** A chunk the server did not confirm: published again, synchronously, off the caller's thread. */
    private void retry(Pending p, CompletableFuture<Void> confirmed, byte[] chunk, String id, String run,
                       Throwable first) {
        CompletableFuture.runAsync(() -> {
            Throwable last = first;
            long start = System.nanoTime();
            int attempt = 1;
            for (; !Thread.currentThread().isInterrupted(); attempt++) {
                try {
                    queue.publishRecords(workflow.name(), chunk, id, run);
                    settled(p, confirmed, null);
                    return;
                } catch (IOException | RuntimeException e) {
                    last = e;
                    long pause = JetStreamQueue.publishRetryPause(attempt, start);
                    if (pause < 0) {
                        break;
                    }
                    try {
                        Thread.sleep(pause);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
            settled(p, confirmed, new IOException("could not queue " + chunk.length + " bytes of records of workflow "
                    + workflow.name() + " after " + attempt + " attempts: " + last, last));
        });
    }

    private void settled(Pending p, CompletableFuture<Void> confirmed, Throwable error) {
        synchronized (order) {
            p.chunksLeft--;
            if (error != null) {
                p.failed = true;
                failed = true;
            }
            advance();
        }
        window.release();
        if (error == null) {
            confirmed.complete(null);
        } else {
            LOG.error("workflow {}: {}", workflow.name(), error.getMessage());
            confirmed.completeExceptionally(error);
        }
    }

    /** Moves the confirmed prefix's updates to what the committer writes. Holds {@link #order}. */
    private void advance() {
        while (!pending.isEmpty()) {
            Map.Entry<Long, Pending> first = pending.firstEntry();
            Pending p = first.getValue();
            if (p.failed) {
                // Nothing commits past a failed emit until the source starts again. A source that goes on (a push
                // source answers its client 503 and serves the next request) would pile up its later emits here:
                // those settled without a checkpoint change are forgotten, as they would move nothing.
                pending.values().removeIf(q -> q != p && q.chunksLeft == 0 && q.update.isEmpty());
                return;
            }
            if (p.chunksLeft > 0) {
                return;
            }
            pending.pollFirstEntry();
            for (Map.Entry<String, byte[]> e : p.update.put().entrySet()) {
                toPut.put(e.getKey(), e.getValue());
                toRemove.remove(e.getKey());
            }
            for (String k : p.update.remove()) {
                toPut.remove(k);
                toRemove.add(k);
            }
        }
    }

    private void forgetUncommitted() {
        synchronized (order) {
            pending.clear();
            toPut.clear();
            toRemove.clear();
        }
    }

    /** Waits until no chunk is in flight (each is confirmed or has failed). */
    private void awaitSettled() throws InterruptedException {
        window.acquire(WINDOW);
        window.release(WINDOW);
    }

    private void commitLoop() {
        MDC.put("workflow", workflow.name());
        try {
            while (!Thread.currentThread().isInterrupted()) {
                Thread.sleep(COMMIT_MILLIS);
                try {
                    commit();
                } catch (IOException e) {
                    LOG.warn("workflow {}: writing the checkpoint failed, trying again: {}", workflow.name(),
                            e.getMessage());
                }
            }
        } catch (InterruptedException e) {
            // stopping: run() writes the last checkpoint
        }
    }

    /** Writes what the confirmed prefix changed; on failure keeps it for the next try. */
    private void commit() throws IOException, InterruptedException {
        CheckpointUpdate update;
        synchronized (order) {
            if (toPut.isEmpty() && toRemove.isEmpty()) {
                return;
            }
            update = new CheckpointUpdate(Map.copyOf(toPut), Set.copyOf(toRemove));
            toPut.clear();
            toRemove.clear();
        }
        try {
            checkpoints.write(workflow.name(), update);
            Map<String, byte[]> now = new HashMap<>(committed);
            now.putAll(update.put());
            update.remove().forEach(now::remove);
            committed = Map.copyOf(now);
        } catch (IOException | InterruptedException e) {
            synchronized (order) { // keep it, unless newer updates of the same keys came meanwhile
                update.put().forEach((k, v) -> {
                    if (!toPut.containsKey(k) && !toRemove.contains(k)) {
                        toPut.put(k, v);
                    }
                });
                update.remove().forEach(k -> {
                    if (!toPut.containsKey(k)) {
                        toRemove.add(k);
                    }
                });
            }
            throw e;
        }
    }

    /** Splits records into chunks of at most {@link #CHUNK_BYTES} (a bigger record alone). */
    private List<List<DataRecord>> split(List<DataRecord> records) {
        List<List<DataRecord>> out = new ArrayList<>();
        List<DataRecord> current = new ArrayList<>();
        int size = 0;
        for (DataRecord r : records) {
            if (r.data().length > maxRecordBytes) {
                throw new IllegalArgumentException("a record of " + r.data().length + " bytes is larger than the "
                        + maxRecordBytes + " bytes one message of the queue carries");
            }
            int n = ChunkCodec.sizeOf(r);
            if (!current.isEmpty() && size + n > CHUNK_BYTES) {
                out.add(current);
                current = new ArrayList<>();
                size = 0;
            }
            current.add(r);
            size += n;
        }
        if (!current.isEmpty()) {
            out.add(current);
        }
        return out;
    }

    @Override
    public void ready(boolean ready) {
        if (reportsReadiness) {
            sourceReady = ready;
        }
    }

    /**
     * @return for a source that {@linkplain RecordSource#reportsReadiness() reports its readiness}: whether it last
     *     said it takes records (false before it first did, and after it failed until it says so again); true for
     *     any other source
     */
    public boolean sourceReady() {
        return sourceReady;
    }

    @Override
    public int maxRecordBytes() {
        return maxRecordBytes;
    }

    @Override
    public boolean once() {
        return once;
    }

    @Override
    public boolean stopping() {
        return engineStopping() || runStop.getCount() == 0;
    }

    @Override
    public boolean awaitStop(Duration timeout) throws InterruptedException {
        return runStop.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void status(Map<String, String> status) {
        listener.status(Collections.unmodifiableMap(new LinkedHashMap<>(status))); // in the source's order
    }

    /** @return the name of the workflow this runner serves */
    public String workflow() {
        return workflow.name();
    }

    @Override
    public String toString() {
        return "RecordRunner[" + workflow.name() + ", " + chunks.get() + " chunks]";
    }

    static Duration commitEvery() {
        return Duration.ofMillis(COMMIT_MILLIS);
    }
}
