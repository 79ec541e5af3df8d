package dev.ingest.cli;

import dev.ingest.api.Secrets;
import dev.ingest.core.queue.QueueSettings;
import io.nats.client.Options;
import java.net.URISyntaxException;
import picocli.CommandLine.Option;

/**
 * The options that say where the queue is, shared by every command that talks to NATS. The options that shape the
 * stream and consumers ingest creates are {@link StreamOptions}, taken only by the commands that create them.
 */
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

    /**
     * Settings for a command that only reads or changes what is queued: the stream and consumer shapes are the
     * defaults (it creates neither).
     *
     * @param endpointUrl the endpoint to use (the embedded server's, or {@link #endpoint})
     * @return the settings
     * @throws IllegalArgumentException if a value is invalid, naming the option
     */
    QueueSettings settings(String endpointUrl) {
        return new StreamOptions().settings(this, endpointUrl);
    }

    /**
     * Checks {@code --queue-endpoint} as the NATS client will read it.
     *
     * @throws IllegalArgumentException naming the option and the problem, without the URL's password
     */
    void validateEndpoint() {
        if (IngestCommand.EMBEDDED.equals(endpoint)) {
            return;
        }
        try {
            new Options.Builder().server(endpoint).build();
        } catch (RuntimeException e) {
            String reason = e.getCause() instanceof URISyntaxException u ? u.getReason() : e.getMessage();
            throw new IllegalArgumentException("--queue-endpoint '" + Secrets.redactUrl(endpoint) + "' is not a NATS URL"
                    + " (nats://HOST:PORT, several separated by commas, or embedded): "
                    + (reason == null ? "cannot be parsed" : reason.replaceAll("\\.$", "")));
        }
    }
}
