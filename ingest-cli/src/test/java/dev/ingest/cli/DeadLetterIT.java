package dev.ingest.cli;

import static dev.ingest.cli.LauncherSupport.countFinalFiles;
import static dev.ingest.cli.LauncherSupport.queueArgs;
import static dev.ingest.cli.LauncherSupport.unique;
import static dev.ingest.cli.LauncherSupport.writeFileConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ingest.cli.LauncherSupport.Launch;
import dev.ingest.cli.LauncherSupport.Result;
import dev.ingest.testkit.NatsServerExtension;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.Nats;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfoOptions;
import io.nats.client.api.Subject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dead letters as operators meet them: a poison object is dead-lettered once however often its source is scanned
 * again, until it changes or its dead letter is replayed or removed; and the {@code ingest dlq} commands.
 *
 * <p>The poison object is {@code evil/p.txt}: the destination holds a folder of that name, so it can never be stored
 * there. The streams are created beforehand with a duplicate window of one second, so that rescans are not held back
 * by JetStream's de-duplication of message ids (two minutes by default).
 */
@ExtendWith(LauncherSupport.RequiresDistribution.class)
class DeadLetterIT {

    private static final Duration RUN = Duration.ofMinutes(2);
    private static final Duration WINDOW = Duration.ofSeconds(1);
    private static final String POISON = "evil/p.txt";

    @RegisterExtension
    static final NatsServerExtension NATS = new NatsServerExtension();

    @RegisterExtension
    final LauncherSupport.Launcher launcher = new LauncherSupport.Launcher();

    @TempDir
    Path dir;

    /** A source with a good object and the poison one, and a destination where the poison one cannot go. */
    private Path config(String name, Path src, Path dst, String... extras) throws IOException {
        Files.createDirectories(src.resolve("evil"));
        Files.writeString(src.resolve("ok.txt"), "fine");
        Files.writeString(src.resolve(POISON), "version one");
        Files.createDirectories(dst.resolve(POISON));
        Files.writeString(dst.resolve(POISON).resolve("keep"), "a folder where the object would go");
        return writeFileConfig(dir, name, src, dst, extras);
    }

    /** Creates the stream as ingest would, but with a short duplicate window. */
    private static void createStream(String name) throws Exception {
        try (Connection nc = Nats.connect(NATS.url())) {
            nc.jetStreamManagement().addStream(StreamConfiguration.builder().name(name).subjects(name + ".>")
                    .storageType(StorageType.File).retentionPolicy(RetentionPolicy.WorkQueue).duplicateWindow(WINDOW)
                    .build());
        }
    }

    /** @return how many messages the stream holds on the workflow's dead-letter subject */
    private static long deadLetters(String name) throws Exception {
        try (Connection nc = Nats.connect(NATS.url())) {
            String subject = name + ".dlq." + name;
            List<Subject> subjects = nc.jetStreamManagement()
                    .getStreamInfo(name, StreamInfoOptions.filterSubjects(subject)).getStreamState().getSubjects();
            return subjects == null ? 0 : subjects.stream().filter(s -> s.getName().equals(subject))
                    .mapToLong(Subject::getCount).sum();
        } catch (JetStreamApiException e) {
            return -1;
        }
    }

    private static String[] queue(String name, String... command) {
        List<String> a = new ArrayList<>(Arrays.asList(command));
        a.addAll(List.of("--queue-endpoint", NATS.url(), "--stream", name, "--subject", name, "--consumer", name));
        return a.toArray(String[]::new);
    }

