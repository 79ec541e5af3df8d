package dev.ingest.core.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ingest.core.metrics.IngestMetrics;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
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
        Optional<String> signature = secret.map(s -> signature(s, body));
        String last = "";
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                int status = post(url, workflow, delivery, signature, body);
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
            }
            if (Thread.currentThread().isInterrupted()) {
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
     * One POST on the calling thread, with {@link HttpURLConnection}: unlike the JDK's {@code HttpClient} it keeps
     * no selector thread waiting in native code, which would hold up the JVM's exit by 0.3 s, and it costs less to
     * set up. Redirects are not followed; the connection is kept alive for the next delivery when the server allows.
     *
     * @return the HTTP status
     */
    private int post(URI url, String workflow, String delivery, Optional<String> signature, byte[] body)
            throws IOException {
        HttpURLConnection c = (HttpURLConnection) url.toURL().openConnection();
        try {
            int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
            c.setConnectTimeout(millis);
            c.setReadTimeout(millis);
            c.setInstanceFollowRedirects(false);
            c.setUseCaches(false);
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            c.setFixedLengthStreamingMode(body.length);
            c.setRequestProperty("Content-Type", "application/json");
            c.setRequestProperty("X-Ingest-Delivery", delivery);
            c.setRequestProperty("X-Ingest-Workflow", workflow);
            signature.ifPresent(s -> c.setRequestProperty("X-Ingest-Signature", s));
            try (OutputStream out = c.getOutputStream()) {
                out.write(body);
            }
            int status = c.getResponseCode();
            try (InputStream answer = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
                if (answer != null) {
                    answer.transferTo(OutputStream.nullOutputStream()); // read to the end: the connection is reused
                }
            }
            return status;
        } catch (IOException e) {
            c.disconnect();
            throw e;
        }
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
