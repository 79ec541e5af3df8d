package dev.ingest.cli;

import static dev.ingest.cli.LauncherSupport.countFinalFiles;
import static dev.ingest.cli.LauncherSupport.healthPort;
import static dev.ingest.cli.LauncherSupport.queueArgs;
import static dev.ingest.cli.LauncherSupport.quote;
import static dev.ingest.cli.LauncherSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ingest.cli.LauncherSupport.Launch;
import dev.ingest.cli.LauncherSupport.Result;
import dev.ingest.core.nats.NatsServerProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control plane with real processes: workflows created, paused, resumed, replaced and deleted through the REST API
 * of one pod are applied by every pod of the stream; they outlive pod and nats-server restarts; one-time runs with
 * {@code ingest run}; validation, authentication, events.
 */
@ExtendWith(LauncherSupport.RequiresDistribution.class)
class ControlPlaneIT {

    private static final String TOKEN = "s3cr3t-t0ken";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration APPLIED = Duration.ofSeconds(10);
    /** Copies by several pods, and their counts added up every 5 s. */
    private static final Duration COUNTED = Duration.ofSeconds(30);

    @RegisterExtension
    final LauncherSupport.Launcher launcher = new LauncherSupport.Launcher();

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    /** A nats-server of the test's own, with a store that survives its restart. */
    private NatsServerProcess startNats() throws IOException {
        return NatsServerProcess.start(Files.createDirectories(dir.resolve("nats")));
    }

    private Path tokenFile() throws IOException {
        Path f = dir.resolve("token");
        Files.writeString(f, TOKEN + "\n");
        return f;
    }

    private Path emptyConfig() throws IOException {
        Path f = dir.resolve("empty.yaml");
        Files.writeString(f, "{}\n");
        return f;
    }

    private HttpResponse<String> call(int port, String method, String path, String body, String token)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode ok(int port, String method, String path, String body) throws Exception {
        HttpResponse<String> r = call(port, method, path, body, TOKEN);
        assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isBetween(200, 299);
        return r.body().isEmpty() ? null : JSON.readTree(r.body());
    }

    private String state(int port, String workflow) throws Exception {
        HttpResponse<String> r = call(port, "GET", "/v1/workflows/" + workflow, null, TOKEN);
        return r.statusCode() == 404 ? "absent" : JSON.readTree(r.body()).path("state").asText();
    }

    private static void files(Path dir, String prefix, int count) throws IOException {
        Files.createDirectories(dir);
        for (int i = 0; i < count; i++) {
            Files.writeString(dir.resolve(prefix + i + ".txt"), prefix + " " + i);
        }
    }

    private Launch pod(NatsServerProcess nats, String name, String mode, Path config) throws IOException {
        return launcher.start(dir, Map.of(), queueArgs(nats.url(), name, config, "--mode=" + mode,
                "--api-token-file", tokenFile().toString(), "--shutdown-grace", "2s"));
    }

