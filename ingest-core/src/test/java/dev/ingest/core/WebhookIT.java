package dev.ingest.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.ingest.core.engine.RunSummary;
import dev.ingest.core.nats.NatsServerProcess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Webhook notices of whole runs, against a real nats-server and a real HTTP server: a slow webhook gets every
 * stored URI, one that goes down is named in the summary, and draining respects the shutdown grace.
 */
class WebhookIT {

    private static NatsServerProcess nats;
    private static final AtomicInteger RUN = new AtomicInteger();

    @TempDir
    Path tmp;

    private final String name = "hook" + RUN.incrementAndGet();
    private final List<String> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final ExecutorService serverThreads = Executors.newCachedThreadPool();
    private HttpServer server;

    @BeforeAll
    static void startNats() throws IOException {
        nats = NatsServerProcess.start();
    }

    @AfterAll
    static void stopNats() {
        if (nats != null) {
            nats.close();
        }
    }

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.stop(0);
        }
        serverThreads.shutdownNow();
    }

    /** A webhook on a real server: records what it is told, then answers as {@code answer} says. */
    private String webhook(Answer answer) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/hook", ex -> {
            try (ex) {
                int n = requests.incrementAndGet();
                byte[] body = ex.getRequestBody().readAllBytes();
                if (!answer.accept(n)) {
                    ex.sendResponseHeaders(503, -1);
                    return;
                }
                received.addAll(List.of(new ObjectMapper().readValue(body, String[].class)));
                ex.sendResponseHeaders(200, -1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.setExecutor(serverThreads);
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    interface Answer {
        /** @return whether to take request {@code n} (from 1) and answer 200; false answers 503 */
        boolean accept(int n) throws InterruptedException;
    }

    private List<String> files(int count) throws IOException {
        Path in = Files.createDirectories(tmp.resolve("in"));
        for (int i = 0; i < count; i++) {
            Files.writeString(in.resolve(String.format("f%03d.txt", i)), "object " + i);
        }
        List<String> uris = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            uris.add(tmp.resolve("out").resolve(String.format("f%03d.txt", i)).toUri().toString());
        }
        return uris;
    }

    private Ingest ingest(String hook, Duration grace) throws Exception {
        String config = """
                sources: [{name: in, type: dir, path: '${IN}'}]
                destinations: [{name: out, type: dir, path: '${OUT}'}]
                workflows: [{name: notify, source: in, destinations: [out], webhook: '${HOOK}'}]
                """;
        return Ingest.builder().config(config)
                .variables(Map.of("IN", tmp.resolve("in").toString(), "OUT", tmp.resolve("out").toString(), "HOOK", hook))
                .natsUrl(nats.url()).stream(name).subject(name).consumer(name).shutdownGrace(grace).build();
    }

    private long stored() throws IOException {
        try (Stream<Path> s = Files.list(tmp.resolve("out"))) {
            return s.filter(p -> p.getFileName().toString().endsWith(".txt")).count();
        }
    }

    @Test
    void aHealthyButSlowWebhookReceivesEveryStoredUri() throws Exception {
        List<String> expected = files(200);
        String hook = webhook(n -> {
            Thread.sleep(1000); // answers 200 after a second, every time
            return true;
        });

        RunSummary summary;
        try (Ingest ingest = ingest(hook, Duration.ofSeconds(60))) {
            summary = ingest.runOnce();
        }

        assertThat(summary.copied()).isEqualTo(200);
        assertThat(received).as("URIs the webhook was told of").doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(expected);
        assertThat(summary.webhookDelivered()).isEqualTo(200);
        assertThat(summary.webhookFailed()).isZero();
        assertThat(summary.failures()).isEmpty();
        assertThat(requests.get()).as("requests: URIs of many batches share one").isLessThan(200 / 8);
    }

    @Test
    void aWebhookThatIsDownAtTheEndFailsTheRunNamingEveryUriItWasNotToldOf() throws Exception {
        List<String> expected = files(60);
        AtomicBoolean first = new AtomicBoolean(true);
        String hook = webhook(n -> first.getAndSet(false)); // takes the first delivery, then answers 503 for ever

        RunSummary summary;
        try (Ingest ingest = ingest(hook, Duration.ofSeconds(60))) {
            summary = ingest.runOnce();
        }

        assertThat(summary.copied()).isEqualTo(60);
        assertThat(summary.failed()).as("objects failed: none, they are stored").isZero();
        assertThat(stored()).isEqualTo(60);
        assertThat(received).as("the first delivery").isNotEmpty();
        assertThat(summary.webhookDelivered()).isEqualTo(received.size());
        assertThat(summary.webhookFailed()).isEqualTo(60 - received.size());
        String failures = String.join("\n", summary.failures());
        assertThat(summary.failures()).allSatisfy(f -> assertThat(f)
                .startsWith("workflow notify: the webhook " + hook + " was not told of")
                .contains("HTTP 503 after 4 attempts").contains("the objects are stored"));
        for (String uri : expected) {
            assertThat(failures.contains(uri)).as("%s named as not notified", uri).isEqualTo(!received.contains(uri));
        }
        assertThat(summary.line()).contains("the webhook was not told of " + (60 - received.size()) + " stored URIs");
    }

    @Test
    void aWebhookThatNeverAnswersIsGivenUpWhenTheShutdownGraceIsOver() throws Exception {
        List<String> expected = files(5);
        AtomicBoolean answered = new AtomicBoolean();
        String hook = webhook(n -> {
            Thread.sleep(8000); // within the webhook's 10 s read timeout, far beyond the 1 s grace
            answered.set(true);
            return true;
        });

        RunSummary summary;
        try (Ingest ingest = ingest(hook, Duration.ofSeconds(1))) {
            summary = ingest.runOnce();
        }

        assertThat(answered).as("the run ended (1 s grace) before the webhook answered (8 s)").isFalse();
        assertThat(summary.copied()).isEqualTo(5);
        assertThat(summary.webhookFailed()).isEqualTo(5);
        String failures = String.join("\n", summary.failures());
        expected.forEach(uri -> assertThat(failures).contains(uri));
        assertThat(failures).contains("shutdown grace was over");
    }
}
