package dev.ingest.cli;

import static dev.ingest.cli.LauncherSupport.countFinalFiles;
import static dev.ingest.cli.LauncherSupport.generateUniformTree;
import static dev.ingest.cli.LauncherSupport.hashTree;
import static dev.ingest.cli.LauncherSupport.unique;
import static dev.ingest.cli.LauncherSupport.writeFileConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ingest.cli.LauncherSupport.Launch;
import dev.ingest.cli.LauncherSupport.Result;
import dev.ingest.testkit.NatsServerExtension;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** What operators see: /metrics, /live, /ready, ingest status and --dry-run, against real processes. */
@ExtendWith(LauncherSupport.RequiresDistribution.class)
class OperationsIT {

    private static final Duration RUN = Duration.ofMinutes(2);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @RegisterExtension
    static final NatsServerExtension NATS = new NatsServerExtension();

    @RegisterExtension
    final LauncherSupport.Launcher launcher = new LauncherSupport.Launcher();

    @TempDir
    Path dir;

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static String[] args(String name, Path config, int port, String... more) {
        List<String> a = new ArrayList<>(List.of("--queue-endpoint", NATS.url(), "--stream", name, "--subject", name,
                "--consumer", name, "--config", config.toString(), "--listen", "127.0.0.1:" + port));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    private static int status(int port, String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException | InterruptedException e) {
            return -1;
        }
    }

    private static String get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The value of a sample whose name and labels contain every given fragment, or -1. */
    private static double sample(String metrics, String name, String... labels) {
        Pattern line = Pattern.compile("^" + Pattern.quote(name) + "\\{([^}]*)\\} (\\S+)$", Pattern.MULTILINE);
        Matcher m = line.matcher(metrics);
        while (m.find()) {
            String l = m.group(1);
            if (List.of(labels).stream().allMatch(l::contains)) {
                return Double.parseDouble(m.group(2));
            }
        }
        return -1;
    }

    @Test
    void whileAWorkflowRunsMetricsCountTheCopiesHealthIsGreenAndStatusNamesTheWorkflow() throws Exception {
        Path src = dir.resolve("src");
        Path dst = dir.resolve("dst");
        generateUniformTree(src, 50, 2048, 1);
        String name = unique("ops");
        Path config = writeFileConfig(dir, name, src, dst, "interval: 1h");
        int port = freePort();
        Launch service = launcher.start(dir, Map.of(), args(name, config, port, "--mode=all"));
        await().atMost(RUN).until(() -> countFinalFiles(dst) == 50);

        assertThat(status(port, "/live")).isEqualTo(200);
        assertThat(status(port, "/ready")).isEqualTo(200);
        String w = "workflow=\"" + name + "\"";
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            String metrics = get(port, "/metrics");
            assertThat(sample(metrics, "ingest_dequeue_attempts_total", w, "result=\"success\"")).isEqualTo(50);
            assertThat(sample(metrics, "ingest_enqueue_attempts_total", w, "result=\"success\"")).isEqualTo(50);
            assertThat(sample(metrics, "ingest_queue_operations_total", w, "operation=\"ack\"", "result=\"success\""))
                    .isEqualTo(50);
            assertThat(sample(metrics, "ingest_storage_operations_total", w, "operation=\"store\"",
                    "result=\"success\"")).isEqualTo(50);
            assertThat(sample(metrics, "ingest_objects_copied_total", w)).isEqualTo(50);
            assertThat(sample(metrics, "ingest_bytes_copied_total", w)).isEqualTo(50 * 2048);
            assertThat(sample(metrics, "ingest_consumer_pending", w)).isZero();
            assertThat(metrics).contains("jvm_memory_used_bytes");
        });

        Result status = launcher.run(dir, RUN, Map.of(), "status", "--queue-endpoint", NATS.url(), "--stream", name,
                "--subject", name, "--consumer", name, "--config", config.toString());
        assertThat(status.exitCode()).as(status.describe()).isZero();
        assertThat(status.stdout()).contains("workflow " + name).contains("last scan:").contains("50 listed");

        service.process().destroy();
        assertThat(service.await(Duration.ofSeconds(60)).exitCode()).isZero();
    }

    @Test
    void readinessGoesDownWithNatsAndComesBackWhenItRestarts() throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        String name = unique("ready");
        Path config = writeFileConfig(dir, name, src, dir.resolve("dst"), "interval: 1h");
        int port = freePort();
        Launch service = launcher.start(dir, Map.of(), args(name, config, port, "--mode=all"));
        await().atMost(RUN).until(() -> status(port, "/ready") == 200);

        NATS.server().stop();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> status(port, "/ready") == 503);
            assertThat(status(port, "/live")).as("the process itself is fine").isEqualTo(200);
        } finally {
            NATS.server().restart();
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> status(port, "/ready") == 200);
        service.process().destroy();
        assertThat(service.await(Duration.ofSeconds(60)).exitCode()).isZero();
    }

    @Test
    void statusAfterARunWithOneDeadLetterShowsIt() throws Exception {
        Path src = dir.resolve("src");
        Map<String, String> files = generateUniformTree(src, 5, 100, 2);
        String name = unique("dead");
        Path config = writeFileConfig(dir, name, src, dir.resolve("dst"));
        int port = freePort();
        assertThat(launcher.run(dir, RUN, Map.of(), args(name, config, port, "--mode=enqueue", "--once")).exitCode())
                .isZero();
        Files.delete(src.resolve(files.keySet().iterator().next()));
        Result run = launcher.run(dir, RUN, Map.of(), args(name, config, port, "--mode=dequeue", "--once"));
        assertThat(run.exitCode()).as(run.describe()).isEqualTo(1);

        String[] statusArgs = {"status", "--queue-endpoint", NATS.url(), "--stream", name, "--subject", name,
                "--consumer", name, "--config", config.toString()};
        Result status = launcher.run(dir, RUN, Map.of(), statusArgs);
        assertThat(status.exitCode()).as(status.describe()).isZero();
        assertThat(status.stdout()).containsPattern("dead letters:\\s+1").contains("ingest dlq list " + name);
        List<String> json = new ArrayList<>(List.of(statusArgs));
        json.add("--json");
        Result machine = launcher.run(dir, RUN, Map.of(), json.toArray(String[]::new));
        assertThat(machine.stdout()).containsPattern("\"deadLetters\" : 1").containsPattern("\"pending\" : 0");
    }

    @Test
    void aDryRunChangesNothingAnywhere() throws Exception {
        Path src = dir.resolve("src");
        generateUniformTree(src, 20, 300, 4);
        Map<String, String> before = hashTree(src);
        Path dst = dir.resolve("not yet/dst");
        String name = unique("dry");
        Path config = writeFileConfig(dir, name, src, dst, "cleanUp: true");
        Result dry = launcher.run(dir, RUN, Map.of(), args(name, config, freePort(), "--dry-run"));
        assertThat(dry.exitCode()).as(dry.describe()).isZero();
        assertThat(dry.stdout()).contains("20 listed").contains("20 to copy").contains("nothing was queued");
        assertThat(hashTree(src)).as("cleanUp: true, yet the source is untouched").isEqualTo(before);
        assertThat(dir.resolve("not yet")).doesNotExist();
        try (Connection nc = Nats.connect(NATS.url())) {
            assertThat(nc.jetStreamManagement().getStreamNames()).doesNotContain(name, name + "_scans");
        }
    }
}
