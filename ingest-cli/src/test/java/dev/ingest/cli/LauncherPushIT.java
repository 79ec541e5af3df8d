package dev.ingest.cli;

import static dev.ingest.cli.LauncherSupport.queueArgs;
import static dev.ingest.cli.LauncherSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ingest.cli.LauncherSupport.Launch;
import dev.ingest.cli.LauncherSupport.Result;
import dev.ingest.testkit.NatsServerExtension;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * LogIngestor's flow through the real launcher: records POSTed to an {@code http-push} source, through a real
 * nats-server and the batcher, into rows of the real PostgreSQL (127.0.0.1:5432, database {@code test}), then
 * searched over {@code POST /v1/destinations/{name}/query} and {@code ingest query}. Also: {@code /ready} follows the
 * push listener, and a process killed with SIGKILL under load loses no accepted record and stores none twice.
 */
@ExtendWith(LauncherSupport.RequiresDistribution.class)
class LauncherPushIT {

    private static final Duration RUN = Duration.ofMinutes(3);
    static final String PG = "jdbc:postgresql://127.0.0.1:5432/test";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant BASE = Instant.parse("2024-01-01T00:00:00Z");

    @RegisterExtension
    static final NatsServerExtension NATS = new NatsServerExtension();

    @RegisterExtension
    final LauncherSupport.Launcher launcher = new LauncherSupport.Launcher();

    @TempDir
    Path dir;

