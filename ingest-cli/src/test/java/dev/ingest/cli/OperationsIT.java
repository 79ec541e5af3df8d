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
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
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
import java.util.LinkedHashMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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

        // HEAD (curl -I) answers like GET without a body, and the JDK's server writes no plain-text warning
        HttpResponse<Void> head = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/metrics")).method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.discarding());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
        // / lists every endpoint the server has
        String index = get(port, "/");
        assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(index).get("endpoints"))
                .extracting(n -> n.get("path").asText()).contains("/live", "/ready", "/metrics");
        assertThat(status(port, "/no-such-endpoint")).isEqualTo(404);

        service.process().destroy();
        Result stopped = service.await(Duration.ofSeconds(60));
        assertThat(stopped.exitCode()).isZero();
        List<String> lines = stopped.stderr().lines().filter(l -> !l.isBlank()).toList();
        assertThat(lines).as(stopped.describe()).allSatisfy(l -> assertThat(l).startsWith("{\"ts\":"));
        assertThat(lines.get(lines.size() - 1)).as(stopped.describe())
                .contains("stopped: 0 copies were in flight; 0 finished within the 25s grace period and 0 were handed "
                        + "back to the queue; 0 fetched message(s) not yet started were handed back");
    }

    /** A sample's value, 0 when the series is absent (a counter that never moved). */
    private static double value(String metrics, String name, String... labels) {
        return Math.max(0, sample(metrics, name, labels));
    }

    /**
     * The metrics of the README's table ("Metrics" under Operations): every name in its first column.
     */
    private static Set<String> documentedMetrics() throws IOException {
        String readme = Files.readString(LauncherSupport.repositoryRoot().resolve("README.md"));
        int start = readme.indexOf("### Metrics");
        int end = readme.indexOf("\n### ", start + 1);
        assertThat(start).as("README section 'Metrics'").isPositive();
        Set<String> names = new TreeSet<>();
        Matcher row = Pattern.compile("^\\| ([^|]+) \\|", Pattern.MULTILINE).matcher(readme.substring(start, end));
        while (row.find()) {
            Matcher name = Pattern.compile("`(ingest_[a-z_]+)`").matcher(row.group(1));
            while (name.find()) {
                names.add(name.group(1));
            }
        }
        return names;
    }

    /**
     * A JSON API for the HTTP source of {@link #everyDocumentedMetricMovesByWhatTheServiceDid}: its listing waits for
     * a gate, one object's download waits for another, one object answers 503 twice, one is gone (404), and a
     * webhook answers 500 to its first request.
     */
    private static final class Api implements AutoCloseable {
        final HttpServer server;
        final CountDownLatch listing = new CountDownLatch(1);
        final CountDownLatch slow = new CountDownLatch(1);
        final Map<String, Integer> sizes = new TreeMap<>();
        final AtomicInteger flakyGets = new AtomicInteger();
        final AtomicInteger hookErrors = new AtomicInteger();
        final AtomicInteger hookSuccesses = new AtomicInteger();
        final Set<String> notified = ConcurrentHashMap.newKeySet();

        Api() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.setExecutor(Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "test-api");
                t.setDaemon(true);
                return t;
            }));
            server.createContext("/list", ex -> {
                await(listing);
                StringBuilder json = new StringBuilder("[");
                sizes.forEach((name, size) -> json.append(json.length() > 1 ? "," : "")
                        .append("{\"id\":\"").append(name).append("\",\"name\":\"").append(name)
                        .append("\",\"url\":\"/obj/").append(name).append("\",\"size\":").append(size).append('}'));
                respond(ex, 200, json.append(']').toString().getBytes(StandardCharsets.UTF_8));
            });
            server.createContext("/obj/", ex -> {
                String name = ex.getRequestURI().getPath().substring("/obj/".length());
                if (name.startsWith("a-slow")) {
                    await(slow);
                }
                if (name.startsWith("b-flaky") && flakyGets.incrementAndGet() <= 2) {
                    respond(ex, 503, new byte[0]);
                } else if (name.startsWith("c-gone")) {
                    respond(ex, 404, new byte[0]);
                } else {
                    respond(ex, 200, new byte[sizes.get(name)]);
                }
            });
            server.createContext("/hook", ex -> {
                String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                if (hookErrors.compareAndSet(0, 1)) {
                    respond(ex, 500, new byte[0]);
                    return;
                }
                Matcher uri = Pattern.compile("\"([^\"]+)\"").matcher(body);
                while (uri.find()) {
                    notified.add(uri.group(1).substring(uri.group(1).lastIndexOf('/') + 1));
                }
                hookSuccesses.incrementAndGet();
                respond(ex, 204, null);
            });
            server.start();
        }

        String url(String path) {
            return "http://127.0.0.1:" + server.getAddress().getPort() + path;
        }

        private static void await(CountDownLatch gate) {
            try {
                gate.await(2, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private static void respond(HttpExchange ex, int status, byte[] body) throws IOException {
            ex.sendResponseHeaders(status, body == null ? -1 : body.length == 0 ? -1 : body.length);
            if (body != null && body.length > 0) {
                ex.getResponseBody().write(body);
            }
            ex.close();
        }

        @Override
        public void close() {
            listing.countDown();
            slow.countDown();
            server.stop(0);
        }
    }

    @Test
    void everyDocumentedMetricMovesByWhatTheServiceDid() throws Exception {
        Path dst = Files.createDirectories(dir.resolve("dst"));
        String name = unique("metrics");
        try (Api api = new Api()) {
            api.sizes.put("a-slow.bin", 1000);    // copied; its download waits until the test lets it go
            api.sizes.put("b-flaky.bin", 2000);   // 503, 503, then copied: two redeliveries
            api.sizes.put("c-gone.bin", 10);      // 404: poison, dead-lettered
            api.sizes.put("d-held.bin", 300);     // already at the destination: left out of the queue
            for (int i = 0; i < 5; i++) {
                api.sizes.put("e-ok-" + i + ".bin", 500);
            }
            Files.write(dst.resolve("d-held.bin"), new byte[300]);
            Path config = dir.resolve("metrics.yaml");
            Files.writeString(config, """
                    sources:
                    - {name: api, type: http, url: '%s', sizeField: size}
                    destinations:
                    - {name: dst, type: file, path: %s}
                    workflows:
                    - {name: %s, source: api, destinations: [dst], interval: 1h, batchSize: 1, concurrency: 1,
                       backoff: 100ms, maxBackoff: 100ms, webhook: '%s'}
                    - {name: broken, source: api, destinations: [nowhere]}
                    """.formatted(api.url("/list"), LauncherSupport.quote(dst), name, api.url("/hook")));
            int port = freePort();
            launcher.start(dir, Map.of(), args(name, config, port, "--mode=all", "--strict-workflows=false"));
            await().atMost(RUN).until(() -> status(port, "/ready") == 200);

            String w = "workflow=\"" + name + "\"";
            String before = get(port, "/metrics"); // the scan waits for the listing: nothing has happened yet
            assertThat(value(before, "ingest_enqueue_attempts_total", w)).isZero();
            assertThat(sample(before, "ingest_workflow_instantiation_failures_total", "workflow=\"broken\""))
                    .as("the broken workflow was skipped at start-up").isEqualTo(1);

            api.listing.countDown();
            // a-slow is being copied, the seven others wait in the queue
            await().atMost(RUN).untilAsserted(() -> {
                String during = get(port, "/metrics");
                assertThat(sample(during, "ingest_copies_in_flight", w)).isEqualTo(1);
                assertThat(sample(during, "ingest_consumer_pending", w)).isEqualTo(7);
                assertThat(sample(during, "ingest_consumer_ack_pending", w)).isEqualTo(1);
            });
            api.slow.countDown();
            await().atMost(RUN).untilAsserted(() -> {
                assertThat(api.notified).hasSize(7);
                String m = get(port, "/metrics");
                assertThat(value(m, "ingest_dead_letters_total", w)).isEqualTo(1);
                assertThat(value(m, "ingest_webhook_http_client_requests_total", w, "result=\"success\""))
                        .isEqualTo(api.hookSuccesses.get());
                assertThat(sample(m, "ingest_consumer_pending", w)).isZero();
                assertThat(sample(m, "ingest_consumer_ack_pending", w)).isZero();
            });
            String after = get(port, "/metrics");

            Map<String, Double> expected = new LinkedHashMap<>();
            String ok = "result=\"success\"";
            String error = "result=\"error\"";
            // Published: everything but d-held; copied: a, b and the five e; b failed twice; c was dead-lettered.
            expected.put("ingest_enqueue_attempts_total|source=\"api\"|" + ok, 8.0);
            expected.put("ingest_dequeue_attempts_total|" + ok, 7.0);
            expected.put("ingest_dequeue_attempts_total|" + error, 3.0);
            expected.put("ingest_queue_operations_total|operation=\"publish\"|" + ok, 8.0);
            expected.put("ingest_queue_operations_total|operation=\"ack\"|" + ok, 7.0);
            expected.put("ingest_queue_operations_total|operation=\"nak\"|" + ok, 2.0);
            expected.put("ingest_queue_operations_total|operation=\"term\"|" + ok, 1.0);
            expected.put("ingest_queue_operations_total|operation=\"dead_letter\"|" + ok, 1.0);
            expected.put("ingest_queue_operations_total|operation=\"dead_letter\"|" + error, 0.0);
            // Stat only on b's redeliveries: the listing told the first deliveries that the destination lacks them.
            expected.put("ingest_storage_operations_total|operation=\"store\"|plugin=\"file\"|" + ok, 7.0);
            expected.put("ingest_storage_operations_total|operation=\"stat\"|" + ok, 2.0);
            expected.put("ingest_storage_operations_total|operation=\"list\"|" + ok, 1.0);
            expected.put("ingest_storage_operation_duration_seconds_count|operation=\"store\"", 7.0);
            expected.put("ingest_storage_operation_duration_seconds_count|operation=\"stat\"", 2.0);
            expected.put("ingest_storage_operation_duration_seconds_count|operation=\"list\"", 1.0);
            expected.put("ingest_client_operations_total|operation=\"list\"|plugin=\"http\"|" + ok, 1.0);
            expected.put("ingest_client_operations_total|operation=\"download\"|" + ok, 7.0);
            expected.put("ingest_client_operations_total|operation=\"download\"|" + error, 3.0);
            // Whatever the webhook client batches: each request it made is counted by the answer it got.
            expected.put("ingest_webhook_http_client_requests_total|" + ok, (double) api.hookSuccesses.get());
            expected.put("ingest_webhook_http_client_requests_total|" + error, (double) api.hookErrors.get());
            // The failed answer was retried and delivered: nothing was given up (LauncherWebhookIT counts what is).
            expected.put("ingest_webhook_undelivered_total", 0.0);
            expected.put("ingest_objects_copied_total", 7.0);
            expected.put("ingest_bytes_copied_total", 1000.0 + 2000 + 5 * 500);
            expected.put("ingest_objects_skipped_total", 1.0);
            expected.put("ingest_dead_letters_total", 1.0);
            expected.put("ingest_redeliveries_total", 2.0);
            Map<String, Double> actual = new LinkedHashMap<>();
            for (String key : expected.keySet()) {
                String[] parts = key.split("\\|");
                String[] labels = new String[parts.length];
                labels[0] = w;
                System.arraycopy(parts, 1, labels, 1, parts.length - 1);
                actual.put(key, value(after, parts[0], labels) - value(before, parts[0], labels));
            }
            assertThat(actual).as("metrics moved by").isEqualTo(expected);
            assertThat(api.hookErrors.get()).as("the webhook's failed answer was counted").isEqualTo(1);
            assertThat(api.hookSuccesses.get()).isPositive();
            assertThat(value(after, "ingest_queue_operations_total", w, "operation=\"fetch\"", ok)
                    - value(before, "ingest_queue_operations_total", w, "operation=\"fetch\"", ok)).isPositive();
            assertThat(sample(after, "ingest_copies_in_flight", w)).isZero();
            assertThat(sample(after, "ingest_workflow_instantiation_failures_total", "workflow=\"broken\""))
                    .isEqualTo(1);

            Set<String> asserted = new TreeSet<>();
            expected.keySet().forEach(k -> asserted.add(k.split("\\|")[0].replaceFirst("_count$", "")));
            asserted.addAll(List.of("ingest_copies_in_flight", "ingest_consumer_pending", "ingest_consumer_ack_pending",
                    "ingest_workflow_instantiation_failures_total"));
            asserted.addAll(RECORD_METRICS); // asserted by recordMetricsMoveByWhatARecordWorkflowDid
            assertThat(asserted).as("every metric of the README is asserted here").isEqualTo(documentedMetrics());
        }
    }

    /** The metrics of record workflows. */
    private static final List<String> RECORD_METRICS = List.of("ingest_records_total", "ingest_record_bytes_total",
            "ingest_batches_total", "ingest_batch_records", "ingest_record_lag_seconds");

    @Test
    void recordMetricsMoveByWhatARecordWorkflowDid() throws Exception {
        Path logs = Files.createDirectories(dir.resolve("logs"));
        Path out = dir.resolve("out");
        StringBuilder lines = new StringBuilder();
        long bytes = 0;
        for (int i = 0; i < 500; i++) {
            String line = "line " + i + " of the log";
            lines.append(line).append('\n');
            bytes += line.length();
        }
        Files.writeString(logs.resolve("app.log"), lines);
        String name = unique("recmetrics");
        Path config = dir.resolve(name + ".yaml");
        Files.writeString(config, "sources: [{name: logs, type: file, path: " + LauncherSupport.quote(logs)
                + ", tail: true, pollInterval: 100ms}]\n"
                + "destinations: [{name: out, type: file, path: " + LauncherSupport.quote(out) + "}]\n"
                + "workflows: [{name: " + name + ", source: logs, destinations: [out],"
                + " batch: {maxRecords: 200, maxAge: 1h, compression: none, key: '{first}.{ext}'}}]\n");
        int port = freePort();
        Launch service = launcher.start(dir, Map.of(), args(name, config, port, "--mode=all"));
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .failFast("the service exited", () -> !service.process().isAlive())
                    .until(() -> status(port, "/ready") == 200 && countFinalFiles(out) == 2);
            String w = "workflow=\"" + name + "\"";
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                String m = get(port, "/metrics");
                assertThat(sample(m, "ingest_records_total", w)).isEqualTo(500);
                assertThat(sample(m, "ingest_batches_total", w, "result=\"success\"")).isEqualTo(2);
            });
            String metrics = get(port, "/metrics");
            String w2 = "workflow=\"" + name + "\"";
            assertThat(sample(metrics, "ingest_record_bytes_total", w2)).isEqualTo((double) bytes);
            assertThat(sample(metrics, "ingest_batches_total", w2, "result=\"error\"")).isLessThanOrEqualTo(0);
            assertThat(sample(metrics, "ingest_batch_records_count", w2)).isEqualTo(2);
            assertThat(sample(metrics, "ingest_batch_records_sum", w2)).isEqualTo(400);
            // 100 records wait in the open batch (maxAge 1h): the lag is their age, and grows.
            double lag = sample(metrics, "ingest_record_lag_seconds", w2);
            assertThat(lag).isPositive();
            Thread.sleep(1500);
            assertThat(sample(get(port, "/metrics"), "ingest_record_lag_seconds", w2)).isGreaterThan(lag + 1);
        } finally {
            service.process().destroy();
            service.await(Duration.ofSeconds(60));
        }
        assertThat(countFinalFiles(out)).as("the open batch is stored at SIGTERM").isEqualTo(3);
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
        assertThat(status.stdout()).containsPattern("dead letters:\\s+1").contains("ingest dlq list " + name)
                .contains("copied:             4 objects (400 B), by every process"); // added as the run ended
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
