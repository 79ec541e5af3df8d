package dev.ingest.core.config;

import dev.ingest.api.Secrets;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One entry of {@code workflows:}: copy every object of one source to one or more destinations.
 *
 * @param name unique; used in the queue subject and consumer name, so letters, digits, {@code _} and {@code -}
 * @param source the name of a source
 * @param destinations names of destinations, at least one
 * @param cleanUp delete each object from the source once every destination has it
 * @param interval time between two scans of the source (default 5m)
 * @param batchSize messages fetched at once (default 8)
 * @param concurrency objects copied at once (default: the batch size)
 * @param webhook where to POST the JSON array of stored URIs after each batch; {@code user:password@} in it is sent
 *     as basic authentication
 * @param webhookSecret when present, each webhook request carries {@code X-Ingest-Signature: sha256=<hex>}, the
 *     HMAC-SHA256 of the body under this secret; never logged or printed
 * @param maxDeliver attempts before a failing object is dead-lettered (default 5)
 * @param backoff delay before the first retry; doubles on each attempt (default 1s)
 * @param maxBackoff the longest delay between retries (default 5m)
 * @param listDestinations the enqueuer lists the destinations that can be listed and compares them with the source's
 *     listing: objects every destination already holds are not queued, the others are queued marked with the
 *     destinations that lack them, which the dequeuer then copies to without asking first (default true)
 * @param batch how records (or the lines of objects) are gathered into batch objects; empty for a workflow that
 *     copies objects whole. A workflow whose source reads records always batches (the defaults when absent)
 * @param path where the entry is in the file, e.g. {@code workflows[0]}
 */
public record WorkflowConfig(
        String name,
        String source,
        List<String> destinations,
        boolean cleanUp,
        Duration interval,
        int batchSize,
        int concurrency,
        Optional<URI> webhook,
        Optional<String> webhookSecret,
        int maxDeliver,
        Duration backoff,
        Duration maxBackoff,
        boolean listDestinations,
        Optional<BatchConfig> batch,
        String path) {

    /** Default time between two scans. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofMinutes(5);
    /** Default number of messages fetched at once. */
    public static final int DEFAULT_BATCH_SIZE = 8;
    /** Default number of attempts before dead-lettering. */
    public static final int DEFAULT_MAX_DELIVER = 5;
    /** Default delay before the first retry. */
    public static final Duration DEFAULT_BACKOFF = Duration.ofSeconds(1);
    /** Default longest delay between retries. */
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofMinutes(5);

    /** Validates and copies the fields. */
    public WorkflowConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(source, "source");
        destinations = List.copyOf(destinations);
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(webhook, "webhook");
        Objects.requireNonNull(webhookSecret, "webhookSecret");
        Objects.requireNonNull(backoff, "backoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        Objects.requireNonNull(batch, "batch");
        Objects.requireNonNull(path, "path");
        if (batchSize < 1 || concurrency < 1 || maxDeliver < 1) {
            throw new IllegalArgumentException("batchSize, concurrency and maxDeliver must be at least 1");
        }
    }

    /**
     * A workflow without a {@code batch:} block (the form before it existed).
     *
     * @param name the name
     * @param source the source's name
     * @param destinations the destinations' names
     * @param cleanUp delete objects from the source once stored
     * @param interval time between scans
     * @param batchSize messages fetched at once
     * @param concurrency objects copied at once
     * @param webhook the webhook
     * @param webhookSecret its signing secret
     * @param maxDeliver attempts before dead-lettering
     * @param backoff first retry delay
     * @param maxBackoff longest retry delay
     * @param listDestinations compare listings before queueing
     * @param path where the entry is in the file
     */
    public WorkflowConfig(String name, String source, List<String> destinations, boolean cleanUp, Duration interval,
                          int batchSize, int concurrency, Optional<URI> webhook, Optional<String> webhookSecret,
                          int maxDeliver, Duration backoff, Duration maxBackoff, boolean listDestinations, String path) {
        this(name, source, destinations, cleanUp, interval, batchSize, concurrency, webhook, webhookSecret, maxDeliver,
                backoff, maxBackoff, listDestinations, Optional.empty(), path);
    }

    /**
     * @param batchConfig the batch settings to use
     * @return this workflow with them
     */
    public WorkflowConfig withBatch(BatchConfig batchConfig) {
        return new WorkflowConfig(name, source, destinations, cleanUp, interval, batchSize, concurrency, webhook,
                webhookSecret, maxDeliver, backoff, maxBackoff, listDestinations, Optional.of(batchConfig), path);
    }

    /** Like the record's, but the webhook secret is masked and the webhook URL shown without credentials. */
    @Override
    public String toString() {
        return "WorkflowConfig[name=" + name + ", source=" + source + ", destinations=" + destinations
                + ", cleanUp=" + cleanUp + ", interval=" + interval + ", batchSize=" + batchSize
                + ", concurrency=" + concurrency + ", webhook=" + webhook.map(u -> Secrets.redactUrl(u.toString())).orElse("none")
                + ", webhookSecret=" + (webhookSecret.isPresent() ? "***" : "none") + ", maxDeliver=" + maxDeliver
                + ", backoff=" + backoff + ", maxBackoff=" + maxBackoff + ", listDestinations=" + listDestinations
                + batch.map(b -> ", batch=" + b).orElse("") + "]";
    }

    /**
     * The delay before the next attempt after a failed one.
     *
     * @param attempt how many attempts have been made, from 1
     * @return {@code backoff * 2^(attempt-1)}, at most {@code maxBackoff}
     */
    public Duration retryDelay(long attempt) {
        long shift = Math.min(Math.max(attempt - 1, 0), 30);
        Duration d = backoff.multipliedBy(1L << shift);
        return d.compareTo(maxBackoff) > 0 ? maxBackoff : d;
    }
}
