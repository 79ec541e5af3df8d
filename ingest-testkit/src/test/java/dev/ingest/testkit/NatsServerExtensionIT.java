package dev.ingest.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ingest.core.nats.NatsServerProcess;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class NatsServerExtensionIT {

    @RegisterExtension
    static final NatsServerExtension NATS = new NatsServerExtension();

    private static Connection connect(String url) throws IOException, InterruptedException {
        return Nats.connect(new Options.Builder().server(url).connectionTimeout(Duration.ofSeconds(2)).build());
    }

    @Test
    void theServerRunsJetStreamOnAFreeLoopbackPortWithItsOwnStore(NatsServerProcess server) throws Exception {
        assertThat(server.url()).isEqualTo("nats://127.0.0.1:" + server.port()).isEqualTo(NATS.url());
        assertThat(server.port()).as("not the machine's own nats-server").isNotEqualTo(Options.DEFAULT_PORT);
        String stream = "own" + System.nanoTime();
        try (Connection c = connect(server.url())) {
            assertThat(c.getServerInfo().getPort()).as("the server answering is the one started").isEqualTo(server.port());
            assertThat(c.getServerInfo().isJetStreamAvailable()).as("JetStream enabled").isTrue();
            JetStreamManagement jsm = c.jetStreamManagement();
            long before = jsm.getAccountStatistics().getStreams();
            jsm.addStream(StreamConfiguration.builder().name(stream).subjects(stream + ".>")
                    .storageType(StorageType.File).build());
            c.jetStream().publish(stream + ".one", new byte[] {42});
            assertThat(jsm.getAccountStatistics().getStreams()).as("streams after adding one").isEqualTo(before + 1);
            MessageInfo stored = jsm.getMessage(stream, 1);
            assertThat(stored.getData()).containsExactly(42);
        }
        try (Stream<Path> files = Files.walk(server.storeDir())) {
            assertThat(files.map(Path::toString)).as("the stream's files in the server's temporary store %s",
                    server.storeDir()).anyMatch(p -> p.endsWith("/streams/" + stream));
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
