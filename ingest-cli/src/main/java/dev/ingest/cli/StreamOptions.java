package dev.ingest.cli;

import dev.ingest.core.config.Durations;
import dev.ingest.core.queue.QueueSettings;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The options that shape the stream and consumers when ingest creates them: taken by the commands that run
 * workflows, not by the read-only ones ({@code status}, {@code dlq}).
 */
final class StreamOptions {

    @Option(names = "--stream-replicas", defaultValue = "1",
            description = "How many servers of a NATS cluster hold the stream and the key-value buckets when "
                    + "ingest creates them, 1 to 5 (default: ${DEFAULT-VALUE}); an existing one keeps its replicas.")
    int streamReplicas = 1;

    @Option(names = "--max-msgs", defaultValue = "-1",
            description = "Message limit of the stream when ingest creates it; -1 for none (default: ${DEFAULT-VALUE}).")
    long maxMsgs = -1;

    @Option(names = "--ack-wait", paramLabel = "DURATION", defaultValue = "60s",
            description = "How long a copy may go silent before JetStream redelivers its message; running copies "
                    + "signal progress every third of it (default: ${DEFAULT-VALUE}).")
    String ackWait = "60s";

    /**
     * @param queue where the queue is
     * @param endpointUrl the endpoint to use (the embedded server's, or the queue's)
     * @return the settings
     * @throws IllegalArgumentException if a value is out of range, naming the option
     */
    QueueSettings settings(QueueOptions queue, String endpointUrl) {
        Duration wait = Durations.parse(ackWait)
                .filter(d -> d.toMillis() >= 1000)
                .orElseThrow(() -> new IllegalArgumentException("--ack-wait '" + ackWait + "' must be a duration of at least 1s"));
        if (streamReplicas < 1 || streamReplicas > 5) {
            throw new IllegalArgumentException("--stream-replicas must be between 1 and 5, got " + streamReplicas);
        }
        if (streamReplicas > 1 && IngestCommand.EMBEDDED.equals(queue.endpoint)) {
            throw new IllegalArgumentException("--stream-replicas " + streamReplicas + " needs a NATS cluster of at "
                    + "least " + streamReplicas + " servers, and --queue-endpoint=embedded is a single server: use "
                    + "--stream-replicas 1, or name the cluster's servers in --queue-endpoint");
        }
        return new QueueSettings(endpointUrl, queue.stream, queue.subject, queue.consumer, streamReplicas, maxMsgs,
                Duration.ofMinutes(2), wait);
    }
}
