package dev.ingest.plugin.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ingest.core.config.EnvExpander;
import dev.ingest.core.engine.Mode;
import dev.ingest.core.engine.RunSummary;
import dev.ingest.core.queue.JetStreamQueue;
import dev.ingest.core.queue.QueueSettings;
import dev.ingest.testkit.NatsServerExtension;
import dev.ingest.testkit.S3ServerExtension;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An s3 source with {@code notifications: {nats: SUBJECT}}: MinIO-format events published by the test to a subject
 * that a JetStream stream holds (as MinIO's NATS target with JetStream does), read through a durable consumer by the
 * engine, against s3proxy and a real nats-server.
 */
class S3NatsNotificationsIT {

    @RegisterExtension
    static final NatsServerExtension NATS = new NatsServerExtension();

    @RegisterExtension
    static final S3ServerExtension S3 = S3ServerExtension.inMemory();

    private static final AtomicInteger RUN = new AtomicInteger();

    @TempDir
    Path dir;

    private static EnvExpander env() {
        return EnvExpander.of(Map.of("S3_KEY", S3.accessKey(), "S3_SECRET", S3.secretKey()));
    }

    private static String yaml(String bucket, String subject, Path out, String workflowExtra) {
        return """
                sources: [{name: s, type: s3, endpoint: '%s', bucket: %s, prefix: in/, accessKeyID: '${S3_KEY}',
                           secretAccessKey: '${S3_SECRET}', notifications: {nats: '%s'}}]
                destinations: [{name: f, type: file, path: '%s'}]
                workflows: [{name: notif, source: s, destinations: [f]%s}]
                """.formatted(S3.endpoint(), bucket, subject, out, workflowExtra);
    }

    /** The object's ETag as S3 events carry it: without quotes. */
    static String etag(String bucket, String key) {
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

    @Test
    void minioEventsOnAStreamAreCopiedAckedAndMalformedOnesDeadLettered() throws Exception {
        int n = RUN.incrementAndGet();
        String bucket = S3.createBucket();
        String subject = "minio" + n + ".events";
        QueueSettings queue = EngineRunner.settings(NATS.url(), "nn" + n);
        Path out = dir.resolve("out");
        try (Connection nc = Nats.connect(NATS.url())) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder().name("MINIO" + n).subjects(subject)
                    .storageType(StorageType.File).build());
            for (int i = 0; i < 50; i++) {
                String key = String.format("in/day %02d/log-ü-%03d.txt", i % 3, i);
                S3.put(bucket, key, "content " + i);
                nc.jetStream().publish(subject, Events.minio(bucket, key, ("content " + i).length(), etag(bucket, key))
                        .getBytes(StandardCharsets.UTF_8));
            }
            nc.jetStream().publish(subject, "{\"not\":\"an event\"}".getBytes(StandardCharsets.UTF_8));
            nc.jetStream().publish(subject, Events.minio(bucket, "elsewhere/x.txt", 1, "e")
                    .getBytes(StandardCharsets.UTF_8));
            nc.jetStream().publish(subject, Events.minio("other-bucket", "in/y.txt", 1, "e")
                    .getBytes(StandardCharsets.UTF_8));

            RunSummary run = EngineRunner.runOnce(yaml(bucket, subject, out, ""), env(), queue, Mode.ALL);

            assertThat(run.copied()).isEqualTo(50);
            assertThat(files(out)).hasSize(50).contains("day 01/log-ü-001.txt");
            assertThat(run.failures()).as("each dead-lettered notification fails the once run by name").hasSize(3)
                    .anySatisfy(f -> assertThat(f).contains("not an S3 event notification"))
                    .anySatisfy(f -> assertThat(f).contains("'elsewhere/x.txt' is outside the source's prefix 'in/'"))
                    .anySatisfy(f -> assertThat(f).contains("is in bucket 'other-bucket'"));
            try (JetStreamQueue q = JetStreamQueue.connect(queue)) {
                assertThat(q.subjectCounts()).containsEntry(queue.deadLetterSubjectOf("notif"), 3L);
            }
            ConsumerInfo consumer = jsm.getConsumerInfo("MINIO" + n, NatsFeed.durable("notif"));
            assertThat(consumer.getNumPending()).isZero();
            assertThat(consumer.getNumAckPending()).as("every notification acked").isZero();

            // A restart reads from where the durable consumer is: only the new event.
            S3.put(bucket, "in/later.txt", "later");
            nc.jetStream().publish(subject, Events.minio(bucket, "in/later.txt", 5, "x").getBytes(StandardCharsets.UTF_8));
            RunSummary again = EngineRunner.runOnce(yaml(bucket, subject, out, ""), env(), queue, Mode.ALL);
            assertThat(again.failures()).isEmpty();
            assertThat(again.listed()).isEqualTo(1);
            assertThat(again.copied()).isEqualTo(1);
            assertThat(files(out)).hasSize(51);
        }
    }

    @Test
    void withoutAStreamTheSubjectIsReadByACoreSubscription() throws Exception {
        int n = RUN.incrementAndGet();
        String bucket = S3.createBucket();
        String subject = "minio" + n + ".core";
        QueueSettings queue = EngineRunner.settings(NATS.url(), "nn" + n);
        Path out = dir.resolve("out");
        S3.put(bucket, "in/core.txt", "core");
        byte[] event = Events.minio(bucket, "in/core.txt", 4, etag(bucket, "in/core.txt"))
                .getBytes(StandardCharsets.UTF_8);
        try (Connection nc = Nats.connect(NATS.url())) {
            // A core subscription sees only what is published while it is subscribed: publish until the object is
            // copied (the repeats are the same object, which JetStream's duplicate window drops).
            java.util.concurrent.atomic.AtomicBoolean copied = new java.util.concurrent.atomic.AtomicBoolean();
            Thread publisher = new Thread(() -> {
                while (!copied.get()) {
                    nc.publish(subject, event);
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                    copied.set(Files.exists(out.resolve("core.txt")));
                }
            });
            publisher.start();
            try {
                RunSummary run = EngineRunner.runOnce(yaml(bucket, subject, out, ""), env(), queue, Mode.ALL);
                assertThat(run.failures()).isEmpty();
                assertThat(run.copied()).isEqualTo(1);
            } finally {
                copied.set(true);
                publisher.join(10_000);
            }
            assertThat(files(out)).containsExactly("core.txt");
        }
    }

    @Test
    void withAnIntervalANotifiedSourceIsAlsoScannedAndOnlyWhatTheDestinationLacksIsQueued() throws Exception {
        int n = RUN.incrementAndGet();
        String bucket = S3.createBucket();
        String subject = "minio" + n + ".events";
        QueueSettings queue = EngineRunner.settings(NATS.url(), "nn" + n);
        Path out = dir.resolve("out");
        try (Connection nc = Nats.connect(NATS.url())) {
            nc.jetStreamManagement().addStream(StreamConfiguration.builder().name("MINIO" + n).subjects(subject)
                    .storageType(StorageType.Memory).build());
            S3.put(bucket, "in/notified.txt", "a");
            S3.put(bucket, "in/missed.txt", "b"); // its event was lost
            nc.jetStream().publish(subject, Events.minio(bucket, "in/notified.txt", 1, etag(bucket, "in/notified.txt"))
                    .getBytes(StandardCharsets.UTF_8));

            RunSummary notifiedOnly = EngineRunner.runOnce(yaml(bucket, subject, out, ""), env(), queue, Mode.ALL);
            assertThat(notifiedOnly.copied()).isEqualTo(1);
            assertThat(files(out)).containsExactly("notified.txt");

            RunSummary mixed = EngineRunner.runOnce(yaml(bucket, subject, out, ", interval: 1h"), env(), queue,
                    Mode.ALL);
            assertThat(mixed.failures()).isEmpty();
            assertThat(mixed.copied()).as("the scan finds what notifications missed").isEqualTo(1);
            assertThat(files(out)).containsExactly("missed.txt", "notified.txt");
            try (JetStreamQueue q = JetStreamQueue.connect(queue)) {
                assertThat(q.lastScan("notif")).hasValueSatisfying(scan -> {
                    assertThat(scan.listed()).isEqualTo(2);
                    assertThat(scan.alreadyStored()).isEqualTo(1);
                });
            }
        }
    }
}
