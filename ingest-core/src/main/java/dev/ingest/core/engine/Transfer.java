package dev.ingest.core.engine;

import dev.ingest.api.Blob;
import dev.ingest.api.Codec;
import dev.ingest.api.Destination;
import dev.ingest.api.PoisonException;
import dev.ingest.api.Presence;
import dev.ingest.api.Source;
import dev.ingest.core.config.Durations;
import dev.ingest.core.config.WorkflowConfig;
import dev.ingest.core.metrics.IngestMetrics;
import dev.ingest.core.queue.CodecJson;
import dev.ingest.core.queue.JetStreamQueue;
import dev.ingest.core.records.RecordStatus;
import io.nats.client.Message;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Handles one message: stat every destination, download once, store where missing, clean up when asked, and
 * only then ack. A retryable failure NAKs with a growing delay; a poison object, a malformed message or
 * exhausted attempts go to the dead-letter subject, then the message is terminated. Thread-safe: one instance
 * serves all of a workflow's worker threads.
 */
final class Transfer {

    private static final Logger LOG = LoggerFactory.getLogger(Transfer.class);

    private final JetStreamQueue queue;
    private final WorkflowConfig workflow;
    private final Source source;
    private final List<Named<Destination>> destinations;
    private final RunStats stats;
    private final ScheduledExecutorService ticker;
    private final Duration progressEvery;
    private final IngestMetrics metrics;
    private final RecordStatus status;
    private final String sourceType;

    /** A configured plugin instance with its name and type, for metrics and messages. */
    record Named<T>(String name, String type, T plugin) {
    }

    Transfer(JetStreamQueue queue, WorkflowConfig workflow, Named<Source> source, List<Named<Destination>> destinations,
             RunStats stats, ScheduledExecutorService ticker, IngestMetrics metrics, RecordStatus status) {
        this.queue = queue;
        this.workflow = workflow;
        this.source = source.plugin();
        this.sourceType = source.type();
        this.destinations = List.copyOf(destinations);
        this.stats = stats;
        this.ticker = ticker;
        this.progressEvery = queue.settings().ackWait().dividedBy(3);
        this.metrics = metrics;
        this.status = status;
    }

    /**
     * Processes a message and settles it (ack, NAK or dead letter + term).
     *
     * @param msg the message
     * @return the URIs newly stored, for the webhook
     */
    List<URI> handle(Message msg) {
        long attempt = attempts(msg);
        if (attempt > 1) {
            metrics.redelivered(workflow.name());
        }
        metrics.inFlight(workflow.name(), 1);
        stats.copyStarted();
        try {
            return settle(msg, attempt);
        } finally {
            stats.copyEnded();
            metrics.inFlight(workflow.name(), -1);
        }
    }

    private List<URI> settle(Message msg, long attempt) {
        Codec codec;
        try {
            codec = CodecJson.decode(msg.getData());
        } catch (IllegalArgumentException e) {
            deadLetter(msg, null, attempt, "malformed message: " + e.getMessage(), null);
            return List.of();
        }
        MDC.put("workflow", workflow.name());
        MDC.put("object", codec.name());
        ScheduledFuture<?> keepAlive = ticker.scheduleAtFixedRate(msg::inProgress,
                progressEvery.toMillis(), progressEvery.toMillis(), TimeUnit.MILLISECONDS);
        try {
            // On a certain first delivery, trust the scan's listing of the destinations that lacked it; on any doubt
            // (a redelivery after a crash or a failure, maybe midway) ask every destination again.
            List<URI> stored = copy(codec, certainlyFirstDelivery(msg, attempt) ? JetStreamQueue.lackingAt(msg)
                    : List.of());
            keepAlive.cancel(false);
            msg.ack();
            metrics.queueOperation(workflow.name(), "ack", true);
            metrics.dequeued(workflow.name(), true);
            return stored;
        } catch (PoisonException e) {
            keepAlive.cancel(false);
            deadLetter(msg, codec, attempt, e.getMessage(), null);
        } catch (InterruptedException | ClosedByInterruptException e) {
            keepAlive.cancel(false);
            handBack(msg, codec);
        } catch (InterruptedIOException e) {
            keepAlive.cancel(false);
            // A socket timeout is an InterruptedIOException too: only a real interrupt means shutdown.
            if (Thread.currentThread().isInterrupted()) {
                handBack(msg, codec);
            } else {
                retryOrGiveUp(msg, codec, attempt, e);
            }
        } catch (IOException | RuntimeException e) {
            keepAlive.cancel(false);
            retryOrGiveUp(msg, codec, attempt, e);
        } finally {
            keepAlive.cancel(false);
            MDC.remove("workflow");
            MDC.remove("object");
        }
        return List.of();
    }

    /**
     * Counts a message handed back to the queue while stopping by the dequeuer rather than by its copy.
     *
     * @param started whether its copy had started (and did not stop when interrupted)
     */
    void handedBack(boolean started) {
        stats.handedBack(started);
    }

