package dev.ingest.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.ingest.core.config.ConfigProblem;
import dev.ingest.core.control.ConfigStore;
import dev.ingest.core.control.ControlPlane;
import dev.ingest.core.engine.Mode;
import dev.ingest.core.engine.RunSummary;
import dev.ingest.core.nats.NatsServerProcess;
import dev.ingest.core.plugin.PluginRegistry;
import dev.ingest.core.testplugin.DirPluginProvider;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Ingest} against a real nats-server, with core's test plugin (type {@code dir}). */
class IngestIT {

    private static NatsServerProcess nats;
    private static final AtomicInteger RUN = new AtomicInteger();

    @TempDir
    Path tmp;

    private final String name = "embed" + RUN.incrementAndGet();

    @BeforeAll
    static void startNats() throws IOException {
        nats = NatsServerProcess.start();
    }

    @AfterAll
    static void stopNats() {
        if (nats != null) {
            nats.close();
        }
    }

    /** A configuration with variables IN and OUT, so paths never need YAML quoting. */
    private static final String CONFIG = """
            sources: [{name: in, type: dir, path: '${IN}'}]
            destinations: [{name: out, type: dir, path: '${OUT}'}]
            workflows: [{name: copy, source: in, destinations: [out], interval: 200ms}]
            """;

    private Map<String, String> dirs() {
        return Map.of("IN", tmp.resolve("in").toString(), "OUT", tmp.resolve("out").toString());
    }

    private Ingest.Builder builder() throws IOException {
        Files.createDirectories(tmp.resolve("in"));
        return Ingest.builder().config(CONFIG).variables(dirs()).natsUrl(nats.url())
                .stream(name).subject(name).consumer(name).shutdownGrace(Duration.ofSeconds(5));
    }

    private void files(int count, String prefix) throws IOException {
        Files.createDirectories(tmp.resolve("in"));
        for (int i = 0; i < count; i++) {
            byte[] bytes = new byte[i * 997];
            for (int j = 0; j < bytes.length; j++) {
                bytes[j] = (byte) (j * 31 + i);
            }
            Files.write(tmp.resolve("in").resolve(prefix + i + ".bin"), bytes);
        }
    }

