package dev.ingest.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.ingest.core.metrics.IngestMetrics;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The webhook's deliveries against a real HTTP server: retries, final answers, timeouts, coalescing, draining. */
class WebhookTest {

    private final RunStats stats = new RunStats();
    private final IngestMetrics metrics = IngestMetrics.withoutJvm();
    private final List<String> deliveries = new CopyOnWriteArrayList<>();
    private final List<String> bodies = new CopyOnWriteArrayList<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private final List<String> paths = new CopyOnWriteArrayList<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger concurrent = new AtomicInteger();
    private final AtomicInteger mostConcurrent = new AtomicInteger();
    private final CountDownLatch release = new CountDownLatch(1);
    private volatile int[] answers = {200};
    private volatile long delayMillis;
    private volatile boolean holdUntilReleased;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private HttpServer server;
    private URI url;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/hook", ex -> {
            int n = requests.getAndIncrement();
            mostConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
            try {
                deliveries.add(ex.getRequestHeaders().getFirst("X-Ingest-Delivery"));
                authorizations.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
                paths.add(ex.getRequestURI().toString());
                bodies.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                try {
                    Thread.sleep(delayMillis);
                    if (holdUntilReleased) {
                        release.await();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                byte[] body = "answer".getBytes();
                ex.sendResponseHeaders(answers[Math.min(n, answers.length - 1)], body.length);
                ex.getResponseBody().write(body);
            } finally {
                concurrent.decrementAndGet();
                ex.close();
            }
        });
        server.setExecutor(executor); // a slow answer must not hold up the next attempt's
        server.start();
        url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/hook");
        logs.start();
        ((Logger) LoggerFactory.getLogger(Webhook.class)).addAppender(logs);
    }

    @AfterEach
    void stop() {
        ((Logger) LoggerFactory.getLogger(Webhook.class)).detachAppender(logs);
        release.countDown();
        server.stop(0);
        executor.shutdownNow();
    }

    private Webhook webhook(Duration timeout) {
        return new Webhook(stats, metrics, timeout, Duration.ofMillis(10));
    }

    private RunSummary deliverOnce(Duration timeout) {
        Webhook webhook = webhook(timeout);
        webhook.submit("wf", url, Optional.of("secret"), List.of(URI.create("file:///out/a")));
        webhook.close(Duration.ofSeconds(30));
        return stats.snapshot();
    }

    private static List<URI> uris(String prefix, int count) {
        List<URI> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(URI.create("file:///out/" + prefix + i));
        }
        return out;
    }

    private List<String> received() throws Exception {
        List<String> out = new ArrayList<>();
        for (String body : bodies) {
            out.addAll(List.of(new ObjectMapper().readValue(body, String[].class)));
        }
        return out;
    }

    private String logText() {
        StringBuilder sb = new StringBuilder();
        logs.list.forEach(e -> sb.append(e.getFormattedMessage()).append('\n'));
        return sb.toString();
    }

    private double metric(String name) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        metrics.writeTo(out);
        return out.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void serverErrorsAndThrottlingAreRetriedWithTheSameDeliveryId() {
        answers = new int[] {503, 429, 200};
        RunSummary s = deliverOnce(Duration.ofSeconds(5));
        assertThat(s.webhookDelivered()).isEqualTo(1);
        assertThat(s.webhookFailed()).isZero();
        assertThat(requests).hasValue(3);
        assertThat(deliveries).hasSize(3).containsOnly(deliveries.get(0));
    }

    @Test
    void aClientErrorIsFinal() {
        answers = new int[] {400, 200};
        RunSummary s = deliverOnce(Duration.ofSeconds(5));
        assertThat(s.webhookFailed()).isEqualTo(1);
        assertThat(requests).hasValue(1);
    }

    @Test
    void aServerThatNeverAnswersInTimeFailsAfterEveryAttempt() {
        delayMillis = 500;
        RunSummary s = deliverOnce(Duration.ofMillis(100));
        assertThat(s.webhookFailed()).isEqualTo(1);
        assertThat(s.webhookDelivered()).isZero();
        assertThat(requests).hasValue(Webhook.ATTEMPTS);
    }

    @Test
    void aRedirectIsNotFollowed() {
        answers = new int[] {302};
        RunSummary s = deliverOnce(Duration.ofSeconds(5));
        assertThat(s.webhookFailed()).isEqualTo(1);
        assertThat(requests).hasValue(1);
    }

    @Test
    void aSlowWebhookGetsEveryUriInFewerConcurrentDeliveries() throws Exception {
        delayMillis = 300;
        Webhook webhook = webhook(Duration.ofSeconds(10));
        List<URI> all = new ArrayList<>();
        for (int batch = 0; batch < 50; batch++) {
            List<URI> stored = uris("b" + batch + "-", 4);
            all.addAll(stored);
            webhook.submit("wf", url, Optional.empty(), stored);
        }
        webhook.close(Duration.ofSeconds(60));

        RunSummary s = stats.snapshot();
        assertThat(received()).as("every stored URI, once").containsExactlyInAnyOrderElementsOf(
                all.stream().map(URI::toString).toList());
        assertThat(s.webhookDelivered()).isEqualTo(200);
        assertThat(s.webhookFailed()).isZero();
        assertThat(requests.get()).as("deliveries for 50 batches").isLessThan(50);
        assertThat(mostConcurrent.get()).as("deliveries in flight at once").isEqualTo(Webhook.MAX_IN_FLIGHT);
    }

    @Test
    void closingGivesUpWhatIsStillWaitingWhenTheDrainTimeIsOverAndNamesIt() throws Exception {
        holdUntilReleased = true; // the webhook takes a request and never answers
        Webhook webhook = webhook(Duration.ofSeconds(30));
        List<URI> all = new ArrayList<>();
        for (int batch = 0; batch < 10; batch++) {
            List<URI> stored = uris("w" + batch + "-", 3);
            all.addAll(stored);
            webhook.submit("wf", url, Optional.empty(), stored);
        }

        long start = System.nanoTime();
        webhook.close(Duration.ofMillis(300));
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        boolean serverAnswered = release.getCount() == 0;

        RunSummary s = stats.snapshot();
        assertThat(serverAnswered).isFalse();
        assertThat(tookMillis).as("close waits for the drain time, not for the webhook's 30 s timeout")
                .isLessThan(10_000);
        assertThat(s.webhookDelivered()).isZero();
        assertThat(s.webhookFailed()).isEqualTo(30);
        String failures = String.join("\n", s.failures());
        for (URI u : all) {
            assertThat(failures).contains(u.toString());
        }
        assertThat(s.failures()).allSatisfy(f -> assertThat(f).startsWith("workflow wf: the webhook " + url)
                .contains("the objects are stored"));
        assertThat(logText()).contains("file:///out/w9-2");
        assertThat(metric("ingest_webhook_undelivered_total")).isEqualTo(30.0);
    }

    @Test
    void userInformationIsSentAsBasicAuthenticationAndNeverShown() throws Exception {
        URI withUser = URI.create("http://h%C3%A9l%C3%A8ne:p%C3%A4ss%3Aw0rd@127.0.0.1:" + server.getAddress().getPort()
                + "/hook?token=t0k3n");
        answers = new int[] {200, 400};
        Webhook webhook = webhook(Duration.ofSeconds(5));
        webhook.submit("wf", withUser, Optional.empty(), List.of(URI.create("file:///out/a")));
        webhook.close(Duration.ofSeconds(30));
        webhook = new Webhook(stats, metrics, Duration.ofSeconds(5), Duration.ofMillis(10));
        webhook.submit("wf", withUser, Optional.empty(), List.of(URI.create("file:///out/b")));
        webhook.close(Duration.ofSeconds(30));

        String expected = "Basic " + Base64.getEncoder().encodeToString("hélène:päss:w0rd".getBytes(StandardCharsets.UTF_8));
        assertThat(authorizations).containsExactly(expected, expected);
        assertThat(paths).containsOnly("/hook?token=t0k3n");
        RunSummary s = stats.snapshot();
        assertThat(s.webhookDelivered()).isEqualTo(1);
        assertThat(s.webhookFailed()).isEqualTo(1);
        String shown = String.join("\n", s.failures()) + "\n" + logText();
        assertThat(shown).contains("http://h%C3%A9l%C3%A8ne:REDACTED@127.0.0.1:").contains("token=REDACTED")
                .doesNotContain("w0rd").doesNotContain("t0k3n").doesNotContain(expected.substring(6));
    }
}
