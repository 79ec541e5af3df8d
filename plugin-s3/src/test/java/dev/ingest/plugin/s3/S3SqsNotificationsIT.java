package dev.ingest.plugin.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ingest.core.config.EnvExpander;
import dev.ingest.core.engine.Mode;
import dev.ingest.core.engine.RunSummary;
import dev.ingest.core.queue.JetStreamQueue;
import dev.ingest.core.queue.QueueSettings;
import dev.ingest.testkit.NatsServerExtension;
import dev.ingest.testkit.S3ServerExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;

/**
 * An s3 source with {@code notifications: {sqs: ...}} in the engine: S3 event notifications in ElasticMQ (a real SQS
 * API server, in-process), objects in s3proxy, the queue in a real nats-server.
 */
class S3SqsNotificationsIT {

    @RegisterExtension
    static final NatsServerExtension NATS = new NatsServerExtension();

    @RegisterExtension
    static final S3ServerExtension S3 = S3ServerExtension.inMemory();

    @RegisterExtension
    static final SqsServerExtension SQS = new SqsServerExtension();

    private static final AtomicInteger RUN = new AtomicInteger();

    @TempDir
    Path dir;

    private static EnvExpander env() {
        return EnvExpander.of(Map.of("S3_KEY", S3.accessKey(), "S3_SECRET", S3.secretKey()));
    }

    private static String yaml(String bucket, String queueUrl, String sqsEndpoint, Path out, int visibilitySeconds,
                               int receivers) {
        return """
                sources: [{name: s, type: s3, endpoint: '%s', bucket: %s, prefix: in/, accessKeyID: '${S3_KEY}',
                           secretAccessKey: '${S3_SECRET}',
                           notifications: {sqs: '%s', endpoint: '%s', waitTime: 1s, visibilityTimeout: %ds,
                                           receivers: %d}}]
                destinations: [{name: f, type: file, path: '%s'}]
                workflows: [{name: sqs, source: s, destinations: [f], batchSize: 64, concurrency: 16}]
                """.formatted(S3.endpoint(), bucket, queueUrl, sqsEndpoint, visibilitySeconds, receivers, out);
    }

    private static String etag(String bucket, String key) {
        return S3.client().headObject(b -> b.bucket(bucket).key(key)).eTag().replace("\"", "");
    }

