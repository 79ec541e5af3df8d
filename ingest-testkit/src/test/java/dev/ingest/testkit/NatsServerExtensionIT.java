package dev.ingest.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ingest.core.nats.NatsServerProcess;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class NatsServerExtensionIT {

    @RegisterExtension
    static final NatsServerExtension NATS = new NatsServerExtension();

    private static Connection connect(String url) throws IOException, InterruptedException {
        return Nats.connect(new Options.Builder().server(url).connectionTimeout(Duration.ofSeconds(2)).build());
    }

    @Test
    void theServerRunsJetStreamOnAFreeLoopbackPort(NatsServerProcess server) throws Exception {
        assertThat(server.url()).startsWith("nats://127.0.0.1:").isEqualTo(NATS.url());
        try (Connection c = connect(server.url())) {
            assertThat(c.jetStreamManagement().getAccountStatistics().getStreams()).isGreaterThanOrEqualTo(0);
        }
    }

    @Test
    void aKilledServerRestartsOnTheSamePortWithItsStreams(NatsServerProcess server) throws Exception {
        try (Connection c = connect(server.url())) {
            JetStreamManagement jsm = c.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder().name("kept").subjects("kept.>").storageType(StorageType.File).build());
            c.jetStream().publish("kept.one", new byte[] {1});
        }
        server.kill();
        assertThat(server.isRunning()).isFalse();
        assertThatThrownBy(() -> connect(server.url()).close()).isInstanceOf(IOException.class);
        server.restart();
        try (Connection c = connect(server.url())) {
            assertThat(c.jetStreamManagement().getStreamInfo("kept").getStreamState().getMsgCount()).isEqualTo(1);
        } catch (JetStreamApiException e) {
            throw new AssertionError("the stream did not survive the restart", e);
        }
    }
}
