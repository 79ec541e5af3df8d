package dev.ingest.cli;

import static dev.ingest.cli.LauncherSupport.countFinalFiles;
import static dev.ingest.cli.LauncherSupport.generateUniformTree;
import static dev.ingest.cli.LauncherSupport.hashTree;
import static dev.ingest.cli.LauncherSupport.queueArgs;
import static dev.ingest.cli.LauncherSupport.stamps;
import static dev.ingest.cli.LauncherSupport.unique;
import static dev.ingest.cli.LauncherSupport.writeFileConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.ingest.cli.LauncherSupport.FileStamp;
import dev.ingest.cli.LauncherSupport.Launch;
import dev.ingest.cli.LauncherSupport.Result;
import dev.ingest.core.nats.NatsServerProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code bin/ingest} against a NATS server that is not there yet, has no JetStream, or loses its store
 * mid-run; and messages whose delivery count cannot be trusted. Each test runs its own nats-server.
 */
@ExtendWith(LauncherSupport.RequiresDistribution.class)
class QueueOutageIT {

    private static final Duration RUN = Duration.ofMinutes(2);

    @RegisterExtension
    final LauncherSupport.Launcher launcher = new LauncherSupport.Launcher();

    @TempDir
    Path dir;

    private final List<Process> servers = new ArrayList<>();
    private final List<NatsServerProcess> natsProcesses = new ArrayList<>();

    @AfterEach
    void stopServers() {
        servers.forEach(Process::destroyForcibly);
        natsProcesses.forEach(NatsServerProcess::close);
    }

    @Test
    void aServiceWaitsForNatsThatStartsAfterItLiveButNotReadyThenCopiesEverything() throws Exception {
        Path src = dir.resolve("source");
        Path dst = dir.resolve("destination");
        Map<String, String> expected = generateUniformTree(src, 25, 2048, 4);
        int port = freePort();
        String name = unique("later");
        Path config = writeFileConfig(dir, name, src, dst, "interval: 1h");

        Launch service = launcher.start(dir, Map.of(),
                queueArgs("nats://127.0.0.1:" + port, name, config, "--mode=all"));
        int ops = LauncherSupport.healthPort(service);
        HttpClient http = HttpClient.newHttpClient();
        await("a warning that the service waits for NATS").atMost(Duration.ofSeconds(30))
                .failFast("the launcher exited", () -> !service.process().isAlive())
                .until(() -> service.stderr().contains("a service keeps trying"));
        Thread.sleep(1500);

        assertThat(service.process().isAlive()).as("the service waits for NATS:\n%s", service.stderr()).isTrue();
        assertThat(LauncherSupport.get(http, ops, "/live").statusCode()).isEqualTo(200);
        assertThat(LauncherSupport.get(http, ops, "/ready").statusCode()).isEqualTo(503);
        assertThat(countFinalFiles(dst)).isZero();

        startNats(port, true);

        await("every file copied once NATS is up").atMost(RUN).pollInterval(Duration.ofMillis(100))
                .failFast("the launcher exited", () -> !service.process().isAlive())
                .until(() -> countFinalFiles(dst) == expected.size());
        await("ready").atMost(Duration.ofSeconds(20))
                .until(() -> LauncherSupport.get(http, ops, "/ready").statusCode() == 200);
        assertThat(hashTree(dst)).isEqualTo(expected);

        service.process().destroy(); // SIGTERM
        Result stopped = service.await(Duration.ofSeconds(30));
        assertThat(stopped.exitCode()).as(stopped.describe()).isZero();
    }

    @Test
    void aServiceStoppedWhileWaitingForNatsExitsAtOnce() throws Exception {
        Path src = dir.resolve("source");
        generateUniformTree(src, 2, 16, 4);
        String name = unique("neverup");
        Path config = writeFileConfig(dir, name, src, dir.resolve("destination"));
        Launch service = launcher.start(dir, Map.of(),
                queueArgs("nats://127.0.0.1:" + freePort(), name, config, "--mode=all"));
        await().atMost(Duration.ofSeconds(30)).failFast(() -> !service.process().isAlive())
                .until(() -> service.stderr().contains("a service keeps trying"));

        service.process().destroy(); // SIGTERM
        Result stopped = service.await(Duration.ofSeconds(15));

        assertThat(stopped.exitCode()).as(stopped.describe()).isZero();
    }

