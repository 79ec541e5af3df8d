package dev.ingest.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ingest.api.Codec;
import dev.ingest.core.config.ConfigLoader;
import dev.ingest.core.config.EnvExpander;
import dev.ingest.core.engine.IngestEngine;
import dev.ingest.core.engine.Mode;
import dev.ingest.core.engine.RunSummary;
import dev.ingest.core.plugin.Configured;
import dev.ingest.core.plugin.PluginRegistry;
import dev.ingest.core.plugin.PluginSetup;
import dev.ingest.core.queue.CodecJson;
import dev.ingest.core.queue.JetStreamQueue;
import dev.ingest.core.queue.QueueSettings;
import dev.ingest.testkit.NatsServerExtension;
import dev.ingest.core.metrics.IngestMetrics;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.ByteArrayOutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The engine in-process against a real nats-server, with the file plugin and a flaky test destination. */
class EngineIT {

    @RegisterExtension
    static final NatsServerExtension NATS = new NatsServerExtension();

    private static final AtomicInteger RUN = new AtomicInteger();

    @TempDir
    Path dir;

    private final String prefix = "engine" + RUN.incrementAndGet();

    private QueueSettings settings() {
        return new QueueSettings(NATS.url(), prefix, prefix, prefix, 1, -1, Duration.ofMinutes(2), Duration.ofSeconds(30));
    }

    private RunSummary runOnce(String yaml) throws Exception {
        return runOnce(yaml, q -> { });
    }

    interface QueueAction {
        void accept(JetStreamQueue queue) throws Exception;
    }

