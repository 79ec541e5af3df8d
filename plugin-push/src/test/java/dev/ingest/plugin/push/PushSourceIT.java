package dev.ingest.plugin.push;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ingest.core.Ingest;
import dev.ingest.core.nats.NatsServerProcess;
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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code http-push} source through the engine, a real nats-server and the file destination: every answer code,
 * all-or-nothing requests, LogIngestor's payloads, readiness, and JetStream stopped and restarted under load.
 */
class PushSourceIT {

    private static final AtomicInteger RUN = new AtomicInteger();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private final String name = "push" + RUN.incrementAndGet();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private NatsServerProcess nats;
    private Ingest ingest;
    private int port;

    @AfterEach
    void close() {
        if (ingest != null) {
            ingest.close();
        }
        if (nats != null) {
            nats.close();
        }
    }

    private void start(String extraKeys) throws Exception {
        start(extraKeys, "{name: out, type: file, path: '${OUT}'}");
    }

    private void start(String extraKeys, String destination) throws Exception {
        nats = NatsServerProcess.start(Files.createDirectories(tmp.resolve("nats")));
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String yaml = """
                sources: [{name: in, type: http-push, listen: '127.0.0.1:%d'%s}]
                destinations: [%s]
                workflows:
                - name: logs
                  source: in
                  destinations: [out]
                  batch: {maxRecords: 5000, maxAge: 300ms, format: ndjson, compression: none, key: '{first}.{ext}'}
                """.formatted(port, extraKeys, destination);
        ingest = Ingest.builder().config(yaml).variables(Map.of("OUT", tmp.resolve("out").toString()))
                .natsUrl(nats.url()).stream(name).subject(name).consumer(name).shutdownGrace(Duration.ofSeconds(5))
                .build();
        ingest.start();
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(ingest::isReady);
    }