    private void handBack(Message msg, Codec codec) {
        LOG.info("interrupted while copying {}; handing it back to the queue", codec.name());
        // The NATS client silently drops a publish from an interrupted thread (its outgoing queue is locked
        // interruptibly), and a NAK is a publish: send it with the interrupt status cleared, then restore it.
        Thread.interrupted();
        try {
            msg.nak(); // shutting down: another dequeuer takes it at once
        } finally {
            Thread.currentThread().interrupt();
        }
        stats.handedBack(true);
        metrics.queueOperation(workflow.name(), "nak", true);
    }

    /**
     * Whether this is certainly the message's first delivery. The delivery count alone is not proof: a server that
     * restarts can lose a consumer's delivery counts, and a message delivered (maybe copied, its ack lost) before the
     * restart comes back counted as a first delivery. So a message also counts as delivered before when it was stored
     * before the current connection to NATS was made (or re-made): an earlier connection or process may have had it.
     * Clocks are assumed roughly in step (NTP); should they not be, the worst outcome is a copy that was not needed.
     */
    private boolean certainlyFirstDelivery(Message msg, long attempt) {
        if (attempt != 1) {
            return false;
        }
        try {
            return !msg.metaData().timestamp().toInstant().isBefore(queue.connectedSince());
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static long attempts(Message msg) {
        try {
            return msg.metaData().deliveredCount();
        } catch (RuntimeException e) {
            return 1;
        }
    }

    private List<URI> copy(Codec codec, List<String> lackingAt) throws IOException, InterruptedException {
        List<Named<Destination>> missing = new ArrayList<>();
        for (Named<Destination> d : destinations) {
            if (lackingAt.contains(d.name())) {
                missing.add(d);
                continue;
            }
            Optional<Presence> held = timed(d, "stat", () -> d.plugin().check(codec));
            // Before the source object is deleted, only a presence proven to be this version counts: a rewritten
            // object of the same size is copied again rather than deleted uncopied.
            if (held.isEmpty() || workflow.cleanUp() && !held.get().verified()) {
                missing.add(d);
            }
        }
        if (missing.isEmpty()) {
            cleanUp(codec);
            stats.skipped();
            metrics.skipped(workflow.name());
            LOG.debug("{} is already at every destination", codec.name());
            return List.of();
        }
        List<URI> stored = new ArrayList<>();
        long bytes;
        try (Blob downloaded = client("download", () -> source.download(codec))) {
            CountingStream counting = new CountingStream(downloaded.stream());
            if (missing.size() == 1) {
                Blob blob = withOrigin(downloaded, downloaded.length().isPresent()
                        ? Blob.of(counting, downloaded.length().getAsLong(), downloaded.contentType())
                        : Blob.ofUnknownLength(counting, downloaded.contentType()));
                stored.add(store(missing.get(0), codec, blob));
                // A destination that copied server-side read nothing: count what the source announced.
                bytes = counting.count > 0 ? counting.count : downloaded.length().orElse(0);
            } else {
                // Several destinations: spool once, so the source is read once and memory stays bounded.
                Path spool = Files.createTempFile("ingest-spool-", ".tmp");
                try {
                    Files.copy(counting, spool, StandardCopyOption.REPLACE_EXISTING);
                    bytes = counting.count;
                    if (downloaded.length().isPresent() && downloaded.length().getAsLong() != bytes) {
                        throw new IOException("source returned " + bytes + " bytes for " + codec.name()
                                + " but announced " + downloaded.length().getAsLong());
                    }
                    for (Named<Destination> d : missing) {
                        if (Thread.currentThread().isInterrupted()) {
                            throw new InterruptedException();
                        }
                        stored.add(store(d, codec,
                                withOrigin(downloaded, Blob.of(Files.newInputStream(spool), bytes, downloaded.contentType()))));
                    }
                } finally {
                    Files.deleteIfExists(spool);
                }
            }
        }
        cleanUp(codec);
        stats.copied(bytes);
        metrics.copied(workflow.name(), bytes);
        status.copied(workflow.name(), bytes); // the totals over every process, for the API and ingest status
        LOG.debug("copied {} ({} bytes) to {}", codec.name(), bytes, missing.stream().map(Named::name).toList());
        return stored;
    }

    /** Keeps the source's origin on a re-wrapped blob, so destinations can still copy server-side. */
    private static Blob withOrigin(Blob from, Blob to) {
        return from.origin().map(to::withOrigin).orElse(to);
    }

    private URI store(Named<Destination> d, Codec codec, Blob blob) throws IOException {
        try (blob) {
            return timed(d, "store", () -> d.plugin().store(codec, blob));
        }
    }

    private void cleanUp(Codec codec) throws IOException {
        if (workflow.cleanUp()) {
            client("cleanup", () -> {
                source.cleanUp(codec);
                return null;
            });
        }
    }

    /** A call into a plugin that may fail with an {@link IOException}. */
    @FunctionalInterface
    interface IoCall<T> {
        T call() throws IOException;
    }

    private <T> T timed(Named<Destination> destination, String operation, IoCall<T> call) throws IOException {
        return timed(metrics, workflow.name(), destination, operation, call);
    }

    /**
     * Calls a destination, counting the call and its duration in the storage metrics (the dequeuer's and the
     * batcher's calls alike).
     */
    static <T> T timed(IngestMetrics metrics, String workflow, Named<Destination> destination, String operation,
                       IoCall<T> call) throws IOException {
        long start = System.nanoTime();
        boolean ok = false;
        try {
            T result = call.call();
            ok = true;
            return result;
        } finally {
            metrics.storageOperation(workflow, destination.name(), destination.type(), operation, ok,
                    (System.nanoTime() - start) / 1e9);
        }
    }

    private <T> T client(String operation, IoCall<T> call) throws IOException {
        boolean ok = false;
        try {
            T result = call.call();
            ok = true;
            return result;
        } finally {
            metrics.clientOperation(workflow.name(), workflow.source(), sourceType, operation, ok);
        }
    }

    private void retryOrGiveUp(Message msg, Codec codec, long attempt, Exception e) {
        if (attempt >= workflow.maxDeliver()) {
            deadLetter(msg, codec, attempt, "gave up after " + attempt + " attempts", e.toString());
            return;
        }
        Duration delay = workflow.retryDelay(attempt);
        stats.retried();
        stats.event("copy_failed", workflow.name(), Map.of("object", codec.name(), "attempt", attempt,
                "error", e.toString()));
        metrics.dequeued(workflow.name(), false);
        metrics.queueOperation(workflow.name(), "nak", true);
        LOG.warn("attempt {} of {} to copy {} failed, retrying in {}: {}", attempt, workflow.maxDeliver(),
                codec.name(), Durations.format(delay), e.toString());
        msg.nakWithDelay(delay);
    }

    private void deadLetter(Message msg, Codec codec, long attempt, String reason, String lastError) {
        String what = codec == null ? "message " + sequence(msg) : "object '" + codec.name() + "'";
        long deadLetter;
        try {
            deadLetter = queue.publishDeadLetter(workflow.name(), msg.getData(), Map.of(
                    JetStreamQueue.HEADER_WORKFLOW, workflow.name(),
                    JetStreamQueue.HEADER_REASON, reason,
                    JetStreamQueue.HEADER_ATTEMPTS, Long.toString(attempt),
                    JetStreamQueue.HEADER_LAST_ERROR, lastError == null ? reason : lastError,
                    JetStreamQueue.HEADER_ORIGINAL_SUBJECT, msg.getSubject()), deadLetterId(msg));
        } catch (IOException | RuntimeException e) {
            metrics.queueOperation(workflow.name(), "dead_letter", false);
            metrics.dequeued(workflow.name(), false);
            // Never drop it: keep it on the workflow's subject and try again later.
            LOG.error("could not dead-letter {} of workflow {} ({}); it stays queued: {}", what, workflow.name(),
                    reason, e.toString());
            msg.nakWithDelay(workflow.retryDelay(attempt));
            metrics.queueOperation(workflow.name(), "nak", true);
            return;
        }
        metrics.queueOperation(workflow.name(), "dead_letter", true);
        msg.term();
        metrics.queueOperation(workflow.name(), "term", true);
        metrics.deadLettered(workflow.name());
        metrics.dequeued(workflow.name(), false);
        String why = reason + (lastError == null ? "" : "; last error: " + lastError);
        stats.failed(codec == null ? null : codec.name(), "workflow " + workflow.name() + ": " + what + ": " + why);
        stats.event("dead_letter", workflow.name(), Map.of("object", codec == null ? "" : codec.name(),
                "sequence", deadLetter, "reason", why));
        LOG.error("dead-lettered {} of workflow {} to {} as #{}: {}", what, workflow.name(),
                queue.settings().deadLetterSubjectOf(workflow.name()), deadLetter, why);
    }

    /**
     * The dead letter's de-duplication id, from the stream and sequence of the message: should the process die after
     * publishing the dead letter but before terminating the message, its redelivery is not dead-lettered twice.
     */
    private Optional<String> deadLetterId(Message msg) {
        try {
            return Optional.of("dead-" + queue.settings().stream() + "-" + msg.metaData().streamSequence());
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static String sequence(Message msg) {
        try {
            return "#" + msg.metaData().streamSequence();
        } catch (RuntimeException e) {
            return "on " + msg.getSubject();
        }
    }

    /** Counts the bytes read through it. */
    private static final class CountingStream extends FilterInputStream {
        long count;

        CountingStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            count += skipped;
            return skipped;
        }
    }
}
