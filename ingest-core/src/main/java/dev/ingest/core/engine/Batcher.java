package dev.ingest.core.engine;

import dev.ingest.api.Blob;
import dev.ingest.api.Codec;
import dev.ingest.api.DataRecord;
import dev.ingest.api.Destination;
import dev.ingest.api.PoisonException;
import dev.ingest.api.Presence;
import dev.ingest.api.Source;
import dev.ingest.core.config.BatchConfig;
import dev.ingest.core.config.WorkflowConfig;
import dev.ingest.core.metrics.IngestMetrics;
import dev.ingest.core.queue.CodecJson;
import dev.ingest.core.queue.JetStreamQueue;
import dev.ingest.core.records.BatchFile;
import dev.ingest.core.records.ChunkCodec;
import dev.ingest.core.records.KeyTemplate;
import dev.ingest.core.records.RecordStatus;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PullRequestOptions;
import io.nats.client.api.ConsumerInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The dequeue side of a workflow with a {@code batch:} block: turns the records of its messages (chunks of records
 * from a record source, or the lines of the objects of an object source) into large compressed objects and stores
 * them at every destination.
 *
 * <p>One thread pulls the workflow's messages and appends each record to the open batch of its key prefix (see
 * {@link KeyTemplate}) and of the run of the record source that handed it over (see {@link #add}); a batch closes when it reaches {@code maxRecords} or {@code maxBytes} (as written), when
 * {@code maxAge} has passed since its first record (on a timer, also when nothing arrives), when another batch needs
 * its place ({@code maxOpenBatches}), when a {@code once} run has drained its queue, and when the engine stops.
 * Closed batches are stored on threads of their own while new records keep arriving.
 *
 * <p>A message is held, not acknowledged, while any batch holding one of its records is open or being stored; it is
 * acknowledged once all of them are stored (and, for an object, once it is deleted from the source with
 * {@code cleanUp}). Only the message's reply subject is kept, not its data, so memory does not grow with the
 * batches. Held messages are kept alive with in-progress signals. A batch that cannot be stored after a few attempts
 * hands its messages back (NAK with the workflow's backoff), so they are rebuilt into a batch again; a message
 * delivered more than {@code maxDeliver} times is dead-lettered with the last reason.
 *
 * <p>Batch names are deterministic: {@code {first}} is the stream sequence of the message carrying the batch's first
 * record (with {@code -N} when that record was not the message's first), so a batch rebuilt after a crash from the
 * redelivered messages gets the same name and overwrites what may have been stored before.
 */
final class Batcher {

    private static final Logger LOG = LoggerFactory.getLogger(Batcher.class);
    /** Messages asked for at once. */
    static final int PULL = 256;
    /** How long a pull waits for the first message: a service, a {@code once} run still scanning. */
    private static final long SERVICE_POLL_MILLIS = 1000;
    private static final long SCANNING_POLL_MILLIS = 100;
    /** Attempts to store a closed batch before its messages are handed back. */
    static final int STORE_ATTEMPTS = 3;
    /**
     * Closed batches waiting to be stored, at most, before the puller waits. {@link BatchConfig#maxHeldMessages()}
     * counts on it (and on {@link #PULL}) for the consumer's limit of unacknowledged messages.
     */
    private static final int STORING = 4;
    /** Longest line of an object being compacted; longer ones become several records (attribute {@code part}). */
    static final int MAX_LINE = 1 << 20;
    private static final byte[] ACK = "+ACK".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] WPI = "+WPI".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TERM = "+TERM".getBytes(StandardCharsets.US_ASCII);

    private final JetStreamQueue queue;
    private final WorkflowConfig workflow;
    private final BatchConfig batch;
    private final Transfer.Named<Source> objects;
    private final String sourceName;
    private final List<Transfer.Named<Destination>> destinations;
    private final RunStats stats;
    private final IngestMetrics metrics;
    private final Webhook webhook;
    private final Path spoolDir;
    private final ExecutorService storers;
    private final Semaphore storing = new Semaphore(STORING);
    private final ScheduledFuture<?> keepAlive;
    private final RecordStatus status;

    /** Open batches by prefix, oldest first; only the puller thread touches them. */
    private final LinkedHashMap<String, Open> open = new LinkedHashMap<>();
    /** The key of the last record's batch in {@link #open}, and its prefix and run. */
    private String lastPrefix;
    private String lastRun;
    private String lastKey;
    /** Messages held by open or storing batches. */
    private final Set<Held> held = ConcurrentHashMap.newKeySet();
    /** The same messages by stream sequence: a message redelivered while held is not batched twice. */
    private final Map<Long, Held> heldBySequence = new ConcurrentHashMap<>();
    /** Why the last attempt of a message failed, for its dead letter: by stream sequence (bounded). */
    private final Map<Long, String> lastErrors = java.util.Collections.synchronizedMap(
            new LinkedHashMap<>(16, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<Long, String> e) {
                    return size() > 10_000;
                }
            });
    private volatile boolean stopping;
    /** The open batches as the puller last described them, for {@link #reportHeld()} (other threads read it). */
    private volatile List<RecordStatus.OpenBatch> openNow = List.of();
    /** When the puller last described them ({@link System#nanoTime()}); only the puller touches it. */
    private long describedNanos;
    /** How often, at most, the puller describes its open batches. */
    private static final long DESCRIBE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    /** A message held until every batch holding its records is stored. */
    private static final class Held {
        /** Where its acknowledgement goes: the latest delivery's reply subject. */
        volatile String replyTo;
        final long sequence;
        final Instant queuedAt;
        final Codec object;
        int batches;
        volatile boolean settled;

        Held(String replyTo, long sequence, Instant queuedAt, Codec object) {
            this.replyTo = replyTo;
            this.sequence = sequence;
            this.queuedAt = queuedAt;
            this.object = object;
        }
    }

    /** An open batch. */
    private final class Open {
        final String prefix;
        final String first;
        final BatchFile file;
        final long openedNanos = System.nanoTime();
        final Instant opened = Instant.now();
        final Set<Held> messages = new LinkedHashSet<>();
        /** When the oldest of its messages was queued. */
        Instant oldest;
        long firstSequence;
        long lastSequence;

        Open(String prefix, String first, long sequence) throws IOException {
            this.prefix = prefix;
            this.first = first;
            this.file = new BatchFile(spoolDir, batch);
            this.firstSequence = sequence;
            this.lastSequence = sequence;
        }

        boolean full() {
            return file.records() >= batch.maxRecords() || file.written() >= batch.maxBytes();
        }

        long deadline() {
            return openedNanos + batch.maxAge().toNanos();
        }
    }

    Batcher(JetStreamQueue queue, WorkflowConfig workflow, Transfer.Named<Source> objects, String sourceName,
            List<Transfer.Named<Destination>> destinations, RunStats stats, IngestMetrics metrics,
            ScheduledExecutorService ticker, Webhook webhook, Path spoolDir, RecordStatus status) {
        this.queue = queue;
        this.workflow = workflow;
        this.batch = workflow.batch().orElseThrow();
        this.objects = objects;
        this.sourceName = sourceName;
        this.destinations = List.copyOf(destinations);
        this.stats = stats;
        this.metrics = metrics;
        this.webhook = webhook;
        this.spoolDir = spoolDir;
        this.status = status;
        this.storers = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "store-" + workflow.name());
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(1000, queue.settings().ackWait().toMillis() / 3);
        this.keepAlive = ticker.scheduleAtFixedRate(this::keepHeldAlive, every, every, TimeUnit.MILLISECONDS);
        metrics.recordLag(workflow.name(), this::lagSeconds);
    }

    /** Stops pulling; open batches are closed and stored within the grace period. */
    void stop() {
        stopping = true;
    }

    /**
     * Pulls and batches until stopped, or, with {@code scanDone}, until the scan is done and the queue drained; then
     * closes and stores every open batch.
     *
     * @param scanDone when non-null: true once the workflow's source has handed everything over
     * @throws InterruptedException after the grace period: batches not stored hand their messages back
     */
    void run(BooleanSupplier scanDone) throws InterruptedException {
        JetStreamSubscription sub = null;
        try {
            while (!stopping) {
                boolean draining = scanDone != null && scanDone.getAsBoolean();
                long wait = draining ? 0 : scanDone != null ? SCANNING_POLL_MILLIS : SERVICE_POLL_MILLIS;
                wait = Math.min(wait, untilNextDeadline());
                int got;
                try {
                    if (sub == null) {
                        sub = queue.subscribe(workflow.name());
                    }
                    got = pull(sub, wait);
                    metrics.queueOperation(workflow.name(), "fetch", true);
                } catch (IOException | RuntimeException e) {
                    metrics.queueOperation(workflow.name(), "fetch", false);
                    LOG.warn("workflow {}: fetching records failed, retrying: {}", workflow.name(), e.toString());
                    unsubscribe(sub);
                    sub = null;
                    Thread.sleep(1000);
                    continue;
                }
                closeExpired();
                describeOpen();
                if (draining && got == 0) {
                    if (nothingPending()) {
                        closeAll("the run has read everything");
                        awaitStores();
                        if (drained()) {
                            return;
                        }
                    }
                    Thread.sleep(20); // an ack or a delayed retry in transit
                }
            }
            closeAll("stopping");
        } finally {
            try {
                awaitStores();
            } finally {
                keepAlive.cancel(false);
                unsubscribe(sub);
                discardOpen();
                openNow = List.of();
            }
        }
    }

    /** One pull request; each message is batched as it arrives. */
    private int pull(JetStreamSubscription sub, long waitMillis) throws IOException, InterruptedException {
        PullRequestOptions.Builder request = PullRequestOptions.builder(PULL).noWait();
        if (waitMillis > 0) {
            request.expiresIn(Math.max(1, waitMillis));
        }
        sub.pull(request.build());
        Duration readTimeout = Duration.ofMillis(waitMillis + 2000);
        int got = 0;
        while (got < PULL) {
            Message m = sub.nextMessage(readTimeout);
            if (m == null) {
                return got;
            }
            got++;
            if (stopping) {
                m.nak();
                continue;
            }
            accept(m);
        }
        return got;
    }

    /** Appends a message's records to their batches. */
    private void accept(Message m) throws InterruptedException {
        long sequence;
        long delivered;
        Instant queuedAt;
        try {
            sequence = m.metaData().streamSequence();
            delivered = m.metaData().deliveredCount();
            queuedAt = m.metaData().timestamp().toInstant();
        } catch (RuntimeException e) {
            LOG.warn("workflow {}: a message without JetStream metadata on {}; terminated", workflow.name(),
                    m.getSubject());
            m.term();
            return;
        }
        if (delivered > 1) {
            metrics.redelivered(workflow.name());
        }
        if (delivered > workflow.maxDeliver()) {
            deadLetter(m, sequence, delivered, "gave up after " + (delivered - 1) + " attempts to store its batch",
                    lastErrors.getOrDefault(sequence, "the batch of its records was not stored"));
            return;
        }
        byte[] data = m.getData();
        Codec object = null;
        List<DataRecord> records = null;
        if (ChunkCodec.isChunk(data)) {
            try {
                // The lines format writes the data alone: attributes are decoded only when the batch uses them.
                records = ChunkCodec.decode(data,
                        batch.format() != BatchConfig.Format.LINES || batch.key().usesAttributes());
            } catch (IllegalArgumentException e) {
                deadLetter(m, sequence, delivered, "malformed chunk of records: " + e.getMessage(), null);
                return;
            }
        } else {
            if (objects == null) {
                deadLetter(m, sequence, delivered, "not a chunk of records (a record workflow's message)", null);
                return;
            }
            try {
                object = CodecJson.decode(data);
            } catch (IllegalArgumentException e) {
                deadLetter(m, sequence, delivered, "malformed message: " + e.getMessage(), null);
                return;
            }
        }
        Held already = heldBySequence.get(sequence);
        if (already != null && !already.settled) {
            // Delivered again while its records wait in batches (its ack wait ran out before an in-progress signal
            // arrived, on a starved machine): they are not added a second time; the batches ack this delivery.
            already.replyTo = m.getReplyTo();
            publish(m.getReplyTo(), WPI);
            return;
        }
        Held h = new Held(m.getReplyTo(), sequence, queuedAt, object);
        held.add(h);
        heldBySequence.put(sequence, h);
        MDC.put("workflow", workflow.name());
        try {
            if (records != null) {
                String run = m.getHeaders() == null ? null : m.getHeaders().getFirst(JetStreamQueue.HEADER_RUN);
                for (int i = 0; i < records.size(); i++) {
                    add(h, records.get(i), i, run);
                }
            } else {
                addLines(h, object);
            }
        } catch (PoisonException e) {
            forget(h);
            deadLetter(m, sequence, delivered, e.getMessage(), null);
            return;
        } catch (IOException | RuntimeException e) {
            // A download that failed, a spool that could not be written: try the message again later.
            forget(h);
            String why = e.toString();
            lastErrors.put(sequence, why);
            LOG.warn("workflow {}: message #{} could not be batched, retrying in {}: {}", workflow.name(), sequence,
                    workflow.retryDelay(delivered), why);
            m.nakWithDelay(workflow.retryDelay(delivered));
            return;
        } finally {
            MDC.remove("object");
        }
        boolean unused;
        synchronized (h) {
            unused = h.batches == 0;
        }
        if (unused) { // no record at all (an empty object): done at once
            settle(h);
        }
    }

    /** Removes a message from the batches it was added to so far (they then hold fewer of its records). */
    private void forget(Held h) {
        held.remove(h);
        heldBySequence.remove(h.sequence, h);
        for (Iterator<Open> it = open.values().iterator(); it.hasNext(); ) {
            Open o = it.next();
            if (o.messages.contains(h)) {
                // Its records are already in the spool: drop the whole batch and hand its other messages back.
                it.remove();
                discard(o, "a message of it could not be read to the end");
            }
        }
    }

    /** The lines of an object as records (attribute {@code object}: its name). */
    private void addLines(Held h, Codec codec) throws IOException, InterruptedException {
        MDC.put("object", codec.name());
        Instant now = Instant.now();
        try (Blob blob = objects.plugin().download(codec); InputStream in = blob.stream()) {
            byte[] buf = new byte[64 * 1024];
            java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream(256);
            int part = 0;
            int index = 0;
            int n;
            while ((n = in.read(buf)) > 0) {
                int start = 0;
                for (int i = 0; i < n; i++) {
                    if (buf[i] == '\n' || line.size() + (i - start) >= MAX_LINE) {
                        boolean whole = buf[i] == '\n';
                        line.write(buf, start, i - start);
                        add(h, lineRecord(line.toByteArray(), now, codec, whole && part == 0 ? 0 : ++part), index++,
                                null);
                        line.reset();
                        if (whole) {
                            part = 0;
                            start = i + 1;
                        } else {
                            start = i;
                        }
                    }
                }
                line.write(buf, start, n - start);
                if (Thread.currentThread().isInterrupted()) {
                    throw new InterruptedException();
                }
            }
            if (line.size() > 0) { // a last line without its line break
                add(h, lineRecord(line.toByteArray(), now, codec, part == 0 ? 0 : ++part), index, null);
            }
        }
        metrics.clientOperation(workflow.name(), workflow.source(), objects.type(), "download", true);
    }

    private static DataRecord lineRecord(byte[] data, Instant time, Codec codec, int part) {
        return new DataRecord(data, time, part == 0 ? Map.of("object", codec.name())
                : Map.of("object", codec.name(), "part", Integer.toString(part)));
    }

    /**
     * Appends one record to the open batch of its prefix and source run, opening and closing batches as needed.
     *
     * <p>A batch holds the records of one run of the record source only ({@value JetStreamQueue#HEADER_RUN}): a source
     * restarted after a crash hands over again what its committed checkpoint did not cover, and those records must not
     * land in the batch that holds their first copies (redelivered after the crash), or one object would hold a record
     * twice.
     *
     * @param run the run of the source that handed the record over; null for the lines of objects
     */
    private void add(Held h, DataRecord r, int index, String run) throws IOException {
        String prefix = batch.key().prefix(r, workflow.name(), sourceName);
        String key;
        if (prefix == lastPrefix && java.util.Objects.equals(run, lastRun)) {
            key = lastKey; // the same prefix as the record before (the template reuses it): no new string
        } else {
            key = run == null ? prefix : prefix + '\0' + run;
            lastPrefix = prefix;
            lastRun = run;
            lastKey = key;
        }
        Open o = open.get(key);
        if (o == null) {
            if (open.size() >= batch.maxOpenBatches()) {
                Map.Entry<String, Open> oldest = open.entrySet().iterator().next();
                open.remove(oldest.getKey());
                close(oldest.getValue(), "maxOpenBatches");
            }
            o = new Open(prefix, KeyTemplate.first(h.sequence, index), h.sequence);
            open.put(key, o);
        }
        o.file.append(r);
        o.lastSequence = h.sequence;
        if (o.messages.add(h)) {
            synchronized (h) {
                h.batches++;
            }
            if (o.oldest == null || h.queuedAt.isBefore(o.oldest)) {
                o.oldest = h.queuedAt;
            }
        }
        if (o.full()) {
            open.remove(key);
            close(o, o.file.records() >= batch.maxRecords() ? "maxRecords" : "maxBytes");
        }
    }

    /** Describes the open batches for the status, at most every {@link #DESCRIBE_NANOS} (puller thread only). */
    private void describeOpen() {
        long now = System.nanoTime();
        if (now - describedNanos < DESCRIBE_NANOS) {
            return;
        }
        describedNanos = now;
        List<RecordStatus.OpenBatch> list = new ArrayList<>(open.size());
        for (Open o : open.values()) {
            list.add(new RecordStatus.OpenBatch(o.prefix, batch.key().name(o.prefix, o.first, batch.extension()),
                    o.file.records(), o.file.written(), o.oldest == null ? o.opened : o.oldest, o.opened,
                    o.opened.plus(batch.maxAge())));
        }
        openNow = List.copyOf(list);
    }

    private long untilNextDeadline() {
        long next = Long.MAX_VALUE;
        for (Open o : open.values()) {
            next = Math.min(next, o.deadline());
        }
        if (next == Long.MAX_VALUE) {
            return Long.MAX_VALUE;
        }
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(next - System.nanoTime()) + 1);
    }

    private void closeExpired() throws InterruptedException {
        long now = System.nanoTime();
        for (Iterator<Open> it = open.values().iterator(); it.hasNext(); ) {
            Open o = it.next();
            if (now - o.deadline() >= 0) {
                it.remove();
                close(o, "maxAge");
            }
        }
    }

    private void closeAll(String why) throws InterruptedException {
        List<Open> all = new ArrayList<>(open.values());
        open.clear();
        for (Open o : all) {
            close(o, why);
        }
    }

    /** Finishes a batch's file and hands it to a storing thread (waiting while {@value #STORING} are queued). */
    private void close(Open o, String why) {
        try {
            o.file.finish();
        } catch (IOException e) {
            discard(o, "its spool file could not be finished: " + e);
            return;
        }
        try {
            storing.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            discard(o, "interrupted");
            return;
        }
        LOG.debug("workflow {}: batch {} closed ({}): {} records, {} bytes", workflow.name(), o.first, why,
                o.file.records(), o.file.written());
        try {
            storers.execute(() -> {
                try {
                    store(o);
                } finally {
                    storing.release();
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            storing.release();
            discard(o, "stopping");
        }
    }

    /** Stores a closed batch at every destination, then settles its messages. */
    private void store(Open o) {
        MDC.put("workflow", workflow.name());
        String name = batch.key().name(o.prefix, o.first, batch.extension());
        MDC.put("object", name);
        Codec codec = Codec.of("batch:" + workflow.name() + ":" + name, name, o.file.sha256(), o.file.written());
        Map<String, String> meta = Map.of("ingest-records", Long.toString(o.file.records()),
                "ingest-first-seq", Long.toString(o.firstSequence), "ingest-last-seq", Long.toString(o.lastSequence));
        List<URI> stored = new ArrayList<>();
        Set<String> done = new java.util.HashSet<>();
        String failure = null;
        try {
            for (int attempt = 1; attempt <= STORE_ATTEMPTS; attempt++) {
                try {
                    for (Transfer.Named<Destination> d : destinations) {
                        if (done.contains(d.name())) {
                            continue;
                        }
                        Optional<Presence> there = timed(d, "stat", () -> d.plugin().check(codec));
                        if (there.isPresent() && there.get().verified()) {
                            stored.add(there.get().uri()); // rebuilt after a crash: the same batch is there already
                        } else {
                            try (Blob blob = Blob.of(Files.newInputStream(o.file.file()), o.file.written(),
                                    batch.contentType()).withMetadata(meta)) {
                                stored.add(timed(d, "store", () -> d.plugin().store(codec, blob)));
                            }
                        }
                        done.add(d.name());
                    }
                    failure = null;
                    break;
                } catch (PoisonException e) {
                    failure = e.getMessage();
                    break;
                } catch (InterruptedIOException e) {
                    if (Thread.currentThread().isInterrupted()) {
                        throw new InterruptedException();
                    }
                    failure = e.toString();
                } catch (IOException | RuntimeException e) {
                    failure = e.toString();
                }
                if (attempt < STORE_ATTEMPTS) {
                    Duration delay = workflow.retryDelay(attempt);
                    LOG.warn("workflow {}: storing batch {} failed (attempt {} of {}), retrying in {}: {}",
                            workflow.name(), name, attempt, STORE_ATTEMPTS, delay, failure);
                    Thread.sleep(delay.toMillis());
                }
            }
            if (failure == null) {
                stats.batchStored(o.file.written());
                metrics.batch(workflow.name(), o.file.records());
                status.stored(workflow.name(), o.file.records(), o.file.written());
                LOG.debug("workflow {}: stored batch {} ({} records, {} bytes)", workflow.name(), name,
                        o.file.records(), o.file.written());
                for (Held h : o.messages) {
                    release(h);
                }
                workflow.webhook().ifPresent(url -> webhook.submit(workflow.name(), url, workflow.webhookSecret(),
                        stored));
            } else {
                failed(o, name, failure);
            }
        } catch (InterruptedException e) {
            LOG.info("workflow {}: interrupted while storing batch {}; handing its records back", workflow.name(), name);
            handBack(o);
            Thread.currentThread().interrupt();
        } finally {
            closeQuietly(o);
            MDC.remove("object");
        }
    }

    /** A batch that could not be stored: its messages go back to the queue, to be batched again after a delay. */
    private void failed(Open o, String name, String failure) {
        metrics.batch(workflow.name(), -1);
        stats.retried();
        stats.event("copy_failed", workflow.name(), Map.of("batch", name, "error", failure));
        LOG.error("workflow {}: batch {} of {} records could not be stored: {}; its {} messages are handed back",
                workflow.name(), name, o.file.records(), failure, o.messages.size());
        for (Held h : o.messages) {
            lastErrors.put(h.sequence, "batch " + name + ": " + failure);
            nak(h, workflow.retryDelay(STORE_ATTEMPTS));
        }
    }

    /** One batch holding this message is stored: once none is left, the message is acknowledged. */
    private void release(Held h) {
        boolean last;
        synchronized (h) {
            h.batches--;
            last = h.batches == 0 && !h.settled;
        }
        if (last) {
            settle(h);
        }
    }

    /** Acknowledges a message whose records are all stored (an object: after deleting it from the source). */
    private void settle(Held h) {
        if (h.object != null && workflow.cleanUp()) {
            try {
                objects.plugin().cleanUp(h.object);
                metrics.clientOperation(workflow.name(), workflow.source(), objects.type(), "cleanup", true);
            } catch (IOException | RuntimeException e) {
                metrics.clientOperation(workflow.name(), workflow.source(), objects.type(), "cleanup", false);
                // Its lines are stored: handing it back would store them again. Dead-letter it instead, which also
                // keeps the next scans from queueing it again while the operator looks at it.
                synchronized (h) {
                    h.settled = true;
                }
                held.remove(h);
                heldBySequence.remove(h.sequence, h);
                deadLetterHeld(h, "its lines are stored, but deleting it from the source failed: " + e);
                return;
            }
        }
        synchronized (h) {
            h.settled = true;
        }
        held.remove(h);
        heldBySequence.remove(h.sequence, h);
        publish(h.replyTo, ACK);
        metrics.queueOperation(workflow.name(), "ack", true);
        metrics.dequeued(workflow.name(), true);
    }

    private void nak(Held h, Duration delay) {
        synchronized (h) {
            if (h.settled) {
                return;
            }
            h.settled = true;
        }
        held.remove(h);
        heldBySequence.remove(h.sequence, h);
        publish(h.replyTo, ("-NAK {\"delay\": " + delay.toNanos() + "}").getBytes(StandardCharsets.US_ASCII));
        metrics.queueOperation(workflow.name(), "nak", true);
    }

    private void handBack(Open o) {
        for (Held h : o.messages) {
            nak(h, Duration.ZERO);
        }
    }

    /** A batch given up before it was stored (its file could not be written): its messages come back later. */
    private void discard(Open o, String why) {
        LOG.warn("workflow {}: batch {} dropped ({}); its {} messages are handed back", workflow.name(), o.first, why,
                o.messages.size());
        for (Held h : o.messages) {
            nak(h, workflow.retryDelay(1));
        }
        closeQuietly(o);
    }

    private void discardOpen() {
        for (Open o : open.values()) {
            handBack(o);
            closeQuietly(o);
        }
        open.clear();
        for (Held h : held) { // still held by a batch a storing thread did not finish
            nak(h, Duration.ZERO);
        }
    }

    private void closeQuietly(Open o) {
        try {
            o.file.close();
        } catch (IOException e) {
            LOG.debug("workflow {}: removing spool {} failed: {}", workflow.name(), o.file.file(), e.toString());
        }
    }

    /** Waits for the batches being stored; on interrupt (the grace is over) stops them: they hand back. */
    private void awaitStores() throws InterruptedException {
        try {
            storing.acquire(STORING);
            storing.release(STORING);
        } catch (InterruptedException e) {
            storers.shutdownNow();
            storing.tryAcquire(STORING, Dequeuer.INTERRUPT_MILLIS, TimeUnit.MILLISECONDS);
            throw e;
        }
    }

    private void keepHeldAlive() {
        for (Held h : held) {
            if (!h.settled) {
                publish(h.replyTo, WPI);
            }
        }
    }

    /** Tells the status what this batcher holds: called now and then by the engine. */
    void reportHeld() {
        Instant oldest = null;
        for (Held h : held) {
            if (oldest == null || h.queuedAt.isBefore(oldest)) {
                oldest = h.queuedAt;
            }
        }
        status.held(workflow.name(), oldest, openNow);
    }

    private double lagSeconds() {
        Instant oldest = null;
        for (Held h : held) {
            if (oldest == null || h.queuedAt.isBefore(oldest)) {
                oldest = h.queuedAt;
            }
        }
        return oldest == null ? 0 : Math.max(0, Duration.between(oldest, Instant.now()).toMillis() / 1000.0);
    }

    private void publish(String replyTo, byte[] body) {
        if (replyTo == null) {
            return;
        }
        // The NATS client drops what an interrupted thread sends: a batch handed back on shutdown must still say so.
        boolean interrupted = Thread.interrupted();
        try {
            queue.connection().publish(replyTo, body);
        } catch (RuntimeException e) {
            LOG.warn("workflow {}: answering the queue failed: {}", workflow.name(), e.toString());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void deadLetter(Message m, long sequence, long attempts, String reason, String lastError) {
        try {
            queue.publishDeadLetter(workflow.name(), m.getData(), Map.of(
                    JetStreamQueue.HEADER_WORKFLOW, workflow.name(),
                    JetStreamQueue.HEADER_REASON, reason,
                    JetStreamQueue.HEADER_ATTEMPTS, Long.toString(attempts),
                    JetStreamQueue.HEADER_LAST_ERROR, lastError == null ? reason : lastError,
                    JetStreamQueue.HEADER_ORIGINAL_SUBJECT, m.getSubject()), deadLetterId(sequence));
        } catch (IOException | RuntimeException e) {
            metrics.queueOperation(workflow.name(), "dead_letter", false);
            metrics.dequeued(workflow.name(), false);
            LOG.error("could not dead-letter message #{} of workflow {} ({}); it stays queued: {}", sequence,
                    workflow.name(), reason, e.toString());
            m.nakWithDelay(workflow.retryDelay(attempts));
            return;
        }
        metrics.queueOperation(workflow.name(), "dead_letter", true);
        m.term();
        metrics.queueOperation(workflow.name(), "term", true);
        metrics.deadLettered(workflow.name());
        metrics.dequeued(workflow.name(), false);
        stats.failed("workflow " + workflow.name() + ": message #" + sequence + ": " + reason);
        stats.event("dead_letter", workflow.name(), Map.of("message", sequence, "reason", reason));
        LOG.error("dead-lettered message #{} of workflow {} to {}: {}", sequence, workflow.name(),
                queue.settings().deadLetterSubjectOf(workflow.name()), reason);
    }

    /** Dead-letters a held object message (its data is gone: the dead letter carries the object's codec). */
    private void deadLetterHeld(Held h, String reason) {
        try {
            queue.publishDeadLetter(workflow.name(), CodecJson.encode(h.object), Map.of(
                    JetStreamQueue.HEADER_WORKFLOW, workflow.name(),
                    JetStreamQueue.HEADER_REASON, reason,
                    JetStreamQueue.HEADER_ATTEMPTS, "1",
                    JetStreamQueue.HEADER_LAST_ERROR, reason,
                    JetStreamQueue.HEADER_ORIGINAL_SUBJECT, queue.settings().subjectOf(workflow.name())),
                    deadLetterId(h.sequence));
            metrics.queueOperation(workflow.name(), "dead_letter", true);
            publish(h.replyTo, TERM);
            metrics.queueOperation(workflow.name(), "term", true);
            metrics.deadLettered(workflow.name());
            metrics.dequeued(workflow.name(), false);
            stats.failed("workflow " + workflow.name() + ": object '" + h.object.name() + "': " + reason);
            stats.event("dead_letter", workflow.name(), Map.of("object", h.object.name(), "reason", reason));
            LOG.error("dead-lettered object '{}' of workflow {}: {}", h.object.name(), workflow.name(), reason);
        } catch (IOException | RuntimeException e) {
            LOG.error("could not dead-letter object '{}' of workflow {} ({}): {}; it is acknowledged, and stays in "
                    + "the source", h.object.name(), workflow.name(), reason, e.toString());
            publish(h.replyTo, ACK);
        }
    }

    /** As the object path's: a redelivery after a crash between the dead letter and the term is not dead-lettered twice. */
    private Optional<String> deadLetterId(long sequence) {
        return Optional.of("dead-" + queue.settings().stream() + "-" + sequence);
    }

    private <T> T timed(Transfer.Named<Destination> d, String operation, Transfer.IoCall<T> call) throws IOException {
        return Transfer.timed(metrics, workflow.name(), d, operation, call);
    }

    private boolean nothingPending() {
        try {
            return queue.consumerInfo(workflow.name()).getNumPending() == 0;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private boolean drained() {
        if (!held.isEmpty() || !open.isEmpty()) {
            return false;
        }
        try {
            ConsumerInfo info = queue.consumerInfo(workflow.name());
            return info.getNumPending() == 0 && info.getNumAckPending() == 0;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private void unsubscribe(JetStreamSubscription sub) {
        if (sub != null) {
            try {
                sub.unsubscribe();
            } catch (RuntimeException e) {
                LOG.debug("workflow {}: unsubscribing failed: {}", workflow.name(), e.toString());
            }
        }
    }

    /** Releases the storing threads. */
    void close() {
        storers.shutdownNow();
    }
}
