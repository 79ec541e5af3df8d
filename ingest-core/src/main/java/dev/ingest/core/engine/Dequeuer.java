package dev.ingest.core.engine;

import dev.ingest.core.config.WorkflowConfig;
import dev.ingest.core.metrics.IngestMetrics;
import dev.ingest.core.queue.JetStreamQueue;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PullRequestOptions;
import io.nats.client.api.ConsumerInfo;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulls one workflow's messages and copies up to {@code concurrency} objects at once.
 *
 * <p>It keeps the copy slots busy: whenever slots are free it asks for up to {@code min(batchSize, free slots)}
 * messages and hands each to a copy thread the moment it arrives, so a slow object never holds up the others and
 * no message waits in a buffer for a slot (its ack-wait clock would run meanwhile). One pull subscription lives for
 * the whole run: a message the server delivers late is read by the next pull instead of being lost with a
 * short-lived subscription (it would then come back only after the ack wait).
 *
 * <p>Each request is a long poll that ends as soon as what is available has been delivered: the server answers at
 * once when messages are waiting, and otherwise when the first one arrives or the poll expires. When all objects of
 * one request are settled, their stored URIs go to the webhook. In {@code --once} runs it returns when the scan is
 * done and nothing is pending, awaiting an ack or being copied.
 */
final class Dequeuer {

    private static final Logger LOG = LoggerFactory.getLogger(Dequeuer.class);
    /** How long a poll waits for the first message in a service (also how soon a stop is noticed when idle). */
    static final long SERVICE_POLL_MILLIS = 1000;
    /** How long a poll waits while this process's own scan is still running ({@code --once}). */
    static final long SCANNING_POLL_MILLIS = 100;
    /** How much longer than the server's expiry the client waits for a request to end. */
    private static final long READ_MARGIN_MILLIS = 2000;
    /** After a failed pull: how long to wait before the next attempt. */
    private static final long RETRY_MILLIS = 1000;
    /** While draining with copies in flight: the longest wait between looks at the queue. */
    private static final long DRAIN_WAIT_MILLIS = 200;
    /** After the copies were interrupted: how long they get to hand back their messages themselves. */
    static final long INTERRUPT_MILLIS = 2000;
    /** While draining with nothing in flight but the queue not yet empty (an ack in transit, a delayed retry). */
    private static final long DRAIN_IDLE_WAIT_MILLIS = 20;