    private final String table = "it_push_" + ProcessHandle.current().pid() + "_" + unique("t").replace('-', '_')
            .replaceAll("[^a-z0-9_]", "");
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void drop() throws Exception {
        try (Connection c = DriverManager.getConnection(PG, "postgres", null); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + table);
            s.execute("DROP TABLE IF EXISTS " + table + "_batches");
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private Path config(String workflow, int port) throws IOException {
        String yaml = """
                sources:
                - name: events
                  type: http-push
                  listen: 127.0.0.1:%d
                  path: /logs/ingest
                  attributes: {level: /level}
                destinations:
                - name: db
                  type: postgres
                  url: %s
                  user: postgres
                  table: %s
                  columns: {level: /level}
                workflows:
                - name: %s
                  source: events
                  destinations: [db]
                  batch: {maxRecords: 10000, maxAge: 500ms, format: ndjson, compression: gzip}
                """.formatted(port, PG, table, workflow);
        Path file = dir.resolve(workflow + ".yaml");
        Files.writeString(file, yaml, StandardCharsets.UTF_8);
        return file;
    }

    /** Record {@code n}: every tenth an error; its time {@code n} ms after 2024-01-01. */
    private static String record(int n) {
        return "{\"n\":" + n + ",\"level\":\"" + (n % 10 == 0 ? "error" : "info") + "\",\"message\":\"record " + n
                + "\",\"timestamp\":\"" + BASE.plusMillis(n) + "\"}";
    }

    private static String ndjson(int first, int count) {
        StringBuilder b = new StringBuilder(count * 100);
        for (int n = first; n < first + count; n++) {
            b.append(record(n)).append('\n');
        }
        return b.toString();
    }

    private HttpResponse<String> post(int port, String path, String contentType, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(90)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private long sql(String query) throws Exception {
        try (Connection c = DriverManager.getConnection(PG, "postgres", null); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private long rows() {
        try {
            return sql("SELECT count(*) FROM " + table);
        } catch (Exception e) {
            return -1; // the table is created by the destination at start-up
        }
    }

    private void awaitReady(int health) {
        await("ready").atMost(RUN).until(() -> LauncherSupport.get(http, health, "/ready").statusCode() == 200);
    }

    @Test
    void aHundredThousandRecordsReachTheTableOnceAndAreFoundOverRestAndTheCli() throws Exception {
        String name = unique("push");
        int port = freePort();
        Launch service = launcher.start(dir, Map.of(), queueArgs(NATS.url(), name, config(name, port),
                "--mode=all"));
        int health = LauncherSupport.healthPort(service);
        awaitReady(health);

        AtomicInteger nextBody = new AtomicInteger();
        AtomicReference<String> failure = new AtomicReference<>();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            Thread t = new Thread(() -> {
                int body;
                while ((body = nextBody.getAndIncrement()) < 100) {
                    try {
                        HttpResponse<String> r = post(port, "/logs/ingest", "application/x-ndjson",
                                ndjson(body * 1000, 1000));
                        if (r.statusCode() != 202 || !r.body().equals("{\"accepted\":1000}")) {
                            failure.compareAndSet(null, r.statusCode() + " " + r.body());
                        }
                    } catch (Exception e) {
                        failure.compareAndSet(null, e.toString());
                    }
                }
            });
            t.start();
            clients.add(t);
        }
        for (Thread t : clients) {
            t.join();
        }
        assertThat(failure.get()).isNull();
        await("100,000 rows").atMost(RUN).until(() -> rows() == 100_000);
        assertThat(sql("SELECT count(DISTINCT record->>'n') FROM " + table)).isEqualTo(100_000);
        assertThat(sql("SELECT count(*) FROM " + table + " WHERE level = 'error'")).isEqualTo(10_000);
        assertThat(sql("SELECT count(*) FROM " + table + " WHERE time = '2024-01-01T00:00:01.234Z' AND "
                + "record->>'n' = '1234'")).isEqualTo(1);

        // REST: LogIngestor's filter, a combined query, pages, and refusals naming the field
        String q = "/v1/destinations/db/query";
        HttpResponse<String> equals = post(health, q, "application/json",
                "{\"key\":\"level\",\"value\":\"error\",\"operation\":\"equals\",\"limit\":10}");
        assertThat(equals.statusCode()).as(equals.body()).isEqualTo(200);
        JsonNode page = JSON.readTree(equals.body());
        assertThat(page.get("count").asInt()).isEqualTo(10);
        assertThat(page.get("records").get(0).get("n").asInt()).isEqualTo(99_990); // newest first
        assertThat(page.get("next").isTextual()).isTrue();
        JsonNode second = JSON.readTree(post(health, q, "application/json",
                "{\"key\":\"level\",\"value\":\"error\",\"operation\":\"equals\",\"limit\":10,\"after\":"
                        + page.get("next") + "}").body());
        assertThat(second.get("records").get(0).get("n").asInt()).isEqualTo(99_890);

        HttpResponse<String> combined = post(health, q, "application/json", "{\"filters\":["
                + "{\"key\":\"message\",\"value\":\"record 4240\",\"operation\":\"contains\"},"
                + "{\"key\":\"level\",\"value\":\"error\",\"operation\":\"equals\"},"
                + "{\"key\":\"timestamp\",\"operation\":\"range\",\"lower_range\":\"2024-01-01T00:00:04Z\","
                + "\"upper_range\":\"2024-01-01T00:01:00Z\"}],\"match\":\"all\"}");
        assertThat(combined.statusCode()).as(combined.body()).isEqualTo(200);
        List<Integer> ns = new ArrayList<>();
        JSON.readTree(combined.body()).get("records").forEach(r -> ns.add(r.get("n").asInt()));
        assertThat(ns).containsExactly(42_400, 4240);

        HttpResponse<String> any = post(health, q, "application/json", "{\"filters\":["
                + "{\"key\":\"n\",\"value\":\"7\",\"operation\":\"equals\"},"
                + "{\"key\":\"/message\",\"value\":\"record 8\",\"operation\":\"equals\"}],\"match\":\"any\"}");
        assertThat(JSON.readTree(any.body()).get("count").asInt()).isEqualTo(2);

        HttpResponse<String> bad = post(health, q, "application/json",
                "{\"filters\":[{\"key\":\"level\",\"value\":\"error\",\"operation\":\"like\"}]}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("filters[0].operation");
        assertThat(post(health, "/v1/destinations/nope/query", "application/json", "{}").statusCode())
                .isEqualTo(404);
        HttpResponse<String> hostile = post(health, q, "application/json",
                "{\"key\":\"level' OR '1'='1\",\"value\":\"error'; DROP TABLE " + table + "; --\"}");
        assertThat(hostile.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(hostile.body()).get("count").asInt()).isZero();
        assertThat(rows()).isEqualTo(100_000);

        // the CLI
        String url = "http://127.0.0.1:" + health;
        Result cli = launcher.run(dir, RUN, Map.of(), "query", "db", "--url", url, "--where", "level=error",
                "--contains", "message=record 4240", "--from", "2024-01-01T00:00:04Z", "--to", "1704067260000");
        assertThat(cli.exitCode()).as(cli.stderr()).isZero();
        assertThat(cli.stdout()).contains("\"n\":42400").contains("\"n\":4240,").contains("(2 records)");
        Result cliJson = launcher.run(dir, RUN, Map.of(), "query", "db", "--url", url, "--where", "n=5",
                "--where", "n=6", "--any", "--json");
        assertThat(cliJson.exitCode()).as(cliJson.stderr()).isZero();
        JsonNode answer = JSON.readTree(cliJson.stdout());
        assertThat(answer.get("count").asInt()).isEqualTo(2);
        assertThat(answer.get("next").isNull()).isTrue();
        Result cliBad = launcher.run(dir, RUN, Map.of(), "query", "db", "--url", url, "--from", "yesterday");
        assertThat(cliBad.exitCode()).isEqualTo(1);
        assertThat(cliBad.stderr()).contains("400").contains("lower_range");
    }

    @Test
    void readyFollowsThePushListener() throws Exception {
        String name = unique("pushready");
        int port = freePort();
        try (ServerSocket taken = new ServerSocket(port, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
            Launch service = launcher.start(dir, Map.of(), queueArgs(NATS.url(), name, config(name, port),
                    "--mode=all"));
            int health = LauncherSupport.healthPort(service);
            await("the listener failing").atMost(RUN).until(() -> service.stderr().contains("record source events "
                    + "failed"));
            assertThat(LauncherSupport.get(http, health, "/ready").statusCode()).isEqualTo(503);
            taken.close();
            awaitReady(health);
        }
        assertThat(post(port, "/logs/ingest", "application/json", record(1)).statusCode()).isEqualTo(202);
    }

    @Test
    void aServiceKilledWithSigkillUnderLoadLosesNoAcceptedRecordAndStoresNoneTwice() throws Exception {
        String name = unique("pushkill");
        int port = freePort();
        String[] args = queueArgs(NATS.url(), name, config(name, port), "--mode=all");
        Launch doomed = launcher.start(dir, Map.of(), args);
        awaitReady(LauncherSupport.healthPort(doomed));

        Set<Integer> accepted = ConcurrentHashMap.newKeySet();
        AtomicInteger next = new AtomicInteger();
        AtomicBoolean run = new AtomicBoolean(true);
        AtomicInteger refused = new AtomicInteger();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            Thread t = new Thread(() -> {
                while (run.get()) {
                    int first = next.getAndAdd(200);
                    try {
                        HttpResponse<String> r = post(port, "/logs/ingest", "application/x-ndjson",
                                ndjson(first, 200));
                        if (r.statusCode() == 202) {
                            for (int n = first; n < first + 200; n++) {
                                accepted.add(n);
                            }
                        } else {
                            refused.incrementAndGet();
                        }
                    } catch (Exception e) {
                        refused.incrementAndGet(); // the process is down: this body was not accepted
                        try {
                            Thread.sleep(50);
                        } catch (InterruptedException ie) {
                            return;
                        }
                    }
                }
            });
            t.start();
            clients.add(t);
        }
        await("rows stored before the kill").atMost(RUN).until(() -> rows() >= 10_000);
        int target = accepted.size() + 10_000;
        await("more accepted").atMost(RUN).until(() -> accepted.size() >= target);
        doomed.process().destroyForcibly(); // SIGKILL while requests are in flight and batches are being stored
        doomed.process().waitFor();
        assertThat(doomed.result().exitCode()).isEqualTo(137);
        int atKill = accepted.size();

        Launch restarted = launcher.start(dir, Map.of(), args);
        awaitReady(LauncherSupport.healthPort(restarted));
        await("more accepted after the restart").atMost(RUN).until(() -> accepted.size() >= atKill + 20_000);
        run.set(false);
        for (Thread t : clients) {
            t.join();
        }
        await("every accepted record in the table").atMost(RUN).until(() ->
                sql("SELECT count(DISTINCT record->>'n') FROM " + table + " WHERE (record->>'n')::int = ANY('{"
                        + String.join(",", accepted.stream().map(String::valueOf).toList()) + "}'::int[])")
                        == accepted.size());
        long total = rows();
        long distinct = sql("SELECT count(DISTINCT record->>'n') FROM " + table);
        System.out.printf("push kill -9: %d accepted (%d at the kill), %d refused requests, %d rows%n",
                accepted.size(), atKill, refused.get(), total);
        if (total != distinct) {
            try (Connection c = DriverManager.getConnection(PG, "postgres", null); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT record->>'n', string_agg(batch || '#' || seq, ' ') FROM " + table
                         + " GROUP BY 1 HAVING count(*) > 1 ORDER BY 1 LIMIT 20")) {
                while (rs.next()) {
                    System.out.println("duplicate " + rs.getString(1) + ": " + rs.getString(2));
                }
            }
        }
        assertThat(total).as("no record stored twice").isEqualTo(distinct);
        assertThat(refused.get()).as("requests failed while the process was down").isPositive();
    }
}
