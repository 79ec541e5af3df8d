package dev.ingest.cli;

import dev.ingest.core.queue.QueueSettings;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The options that say where the queue is, shared by every command that talks to NATS. */
final class QueueOptions {

    @Option(names = "--queue-endpoint", paramLabel = "URL", defaultValue = QueueSettings.DEFAULT_ENDPOINT,
            description = "The NATS server (default: ${DEFAULT-VALUE}). 'embedded' starts a private nats-server "
                    + "with a temporary store for this run.")
    String endpoint;

    @Option(names = "--stream", defaultValue = "ingest", description = "The JetStream stream (default: ${DEFAULT-VALUE}).")
    String stream;

    @Option(names = "--subject", defaultValue = "ingest",
            description = "The subject prefix; workflow W publishes on SUBJECT.W (default: ${DEFAULT-VALUE}).")
    String subject;

    @Option(names = "--consumer", defaultValue = "ingest",
            description = "The prefix of the durable consumer names, CONSUMER__WORKFLOW (default: ${DEFAULT-VALUE}).")
    String consumer;

    @Option(names = "--stream-replicas", defaultValue = "1",
            description = "Replicas of the stream when ingest creates it (default: ${DEFAULT-VALUE}).")
    int streamReplicas;

    @Option(names = "--max-msgs", defaultValue = "-1",
            description = "Message limit of the stream when ingest creates it; -1 for none (default: ${DEFAULT-VALUE}).")
    long maxMsgs;

    @Option(names = "--ack-wait", paramLabel = "DURATION", defaultValue = "60s",
            description = "How long a copy may go silent before JetStream redelivers its message; running copies "
                    + "signal progress every third of it (default: ${DEFAULT-VALUE}).")
    String ackWait;

    /**
     * @param endpointUrl the endpoint to use (the embedded server's, or {@link #endpoint})
     * @return the settings
     * @throws IllegalArgumentException if a value is out of range
     */
    QueueSettings settings(String endpointUrl) {
        Duration wait = dev.ingest.core.config.Durations.parse(ackWait)
                .filter(d -> d.toMillis() >= 1000)
                .orElseThrow(() -> new IllegalArgumentException("--ack-wait '" + ackWait + "' must be a duration of at least 1s"));
        return new QueueSettings(endpointUrl, stream, subject, consumer, streamReplicas, maxMsgs,
                Duration.ofMinutes(2), wait);
    }
}