    private final JetStreamQueue queue;
    private final WorkflowConfig workflow;
    private final Transfer transfer;
    private final ExecutorService workers;
    private final Webhook webhook;
    private final IngestMetrics metrics;
    private final Semaphore slots;
    /** Messages handed to copy threads and not settled yet. */
    private final Set<Message> inFlight = ConcurrentHashMap.newKeySet();
    private final Object settled = new Object();
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
        wakeUp();
    }

    /**
     * Runs until {@link #stop()}, or, when {@code scanDone} is given, until it says the scan is done and the
     * workflow has nothing left; then waits for the copies in progress.
     *
     * @param scanDone when non-null: returns true once the workflow's scan completed (or there is none)
     * @throws InterruptedException on shutdown after the grace period; copies not finished are handed back
     */
    void run(BooleanSupplier scanDone) throws InterruptedException {
        JetStreamSubscription sub = null;
        try {
            while (!stopping) {
                boolean draining = scanDone != null && scanDone.getAsBoolean();
                int free = takeSlots();
                if (stopping) {
                    slots.release(free);
                    break;
                }
                Pulled pulled = new Pulled(free);
                boolean failed = false;
                try {
                    if (sub == null) {
                        sub = queue.subscribe(workflow.name());
                    }
                    long wait = draining ? 0 : scanDone != null ? SCANNING_POLL_MILLIS : SERVICE_POLL_MILLIS;
                    pull(sub, pulled, wait);
                    metrics.queueOperation(workflow.name(), "fetch", true);
                } catch (IOException | RuntimeException e) {
                    metrics.queueOperation(workflow.name(), "fetch", false);
                    // Connection lost, consumer momentarily unavailable: wait and carry on with a new subscription.
                    // Messages received before the failure are being copied already.
                    LOG.warn("workflow {}: fetching messages failed after {} message(s), retrying: {}",
                            workflow.name(), pulled.count(), e.toString());
                    unsubscribe(sub);
                    sub = null;
                    failed = true;
                } finally {
                    // Whatever ended the request (also an interrupt): free the slots no message came for.
                    slots.release(free - pulled.count());
                    pulled.notifyWebhook();
                }
                if (failed) {
                    pause(RETRY_MILLIS);
                    continue;
                }
                if (pulled.count() == 0 && draining) {
                    // An ack the server has not processed yet still counts as awaiting an ack, so "drained" cannot
                    // be seen too early; messages waiting for a delayed retry count as awaiting an ack too.
                    if (idle()) {
                        if (drained()) {
                            return;
                        }
                        pause(DRAIN_IDLE_WAIT_MILLIS);
                    } else {
                        pause(DRAIN_WAIT_MILLIS);
                    }
                }
            }
        } catch (InterruptedException e) {
            // The grace period is over. The exception cleared the interrupt status: set it again, so that
            // awaitInFlight interrupts the copies and hands their messages back rather than waiting for them.
            Thread.currentThread().interrupt();
            throw e;
        } finally {
            // First end the subscription, so that no pull request of ours is left at the server: a message handed
            // back below would be redelivered to it at once and then wait out the ack wait in a process that is
            // stopping. The copies in flight ack or hand back without it.
            boolean interrupted = Thread.interrupted(); // the NATS client drops what an interrupted thread sends
            try {
                handBackUnread(sub);
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            awaitInFlight();
        }
    }

    /**
     * Hands back the messages delivered to the subscription and not read (a pull request still open when the loop
     * ended), then unsubscribes. The server handles the unsubscription before anything sent later on the connection,
     * so no later NAK is redelivered to this subscription.
     */
    private void handBackUnread(JetStreamSubscription sub) {
        if (sub == null) {
            return;
        }
        boolean interrupted = false;
        try {
            for (Message m = sub.nextMessage(Duration.ofMillis(1)); m != null; m = sub.nextMessage(Duration.ofMillis(1))) {
                m.nak();
                transfer.handedBack(false);
            }
        } catch (InterruptedException e) {
            interrupted = true;
        } catch (RuntimeException e) {
            LOG.debug("workflow {}: reading what was delivered while stopping failed: {}", workflow.name(), e.toString());
        }
        unsubscribe(sub);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * One request for up to {@code pulled.wanted} messages, each handed to a copy thread as it arrives. Returns when
     * the server ended the request (everything available was delivered, or the poll expired) or the batch is full.
     * Messages that arrive while stopping are handed back at once.
     */
    private void pull(JetStreamSubscription sub, Pulled pulled, long waitMillis) throws InterruptedException {
        PullRequestOptions.Builder request = PullRequestOptions.builder(pulled.wanted).noWait();
        if (waitMillis > 0) {
            request.expiresIn(waitMillis);
        }
        sub.pull(request.build());
        Duration readTimeout = Duration.ofMillis(waitMillis + READ_MARGIN_MILLIS);
        while (pulled.count() < pulled.wanted) {
            Message m = sub.nextMessage(readTimeout);
            if (m == null) {
                return; // the request ended: nothing more is available now
            }
            if (stopping) {
                m.nak(); // another dequeuer (or the next run) takes it at once
                transfer.handedBack(false);
                pulled.skipped++;
                slots.release();
                continue;
            }
            pulled.results.add(submit(m));
        }
    }

    /** The messages of one pull request. */
    private final class Pulled {
        final int wanted;
        final List<CompletableFuture<List<URI>>> results;
        int skipped;

        Pulled(int wanted) {
            this.wanted = wanted;
            this.results = new ArrayList<>(wanted);
        }

        /** @return how many messages arrived, copied or handed back */
        int count() {
            return results.size() + skipped;
        }

        /** Once every copy of this request is settled, tells the webhook what was stored. */
        void notifyWebhook() {
            if (results.isEmpty() || workflow.webhook().isEmpty()) {
                return;
            }
            URI url = workflow.webhook().get();
            CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenRun(() -> {
                List<URI> stored = new ArrayList<>();
                results.forEach(r -> stored.addAll(r.join()));
                webhook.submit(workflow.name(), url, workflow.webhookSecret(), stored);
            });
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

    /** Hands a message to a copy thread; the slot it holds is released when the copy is settled. */
    private CompletableFuture<List<URI>> submit(Message m) {
        CompletableFuture<List<URI>> result = new CompletableFuture<>();
        inFlight.add(m);
        try {
            workers.execute(() -> {
                try {
                    result.complete(transfer.handle(m));
                } catch (RuntimeException | Error e) {
                    LOG.error("workflow {}: unexpected failure handling a message", workflow.name(), e);
                    result.complete(List.of());
                } finally {
                    inFlight.remove(m);
                    slots.release();
                    wakeUp();
                }
            });
        } catch (RejectedExecutionException e) {
            // Shutting down: hand it back at once.
            inFlight.remove(m);
            m.nak();
            transfer.handedBack(false);
            slots.release();
            result.complete(List.of());
        }
        return result;
    }

    private void wakeUp() {
        synchronized (settled) {
            settled.notifyAll();
        }
    }

    /** Waits up to {@code millis}, or until a copy is settled or the dequeuer is stopped. */
    private void pause(long millis) throws InterruptedException {
        synchronized (settled) {
            if (!stopping) {
                settled.wait(millis);
            }
        }
    }

    /**
     * Waits until every copy in progress is settled. On interrupt (the grace period is over), interrupts them: they
     * hand back their messages themselves; a copy still blocked after {@code INTERRUPT_MILLIS} (a socket read that
     * ignores interrupts, say) has its message handed back here, so that another dequeuer can take it at once.
     */
    private void awaitInFlight() throws InterruptedException {
        try {
            slots.acquire(workflow.concurrency());
            slots.release(workflow.concurrency());
        } catch (InterruptedException e) {
            workers.shutdownNow();
            boolean settled = false;
            try {
                settled = slots.tryAcquire(workflow.concurrency(), INTERRUPT_MILLIS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException again) {
                // handing back at once
            }
            if (settled) {
                slots.release(workflow.concurrency());
            } else {
                for (Message m : inFlight) {
                    if (inFlight.remove(m)) {
                        LOG.warn("workflow {}: a copy did not stop when interrupted; handing its message {} back to "
                                + "the queue", workflow.name(), sequence(m));
                        m.nak();
                        transfer.handedBack(true);
                    }
                }
            }
            throw e;
        }
    }

    private static String sequence(Message m) {
        try {
            return "#" + m.metaData().streamSequence();
        } catch (RuntimeException e) {
            return "on " + m.getSubject();
        }
    }

    private void unsubscribe(JetStreamSubscription sub) {
        if (sub == null) {
            return;
        }
        try {
            sub.unsubscribe();
        } catch (RuntimeException e) {
            LOG.debug("workflow {}: unsubscribing failed: {}", workflow.name(), e.toString());
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
