package dev.ingest.cli;

import static dev.ingest.cli.LauncherSupport.countFinalFiles;
import static dev.ingest.cli.LauncherSupport.generateTree;
import static dev.ingest.cli.LauncherSupport.generateUniformTree;
import static dev.ingest.cli.LauncherSupport.hashTree;
import static dev.ingest.cli.LauncherSupport.queueArgs;
import static dev.ingest.cli.LauncherSupport.tempFiles;
import static dev.ingest.cli.LauncherSupport.unique;
import static dev.ingest.cli.LauncherSupport.writeFileConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ingest.cli.LauncherSupport.Launch;
import dev.ingest.cli.LauncherSupport.Result;
import dev.ingest.testkit.NatsServerExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** SIGTERM to the real {@code bin/ingest}: while it copies, while it idles, in {@code --once} runs. */
@ExtendWith(LauncherSupport.RequiresDistribution.class)
class LauncherSignalIT {

    /** Enough data that batches of 4 copied one at a time take a few seconds (about 2 s on a laptop SSD). */
    private static final int FILES = 400;
    private static final int FILE_SIZE = 512 * 1024;
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(30);

    @RegisterExtension
    static final NatsServerExtension NATS = new NatsServerExtension();

    /** The big tree, shared by the tests that interrupt a copy (each copies it to its own destination). */
    @TempDir
    static Path shared;

    private static Path bigTree;
    private static Map<String, String> bigTreeHashes;

    @RegisterExtension
    final LauncherSupport.Launcher launcher = new LauncherSupport.Launcher();

    @TempDir
    Path dir;

    @BeforeAll
    static void generateBigTree() throws Exception {
        bigTree = shared.resolve("big source");
        bigTreeHashes = generateUniformTree(bigTree, FILES, FILE_SIZE, 99);
    }

    @Test
    void sigtermInTheMiddleOfARunLosesNothingAndLeavesNoPartialFile() throws Exception {
        Path dst = dir.resolve("destination");
        String name = unique("sigterm");
        Path config = writeFileConfig(dir, name, bigTree, dst, "batchSize: 4", "concurrency: 1", "interval: 1h");

        Launch service = launcher.start(dir, Map.of(),
                queueArgs(NATS.url(), name, config, "--mode=all", "--shutdown-grace", "2s"));
        long beforeSignal = awaitSomeButNotAllCopied(service, dst);

        service.process().destroy(); // SIGTERM
        Result stopped = service.await(EXIT_TIMEOUT);

        assertThat(stopped.exitCode()).as(stopped.describe()).isZero();
        assertThat(stopped.stderr()).as(stopped.describe()).contains("signal received: stopping");
        assertThat(tempFiles(dst)).as("temporary files left at the destination").isEmpty();
        Map<String, String> partial = hashTree(dst);
        assertThat(partial.size()).as("files at the destination after SIGTERM (%s before it)", beforeSignal)
                .isGreaterThanOrEqualTo((int) beforeSignal)
                .isLessThan(FILES);
        assertThat(bigTreeHashes).as("every file at the destination is complete and correct")
                .containsAllEntriesOf(partial);

        Result resumed = launcher.run(dir, Duration.ofSeconds(120), Map.of(),
                queueArgs(NATS.url(), name, config, "--mode=all", "--once"));

        assertThat(resumed.exitCode()).as(resumed.describe()).isZero();
        assertThat(resumed.count("failed")).as(resumed.describe()).isZero();
        assertThat(resumed.count("copied")).as(resumed.describe())
                .isPositive()
                .isLessThanOrEqualTo(FILES - partial.size());
        assertThat(tempFiles(dst)).isEmpty();
        assertThat(hashTree(dst)).as("the destination after resuming").isEqualTo(bigTreeHashes);
    }

    @Test
    void sigtermDuringAOnceRunExitsWith5AndTheNextRunFinishesTheWork() throws Exception {
        Path dst = dir.resolve("destination");
        String name = unique("oncesigterm");
        Path config = writeFileConfig(dir, name, bigTree, dst, "batchSize: 4", "concurrency: 1");
        String[] args = queueArgs(NATS.url(), name, config, "--mode=all", "--once", "--shutdown-grace", "2s");

        Launch run = launcher.start(dir, Map.of(), args);
        awaitSomeButNotAllCopied(run, dst);

        run.process().destroy(); // SIGTERM
        Result stopped = run.await(EXIT_TIMEOUT);

        assertThat(stopped.exitCode()).as(stopped.describe()).isEqualTo(5);
        assertThat(stopped.stdout()).as(stopped.describe())
                .containsPattern(LauncherSupport.SUMMARY)
                .contains("stopped by signal before the work was done");
        assertThat(tempFiles(dst)).isEmpty();
        assertThat(bigTreeHashes).containsAllEntriesOf(hashTree(dst));

        Result resumed = launcher.run(dir, Duration.ofSeconds(120), Map.of(), args);

        assertThat(resumed.exitCode()).as(resumed.describe()).isZero();
        assertThat(hashTree(dst)).as("the destination after resuming").isEqualTo(bigTreeHashes);
    }

