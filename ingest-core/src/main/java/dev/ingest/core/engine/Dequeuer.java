package dev.ingest.core.engine;

import dev.ingest.core.config.WorkflowConfig;
import dev.ingest.core.metrics.IngestMetrics;
import dev.ingest.core.queue.JetStreamQueue;
import io.nats.client.ConsumerContext;
import io.nats.client.FetchConsumeOptions;
import io.nats.client.FetchConsumer;
import io.nats.client.Message;
import io.nats.client.api.ConsumerInfo;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulls one workflow's messages and copies up to {@code concurrency} objects at once. It keeps the copy slots
 * busy: whenever slots are free it fetches up to {@code min(batchSize, free slots)} messages, so a slow object
 * never holds up the next fetch. When all objects of a fetched batch are settled, the batch's stored URIs go to
 * the webhook. In {@code --once} runs it returns when the scan is done and nothing is pending, awaiting an ack
 * or being copied.
 */
final class Dequeuer {

    private static final Logger LOG = LoggerFactory.getLogger(Dequeuer.class);
    private static final long FETCH_WAIT_MILLIS = 1000;
    private static final long DRAIN_WAIT_MILLIS = 100;

    private final JetStreamQueue queue;
    private final WorkflowConfig workflow;
    private final Transfer transfer;
    private final ExecutorService workers;
    private final Webhook webhook;
    private final IngestMetrics metrics;
    private final Semaphore slots;
    private volatile boolean stopping;

    Dequeuer(JetStreamQueue queue, WorkflowConfig workflow, Transfer transfer, ExecutorService workers, Webhook webhook,
             IngestMetrics metrics) {
        this.queue = queue;
        this.workflow = workflow;
        this.transfer = transfer;
        this.workers = workers;
        this.webhook = webhook;
        this.metrics = metrics;
        this.slots = new Semaphore(workflow.concurrency());
    }

    /** Stop fetching; copies in progress are finished. */
    void stop() {
        stopping = true;
    }

    /**
     * Runs until {@link #stop()}, or, when {@code scanDone} is given, until it says the scan is done and the
     * workflow has nothing left; then waits for the copies in progress.
     *
     * @param scanDone when non-null: returns true once the workflow's scan completed (or there is none)
     * @throws InterruptedException on shutdown after the grace period; copies not finished are handed back
     */
    void run(BooleanSupplier scanDone) throws InterruptedException {
        ConsumerContext consumer = null;
        try {
            while (!stopping) {
                boolean draining = scanDone != null && scanDone.getAsBoolean();
                int free = takeSlots();
                if (stopping) {
                    slots.release(free);
                    break;
                }
                List<Message> batch = new ArrayList<>(free);
                try {
                    if (consumer == null) {
                        consumer = queue.consumer(workflow.name());
                    }
                    FetchConsumeOptions.Builder options = FetchConsumeOptions.builder().maxMessages(free);
                    // Once the scan is done, look without waiting so a --once run ends soon after its last copy.
                    try (FetchConsumer fetch = consumer.fetch(draining ? options.noWait().build()
                            : options.noWaitExpiresIn(FETCH_WAIT_MILLIS).build())) {
                        for (Message m = fetch.nextMessage(); m != null; m = fetch.nextMessage()) {
                            batch.add(m);
                        }
                    }
                    metrics.queueOperation(workflow.name(), "fetch", true);
                } catch (InterruptedException e) {
                    slots.release(free);
                    throw e;
                } catch (Exception e) {
                    metrics.queueOperation(workflow.name(), "fetch", false);
                    // Connection lost, consumer momentarily unavailable: wait and carry on. Messages received
                    // before the failure are delivered to us: copy them rather than leave them to redelivery.
                    LOG.warn("workflow {}: fetching messages failed after {} message(s), retrying: {}",
                            workflow.name(), batch.size(), e.toString());
                    consumer = null;
                    slots.release(free - batch.size());
                    submit(batch);
                    Thread.sleep(FETCH_WAIT_MILLIS);
                    continue;
                }
                slots.release(free - batch.size());
                if (batch.isEmpty()) {
                    // An ack the server has not processed yet still counts as awaiting an ack, so "drained" cannot
                    // be seen too early; messages waiting for a delayed retry count as awaiting an ack too.
                    if (draining) {
                        if (idle() && drained()) {
                            return;
                        }
                        Thread.sleep(DRAIN_WAIT_MILLIS);
                    }
                    continue;
                }
                submit(batch);
            }
        } finally {
            awaitInFlight();
        }
    }

    /** Waits for at least one free copy slot, then takes the free ones, up to the batch size. */
    private int takeSlots() throws InterruptedException {
        slots.acquire();
        int taken = 1;
        while (taken < workflow.batchSize() && slots.tryAcquire()) {
            taken++;
        }
        return taken;
    }

    private boolean idle() {
        return slots.availablePermits() == workflow.concurrency();
    }

    private void submit(List<Message> batch) {
        List<CompletableFuture<List<URI>>> results = new ArrayList<>(batch.size());
        for (Message m : batch) {
            CompletableFuture<List<URI>> result = new CompletableFuture<>();
            results.add(result);
            try {
                workers.execute(() -> {
                    try {
                        result.complete(transfer.handle(m));
                    } catch (RuntimeException | Error e) {
                        LOG.error("workflow {}: unexpected failure handling a message", workflow.name(), e);
                        result.complete(List.of());
                    } finally {
                        slots.release();
                    }
                });
            } catch (RejectedExecutionException e) {
                // Shutting down: hand it back at once.
                m.nak();
                slots.release();
                result.complete(List.of());
            }
        }
        workflow.webhook().ifPresent(url -> CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
                .thenRun(() -> {
                    List<URI> stored = new ArrayList<>();
                    results.forEach(r -> stored.addAll(r.join()));
                    webhook.submit(workflow.name(), url, workflow.webhookSecret(), stored);
                }));
    }

    /** Waits until every copy in progress is settled; on interrupt, interrupts them (they hand back their message). */
    private void awaitInFlight() throws InterruptedException {
        try {
            slots.acquire(workflow.concurrency());
            slots.release(workflow.concurrency());
        } catch (InterruptedException e) {
            workers.shutdownNow();
            throw e;
        }
    }

    private boolean drained() {
        try {
            ConsumerInfo info = queue.consumerInfo(workflow.name());
            return info.getNumPending() == 0 && info.getNumAckPending() == 0;
        } catch (IOException | RuntimeException e) {
            LOG.debug("workflow {}: reading consumer state failed: {}", workflow.name(), e.toString());
            return false;
        }
    }
}
