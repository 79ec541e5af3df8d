package dev.ingest.core.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.ingest.core.config.WorkflowConfig;
import dev.ingest.core.nats.NatsServerProcess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link JetStreamQueue} against a real nats-server: what it tells about the server and its connection. */
class JetStreamQueueIT {

    @TempDir
    Path tmp;

    private static QueueSettings settings(String url, String name) {
        return new QueueSettings(url, name, name, name, 1, -1, Duration.ofMinutes(2), Duration.ofSeconds(60));
    }

    private static WorkflowConfig workflow(String name) {
        return new WorkflowConfig(name, "src", List.of("dst"), false, Duration.ofMinutes(5), 8, 8, Optional.empty(),
                Optional.empty(), 5, Duration.ofSeconds(1), Duration.ofMinutes(5), true, "workflows[0]");
    }

    @Test
    void missingNamesTheStreamOrTheConsumersThatDoNotExist() throws Exception {
        try (NatsServerProcess nats = NatsServerProcess.start();
             JetStreamQueue queue = JetStreamQueue.connect(settings(nats.url(), "miss"))) {
            assertThat(queue.missing(List.of("a"))).contains("stream miss");

            queue.ensureStream();
            assertThat(queue.missing(List.of())).isEmpty();
            assertThat(queue.missing(List.of("a", "b"))).contains("consumers miss__a, miss__b");

            queue.ensureConsumer(workflow("a"));
            assertThat(queue.missing(List.of("a", "b"))).contains("consumer miss__b");
            queue.ensureConsumer(workflow("b"));
            assertThat(queue.missing(List.of("a", "b"))).isEmpty();
        }
    }

    @Test
    void aServerThatLostItsStoreShowsTheStreamMissingAfterTheReconnect() throws Exception {
        try (NatsServerProcess nats = NatsServerProcess.start(Files.createDirectories(tmp.resolve("store")));
             JetStreamQueue queue = JetStreamQueue.connect(settings(nats.url(), "lost"))) {
            queue.ensureStream();
            queue.ensureConsumer(workflow("w"));
            Instant before = queue.connectedSince();
            assertThat(queue.missing(List.of("w"))).isEmpty();

            nats.stop();
            deleteTree(nats.storeDir().resolve("jetstream"));
            nats.restart();

            await().atMost(Duration.ofSeconds(20)).until(queue::isConnected);
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
                    .until(() -> queue.missing(List.of("w")).equals(Optional.of("stream lost")));
            assertThat(queue.connectedSince()).as("the connection was re-made").isAfter(before);
        }
    }

    @Test
    void aServerWithoutJetStreamIsRefusedAtOnceWithWhatToDo() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Process plain = new ProcessBuilder(NatsServerProcess.findBinary().orElseThrow().toString(),
                "-a", "127.0.0.1", "-p", Integer.toString(port)).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("nats.log").toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> accepts(port));
            long start = System.nanoTime();
            assertThatThrownBy(() -> JetStreamQueue.connect(settings("nats://127.0.0.1:" + port, "plain")))
                    .isInstanceOf(JetStreamQueue.JetStreamDisabledException.class)
                    .hasMessageContaining("JetStream is not enabled on nats://127.0.0.1:" + port)
                    .hasMessageContaining("-js");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        } finally {
            plain.destroyForcibly();
        }
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