    private RunSummary runOnce(String yaml, QueueAction beforeRun) throws Exception {
        ConfigLoader.Parsed parsed = ConfigLoader.create(EnvExpander.of(Map.of())).parse(yaml, "test.yaml");
        assertThat(parsed.problems()).isEmpty();
        try (PluginRegistry registry = PluginRegistry.fromClassPath(getClass().getClassLoader());
             Configured configured = PluginSetup.configure(parsed, registry, true);
             JetStreamQueue queue = JetStreamQueue.connect(settings())) {
            queue.ensureStream();
            configured.workflows().forEach(w -> {
                try {
                    queue.ensureConsumer(w);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            beforeRun.accept(queue);
            return IngestEngine.builder().configured(configured).queue(queue).mode(Mode.ALL).once(true).build().run();
        }
    }

    private Path tree(String name, int files) throws IOException {
        Path root = Files.createDirectories(dir.resolve(name));
        for (int i = 0; i < files; i++) {
            Path f = root.resolve("d" + (i % 3) + "/sub " + (i % 2) + "/f-" + i + ".txt");
            Files.createDirectories(f.getParent());
            Files.writeString(f, "content of file " + i + "\n".repeat(i));
        }
        return root;
    }

    static Map<String, String> hashes(Path root) throws Exception {
        Map<String, String> out = new TreeMap<>();
        if (!Files.exists(root)) {
            return out;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                out.put(root.relativize(p).toString(), HexFormat.of().formatHex(sha.digest(Files.readAllBytes(p))));
            }
        }
        return out;
    }

    @Test
    void everyObjectReachesBothDestinations() throws Exception {
        Path src = tree("src", 30);
        String yaml = """
                sources: [{name: s, type: file, path: '%s'}]
                destinations:
                - {name: a, type: file, path: '%s'}
                - {name: b, type: file, path: '%s'}
                workflows: [{name: two, source: s, destinations: [a, b], batchSize: 5}]
                """.formatted(src, dir.resolve("a"), dir.resolve("b"));
        RunSummary summary = runOnce(yaml);
        assertThat(summary.copied()).isEqualTo(30);
        assertThat(summary.failed()).isZero();
        assertThat(hashes(dir.resolve("a"))).isEqualTo(hashes(src)).hasSize(30);
        assertThat(hashes(dir.resolve("b"))).isEqualTo(hashes(src));
    }

    @Test
    void aSecondRunCopiesNothingAndSkipsEverything() throws Exception {
        Path src = tree("src", 12);
        String yaml = """
                sources: [{name: s, type: file, path: '%s'}]
                destinations: [{name: a, type: file, path: '%s'}]
                workflows: [{name: again, source: s, destinations: [a]}]
                """.formatted(src, dir.resolve("a"));
        assertThat(runOnce(yaml).copied()).isEqualTo(12);
        RunSummary second = runOnce(yaml);
        assertThat(second.copied()).isZero();
        assertThat(second.skipped() + second.alreadyQueued()).isEqualTo(12);
    }

    @Test
    void cleanUpDeletesSourceObjectsOnlyAfterTheyAreStored() throws Exception {
        Path src = tree("src", 10);
        Map<String, String> before = hashes(src);
        String yaml = """
                sources: [{name: s, type: file, path: '%s'}]
                destinations: [{name: a, type: file, path: '%s'}]
                workflows: [{name: clean, source: s, destinations: [a], cleanUp: true}]
                """.formatted(src, dir.resolve("a"));
        assertThat(runOnce(yaml).copied()).isEqualTo(10);
        assertThat(hashes(dir.resolve("a"))).isEqualTo(before);
        assertThat(hashes(src)).isEmpty();
    }

    @Test
    void aDestinationFailingTwiceIsRetriedUntilItSucceeds() throws Exception {
        Path src = tree("src", 4);
        String yaml = """
                sources: [{name: s, type: file, path: '%s'}]
                destinations: [{name: flaky-%s, type: flaky, path: '%s', failures: 2}]
                workflows: [{name: retry, source: s, destinations: [flaky-%s], backoff: 100ms, maxBackoff: 200ms}]
                """.formatted(src, prefix, dir.resolve("a"), prefix);
        RunSummary summary = runOnce(yaml);
        assertThat(summary.copied()).isEqualTo(4);
        assertThat(summary.failed()).isZero();
        assertThat(summary.retried()).isEqualTo(8);
        assertThat(hashes(dir.resolve("a"))).isEqualTo(hashes(src));
    }

    @Test
    void whenOneOfTwoDestinationsFailsTheRetryDoesNotStoreAgainWhereTheObjectIs() throws Exception {
        Path src = tree("src", 3);
        String yaml = """
                sources: [{name: s, type: file, path: '%s'}]
                destinations:
                - {name: good-%s, type: flaky, path: '%s'}
                - {name: bad-%s, type: flaky, path: '%s', failures: 1}
                workflows: [{name: partial, source: s, destinations: [good-%s, bad-%s], backoff: 100ms}]
                """.formatted(src, prefix, dir.resolve("good"), prefix, dir.resolve("bad"), prefix, prefix);
        RunSummary summary = runOnce(yaml);
        assertThat(summary.copied()).isEqualTo(3);
        for (String name : hashes(src).keySet()) {
            assertThat(EngineTestPlugin.stores("good-" + prefix, name)).as(name).isEqualTo(1);
            assertThat(EngineTestPlugin.stores("bad-" + prefix, name)).as(name).isEqualTo(2);
        }
        assertThat(hashes(dir.resolve("good"))).isEqualTo(hashes(src));
        assertThat(hashes(dir.resolve("bad"))).isEqualTo(hashes(src));
    }

    @Test
    void exhaustedRetriesAreDeadLetteredWithTheirReasonAndTheOthersStillArrive() throws Exception {
        Path src = tree("src", 3);
        Files.writeString(src.resolve("doomed.txt"), "never arrives");
        String yaml = """
                sources: [{name: s, type: file, path: '%s', exclude: ['f-*']}]
                destinations: [{name: never-%s, type: flaky, path: '%s', failures: 100}]
                workflows: [{name: doomed, source: s, destinations: [never-%s], maxDeliver: 3, backoff: 50ms}]
                """.formatted(src, prefix, dir.resolve("a"), prefix);
        RunSummary summary = runOnce(yaml);
        assertThat(summary.failed()).isEqualTo(1);
        assertThat(summary.failures()).singleElement().asString()
                .contains("doomed.txt").contains("gave up after 3 attempts").contains("injected failure 3");
        try (JetStreamQueue queue = JetStreamQueue.connect(settings())) {
            MessageInfo dead = queue.connection().jetStreamManagement()
                    .getLastMessage(prefix, settings().deadLetterSubjectOf("doomed"));
            assertThat(headers(dead)).containsExactlyInAnyOrderEntriesOf(Map.of(
                    JetStreamQueue.HEADER_WORKFLOW, "doomed",
                    JetStreamQueue.HEADER_REASON, "gave up after 3 attempts",
                    JetStreamQueue.HEADER_ATTEMPTS, "3",
                    JetStreamQueue.HEADER_LAST_ERROR, "java.io.IOException: injected failure 3 of 100 for doomed.txt",
                    JetStreamQueue.HEADER_ORIGINAL_SUBJECT, settings().subjectOf("doomed")));
            assertThat(CodecJson.decode(dead.getData()).name()).isEqualTo("doomed.txt");
        }
    }

    /** The Ingest-* headers of a dead letter, decoded, one value each. */
    private static Map<String, String> headers(MessageInfo dead) {
        Map<String, String> out = new TreeMap<>();
        for (String key : dead.getHeaders().keySet()) {
            if (!key.startsWith("Ingest-")) {
                continue; // Nats-Msg-Id and the like
            }
            assertThat(dead.getHeaders().get(key)).as(key).hasSize(1);
            out.put(key, JetStreamQueue.decodeHeader(dead.getHeaders().getFirst(key)));
        }
        return out;
    }

    @Test
    void aPoisonObjectsDeadLetterCarriesAllFiveHeadersWithTheErrorAsReason() throws Exception {
        Path src = tree("src", 2);
        Path dest = dir.resolve("out");
        String yaml = """
                sources: [{name: s, type: file, path: '%s'}]
                destinations: [{name: a, type: file, path: '%s'}]
                workflows: [{name: pois, source: s, destinations: [a]}]
                """.formatted(src, dest);
        String someId = hashes(src).keySet().iterator().next();
        RunSummary summary = runOnce(yaml, queue -> queue.connection().jetStream()
                .publish(settings().subjectOf("pois"), CodecJson.encode(Codec.of(someId, "../évadé.txt"))));
        assertThat(summary.failed()).isEqualTo(1);
        try (JetStreamQueue queue = JetStreamQueue.connect(settings())) {
            MessageInfo dead = queue.connection().jetStreamManagement()
                    .getLastMessage(prefix, settings().deadLetterSubjectOf("pois"));
            Map<String, String> h = headers(dead);
            assertThat(h).containsOnlyKeys(JetStreamQueue.HEADER_WORKFLOW, JetStreamQueue.HEADER_REASON,
                    JetStreamQueue.HEADER_ATTEMPTS, JetStreamQueue.HEADER_LAST_ERROR,
                    JetStreamQueue.HEADER_ORIGINAL_SUBJECT);
            assertThat(h.get(JetStreamQueue.HEADER_WORKFLOW)).isEqualTo("pois");
            assertThat(h.get(JetStreamQueue.HEADER_REASON)).contains("'../évadé.txt'").contains("destination 'a'");
            assertThat(h.get(JetStreamQueue.HEADER_ATTEMPTS)).isEqualTo("1");
            assertThat(h.get(JetStreamQueue.HEADER_LAST_ERROR)).isEqualTo(h.get(JetStreamQueue.HEADER_REASON));
            assertThat(h.get(JetStreamQueue.HEADER_ORIGINAL_SUBJECT)).isEqualTo(settings().subjectOf("pois"));
            assertThat(CodecJson.decode(dead.getData()).name()).isEqualTo("../évadé.txt");
        }
    }

    /** The value of a sample of the metrics whose labels contain every fragment, 0 when absent. */
    private static double metric(IngestMetrics metrics, String name, String... labels) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        metrics.writeTo(out);
        Matcher m = Pattern.compile("^" + Pattern.quote(name) + "\\{([^}]*)\\} (\\S+)$", Pattern.MULTILINE)
                .matcher(out.toString(StandardCharsets.UTF_8));
        while (m.find()) {
            String l = m.group(1);
            if (Stream.of(labels).allMatch(l::contains)) {
                return Double.parseDouble(m.group(2));
            }
        }
        return 0;
    }

    @Test
    void aDeadLetterThatCannotBePublishedLeavesTheMessageQueuedUntilItCanBe() throws Exception {
        Path src = Files.createDirectories(dir.resolve("empty"));
        String yaml = """
                sources: [{name: s, type: file, path: '%s'}]
                destinations: [{name: a, type: file, path: '%s'}]
                workflows: [{name: full, source: s, destinations: [a], backoff: 100ms, maxBackoff: 200ms}]
                """.formatted(src, dir.resolve("a"));
        ConfigLoader.Parsed parsed = ConfigLoader.create(EnvExpander.of(Map.of())).parse(yaml, "test.yaml");
        IngestMetrics metrics = IngestMetrics.withoutJvm();
        try (PluginRegistry registry = PluginRegistry.fromClassPath(getClass().getClassLoader());
             Configured configured = PluginSetup.configure(parsed, registry, true);
             JetStreamQueue queue = JetStreamQueue.connect(settings())) {
            // A stream that holds one message and refuses more: the dead letter of that message cannot be stored.
            JetStreamManagement jsm = queue.connection().jetStreamManagement();
            StreamConfiguration full = StreamConfiguration.builder().name(prefix).subjects(prefix + ".>")
                    .storageType(StorageType.File).retentionPolicy(RetentionPolicy.WorkQueue)
                    .maxMessages(1).discardPolicy(DiscardPolicy.New).build();
            jsm.addStream(full);
            queue.connection().jetStream().publish(settings().subjectOf("full"), "not json".getBytes(StandardCharsets.UTF_8));
            IngestEngine engine = IngestEngine.builder().configured(configured).queue(queue).mode(Mode.ALL).once(true)
                    .metrics(metrics).build();
            CompletableFuture<RunSummary> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return engine.run();
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            String w = "workflow=\"full\"";
            await().atMost(Duration.ofSeconds(60)).until(() ->
                    metric(metrics, "ingest_queue_operations_total", w, "operation=\"dead_letter\"", "result=\"error\"") >= 2);
            assertThat(queue.subjectCounts()).as("after failed dead-letter publishes, the message is still queued")
                    .containsEntry(settings().subjectOf("full"), 1L)
                    .doesNotContainKey(settings().deadLetterSubjectOf("full"));
            assertThat(run).isNotDone();
            assertThat(metric(metrics, "ingest_dead_letters_total", w)).isZero();

            jsm.updateStream(StreamConfiguration.builder(full).maxMessages(-1).build());
            RunSummary summary = run.get(60, TimeUnit.SECONDS);
            assertThat(summary.failed()).isEqualTo(1);
            assertThat(summary.failures()).singleElement().asString().contains("malformed message");
            assertThat(queue.subjectCounts()).as("dead-lettered once the stream takes it")
                    .containsEntry(settings().deadLetterSubjectOf("full"), 1L)
                    .doesNotContainKey(settings().subjectOf("full"));
            assertThat(metric(metrics, "ingest_dead_letters_total", w)).isEqualTo(1);
            assertThat(metric(metrics, "ingest_queue_operations_total", w, "operation=\"dead_letter\"", "result=\"success\""))
                    .isEqualTo(1);
            assertThat(metric(metrics, "ingest_queue_operations_total", w, "operation=\"term\"")).isEqualTo(1);
            double failedPublishes = metric(metrics, "ingest_queue_operations_total", w, "operation=\"dead_letter\"",
                    "result=\"error\"");
            assertThat(metric(metrics, "ingest_queue_operations_total", w, "operation=\"nak\"")).isEqualTo(failedPublishes);
            assertThat(metric(metrics, "ingest_dequeue_attempts_total", w, "result=\"error\""))
                    .isEqualTo(failedPublishes + 1);
        }
    }

    @Test
    void malformedAndPathEscapingMessagesAreDeadLetteredWithoutBlockingTheOthers() throws Exception {
        Path src = tree("src", 5);
        Path dest = dir.resolve("out/dest");
        String yaml = """
                sources: [{name: s, type: file, path: '%s'}]
                destinations: [{name: a, type: file, path: '%s'}]
                workflows: [{name: hostile, source: s, destinations: [a]}]
                """.formatted(src, dest);
        RunSummary summary = runOnce(yaml, queue -> {
            var js = queue.connection().jetStream();
            js.publish(settings().subjectOf("hostile"), "not json".getBytes(StandardCharsets.UTF_8));
            String someId = hashes(src).keySet().iterator().next();
            js.publish(settings().subjectOf("hostile"), CodecJson.encode(Codec.of(someId, "../escaped.txt")));
            js.publish(settings().subjectOf("hostile"), CodecJson.encode(Codec.of(someId, "/etc/evil.txt")));
        });
        assertThat(summary.failed()).isEqualTo(3);
        assertThat(summary.copied()).isEqualTo(5);
        assertThat(summary.failures()).anyMatch(f -> f.contains("malformed message"))
                .anyMatch(f -> f.contains("../escaped.txt")).anyMatch(f -> f.contains("/etc/evil.txt"));
        assertThat(dir.resolve("out/escaped.txt")).doesNotExist();
        assertThat(hashes(dest)).isEqualTo(hashes(src));
    }

    /** One request received by the test webhook. */
    record Hook(byte[] body, String signature, String delivery, String workflow) {
    }

    @Test
    void theWebhookReceivesEveryStoredUriWithAVerifiableSignature() throws Exception {
        Path src = tree("src", 20);
        List<Hook> received = new CopyOnWriteArrayList<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/hook", ex -> {
            received.add(new Hook(ex.getRequestBody().readAllBytes(), ex.getRequestHeaders().getFirst("X-Ingest-Signature"),
                    ex.getRequestHeaders().getFirst("X-Ingest-Delivery"), ex.getRequestHeaders().getFirst("X-Ingest-Workflow")));
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        server.start();
        try {
            String yaml = """
                    sources: [{name: s, type: file, path: '%s'}]
                    destinations: [{name: a, type: file, path: '%s'}]
                    workflows:
                    - {name: hooked, source: s, destinations: [a], batchSize: 6,
                       webhook: 'http://127.0.0.1:%d/hook', webhookSecret: s3cret}
                    """.formatted(src, dir.resolve("a"), server.getAddress().getPort());
            RunSummary summary = runOnce(yaml);
            assertThat(summary.copied()).isEqualTo(20);
            assertThat(summary.webhookFailed()).isZero();
            List<String> uris = new ArrayList<>();
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec("s3cret".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            for (Hook h : received) {
                assertThat(h.signature()).isEqualTo("sha256=" + HexFormat.of().formatHex(mac.doFinal(h.body())));
                assertThat(h.workflow()).isEqualTo("hooked");
                assertThat(h.delivery()).isNotBlank();
                uris.addAll(List.of(new com.fasterxml.jackson.databind.ObjectMapper().readValue(h.body(), String[].class)));
            }
            assertThat(received.stream().map(Hook::delivery).distinct()).hasSameSizeAs(received);
            List<String> expected = new ArrayList<>();
            for (String name : hashes(dir.resolve("a")).keySet()) {
                expected.add(dir.resolve("a").resolve(name).toUri().toString());
            }
            assertThat(uris).containsExactlyInAnyOrderElementsOf(expected);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void aWebhookThatIsDownNeitherBlocksNorLosesObjects() throws Exception {
        Path src = tree("src", 10);
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        String yaml = """
                sources: [{name: s, type: file, path: '%s'}]
                destinations: [{name: a, type: file, path: '%s'}]
                workflows: [{name: nohook, source: s, destinations: [a], batchSize: 5, webhook: 'http://127.0.0.1:%d/'}]
                """.formatted(src, dir.resolve("a"), closedPort);
        RunSummary summary = runOnce(yaml);
        assertThat(summary.copied()).isEqualTo(10);
        assertThat(summary.failed()).isZero();
        assertThat(summary.webhookFailed()).isPositive();
        assertThat(hashes(dir.resolve("a"))).isEqualTo(hashes(src));
    }
}
