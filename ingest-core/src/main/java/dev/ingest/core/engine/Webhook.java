package dev.ingest.core.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ingest.core.metrics.IngestMetrics;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells a workflow's webhook what was stored: after each batch, a POST of the JSON array of the stored URIs
 * (the original tool's format), with headers
 * <ul>
 *   <li>{@code X-Ingest-Delivery}: a unique id, the same on every retry of one delivery;</li>
 *   <li>{@code X-Ingest-Workflow}: the workflow name;</li>
 *   <li>{@code X-Ingest-Signature: sha256=<hex>}: when the workflow has a {@code webhookSecret}, the HMAC-SHA256 of
 *       the exact body bytes under that secret.</li>
 * </ul>
 *
 * <p>Deliveries run on a background thread, so a slow or failing webhook never delays copying or acking. Each is
 * attempted up to {@value #ATTEMPTS} times with exponential backoff on connection errors, timeouts, 408, 429 and
 * 5xx; other answers are final. Failures are logged and counted; the objects themselves are already stored and
 * acknowledged, so nothing is lost. Thread-safe.
 */
final class Webhook implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Webhook.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();
    static final int ATTEMPTS = 4;
    private static final int QUEUED_DELIVERIES = 10_000;

    /** Made on first use: its selector thread waits in native code, which holds up the JVM's exit by 0.3 s. */
    private volatile HttpClient client;
    private final RunStats stats;
    private final IngestMetrics metrics;
    private final Duration timeout;
    private final Duration firstRetry;
    private final ThreadPoolExecutor executor;

    Webhook(RunStats stats, IngestMetrics metrics, Duration timeout, Duration firstRetry) {
        this.stats = stats;
        this.metrics = metrics;
        this.timeout = timeout;
        this.firstRetry = firstRetry;
        this.executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(QUEUED_DELIVERIES), r -> {
                    Thread t = new Thread(r, "ingest-webhook");
                    t.setDaemon(true);
                    return t;
                });
    }

    private HttpClient client() {
        HttpClient c = client;
        if (c == null) {
            synchronized (this) {
                c = client;
                if (c == null) {
                    c = HttpClient.newBuilder().connectTimeout(timeout).build();
                    client = c;
                }
            }
        }
        return c;
    }

    /**
     * Queues a delivery; returns at once.
     *
     * @param workflow the workflow name
     * @param url the webhook
     * @param secret the signing secret, if any
     * @param stored the URIs stored in the batch; nothing is sent when empty
     */
    void submit(String workflow, URI url, Optional<String> secret, List<URI> stored) {
        if (stored.isEmpty()) {
            return;
        }
        try {
            executor.execute(() -> deliver(workflow, url, secret, stored));
        } catch (RejectedExecutionException e) {
            stats.webhookFailed();
            LOG.error("webhook {} of workflow {}: {} deliveries are already waiting; dropping the notice of {} stored "
                    + "URIs (the objects are stored)", url, workflow, QUEUED_DELIVERIES, stored.size());
        }
    }

    static String signature(String secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }

    private void deliver(String workflow, URI url, Optional<String> secret, List<URI> stored) {
        byte[] body;
        try {
            body = MAPPER.writeValueAsBytes(stored.stream().map(URI::toString).toList());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        String delivery = UUID.randomUUID().toString();
        HttpRequest.Builder request = HttpRequest.newBuilder(url)
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("X-Ingest-Delivery", delivery)
                .header("X-Ingest-Workflow", workflow)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        secret.ifPresent(s -> request.header("X-Ingest-Signature", signature(s, body)));
        String last = "";
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                int status = client().send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                metrics.webhookRequest(workflow, status / 100 == 2);
                if (status / 100 == 2) {
                    stats.webhookDelivered();
                    return;
                }
                last = "HTTP " + status;
                if (!(status == 408 || status == 429 || status >= 500)) {
                    break;
                }
            } catch (IOException e) {
                metrics.webhookRequest(workflow, false);
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                last = "interrupted";
                break;
            }
            if (attempt < ATTEMPTS) {
                LOG.warn("webhook {} of workflow {} failed ({}), attempt {} of {}; retrying", url, workflow, last,
                        attempt, ATTEMPTS);
                try {
                    Thread.sleep(firstRetry.toMillis() << (attempt - 1));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        stats.webhookFailed();
        LOG.error("webhook {} of workflow {} failed for delivery {} of {} stored URIs: {} (the objects are stored)",
                url, workflow, delivery, stored.size(), last);
    }

    /**
     * Waits up to {@code drain} for queued deliveries, then stops.
     *
     * @param drain how long to wait
     */
    void close(Duration drain) {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(drain.toMillis(), TimeUnit.MILLISECONDS)) {
                int dropped = executor.shutdownNow().size();
                for (int i = 0; i < dropped; i++) {
                    stats.webhookFailed();
                }
                LOG.error("{} webhook deliveries were still waiting at shutdown and were not sent (the objects are "
                        + "stored)", dropped);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            executor.shutdownNow();
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }
}