    private static List<String> files(Path root) throws IOException {
        if (!Files.exists(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }

    /** Puts n objects under in/ and sends their notifications, 10 to a batch. */
    private static void objectsAndEvents(String bucket, String queueUrl, int n) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    List<SendMessageBatchRequestEntry> batch = new ArrayList<>();
                    for (int i = thread; i < n; i += 8) {
                        String key = String.format("in/obj %05d.txt", i);
                        S3.put(bucket, key, "object " + i);
                        batch.add(SendMessageBatchRequestEntry.builder().id("m" + i)
                                .messageBody(Events.created(bucket, key, ("object " + i).length(),
                                        etag(bucket, key))).build());
                        if (batch.size() == 10) {
                            send(queueUrl, batch);
                        }
                    }
                    send(queueUrl, batch);
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
    }

    private static void send(String queueUrl, List<SendMessageBatchRequestEntry> batch) {
        if (!batch.isEmpty()) {
            assertThat(SQS.client().sendMessageBatch(b -> b.queueUrl(queueUrl).entries(batch)).failed()).isEmpty();
            batch.clear();
        }
    }

    @Test
    void twoThousandNotifiedObjectsAreCopiedAndEveryMessageDeleted() throws Exception {
        String bucket = S3.createBucket();
        String queueUrl = SQS.createQueue(60);
        objectsAndEvents(bucket, queueUrl, 2000);
        SQS.send(queueUrl, Events.testEvent(bucket));
        QueueSettings queue = EngineRunner.settings(NATS.url(), "sq" + RUN.incrementAndGet());
        Path out = dir.resolve("out");

        RunSummary run = EngineRunner.runOnce(yaml(bucket, queueUrl, SQS.endpoint().toString(), out, 60, 4), env(),
                queue, Mode.ALL);

        assertThat(run.failures()).isEmpty();
        assertThat(run.copied()).isEqualTo(2000);
        assertThat(files(out)).hasSize(2000).contains("obj 01999.txt");
        assertThat(SQS.visible(queueUrl) + SQS.inFlight(queueUrl)).as("every message deleted").isZero();
    }

    @Test
    void malformedNotificationsAreDeadLetteredAndTheQueueIsDrained() throws Exception {
        String bucket = S3.createBucket();
        String queueUrl = SQS.createQueue(60);
        S3.put(bucket, "in/good.txt", "good");
        SQS.send(queueUrl, Events.created(bucket, "in/good.txt", 4, etag(bucket, "in/good.txt")));
        SQS.send(queueUrl, "<xml>not an event</xml>");
        SQS.send(queueUrl, Events.created(bucket, "other/prefix.txt", 1, "e"));
        QueueSettings queue = EngineRunner.settings(NATS.url(), "sq" + RUN.incrementAndGet());

        RunSummary run = EngineRunner.runOnce(yaml(bucket, queueUrl, SQS.endpoint().toString(), dir.resolve("out"),
                60, 1), env(), queue, Mode.ALL);

        assertThat(run.copied()).isEqualTo(1);
        assertThat(run.failures()).hasSize(2);
        assertThat(SQS.visible(queueUrl) + SQS.inFlight(queueUrl)).isZero();
        try (JetStreamQueue q = JetStreamQueue.connect(queue)) {
            assertThat(q.subjectCounts()).containsEntry(queue.deadLetterSubjectOf("sqs"), 2L);
        }
    }

    /**
     * A process killed with SIGKILL between JetStream's ack of a notification's objects and the SQS delete: the
     * message comes back after its visibility timeout, its objects are queued again (JetStream drops the duplicate
     * publish) and each object reaches the destination once.
     */
    @Test
    void killedBetweenTheJetStreamAckAndTheDeleteNothingIsLostOrCopiedTwice() throws Exception {
        String bucket = S3.createBucket();
        String queueUrl = SQS.createQueue(2);
        objectsAndEvents(bucket, queueUrl, 40);
        QueueSettings queue = EngineRunner.settings(NATS.url(), "sqk" + RUN.incrementAndGet());
        Path out = dir.resolve("out");
        Path config = dir.resolve("child.yaml");
        Path log = dir.resolve("child.log");
        try (DeleteGate gate = new DeleteGate(SQS.endpoint())) {
            Files.writeString(config, yaml(bucket, queueUrl, gate.endpoint().toString(), out, 2, 1));
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), RunOnceMain.class.getName(), config.toString(),
                    NATS.url(), queue.stream(), "ALL")
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().put("S3_KEY", S3.accessKey());
            pb.environment().put("S3_SECRET", S3.secretKey());
            Process child = pb.start();
            try {
                boolean caught = gate.deleteSeen().await(2, TimeUnit.MINUTES);
                assertThat(caught).as("the child reached its first delete; its output:%n%s", Files.readString(log))
                        .isTrue();
            } finally {
                child.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL
            }
        }
        List<String> before = files(out);
        await().atMost(Duration.ofSeconds(60)).until(() -> SQS.visible(queueUrl) == 40);

        RunSummary again = EngineRunner.runOnce(yaml(bucket, queueUrl, SQS.endpoint().toString(), out, 2, 1), env(),
                queue, Mode.ALL);

        assertThat(again.failures()).isEmpty();
        assertThat(files(out)).hasSize(40);
        assertThat(again.copied()).as("what the killed process had stored is not copied again (%d were there)",
                before.size()).isEqualTo(40 - before.size());
        assertThat(again.alreadyQueued() + again.skipped()).as("the killed process had queued objects: JetStream "
                + "dropped their second publish, or the destination check found them").isPositive();
        assertThat(SQS.visible(queueUrl) + SQS.inFlight(queueUrl)).isZero();
    }
}