    private static Map<String, byte[]> contents(Path dir) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : list.filter(Files::isRegularFile).toList()) {
                String name = p.getFileName().toString();
                if (name.startsWith(".dir-") && name.endsWith(".tmp")) {
                    continue; // a copy in progress: the plugin renames it when done
                }
                try {
                    out.put(name, Files.readAllBytes(p));
                } catch (java.nio.file.NoSuchFileException e) {
                    // renamed or removed between the listing and the read; the next poll sees the final name
                }
            }
        }
        return out;
    }

    private void assertCopied() throws IOException {
        Map<String, byte[]> in = contents(tmp.resolve("in"));
        Map<String, byte[]> out = contents(tmp.resolve("out"));
        assertThat(out.keySet()).isEqualTo(in.keySet());
        in.forEach((k, v) -> assertThat(out.get(k)).as(k).isEqualTo(v));
    }

    @Test
    void runOnceCopiesEverythingAndASecondRunCopiesNothing() throws Exception {
        files(12, "f");
        try (Ingest ingest = builder().build()) {
            assertThat(ingest.workflows()).containsExactly("copy");
            assertThat(ingest.isConnected()).isTrue();
            RunSummary first = ingest.runOnce();
            assertThat(first.copied()).isEqualTo(12);
            assertThat(first.failed()).isZero();
            assertCopied();

            RunSummary second = ingest.runOnce();
            assertThat(second.copied()).isZero();
            assertThat(second.skipped() + second.alreadyQueued()).isEqualTo(12);
            assertThat(ingest.progress()).isEqualTo(second); // the last run's summary, its elapsed time frozen
            assertThat(ingest.isRunning()).isFalse();
        }
    }

    @Test
    void workflowsSharingASourceOfTheOlderScanFormEachCopyEveryObject() throws Exception {
        // The dir test plugin implements only reset()/next(): one scan state per instance, shared by the workflows.
        files(300, "s");
        String yaml = """
                sources: [{name: in, type: dir, path: '${IN}'}]
                destinations: [{name: a, type: dir, path: '${A}'}, {name: b, type: dir, path: '${B}'}]
                workflows:
                - {name: one, source: in, destinations: [a]}
                - {name: two, source: in, destinations: [b]}
                - {name: three, source: in, destinations: [a, b]}
                """;
        Map<String, String> vars = Map.of("IN", tmp.resolve("in").toString(), "A", tmp.resolve("a").toString(),
                "B", tmp.resolve("b").toString());
        try (Ingest ingest = builder().config(yaml).variables(vars).build()) {
            RunSummary run = ingest.runOnce();
            assertThat(run.listed()).as(run.line()).isEqualTo(900);
            assertThat(run.failed()).as(run.line()).isZero();
        }
        Map<String, byte[]> in = contents(tmp.resolve("in"));
        for (String out : List.of("a", "b")) {
            Map<String, byte[]> copied = contents(tmp.resolve(out));
            assertThat(copied.keySet()).as("destination " + out).isEqualTo(in.keySet());
            in.forEach((k, v) -> assertThat(copied.get(k)).as(out + "/" + k).isEqualTo(v));
        }
    }

    @Test
    void cleanUpCopiesAgainWhatADestinationHoldsUnverifiedBeforeDeletingTheSource() throws Exception {
        // The dir test destination judges presence by the name alone (stat without check): never proof of a version.
        Files.createDirectories(tmp.resolve("in"));
        Files.createDirectories(tmp.resolve("out"));
        Files.writeString(tmp.resolve("in").resolve("report.txt"), "version-2 BBBB");
        Files.writeString(tmp.resolve("out").resolve("report.txt"), "version-1 AAAA");
        String yaml = CONFIG.replace("interval: 200ms", "interval: 200ms, cleanUp: true");
        try (Ingest ingest = builder().config(yaml).build()) {
            RunSummary run = ingest.runOnce();
            assertThat(run.copied()).as(run.line()).isEqualTo(1);
            assertThat(run.failed()).as(run.line()).isZero();
        }
        assertThat(Files.readString(tmp.resolve("out").resolve("report.txt"))).isEqualTo("version-2 BBBB");
        assertThat(tmp.resolve("in").resolve("report.txt")).doesNotExist();
    }

    @Test
    void withoutCleanUpAnUnverifiedPresenceCountsAsStored() throws Exception {
        Files.createDirectories(tmp.resolve("in"));
        Files.createDirectories(tmp.resolve("out"));
        Files.writeString(tmp.resolve("in").resolve("report.txt"), "version-2 BBBB");
        Files.writeString(tmp.resolve("out").resolve("report.txt"), "version-1 AAAA");
        try (Ingest ingest = builder().build()) {
            RunSummary run = ingest.runOnce();
            assertThat(run.skipped()).as(run.line()).isEqualTo(1);
            assertThat(run.copied()).as(run.line()).isZero();
        }
        assertThat(Files.readString(tmp.resolve("out").resolve("report.txt"))).isEqualTo("version-1 AAAA");
        assertThat(tmp.resolve("in").resolve("report.txt")).exists();
    }

    @Test
    void theConfigurationCanBeAFile() throws Exception {
        files(3, "p");
        Path file = tmp.resolve("ingest.yaml");
        Files.writeString(file, CONFIG);
        try (Ingest ingest = builder().config(file).build()) {
            assertThat(ingest.runOnce().copied()).isEqualTo(3);
        }
        assertCopied();
    }

    @Test
    void aConnectionOfTheCallerIsUsedAndLeftOpen() throws Exception {
        files(4, "c");
        try (Connection connection = Nats.connect(nats.url());
             PluginRegistry plugins = PluginRegistry.fromClassPath(getClass().getClassLoader())) {
            try (Ingest ingest = builder().natsConnection(connection).plugins(plugins).build()) {
                assertThat(ingest.runOnce().copied()).isEqualTo(4);
            }
            assertThat(connection.getStatus()).isEqualTo(Connection.Status.CONNECTED);
            // the queue settings were applied: stream NAME and consumer NAME__copy
            JetStreamManagement jsm = connection.jetStreamManagement();
            assertThat(jsm.getStreamInfo(name).getConfiguration().getSubjects()).containsExactly(name + ".>");
            assertThat(jsm.getConsumerNames(name)).containsExactly(name + "__copy");
            // and the registry still works for the caller
            assertThat(plugins.types()).contains("dir");
        }
        assertCopied();
    }

    @Test
    void theControlPlaneAddsPausesAndRemovesWorkflowsWhileTheServiceRuns() throws Exception {
        files(4, "c");
        Path second = tmp.resolve("second");
        try (Ingest ingest = builder().build()) {
            assertThat(ingest.controlPlane()).isEmpty();
            ingest.start();
            ControlPlane control = ingest.controlPlane().orElseThrow();
            await().atMost(Duration.ofSeconds(20)).untilAsserted(this::assertCopied);

            // A workflow of the API's, using the file's source: validated first, every problem with its path.
            assertThatThrownBy(() -> control.apply(ConfigStore.Kind.WORKFLOW, "more",
                    Map.of("source", "in", "destinations", List.of("nowhere"), "batchSize", "x")))
                    .isInstanceOfSatisfying(ControlPlane.Refused.class, r -> {
                        assertThat(r.status()).isEqualTo(422);
                        assertThat(r.problems()).extracting(ConfigProblem::path)
                                .contains("destinations[0]", "batchSize");
                    });
            control.apply(ConfigStore.Kind.DESTINATION, "second", Map.of("type", "dir", "path", second.toString()));
            ControlPlane.Applied applied = control.apply(ConfigStore.Kind.WORKFLOW, "more",
                    Map.of("source", "in", "destinations", List.of("second"), "interval", "200ms"));
            assertThat(applied.created()).isTrue();
            await().atMost(Duration.ofSeconds(20)).until(() -> ingest.workflows().contains("more"));
            await().atMost(Duration.ofSeconds(20)).until(() -> contents(second).size() == 4);
            assertThat(control.workflow("more").orElseThrow().origin()).isEqualTo("api");
            assertThat(control.workflow("copy").orElseThrow().origin()).isEqualTo("file");

            control.pause("more");
            await().atMost(Duration.ofSeconds(20)).until(() -> !ingest.workflows().contains("more"));
            assertThat(control.workflow("more").orElseThrow().state()).isEqualTo(ControlPlane.State.PAUSED);
            control.resume("more");
            await().atMost(Duration.ofSeconds(20)).until(() -> ingest.workflows().contains("more"));

            control.delete(ConfigStore.Kind.WORKFLOW, "more");
            await().atMost(Duration.ofSeconds(20)).until(() -> !ingest.workflows().contains("more"));
            assertThat(control.workflow("more")).isEmpty();
            assertThat(ingest.workflows()).containsExactly("copy");
        }
    }

    @Test
    void startRunsInTheBackgroundUntilClose() throws Exception {
        files(5, "a");
        Ingest ingest = builder().build();
        try {
            ingest.start();
            assertThat(ingest.isRunning()).isTrue();
            assertThatThrownBy(ingest::start).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(ingest::runOnce).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("start()");
            await().atMost(Duration.ofSeconds(20)).untilAsserted(this::assertCopied);

            files(3, "later"); // picked up by a later scan (interval 200ms)
            await().atMost(Duration.ofSeconds(20)).untilAsserted(this::assertCopied);
            assertThat(ingest.progress().copied()).isEqualTo(8);
        } finally {
            long t0 = System.nanoTime();
            ingest.close();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
        }
        assertThat(ingest.isRunning()).isFalse();
        assertThat(ingest.failure()).isEmpty();
        assertThat(ingest.isConnected()).isFalse(); // its own connection is closed
        assertThatThrownBy(ingest::runOnce).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(ingest::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        ingest.close(); // idempotent
    }

    @Test
    void anEnqueuerAndADequeuerShareTheWork() throws Exception {
        files(6, "m");
        try (Ingest enqueuer = builder().mode(Mode.ENQUEUE).build();
             Ingest dequeuer = builder().mode(Mode.DEQUEUE).build()) {
            RunSummary queued = enqueuer.runOnce();
            assertThat(queued.queued()).isEqualTo(6);
            assertThat(queued.copied()).isZero();
            assertThat(contents(tmp.resolve("out"))).isEmpty();

            assertThat(dequeuer.runOnce().copied()).isEqualTo(6);
        }
        assertCopied();
    }

    @Test
    void withoutStrictWorkflowsABrokenWorkflowIsSkipped() throws Exception {
        files(2, "s");
        String yaml = """
                sources: [{name: in, type: dir, path: '${IN}'}]
                destinations: [{name: out, type: dir, path: '${OUT}'}]
                workflows:
                - {name: copy, source: in, destinations: [out]}
                - {name: broken, source: in, destinations: [nowhere]}
                """;
        try (Ingest ingest = builder().config(yaml).strictWorkflows(false).build()) {
            assertThat(ingest.workflows()).containsExactly("copy");
            assertThat(ingest.runOnce().copied()).isEqualTo(2);
        }
    }

    @Test
    void closeFromAnotherThreadEndsARunOnceWhoseCopyWouldNeverFinishAndHandsItsMessageBack() throws Exception {
        files(1, "x");
        DirPluginProvider.Gate gate = DirPluginProvider.Gate.named(name + "-gate");
        String held = CONFIG.replace("path: '${IN}'}", "path: '${IN}', gate: " + name + "-gate}");
        ExecutorService runner = Executors.newSingleThreadExecutor();
        try (Ingest ingest = builder().config(held).ackWait(Duration.ofMinutes(10)).shutdownGrace(Duration.ofMillis(500))
                .build()) {
            Future<RunSummary> run = runner.submit(ingest::runOnce);
            assertThat(gate.awaitReached(Duration.ofSeconds(60))).as("the copy started and is held").isTrue();
            Thread closer = new Thread(ingest::close, "closer");
            closer.start();
            // The held copy never finishes by itself: only close() can end this run.
            RunSummary summary = run.get(60, TimeUnit.SECONDS);
            assertThat(summary.copied()).as(summary.line()).isZero();
            assertThat(summary.failed()).as(summary.line()).isZero();
            closer.join(60_000);
            assertThat(closer.isAlive()).as("close() returned").isFalse();
            assertThat(ingest.isRunning()).isFalse();
            assertThat(gate.waiting()).as("the held copy was interrupted").isZero();
        } finally {
            gate.open();
            runner.shutdownNow();
        }
        assertThat(contents(tmp.resolve("out"))).isEmpty();
        // The message was handed back, not left awaiting its ack (10 minutes): the next run copies the object at once.
        ExecutorService rerun = Executors.newSingleThreadExecutor();
        try (Ingest again = builder().ackWait(Duration.ofMinutes(10)).build()) {
            RunSummary summary = rerun.submit(again::runOnce).get(60, TimeUnit.SECONDS);
            assertThat(summary.copied()).as(summary.line()).isEqualTo(1);
        } finally {
            rerun.shutdownNow();
        }
        assertCopied();
    }
}
