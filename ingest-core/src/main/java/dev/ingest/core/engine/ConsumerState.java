package dev.ingest.core.engine;

import dev.ingest.core.queue.JetStreamQueue;
import io.nats.client.api.ConsumerInfo;
import java.io.IOException;

/** A workflow consumer's pending counts for metrics, read from JetStream at most once a second. */
final class ConsumerState {

    private static final long MAX_AGE_NANOS = 1_000_000_000L;

    private final JetStreamQueue queue;
    private final String workflow;
    private long readAt;
    private long pending = -1;
    private long ackPending = -1;

    ConsumerState(JetStreamQueue queue, String workflow) {
        this.queue = queue;
        this.workflow = workflow;
    }

    synchronized long pending() {
        refresh();
        return pending;
    }

    synchronized long ackPending() {
        refresh();
        return ackPending;
    }

    private void refresh() {
        long now = System.nanoTime();
        if (readAt != 0 && now - readAt < MAX_AGE_NANOS) {
            return;
        }
        readAt = now;
        try {
            ConsumerInfo info = queue.consumerInfo(workflow);
            pending = info.getNumPending();
            ackPending = info.getNumAckPending();
        } catch (IOException | RuntimeException e) {
            pending = -1;
            ackPending = -1;
        }
    }
}
