package dev.ingest.cli;

import static dev.ingest.cli.LauncherSupport.countFinalFiles;
import static dev.ingest.cli.LauncherSupport.generateUniformTree;
import static dev.ingest.cli.LauncherSupport.hashTree;
import static dev.ingest.cli.LauncherSupport.queueArgs;
import static dev.ingest.cli.LauncherSupport.tempFiles;
import static dev.ingest.cli.LauncherSupport.unique;
import static dev.ingest.cli.LauncherSupport.writeFileConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.ingest.cli.LauncherSupport.Launch;
import dev.ingest.cli.LauncherSupport.Result;
import dev.ingest.testkit.NatsServerExtension;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.StreamInfoOptions;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults injected into real processes and a real nats-server; afterwards every object at the destination is
 * checked by SHA-256 against the source.
 */
@ExtendWith(LauncherSupport.RequiresDistribution.class)
class FaultIT {

    private static final Duration RUN = Duration.ofMinutes(3);

    @RegisterExtension
    static final NatsServerExtension NATS = new NatsServerExtension();

    @RegisterExtension
    final LauncherSupport.Launcher launcher = new LauncherSupport.Launcher();

    @TempDir
    Path dir;

    private static void assertSucceeded(Result r) {
        assertThat(r.exitCode()).as(r.describe()).isZero();
    }

    @Test
    void aDequeuerKilledWithSigkillMidwayLosesNothingAndAnotherFinishesTheWork() throws Exception {
        Path src = dir.resolve("src");
        Path dst = dir.resolve("dst");
        Map<String, String> hashes = generateUniformTree(src, 2000, 4096, 7);
        String name = unique("kill9");
        Path config = writeFileConfig(dir, name, src, dst, "batchSize: 16", "concurrency: 2");
        assertSucceeded(launcher.run(dir, RUN, Map.of(), queueArgs(NATS.url(), name, config, "--mode=enqueue", "--once")));

        Launch doomed = launcher.start(dir, Map.of(), queueArgs(NATS.url(), name, config, "--mode=dequeue", "--ack-wait", "2s"));
        await().atMost(Duration.ofMinutes(2)).until(() -> countFinalFiles(dst) >= 200);
        doomed.process().destroyForcibly(); // SIGKILL: no shutdown hook, no NAK, nothing flushed
        doomed.process().waitFor();
        assertThat(countFinalFiles(dst)).as("killed midway").isLessThan(2000);

        Result rescue = launcher.run(dir, RUN, Map.of(), queueArgs(NATS.url(), name, config, "--mode=dequeue", "--once",
                "--ack-wait", "2s"));
        assertSucceeded(rescue);
        assertThat(rescue.count("failed")).isZero();
        assertThat(hashTree(dst)).isEqualTo(hashes);
        assertThat(tempFiles(dst)).isEmpty();
    }

    @Test
    void natsServerStoppedAndRestartedMidwayLosesNothing() throws Exception {
        Path src = dir.resolve("src");
        Path dst = dir.resolve("dst");
        Map<String, String> hashes = generateUniformTree(src, 600, 128 * 1024, 11);
        String name = unique("natsdown");
        Path config = writeFileConfig(dir, name, src, dst, "batchSize: 4", "concurrency: 1", "backoff: 200ms");
        assertSucceeded(launcher.run(dir, RUN, Map.of(), queueArgs(NATS.url(), name, config, "--mode=enqueue", "--once")));

        Launch run = launcher.start(dir, Map.of(), queueArgs(NATS.url(), name, config, "--mode=dequeue", "--once",
                "--ack-wait", "2s"));
        await().atMost(Duration.ofMinutes(2)).until(() -> countFinalFiles(dst) >= 50);
        NATS.server().stop();
        Thread.sleep(3000);
        assertThat(run.process().isAlive()).as("the dequeuer waits for NATS to come back").isTrue();
        NATS.server().restart();

        Result done = run.await(RUN);
        assertSucceeded(done);
        assertThat(done.count("failed")).isZero();
        assertThat(hashTree(dst)).isEqualTo(hashes);
    }