    @Test
    void aWorkflowManagedThroughOnePodRunsInBothAndFollowsEveryChange() throws Exception {
        try (NatsServerProcess nats = startNats()) {
            String name = unique("cp");
            Path src = dir.resolve("src");
            Path d1 = dir.resolve("d1");
            Path d2 = dir.resolve("d2");
            files(src, "a", 20);
            Launch enqueuer = pod(nats, name, "enqueue", emptyConfig());
            Launch dequeuer = pod(nats, name, "dequeue", emptyConfig());
            int pe = healthPort(enqueuer);
            int pd = healthPort(dequeuer);
            await().atMost(APPLIED).until(() -> get(pe, "/ready") == 200 && get(pd, "/ready") == 200);

            ok(pe, "PUT", "/v1/sources/in", "{\"type\": \"file\", \"path\": " + quote(src) + "}");
            ok(pe, "PUT", "/v1/destinations/d1", "type: file\npath: " + quote(d1) + "\n"); // YAML works too
            JsonNode created = ok(pe, "PUT", "/v1/workflows/w",
                    "{\"source\": \"in\", \"destinations\": [\"d1\"], \"interval\": \"300ms\"}");
            assertThat(created.path("origin").asText()).isEqualTo("api");
            // Running in both pods, applied from the bucket.
            await().atMost(APPLIED).until(() -> state(pe, "w").equals("running") && state(pd, "w").equals("running"));
            await().atMost(APPLIED).until(() -> countFinalFiles(d1) == 20);

            // Paused everywhere: new objects wait.
            ok(pd, "POST", "/v1/workflows/w/pause", null);
            await().atMost(APPLIED).until(() -> state(pe, "w").equals("paused") && state(pd, "w").equals("paused"));
            files(src, "b", 5);
            Thread.sleep(1500); // several intervals: a running workflow would have copied them
            assertThat(countFinalFiles(d1)).isEqualTo(20);
            ok(pe, "POST", "/v1/workflows/w/resume", null);
            await().atMost(APPLIED).until(() -> countFinalFiles(d1) == 25);

            // Replaced with a new destination: what comes now goes there (the scan also copies what d2 lacks).
            ok(pe, "PUT", "/v1/destinations/d2", "{\"type\": \"file\", \"path\": " + quote(d2) + "}");
            ok(pe, "PUT", "/v1/workflows/w", "{\"source\": \"in\", \"destinations\": [\"d2\"], \"interval\": \"300ms\"}");
            await().atMost(APPLIED).until(() -> countFinalFiles(d2) == 25);
            files(src, "c", 5);
            await().atMost(APPLIED).until(() -> countFinalFiles(d2) == 30);
            assertThat(countFinalFiles(d1)).isEqualTo(25);

            // A pod restarted: the workflow is still there, and still runs.
            dequeuer.destroy();
            Launch again = pod(nats, name, "dequeue", emptyConfig());
            int pa = healthPort(again);
            await().atMost(APPLIED).until(() -> state(pa, "w").equals("running"));
            files(src, "d", 5);
            await().atMost(APPLIED).until(() -> countFinalFiles(d2) == 35);

            // nats-server restarted: the pods reconnect and keep applying the bucket.
            nats.stop();
            nats.restart();
            await().atMost(Duration.ofSeconds(30)).until(() -> get(pe, "/ready") == 200 && get(pa, "/ready") == 200);
            files(src, "e", 5);
            await().atMost(Duration.ofSeconds(30)).until(() -> countFinalFiles(d2) == 40);

            // Deleted: nothing is copied after that, in either pod.
            HttpResponse<String> delete = call(pe, "DELETE", "/v1/workflows/w", null, TOKEN);
            assertThat(delete.statusCode()).isEqualTo(204);
            await().atMost(APPLIED).until(() -> state(pe, "w").equals("absent") && state(pa, "w").equals("absent"));
            files(src, "f", 5);
            Thread.sleep(1500);
            assertThat(countFinalFiles(d2)).isEqualTo(40);
            // What it used can go now.
            assertThat(call(pe, "DELETE", "/v1/sources/in", null, TOKEN).statusCode()).isEqualTo(204);
            assertThat(enqueuer.process().isAlive()).isTrue();
            assertThat(again.process().isAlive()).isTrue();
        }
    }

    private int get(int port, String path) {
        try {
            return call(port, "GET", path, null, null).statusCode();
        } catch (IOException | InterruptedException e) {
            return -1;
        }
    }

    /** A workflow's {@code copied} and {@code copiedHere}, as the API of a pod shows them. */
    private JsonNode copied(int port, String field) throws Exception {
        return ok(port, "GET", "/v1/workflows/w", null).path(field);
    }

