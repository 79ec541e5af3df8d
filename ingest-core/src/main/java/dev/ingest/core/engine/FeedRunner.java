package dev.ingest.core.engine;

import dev.ingest.api.Codec;
import dev.ingest.api.FeedContext;
import dev.ingest.api.ObjectFeed;
import dev.ingest.core.config.WorkflowConfig;
import dev.ingest.core.metrics.IngestMetrics;
import dev.ingest.core.queue.JetStreamQueue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs one workflow's {@link ObjectFeed} (a source's notifications of new objects) and queues what it hands over:
 * the enqueue side of a workflow whose source is notified rather than (only) scanned.
 *
 * <p>Objects are published as a scan publishes them ({@link JetStreamQueue#publishAsync}, the same message ids), at
 * most {@value #WINDOW} unconfirmed at once. The stage {@link #queue} returns completes once every object of the
 * call is stored, which is when the feed acknowledges the notification at its origin. A feed that fails is run again
 * after a growing delay (a {@code once} run fails instead).
 *
 * <p>Thread-safe: the feed may hand objects over from several threads.
 */
final class FeedRunner implements FeedContext {

    private static final Logger LOG = LoggerFactory.getLogger(FeedRunner.class);
    static final int WINDOW = 1024;

    private final JetStreamQueue queue;
    private final WorkflowConfig workflow;
    private final ObjectFeed feed;
    private final RunStats stats;
    private final IngestMetrics metrics;
    private final boolean once;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final Semaphore window = new Semaphore(WINDOW);

    FeedRunner(JetStreamQueue queue, WorkflowConfig workflow, ObjectFeed feed, RunStats stats, IngestMetrics metrics,
               boolean once) {
        this.queue = queue;
        this.workflow = workflow;
        this.feed = feed;
        this.stats = stats;
        this.metrics = metrics;
        this.once = once;
    }

    /**
     * Runs the feed until stopped ({@code once}: until it handed over what was waiting), again after failures.
     *
     * @throws IOException in a {@code once} run, when the feed failed
     * @throws InterruptedException if interrupted
     */
    void run() throws IOException, InterruptedException {
        MDC.put("workflow", workflow.name());
        long delay = 500;
        try {
            while (!stopping()) {
                try {
                    feed.run(this);
                    if (once) {
                        return;
                    }
                    delay = 500;
                    stop.await(delay, TimeUnit.MILLISECONDS);
                } catch (IOException | RuntimeException e) {
                    if (once) {
                        throw e instanceof IOException io ? io : new IOException(e.toString(), e);
                    }
                    LOG.error("workflow {}: notifications of source {} failed, receiving again in {} ms: {}",
                            workflow.name(), workflow.source(), delay, e.toString());
                    if (stop.await(delay, TimeUnit.MILLISECONDS)) {
                        return;
                    }
                    delay = Math.min(delay * 2, 30_000);
                }
            }
        } finally {
            try { // every publish settled, so that nothing is confirmed after the run
                if (window.tryAcquire(WINDOW, 30, TimeUnit.SECONDS)) {
                    window.release(WINDOW);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            MDC.remove("workflow");
        }
    }

    /** Stops the feed: {@link #stopping()} turns true and {@link #awaitStop} returns. */
    void stop() {
        stop.countDown();
    }

    @Override
    public CompletionStage<Void> queue(List<Codec> objects) throws InterruptedException {
        CompletableFuture<?>[] acks = new CompletableFuture<?>[objects.size()];
        for (int i = 0; i < objects.size(); i++) {
            Codec codec = objects.get(i);
            stats.listed();
            window.acquire();
            CompletableFuture<Void> done = new CompletableFuture<>();
            acks[i] = done;
            try {
                queue.publishAsync(workflow.name(), codec, List.of()).whenComplete((ack, error) -> {
                    window.release();
                    if (error != null) {
                        metrics.queueOperation(workflow.name(), "publish", false);
                        metrics.enqueued(workflow.name(), workflow.source(), false);
                        done.completeExceptionally(error);
                    } else {
                        stats.queued(ack.isDuplicate());
                        metrics.queueOperation(workflow.name(), "publish", true);
                        metrics.enqueued(workflow.name(), workflow.source(), true);
                        done.complete(null);
                    }
                });
            } catch (RuntimeException e) {
                window.release();
                metrics.queueOperation(workflow.name(), "publish", false);
                done.completeExceptionally(e);
            }
        }
        return CompletableFuture.allOf(acks);
    }

    @Override
    public void deadLetter(String id, byte[] body, String reason, String origin) throws IOException {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(JetStreamQueue.HEADER_WORKFLOW, workflow.name());
        headers.put(JetStreamQueue.HEADER_REASON, reason);
        headers.put(JetStreamQueue.HEADER_ATTEMPTS, "1");
        headers.put(JetStreamQueue.HEADER_LAST_ERROR, reason);
        headers.put(JetStreamQueue.HEADER_ORIGINAL_SUBJECT, origin);
        try {
            long seq = queue.publishDeadLetter(workflow.name(), body, headers,
                    Optional.of("notification-" + workflow.name() + "-" + hash(origin + "\n" + id)));
            metrics.queueOperation(workflow.name(), "dead_letter", true);
            metrics.deadLettered(workflow.name());
            LOG.warn("workflow {}: notification {} from {} dead-lettered (#{}): {}", workflow.name(), id, origin, seq,
                    reason);
            if (once) {
                stats.failed("workflow " + workflow.name() + ": notification " + id + " from " + origin
                        + " was dead-lettered: " + reason);
            }
        } catch (IOException | RuntimeException e) {
            metrics.queueOperation(workflow.name(), "dead_letter", false);
            throw e instanceof IOException io ? io : new IOException(e.toString(), e);
        }
    }

    private static String hash(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8)), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String queueEndpoint() {
        return queue.settings().endpoint();
    }

    @Override
    public boolean once() {
        return once;
    }

    @Override
    public boolean stopping() {
        return stop.getCount() == 0;
    }

    @Override
    public boolean awaitStop(Duration timeout) throws InterruptedException {
        return stop.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }
}
