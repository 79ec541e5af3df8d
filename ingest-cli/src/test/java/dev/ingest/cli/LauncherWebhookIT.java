package dev.ingest.cli;

import static dev.ingest.cli.LauncherSupport.countFinalFiles;
import static dev.ingest.cli.LauncherSupport.generateUniformTree;
import static dev.ingest.cli.LauncherSupport.hashTree;
import static dev.ingest.cli.LauncherSupport.queueArgs;
import static dev.ingest.cli.LauncherSupport.regularFiles;
import static dev.ingest.cli.LauncherSupport.unique;
import static dev.ingest.cli.LauncherSupport.writeFileConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.ingest.cli.LauncherSupport.Launch;
import dev.ingest.cli.LauncherSupport.Result;
import dev.ingest.testkit.NatsServerExtension;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Webhook notices as users meet them: the real {@code bin/ingest} against a real NATS and a real HTTP webhook. */
@ExtendWith(LauncherSupport.RequiresDistribution.class)
class LauncherWebhookIT {

    private static final Duration RUN = Duration.ofMinutes(2);
    /** Credentials in the webhook URL: they must never show. */
    private static final String PASSWORD = "hookPassw0rd";
    private static final String TOKEN = "hookT0ken";

    @RegisterExtension
    static final NatsServerExtension NATS = new NatsServerExtension();

    @RegisterExtension
    final LauncherSupport.Launcher launcher = new LauncherSupport.Launcher();

    @TempDir
    Path dir;

    private final ExecutorService serverThreads = Executors.newCachedThreadPool();
    private HttpServer server;

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.stop(0);
        }
        serverThreads.shutdownNow();
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void assertNoCredentials(Result r) {
        assertThat(r.stdout() + r.stderr()).as(r.describe()).doesNotContain(PASSWORD).doesNotContain(TOKEN)
                .doesNotContain(Base64.getEncoder().encodeToString(("hook:" + PASSWORD).getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aHealthyButSlowWebhookReceivesEveryUriOfTwoHundredObjectsWithBasicAuthentication() throws Exception {
        List<String> received = new CopyOnWriteArrayList<>();
        List<String> authorizations = new CopyOnWriteArrayList<>();
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/hook", ex -> {
            try (ex) {
                authorizations.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
                byte[] body = ex.getRequestBody().readAllBytes();
                Thread.sleep(1000); // healthy, but slow: every answer takes a second
                received.addAll(List.of(new ObjectMapper().readValue(body, String[].class)));
                ex.sendResponseHeaders(200, -1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.setExecutor(serverThreads);
        server.start();
        Path src = dir.resolve("source");
        Path dst = dir.resolve("destination");
        generateUniformTree(src, 200, 64, 7);
        String name = unique("slowhook");
        String hook = "http://hook:" + PASSWORD + "@127.0.0.1:" + server.getAddress().getPort() + "/hook?token=" + TOKEN;
        Path config = writeFileConfig(dir, name, src, dst, "webhook: '" + hook + "'");

        Result run = launcher.run(dir, RUN, Map.of(), queueArgs(NATS.url(), name, config, "--mode=all", "--once"));

        assertThat(run.exitCode()).as(run.describe()).isZero();
        assertThat(run.counts()).as(run.describe()).containsEntry("copied", 200L).containsEntry("failed", 0L);
        List<String> expected = new ArrayList<>();
        for (Path p : regularFiles(dst.toRealPath())) {
            expected.add(p.toUri().toString());
        }
        assertThat(expected).hasSize(200);
        assertThat(received).as("URIs the webhook received").doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(expected);
        assertThat(authorizations).isNotEmpty().containsOnly("Basic "
                + Base64.getEncoder().encodeToString(("hook:" + PASSWORD).getBytes(StandardCharsets.UTF_8)));
        assertThat(run.summary()).doesNotContain("webhook");
        assertNoCredentials(run);
    }

    @Test
    void aWebhookThatIsDownAtTheEndOfAOnceRunExits1NamingEveryUriNotNotifiedAndTheObjectsStayStored() throws Exception {
        Path src = dir.resolve("source");
        Path dst = dir.resolve("destination");
        Map<String, String> files = generateUniformTree(src, 12, 100, 3);
        String name = unique("downhook");
        int port = closedPort();
        String hook = "http://hook:" + PASSWORD + "@127.0.0.1:" + port + "/hook?token=" + TOKEN;
        Path config = writeFileConfig(dir, name, src, dst, "webhook: '" + hook + "'");

        Result run = launcher.run(dir, RUN, Map.of(), queueArgs(NATS.url(), name, config, "--mode=all", "--once"));

        assertThat(run.exitCode()).as(run.describe()).isEqualTo(1);
        assertThat(run.counts()).as(run.describe()).containsEntry("copied", 12L).containsEntry("failed", 0L);
        assertThat(run.summary()).contains("the webhook was not told of 12 stored URIs");
        assertThat(hashTree(dst)).as("the objects are stored all the same").isEqualTo(files);
        String shownHook = "http://hook:REDACTED@127.0.0.1:" + port + "/hook?token=REDACTED";
        assertThat(run.stdout()).as(run.describe())
                .contains("  failed: workflow " + name + ": the webhook " + shownHook + " was not told of")
                .contains("the objects are stored");
        for (Path p : regularFiles(dst.toRealPath())) {
            assertThat(run.stdout()).as("stdout names %s", p).contains(p.toUri().toString());
            assertThat(run.stderr()).as("the ERROR log names %s", p).contains(p.toUri().toString());
        }
        assertThat(run.stderr()).contains("\"level\":\"ERROR\"");
        assertNoCredentials(run);
    }

    @Test
    void aServiceLogsAndCountsNoticesItCouldNotDeliver() throws Exception {
        Path src = dir.resolve("source");
        Path dst = dir.resolve("destination");
        generateUniformTree(src, 5, 100, 4);
        String name = unique("servicehook");
        int hookPort = closedPort();
        Path config = writeFileConfig(dir, name, src, dst, "interval: 1h",
                "webhook: 'http://hook:" + PASSWORD + "@127.0.0.1:" + hookPort + "/hook?token=" + TOKEN + "'");
        int port = closedPort();
        List<String> args = new ArrayList<>(List.of(queueArgs(NATS.url(), name, config, "--mode=all")));
        args.set(args.indexOf("127.0.0.1:0"), "127.0.0.1:" + port);
        Launch service = launcher.start(dir, Map.of(), args.toArray(String[]::new));
        await().atMost(RUN).until(() -> countFinalFiles(dst) == 5);

        HttpClient http = HttpClient.newHttpClient();
        Pattern undelivered = Pattern.compile("^ingest_webhook_undelivered_total\\{workflow=\"" + name + "\"\\} (\\S+)$",
                Pattern.MULTILINE);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            Matcher m = undelivered.matcher(metrics);
            assertThat(m.find()).as("ingest_webhook_undelivered_total in\n%s", metrics).isTrue();
            assertThat(Double.parseDouble(m.group(1))).isEqualTo(5.0);
        });
        assertThat(service.stderr()).contains("\"level\":\"ERROR\"").contains("was not told of");
        for (Path p : regularFiles(dst.toRealPath())) {
            assertThat(service.stderr()).contains(p.toUri().toString());
        }

        service.process().destroy();
        Result stopped = service.await(Duration.ofSeconds(60));
        assertThat(stopped.exitCode()).as(stopped.describe()).isZero();
        assertNoCredentials(stopped);
    }
}
