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

import dev.ingest.cli.LauncherSupport.Launch;
import dev.ingest.cli.LauncherSupport.Result;
import dev.ingest.testkit.NatsServerExtension;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.api.StreamInfoOptions;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
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

    @Test
    void sigtermDuringALargeTransferLeavesNoPartialObjectAndTheMessageIsRedelivered() throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        Path dst = dir.resolve("dst");
        long size = 1L << 30;
        try (RandomAccessFile big = new RandomAccessFile(src.resolve("big.bin").toFile(), "rw")) {
            big.setLength(size); // sparse: instant to create, a real gigabyte to copy
        }
        String name = unique("bigterm");
        Path config = writeFileConfig(dir, name, src, dst, "interval: 1h");
        Launch service = launcher.start(dir, Map.of(), queueArgs(NATS.url(), name, config, "--mode=all",
                "--shutdown-grace", "0s", "--ack-wait", "5s"));
        await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(20)).until(() -> !tempFiles(dst).isEmpty());
        service.process().destroy(); // SIGTERM while the object is half written
        Result stopped = service.await(Duration.ofSeconds(60));
        assertSucceeded(stopped);
        assertThat(tempFiles(dst)).as("an interrupted copy cleans up after itself").isEmpty();
        Path copy = dst.resolve("big.bin");
        assertThat(!Files.exists(copy) || Files.size(copy) == size).as("never a partial object").isTrue();

        Result rerun = launcher.run(dir, RUN, Map.of(), queueArgs(NATS.url(), name, config, "--mode=dequeue", "--once",
                "--ack-wait", "5s"));
        assertSucceeded(rerun);
        assertThat(Files.size(copy)).isEqualTo(size);
        assertThat(sha256(copy)).isEqualTo(sha256OfZeros(size));
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

    private static String sha256(Path file) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 20];
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                sha.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static String sha256OfZeros(long size) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] zeros = new byte[1 << 20];
        for (long done = 0; done < size; done += zeros.length) {
            sha.update(zeros, 0, (int) Math.min(zeros.length, size - done));
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
