package dev.ingest.core.records;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ingest.core.queue.JetStreamQueue;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What workflows have done, for {@code ingest status} and the API: totals over every process and restart (objects
 * copied and their bytes; for record workflows records handed over, batches stored and their bytes), and for record
 * workflows the age of the oldest record a batcher holds, the batches each process has open, and what the record
 * source last reported. Kept as one JSON document per workflow under {@code records.<workflow>} in the
 * {@code <stream>_scans} key-value bucket (the name is older than the object counts); each process adds what it did
 * since its last {@link #flush()} with a compare-and-set update, so several processes (an enqueuer pod, dequeuer
 * pods) add up.
 *
 * <p>A record workflow's fields ({@code records}, {@code recordBytes}, {@code batches}, {@code batchBytes},
 * {@code batchRecords}, {@code held}, {@code source}) are written once a process reported one of them for it; an
 * object workflow's ({@code objectsCopied}, {@code bytesCopied}) when a process copied something for it.
 *
 * <p>Thread-safe. Best effort: a flush that fails is logged at DEBUG and retried at the next one; counts are kept.
 */
public final class RecordStatus {

    private static final Logger LOG = LoggerFactory.getLogger(RecordStatus.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Lag entries of processes that have not reported for this long are ignored by readers. */
    public static final long LAG_STALE_SECONDS = 120;
    /** Open batches reported per process, at most (the oldest first); {@code openCount} says how many there are. */
    public static final int OPEN_BATCHES_REPORTED = 100;

    /**
     * A batch a batcher holds open, as {@code ingest status} and the API show it.
     *
     * @param key the batch's resolved key prefix (records of different prefixes go to different batches)
     * @param object the name its object will be stored under
     * @param records records in it so far
     * @param bytes its bytes so far, as written (compressed)
     * @param oldestRecord when the oldest record in it was queued
     * @param opened when its first record was added
     * @param cutAt when {@code maxAge} closes it, unless {@code maxRecords} or {@code maxBytes} does so first
     */
    public record OpenBatch(String key, String object, long records, long bytes, Instant oldestRecord, Instant opened,
                            Instant cutAt) {
        public OpenBatch {
            java.util.Objects.requireNonNull(key, "key");
            java.util.Objects.requireNonNull(object, "object");
            java.util.Objects.requireNonNull(oldestRecord, "oldestRecord");
            java.util.Objects.requireNonNull(opened, "opened");
            java.util.Objects.requireNonNull(cutAt, "cutAt");
        }
    }

    private final JetStreamQueue queue;
    private final String process = ManagementFactory.getRuntimeMXBean().getName();
    private final Map<String, Counts> counts = new ConcurrentHashMap<>();

    /** What one workflow did since the last flush. */
    private static final class Counts {
        final AtomicLong records = new AtomicLong();
        final AtomicLong recordBytes = new AtomicLong();
        final AtomicLong batches = new AtomicLong();
        final AtomicLong batchBytes = new AtomicLong();
        final AtomicLong batchRecords = new AtomicLong();
        final AtomicLong objects = new AtomicLong();
        final AtomicLong objectBytes = new AtomicLong();
        /** Whether a record source or a batcher reported for it here: then the record fields are written. */
        volatile boolean recordWorkflow;
        volatile Map<String, String> source;
        volatile Instant oldestHeld;
        volatile java.util.List<OpenBatch> open = java.util.List.of();
        /** Whether {@link #held} was called since the last flush (a batcher of a workflow removed here stops). */
        final java.util.concurrent.atomic.AtomicBoolean batching = new java.util.concurrent.atomic.AtomicBoolean();
    }

    /**
     * @param queue the connected queue
     */
    public RecordStatus(JetStreamQueue queue) {
        this.queue = queue;
    }

    private Counts of(String workflow) {
        return counts.computeIfAbsent(workflow, w -> new Counts());
    }

    private Counts ofRecords(String workflow) {
        Counts c = of(workflow);
        c.recordWorkflow = true;
        return c;
    }

    /**
     * Counted where {@code ingest_objects_copied_total} and {@code ingest_bytes_copied_total} are.
     *
     * @param workflow the workflow
     * @param bytes bytes read from the source for one object stored to at least one destination
     */
    public void copied(String workflow, long bytes) {
        Counts c = of(workflow);
        c.objects.incrementAndGet();
        c.objectBytes.addAndGet(bytes);
    }

    /**
     * @param workflow the workflow
     * @param records records stored in the queue
     * @param bytes their bytes
     */
    public void published(String workflow, long records, long bytes) {
        Counts c = ofRecords(workflow);
        c.records.addAndGet(records);
        c.recordBytes.addAndGet(bytes);
    }

    /**
     * @param workflow the workflow
     * @param records the records of a batch stored at every destination
     * @param bytes its object's bytes
     */
    public void stored(String workflow, long records, long bytes) {
        Counts c = ofRecords(workflow);
        c.batches.incrementAndGet();
        c.batchBytes.addAndGet(bytes);
        c.batchRecords.addAndGet(records);
    }

    /**
     * @param workflow the workflow
     * @param status what its source reported last
     */
    public void source(String workflow, Map<String, String> status) {
        // in order
        ofRecords(workflow).source = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(status));
    }

    /**
     * @param workflow the workflow, batched in this process
     * @param oldest when the oldest record this process holds in a batch not yet stored was queued, or null
     * @param open the batches this process has open for it now
     */
    public void held(String workflow, Instant oldest, java.util.List<OpenBatch> open) {
        Counts c = ofRecords(workflow);
        c.oldestHeld = oldest;
        c.open = java.util.List.copyOf(open);
        c.batching.set(true);
    }

