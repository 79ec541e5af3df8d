package dev.ingest.api;

import java.io.Closeable;
import java.io.IOException;

/**
 * A source's notifications of new objects (S3 event notifications over SQS or NATS): what the source reads instead
 * of scanning, or besides its scans. Obtained from {@link Source#feed(String)}, one per workflow.
 *
 * <p>Lifecycle: {@link #run(FeedContext)} is called on a thread the engine owns, once at a time (again after it
 * failed, after a growing delay); {@link #close()} once at the end.
 *
 * <p>Delivery: the feed hands each notification's objects to {@link FeedContext#queue} and acknowledges the
 * notification to its origin (deletes the SQS message, acks the NATS message) only once the returned stage
 * completed, that is once JetStream stored every object it names. A notification that is not one the feed
 * understands, or that names objects outside the source's bucket and prefix, goes to
 * {@link FeedContext#deadLetter} before it is acknowledged: nothing is dropped silently.
 */
public interface ObjectFeed extends Closeable {

    /**
     * Receives notifications and hands their objects over until the context says stop. With
     * {@link FeedContext#once()}, returns once no notification is waiting.
     *
     * @param context the sink and the run's signals
     * @throws IOException if receiving failed; the engine logs it and calls {@code run} again after a growing delay
     *     (a {@code --once} run fails)
     * @throws InterruptedException if interrupted (the engine is shutting down)
     */
    void run(FeedContext context) throws IOException, InterruptedException;

    /**
     * Releases connections and threads. Idempotent. The default does nothing.
     *
     * @throws IOException if releasing failed; the engine logs it
     */
    @Override
    default void close() throws IOException {
    }
}
