package dev.ingest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ingest.core.config.ConfigLoader;
import dev.ingest.core.config.EnvExpander;
import dev.ingest.core.engine.IngestEngine;
import dev.ingest.core.engine.Mode;
import dev.ingest.core.engine.RunSummary;
import dev.ingest.core.metrics.IngestMetrics;
import dev.ingest.core.plugin.Configured;
import dev.ingest.core.plugin.PluginRegistry;
import dev.ingest.core.plugin.PluginSetup;
import dev.ingest.core.queue.JetStreamQueue;
import dev.ingest.core.queue.QueueSettings;
import dev.ingest.testkit.NatsServerExtension;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PullRequestOptions;
import io.nats.client.api.MessageInfo;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the dequeuer promises about each message, in-process against a real nats-server: when it asks destinations
 * whether they hold an object, that a source object outlives a failed store, and that a copy longer than the ack wait
 * is not redelivered.
 */
class DeliveryGuaranteesIT {

    @RegisterExtension
    static final NatsServerExtension NATS = new NatsServerExtension();

    private static final AtomicInteger RUN = new AtomicInteger();

    @TempDir
    Path dir;

    private final String prefix = "delivery" + RUN.incrementAndGet();

    private QueueSettings settings(Duration ackWait) {
        return new QueueSettings(NATS.url(), prefix, prefix, prefix, 1, -1, Duration.ofMinutes(2), ackWait);
    }

    /** The live plugins and workflows of a configuration, and a queue with the stream and consumers set up. */
    private final class Setup implements AutoCloseable {
        final PluginRegistry registry;
        final Configured configured;
        final JetStreamQueue queue;

        Setup(String yaml, Duration ackWait) throws Exception {
            ConfigLoader.Parsed parsed = ConfigLoader.create(EnvExpander.of(Map.of())).parse(yaml, "test.yaml");
            assertThat(parsed.problems()).isEmpty();
            registry = PluginRegistry.fromClassPath(getClass().getClassLoader());
            configured = PluginSetup.configure(parsed, registry, true);
            queue = JetStreamQueue.connect(settings(ackWait));
            queue.ensureStream();
            for (var w : configured.workflows()) {
                queue.ensureConsumer(w);
            }
        }

        RunSummary run(Mode mode, IngestMetrics metrics) throws Exception {
            return IngestEngine.builder().configured(configured).queue(queue).mode(mode).once(true).metrics(metrics)
                    .build().run();
        }

        @Override
        public void close() throws IOException {
            queue.close();
            configured.close();
            registry.close();
        }
    }

    private Path tree(String name, int files) throws IOException {
        Path root = Files.createDirectories(dir.resolve(name));
        for (int i = 0; i < files; i++) {
            Files.writeString(root.resolve("f-" + i + ".txt"), "content of file " + i + "\n".repeat(i));
        }
        return root;
    }