    @Test
    void aServerWithoutJetStreamIsNamedAtOnceBothForOnceRunsAndServices() throws Exception {
        int port = freePort();
        startNats(port, false);
        Path src = dir.resolve("source");
        generateUniformTree(src, 2, 16, 4);
        String name = unique("nojs");
        Path config = writeFileConfig(dir, name, src, dir.resolve("destination"));

        for (String mode : List.of("--once", "--shutdown-grace=1s")) {
            long start = System.nanoTime();
            Result run = launcher.run(dir, Duration.ofSeconds(30), Map.of(),
                    queueArgs("nats://127.0.0.1:" + port, name, config, "--mode=all", mode));

            assertThat(run.exitCode()).as(run.describe()).isEqualTo(4);
            assertThat(run.stderr()).as(run.describe())
                    .contains("JetStream is not enabled on nats://127.0.0.1:" + port)
                    .doesNotContain("Timeout or no response");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as(run.describe())
                    .isLessThan(Duration.ofSeconds(15));
        }
    }

    @Test
    void aServiceWhoseServerLostItsStoreRecreatesTheStreamAndScansAgain() throws Exception {
        NatsServerProcess nats = NatsServerProcess.start();
        natsProcesses.add(nats);
        Path src = dir.resolve("source");
        Path dst = dir.resolve("destination");
        generateUniformTree(src.resolve("first"), 20, 1024, 5);
        String name = unique("lost");
        Path config = writeFileConfig(dir, name, src, dst, "interval: 1h"); // no rescan but the one after recreating
        Launch service = launcher.start(dir, Map.of(), queueArgs(nats.url(), name, config, "--mode=all"));
        int ops = LauncherSupport.healthPort(service);
        HttpClient http = HttpClient.newHttpClient();
        await().atMost(RUN).failFast(() -> !service.process().isAlive()).until(() -> countFinalFiles(dst) == 20);
        await().atMost(Duration.ofSeconds(10)).until(() -> LauncherSupport.get(http, ops, "/ready").statusCode() == 200);
        generateUniformTree(src.resolve("second"), 15, 1024, 6); // only a new scan finds these

        nats.stop();
        deleteTree(nats.storeDir().resolve("jetstream"));
        nats.restart();

        await("the missing stream noticed").atMost(Duration.ofSeconds(60))
                .failFast("the launcher exited", () -> !service.process().isAlive())
                .until(() -> service.stderr().contains("is missing"));
        await("the source scanned again and the new files copied").atMost(RUN)
                .failFast("the launcher exited", () -> !service.process().isAlive())
                .until(() -> countFinalFiles(dst) == 35);
        await("ready again").atMost(Duration.ofSeconds(20))
                .until(() -> LauncherSupport.get(http, ops, "/ready").statusCode() == 200);
        assertThat(service.stderr()).contains("\"level\":\"ERROR\"").contains("recreated the stream");
        assertThat(hashTree(dst)).isEqualTo(hashTree(src));

        service.process().destroy();
        assertThat(service.await(Duration.ofSeconds(30)).exitCode()).isZero();
    }