    @Test
    void healthEndpointsAnswerWhileRunningAndSigtermStopsAnIdleService() throws Exception {
        Path src = dir.resolve("source");
        Path dst = dir.resolve("destination");
        Map<String, String> expected = generateTree(src, 30, 17, 4096);
        String name = unique("idle");
        Path config = writeFileConfig(dir, name, src, dst, "interval: 1h");

        Launch service = launcher.start(dir, Map.of(), queueArgs(NATS.url(), name, config, "--mode=all"));
        await("every file copied").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .failFast("the launcher exited", () -> !service.process().isAlive())
                .until(() -> countFinalFiles(dst) == expected.size());
        int port = LauncherSupport.healthPort(service);
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> live = LauncherSupport.get(http, port, "/live");
        HttpResponse<String> ready = LauncherSupport.get(http, port, "/ready");

        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).contains("ready");
        assertThat(hashTree(dst)).isEqualTo(expected);

        service.process().destroy(); // SIGTERM
        Result stopped = service.await(EXIT_TIMEOUT);

        assertThat(stopped.exitCode()).as(stopped.describe()).isZero();
        assertThat(stopped.stderr()).as(stopped.describe()).contains("signal received: stopping");
    }

    @Test
    void sigtermWithAnEmbeddedQueueStopsTheEmbeddedNatsServerAndDeletesItsStore() throws Exception {
        Path src = dir.resolve("source");
        Path dst = dir.resolve("destination");
        Map<String, String> expected = generateTree(src, 10, 23, 1024);
        Path config = writeFileConfig(dir, unique("embedded"), src, dst, "interval: 1h");
        AtomicReference<List<ProcessHandle>> natsServers = new AtomicReference<>(List.of());
        AtomicReference<Path> store = new AtomicReference<>();
        try {
            Launch service = launcher.start(dir, Map.of(), "--mode=all", "--queue-endpoint=embedded",
                    "--listen", "127.0.0.1:0", "--config", config.toString());
            await("every file copied").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                    .failFast("the launcher exited", () -> !service.process().isAlive())
                    .until(() -> countFinalFiles(dst) == expected.size());
            Matcher m = Pattern.compile("started embedded nats-server at \\S+ \\(store ([^)]+)\\)")
                    .matcher(service.stderr());
            assertThat(m.find()).as("the embedded nats-server's log line in:\n%s", service.stderr()).isTrue();
            store.set(Paths.get(m.group(1)));
            natsServers.set(service.process().descendants()
                    .filter(h -> h.info().command().orElse("").endsWith("nats-server")).toList());
            assertThat(natsServers.get()).as("the embedded nats-server child process").hasSize(1);
            assertThat(store.get()).isDirectory();

            service.process().destroy(); // SIGTERM
            Result stopped = service.await(EXIT_TIMEOUT);

            assertThat(stopped.exitCode()).as(stopped.describe()).isZero();
            await("the embedded nats-server stopped").atMost(Duration.ofSeconds(10))
                    .until(() -> natsServers.get().stream().noneMatch(ProcessHandle::isAlive));
            assertThat(store.get()).as("the embedded nats-server's temporary store").doesNotExist();
        } finally {
            natsServers.get().forEach(ProcessHandle::destroyForcibly);
            if (store.get() != null && store.get().getFileName().toString().startsWith("ingest-nats-")) {
                deleteTree(store.get());
            }
        }
    }

    @Test
    void sigtermToAOnceRunWhoseDestinationHangsExitsAfterTheGraceWithASummaryAndNoNatsServerLeft() throws Exception {
        java.util.concurrent.CountDownLatch arrived = new java.util.concurrent.CountDownLatch(1);
        com.sun.net.httpserver.HttpServer hanging = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        hanging.setExecutor(java.util.concurrent.Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "hanging-receiver");
            t.setDaemon(true);
            return t;
        }));
        hanging.createContext("/", ex -> {
            if (!"PUT".equals(ex.getRequestMethod())) {
                ex.sendResponseHeaders(404, -1);
                ex.close();
                return;
            }
            arrived.countDown();
            try {
                Thread.sleep(120_000); // never answers within the test
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.close();
        });
        hanging.start();
        AtomicReference<List<ProcessHandle>> natsServers = new AtomicReference<>(List.of());
        AtomicReference<Path> store = new AtomicReference<>();
        try {
            Path src = dir.resolve("source");
            generateUniformTree(src, 6, 1024, 31);
            String name = unique("hang");
            Path config = dir.resolve(name + ".yaml");
            Files.writeString(config, "sources: [{name: src, type: file, path: " + LauncherSupport.quote(src) + "}]\n"
                    + "destinations: [{name: up, type: http, url: 'http://127.0.0.1:" + hanging.getAddress().getPort()
                    + "/up/{name}'}]\n"
                    + "workflows: [{name: " + name + ", source: src, destinations: [up], concurrency: 2}]\n");
            Launch run = launcher.start(dir, Map.of(), "--mode=all", "--once", "--queue-endpoint=embedded",
                    "--shutdown-grace=2s", "--listen", "127.0.0.1:0", "--config", config.toString());
            assertThat(arrived.await(60, java.util.concurrent.TimeUnit.SECONDS)).as("a PUT reached the receiver").isTrue();
            Matcher m = Pattern.compile("started embedded nats-server at \\S+ \\(store ([^)]+)\\)").matcher(run.stderr());
            assertThat(m.find()).as(run.stderr()).isTrue();
            store.set(Paths.get(m.group(1)));
            natsServers.set(run.process().descendants()
                    .filter(h -> h.info().command().orElse("").endsWith("nats-server")).toList());
            assertThat(natsServers.get()).hasSize(1);

            long signalled = System.nanoTime();
            run.process().destroy(); // SIGTERM
            Result stopped = run.await(Duration.ofSeconds(40));
            Duration took = Duration.ofNanos(System.nanoTime() - signalled);

            assertThat(stopped.exitCode()).as(stopped.describe()).isEqualTo(5);
            assertThat(took).as("2 s of grace, then the copies are interrupted and handed back; " + stopped.describe())
                    .isLessThan(Duration.ofSeconds(12));
            assertThat(stopped.stdout()).as(stopped.describe())
                    .containsPattern(LauncherSupport.SUMMARY)
                    .contains("stopped by signal before the work was done");
            Matcher drained = Pattern.compile("stopped: ([1-9]\\d*) copies were in flight; 0 finished within the 2s "
                    + "grace period and \\1 were handed back to the queue; \\d+ fetched message\\(s\\) not yet "
                    + "started were handed back").matcher(stopped.stderr());
            assertThat(drained.find()).as("the last word on what was drained; " + stopped.describe()).isTrue();
            await("the embedded nats-server stopped").atMost(Duration.ofSeconds(10))
                    .until(() -> natsServers.get().stream().noneMatch(ProcessHandle::isAlive));
            assertThat(store.get()).as("the embedded nats-server's temporary store").doesNotExist();
        } finally {
            hanging.stop(0);
            natsServers.get().forEach(ProcessHandle::destroyForcibly);
            if (store.get() != null && store.get().getFileName().toString().startsWith("ingest-nats-")) {
                deleteTree(store.get());
            }
        }
    }

    @Test
    void sigtermToAOnceRunThatHasCopiedEverythingExitsZero() throws Exception {
        java.util.concurrent.CountDownLatch notified = new java.util.concurrent.CountDownLatch(1);
        java.util.List<String> bodies = new java.util.concurrent.CopyOnWriteArrayList<>();
        com.sun.net.httpserver.HttpServer hook = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        hook.createContext("/hook", ex -> {
            try (ex) {
                bodies.add(new String(ex.getRequestBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
                notified.countDown();
                Thread.sleep(3000); // the run lingers at its end, delivering this
                ex.sendResponseHeaders(200, -1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        hook.start();
        try {
            Path src = dir.resolve("source");
            Path dst = dir.resolve("destination");
            Map<String, String> expected = generateUniformTree(src, 3, 1024, 37);
            String name = unique("lateterm");
            Path config = writeFileConfig(dir, name, src, dst, "batchSize: 8",
                    "webhook: http://127.0.0.1:" + hook.getAddress().getPort() + "/hook");
            Launch run = launcher.start(dir, Map.of(), queueArgs(NATS.url(), name, config, "--mode=all", "--once"));
            assertThat(notified.await(60, java.util.concurrent.TimeUnit.SECONDS)).as(run.stderr()).isTrue();
            assertThat(hashTree(dst)).as("everything is copied before the signal").isEqualTo(expected);

            run.process().destroy(); // SIGTERM
            Result stopped = run.await(EXIT_TIMEOUT);

            assertThat(stopped.exitCode()).as(stopped.describe()).isZero();
            assertThat(stopped.stdout()).as(stopped.describe())
                    .containsPattern(LauncherSupport.SUMMARY)
                    .doesNotContain("stopped by signal");
            assertThat(stopped.count("copied")).as(stopped.describe()).isEqualTo(3);
        } finally {
            hook.stop(0);
        }
    }

    /** Waits until some files have arrived; checks the copy is still under way. */
    private static long awaitSomeButNotAllCopied(Launch launch, Path dst) {
        await("the first files at the destination")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(20))
                .failFast("the launcher exited", () -> !launch.process().isAlive())
                .until(() -> countFinalFiles(dst) >= 8);
        long copied = countFinalFiles(dst);
        assertThat(copied)
                .as("the copy must still be under way when SIGTERM is sent; make the tree bigger if this fails")
                .isLessThan(FILES);
        return copied;
    }

    private static void deleteTree(Path root) throws Exception {
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
