package dev.ingest.plugin.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ingest.core.config.ConfigProblem;
import dev.ingest.core.config.EnvExpander;
import dev.ingest.core.config.InvalidConfigException;
import dev.ingest.core.engine.Mode;
import dev.ingest.core.engine.RunSummary;
import dev.ingest.core.plugin.PluginRegistry;
import dev.ingest.core.queue.JetStreamQueue;
import dev.ingest.core.queue.QueueSettings;
import dev.ingest.testkit.NatsServerExtension;
import dev.ingest.testkit.S3ServerExtension;
import io.nats.client.api.MessageInfo;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.S3Object;

/** The s3 plugin inside the engine, through a real JetStream, against a real S3 API server. */
class S3EngineIT {

    @RegisterExtension
    static final NatsServerExtension NATS = new NatsServerExtension();

    @RegisterExtension
    static final S3ServerExtension S3 = new S3ServerExtension();

    private static final AtomicInteger RUN = new AtomicInteger();

    @TempDir
    Path dir;

    private static EnvExpander env() {
        return EnvExpander.of(Map.of("S3_KEY", S3.accessKey(), "S3_SECRET", S3.secretKey()));
    }

    /** A fresh stream, subjects and consumers for every call. */
    private static QueueSettings freshQueue() {
        String prefix = "s3e" + RUN.incrementAndGet();
        return EngineRunner.settings(NATS.url(), prefix);
    }

    private static RunSummary runOnce(String yaml) throws Exception {
        return EngineRunner.runOnce(yaml, env(), freshQueue(), Mode.ALL);
    }

    /** A flow-style YAML entry of an s3 source or destination on the test server. */
    private static String s3(String name, String bucket, String extra) {
        return "{name: " + name + ", type: s3, endpoint: '" + S3.endpoint() + "', bucket: " + bucket
                + ", accessKeyID: '${S3_KEY}', secretAccessKey: '${S3_SECRET}'" + (extra.isEmpty() ? "" : ", " + extra) + "}";
    }

    /** Objects of every kind: nested, with spaces and non-ASCII letters, empty, and one large enough for parts. */
    private static Map<String, String> seed(String bucket, String prefix) {
        Map<String, Integer> sizes = new LinkedHashMap<>();
        sizes.put("a.txt", 10);
        sizes.put("dir/b.csv", 2000);
        sizes.put("dir/sub dir/c d.json", 70_000);
        sizes.put("unicode/résumé-ü.txt", 33);
        sizes.put("empty.bin", 0);
        sizes.put("big/multi.bin", 6 * TestData.MIB + 17);
        for (int i = 0; i < 14; i++) {
            sizes.put(String.format("bulk/f-%02d.dat", i), 1000 * i + 1);
        }
        Map<String, String> hashes = new TreeMap<>();
        int seed = 0;
        for (Map.Entry<String, Integer> e : sizes.entrySet()) {
            long s = seed++;
            int size = e.getValue();
            S3.client().putObject(b -> b.bucket(bucket).key(prefix + e.getKey()).contentType("application/x-seed"),
                    RequestBody.fromContentProvider(() -> TestData.generated(s, size), size, "application/x-seed"));
            hashes.put(e.getKey(), TestData.sha256(TestData.bytes(s, size)));
        }
        return hashes;
    }