    @Test
    void aPoisonObjectIsDeadLetteredNamedAndReplayableWhileTheOthersArrive() throws Exception {
        Path src = dir.resolve("src");
        Path dst = dir.resolve("dst");
        Map<String, String> hashes = generateUniformTree(src, 30, 1000, 3);
        String victim = hashes.keySet().iterator().next();
        byte[] victimBytes = Files.readAllBytes(src.resolve(victim));
        String name = unique("poison");
        Path config = writeFileConfig(dir, name, src, dst);
        assertSucceeded(launcher.run(dir, RUN, Map.of(), queueArgs(NATS.url(), name, config, "--mode=enqueue", "--once")));
        Files.delete(src.resolve(victim)); // vanished between listing and copying

        Result run = launcher.run(dir, RUN, Map.of(), queueArgs(NATS.url(), name, config, "--mode=dequeue", "--once"));
        assertThat(run.exitCode()).as(run.describe()).isEqualTo(1);
        assertThat(run.count("failed")).isEqualTo(1);
        assertThat(run.count("copied")).isEqualTo(29);
        assertThat(run.stdout()).contains(victim).contains("no longer exists");

        String[] queue = {"--queue-endpoint", NATS.url(), "--stream", name, "--subject", name, "--consumer", name};
        Result list = launcher.run(dir, RUN, Map.of(), concat(new String[] {"dlq", "list", name}, queue));
        assertSucceeded(list);
        assertThat(list.stdout()).contains("1 dead letter").contains(victim).contains("no longer exists");

        Files.write(src.resolve(victim), victimBytes); // the operator restores it, then replays
        Result replay = launcher.run(dir, RUN, Map.of(), concat(new String[] {"dlq", "replay", name}, queue));
        assertSucceeded(replay);
        assertThat(replay.stdout()).contains("replayed 1");
        Result again = launcher.run(dir, RUN, Map.of(), queueArgs(NATS.url(), name, config, "--mode=dequeue", "--once"));
        assertSucceeded(again);
        assertThat(hashTree(dst)).isEqualTo(hashes);
        Result empty = launcher.run(dir, RUN, Map.of(), concat(new String[] {"dlq", "list", name}, queue));
        assertThat(empty.stdout()).contains("0 dead letter");
    }

    /**
     * An HTTP source of one object, {@code big.bin}, whose first download stops halfway until the test resumes it,
     * then goes on at a set pace; later downloads are sent at once. The listing is {@code /list}.
     */
    private static final class HeldObjectServer implements AutoCloseable {
        static final int SIZE = 16 << 20;
        final byte[] content = new byte[SIZE];
        final HttpServer server;
        final AtomicInteger downloads = new AtomicInteger();
        final CountDownLatch halfway = new CountDownLatch(1);
        final CountDownLatch resume = new CountDownLatch(1);
        final AtomicLong sentBeforeResume = new AtomicLong(-1);
        private final int chunk;
        private final long pauseMillis;

        /**
         * @param chunk bytes per write once resumed
         * @param pauseMillis pause after each of those writes
         */
        HeldObjectServer(int chunk, long pauseMillis) throws IOException {
            this.chunk = chunk;
            this.pauseMillis = pauseMillis;
            new Random(20260314).nextBytes(content);
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.setExecutor(Executors.newCachedThreadPool());
            server.createContext("/list", ex -> {
                byte[] page = ("[{\"id\": \"big\", \"name\": \"big.bin\", \"url\": \"/big.bin\", \"size\": " + SIZE
                        + ", \"version\": \"v1\"}]").getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("Content-Type", "application/json");
                ex.sendResponseHeaders(200, page.length);
                ex.getResponseBody().write(page);
                ex.close();
            });
            server.createContext("/big.bin", ex -> {
                boolean first = downloads.incrementAndGet() == 1;
                ex.getResponseHeaders().add("Content-Type", "application/octet-stream");
                ex.sendResponseHeaders(200, SIZE);
                try (OutputStream out = ex.getResponseBody()) {
                    if (!first) {
                        out.write(content);
                        return;
                    }
                    out.write(content, 0, SIZE / 2);
                    out.flush();
                    sentBeforeResume.set(SIZE / 2);
                    halfway.countDown();
                    if (!resume.await(3, TimeUnit.MINUTES)) {
                        return;
                    }
                    for (int at = SIZE / 2; at < SIZE; at += chunk) {
                        out.write(content, at, Math.min(chunk, SIZE - at));
                        out.flush();
                        Thread.sleep(pauseMillis);
                    }
                } catch (IOException | InterruptedException e) {
                    // the client went away
                } finally {
                    ex.close();
                }
            });
            server.start();
        }

