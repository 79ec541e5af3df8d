package dev.ingest.core.queue;

import java.time.Duration;
import java.util.Objects;

/**
 * How ingest uses NATS JetStream. The defaults match the original tool's flags.
 *
 * @param endpoint the NATS URL, e.g. {@code nats://localhost:4222}
 * @param stream the stream name (default {@code ingest})
 * @param subject the subject prefix (default {@code ingest}): workflow {@code w} uses {@code <subject>.w} and
 *     dead letters go to {@code <subject>.dlq.w}
 * @param consumer the prefix of the durable consumer names: {@code <consumer>__<workflow>}
 * @param streamReplicas the stream's replicas when ingest creates it (default 1)
 * @param maxMsgs the stream's message limit when ingest creates it ({@code -1}: unlimited)
 * @param duplicateWindow how long JetStream remembers message ids to drop duplicate publishes (default 2m)
 * @param ackWait how long a delivered message may go without an ack or progress signal before redelivery
 */
public record QueueSettings(
        String endpoint,
        String stream,
        String subject,
        String consumer,
        int streamReplicas,
        long maxMsgs,
        Duration duplicateWindow,
        Duration ackWait) {

    /** The original tool's default endpoint. */
    public static final String DEFAULT_ENDPOINT = "nats://localhost:4222";

    /** Validates the fields. */
    public QueueSettings {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(consumer, "consumer");
        Objects.requireNonNull(duplicateWindow, "duplicateWindow");
        Objects.requireNonNull(ackWait, "ackWait");
        if (streamReplicas < 1 || streamReplicas > 5) {
            throw new IllegalArgumentException("stream replicas must be between 1 and 5, got " + streamReplicas);
        }
    }

    /** Like the record's, but the endpoint's passwords and tokens are masked. */
    @Override
    public String toString() {
        return "QueueSettings[endpoint=" + JetStreamQueue.masked(endpoint, this) + ", stream=" + stream + ", subject="
                + subject + ", consumer=" + consumer + ", streamReplicas=" + streamReplicas + ", maxMsgs=" + maxMsgs
                + ", duplicateWindow=" + duplicateWindow + ", ackWait=" + ackWait + "]";
    }

    /**
     * The defaults, with the given endpoint.
     *
     * @param endpoint the NATS URL
     * @return the settings
     */
    public static QueueSettings defaults(String endpoint) {
        return new QueueSettings(endpoint, "ingest", "ingest", "ingest", 1, -1,
                Duration.ofMinutes(2), Duration.ofSeconds(60));
    }

    /**
     * @param workflow a workflow name
     * @return the subject its messages are published on
     */
    public String subjectOf(String workflow) {
        return subject + "." + workflow;
    }

    /**
     * @param workflow a workflow name
     * @return the subject its dead letters are published on
     */
    public String deadLetterSubjectOf(String workflow) {
        return subject + ".dlq." + workflow;
    }

    /**
     * @param workflow a workflow name
     * @return the durable consumer name of the workflow
     */
    public String consumerOf(String workflow) {
        return consumer + "__" + workflow;
    }
}