    /**
     * Adds what was done since the last flush to the stored documents: every record workflow's (its open batches
     * reported afresh), and an object workflow's when something was copied for it since.
     */
    public void flush() {
        for (Map.Entry<String, Counts> e : counts.entrySet()) {
            try {
                flush(e.getKey(), e.getValue());
            } catch (IOException | JetStreamApiException | RuntimeException ex) {
                LOG.debug("could not record the status of workflow {}: {}", e.getKey(), ex.toString());
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void flush(String workflow, Counts c) throws IOException, JetStreamApiException, InterruptedException {
        long records = c.records.getAndSet(0);
        long recordBytes = c.recordBytes.getAndSet(0);
        long batches = c.batches.getAndSet(0);
        long batchBytes = c.batchBytes.getAndSet(0);
        long batchRecords = c.batchRecords.getAndSet(0);
        long objects = c.objects.getAndSet(0);
        long objectBytes = c.objectBytes.getAndSet(0);
        boolean recordWorkflow = c.recordWorkflow;
        boolean batching = c.batching.getAndSet(false);
        if (!recordWorkflow && objects == 0 && objectBytes == 0) {
            return; // nothing to add: an idle object workflow costs no write
        }
        boolean done = false;
        try {
            KeyValue kv = queue.connection().keyValue(queue.settings().stream() + "_scans");
            String key = "records." + workflow;
            for (int attempt = 0; attempt < 10 && !done; attempt++) {
                KeyValueEntry entry = kv.get(key);
                ObjectNode doc = entry == null || entry.getValue() == null ? JSON.createObjectNode()
                        : (ObjectNode) JSON.readTree(entry.getValue());
                Instant now = Instant.now();
                if (objects > 0 || objectBytes > 0) {
                    add(doc, "objectsCopied", objects);
                    add(doc, "bytesCopied", objectBytes);
                }
                if (recordWorkflow) {
                    add(doc, "records", records);
                    add(doc, "recordBytes", recordBytes);
                    add(doc, "batches", batches);
                    add(doc, "batchBytes", batchBytes);
                    add(doc, "batchRecords", batchRecords);
                }
                if (records > 0) {
                    doc.put("lastRecords", now.toString());
                }
                if (batches > 0) {
                    doc.put("lastBatch", now.toString());
                }
                if (c.source != null) {
                    ObjectNode s = doc.putObject("source");
                    c.source.forEach(s::put);
                    doc.put("sourceReported", now.toString());
                }
                if (batching) {
                    ObjectNode held = doc.has("held") ? (ObjectNode) doc.get("held") : doc.putObject("held");
                    ObjectNode mine = held.putObject(process);
                    mine.put("reported", now.toString());
                    if (c.oldestHeld == null) {
                        mine.putNull("oldest");
                    } else {
                        mine.put("oldest", c.oldestHeld.toString());
                    }
                    java.util.List<OpenBatch> open = new java.util.ArrayList<>(c.open);
                    open.sort(java.util.Comparator.comparing(OpenBatch::oldestRecord));
                    mine.put("openCount", open.size());
                    var list = mine.putArray("open");
                    for (OpenBatch b : open.subList(0, Math.min(open.size(), OPEN_BATCHES_REPORTED))) {
                        list.addObject().put("key", b.key()).put("object", b.object()).put("records", b.records())
                                .put("bytes", b.bytes()).put("oldestRecord", b.oldestRecord().toString())
                                .put("opened", b.opened().toString()).put("cutAt", b.cutAt().toString());
                    }
                    java.util.List<String> stale = new java.util.ArrayList<>();
                    held.fieldNames().forEachRemaining(name -> {
                        String reported = held.path(name).path("reported").asText("");
                        if (reported.isEmpty() || Instant.parse(reported).isBefore(now.minusSeconds(LAG_STALE_SECONDS))) {
                            stale.add(name);
                        }
                    });
                    held.remove(stale);
                }
                byte[] value = JSON.writeValueAsBytes(doc);
                try {
                    if (entry == null) {
                        kv.create(key, value);
                    } else {
                        kv.update(key, value, entry.getRevision());
                    }
                    done = true;
                } catch (JetStreamApiException conflict) {
                    // another process wrote meanwhile: read again and add to its document
                }
            }
        } finally {
            if (!done) { // keep the counts for the next flush
                c.records.addAndGet(records);
                c.recordBytes.addAndGet(recordBytes);
                c.batches.addAndGet(batches);
                c.batchBytes.addAndGet(batchBytes);
                c.batchRecords.addAndGet(batchRecords);
                c.objects.addAndGet(objects);
                c.objectBytes.addAndGet(objectBytes);
                if (batching) {
                    c.batching.set(true);
                }
            }
        }
    }

    private static void add(ObjectNode doc, String field, long delta) {
        doc.put(field, doc.path(field).asLong(0) + delta);
    }

    /**
     * Reads a workflow's document.
     *
     * @param queue the connected queue
     * @param workflow the workflow
     * @return the document, or empty when no process has reported for that workflow
     * @throws IOException if the bucket cannot be read
     */
    public static Optional<JsonNode> read(JetStreamQueue queue, String workflow) throws IOException {
        try {
            KeyValueEntry e = queue.connection().keyValue(queue.settings().stream() + "_scans").get("records." + workflow);
            return e == null || e.getValue() == null ? Optional.empty() : Optional.of(JSON.readTree(e.getValue()));
        } catch (JetStreamApiException e) {
            return Optional.empty();
        }
    }
}