    private static long sequenceOf(Result list) {
        Matcher m = Pattern.compile("^#(\\d+) ", Pattern.MULTILINE).matcher(list.stdout());
        assertThat(m.find()).as(list.describe()).isTrue();
        return Long.parseLong(m.group(1));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** @return how many scans of the workflow's source the service has finished, from its metrics; -1 if unknown */
    private static double scans(int port, String name) {
        try {
            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            Matcher m = Pattern.compile("^ingest_client_operations_total\\{([^}]*)\\} (\\S+)$", Pattern.MULTILINE)
                    .matcher(metrics);
            while (m.find()) {
                if (m.group(1).contains("workflow=\"" + name + "\"") && m.group(1).contains("operation=\"list\"")
                        && m.group(1).contains("result=\"success\"")) {
                    return Double.parseDouble(m.group(2));
                }
            }
            return 0;
        } catch (IOException | InterruptedException e) {
            return -1;
        }
    }

    /** Waits for three more scans, the first of them starting after the duplicate window has passed. */
    private static void awaitRescans(int port, String name) throws InterruptedException {
        Thread.sleep(WINDOW.toMillis() * 2);
        double before = scans(port, name);
        await().atMost(RUN).until(() -> scans(port, name) >= before + 3);
    }

    @Test
    void aPoisonObjectIsDeadLetteredOnceHoweverOftenTheServiceRescansAndAfterANatsRestart() throws Exception {
        String name = unique("rescan");
        Path src = dir.resolve("src");
        Path dst = dir.resolve("dst");
        Path config = config(name, src, dst, "interval: 1s");
        createStream(name);
        int port = freePort();
        List<String> args = new ArrayList<>(List.of(queueArgs(NATS.url(), name, config, "--mode=all")));
        args.set(args.indexOf("127.0.0.1:0"), "127.0.0.1:" + port);
        Launch service = launcher.start(dir, Map.of(), args.toArray(String[]::new));
        await().atMost(RUN).until(() -> deadLetters(name) == 1 && Files.isRegularFile(dst.resolve("ok.txt")));

        awaitRescans(port, name);
        assertThat(deadLetters(name)).as("dead letters after rescans past the duplicate window").isEqualTo(1);

        NATS.server().stop();
        NATS.server().restart();
        awaitRescans(port, name);
        assertThat(deadLetters(name)).as("dead letters after a NATS restart and rescans").isEqualTo(1);

        Result status = launcher.run(dir, RUN, Map.of(), "status", "--queue-endpoint", NATS.url(), "--stream", name,
                "--subject", name, "--consumer", name, "--config", config.toString());
        assertThat(status.exitCode()).as(status.describe()).isZero();
        assertThat(status.stdout()).containsPattern("dead letters:\\s+1").contains("2 listed").contains("1 dead-lettered");
        Result list = launcher.run(dir, RUN, Map.of(), queue(name, "dlq", "list", name));
        assertThat(list.stdout()).contains("1 dead letter(s)").contains(POISON);

        service.process().destroy();
        Result stopped = service.await(Duration.ofSeconds(60));
        assertThat(stopped.exitCode()).as(stopped.describe()).isZero();
        assertThat(stopped.stderr()).contains("not queued because their unchanged version is dead-lettered: '" + POISON);
        assertThat(countFinalFiles(dst)).as("ok.txt and the folder's file").isEqualTo(2);
    }

    @Test
    void aChangedObjectIsQueuedAgainAndDeletingOrReplayingADeadLetterMakesItsObjectEligibleAgain() throws Exception {
        String name = unique("eligible");
        Path src = dir.resolve("src");
        Path dst = dir.resolve("dst");
        Path config = config(name, src, dst);
        createStream(name);
        String[] once = queueArgs(NATS.url(), name, config, "--mode=all", "--once");

        Result first = launcher.run(dir, RUN, Map.of(), once);
        assertThat(first.exitCode()).as(first.describe()).isEqualTo(1);
        assertThat(deadLetters(name)).isEqualTo(1);
        long dead = sequenceOf(launcher.run(dir, RUN, Map.of(), queue(name, "dlq", "list", name)));

        Thread.sleep(WINDOW.toMillis() * 2);
        Result again = launcher.run(dir, RUN, Map.of(), once);
        assertThat(again.exitCode()).as("the run does not pretend the object arrived: " + again.describe()).isEqualTo(1);
        assertThat(again.stdout()).contains("object '" + POISON + "' is dead-lettered unchanged (#" + dead + ")");
        assertThat(deadLetters(name)).as("not dead-lettered a second time").isEqualTo(1);

        Result deleted = launcher.run(dir, RUN, Map.of(), queue(name, "dlq", "delete", name, Long.toString(dead)));
        assertThat(deleted.exitCode()).as(deleted.describe()).isZero();
        assertThat(deleted.stdout()).contains("deleted #" + dead + " " + POISON).contains("deleted 1 dead letter(s)");
        assertThat(deadLetters(name)).isZero();
        Thread.sleep(WINDOW.toMillis() * 2);
        Result afterDelete = launcher.run(dir, RUN, Map.of(), once);
        assertThat(afterDelete.exitCode()).as(afterDelete.describe()).isEqualTo(1);
        assertThat(afterDelete.stdout()).contains(POISON).doesNotContain("dead-lettered unchanged");
        assertThat(deadLetters(name)).as("queued again once its dead letter was deleted").isEqualTo(1);

        Files.writeString(src.resolve(POISON), "version two, longer");
        Result changed = launcher.run(dir, RUN, Map.of(), once);
        assertThat(changed.exitCode()).as(changed.describe()).isEqualTo(1);
        assertThat(deadLetters(name)).as("a new version is queued (and dead-lettered) again").isEqualTo(2);

        Files.delete(dst.resolve(POISON).resolve("keep"));
        Files.delete(dst.resolve(POISON));
        Result replay = launcher.run(dir, RUN, Map.of(), queue(name, "dlq", "replay", name));
        assertThat(replay.exitCode()).as(replay.describe()).isZero();
        assertThat(replay.stdout()).contains("replayed 2 dead letter(s)");
        Result fixed = launcher.run(dir, RUN, Map.of(), once);
        assertThat(fixed.exitCode()).as(fixed.describe()).isZero();
        assertThat(Files.readString(dst.resolve(POISON))).isEqualTo("version two, longer");
        assertThat(deadLetters(name)).isZero();
    }

    @Test
    void dlqCommandsNameWhatTheyDidAndRefuseUnknownSequencesAndStreams() throws Exception {
        String name = unique("cmds");
        Path config = config(name, dir.resolve("src"), dir.resolve("dst"));
        Files.writeString(dir.resolve("src/evil/q.txt"), "another");
        Files.createDirectories(dir.resolve("dst/evil/q.txt/sub"));
        assertThat(launcher.run(dir, RUN, Map.of(), queueArgs(NATS.url(), name, config, "--mode=all", "--once"))
                .exitCode()).isEqualTo(1);
        assertThat(deadLetters(name)).isEqualTo(2);

        for (String[] command : List.of(new String[] {"replay", name, "99999"}, new String[] {"delete", name, "99999"})) {
            Result r = launcher.run(dir, RUN, Map.of(), queue(name, concat("dlq", command)));
            assertThat(r.exitCode()).as(r.describe()).isEqualTo(ExitCode.USAGE);
            assertThat(r.stderr()).contains("#99999 is not a dead letter of workflow " + name).contains("nothing was done");
        }
        Result noSequence = launcher.run(dir, RUN, Map.of(), queue(name, "dlq", "delete", name));
        assertThat(noSequence.exitCode()).as(noSequence.describe()).isEqualTo(ExitCode.USAGE);
        assertThat(deadLetters(name)).isEqualTo(2);

        for (String command : List.of("list", "replay", "purge")) {
            Result r = launcher.run(dir, RUN, Map.of(), queue("nosuch" + name, "dlq", command, name));
            assertThat(r.exitCode()).as(r.describe()).isEqualTo(ExitCode.RUNTIME);
            assertThat(r.stderr()).contains("stream nosuch" + name + " does not exist at " + NATS.url());
        }

        Result purge = launcher.run(dir, RUN, Map.of(), queue(name, "dlq", "purge", name));
        assertThat(purge.exitCode()).as(purge.describe()).isZero();
        assertThat(purge.stdout()).contains("purged 2 dead letter(s) of workflow " + name);
        assertThat(deadLetters(name)).isZero();
        String listed = launcher.run(dir, RUN, Map.of(), queue(name, "dlq", "list", name)).stdout();
        assertThat(listed).contains("0 dead letter(s)");
        assertThat(new String(Files.readAllBytes(dir.resolve("src/evil/q.txt")), StandardCharsets.UTF_8))
                .as("the source is untouched").isEqualTo("another");
    }

    private static String[] concat(String first, String... rest) {
        String[] out = new String[rest.length + 1];
        out[0] = first;
        System.arraycopy(rest, 0, out, 1, rest.length);
        return out;
    }
}
