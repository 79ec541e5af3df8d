package dev.ingest.plugin.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ingest.core.config.EnvExpander;
import dev.ingest.core.engine.Mode;
import dev.ingest.core.engine.RunSummary;
import dev.ingest.core.plugin.PluginRegistry;
import dev.ingest.testkit.NatsServerExtension;
import dev.ingest.testkit.S3ServerExtension;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The assembled plugin directory ({@code plugins/s3/}, as the distribution ships it) in a class loader of its own,
 * receiving notifications: its SQS client and its NATS client are its own, not the host's.
 */
class S3NotificationsPluginDirectoryIT {

    @RegisterExtension
    static final NatsServerExtension NATS = new NatsServerExtension();

    @RegisterExtension
    static final S3ServerExtension S3 = S3ServerExtension.inMemory();

    @RegisterExtension
    static final SqsServerExtension SQS = new SqsServerExtension();

    @TempDir
    Path dir;

    private PluginRegistry isolatedRegistry() throws Exception {
        Path zip;
        try (Stream<Path> target = Files.list(Path.of("target"))) {
            zip = target.filter(p -> p.getFileName().toString().endsWith("-plugin.zip")).findFirst()
                    .orElseThrow(() -> new AssertionError("no plugin zip in target/: run the package phase first"));
        }
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                Path to = plugins.resolve(e.getName()).normalize();
                assertThat(to.startsWith(plugins)).as(e.getName()).isTrue();
                if (e.isDirectory()) {
                    Files.createDirectories(to);
                } else {
                    Files.createDirectories(to.getParent());
                    Files.copy(in, to);
                }
            }
        }
        try (Stream<Path> jars = Files.list(plugins.resolve("s3"))) {
            assertThat(jars.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith("sqs-2."))
                    .anyMatch(n -> n.startsWith("jnats-"));
        }
        ClassLoader host = new ClassLoader(getClass().getClassLoader()) {
            @Override
            public Enumeration<URL> getResources(String name) throws IOException {
                return name.startsWith("META-INF/services/") ? Collections.emptyEnumeration() : super.getResources(name);
            }
        };
        return PluginRegistry.load(host, List.of(plugins), List.of());
    }

    private static String etag(String bucket, String key) {
        return S3.client().headObject(b -> b.bucket(bucket).key(key)).eTag().replace("\"", "");
    }

    @Test
    void sqsAndNatsNotificationsWorkFromThePluginDirectory() throws Exception {
        String bucket = S3.createBucket();
        S3.put(bucket, "in/from-sqs.txt", "sqs");
        S3.put(bucket, "in/from-nats.txt", "nats");
        String queueUrl = SQS.createQueue(60);
        SQS.send(queueUrl, Events.created(bucket, "in/from-sqs.txt", 3, etag(bucket, "in/from-sqs.txt")));
        String subject = "minioiso.events";
        String out = S3.createBucket();
        try (Connection nc = Nats.connect(NATS.url())) {
            nc.jetStreamManagement().addStream(StreamConfiguration.builder().name("MINIOISO").subjects(subject)
                    .storageType(StorageType.Memory).build());
            nc.jetStream().publish(subject, Events.minio(bucket, "in/from-nats.txt", 4,
                    etag(bucket, "in/from-nats.txt")).getBytes(StandardCharsets.UTF_8));
        }
        String yaml = """
                sources:
                - {name: q, type: s3, endpoint: '%1$s', bucket: %2$s, prefix: in/, accessKeyID: '${S3_KEY}',
                   secretAccessKey: '${S3_SECRET}', notifications: {sqs: '%3$s', endpoint: '%4$s', waitTime: 1s}}
                - {name: n, type: s3, endpoint: '%1$s', bucket: %2$s, prefix: in/, accessKeyID: '${S3_KEY}',
                   secretAccessKey: '${S3_SECRET}', notifications: {nats: '%5$s'}}
                destinations: [{name: f, type: s3, endpoint: '%1$s', bucket: %6$s, accessKeyID: '${S3_KEY}',
                                secretAccessKey: '${S3_SECRET}'}]
                workflows:
                - {name: viasqs, source: q, destinations: [f]}
                - {name: vianats, source: n, destinations: [f]}
                """.formatted(S3.endpoint(), bucket, queueUrl, SQS.endpoint(), subject, out);
        PluginRegistry registry = isolatedRegistry();
        RunSummary run = EngineRunner.runOnce(yaml, EnvExpander.of(Map.of("S3_KEY", S3.accessKey(),
                "S3_SECRET", S3.secretKey())), EngineRunner.settings(NATS.url(), "isolated"), Mode.ALL, registry);

        assertThat(run.failures()).isEmpty();
        assertThat(run.copied()).isEqualTo(2);
        assertThat(S3.get(out, "from-sqs.txt")).isEqualTo("sqs");
        assertThat(S3.get(out, "from-nats.txt")).isEqualTo("nats");
        assertThat(SQS.visible(queueUrl) + SQS.inFlight(queueUrl)).isZero();
    }
}