    @Test
    void aOnceRunWhoseServerLostItsStoreFailsWithAClearMessage() throws Exception {
        NatsServerProcess nats = NatsServerProcess.start();
        natsProcesses.add(nats);
        AtomicInteger stored = new AtomicInteger();
        HttpServer slow = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        slow.createContext("/", ex -> {
            try (ex; InputStream body = ex.getRequestBody()) {
                body.transferTo(OutputStream.nullOutputStream());
                if ("PUT".equals(ex.getRequestMethod())) {
                    sleep(300);
                    stored.incrementAndGet();
                    ex.sendResponseHeaders(201, -1);
                } else {
                    ex.sendResponseHeaders(404, -1);
                }
            }
        });
        slow.start();
        try {
            Path src = dir.resolve("source");
            generateUniformTree(src, 60, 512, 8);
            String name = unique("lostonce");
            Path config = dir.resolve(name + ".yaml");
            Files.writeString(config, "sources: [{name: src, type: file, path: " + LauncherSupport.quote(src) + "}]\n"
                    + "destinations: [{name: up, type: http, url: 'http://127.0.0.1:" + slow.getAddress().getPort()
                    + "/up/{name}'}]\n"
                    + "workflows: [{name: " + name + ", source: src, destinations: [up], batchSize: 1}]\n");
            Launch run = launcher.start(dir, Map.of(), queueArgs(nats.url(), name, config, "--mode=all", "--once"));
            await().atMost(RUN).failFast(() -> !run.process().isAlive()).until(() -> stored.get() >= 3);

            nats.stop();
            deleteTree(nats.storeDir().resolve("jetstream"));
            nats.restart();
            Result failed = run.await(Duration.ofSeconds(60));

            assertThat(failed.exitCode()).as(failed.describe()).isEqualTo(4);
            assertThat(failed.stdout()).as(failed.describe())
                    .containsPattern(LauncherSupport.SUMMARY)
                    .contains("the run was abandoned: stream " + name + " at " + nats.url() + " disappeared")
                    .contains("run again");
            assertThat(stored.get()).as("it stopped before copying everything").isLessThan(60);
        } finally {
            slow.stop(0);
        }
    }

    @Test
    void aMessageQueuedBeforeTheDequeuerConnectedIsCheckedAtItsDestinationsBeforeCopying() throws Exception {
        // The enqueuer's listing said the destination lacked every object; then some arrived there by another way
        // (as when a copy completed but its ack was lost in a server restart that also lost the delivery count).
        NatsServerProcess nats = NatsServerProcess.start();
        natsProcesses.add(nats);
        Path src = dir.resolve("source");
        Path dst = dir.resolve("destination");
        Map<String, String> expected = generateUniformTree(src, 6, 4096, 12);
        String name = unique("doubt");
        Path config = writeFileConfig(dir, name, src, dst);
        Result queued = launcher.run(dir, RUN, Map.of(), queueArgs(nats.url(), name, config, "--mode=enqueue", "--once"));
        assertThat(queued.exitCode()).as(queued.describe()).isZero();
        List<String> already = expected.keySet().stream().limit(2).toList();
        for (String relative : already) {
            Files.createDirectories(dst.resolve(relative).getParent());
            Files.copy(src.resolve(relative), dst.resolve(relative));
        }
        Map<String, FileStamp> before = stamps(dst);

        Result copied = launcher.run(dir, RUN, Map.of(), queueArgs(nats.url(), name, config, "--mode=dequeue", "--once"));

        assertThat(copied.exitCode()).as(copied.describe()).isZero();
        assertThat(copied.counts()).as(copied.describe()).containsEntry("copied", 4L).containsEntry("skipped", 2L);
        Map<String, FileStamp> after = stamps(dst);
        for (String relative : already) {
            assertThat(after.get(relative)).as("%s was not written again", relative).isEqualTo(before.get(relative));
        }
        assertThat(hashTree(dst)).isEqualTo(expected);
    }

    private void startNats(int port, boolean jetStream) throws IOException, InterruptedException {
        Path binary = NatsServerProcess.findBinary().orElseThrow();
        List<String> command = new ArrayList<>(List.of(binary.toString(), "-a", "127.0.0.1", "-p",
                Integer.toString(port)));
        if (jetStream) {
            command.addAll(List.of("-js", "-sd", Files.createDirectories(dir.resolve("nats-store")).toString()));
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("nats-" + port + ".log").toFile()).start();
        servers.add(p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException e) {
                Thread.sleep(50);
            }
        }
        throw new IOException("nats-server did not start on port " + port);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