    /**
     * Two pods copy parts of one workflow: the API of either shows what both copied ({@code copied}, added up in the
     * workflow's status document every 5 s) and what it copied itself ({@code copiedHere}), and so does
     * {@code ingest status}; the totals outlive a pod.
     */
    @Test
    void theCopiedCountsOfAWorkflowAreWhatEveryPodCopied() throws Exception {
        try (NatsServerProcess nats = startNats()) {
            String name = unique("cc");
            Path src = dir.resolve("src");
            Path dst = dir.resolve("dst");
            Path config = LauncherSupport.writeFileConfig(dir, "w", src, dst, "interval: 300ms");
            files(src, "a", 10); // "a 0" to "a 9": 3 bytes each
            Launch one = pod(nats, name, "all", config);
            int p1 = healthPort(one);
            await().atMost(COUNTED).until(() -> countFinalFiles(dst) == 10);
            await().atMost(COUNTED).until(() -> copied(p1, "copied").path("objects").asLong() == 10);
            assertThat(copied(p1, "copied").path("bytes").asLong()).isEqualTo(30);
            assertThat(copied(p1, "copiedHere").path("objects").asLong()).isEqualTo(10);
            assertThat(copied(p1, "copiedHere").path("bytes").asLong()).isEqualTo(30);
            assertThat(ok(p1, "GET", "/v1/workflows/w", null).path("status").has("copied")).isFalse(); // moved up

            // A second pod: both scan and copy; each API shows what both copied.
            Launch two = pod(nats, name, "all", config);
            int p2 = healthPort(two);
            await().atMost(COUNTED).until(() -> state(p2, "w").equals("running"));
            files(src, "b", 40); // 10 of 3 bytes, 30 of 4 bytes
            await().atMost(COUNTED).until(() -> countFinalFiles(dst) == 50);
            await().atMost(COUNTED).until(() -> copied(p1, "copied").path("objects").asLong() == 50
                    && copied(p2, "copied").path("objects").asLong() == 50);
            assertThat(copied(p1, "copied").path("bytes").asLong()).isEqualTo(30 + 150);
            assertThat(copied(p2, "copied").path("bytes").asLong()).isEqualTo(30 + 150);
            long here1 = copied(p1, "copiedHere").path("objects").asLong();
            long here2 = copied(p2, "copiedHere").path("objects").asLong();
            assertThat(here1 + here2).isEqualTo(50); // each object copied once, by one pod or the other
            assertThat(copied(p1, "copiedHere").path("bytes").asLong() + copied(p2, "copiedHere").path("bytes")
                    .asLong()).isEqualTo(180);

            // The first pod gone (killed, after its counts were added): the totals keep what it copied.
            one.destroy();
            files(src, "c", 10);
            await().atMost(COUNTED).until(() -> countFinalFiles(dst) == 60);
            await().atMost(COUNTED).until(() -> copied(p2, "copied").path("objects").asLong() == 60);
            assertThat(copied(p2, "copied").path("bytes").asLong()).isEqualTo(180 + 30);
            assertThat(copied(p2, "copiedHere").path("objects").asLong()).isEqualTo(here2 + 10);

            Result status = launcher.run(dir, Duration.ofSeconds(60), Map.of(), "status", "--json", "--config",
                    config.toString(), "--queue-endpoint", nats.url(), "--stream", name, "--subject", name,
                    "--consumer", name);
            assertThat(status.exitCode()).as(status.describe()).isZero();
            JsonNode shown = JSON.readTree(status.stdout()).get(0);
            assertThat(shown.path("copied").path("objects").asLong()).as(status.describe()).isEqualTo(60);
            assertThat(shown.path("copied").path("bytes").asLong()).isEqualTo(210);
            assertThat(shown.has("records")).isFalse();
        }
    }