        String listUrl() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/list";
        }

        @Override
        public void close() {
            resume.countDown();
            server.stop(0);
        }
    }

    private Path heldObjectConfig(String name, HeldObjectServer api, Path dst) throws IOException {
        Path config = dir.resolve(name + ".yaml");
        Files.writeString(config, ""
                + "sources:\n"
                + "- {name: api, type: http, url: '" + api.listUrl() + "', sizeField: size, versionField: version}\n"
                + "destinations:\n"
                + "- {name: dst, type: file, path: " + LauncherSupport.quote(dst) + "}\n"
                + "workflows:\n"
                + "- {name: " + name + ", source: api, destinations: [dst], interval: 1h}\n", StandardCharsets.UTF_8);
        return config;
    }

    private static ConsumerInfo consumer(String name) throws Exception {
        try (Connection nc = Nats.connect(NATS.url())) {
            return nc.jetStreamManagement().getConsumerInfo(name, name + "__" + name);
        }
    }

    @Test
    void sigtermWithoutGraceDuringACopyHandsItBackAtOnceAndLeavesNoPartialObject() throws Exception {
        Path dst = dir.resolve("dst");
        String name = unique("bigterm");
        // Once resumed, the rest trickles in (16 KiB every 100 ms): the interrupted copy notices within a read, and
        // cannot finish before it is interrupted.
        try (HeldObjectServer api = new HeldObjectServer(16 << 10, 100)) {
            Path config = heldObjectConfig(name, api, dst);
            // An ack wait of 10 minutes: a message that is not handed back is not redelivered during this test.
            Launch service = launcher.start(dir, Map.of(), queueArgs(NATS.url(), name, config, "--mode=all",
                    "--shutdown-grace", "0s", "--ack-wait", "10m"));
            assertThat(api.halfway.await(2, TimeUnit.MINUTES)).as("the download reached its halfway mark\n%s",
                    service.stderr()).isTrue();
            await().atMost(Duration.ofMinutes(1)).until(() -> !tempFiles(dst).isEmpty());

            service.process().destroy(); // SIGTERM while half of the object is written
            api.resume.countDown();
            Result stopped = service.await(Duration.ofSeconds(60));
            assertSucceeded(stopped);
            assertThat(api.sentBeforeResume.get()).as("bytes the source had sent when the signal came")
                    .isEqualTo(HeldObjectServer.SIZE / 2);
            assertThat(tempFiles(dst)).as("an interrupted copy cleans up after itself").isEmpty();
            assertThat(dst.resolve("big.bin")).as("never a partial object").doesNotExist();
            assertThat(stopped.stderr()).as(stopped.describe()).contains("handing it back to the queue");

            // Handed back (NAKed), the message is delivered again at once. Had it not been, it would stay awaiting its
            // ack for 10 minutes, and this run would not end before then (a NAKed message still counts as awaiting an
            // ack until it is delivered again, so the consumer's counts cannot tell the two apart).
            Result rerun = launcher.run(dir, Duration.ofMinutes(2), Map.of(), queueArgs(NATS.url(), name, config,
                    "--mode=dequeue", "--once", "--ack-wait", "10m"));
            assertSucceeded(rerun);
            assertThat(rerun.count("copied")).as(rerun.describe()).isEqualTo(1);
            assertThat(api.downloads).as("downloads: the interrupted one and the rerun's").hasValue(2);
            assertThat(LauncherSupport.sha256(dst.resolve("big.bin"))).isEqualTo(LauncherSupport.sha256(api.content));
            assertThat(tempFiles(dst)).isEmpty();
        }
    }

    @Test
    void sigtermWithGraceLetsACopyInFlightFinishAndAcksIt() throws Exception {
        Path dst = dir.resolve("dst");
        String name = unique("bigfinish");
        try (HeldObjectServer api = new HeldObjectServer(256 << 10, 50)) {
            Path config = heldObjectConfig(name, api, dst);
            Launch service = launcher.start(dir, Map.of(), queueArgs(NATS.url(), name, config, "--mode=all",
                    "--shutdown-grace", "60s", "--ack-wait", "10m"));
            assertThat(api.halfway.await(2, TimeUnit.MINUTES)).as("the download reached its halfway mark\n%s",
                    service.stderr()).isTrue();
            await().atMost(Duration.ofMinutes(1)).until(() -> !tempFiles(dst).isEmpty());

            service.process().destroy(); // SIGTERM while half of the object is written
            await().atMost(Duration.ofMinutes(1)).until(() -> service.stderr().contains("signal received: stopping"));
            assertThat(dst.resolve("big.bin")).as("not complete when the signal was handled").doesNotExist();
            api.resume.countDown(); // the rest comes during the shutdown grace
            Result stopped = service.await(Duration.ofMinutes(2));
            assertSucceeded(stopped);
            assertThat(stopped.stderr()).as(stopped.describe()).doesNotContain("handing it back")
                    .doesNotContain("interrupting it");
            assertThat(LauncherSupport.sha256(dst.resolve("big.bin"))).isEqualTo(LauncherSupport.sha256(api.content));
            assertThat(tempFiles(dst)).isEmpty();
            assertThat(api.downloads).hasValue(1);
            ConsumerInfo after = consumer(name);
            assertThat(after.getNumAckPending()).as("awaiting an ack").isZero();
            assertThat(after.getNumPending()).as("pending").isZero();
            try (Connection nc = Nats.connect(NATS.url())) {
                assertThat(nc.jetStreamManagement().getStreamInfo(name).getStreamState().getMsgCount())
                        .as("messages left in the work queue: the copy was acked").isZero();
            }
        }
    }

    @Test
    void twoEnqueuersScanningTheSameSourceAtOnceQueueEachObjectOnce() throws Exception {
        Path src = dir.resolve("src");
        Path dst = dir.resolve("dst");
        Map<String, String> hashes = generateUniformTree(src, 500, 512, 5);
        String name = unique("twoscan");
        Path config = writeFileConfig(dir, name, src, dst);
        Launch a = launcher.start(dir, Map.of(), queueArgs(NATS.url(), name, config, "--mode=enqueue", "--once"));
        Launch b = launcher.start(dir, Map.of(), queueArgs(NATS.url(), name, config, "--mode=enqueue", "--once"));
        assertSucceeded(a.await(RUN));
        assertSucceeded(b.await(RUN));
        try (Connection nc = Nats.connect(NATS.url())) {
            long queued = nc.jetStreamManagement().getStreamInfo(name, StreamInfoOptions.filterSubjects(name + ".>"))
                    .getStreamState().getMsgCount();
            assertThat(queued).as("messages in the stream after two concurrent scans").isEqualTo(500);
        }
        Result copy = launcher.run(dir, RUN, Map.of(), queueArgs(NATS.url(), name, config, "--mode=dequeue", "--once"));
        assertSucceeded(copy);
        assertThat(copy.count("copied")).isEqualTo(500);
        assertThat(copy.count("skipped")).isZero();
        assertThat(hashTree(dst)).isEqualTo(hashes);
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
