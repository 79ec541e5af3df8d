package dev.ingest.core.metrics;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.LoggerFactory;

/**
 * ingest's Prometheus metrics. The names of the original tool are kept so existing dashboards keep working
 * ({@code ingest_enqueue_attempts_total}, {@code ingest_dequeue_attempts_total}, {@code ingest_queue_operations_total},
 * {@code ingest_storage_operations_total}, {@code ingest_storage_operation_duration_seconds},
 * {@code ingest_client_operations_total}, {@code ingest_webhook_http_client_requests_total},
 * {@code ingest_workflow_instantiation_failures_total}); the rest are new. Results are {@code success} or
 * {@code error}. Thread-safe; one instance per registry.
 */
public final class IngestMetrics {

    /** Result label value of a successful operation. */
    public static final String SUCCESS = "success";
    /** Result label value of a failed operation. */
    public static final String ERROR = "error";

    private final PrometheusRegistry registry;
    private final Counter enqueueAttempts;
    private final Counter dequeueAttempts;
    private final Counter queueOperations;
    private final Counter storageOperations;
    private final Histogram storageDuration;
    private final Counter clientOperations;
    private final Counter webhookRequests;
    private final Counter webhookUndelivered;
    private final Counter instantiationFailures;
    private final Counter bytesCopied;
    private final Counter objectsCopied;
    private final Counter objectsSkipped;
    private final Counter deadLetters;
    private final Counter redeliveries;
    private final Gauge inFlight;
    private final Counter records;
    private final Counter recordBytes;
    private final Counter batches;
    private final Histogram batchRecords;
    private final Map<String, java.util.function.DoubleSupplier> recordLag = new ConcurrentHashMap<>();
    private final Map<String, LongSupplier[]> consumerState = new ConcurrentHashMap<>();
    private final CountDownLatch jvmRegistered = new CountDownLatch(1);
    private static final int JVM_SETUP_WAIT_SECONDS = 10;

