package dev.ingest.core.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.ingest.core.Ingest;
import dev.ingest.core.nats.NatsCluster;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.Replica;
import io.nats.client.api.StreamInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * {@link JetStreamQueue} on a real 3-node nats-server cluster ({@link NatsCluster}): {@code --stream-replicas}
 * reaches the stream and the key-value buckets, an existing stream keeps its replicas with a warning, and the
 * cluster itself survives a {@code kill -9} of a stream's leader.
 */
class JetStreamQueueClusterIT {

    private static NatsCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = NatsCluster.start(3);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static QueueSettings settings(String name, int replicas) {
        return new QueueSettings(cluster.url(), name, name, name, replicas, -1, Duration.ofMinutes(2),
                Duration.ofSeconds(60));
    }

    @Test
    void theStreamAndTheBucketsGetTheReplicasAskedFor() throws Exception {
        try (JetStreamQueue queue = JetStreamQueue.connect(settings("rthree", 3))) {
            queue.ensureStream();
            queue.ensureBucket("rthree_checkpoints", 1, null);

            JetStreamManagement jsm = queue.connection().jetStreamManagement();
            StreamInfo stream = jsm.getStreamInfo("rthree");
            assertThat(stream.getConfiguration().getReplicas()).isEqualTo(3);
            assertThat(stream.getClusterInfo().getReplicas()).as("the followers").hasSize(2);
            assertThat(queue.connection().keyValueManagement().getStatus("rthree_checkpoints").getReplicas())
                    .isEqualTo(3);
            await("the scans bucket, created in the background").atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(queue.connection().keyValueManagement().getStatus("rthree_scans").getReplicas())
                            .isEqualTo(3));
        }
    }

    @Test
    void anExistingStreamOrBucketWithOtherReplicasIsLeftAsItIsAndNamedInAWarning() throws Exception {
        try (JetStreamQueue queue = JetStreamQueue.connect(settings("rkept", 3))) {
            queue.ensureStream();
            queue.ensureBucket("rkept_config", 5, null);
        }
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        Logger log = (Logger) LoggerFactory.getLogger(JetStreamQueue.class);
        log.addAppender(logs);
        try (JetStreamQueue queue = JetStreamQueue.connect(settings("rkept", 1))) {
            queue.ensureStream();
            queue.ensureBucket("rkept_config", 5, null);
            queue.ensureBucket("rkept_config", 5, null);

            assertThat(queue.connection().jetStreamManagement().getStreamInfo("rkept").getConfiguration()
                    .getReplicas()).isEqualTo(3);
            assertThat(queue.connection().keyValueManagement().getStatus("rkept_config").getReplicas()).isEqualTo(3);
        } finally {
            log.detachAppender(logs);
        }
        assertThat(logs.list).filteredOn(e -> e.getLevel() == Level.WARN).extracting(ILoggingEvent::getFormattedMessage)
                .filteredOn(m -> !m.contains("rkept_scans")) // checked in the background: may come later
                .containsExactly(
                        "stream rkept has 3 replica(s) but --stream-replicas is 1: it is left as it is (change it with "
                                + "nats stream edit --replicas, or set --stream-replicas 3)",
                        "key-value bucket rkept_config has 3 replica(s) but --stream-replicas is 1: it is left as it "
                                + "is (change it with nats stream edit --replicas, or set --stream-replicas 3)");
    }

    @Test
    void theEmbeddingBuilderCreatesTheStreamWithItsReplicasAndCopiesThroughTheCluster(@TempDir Path tmp)
            throws Exception {
        Path in = Files.createDirectories(tmp.resolve("in"));
        for (int i = 0; i < 20; i++) {
            Files.writeString(in.resolve("f" + i + ".txt"), "object " + i);
        }
        String config = """
                sources: [{name: in, type: dir, path: '${IN}'}]
                destinations: [{name: out, type: dir, path: '${OUT}'}]
                workflows: [{name: copy, source: in, destinations: [out]}]
                """;
        try (Ingest ingest = Ingest.builder().config(config)
                .variables(Map.of("IN", in.toString(), "OUT", tmp.resolve("out").toString()))
                .natsUrl(cluster.url()).stream("rembed").subject("rembed").consumer("rembed").streamReplicas(3)
                .build()) {
            assertThat(ingest.runOnce().failed()).isZero();
        }
        try (Connection nc = cluster.connect()) {
            assertThat(nc.jetStreamManagement().getStreamInfo("rembed").getConfiguration().getReplicas())
                    .isEqualTo(3);
        }
        for (int i = 0; i < 20; i++) {
            assertThat(tmp.resolve("out").resolve("f" + i + ".txt")).hasContent("object " + i);
        }
    }

    @Test
    void theEmbeddingBuilderRefusesReplicasOutOfRange() {
        assertThatThrownBy(() -> Ingest.builder().streamReplicas(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("streamReplicas must be between 1 and 5, got 0");
        assertThatThrownBy(() -> Ingest.builder().streamReplicas(6)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("streamReplicas must be between 1 and 5, got 6");
        assertThatThrownBy(() -> settings("x", 7)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("stream replicas must be between 1 and 5, got 7");
    }

    @Test
    void aKilledLeaderIsReplacedWhatWasStoredStaysAndTheRestartedNodeCatchesUp() throws Exception {
        try (JetStreamQueue queue = JetStreamQueue.connect(settings("rkill", 3))) {
            queue.ensureStream();
            for (int i = 0; i < 100; i++) {
                queue.connection().jetStream().publish("rkill.w", ("m" + i).getBytes(StandardCharsets.UTF_8));
            }
            String leader = cluster.streamLeader("rkill").orElseThrow();
            int killed = cluster.indexOf(leader);

            cluster.kill(killed);

            await("a new leader").atMost(Duration.ofSeconds(60)).until(() ->
                    cluster.streamLeader("rkill").filter(l -> !l.equals(leader)).isPresent());
            try (Connection nc = cluster.connect()) {
                await("the stream answers").atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
                        assertThat(nc.jetStreamManagement().getStreamInfo("rkill").getStreamState().getMsgCount())
                                .isEqualTo(100));
                nc.jetStream().publish("rkill.w", "after".getBytes(StandardCharsets.UTF_8));
            }

            cluster.restart(killed);

            await("the restarted node is a current replica again").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .untilAsserted(() -> {
                        try (Connection nc = cluster.connect()) {
                            StreamInfo info = nc.jetStreamManagement().getStreamInfo("rkill");
                            assertThat(info.getStreamState().getMsgCount()).isEqualTo(101);
                            assertThat(info.getClusterInfo().getReplicas()).hasSize(2)
                                    .allMatch(Replica::isCurrent, "current");
                            java.util.List<String> members = new java.util.ArrayList<>(info.getClusterInfo()
                                    .getReplicas().stream().map(Replica::getName).toList());
                            members.add(info.getClusterInfo().getLeader());
                            assertThat(members).containsExactlyInAnyOrder("n1", "n2", "n3");
                        }
                    });
        }
    }
}
