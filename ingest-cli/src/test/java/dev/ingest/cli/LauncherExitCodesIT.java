package dev.ingest.cli;

import static dev.ingest.cli.LauncherSupport.generateTree;
import static dev.ingest.cli.LauncherSupport.generateUniformTree;
import static dev.ingest.cli.LauncherSupport.hashTree;
import static dev.ingest.cli.LauncherSupport.queueArgs;
import static dev.ingest.cli.LauncherSupport.quote;
import static dev.ingest.cli.LauncherSupport.regularFiles;
import static dev.ingest.cli.LauncherSupport.unique;
import static dev.ingest.cli.LauncherSupport.writeFileConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.ingest.cli.LauncherSupport.Result;
import dev.ingest.testkit.NatsServerExtension;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.Nats;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's flags, messages and exit codes (see {@link ExitCode}), through the real {@code bin/ingest}. */
@ExtendWith(LauncherSupport.RequiresDistribution.class)
class LauncherExitCodesIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @RegisterExtension
    static final NatsServerExtension NATS = new NatsServerExtension();

    @RegisterExtension
    final LauncherSupport.Launcher launcher = new LauncherSupport.Launcher();

    @TempDir
    Path dir;

    @Test
    void versionExitsZeroAndPrintsTheVersion() throws Exception {
        Result r = launcher.run(dir, TIMEOUT, Map.of(), "--version");

        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout()).as(r.describe()).startsWith("ingest ");
        assertThat(r.stdout().lines().findFirst().orElse("")).as("the version line")
                .matches("ingest \\d+\\.\\d+\\.\\d+.*")
                .doesNotContain("unknown")
                .doesNotContain("${");
    }

    @Test
    void helpExitsZeroAndDocumentsTheQueueEndpointOnceAndTheExitCodes() throws Exception {
        Result r = launcher.run(dir, TIMEOUT, Map.of(), "--help");

        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout()).as(r.describe())
                .contains("--queue-endpoint", "--once", "--mode", "--config", "--dry-run", "--shutdown-grace")
                .contains("Exit codes")
                .contains("  0  success", "  2  wrong command-line usage", "  3  invalid configuration",
                        "  4  queue unreachable", "  5  stopped by SIGINT/SIGTERM");
    }

    @Test
    void missingModeIsAUsageErrorWithExitCode2() throws Exception {
        Path config = validConfig();

        Result r = launcher.run(dir, TIMEOUT, Map.of(), queueArgs(NATS.url(), unique("nomode"), config, "--once"));

        assertThat(r.exitCode()).as(r.describe()).isEqualTo(2);
        assertThat(r.stderr()).as(r.describe()).contains("--mode is required");
    }

    @Test
    void unknownOptionIsAUsageErrorWithExitCode2() throws Exception {
        Result r = launcher.run(dir, TIMEOUT, Map.of(), "--mode=all", "--no-such-flag");

        assertThat(r.exitCode()).as(r.describe()).isEqualTo(2);
        assertThat(r.stderr()).as(r.describe()).contains("--no-such-flag");
    }

    @Test
    void missingConfigFileExitsWith3AndNamesTheFile() throws Exception {
        Path missing = dir.resolve("no such dir").resolve("absent-config.yaml");

        Result r = launcher.run(dir, TIMEOUT, Map.of(), "--mode=all", "--once", "--queue-endpoint", NATS.url(),
                "--listen", "127.0.0.1:0", "--config", missing.toString());

        assertThat(r.exitCode()).as(r.describe()).isEqualTo(3);
        assertThat(r.stderr()).as(r.describe()).contains(missing.toString()).contains("does not exist");
    }

    @Test
    void badConfigExitsWith3NamingEveryProblemAndCreatesNoStream() throws Exception {
        Path src = Files.createDirectories(dir.resolve("source"));
        Path dst = dir.resolve("destination");
        String stream = unique("badconfig");
        Path config = dir.resolve("bad.yaml");
        Files.writeString(config, ""
                + "sources:\n"
                + "- name: remote\n"
                + "  type: ftp\n"
                + "  path: " + quote(src) + "\n"
                + "destinations:\n"
                + "- name: local\n"
                + "  type: file\n"
                + "  path: " + quote(dst) + "\n"
                + "workflows:\n"
                + "- name: " + stream + "\n"
                + "  source: remote\n"
                + "  destinations: [local, archive-that-does-not-exist]\n"
                + "  interval: tenminutes\n", StandardCharsets.UTF_8);

        Result r = launcher.run(dir, TIMEOUT, Map.of(), queueArgs(NATS.url(), stream, config, "--mode=all", "--once"));

        assertThat(r.exitCode()).as(r.describe()).isEqualTo(3);
        assertThat(r.stderr()).as(r.describe())
                .contains("'ftp'")
                .contains("archive-that-does-not-exist")
                .contains("tenminutes")
                .contains(config.toString());
        assertThat(streamExists(stream)).as("stream %s on the NATS server", stream).isFalse();
    }

    @Test
    void unreachableQueueExitsWith4AndNamesTheEndpoint() throws Exception {
        Path config = validConfig();
        String endpoint = "nats://127.0.0.1:1";

        Result r = launcher.run(dir, TIMEOUT, Map.of(), "--mode=all", "--once", "--queue-endpoint", endpoint,
                "--listen", "127.0.0.1:0", "--config", config.toString());

        assertThat(r.exitCode()).as(r.describe()).isEqualTo(4);
        assertThat(r.stderr()).as(r.describe()).contains(endpoint);
        assertThat(r.stdout()).as("no summary: nothing ran").doesNotContainPattern(LauncherSupport.SUMMARY);
    }

    @Test
    void dryRunExitsZeroPrintsTheWorkflowAndCopiesOrQueuesNothing() throws Exception {
        Path src = dir.resolve("source");
        generateTree(src, 10, 3, 1024);
        Path dst = dir.resolve("destination");
        String name = unique("dryrun");
        Path config = writeFileConfig(dir, name, src, dst, "batchSize: 5", "interval: 90s");

        Result r = launcher.run(dir, TIMEOUT, Map.of(), queueArgs(NATS.url(), name, config, "--dry-run"));

        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout()).as(r.describe())
                .contains("workflow " + name + ": src -> dst; interval 1m30s, batchSize 5")
                .contains("dry run: nothing was queued");
        assertThat(dst).as("the destination directory after a dry run").doesNotExist();
        assertThat(streamExists(name)).as("stream %s after a dry run", name).isFalse();
        assertThat(regularFiles(src)).as("the source is untouched").hasSize(10);
    }

    @Test
    void aScanThatFailsExitsWith1AndNamesTheWorkflowAndTheSource() throws Exception {
        HttpServer api = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        AtomicInteger listings = new AtomicInteger();
        api.createContext("/items", ex -> {
            listings.incrementAndGet();
            byte[] body = "listing is down".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(503, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        api.start();
        try {
            String name = unique("scanfail");
            Path config = dir.resolve("scan.yaml");
            Files.writeString(config, ""
                    + "sources:\n"
                    + "- name: api\n"
                    + "  type: http\n"
                    + "  url: http://127.0.0.1:" + api.getAddress().getPort() + "/items\n"
                    + "destinations:\n"
                    + "- name: dst\n"
                    + "  type: file\n"
                    + "  path: " + quote(dir.resolve("destination")) + "\n"
                    + "workflows:\n"
                    + "- name: " + name + "\n"
                    + "  source: api\n"
                    + "  destinations: [dst]\n", StandardCharsets.UTF_8);

            Result r = launcher.run(dir, TIMEOUT, Map.of(), queueArgs(NATS.url(), name, config, "--mode=all", "--once"));

            assertThat(listings.get()).as("listing requests the API received").isPositive();
            assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
            assertThat(r.counts()).as(r.describe()).containsEntry("copied", 0L).containsEntry("failed", 1L);
            assertThat(r.stdout()).as(r.describe()).contains("workflow " + name + ": scan of source api failed")
                    .contains("503");
        } finally {
            api.stop(0);
        }
    }

    @Test
    void anEmbeddedQueueWithoutANatsServerBinaryExitsWith4AndSaysHowToInstallIt() throws Exception {
        Path config = validConfig();

        Result r = launcher.run(dir, TIMEOUT, Map.of("INGEST_NATS_SERVER", dir.resolve("no-such-nats-server").toString()),
                "--mode=all", "--once", "--queue-endpoint=embedded", "--listen", "127.0.0.1:0",
                "--config", config.toString());

        assertThat(r.exitCode()).as(r.describe()).isEqualTo(4);
        assertThat(r.stderr()).as(r.describe()).contains("cannot start the embedded nats-server")
                .contains("nats-server is not installed").contains("INGEST_NATS_SERVER");
        assertThat(r.stdout()).as("no summary: nothing ran").doesNotContainPattern(LauncherSupport.SUMMARY);
        assertThat(dir.resolve("valid-destination")).as("nothing was copied").doesNotExist();
    }

    @Test
    void anEmbeddedNatsServerThatCannotStartExitsWith4AndShowsItsLog() throws Exception {
        Path config = validConfig();
        Path broken = dir.resolve("broken-nats-server");
        Files.writeString(broken, "#!/bin/sh\necho 'nats-server: cannot open its store' >&2\nexit 7\n");
        Files.setPosixFilePermissions(broken, PosixFilePermissions.fromString("rwxr-xr-x"));

        Result r = launcher.run(dir, TIMEOUT, Map.of("INGEST_NATS_SERVER", broken.toString()),
                "--mode=all", "--once", "--queue-endpoint=embedded", "--listen", "127.0.0.1:0",
                "--config", config.toString());

        assertThat(r.exitCode()).as(r.describe()).isEqualTo(4);
        assertThat(r.stderr()).as(r.describe()).contains("cannot start the embedded nats-server")
                .contains("status 7").contains("cannot open its store");
        assertThat(dir.resolve("valid-destination")).as("nothing was copied").doesNotExist();
    }

    @Test
    void withoutStrictWorkflowsTheGoodWorkflowRunsAndTheBrokenOneIsReported() throws Exception {
        Path src = dir.resolve("source");
        Map<String, String> files = generateUniformTree(src, 12, 256, 4);
        Path good = dir.resolve("good-destination");
        Path other = dir.resolve("other-destination");
        Path missing = dir.resolve("no such source");
        String name = unique("lenient");
        Path config = dir.resolve("two.yaml");
        Files.writeString(config, ""
                + "sources:\n"
                + "- name: src\n"
                + "  type: file\n"
                + "  path: " + quote(src) + "\n"
                + "- name: gone\n"
                + "  type: file\n"
                + "  path: " + quote(missing) + "\n"
                + "destinations:\n"
                + "- name: good\n"
                + "  type: file\n"
                + "  path: " + quote(good) + "\n"
                + "- name: other\n"
                + "  type: file\n"
                + "  path: " + quote(other) + "\n"
                + "workflows:\n"
                + "- name: " + name + "-good\n"
                + "  source: src\n"
                + "  destinations: [good]\n"
                + "- name: " + name + "-broken\n"
                + "  source: gone\n"
                + "  destinations: [other]\n", StandardCharsets.UTF_8);

        Result strict = launcher.run(dir, TIMEOUT, Map.of(), queueArgs(NATS.url(), name, config, "--mode=all", "--once"));
        assertThat(strict.exitCode()).as("by default the broken workflow fails the run\n" + strict.describe()).isEqualTo(3);
        assertThat(strict.stderr()).as(strict.describe()).contains("sources[1].path").contains(missing.toString());
        assertThat(good).as("nothing ran").doesNotExist();

        Result lenient = launcher.run(dir, TIMEOUT, Map.of(), queueArgs(NATS.url(), name, config, "--mode=all", "--once",
                "--strict-workflows=false"));

        assertThat(lenient.exitCode()).as("a skipped workflow fails the run\n" + lenient.describe()).isEqualTo(1);
        assertThat(lenient.counts()).as(lenient.describe()).containsEntry("copied", 12L).containsEntry("failed", 0L);
        assertThat(lenient.stdout()).as(lenient.describe())
                .contains("ingest: 1 workflow(s) skipped (--strict-workflows=false), nothing of theirs was copied: "
                        + name + "-broken")
                .contains("  skipped: line 7: sources[1].path");
        assertThat(hashTree(good)).as("the good workflow's copies").isEqualTo(files);
        assertThat(other).as("the broken workflow's destination").doesNotExist();
        assertThat(lenient.stderr()).as(lenient.describe())
                .contains("skipping workflow '" + name + "-broken' (--strict-workflows=false)")
                .contains("sources[1].path").contains(missing.toString())
                .doesNotContain("skipping workflow '" + name + "-good'");
        try (Connection nc = Nats.connect(NATS.url())) {
            assertThat(nc.jetStreamManagement().getConsumerNames(name)).as("consumers of the run")
                    .containsExactly(name + "__" + name + "-good");
        }
    }

    private Path validConfig() throws Exception {
        Path src = Files.createDirectories(dir.resolve("valid-source"));
        Files.writeString(src.resolve("a.txt"), "a");
        return writeFileConfig(dir, unique("valid"), src, dir.resolve("valid-destination"));
    }

    private static boolean streamExists(String stream) throws Exception {
        Connection nc = Nats.connect(NATS.url());
        try {
            List<String> names = nc.jetStreamManagement().getStreamNames();
            return names.contains(stream);
        } catch (JetStreamApiException e) {
            throw new AssertionError("cannot list streams: " + e, e);
        } finally {
            nc.close();
        }
    }
}