    /** SHA-256 of every object under a prefix, by key without the prefix. */
    private static Map<String, String> hashes(String bucket, String prefix) throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (S3Object o : S3.client().listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents()) {
            try (InputStream in = S3.client().getObject(b -> b.bucket(bucket).key(o.key()))) {
                out.put(o.key().substring(prefix.length()), TestData.sha256(in));
            }
        }
        return out;
    }

    private static Map<String, String> hashes(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        if (!Files.exists(root)) {
            return out;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                out.put(root.relativize(p).toString().replace('\\', '/'), TestData.sha256(Files.newInputStream(p)));
            }
        }
        return out;
    }

    @Test
    void aRescanComparesListingsQueuesOnlyWhatChangedAndCopiesIt() throws Exception {
        String src = S3.createBucket();
        String dst = S3.createBucket();
        Map<String, String> expected = seed(src, "in/");
        int n = expected.size();
        String yaml = """
                sources: [%s]
                destinations: [%s]
                workflows: [{name: copy, source: s, destinations: [d], batchSize: 4, concurrency: 4%%s}]
                """.formatted(s3("s", src, "prefix: in/"), s3("d", dst, "prefix: out/, serverSideCopy: false"));
        RunSummary first = runOnce(yaml.formatted(""));
        assertThat(first.failures()).isEmpty();
        assertThat(first.copied()).isEqualTo(n);
        assertThat(hashes(dst, "out/")).isEqualTo(expected);

        // A fresh stream (no de-duplication of the earlier messages): the listings alone show nothing to do.
        RunSummary unchanged = runOnce(yaml.formatted(""));
        assertThat(unchanged.listed()).isEqualTo(n);
        assertThat(unchanged.queued()).as("queued").isZero();
        assertThat(unchanged.skipped()).isEqualTo(n);
        assertThat(unchanged.copied()).isZero();

        S3.client().putObject(b -> b.bucket(src).key("in/a.txt"), RequestBody.fromString("rewritten, longer than before"));
        S3.client().putObject(b -> b.bucket(src).key("in/dir/b.csv"), RequestBody.fromBytes(new byte[2000])); // same size
        S3.client().putObject(b -> b.bucket(src).key("in/new/e.txt"), RequestBody.fromString("new"));
        S3.client().deleteObject(b -> b.bucket(dst).key("out/bulk/f-03.dat"));
        RunSummary changed = runOnce(yaml.formatted(""));
        assertThat(changed.failures()).isEmpty();
        assertThat(changed.queued()).as("queued: 2 rewritten, 1 new, 1 deleted at the destination").isEqualTo(4);
        assertThat(changed.copied()).isEqualTo(4);
        assertThat(changed.skipped()).isEqualTo(n + 1 - 4);
        assertThat(hashes(dst, "out/")).isEqualTo(hashes(src, "in/"));

        // Without the comparison every object is queued and the dequeuer finds them present one by one.
        RunSummary unlisted = runOnce(yaml.formatted(", listDestinations: false"));
        assertThat(unlisted.queued()).isEqualTo(n + 1);
        assertThat(unlisted.skipped()).isEqualTo(n + 1);
        assertThat(unlisted.copied()).isZero();
    }

    @Test
    void withCleanUpObjectsAlreadyStoredAreStillQueuedSoThatTheSourceIsEmptied() throws Exception {
        String src = S3.createBucket();
        String dst = S3.createBucket();
        Map<String, String> expected = seed(src, "in/");
        String yaml = """
                sources: [%s]
                destinations: [%s]
                workflows: [{name: move, source: s, destinations: [d], cleanUp: %%s}]
                """.formatted(s3("s", src, "prefix: in/"), s3("d", dst, "prefix: out/"));
        assertThat(runOnce(yaml.formatted("false")).copied()).isEqualTo(expected.size());
        RunSummary moved = runOnce(yaml.formatted("true"));
        assertThat(moved.failures()).isEmpty();
        assertThat(moved.queued()).isEqualTo(expected.size());
        assertThat(moved.skipped()).isEqualTo(expected.size());
        assertThat(hashes(src, "in/")).as("the source after cleanUp").isEmpty();
        assertThat(hashes(dst, "out/")).isEqualTo(expected);
    }

    @Test
    void s3ToS3CopiesEveryObjectWithItsContentAndType() throws Exception {
        String src = S3.createBucket();
        String dst = S3.createBucket();
        Map<String, String> expected = seed(src, "in/");
        RunSummary summary = runOnce("""
                sources: [%s]
                destinations: [%s]
                workflows: [{name: copy, source: s, destinations: [d], batchSize: 4, concurrency: 4}]
                """.formatted(s3("s", src, "prefix: in/"), s3("d", dst, "prefix: out, partSize: 5MiB, multipartThreshold: 5MiB, serverSideCopy: false")));
        assertThat(summary.failures()).isEmpty();
        assertThat(summary.copied()).isEqualTo(expected.size());
        assertThat(hashes(dst, "out/")).isEqualTo(expected);
        assertThat(S3.client().headObject(b -> b.bucket(dst).key("out/dir/b.csv")).contentType())
                .isEqualTo("application/x-seed");
        assertThat(S3.client().headObject(b -> b.bucket(dst).key("out/big/multi.bin")).eTag()).endsWith("-2\"");
        assertThat(S3.pendingUploads(dst)).isEmpty();
        assertThat(hashes(src, "in/")).as("the source is left alone without cleanUp").isEqualTo(expected);
    }

    @Test
    void s3ToS3OnOneServerWithTheSameCredentialsCopiesWithinS3() throws Exception {
        String src = S3.createBucket();
        String dst = S3.createBucket();
        Map<String, String> expected = seed(src, "in/");
        ch.qos.logback.classic.Logger logger =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(S3Destination.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs =
                new ch.qos.logback.core.read.ListAppender<>();
        logs.start();
        ch.qos.logback.classic.Level level = logger.getLevel();
        logger.setLevel(ch.qos.logback.classic.Level.DEBUG);
        logger.addAppender(logs);
        RunSummary summary;
        try {
            summary = runOnce("""
                    sources: [%s]
                    destinations: [%s]
                    workflows: [{name: within, source: s, destinations: [d], batchSize: 4, concurrency: 4}]
                    """.formatted(s3("s", src, "prefix: in/"), s3("d", dst, "prefix: out, copyPartSize: 5MiB")));
        } finally {
            logger.detachAppender(logs);
            logger.setLevel(level);
        }
        assertThat(summary.failures()).isEmpty();
        assertThat(summary.copied()).isEqualTo(expected.size());
        assertThat(summary.bytes()).as("counted as announced, though not read")
                .isEqualTo(S3.client().listObjectsV2Paginator(b -> b.bucket(src).prefix("in/")).contents().stream()
                        .mapToLong(S3Object::size).sum());
        assertThat(hashes(dst, "out/")).isEqualTo(expected);
        assertThat(logs.list).filteredOn(e -> e.getFormattedMessage().startsWith("copied s3://" + src + "/in/")
                && e.getFormattedMessage().contains(" within S3 ")).as("every object copied within S3")
                .hasSize(expected.size());
        assertThat(S3.client().headObject(b -> b.bucket(dst).key("out/dir/b.csv")).contentType())
                .isEqualTo("application/x-seed");
        assertThat(S3.client().headObject(b -> b.bucket(dst).key("out/big/multi.bin")).eTag())
                .as("above copyPartSize: copied in parts (streamed, it would have been one PutObject of 8 MiB parts)")
                .endsWith("-2\"");
        assertThat(S3.pendingUploads(dst)).isEmpty();
        assertThat(runOnce("""
                sources: [%s]
                destinations: [%s]
                workflows: [{name: within, source: s, destinations: [d]}]
                """.formatted(s3("s", src, "prefix: in/"), s3("d", dst, "prefix: out"))).skipped())
                .as("copies carry the version: a rerun finds them all").isEqualTo(expected.size());
    }

    @Test
    void aRerunOnAnotherQueueFindsEveryObjectAtTheDestinationAndSkipsIt() throws Exception {
        String src = S3.createBucket();
        String dst = S3.createBucket();
        Map<String, String> expected = seed(src, "");
        String yaml = """
                sources: [%s]
                destinations: [%s]
                workflows: [{name: again, source: s, destinations: [d]}]
                """.formatted(s3("s", src, ""), s3("d", dst, ""));
        assertThat(runOnce(yaml).copied()).isEqualTo(expected.size());
        RunSummary second = runOnce(yaml); // a new stream: nothing deduplicated, every object asked with stat
        assertThat(second.copied()).isZero();
        assertThat(second.skipped()).isEqualTo(expected.size());
        assertThat(second.failed()).isZero();
        assertThat(hashes(dst, "")).isEqualTo(expected);
    }

    @Test
    void s3ToFileAndFileToS3RoundTrip() throws Exception {
        String src = S3.createBucket();
        String back = S3.createBucket();
        Map<String, String> expected = seed(src, "export/");
        Path files = dir.resolve("files");
        RunSummary toFiles = runOnce("""
                sources: [%s]
                destinations: [{name: f, type: file, path: '%s'}]
                workflows: [{name: tofile, source: s, destinations: [f]}]
                """.formatted(s3("s", src, "prefix: export"), files));
        assertThat(toFiles.failures()).isEmpty();
        assertThat(hashes(files)).isEqualTo(expected);

        RunSummary toS3 = runOnce("""
                sources: [{name: f, type: file, path: '%s'}]
                destinations: [%s]
                workflows: [{name: tos3, source: f, destinations: [d]}]
                """.formatted(files, s3("d", back, "prefix: 'imported/', multipartThreshold: 5MiB, partSize: 5MiB")));
        assertThat(toS3.failures()).isEmpty();
        assertThat(toS3.copied()).isEqualTo(expected.size());
        assertThat(hashes(back, "imported/")).isEqualTo(expected);
        assertThat(S3.pendingUploads(back)).isEmpty();
    }

    @Test
    void twoS3DestinationsEachGetEveryObjectAndMarkersAreWrittenWhereAsked() throws Exception {
        String src = S3.createBucket();
        String one = S3.createBucket();
        String two = S3.createBucket();
        Map<String, String> expected = seed(src, "");
        RunSummary summary = runOnce("""
                sources: [%s]
                destinations:
                - %s
                - %s
                workflows: [{name: both, source: s, destinations: [one, two]}]
                """.formatted(s3("s", src, ""), s3("one", one, "prefix: copies/"),
                s3("two", two, "prefix: data, metafilesPrefix: meta, partSize: 5MiB")));
        assertThat(summary.failures()).isEmpty();
        assertThat(summary.copied()).isEqualTo(expected.size());
        assertThat(hashes(one, "copies/")).isEqualTo(expected);
        assertThat(hashes(two, "data/")).isEqualTo(expected);
        assertThat(S3.keys(two)).filteredOn(k -> k.startsWith("meta/")).containsExactlyInAnyOrderElementsOf(
                expected.keySet().stream().map(n -> "meta/" + n + ".done").toList());
    }

    @Test
    void withMetafilesPrefixAnObjectWithAMarkerIsNotCopiedAgainAndAnUnmarkedOneGetsItsMarker() throws Exception {
        String src = S3.createBucket();
        String dst = S3.createBucket();
        S3.put(src, "marked.txt", "new content");
        S3.put(src, "unmarked.txt", "12345");
        S3.put(src, "fresh.txt", "fresh");
        S3.put(dst, "meta/marked.txt.done", "");        // the marker says: stored already
        S3.put(dst, "unmarked.txt", "12345");           // stored by hand, without its marker
        RunSummary summary = runOnce("""
                sources: [%s]
                destinations: [%s]
                workflows: [{name: markers, source: s, destinations: [d]}]
                """.formatted(s3("s", src, ""), s3("d", dst, "metafilesPrefix: meta/")));
        assertThat(summary.failures()).isEmpty();
        assertThat(summary.skipped()).isEqualTo(2);
        assertThat(summary.copied()).isEqualTo(1);
        assertThat(S3.keys(dst)).containsExactlyInAnyOrder("fresh.txt", "unmarked.txt",
                "meta/marked.txt.done", "meta/unmarked.txt.done", "meta/fresh.txt.done");
    }

    @Test
    void cleanUpDeletesEachSourceObjectOnceItIsStored() throws Exception {
        String src = S3.createBucket();
        String dst = S3.createBucket();
        Map<String, String> expected = seed(src, "in/");
        S3.put(src, "elsewhere/keep.txt", "not under the prefix");
        RunSummary summary = runOnce("""
                sources: [%s]
                destinations: [%s]
                workflows: [{name: move, source: s, destinations: [d], cleanUp: true}]
                """.formatted(s3("s", src, "prefix: in/"), s3("d", dst, "")));
        assertThat(summary.failures()).isEmpty();
        assertThat(hashes(dst, "")).isEqualTo(expected);
        assertThat(S3.keys(src)).containsExactly("elsewhere/keep.txt");
    }

    @Test
    void anObjectDeletedAfterItWasQueuedIsDeadLetteredWhileTheOthersAreCopied() throws Exception {
        String src = S3.createBucket();
        String dst = S3.createBucket();
        Map<String, String> expected = seed(src, "");
        String yaml = """
                sources: [%s]
                destinations: [%s]
                workflows: [{name: vanish, source: s, destinations: [d]}]
                """.formatted(s3("s", src, ""), s3("d", dst, ""));
        QueueSettings queue = freshQueue();
        RunSummary enqueued = EngineRunner.runOnce(yaml, env(), queue, Mode.ENQUEUE);
        assertThat(enqueued.queued()).isEqualTo(expected.size());
        S3.client().deleteObject(b -> b.bucket(src).key("dir/b.csv"));

        RunSummary dequeued = EngineRunner.runOnce(yaml, env(), queue, Mode.DEQUEUE);
        assertThat(dequeued.failed()).isEqualTo(1);
        assertThat(dequeued.failures()).singleElement().asString().contains("dir/b.csv")
                .contains("bucket '" + src + "'").contains("vanished between listing and download");
        assertThat(dequeued.copied()).isEqualTo(expected.size() - 1);
        expected.remove("dir/b.csv");
        assertThat(hashes(dst, "")).isEqualTo(expected);
        try (JetStreamQueue q = JetStreamQueue.connect(queue)) {
            MessageInfo dead = q.connection().jetStreamManagement()
                    .getLastMessage(queue.stream(), queue.deadLetterSubjectOf("vanish"));
            assertThat(dead.getHeaders().getFirst(JetStreamQueue.HEADER_REASON)).contains("dir/b.csv").contains("vanished");
        }
    }

    @Test
    void theAssembledPluginDirectoryWorksInItsOwnClassLoader() throws Exception {
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
            assertThat(jars.map(p -> p.getFileName().toString()))
                    .as("the SPI and SLF4J come from the host").noneMatch(n -> n.startsWith("slf4j-") || n.startsWith("ingest-api"))
                    .anyMatch(n -> n.startsWith("plugin-s3-")).anyMatch(n -> n.startsWith("s3-2."));
        }
        // A host that shares the SPI and SLF4J but lists no plugin of its own, as the launcher's class path.
        ClassLoader host = new ClassLoader(S3EngineIT.class.getClassLoader()) {
            @Override
            public Enumeration<URL> getResources(String name) throws IOException {
                return name.startsWith("META-INF/services/") ? Collections.emptyEnumeration() : super.getResources(name);
            }
        };
        PluginRegistry registry = PluginRegistry.load(host, List.of(plugins), List.of());
        ClassLoader pluginLoader = registry.get("s3").orElseThrow().loader();
        assertThat(pluginLoader).isNotSameAs(host).isNotSameAs(S3PluginProvider.class.getClassLoader());
        assertThat(registry.get("s3").orElseThrow().provider().getClass().getClassLoader()).isSameAs(pluginLoader);

        String src = S3.createBucket();
        String dst = S3.createBucket();
        Map<String, String> expected = seed(src, "");
        RunSummary summary = EngineRunner.runOnce("""
                sources: [%s]
                destinations: [%s]
                workflows: [{name: isolated, source: s, destinations: [d]}]
                """.formatted(s3("s", src, ""), s3("d", dst, "partSize: 5MiB")), env(), freshQueue(), Mode.ALL, registry);
        assertThat(summary.failures()).isEmpty();
        assertThat(hashes(dst, "")).isEqualTo(expected);
    }

    @Test
    void everyProblemOfS3EntriesIsReportedAtOnceWithItsPath() throws Exception {
        String yaml = """
                sources: [%s]
                destinations:
                - %s
                - {name: d2, type: s3, bucket: b, endpoint: 'ftp://x', partSize: 1MiB, accessKeyID: k, unknownKey: 1}
                workflows: [{name: bad, source: s, destinations: [d1, d2]}]
                """.formatted(s3("s", "no-such-bucket", ""), "{name: d1, type: s3, endpoint: '" + S3.endpoint()
                + "', bucket: " + S3.createBucket() + ", accessKeyID: '${S3_KEY}', secretAccessKey: wrong}");
        assertThatThrownBy(() -> runOnce(yaml)).isInstanceOfSatisfying(InvalidConfigException.class, e -> {
            assertThat(e.problems()).extracting(ConfigProblem::path).containsExactlyInAnyOrder(
                    "sources[0].bucket", "destinations[0].bucket", "destinations[1].unknownKey");
        });
        // Without the unknown key, the plugin's own checks of d2 are reported with the others.
        String yaml2 = yaml.replace(", unknownKey: 1", "");
        assertThatThrownBy(() -> runOnce(yaml2)).isInstanceOfSatisfying(InvalidConfigException.class, e -> {
            assertThat(e.problems()).extracting(ConfigProblem::path).containsExactlyInAnyOrder(
                    "sources[0].bucket", "destinations[0].bucket", "destinations[1].endpoint",
                    "destinations[1].partSize", "destinations[1].secretAccessKey");
            assertThat(e.getMessage()).contains("bucket 'no-such-bucket' does not exist at " + S3.endpoint())
                    .doesNotContain("wrong").doesNotContain(S3.secretKey());
        });
    }
}
