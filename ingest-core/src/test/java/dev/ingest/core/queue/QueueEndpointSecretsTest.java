package dev.ingest.core.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A NATS endpoint with credentials is never shown with them. */
class QueueEndpointSecretsTest {

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void aFailedConnectionNamesTheServersWithoutTheirPasswordsOrTokens() throws Exception {
        int a = closedPort();
        int b = closedPort();
        String endpoint = "nats://alice:s3cretPass@127.0.0.1:" + a + ",nats://t0kenValue@127.0.0.1:" + b;
        QueueSettings settings = new QueueSettings(endpoint, "s", "s", "s", 1, -1, Duration.ofMinutes(2),
                Duration.ofSeconds(30));

        assertThatThrownBy(() -> JetStreamQueue.connect(settings)).isInstanceOfSatisfying(IOException.class, e ->
                assertThat(e.getMessage()).contains("nats://alice:REDACTED@127.0.0.1:" + a)
                        .contains("nats://REDACTED@127.0.0.1:" + b)
                        .doesNotContain("s3cretPass").doesNotContain("t0kenValue"));
        assertThat(settings.toString()).contains("nats://alice:REDACTED@127.0.0.1:" + a)
                .doesNotContain("s3cretPass").doesNotContain("t0kenValue");
    }
}
