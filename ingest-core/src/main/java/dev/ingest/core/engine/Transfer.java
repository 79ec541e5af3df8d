package dev.ingest.core.engine;

import dev.ingest.api.Blob;
import dev.ingest.api.Codec;
import dev.ingest.api.Destination;
import dev.ingest.api.PoisonException;
import dev.ingest.api.Source;
import dev.ingest.core.config.Durations;
import dev.ingest.core.config.WorkflowConfig;
import dev.ingest.core.queue.CodecJson;
import dev.ingest.core.queue.JetStreamQueue;
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
import java.util.LinkedHashMap;
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
    private final Map<String, Destination> destinations;
    private final RunStats stats;
    private final ScheduledExecutorService ticker;
    private final Duration progressEvery;

    Transfer(JetStreamQueue queue, WorkflowConfig workflow, Source source, Map<String, Destination> destinations,
             RunStats stats, ScheduledExecutorService ticker) {
        this.queue = queue;
        this.workflow = workflow;
        this.source = source;
        this.destinations = new LinkedHashMap<>(destinations);
        this.stats = stats;
        this.ticker = ticker;
        this.progressEvery = queue.settings().ackWait().dividedBy(3);
    }

    /**
     * Processes a message and settles it (ack, NAK or dead letter + term).
     *
     * @param msg the message
     * @return the URIs newly stored, for the webhook
     */
    List<URI> handle(Message msg) {
        long attempt = attempts(msg);
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
            List<URI> stored = copy(codec);
            keepAlive.cancel(false);
            msg.ack();
            return stored;
        } catch (PoisonException e) {
            keepAlive.cancel(false);
            deadLetter(msg, codec, attempt, e.getMessage(), null);
        } catch (InterruptedException | InterruptedIOException | ClosedByInterruptException e) {
            keepAlive.cancel(false);
            LOG.info("interrupted while copying {}; handing it back to the queue", codec.name());
            msg.nak(); // shutting down: another dequeuer takes it at once
            Thread.currentThread().interrupt();
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

    private static long attempts(Message msg) {
        try {
            return msg.metaData().deliveredCount();
        } catch (RuntimeException e) {
            return 1;
        }
    }

    private List<URI> copy(Codec codec) throws IOException, InterruptedException {
        List<URI> present = new ArrayList<>();
        Map<String, Destination> missing = new LinkedHashMap<>();
        for (Map.Entry<String, Destination> d : destinations.entrySet()) {
            Optional<URI> there = d.getValue().stat(codec);
            if (there.isPresent()) {
                present.add(there.get());
            } else {
                missing.put(d.getKey(), d.getValue());
            }
        }
        if (missing.isEmpty()) {
            cleanUp(codec);
            stats.skipped();
            LOG.debug("{} is already at every destination", codec.name());
            return List.of();
        }
        List<URI> stored = new ArrayList<>();
        long bytes;
        try (Blob downloaded = source.download(codec)) {
            CountingStream counting = new CountingStream(downloaded.stream());
            if (missing.size() == 1) {
                Blob blob = downloaded.length().isPresent()
                        ? Blob.of(counting, downloaded.length().getAsLong(), downloaded.contentType())
                        : Blob.ofUnknownLength(counting, downloaded.contentType());
                stored.add(store(missing.values().iterator().next(), codec, blob));
                bytes = counting.count;
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
                    for (Destination d : missing.values()) {
                        if (Thread.currentThread().isInterrupted()) {
                            throw new InterruptedException();
                        }
                        stored.add(store(d, codec, Blob.of(Files.newInputStream(spool), bytes, downloaded.contentType())));
                    }
                } finally {
                    Files.deleteIfExists(spool);
                }
            }
        }
        cleanUp(codec);
        stats.copied(bytes);
        LOG.debug("copied {} ({} bytes) to {}", codec.name(), bytes, missing.keySet());
        return stored;
    }

    private static URI store(Destination d, Codec codec, Blob blob) throws IOException {
        try (blob) {
            return d.store(codec, blob);
        }
    }

    private void cleanUp(Codec codec) throws IOException {
        if (workflow.cleanUp()) {
            source.cleanUp(codec);
        }
    }

    private void retryOrGiveUp(Message msg, Codec codec, long attempt, Exception e) {
        if (attempt >= workflow.maxDeliver()) {
            deadLetter(msg, codec, attempt, "gave up after " + attempt + " attempts", e.toString());
            return;
        }
        Duration delay = workflow.retryDelay(attempt);
        stats.retried();
        LOG.warn("attempt {} of {} to copy {} failed, retrying in {}: {}", attempt, workflow.maxDeliver(),
                codec.name(), Durations.format(delay), e.toString());
        msg.nakWithDelay(delay);
    }

    private void deadLetter(Message msg, Codec codec, long attempt, String reason, String lastError) {
        String what = codec == null ? "message " + sequence(msg) : "object '" + codec.name() + "'";
        try {
            queue.publishDeadLetter(workflow.name(), msg.getData(), Map.of(
                    JetStreamQueue.HEADER_WORKFLOW, workflow.name(),
                    JetStreamQueue.HEADER_REASON, reason,
                    JetStreamQueue.HEADER_ATTEMPTS, Long.toString(attempt),
                    JetStreamQueue.HEADER_LAST_ERROR, lastError == null ? reason : lastError,
                    JetStreamQueue.HEADER_ORIGINAL_SUBJECT, msg.getSubject()));
        } catch (IOException | RuntimeException e) {
            // Never drop it: keep it on the workflow's subject and try again later.
            LOG.error("could not dead-letter {} of workflow {} ({}); it stays queued: {}", what, workflow.name(),
                    reason, e.toString());
            msg.nakWithDelay(workflow.maxBackoff());
            return;
        }
        msg.term();
        String why = reason + (lastError == null ? "" : "; last error: " + lastError);
        stats.failed("workflow " + workflow.name() + ": " + what + ": " + why);
        LOG.error("dead-lettered {} of workflow {} to {}: {}", what, workflow.name(),
                queue.settings().deadLetterSubjectOf(workflow.name()), why);
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