    private HttpResponse<String> post(String path, String contentType, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(90)).POST(HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private List<JsonNode> stored() throws IOException {
        List<JsonNode> out = new ArrayList<>();
        Path dir = tmp.resolve("out");
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(f -> f.getFileName().toString().endsWith(".ndjson")).toList()) {
                for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
                    if (!line.isEmpty()) {
                        out.add(JSON.readTree(line));
                    }
                }
            }
        }
        return out;
    }

    @Test
    void anObjectAnArrayAndNdjsonAreAnsweredAcceptedOnceStoredAndEachObjectBecomesARecord() throws Exception {
        start(", attributes: {level: /level}");

        HttpResponse<String> one = post("/ingest", "application/json", "{\"n\":1,\"level\":\"error\"}");
        HttpResponse<String> array = post("/ingest", "application/json; charset=utf-8",
                "[{\"n\":2},{\"n\":3,\"timestamp\":\"2023-09-15T08:00:00Z\"}]");
        HttpResponse<String> ndjson = post("/ingest", "application/x-ndjson",
                "{\"n\":4,\"timestamp\":1694764800000}\n\n{\"n\":5}\r\n{\"n\":6}");

        assertThat(one.statusCode()).as(one.body()).isEqualTo(202);
        assertThat(one.body()).isEqualTo("{\"accepted\":1}");
        assertThat(array.statusCode()).isEqualTo(202);
        assertThat(array.body()).isEqualTo("{\"accepted\":2}");
        assertThat(ndjson.statusCode()).as(ndjson.body()).isEqualTo(202);
        assertThat(ndjson.body()).isEqualTo("{\"accepted\":3}");
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> stored().size() == 6);
        List<JsonNode> rows = stored();
        assertThat(rows).extracting(r -> r.get("n").asInt()).containsExactlyInAnyOrder(1, 2, 3, 4, 5, 6);
        assertThat(rows).filteredOn(r -> r.get("n").asInt() == 3).first()
                .satisfies(r -> assertThat(r.get("timestamp").asText()).isEqualTo("2023-09-15T08:00:00Z"));
    }

    @Test
    void aLargeRequestSentAgainUnderTheSameIdempotencyKeyIsStoredOnce() throws Exception {
        start("");
        StringBuilder big = new StringBuilder(); // about 900 KiB: several queue messages
        for (int i = 0; i < 6000; i++) {
            big.append("{\"n\":").append(i).append(",\"pad\":\"").append("p".repeat(140)).append("\"}\n");
        }
        for (int attempt = 0; attempt < 2; attempt++) {
            HttpResponse<String> r = send("POST", "/ingest", "application/x-ndjson", big.toString(), null,
                    "request-42");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
            assertThat(r.body()).isEqualTo("{\"accepted\":6000}");
        }
        HttpResponse<String> without = send("POST", "/ingest", "application/x-ndjson", "{\"n\":-1}", null, null);
        assertThat(without.statusCode()).isEqualTo(202);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> stored().size() >= 6001);
        Thread.sleep(1500); // copies, had they been queued, would be stored with the rest
        List<JsonNode> rows = stored();
        assertThat(rows).hasSize(6001);
        assertThat(rows).extracting(r -> r.get("n").asInt()).doesNotHaveDuplicates();
        HttpResponse<String> bad = send("POST", "/ingest", "application/json", "{}", null, "k".repeat(300));
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("Idempotency-Key");
    }

    @Test
    void logIngestorPayloadsArePostedUnchangedToLogsIngest() throws Exception {
        start(", path: /logs/ingest");
        String payload = """
                {
                  "level": "error",
                  "message": "Failed to connect to DB",
                  "resourceId": "server-1234",
                  "timestamp": "2023-09-15T08:00:00Z",
                  "traceId": "abc-xyz-123",
                  "spanId": "span-456",
                  "commit": "5e5342f",
                  "metadata": {"parentResourceId": "server-0987"}
                }""";
        HttpResponse<String> r = post("/logs/ingest", "application/json", payload);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        assertThat(post("/ingest", "application/json", payload).statusCode()).isEqualTo(404);
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> stored().size() == 1);
        assertThat(stored().get(0)).isEqualTo(JSON.readTree(payload));
    }

    @Test
    void everyRefusalHasItsCodeNamesWhatIsWrongAndQueuesNothingOfTheRequest() throws Exception {
        start(", bearerToken: s3cret, maxBodyBytes: 1KiB");
        String auth = "Bearer s3cret";

        // 401: missing or wrong token
        HttpResponse<String> none = post("/ingest", "application/json", "{}");
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        HttpResponse<String> wrong = send("POST", "/ingest", "application/json", "{}", "Bearer s3cre");
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.body()).doesNotContain("s3cret");
        // 404, 405
        assertThat(send("POST", "/other", "application/json", "{}", auth).statusCode()).isEqualTo(404);
        HttpResponse<String> get = send("GET", "/ingest", null, null, auth);
        assertThat(get.statusCode()).isEqualTo(405);
        assertThat(get.headers().firstValue("Allow")).hasValue("POST");
        // 415
        HttpResponse<String> form = send("POST", "/ingest", "application/x-www-form-urlencoded", "a=b", auth);
        assertThat(form.statusCode()).isEqualTo(415);
        assertThat(form.body()).contains("application/x-www-form-urlencoded");
        // 413
        HttpResponse<String> big = send("POST", "/ingest", "application/json",
                "{\"a\":\"" + "x".repeat(2000) + "\"}", auth);
        assertThat(big.statusCode()).isEqualTo(413);
        // 400: malformed JSON, a non-object element, a bad time; each names where, and nothing of it is queued
        HttpResponse<String> malformed = send("POST", "/ingest", "application/x-ndjson",
                "{\"ok\":1}\n{\"ok\":2}\n{\"broken\":\n", auth);
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(malformed.body()).contains("line 3").contains("malformed JSON");
        HttpResponse<String> element = send("POST", "/ingest", "application/json", "[{\"ok\":1},42]", auth);
        assertThat(element.statusCode()).isEqualTo(400);
        assertThat(element.body()).contains("element 1").contains("not an object");
        HttpResponse<String> time = send("POST", "/ingest", "application/json",
                "[{\"ok\":1},{\"timestamp\":\"yesterday\"}]", auth);
        assertThat(time.statusCode()).isEqualTo(400);
        assertThat(time.body()).contains("element 1").contains("timestamp").contains("yesterday");
        HttpResponse<String> scalar = send("POST", "/ingest", "application/json", "\"text\"", auth);
        assertThat(scalar.statusCode()).isEqualTo(400);

        HttpResponse<String> good = send("POST", "/ingest", "application/json", "{\"ok\":\"last\"}", auth);
        assertThat(good.statusCode()).as(good.body()).isEqualTo(202);
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> !stored().isEmpty());
        Thread.sleep(1000); // anything wrongly queued before the good request would be stored with it
        assertThat(stored()).extracting(r -> r.get("ok").asText()).containsExactly("last");
    }

    private HttpResponse<String> send(String method, String path, String contentType, String body, String auth)
            throws Exception {
        return send(method, path, contentType, body, auth, null);
    }

    private HttpResponse<String> send(String method, String path, String contentType, String body, String auth,
                                      String idempotencyKey) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(90))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        if (auth != null) {
            b.header("Authorization", auth);
        }
        if (idempotencyKey != null) {
            b.header("Idempotency-Key", idempotencyKey);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void whileJetStreamIsDownRequestsGet503WithRetryAfterAndEveryAcceptedRecordReachesTheTable() throws Exception {
        String table = "it_pushsrc_" + ProcessHandle.current().pid() + "_" + RUN.get();
        start("", "{name: out, type: postgres, url: '" + PG + "', user: postgres, table: " + table + "}");
        try {
            jetStreamStoppedAndRestartedMidLoad(table);
        } finally {
            ingest.close();
            ingest = null;
            try (Connection c = DriverManager.getConnection(PG, "postgres", null); Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS " + table);
                s.execute("DROP TABLE IF EXISTS " + table + "_batches");
            }
        }
    }

    private static final String PG = "jdbc:postgresql://127.0.0.1:5432/test";

    private static Set<Integer> rows(String table) throws Exception {
        Set<Integer> out = new HashSet<>();
        try (Connection c = DriverManager.getConnection(PG, "postgres", null); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT (record->>'n')::int FROM " + table)) {
            while (rs.next()) {
                out.add(rs.getInt(1));
            }
        }
        return out;
    }

    private static long rowCount(String table) throws Exception {
        try (Connection c = DriverManager.getConnection(PG, "postgres", null); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private void jetStreamStoppedAndRestartedMidLoad(String table) throws Exception {
        Set<Integer> accepted = ConcurrentHashSet();
        ConcurrentLinkedQueue<Integer> statuses = new ConcurrentLinkedQueue<>();
        AtomicInteger next = new AtomicInteger();
        List<Thread> clients = new ArrayList<>();
        java.util.concurrent.atomic.AtomicBoolean run = new java.util.concurrent.atomic.AtomicBoolean(true);
        for (int c = 0; c < 4; c++) {
            Thread t = new Thread(() -> {
                while (run.get()) {
                    int first = next.getAndAdd(100);
                    StringBuilder body = new StringBuilder();
                    for (int i = first; i < first + 100; i++) {
                        body.append("{\"n\":").append(i).append("}\n");
                    }
                    try {
                        HttpResponse<String> r = post("/ingest", "application/x-ndjson", body.toString());
                        statuses.add(r.statusCode());
                        if (r.statusCode() == 202) {
                            for (int i = first; i < first + 100; i++) {
                                accepted.add(i);
                            }
                        } else {
                            assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
                            assertThat(r.headers().firstValue("Retry-After")).hasValue("5");
                        }
                    } catch (Exception e) {
                        statuses.add(-1);
                    }
                }
            });
            t.start();
            clients.add(t);
        }
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> accepted.size() >= 2000);
        nats.stop();
        Awaitility.await().atMost(Duration.ofSeconds(90)).until(() -> statuses.contains(503));
        nats.restart();
        int before = accepted.size();
        Awaitility.await().atMost(Duration.ofSeconds(90)).until(() -> accepted.size() >= before + 2000);
        run.set(false);
        for (Thread t : clients) {
            t.join();
        }
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> rows(table).containsAll(accepted));
        assertThat(statuses).doesNotContain(-1).contains(503);
        assertThat(rowCount(table)).as("no row twice").isEqualTo(rows(table).size());
    }

    private static Set<Integer> ConcurrentHashSet() {
        return java.util.concurrent.ConcurrentHashMap.newKeySet();
    }
}
