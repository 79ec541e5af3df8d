package dev.ingest.core.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ingest.api.Secrets;
import dev.ingest.core.metrics.IngestMetrics;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import okhttp3.Call;
import okhttp3.ConnectionPool;
import okhttp3.ConnectionSpec;
import okhttp3.Credentials;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells each workflow's webhook what was stored: POSTs of the JSON array of stored URIs (the original tool's
 * format), with headers
 * <ul>
 *   <li>{@code X-Ingest-Delivery}: a unique id, the same on every retry of one delivery;</li>
 *   <li>{@code X-Ingest-Workflow}: the workflow name;</li>
 *   <li>{@code X-Ingest-Signature: sha256=<hex>}: when the workflow has a {@code webhookSecret}, the HMAC-SHA256 of
 *       the exact body bytes under that secret;</li>
 *   <li>{@code Authorization: Basic ...}: when the webhook URL carries {@code user:password@} (UTF-8); the URL is
 *       requested without them.</li>
 * </ul>
 *
 * <p>Deliveries run on background threads, so a slow or failing webhook never delays copying or acking. Stored URIs
 * wait in a queue per workflow; up to {@value #MAX_IN_FLIGHT} deliveries per workflow are in flight at once, and a
 * new one takes everything waiting (up to {@value #MAX_URIS_PER_DELIVERY} URIs): while a webhook is fast each batch
 * goes out on its own at once, and while it is slow the URIs of many batches share one request instead of piling
 * up. Each delivery is attempted up to {@value #ATTEMPTS} times with exponential backoff on connection errors,
 * timeouts, 408, 429 and 5xx; other answers are final. Redirects are not followed.
 *
 * <p>What is never delivered — after its attempts, beyond {@value #MAX_PENDING} URIs waiting for one workflow, or
 * still waiting when {@link #close(Duration)} runs out of time — is logged at ERROR with the URIs, counted in
 * {@code ingest_webhook_undelivered_total} and in the run's {@link RunSummary#webhookFailed()} and failures. The
 * objects themselves are stored and acknowledged: only the notice is lost.
 *
 * <p>HTTP is OkHttp's: a client made at the first delivery (a run without webhooks loads none of it), calls made
 * synchronously on this class's daemon threads (the dispatcher's executor is never started) and a connection
 * pool whose idle connections hold no thread; {@link #close(Duration)} evicts them. Nothing here keeps the JVM
 * alive or delays its exit. Thread-safe.
 */
final class Webhook implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Webhook.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();
    static final int ATTEMPTS = 4;
    /** Deliveries of one workflow in flight at once. */
    static final int MAX_IN_FLIGHT = 4;
    /** The most URIs one request carries. */
    static final int MAX_URIS_PER_DELIVERY = 1_000;
    /** URIs of one workflow waiting for a delivery beyond which new ones are given up at once (bounded memory). */
    static final int MAX_PENDING = 100_000;
    /** Delivery threads shared by all workflows. */
    private static final int THREADS = 16;
    /** Once the drain time is over: how long cancelled deliveries get to record themselves. */
    private static final long SETTLE_MILLIS = 2_000;

    private final RunStats stats;
    private final IngestMetrics metrics;
    private final Duration timeout;
    private final Duration firstRetry;
    private final ThreadPoolExecutor executor;
    private final Object lock = new Object();
    /** By workflow name; guarded by {@link #lock}. */
    private final Map<String, Target> targets = new LinkedHashMap<>();
    private final Set<Call> calls = ConcurrentHashMap.newKeySet();
    /** Counted down when the drain time is over: deliveries stop retrying and calls are cancelled. */
    private final CountDownLatch givingUp = new CountDownLatch(1);
    private final Object clientLock = new Object();
    private OkHttpClient plainClient; // guarded by clientLock
    private OkHttpClient tlsClient; // guarded by clientLock
    private boolean closed; // guarded by lock

    /**
     * @param stats where deliveries and undelivered URIs are counted
     * @param metrics where requests and undelivered URIs are counted
     * @param timeout to connect, and for each read and write
     * @param firstRetry the delay before the second attempt; it doubles for each further one
     */
    Webhook(RunStats stats, IngestMetrics metrics, Duration timeout, Duration firstRetry) {
        this.stats = stats;
        this.metrics = metrics;
        this.timeout = timeout;
        this.firstRetry = firstRetry;
        AtomicInteger n = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(THREADS, THREADS, 5, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "ingest-webhook-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.executor.allowCoreThreadTimeOut(true);
    }

    /** One workflow's webhook and the URIs waiting for it. Mutable fields guarded by {@link #lock}. */
    private static final class Target {
        final String workflow;
        /** The webhook without user information; null when the URL is not one OkHttp accepts. */
        final HttpUrl url;
        /** The webhook as logs show it. */
        final String shown;
        final Optional<String> authorization;
        final Optional<String> secret;
        final ArrayDeque<URI> pending = new ArrayDeque<>();
        int inFlight;

        Target(String workflow, URI webhook, Optional<String> secret) {
            this.workflow = workflow;
            this.shown = Secrets.redactUrl(webhook.toString());
            this.secret = secret;
            HttpUrl full = HttpUrl.parse(webhook.toString());
            if (full == null) {
                this.url = null;
                this.authorization = Optional.empty();
            } else if (full.username().isEmpty() && full.password().isEmpty()) {
                this.url = full;
                this.authorization = Optional.empty();
            } else {
                this.url = full.newBuilder().username("").password("").build();
                this.authorization = Optional.of(Credentials.basic(full.username(), full.password(),
                        StandardCharsets.UTF_8));
            }
        }
    }

    /**
     * Queues the notice of stored URIs; returns at once. Never throws: a notice that cannot be queued is given up
     * (logged and counted).
     *
     * @param workflow the workflow name
     * @param url the workflow's webhook (the same on every call for one workflow)
     * @param secret the signing secret, if any
     * @param stored the URIs stored; nothing is sent when empty
     */
    void submit(String workflow, URI url, Optional<String> secret, List<URI> stored) {
        if (stored.isEmpty()) {
            return;
        }
        synchronized (lock) {
            Target t = targets.computeIfAbsent(workflow, w -> new Target(w, url, secret));
            if (t.url == null) {
                giveUp(t, stored, "the webhook is not an http(s) URL OkHttp accepts");
            } else if (givingUp.getCount() == 0) {
                giveUp(t, stored, "they were stored after the webhook's shutdown grace was over");
            } else if (t.pending.size() + stored.size() > MAX_PENDING) {
                giveUp(t, stored, MAX_PENDING + " stored URIs are already waiting for the webhook");
            } else {
                t.pending.addAll(stored);
                startDeliveries(t);
            }
        }
    }

    /**
     * Makes the client a webhook will need, and runs one call through it that fails before touching the network (its
     * host name resolves to nothing), on a delivery thread in the background: loading OkHttp's classes then overlaps
     * the run's start instead of delaying the first delivery (0.1 s at the end of a short run). Returns at once;
     * optional.
     *
     * @param url a workflow's webhook
     */
    void prepare(URI url) {
        boolean tls = "https".equalsIgnoreCase(url.getScheme());
        try {
            executor.execute(() -> {
                OkHttpClient offline = client(tls).newBuilder().dns(host -> {
                    throw new UnknownHostException("warm-up: no lookup");
                }).build();
                Request request = new Request.Builder().url(tls ? "https://warm-up.invalid/" : "http://warm-up.invalid/")
                        .post(RequestBody.create(new byte[0], MediaType.get("application/json"))).build();
                try (Response response = offline.newCall(request).execute()) {
                    LOG.debug("webhook warm-up answered {}", response.code());
                } catch (IOException | RuntimeException e) {
                    LOG.trace("webhook warm-up failed as intended: {}", e.toString());
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.debug("webhook client not prepared: {}", e.toString());
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

    /** Starts deliveries of what is waiting, up to the workflow's bound. Holds {@link #lock}. */
    private void startDeliveries(Target t) {
        while (givingUp.getCount() > 0 && t.inFlight < MAX_IN_FLIGHT && !t.pending.isEmpty()) {
            List<URI> batch = new ArrayList<>(Math.min(t.pending.size(), MAX_URIS_PER_DELIVERY));
            while (batch.size() < MAX_URIS_PER_DELIVERY && !t.pending.isEmpty()) {
                batch.add(t.pending.poll());
            }
            t.inFlight++;
            try {
                executor.execute(() -> deliver(t, batch));
            } catch (RejectedExecutionException e) {
                t.inFlight--;
                giveUp(t, batch, "the webhook's threads are shut down");
            }
        }
    }

    /** One delivery with its retries, on a delivery thread; then records the outcome and starts the next. */
    private void deliver(Target t, List<URI> uris) {
        String delivery = UUID.randomUUID().toString();
        boolean delivered = false;
        String why;
        try {
            byte[] body = MAPPER.writeValueAsBytes(uris.stream().map(URI::toString).toList());
            Request.Builder request = new Request.Builder().url(t.url)
                    .post(RequestBody.create(body, MediaType.get("application/json")))
                    .header("X-Ingest-Delivery", delivery)
                    .header("X-Ingest-Workflow", t.workflow);
            t.secret.ifPresent(s -> request.header("X-Ingest-Signature", signature(s, body)));
            t.authorization.ifPresent(a -> request.header("Authorization", a));
            why = attempts(t, request.build());
            delivered = why == null;
        } catch (JsonProcessingException | RuntimeException e) {
            why = "unexpected failure: " + e;
            LOG.error("webhook {} of workflow {}: unexpected failure of delivery {}", t.shown, t.workflow, delivery, e);
        }
        synchronized (lock) {
            t.inFlight--;
            if (delivered) {
                stats.webhookDelivered(uris.size());
            } else {
                giveUp(t, uris, why + "; delivery " + delivery);
            }
            startDeliveries(t);
            lock.notifyAll();
        }
    }

    /** @return null once delivered, else why not */
    private String attempts(Target t, Request request) {
        String last = "";
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                int status = post(request);
                boolean ok = status / 100 == 2;
                metrics.webhookRequest(t.workflow, ok);
                if (ok) {
                    return null;
                }
                last = "HTTP " + status;
                if (!(status == 408 || status == 429 || status >= 500)) {
                    return last + " (not retried)";
                }
            } catch (IOException e) {
                metrics.webhookRequest(t.workflow, false);
                if (givingUp.getCount() == 0) {
                    return "the shutdown grace was over while it was being sent";
                }
                last = e instanceof InterruptedIOException ? "no answer within " + timeout.toMillis() + " ms" : e.toString();
            }
            if (attempt == ATTEMPTS) {
                break;
            }
            LOG.warn("webhook {} of workflow {} failed ({}), attempt {} of {}; retrying", t.shown, t.workflow, last,
                    attempt, ATTEMPTS);
            try {
                if (givingUp.await(firstRetry.toMillis() << (attempt - 1), TimeUnit.MILLISECONDS)) {
                    return last + ", then the shutdown grace was over before attempt " + (attempt + 1);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return last + ", then interrupted";
            }
        }
        return last + " after " + ATTEMPTS + " attempts";
    }

    /** One POST on the calling thread; cancelled if the drain time runs out meanwhile. @return the HTTP status */
    private int post(Request request) throws IOException {
        Call call = client(request.url().isHttps()).newCall(request);
        calls.add(call);
        try {
            if (givingUp.getCount() == 0) {
                call.cancel();
            }
            try (Response response = call.execute()) {
                return response.code(); // closing discards a short body and keeps the connection
            }
        } finally {
            calls.remove(call);
        }
    }

    /**
     * The client for http or https webhooks, made at first use. An http-only client never sets up TLS: OkHttp would
     * otherwise load the JVM's trust store when the client is built, a fifth of a second of CPU for nothing.
     */
    private OkHttpClient client(boolean tls) {
        synchronized (clientLock) {
            if (tls && tlsClient == null) {
                tlsClient = builder().build();
            } else if (!tls && plainClient == null) {
                plainClient = builder().connectionSpecs(List.of(ConnectionSpec.CLEARTEXT)).build();
            }
            return tls ? tlsClient : plainClient;
        }
    }

    private OkHttpClient.Builder builder() {
        return new OkHttpClient.Builder()
                .connectTimeout(timeout)
                .readTimeout(timeout)
                .writeTimeout(timeout)
                .followRedirects(false)
                .followSslRedirects(false)
                .connectionPool(new ConnectionPool(THREADS, 1, TimeUnit.MINUTES));
    }

    /** Logs and counts URIs whose notice is given up. Holds {@link #lock}. */
    private void giveUp(Target t, List<URI> uris, String why) {
        String description = "workflow " + t.workflow + ": the webhook " + t.shown + " was not told of "
                + uris.size() + " stored URI" + (uris.size() == 1 ? "" : "s") + " (" + why
                + "); the objects are stored: "
                + uris.stream().map(u -> Secrets.redactUrl(u.toString())).collect(Collectors.joining(", "));
        stats.webhookFailed(uris.size(), description);
        metrics.webhookUndelivered(t.workflow, uris.size());
        LOG.error(description);
    }

    /** @return whether a delivery is waiting or in flight. Holds {@link #lock}. */
    private boolean busy() {
        return targets.values().stream().anyMatch(t -> t.inFlight > 0 || !t.pending.isEmpty());
    }

    /**
     * Waits up to {@code drain} for every waiting and running delivery (retries included) to end, then gives up
     * what is left: waiting URIs and running deliveries (cancelled) are logged and counted as undelivered. Later
     * calls do nothing.
     *
     * @param drain how long deliveries may still take: what is left of the shutdown grace
     */
    void close(Duration drain) {
        long deadline = System.nanoTime() + Math.max(0, Math.min(drain.toNanos(), Duration.ofDays(1).toNanos()));
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            try {
                for (long left = deadline - System.nanoTime(); busy() && left > 0; left = deadline - System.nanoTime()) {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            givingUp.countDown();
            for (Target t : targets.values()) {
                if (!t.pending.isEmpty()) {
                    List<URI> left = new ArrayList<>(t.pending);
                    t.pending.clear();
                    giveUp(t, left, "still waiting when the shutdown grace was over");
                }
            }
        }
        calls.forEach(Call::cancel);
        synchronized (lock) {
            long settle = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SETTLE_MILLIS);
            try {
                for (long left = settle - System.nanoTime(); busy() && left > 0; left = settle - System.nanoTime()) {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        executor.shutdown();
        synchronized (clientLock) {
            for (OkHttpClient c : new OkHttpClient[] {plainClient, tlsClient}) {
                if (c != null) {
                    c.connectionPool().evictAll();
                }
            }
        }
    }

    /** Gives up at once what is still waiting or running; see {@link #close(Duration)}. */
    @Override
    public void close() {
        close(Duration.ZERO);
    }
}
