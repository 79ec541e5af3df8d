package dev.ingest.api;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * What the engine gives an {@link ObjectFeed} while it runs: a sink for objects, the workflow's dead letters, and the
 * signals of the run. Implemented by the engine.
 *
 * <p>Thread-safety: every method may be called from any thread, concurrently (a feed may receive on several threads).
 */
public interface FeedContext {

    /**
     * Queues objects, one message each, as a scan would (the same message ids, so an object queued twice within the
     * duplicate window is stored once).
     *
     * @param objects the objects of one notification, in order; may be empty
     * @return completes when JetStream stored every one of them; completes exceptionally when one could not be
     *     stored (the feed then leaves the notification unacknowledged, so that it comes back)
     * @throws InterruptedException if interrupted while waiting for room in the engine's window of publishes
     */
    CompletionStage<Void> queue(List<Codec> objects) throws InterruptedException;

    /**
     * Publishes a notification the feed cannot use to the workflow's dead letters, with the reason, and waits for
     * JetStream's ack. The feed acknowledges the notification to its origin only after this returned.
     *
     * @param id what identifies the notification at its origin (an SQS message id), so that one dead-lettered again
     *     after a crash is stored once
     * @param body the notification as received
     * @param reason why it cannot be used, naming what is wrong
     * @param origin where it came from (the queue URL, the subject), for the dead letter's headers
     * @throws IOException if the dead letter was not stored (the feed leaves the notification unacknowledged)
     */
    void deadLetter(String id, byte[] body, String reason, String origin) throws IOException;

    /**
     * The NATS URL of the engine's queue: where a feed that reads a NATS subject connects unless its configuration
     * names another server. It may carry credentials: never log it.
     *
     * @return the URL
     */
    String queueEndpoint();

    /**
     * Whether this is a {@code --once} run: the feed hands over what is waiting, then returns.
     *
     * @return true in a {@code --once} run
     */
    boolean once();

    /**
     * Whether the engine is stopping: {@link ObjectFeed#run} should return soon.
     *
     * @return true once stopping
     */
    boolean stopping();

    /**
     * Waits until the engine stops or the time is up, whichever comes first.
     *
     * @param timeout the longest wait
     * @return true if the engine is stopping
     * @throws InterruptedException if interrupted
     */
    boolean awaitStop(Duration timeout) throws InterruptedException;
}