    @Test
    void changesAreValidatedLikeAFileAndTheFilesEntriesAreReadOnly() throws Exception {
        try (NatsServerProcess nats = startNats()) {
            String name = unique("cpv");
            Path config = LauncherSupport.writeFileConfig(dir, "fromfile", dir.resolve("in"), dir.resolve("out"),
                    "interval: 1h");
            Files.createDirectories(dir.resolve("in"));
            Launch pod = pod(nats, name, "all", config);
            int port = healthPort(pod);
            await().atMost(APPLIED).until(() -> state(port, "fromfile").equals("running"));

            // Every problem at once, with the field's path within the entry.
            HttpResponse<String> bad = call(port, "PUT", "/v1/workflows/bad",
                    "{\"source\": \"nowhere\", \"destinations\": [], \"batchSize\": \"many\", \"colour\": 1}", TOKEN);
            assertThat(bad.statusCode()).isEqualTo(422);
            JsonNode problems = JSON.readTree(bad.body()).path("problems");
            assertThat(problems.findValuesAsText("path")).contains("source", "destinations", "batchSize", "colour");
            assertThat(state(port, "bad")).isEqualTo("absent");
            // The plugin's own checks too.
            HttpResponse<String> badKey = call(port, "PUT", "/v1/destinations/x",
                    "{\"type\": \"file\", \"path\": \"/tmp\", \"colour\": \"red\"}", TOKEN);
            assertThat(badKey.statusCode()).isEqualTo(422);
            assertThat(badKey.body()).contains("colour");
            assertThat(call(port, "PUT", "/v1/destinations/x", "{not json", TOKEN).statusCode()).isEqualTo(400);
            assertThat(call(port, "PUT", "/v1/destinations/x", "{\"type\": \"nope\"}", TOKEN).statusCode())
                    .isEqualTo(422);
            assertThat(call(port, "PUT", "/v1/destinations/a%20b", "{\"type\": \"file\"}", TOKEN).statusCode())
                    .isEqualTo(400);
            // The file's entries: shown, read-only; names unique across both.
            JsonNode listed = ok(port, "GET", "/v1/workflows", null);
            assertThat(listed.path("workflows").get(0).path("origin").asText()).isEqualTo("file");
            assertThat(call(port, "PUT", "/v1/workflows/fromfile", "{\"source\": \"src\", \"destinations\": [\"dst\"]}",
                    TOKEN).statusCode()).isEqualTo(409);
            assertThat(call(port, "DELETE", "/v1/sources/src", null, TOKEN).statusCode()).isEqualTo(409);
            assertThat(call(port, "DELETE", "/v1/workflows/none", null, TOKEN).statusCode()).isEqualTo(404);
            assertThat(call(port, "GET", "/v1/nothing", null, TOKEN).statusCode()).isEqualTo(404);
            assertThat(call(port, "PATCH", "/v1/workflows", null, TOKEN).statusCode()).isEqualTo(405);
            // An API workflow may use the file's source; a destination in use cannot be deleted.
            ok(port, "PUT", "/v1/destinations/out2", "{\"type\": \"file\", \"path\": " + quote(dir.resolve("out2"))
                    + "}");
            ok(port, "PUT", "/v1/workflows/second", "{\"source\": \"src\", \"destinations\": [\"out2\"]}");
            HttpResponse<String> inUse = call(port, "DELETE", "/v1/destinations/out2", null, TOKEN);
            assertThat(inUse.statusCode()).isEqualTo(409);
            assertThat(inUse.body()).contains("second");
            // Secrets are never returned; "***" sent back keeps the stored value.
            ok(port, "PUT", "/v1/destinations/hook", "{\"type\": \"http\", \"url\": \"http://127.0.0.1:9/x/{name}\", "
                    + "\"bearerToken\": \"very-secret\"}");
            String shown = call(port, "GET", "/v1/destinations/hook", null, TOKEN).body();
            assertThat(shown).doesNotContain("very-secret").contains("\"***\"");
            ok(port, "PUT", "/v1/destinations/hook", JSON.readTree(shown).path("definition").toString());
            assertThat(call(port, "GET", "/v1/destinations", null, TOKEN).body()).doesNotContain("very-secret");
        }
    }

    @Test
    void withoutATokenFileTheApiIsReadOnlyAndWithOneEveryCallNeedsIt() throws Exception {
        try (NatsServerProcess nats = startNats()) {
            Launch open = launcher.start(dir, Map.of(), queueArgs(nats.url(), unique("ro"), emptyConfig(),
                    "--mode=all"));
            int p = healthPort(open);
            await().atMost(APPLIED).until(() -> get(p, "/v1/workflows") == 200);
            HttpResponse<String> put = call(p, "PUT", "/v1/sources/s", "{\"type\": \"file\", \"path\": \"/tmp\"}", null);
            assertThat(put.statusCode()).isEqualTo(403);
            assertThat(JSON.readTree(put.body()).path("error").asText()).contains("--api-token-file");

            Launch locked = pod(nats, unique("rw"), "all", emptyConfig());
            int q = healthPort(locked);
            await().atMost(APPLIED).until(() -> get(q, "/ready") == 200);
            assertThat(get(q, "/v1/workflows")).isEqualTo(401);
            assertThat(call(q, "GET", "/v1/workflows", null, "wrong").statusCode()).isEqualTo(401);
            assertThat(call(q, "GET", "/v1/workflows", null, TOKEN).statusCode()).isEqualTo(200);
            assertThat(get(q, "/v1/openapi.json")).isEqualTo(200);
            assertThat(get(q, "/metrics")).isEqualTo(200);
            assertThat(get(q, "/live")).isEqualTo(200);
        }
    }

