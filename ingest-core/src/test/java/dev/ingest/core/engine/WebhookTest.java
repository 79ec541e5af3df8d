package dev.ingest.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.ingest.core.metrics.IngestMetrics;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The webhook's deliveries against a real HTTP server: retries, final answers, timeouts. */
class WebhookTest {

    private final RunStats stats = new RunStats();
    private final List<String> deliveries = new CopyOnWriteArrayList<>();
    private final AtomicInteger requests = new AtomicInteger();
    private volatile int[] answers = {200};
    private volatile long delayMillis;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private HttpServer server;
    private URI url;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/hook", ex -> {
            int n = requests.getAndIncrement();
            deliveries.add(ex.getRequestHeaders().getFirst("X-Ingest-Delivery"));
            ex.getRequestBody().readAllBytes();
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = "answer".getBytes();
            ex.sendResponseHeaders(answers[Math.min(n, answers.length - 1)], body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.setExecutor(executor); // a slow answer must not hold up the next attempt's
        server.start();
        url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/hook");
    }

    @AfterEach
    void stop() {
        server.stop(0);
        executor.shutdownNow();
    }

    private RunSummary deliverOnce(Duration timeout) {
        Webhook webhook = new Webhook(stats, IngestMetrics.withoutJvm(), timeout, Duration.ofMillis(10));
        webhook.submit("wf", url, Optional.of("secret"), List.of(URI.create("file:///out/a")));
        webhook.close(Duration.ofSeconds(30));
        return stats.snapshot();
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
}