    private IngestMetrics(PrometheusRegistry registry, boolean jvm) {
        this.registry = registry;
        enqueueAttempts = Counter.builder().name("ingest_enqueue_attempts_total")
                .help("Objects the enqueuer tried to queue, by result.")
                .labelNames("workflow", "source", "result").register(registry);
        dequeueAttempts = Counter.builder().name("ingest_dequeue_attempts_total")
                .help("Messages the dequeuer handled, by result (success: every destination has the object).")
                .labelNames("workflow", "result").register(registry);
        queueOperations = Counter.builder().name("ingest_queue_operations_total")
                .help("Interactions with the queue (publish, fetch, ack, nak, term, dead_letter), by result.")
                .labelNames("workflow", "operation", "result").register(registry);
        storageOperations = Counter.builder().name("ingest_storage_operations_total")
                .help("Destination operations (stat, store), by result.")
                .labelNames("workflow", "destination", "plugin", "operation", "result").register(registry);
        storageDuration = Histogram.builder().name("ingest_storage_operation_duration_seconds")
                .help("Duration of destination operations.")
                .classicExponentialUpperBounds(0.001, 2.5, 14)
                .labelNames("workflow", "destination", "plugin", "operation").register(registry);
        clientOperations = Counter.builder().name("ingest_client_operations_total")
                .help("Source operations (list, download, cleanup), by result.")
                .labelNames("workflow", "source", "plugin", "operation", "result").register(registry);
        webhookRequests = Counter.builder().name("ingest_webhook_http_client_requests_total")
                .help("Webhook HTTP requests, by result.")
                .labelNames("workflow", "result").register(registry);
        webhookUndelivered = Counter.builder().name("ingest_webhook_undelivered_total")
                .help("Stored URIs the webhook was never told of (retries exhausted, or still waiting at the end).")
                .labelNames("workflow").register(registry);
        instantiationFailures = Counter.builder().name("ingest_workflow_instantiation_failures_total")
                .help("Workflows that could not be set up and were skipped.")
                .labelNames("workflow").register(registry);
        bytesCopied = Counter.builder().name("ingest_bytes_copied_total")
                .help("Bytes read from sources for copied objects.").labelNames("workflow").register(registry);
        objectsCopied = Counter.builder().name("ingest_objects_copied_total")
                .help("Objects stored to at least one destination.").labelNames("workflow").register(registry);
        objectsSkipped = Counter.builder().name("ingest_objects_skipped_total")
                .help("Objects every destination already had.").labelNames("workflow").register(registry);
        deadLetters = Counter.builder().name("ingest_dead_letters_total")
                .help("Messages dead-lettered (poison objects, malformed messages, exhausted retries).")
                .labelNames("workflow").register(registry);
        redeliveries = Counter.builder().name("ingest_redeliveries_total")
                .help("Messages received again after an earlier attempt.").labelNames("workflow").register(registry);
        inFlight = Gauge.builder().name("ingest_copies_in_flight")
                .help("Objects being copied now.").labelNames("workflow").register(registry);
        GaugeWithCallback.builder().name("ingest_consumer_pending")
                .help("Messages of the workflow not yet delivered to any dequeuer (as of the last check).")
                .labelNames("workflow")
                .callback(cb -> consumerState.forEach((w, s) -> cb.call(s[0].getAsLong(), w)))
                .register(registry);
        GaugeWithCallback.builder().name("ingest_consumer_ack_pending")
                .help("Messages delivered and not yet acknowledged, including those waiting for a retry.")
                .labelNames("workflow")
                .callback(cb -> consumerState.forEach((w, s) -> cb.call(s[1].getAsLong(), w)))
                .register(registry);
        records = Counter.builder().name("ingest_records_total")
                .help("Records a record source handed over and the queue stored.").labelNames("workflow")
                .register(registry);
        recordBytes = Counter.builder().name("ingest_record_bytes_total")
                .help("Bytes of the records counted by ingest_records_total (their data, before batching).")
                .labelNames("workflow").register(registry);
        batches = Counter.builder().name("ingest_batches_total")
                .help("Batch objects closed, by result (success: stored at every destination; error: not stored, its "
                        + "records handed back).")
                .labelNames("workflow", "result").register(registry);
        batchRecords = Histogram.builder().name("ingest_batch_records")
                .help("Records per stored batch object.")
                .classicExponentialUpperBounds(1, 4, 12)
                .labelNames("workflow").register(registry);
        GaugeWithCallback.builder().name("ingest_record_lag_seconds")
                .help("Age of the oldest record this process holds in a batch not yet stored (since it was queued); 0 "
                        + "when none.")
                .labelNames("workflow")
                .callback(cb -> recordLag.forEach((w, s) -> cb.call(s.getAsDouble(), w)))
                .register(registry);
        if (jvm) {
            // JVM metrics load the management classes (about a tenth of a second): registered on a thread of
            // their own, so that a run starts meanwhile; a scrape waits for them.
            CompletableFuture.runAsync(() -> JvmMetrics.builder().register(registry), r -> {
                Thread t = new Thread(r, "jvm-metrics-setup");
                t.setDaemon(true);
                t.start();
            }).whenComplete((ok, e) -> {
                if (e != null) {
                    LoggerFactory.getLogger(IngestMetrics.class).warn("JVM metrics not available: {}", e.toString());
                }
                jvmRegistered.countDown();
            });
        } else {
            jvmRegistered.countDown();
        }
    }

    /**
     * Metrics in a registry of their own, with JVM metrics (what the launcher serves on {@code /metrics}).
     *
     * @return the metrics
     */
    public static IngestMetrics create() {
        return new IngestMetrics(new PrometheusRegistry(), true);
    }

    /**
     * Metrics in a registry of their own, without JVM metrics (for embedding and tests).
     *
     * @return the metrics
     */
    public static IngestMetrics withoutJvm() {
        return new IngestMetrics(new PrometheusRegistry(), false);
    }

    /** @return the registry, to expose or to add metrics to */
    public PrometheusRegistry registry() {
        return registry;
    }

    /**
     * Writes every metric in the Prometheus text format.
     *
     * @param out where to write
     * @throws IOException if writing fails
     */
    public void writeTo(OutputStream out) throws IOException {
        try {
            jvmRegistered.await(JVM_SETUP_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for the JVM metrics");
        }
        PrometheusTextFormatWriter.create().write(out, registry.scrape(), EscapingScheme.DEFAULT);
    }

    /** @return the content type of {@link #writeTo(OutputStream)} */
    public static String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }

    static String result(boolean ok) {
        return ok ? SUCCESS : ERROR;
    }

    /** @param workflow the workflow @param source its source @param ok whether the publish was confirmed */
    public void enqueued(String workflow, String source, boolean ok) {
        enqueueAttempts.labelValues(workflow, source, result(ok)).inc();
    }

    /** @param workflow the workflow @param ok whether every destination has the object now */
    public void dequeued(String workflow, boolean ok) {
        dequeueAttempts.labelValues(workflow, result(ok)).inc();
    }