    @Test
    void eventsTellOfAPoisonObjectAsItIsDeadLettered() throws Exception {
        try (NatsServerProcess nats = startNats()) {
            Launch pod = pod(nats, unique("ev"), "all", emptyConfig());
            int port = healthPort(pod);
            await().atMost(APPLIED).until(() -> get(port, "/ready") == 200);
            List<String> lines = new CopyOnWriteArrayList<>();
            HttpRequest events = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/events"))
                    .header("Authorization", "Bearer " + TOKEN).build();
            var stream = http.sendAsync(events, HttpResponse.BodyHandlers.ofLines())
                    .thenAccept(r -> r.body().forEach(lines::add));
            await().atMost(APPLIED).until(() -> lines.contains(": ingest events"));

            Path src = dir.resolve("poison-src");
            files(src, "p", 1);
            // A destination that refuses every upload for good: the object is dead-lettered at once.
            com.sun.net.httpserver.HttpServer refusing = com.sun.net.httpserver.HttpServer.create(
                    new java.net.InetSocketAddress("127.0.0.1", 0), 0);
            refusing.createContext("/", ex -> {
                ex.getRequestBody().readAllBytes();
                ex.sendResponseHeaders(400, -1);
                ex.close();
            });
            refusing.start();
            try {
                ok(port, "PUT", "/v1/sources/s", "{\"type\": \"file\", \"path\": " + quote(src) + "}");
                ok(port, "PUT", "/v1/destinations/d", "{\"type\": \"http\", \"url\": \"http://127.0.0.1:"
                        + refusing.getAddress().getPort() + "/up/{name}\"}");
                ok(port, "PUT", "/v1/workflows/poison", "{\"source\": \"s\", \"destinations\": [\"d\"], "
                        + "\"maxDeliver\": 2, \"backoff\": \"100ms\", \"interval\": \"1h\"}");
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> lines.stream().anyMatch(l -> l.equals("event: dead_letter")));
            } finally {
                refusing.stop(0);
            }
            String data = lines.get(lines.indexOf("event: dead_letter") + 1);
            JsonNode event = JSON.readTree(data.substring("data: ".length()));
            assertThat(event.path("workflow").asText()).isEqualTo("poison");
            assertThat(event.path("object").asText()).isEqualTo("p0.txt");
            assertThat(lines).contains("event: workflow_started");
            stream.cancel(true);
        }
    }

    @Test
    void ingestRunIsAOneTimeRunOnAWarmService() throws Exception {
        try (NatsServerProcess nats = startNats()) {
            Path src = dir.resolve("in");
            Path out = dir.resolve("out");
            files(src, "r", 30);
            Path config = LauncherSupport.writeFileConfig(dir, "daily", src, out, "interval: 24h");
            Launch service = pod(nats, unique("run"), "all", config);
            int port = healthPort(service);
            await().atMost(APPLIED).until(() -> state(port, "daily").equals("running"));
            await().atMost(APPLIED).until(() -> countFinalFiles(out) == 30); // the first scan at start-up
            files(src, "s", 12);

            Result run = launcher.run(dir, Duration.ofSeconds(60), Map.of("INGEST_API_TOKEN", TOKEN), "run", "daily",
                    "--server", "http://127.0.0.1:" + port);
            assertThat(run.exitCode()).as(run.stderr()).isZero();
            assertThat(run.stdout()).contains("workflow daily done: listed 42, queued 12");
            assertThat(countFinalFiles(out)).isEqualTo(42); // every object of the run is stored when it returns
            // The runs the service remembers, newest first: the one just done, with its summary.
            JsonNode runs = ok(port, "GET", "/v1/runs?workflow=daily", null).path("runs");
            assertThat(runs.size()).isEqualTo(1);
            assertThat(runs.get(0).path("state").asText()).isEqualTo("done");
            assertThat(runs.get(0).path("listed").asLong()).isEqualTo(42);
            assertThat(runs.get(0).path("queued").asLong()).isEqualTo(12);
            assertThat(runs.get(0).path("workflow").asText()).isEqualTo("daily");
            JsonNode second = ok(port, "POST", "/v1/workflows/daily/runs", null);
            JsonNode newest = ok(port, "GET", "/v1/runs?workflow=daily&limit=1", null).path("runs");
            assertThat(newest.size()).isEqualTo(1);
            assertThat(newest.get(0).path("id").asText()).isEqualTo(second.path("id").asText());
            assertThat(ok(port, "GET", "/v1/runs", null).path("runs").size()).isEqualTo(2);
            assertThat(ok(port, "GET", "/v1/runs?workflow=other", null).path("runs").size()).isZero();
            HttpResponse<String> badLimit = call(port, "GET", "/v1/runs?limit=0", null, TOKEN);
            assertThat(badLimit.statusCode()).isEqualTo(400);
            assertThat(badLimit.body()).contains("limit must be a number from 1 to 200");

            Result missing = launcher.run(dir, Duration.ofSeconds(60), Map.of("INGEST_API_TOKEN", TOKEN), "run", "nope",
                    "--server", "http://127.0.0.1:" + port);
            assertThat(missing.exitCode()).isEqualTo(1);
            assertThat(missing.stderr()).contains("no workflow 'nope'");
            Result down = launcher.run(dir, Duration.ofSeconds(60), Map.of(), "run", "daily", "--server",
                    "http://127.0.0.1:1");
            assertThat(down.exitCode()).isEqualTo(4);
            assertThat(down.stderr()).contains("cannot reach the ingest service at http://127.0.0.1:1");
            Result noToken = launcher.run(dir, Duration.ofSeconds(60), Map.of(), "run", "daily", "--server",
                    "http://127.0.0.1:" + port);
            assertThat(noToken.exitCode()).isEqualTo(1);
            assertThat(noToken.stderr()).as("the service's own words, not just the status")
                    .contains("a bearer token is required");
            Result notUrl = launcher.run(dir, Duration.ofSeconds(60), Map.of(), "workflows", "list", "--server",
                    "ftp://127.0.0.1:" + port);
            assertThat(notUrl.exitCode()).isEqualTo(2);
            assertThat(notUrl.stderr()).contains("--server 'ftp://127.0.0.1:" + port + "' is not a URL");

            // The workflows command: list, apply, get, pause, delete.
            Path file = dir.resolve("more.yaml");
            Files.writeString(file, "destinations: [{name: extra, type: file, path: " + quote(dir.resolve("extra"))
                    + "}]\nworkflows: [{name: copy2, source: src, destinations: [extra], interval: 1h}]\n");
            Result apply = launcher.run(dir, Duration.ofSeconds(60), Map.of("INGEST_API_TOKEN", TOKEN), "workflows",
                    "apply", "-f", file.toString(), "--server", "http://127.0.0.1:" + port);
            assertThat(apply.exitCode()).as(apply.stderr()).isZero();
            assertThat(apply.stdout()).contains("destination extra created", "workflow copy2 created");
            await().atMost(APPLIED).until(() -> countFinalFiles(dir.resolve("extra")) == 42);
            Result list = launcher.run(dir, Duration.ofSeconds(60), Map.of("INGEST_API_TOKEN", TOKEN), "workflows",
                    "list", "--server", "http://127.0.0.1:" + port);
            assertThat(list.stdout()).containsPattern("daily\\s+file\\s+running").containsPattern("copy2\\s+api\\s+running");
            Result pause = launcher.run(dir, Duration.ofSeconds(60), Map.of("INGEST_API_TOKEN", TOKEN), "workflows",
                    "pause", "copy2", "--server", "http://127.0.0.1:" + port);
            assertThat(pause.stdout()).contains("workflow copy2 paused");
            Result refused = launcher.run(dir, Duration.ofSeconds(60), Map.of("INGEST_API_TOKEN", TOKEN), "run",
                    "copy2", "--server", "http://127.0.0.1:" + port);
            assertThat(refused.exitCode()).isEqualTo(1);
            assertThat(refused.stderr()).contains("paused");
            Result delete = launcher.run(dir, Duration.ofSeconds(60), Map.of("INGEST_API_TOKEN", TOKEN), "workflows",
                    "delete", "copy2", "--server", "http://127.0.0.1:" + port);
            assertThat(delete.stdout()).contains("workflow copy2 deleted");
            try (Stream<Path> s = Files.list(dir)) {
                assertThat(s.count()).isPositive();
            }
        }
    }
}
