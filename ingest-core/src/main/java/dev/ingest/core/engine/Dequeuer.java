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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulls one workflow's messages in batches of {@code batchSize}, copies up to {@code concurrency} objects at
 * once, and posts each batch's stored URIs to the webhook. In {@code --once} runs it returns when the scan is
 * done and nothing is pending or awaiting an ack.
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
    private volatile boolean stopping;

    Dequeuer(JetStreamQueue queue, WorkflowConfig workflow, Transfer transfer, ExecutorService workers, Webhook webhook,
             IngestMetrics metrics) {
        this.metrics = metrics;
        this.queue = queue;
        this.workflow = workflow;
        this.transfer = transfer;
        this.workers = workers;
        this.webhook = webhook;
    }

    /** Stop fetching; the batch in hand is finished. */
    void stop() {
        stopping = true;
    }

    /**
     * Runs until {@link #stop()}, or, when {@code untilIdle} is given, until it says the scan is done and the
     * workflow has nothing left.
     *
     * @param scanDone when non-null: returns true once the workflow's scan completed (or there is none)
     * @throws InterruptedException on shutdown after the grace period
     */
    void run(BooleanSupplier scanDone) throws InterruptedException {
        ConsumerContext consumer = null;
        FetchConsumeOptions waiting = fetchOptions(FETCH_WAIT_MILLIS);
        // Once the scan is done, look more often so that a --once run ends soon after its last copy.
        FetchConsumeOptions draining = FetchConsumeOptions.builder().maxMessages(workflow.batchSize()).noWait().build();
        while (!stopping) {
            FetchConsumeOptions options = scanDone != null && scanDone.getAsBoolean() ? draining : waiting;
            List<Message> batch = new ArrayList<>(workflow.batchSize());
            try {
                if (consumer == null) {
                    consumer = queue.consumer(workflow.name());
                }
                try (FetchConsumer fetch = consumer.fetch(options)) {
                    for (Message m = fetch.nextMessage(); m != null; m = fetch.nextMessage()) {
                        batch.add(m);
                    }
                }
                metrics.queueOperation(workflow.name(), "fetch", true);
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                metrics.queueOperation(workflow.name(), "fetch", false);
                // Connection lost, consumer momentarily unavailable: wait and carry on.
                LOG.warn("workflow {}: fetching messages failed, retrying: {}", workflow.name(), e.toString());
                consumer = null;
                Thread.sleep(FETCH_WAIT_MILLIS);
                continue;
            }
            if (batch.isEmpty()) {
                // An ack not yet processed by the server still counts as ack-pending, so "drained" cannot
                // be seen too early; messages waiting for a delayed retry count as ack-pending too.
                if (options == draining) {
                    if (drained()) {
                        return;
                    }
                    Thread.sleep(DRAIN_WAIT_MILLIS);
                }
                continue;
            }
            process(batch);
        }
    }

    private FetchConsumeOptions fetchOptions(long waitMillis) {
        return FetchConsumeOptions.builder().maxMessages(workflow.batchSize()).noWaitExpiresIn(waitMillis).build();
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

    private void process(List<Message> batch) throws InterruptedException {
        List<Future<List<URI>>> results = new ArrayList<>(batch.size());
        for (Message m : batch) {
            results.add(workers.submit(() -> transfer.handle(m)));
        }
        List<URI> stored = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) {
            try {
                stored.addAll(results.get(i).get());
            } catch (ExecutionException e) {
                LOG.error("workflow {}: unexpected failure handling a message", workflow.name(), e.getCause());
            } catch (InterruptedException e) {
                // Shutdown past the grace period: hand back what never started, interrupt what runs (it NAKs).
                for (int j = i; j < results.size(); j++) {
                    if (results.get(j).cancel(false)) {
                        batch.get(j).nak();
                    }
                }
                workers.shutdownNow();
                throw e;
            }
        }
        workflow.webhook().ifPresent(url -> webhook.submit(workflow.name(), url, workflow.webhookSecret(), stored));
    }
}
