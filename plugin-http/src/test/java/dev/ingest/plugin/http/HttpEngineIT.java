package dev.ingest.plugin.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import dev.ingest.core.config.ConfigLoader;
import dev.ingest.core.config.EnvExpander;
import dev.ingest.core.engine.IngestEngine;
import dev.ingest.core.engine.Mode;
import dev.ingest.core.engine.RunSummary;
import dev.ingest.core.plugin.Configured;
import dev.ingest.core.plugin.PluginRegistry;
import dev.ingest.core.plugin.PluginSetup;
import dev.ingest.core.queue.JetStreamQueue;
import dev.ingest.core.queue.QueueSettings;
import dev.ingest.testkit.NatsServerExtension;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine in-process against a real nats-server, with the http plugin talking to a real HTTP server (the JDK's)
 * on loopback, and the file plugin on the other side.
 */
class HttpEngineIT {

    @RegisterExtension
    static final NatsServerExtension NATS = new NatsServerExtension();

    private static final AtomicInteger RUN = new AtomicInteger();
    private static final String TOKEN = "e2e-t0ken";

    @TempDir
    Path dir;

    private final String prefix = "http" + RUN.incrementAndGet();
    private final Map<String, Handler> routes = new ConcurrentHashMap<>();
    private final List<String> requests = Collections.synchronizedList(new ArrayList<>());
    private HttpServer http;
    private ExecutorService httpThreads;

    interface Handler {
        void handle(HttpExchange exchange) throws IOException;
    }

    @BeforeEach
    void startHttp() throws IOException {
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        httpThreads = Executors.newFixedThreadPool(16);
        http.setExecutor(httpThreads);
        http.createContext("/", exchange -> {
            try (exchange) {
                String target = exchange.getRequestURI().getRawPath()
                        + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery());
                requests.add(exchange.getRequestMethod() + " " + target);
                Handler h = routes.get(target);
                if (h == null && target.startsWith("/up/")) {
                    h = routes.get("/up/*");
                }
                if (h == null) {
                    send(exchange, 404, new byte[0], null);
                } else {
                    h.handle(exchange);
                }
            } catch (IOException | RuntimeException e) {
                e.printStackTrace(); // the JDK server would only drop the connection
                throw e;
            }
        });
        http.start();
    }

    @AfterEach
    void stopHttp() {
        http.stop(0);
        httpThreads.shutdownNow();
    }

    private String base() {
        return "http://127.0.0.1:" + http.getAddress().getPort();
    }

    private static void send(HttpExchange exchange, int code, byte[] body, String type) throws IOException {
        exchange.getRequestBody().readAllBytes();
        if (type != null) {
            exchange.getResponseHeaders().set("Content-Type", type);
        }
        boolean noBody = exchange.getRequestMethod().equals("HEAD") || body.length == 0;
        exchange.sendResponseHeaders(code, noBody ? -1 : body.length);
        if (!noBody) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private static boolean authorized(HttpExchange exchange) throws IOException {
        if (("Bearer " + TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            return true;
        }
        send(exchange, 401, "{\"error\": \"unauthorized\"}".getBytes(StandardCharsets.UTF_8), "application/json");
        return false;
    }

    private QueueSettings settings() {
        return new QueueSettings(NATS.url(), prefix, prefix, prefix, 1, -1, Duration.ofMinutes(2), Duration.ofSeconds(30));
    }

    private RunSummary runOnce(String yaml) throws Exception {
        ConfigLoader.Parsed parsed = ConfigLoader.create(EnvExpander.of(Map.of("API_TOKEN", TOKEN))).parse(yaml, "test.yaml");
        assertThat(parsed.problems()).isEmpty();
        try (PluginRegistry registry = PluginRegistry.fromClassPath(getClass().getClassLoader());
             Configured configured = PluginSetup.configure(parsed, registry, true);
             JetStreamQueue queue = JetStreamQueue.connect(settings())) {
            queue.ensureStream();
            for (var w : configured.workflows()) {
                queue.ensureConsumer(w);
            }
            return IngestEngine.builder().configured(configured).queue(queue).mode(Mode.ALL).once(true).build().run();
        }
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static Map<String, String> hashes(Path root) throws Exception {
        Map<String, String> out = new TreeMap<>();
        if (!Files.exists(root)) {
            return out;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                out.put(root.relativize(p).toString().replace('\\', '/'), sha256(Files.readAllBytes(p)));
            }
        }
        return out;
    }

    /** Serves objects at /files/N and a listing of them in pages; returns name → SHA-256. */
    private Map<String, String> serveObjects(int pages, int perPage, long seed) throws Exception {
        Random random = new Random(seed);
        Map<String, String> expected = new TreeMap<>();
        for (int p = 1; p <= pages; p++) {
            StringBuilder items = new StringBuilder();
            for (int i = 0; i < perPage; i++) {
                int n = (p - 1) * perPage + i;
                String name = "page " + p + "/objet é " + n + ".bin";
                byte[] content = new byte[random.nextInt(150_000)];
                random.nextBytes(content);
                expected.put(name, sha256(content));
                boolean chunked = n % 3 == 0;
                routes.put("/files/" + n, exchange -> {
                    if (authorized(exchange)) {
                        exchange.getResponseHeaders().set("Content-Type", "application/x-test");
                        exchange.sendResponseHeaders(200, chunked ? 0 : content.length);
                        try (OutputStream out = exchange.getResponseBody()) {
                            out.write(content);
                        }
                    }
                });
                items.append(items.length() == 0 ? "" : ",").append("""
                        {"id": "%d", "name": "%s", "links": {"self": "/files/%d"}, "etag": "e%d", "bytes": %d}"""
                        .formatted(n, name, n, n, content.length));
            }
            // page 1 names its successor in the body, page 2 in a Link header, page 3 in neither
            String next = p < pages && p % 2 == 1 ? "\"/api/list?page=" + (p + 1) + "\"" : "null";
            byte[] body = "{\"data\": [%s], \"next\": %s}".formatted(items, next).getBytes(StandardCharsets.UTF_8);
            String link = p < pages && p % 2 == 0 ? "<" + base() + "/api/list?page=" + (p + 1) + ">; rel=\"next\"" : null;
            routes.put(p == 1 ? "/api/list" : "/api/list?page=" + p, exchange -> {
                if (authorized(exchange)) {
                    if (link != null) {
                        exchange.getResponseHeaders().set("Link", link);
                    }
                    send(exchange, 200, body, "application/json");
                }
            });
        }
        return expected;
    }

    private String httpSource(String extra) {
        return """
                - name: api
                  type: http
                  url: %s/api/list
                  items: /data
                  urlField: /links/self
                  versionField: etag
                  sizeField: bytes
                  nextField: /next
                  bearerToken: ${API_TOKEN}
                %s""".formatted(base(), extra);
    }

    @Test
    void copiesEveryObjectOfAPaginatedAuthenticatedApiToFilesByteForByte() throws Exception {
        Map<String, String> expected = serveObjects(3, 7, 1);
        Path out = dir.resolve("out");
        String yaml = """
                sources:
                %s
                destinations: [{name: disk, type: file, path: '%s'}]
                workflows: [{name: pull, source: api, destinations: [disk], batchSize: 8}]
                """.formatted(httpSource(""), out);

        RunSummary summary = runOnce(yaml);

        assertThat(summary.failures()).isEmpty();
        assertThat(summary.listed()).isEqualTo(21);
        assertThat(summary.copied()).isEqualTo(21);
        assertThat(hashes(out)).isEqualTo(expected);
        assertThat(requests).filteredOn(r -> r.startsWith("GET /api/list"))
                .containsExactly("GET /api/list", "GET /api/list?page=2", "GET /api/list?page=3");
    }

    @Test
    void deadLettersAnObjectThatIsGoneAndCopiesTheOthers() throws Exception {
        Map<String, String> expected = serveObjects(1, 5, 2);
        routes.remove("/files/3");
        expected.remove("page 1/objet é 3.bin");
        Path out = dir.resolve("out");
        String yaml = """
                sources:
                %s
                destinations: [{name: disk, type: file, path: '%s'}]
                workflows: [{name: gone, source: api, destinations: [disk], backoff: 50ms}]
                """.formatted(httpSource(""), out);

        RunSummary summary = runOnce(yaml);

        assertThat(summary.failed()).isEqualTo(1);
        assertThat(summary.failures()).singleElement().asString()
                .contains("page 1/objet é 3.bin").contains("no longer exists").contains(base() + "/files/3");
        assertThat(summary.retried()).isZero();
        assertThat(summary.copied()).isEqualTo(4);
        assertThat(hashes(out)).isEqualTo(expected);
    }

    @Test
    void cleansUpEachObjectWithTheConfiguredRequestOnceItIsStored() throws Exception {
        Map<String, String> expected = serveObjects(1, 3, 3);
        List<String> deleted = Collections.synchronizedList(new ArrayList<>());
        for (int n = 0; n < 3; n++) {
            Handler get = routes.get("/files/" + n);
            routes.put("/files/" + n, exchange -> {
                if (exchange.getRequestMethod().equals("DELETE")) {
                    deleted.add(exchange.getRequestURI().getPath());
                    send(exchange, 204, new byte[0], null);
                } else {
                    get.handle(exchange);
                }
            });
        }
        Path out = dir.resolve("out");
        String yaml = """
                sources:
                %s
                destinations: [{name: disk, type: file, path: '%s'}]
                workflows: [{name: move, source: api, destinations: [disk], cleanUp: true}]
                """.formatted(httpSource("  cleanUp: 'DELETE {url}'"), out);

        RunSummary summary = runOnce(yaml);

        assertThat(summary.failures()).isEmpty();
        assertThat(hashes(out)).isEqualTo(expected);
        assertThat(deleted).containsExactlyInAnyOrder("/files/0", "/files/1", "/files/2");
    }

    /** Accepts PUT /up/{name} (storing the body under the decoded name) and answers HEAD from what it holds. */
    private Map<String, byte[]> receiver(int failuresPerObject) {
        Map<String, byte[]> stored = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
        routes.put("/up/*", exchange -> {
            String name = exchange.getRequestURI().getPath().substring("/up/".length());
            switch (exchange.getRequestMethod()) {
                case "HEAD" -> send(exchange, stored.containsKey(name) ? 200 : 404, new byte[0], null);
                case "PUT" -> {
                    byte[] body = exchange.getRequestBody().readAllBytes();
                    if (attempts.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet() <= failuresPerObject) {
                        send(exchange, 500, "try again".getBytes(StandardCharsets.UTF_8), "text/plain");
                    } else {
                        stored.put(name, body);
                        send(exchange, 201, new byte[0], null);
                    }
                }
                default -> send(exchange, 405, new byte[0], null);
            }
        });
        return stored;
    }

    private Path tree(int files) throws IOException {
        Path root = Files.createDirectories(dir.resolve("src"));
        Random random = new Random(files);
        for (int i = 0; i < files; i++) {
            Path f = root.resolve("dossier é " + (i % 4) + "/sous dossier ü " + (i % 3) + "/fichier " + i
                    + (i % 5 == 0 ? " a+b #1 & 50%" : "") + ".txt");
            Files.createDirectories(f.getParent());
            byte[] content = new byte[random.nextInt(20_000)];
            random.nextBytes(content);
            Files.write(f, content);
        }
        return root;
    }

    private static Map<String, String> hashes(Map<String, byte[]> stored) throws Exception {
        Map<String, String> out = new TreeMap<>();
        for (Map.Entry<String, byte[]> e : stored.entrySet()) {
            out.put(e.getKey(), sha256(e.getValue()));
        }
        return out;
    }

    @Test
    void putsANestedTreeWithSpacesAndNonAsciiNamesToAnHttpEndpointByteForByte() throws Exception {
        Path src = tree(200);
        Map<String, byte[]> stored = receiver(0);
        String yaml = """
                sources: [{name: disk, type: file, path: '%s'}]
                destinations: [{name: web, type: http, url: '%s/up/{name}', bearerToken: '${API_TOKEN}'}]
                workflows: [{name: push, source: disk, destinations: [web], batchSize: 16}]
                """.formatted(src, base());

        RunSummary summary = runOnce(yaml);

        assertThat(summary.failures()).isEmpty();
        assertThat(summary.copied()).isEqualTo(200);
        assertThat(hashes(stored)).isEqualTo(hashes(src)).hasSize(200);

        RunSummary again = runOnce(yaml);
        assertThat(again.copied()).as("HEAD finds every object on a second run").isZero();
    }

    @Test
    void retriesAReceiverThatFailsTwiceUntilEveryObjectArrives() throws Exception {
        Path src = tree(10);
        Map<String, byte[]> stored = receiver(2);
        String yaml = """
                sources: [{name: disk, type: file, path: '%s'}]
                destinations: [{name: flaky, type: http, url: '%s/up/{name}'}]
                workflows: [{name: retry, source: disk, destinations: [flaky], backoff: 50ms, maxBackoff: 200ms}]
                """.formatted(src, base());

        RunSummary summary = runOnce(yaml);

        assertThat(summary.failures()).isEmpty();
        assertThat(summary.copied()).isEqualTo(10);
        assertThat(summary.retried()).isEqualTo(20);
        assertThat(hashes(stored)).isEqualTo(hashes(src));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // A real Python http.server as the receiver

    private static Map<String, String> hashesUnder(Path root) throws Exception {
        Map<String, String> out = hashes(root);
        out.keySet().removeIf(name -> name.startsWith(".upload-"));
        return out;
    }

    @Test
    void storesATreeOf200FilesToPythonsHttpServerInItsDefaultHttp10Mode() throws Exception {
        Path src = tree(200);
        try (PythonReceiver receiver = PythonReceiver.start(Files.createDirectories(dir.resolve("py")))) {
            String yaml = """
                    sources: [{name: disk, type: file, path: '%s'}]
                    destinations: [{name: py, type: http, url: '%s'}]
                    workflows: [{name: push, source: disk, destinations: [py], batchSize: 16, maxDeliver: 1}]
                    """.formatted(src, receiver.urlTemplate());

            RunSummary summary = runOnce(yaml);

            assertThat(summary.failures()).isEmpty();
            assertThat(summary.retried()).isZero();
            assertThat(summary.copied()).isEqualTo(200);
            assertThat(hashesUnder(receiver.dir())).isEqualTo(hashes(src)).hasSize(200);
        }
    }

    @Test
    void withCleanUpObjectsAReceiverProvesToHoldAreNotSentAgainBeforeTheSourceIsDeleted() throws Exception {
        Path src = tree(12);
        Map<String, String> expected = hashes(src);
        try (PythonReceiver receiver = PythonReceiver.start(Files.createDirectories(dir.resolve("py")),
                "--protocol", "HTTP/1.1", "--keep-version")) {
            String yaml = """
                    sources: [{name: disk, type: file, path: '%s'}]
                    destinations: [{name: py, type: http, url: '%s'}]
                    workflows: [{name: %s, source: disk, destinations: [py], cleanUp: %s}]
                    """;
            assertThat(runOnce(yaml.formatted(src, receiver.urlTemplate(), "copy", false)).copied()).isEqualTo(12);

            RunSummary move = runOnce(yaml.formatted(src, receiver.urlTemplate(), "move", true));

            assertThat(move.failures()).isEmpty();
            assertThat(move.copied()).as("every object was verified by its echoed version").isZero();
            assertThat(move.skipped()).isEqualTo(12);
            assertThat(hashes(src)).as("the sources were cleaned up").isEmpty();
            assertThat(hashesUnder(receiver.dir())).isEqualTo(expected);
        }
    }

    @Test
    void aSourceFileRewrittenWithTheSameSizeIsSentAgainToAReceiverThatKeepsVersions() throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        Path file = src.resolve("report.txt");
        Files.writeString(file, "version-1 AAAA");
        Files.setLastModifiedTime(file, FileTime.fromMillis(1_700_000_000_000L));
        try (PythonReceiver receiver = PythonReceiver.start(Files.createDirectories(dir.resolve("py")),
                "--protocol", "HTTP/1.1", "--keep-version")) {
            String yaml = """
                    sources: [{name: disk, type: file, path: '%s'}]
                    destinations: [{name: py, type: http, url: '%s'}]
                    workflows: [{name: %s, source: disk, destinations: [py]}]
                    """;
            assertThat(runOnce(yaml.formatted(src, receiver.urlTemplate(), "first")).copied()).isEqualTo(1);
            Files.writeString(file, "version-2 BBBB");
            Files.setLastModifiedTime(file, FileTime.fromMillis(1_700_000_009_000L));

            RunSummary second = runOnce(yaml.formatted(src, receiver.urlTemplate(), "second"));

            assertThat(second.failures()).isEmpty();
            assertThat(second.copied()).isEqualTo(1);
            assertThat(Files.readString(receiver.dir().resolve("report.txt"))).isEqualTo("version-2 BBBB");
        }
    }

    @Test
    void aReceiverThatKeepsHalfOfEachBodyButAnswers201IsNotCountedAsCopied() throws Exception {
        Path src = tree(3);
        Map<String, Integer> held = new ConcurrentHashMap<>();
        routes.put("/up/*", exchange -> {
            String name = exchange.getRequestURI().getPath();
            switch (exchange.getRequestMethod()) {
                case "PUT" -> {
                    held.put(name, exchange.getRequestBody().readAllBytes().length / 2);
                    send(exchange, 201, new byte[0], null);
                }
                case "HEAD" -> {
                    if (held.containsKey(name)) {
                        exchange.getResponseHeaders().set("Content-Length", Integer.toString(held.get(name)));
                        exchange.sendResponseHeaders(200, -1);
                    } else {
                        send(exchange, 404, new byte[0], null);
                    }
                }
                default -> send(exchange, 405, new byte[0], null);
            }
        });
        String yaml = """
                sources: [{name: disk, type: file, path: '%s'}]
                destinations: [{name: halves, type: http, url: '%s/up/{name}'}]
                workflows: [{name: halves, source: disk, destinations: [halves], backoff: 10ms, maxDeliver: 2}]
                """.formatted(src, base());

        RunSummary summary = runOnce(yaml);

        assertThat(summary.copied()).isZero();
        assertThat(summary.failed()).isEqualTo(3);
        assertThat(summary.failures()).allSatisfy(f -> assertThat(f).contains("answered HTTP 201 but the server holds"));
    }
}