    /** @param workflow the workflow @param operation publish, fetch, ack, nak, term or dead_letter @param ok result */
    public void queueOperation(String workflow, String operation, boolean ok) {
        queueOperations.labelValues(workflow, operation, result(ok)).inc();
    }

    /**
     * @param workflow the workflow
     * @param destination the destination name
     * @param plugin its type
     * @param operation stat or store
     * @param ok result
     * @param seconds how long it took
     */
    public void storageOperation(String workflow, String destination, String plugin, String operation, boolean ok,
                                 double seconds) {
        storageOperations.labelValues(workflow, destination, plugin, operation, result(ok)).inc();
        storageDuration.labelValues(workflow, destination, plugin, operation).observe(seconds);
    }

    /** @param workflow w @param source s @param plugin type @param operation list, download or cleanup @param ok result */
    public void clientOperation(String workflow, String source, String plugin, String operation, boolean ok) {
        clientOperations.labelValues(workflow, source, plugin, operation, result(ok)).inc();
    }

    /** @param workflow the workflow @param ok whether the webhook answered 2xx */
    public void webhookRequest(String workflow, boolean ok) {
        webhookRequests.labelValues(workflow, result(ok)).inc();
    }

    /** @param workflow the workflow @param uris stored URIs whose webhook notice was given up */
    public void webhookUndelivered(String workflow, int uris) {
        webhookUndelivered.labelValues(workflow).inc(uris);
    }

    /** @param workflow a workflow skipped because it could not be set up */
    public void workflowInstantiationFailed(String workflow) {
        instantiationFailures.labelValues(workflow).inc();
    }

    /** @param workflow the workflow @param bytes bytes read from the source for one copied object */
    public void copied(String workflow, long bytes) {
        objectsCopied.labelValues(workflow).inc();
        bytesCopied.labelValues(workflow).inc(bytes);
    }

    /**
     * @param workflow a workflow
     * @return the objects this process copied for it since it started ({@code ingest_objects_copied_total})
     */
    public long objectsCopied(String workflow) {
        return (long) valueOf(objectsCopied, workflow);
    }

    /**
     * @param workflow a workflow
     * @return the bytes this process read from sources for objects it copied for it ({@code ingest_bytes_copied_total})
     */
    public long bytesCopied(String workflow) {
        return (long) valueOf(bytesCopied, workflow);
    }

    /** Reads a workflow's series without creating it. */
    private static double valueOf(Counter counter, String workflow) {
        for (var point : counter.collect().getDataPoints()) {
            if (workflow.equals(point.getLabels().get("workflow"))) {
                return point.getValue();
            }
        }
        return 0;
    }

    /** @param workflow an object every destination already had */
    public void skipped(String workflow) {
        objectsSkipped.labelValues(workflow).inc();
    }

    /** @param workflow a message dead-lettered */
    public void deadLettered(String workflow) {
        deadLetters.labelValues(workflow).inc();
    }

    /** @param workflow a message received again */
    public void redelivered(String workflow) {
        redeliveries.labelValues(workflow).inc();
    }

    /** @param workflow the workflow @param delta +1 when a copy starts, -1 when it ends */
    public void inFlight(String workflow, int delta) {
        inFlight.labelValues(workflow).inc(delta);
    }

    /**
     * @param workflow the workflow
     * @param count records stored in the queue
     * @param bytes their data bytes
     */
    public void records(String workflow, long count, long bytes) {
        records.labelValues(workflow).inc(count);
        recordBytes.labelValues(workflow).inc(bytes);
    }

    /**
     * @param workflow the workflow
     * @param recordCount the records of a batch stored at every destination, or -1 for a batch that failed
     */
    public void batch(String workflow, long recordCount) {
        if (recordCount >= 0) {
            batches.labelValues(workflow, SUCCESS).inc();
            batchRecords.labelValues(workflow).observe(recordCount);
        } else {
            batches.labelValues(workflow, ERROR).inc();
        }
    }

    /**
     * @param workflow the workflow
     * @param lagSeconds reads the age of its oldest record not yet stored
     */
    public void recordLag(String workflow, java.util.function.DoubleSupplier lagSeconds) {
        recordLag.put(workflow, lagSeconds);
    }

    /**
     * Reports a workflow's consumer state on every scrape.
     *
     * @param workflow the workflow
     * @param pending messages not yet delivered
     * @param ackPending messages delivered and not yet acknowledged
     */
    public void consumerState(String workflow, LongSupplier pending, LongSupplier ackPending) {
        consumerState.put(workflow, new LongSupplier[] {pending, ackPending});
    }
}