    /**
     * @return the sum of a counter over the label sets whose text contains every one of {@code labels} (such as
     *     {@code operation="stat"})
     */
    private static double counter(IngestMetrics metrics, String name, String... labels) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        metrics.writeTo(out);
        Pattern line = Pattern.compile("^" + Pattern.quote(name) + "\\{([^}]*)\\} (\\S+)$", Pattern.MULTILINE);
        Matcher m = line.matcher(out.toString(StandardCharsets.UTF_8));
        double sum = 0;
        while (m.find()) {
            boolean all = true;
            for (String l : labels) {
                all &= m.group(1).contains(l);
            }
            if (all) {
                sum += Double.parseDouble(m.group(2));
            }
        }
        return sum;
    }

    private static double stats(IngestMetrics metrics, String destination) throws IOException {
        return counter(metrics, "ingest_storage_operations_total", "destination=\"" + destination + "\"",
                "operation=\"stat\"");
    }

    /** @return the {@code Ingest-Lacking-At} values of every message in the stream */
    private List<List<String>> lackingAtOfQueued(JetStreamQueue queue) throws Exception {
        var jsm = queue.connection().jetStreamManagement();
        long last = jsm.getStreamInfo(prefix).getStreamState().getLastSequence();
        List<List<String>> out = new ArrayList<>();
        for (long seq = 1; seq <= last; seq++) {
            MessageInfo m = jsm.getMessage(prefix, seq);
            List<String> values = m.getHeaders() == null ? null : m.getHeaders().get(JetStreamQueue.HEADER_LACKING_AT);
            out.add(values == null ? List.of() : values);
        }
        return out;
    }

    private static final String FILE_TO_FILE = """
            sources: [{name: s, type: file, path: '%s'}]
            destinations: [{name: dst, type: file, path: '%s'}]
            workflows: [{name: lacking, source: s, destinations: [dst], batchSize: 5}]
            """;

    @Test
    void aFirstDeliveryMarkedAsLackingAtADestinationIsStoredThereWithoutAStat() throws Exception {
        Path src = tree("src", 5);
        try (Setup s = new Setup(FILE_TO_FILE.formatted(src, dir.resolve("dst")), Duration.ofSeconds(30))) {
            assertThat(s.run(Mode.ENQUEUE, IngestMetrics.withoutJvm()).queued()).isEqualTo(5);
            assertThat(lackingAtOfQueued(s.queue)).as("the scan's listing marked every message").hasSize(5)
                    .allSatisfy(v -> assertThat(v).containsExactly("dst"));

            IngestMetrics metrics = IngestMetrics.withoutJvm();
            RunSummary copy = s.run(Mode.DEQUEUE, metrics);
            assertThat(copy.copied()).as(copy.line()).isEqualTo(5);
            assertThat(stats(metrics, "dst")).as("stats of destination dst").isZero();
            assertThat(counter(metrics, "ingest_storage_operations_total", "operation=\"store\"", "result=\"success\""))
                    .as("stores").isEqualTo(5);
        }
        assertThat(EngineIT.hashes(dir.resolve("dst"))).isEqualTo(EngineIT.hashes(src));
    }

    @Test
    void aRedeliveryMarkedAsLackingIsCheckedWithAStatAndNotStoredAgainWhereTheObjectIs() throws Exception {
        Path src = tree("src", 5);
        Path dst = dir.resolve("dst");
        try (Setup s = new Setup(FILE_TO_FILE.formatted(src, dst), Duration.ofSeconds(30))) {
            assertThat(s.run(Mode.ENQUEUE, IngestMetrics.withoutJvm()).queued()).isEqualTo(5);
            assertThat(lackingAtOfQueued(s.queue)).hasSize(5).allSatisfy(v -> assertThat(v).containsExactly("dst"));
            // A first attempt took every message and stored the objects, then failed before its acks: NAK them all.
            JetStreamSubscription first = s.queue.subscribe("lacking");
            first.pull(PullRequestOptions.builder(5).expiresIn(5_000).build());
            for (int i = 0; i < 5; i++) {
                Message m = first.nextMessage(Duration.ofSeconds(10));
                assertThat(m).as("message %d of the first attempt", i + 1).isNotNull();
                assertThat(m.metaData().deliveredCount()).isEqualTo(1);
                m.nak();
            }
            first.unsubscribe();
            s.queue.flush(Duration.ofSeconds(5));
            for (Path f : Files.list(src).toList()) {
                Files.createDirectories(dst);
                Files.copy(f, dst.resolve(f.getFileName()));
            }

            IngestMetrics metrics = IngestMetrics.withoutJvm();
            RunSummary again = s.run(Mode.DEQUEUE, metrics);
            assertThat(stats(metrics, "dst")).as("stats of destination dst on the redelivery").isEqualTo(5);
            assertThat(again.skipped()).as(again.line()).isEqualTo(5);
            assertThat(again.copied()).as(again.line()).isZero();
        }
        assertThat(EngineIT.hashes(dst)).isEqualTo(EngineIT.hashes(src));
    }

    @Test
    void withCleanUpTheSourceObjectStaysWhenADestinationKeepsFailing() throws Exception {
        Path src = tree("src", 3);
        Map<String, String> before = EngineIT.hashes(src);
        String yaml = """
                sources: [{name: s, type: file, path: '%s'}]
                destinations:
                - {name: good-%s, type: flaky, path: '%s'}
                - {name: bad-%s, type: flaky, path: '%s', failures: 100}
                workflows: [{name: clean, source: s, destinations: [good-%s, bad-%s], cleanUp: true, maxDeliver: 2,
                             backoff: 50ms}]
                """.formatted(src, prefix, dir.resolve("good"), prefix, dir.resolve("bad"), prefix, prefix);
        try (Setup s = new Setup(yaml, Duration.ofSeconds(30))) {
            RunSummary run = s.run(Mode.ALL, IngestMetrics.withoutJvm());
            assertThat(run.failed()).as(run.line()).isEqualTo(3);
            assertThat(run.copied()).as(run.line()).isZero();
        }
        assertThat(EngineIT.hashes(src)).as("the source after the failed copies").isEqualTo(before);
        assertThat(EngineIT.hashes(dir.resolve("good"))).as("the good destination has every object").isEqualTo(before);
        for (String name : before.keySet()) {
            assertThat(EngineTestPlugin.stores("bad-" + prefix, name)).as("attempts at the failing destination").isEqualTo(2);
        }
    }

    @Test
    void aCopyLongerThanTheAckWaitSignalsProgressAndIsNotRedelivered() throws Exception {
        Path src = tree("src", 1);
        String name = "f-0.txt";
        String yaml = """
                sources: [{name: s, type: file, path: '%s'}]
                destinations: [{name: slow-%s, type: flaky, path: '%s', storeMillis: 6000}]
                workflows: [{name: slow, source: s, destinations: [slow-%s], concurrency: 4, batchSize: 4}]
                """.formatted(src, prefix, dir.resolve("slow"), prefix);
        IngestMetrics metrics = IngestMetrics.withoutJvm();
        try (Setup s = new Setup(yaml, Duration.ofSeconds(2))) {
            RunSummary run = s.run(Mode.ALL, metrics);
            assertThat(run.copied()).as(run.line()).isEqualTo(1);
            assertThat(run.retried()).as(run.line()).isZero();
        }
        // Without progress signals the server redelivers after 2 s, and a free copy slot stores the object again.
        assertThat(EngineTestPlugin.stores("slow-" + prefix, name)).as("store attempts").isEqualTo(1);
        assertThat(counter(metrics, "ingest_redeliveries_total")).as("redeliveries").isZero();
        assertThat(EngineIT.hashes(dir.resolve("slow"))).isEqualTo(EngineIT.hashes(src));
    }
}
