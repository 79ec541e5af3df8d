package dev.ingest.plugin.push;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ingest.api.CheckpointUpdate;
import dev.ingest.api.DataRecord;
import dev.ingest.api.RecordContext;
import dev.ingest.api.RecordSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code http-push} record source: serves HTTP on {@code listen} and turns each JSON object POSTed to
 * {@code path} into a record. A request is answered 202 only once JetStream has stored every record of it (the stage
 * {@link RecordContext#emit} returns); a body that cannot be taken whole is refused before anything is handed over.
 *
 * <p>The server runs from {@link #run} until the engine stops; it reports itself ready ({@link RecordContext#ready})
 * once bound. There is no checkpoint: what a client was told is stored is in the queue, and what it was not told it
 * sends again.
 */
final class PushSource implements RecordSource {

    private static final Logger LOG = LoggerFactory.getLogger(PushSource.class);
    /** Threads serving requests; each waits for its records' acknowledgement. */
    static final int THREADS = 16;
    /** The longest a request waits for JetStream before it is answered 503. */
    static final Duration ACK_TIMEOUT = Duration.ofSeconds(30);
    /** What a 503 asks the client to wait, in seconds. */
    static final int RETRY_AFTER_SECONDS = 5;

    record Settings(String name, InetSocketAddress listen, String path, int maxBodyBytes, String bearerToken,
                    JsonFields fields) {
        @Override
        public String toString() {
            return "Settings[" + name + ", listen=" + listen + ", path=" + path + ", maxBodyBytes=" + maxBodyBytes
                    + ", bearerToken=" + (bearerToken == null ? "none" : "***") + "]";
        }
    }

    private final Settings settings;
    private final PushBody parser;
    private final byte[] expectedAuth;
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    /** Requests being handled now; guarded by itself. */
    private final AtomicInteger active = new AtomicInteger();
    private volatile InetSocketAddress bound;
    /** Set when the engine stops: new requests get 503 while those in progress finish. */
    private volatile boolean stopping;

    PushSource(Settings settings) {
        this.settings = settings;
        this.parser = new PushBody(settings.fields());
        this.expectedAuth = settings.bearerToken() == null ? null
                : ("Bearer " + settings.bearerToken()).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "http-push " + settings;
    }

    /** @return the address the server is bound to while it runs (the port chosen for port 0) */
    Optional<InetSocketAddress> address() {
        return Optional.ofNullable(bound);
    }

    /** Not ready until the listener is bound. */
    @Override
    public boolean reportsReadiness() {
        return true;
    }

    @Override
    public void run(RecordContext context) throws IOException, InterruptedException {
        if (context.once()) {
            return; // nothing to read now: records arrive only while a service runs
        }
        HttpServer server = HttpServer.create(settings.listen(), 128);
        AtomicInteger n = new AtomicInteger();
        ExecutorService pool = new ThreadPoolExecutor(THREADS, THREADS, 0, TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "push-" + settings.name() + "-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        server.setExecutor(pool);
        server.createContext("/", ex -> {
            active.incrementAndGet();
            try {
                handle(ex, context);
            } catch (RuntimeException e) {
                LOG.error("source {}: request failed: {}", settings.name(), e.toString(), e);
                answer(ex, 500, "{\"error\":" + quote("internal error: " + e) + "}");
            } finally {
                ex.close();
                synchronized (active) {
                    active.decrementAndGet();
                    active.notifyAll();
                }
            }
        });
        server.start();
        bound = server.getAddress();
        LOG.info("source {}: accepting records on http://{}:{}{}", settings.name(),
                bound.getAddress().getHostAddress(), bound.getPort(), settings.path());
        stopping = false;
        context.ready(true);
        try {
            while (!context.awaitStop(Duration.ofSeconds(5))) {
                context.status(Map.of("listen", bound.getAddress().getHostAddress() + ":" + bound.getPort(),
                        "requests", Long.toString(requests.get()), "accepted", Long.toString(accepted.get())));
            }
        } finally {
            context.ready(false);
            // Requests in progress get their answer (within the ack timeout); then the server closes at once.
            stopping = true;
            long deadline = System.nanoTime() + ACK_TIMEOUT.toNanos();
            try {
                synchronized (active) {
                    long left;
                    while (active.get() > 0 && (left = deadline - System.nanoTime()) > 0) {
                        active.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                    }
                }
            } finally {
                server.stop(0);
                pool.shutdownNow();
                bound = null;
            }
            LOG.info("source {}: stopped serving", settings.name());
        }
    }

    private void handle(HttpExchange ex, RecordContext context) throws IOException {
        if (stopping) {
            ex.getResponseHeaders().set("Connection", "close");
            unavailable(ex, "the server is stopping");
            return;
        }
        String path = ex.getRequestURI().getPath();
        if (!settings.path().equals(path)) {
            drainAndAnswer(ex, 404, error("no such path: " + path + " (records are POSTed to " + settings.path()
                    + ")"));
            return;
        }
        if (!"POST".equals(ex.getRequestMethod())) {
            ex.getResponseHeaders().set("Allow", "POST");
            drainAndAnswer(ex, 405, error("method " + ex.getRequestMethod() + " is not allowed: use POST"));
            return;
        }
        if (expectedAuth != null && !authorized(ex.getRequestHeaders().getFirst("Authorization"))) {
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
            drainAndAnswer(ex, 401, error("missing or wrong bearer token"));
            return;
        }
        Optional<PushBody.Form> form = PushBody.form(ex.getRequestHeaders().getFirst("Content-Type"));
        if (form.isEmpty()) {
            drainAndAnswer(ex, 415, error("unsupported content type " + ex.getRequestHeaders().getFirst("Content-Type")
                    + ": send application/json or application/x-ndjson"));
            return;
        }
        String encoding = ex.getRequestHeaders().getFirst("Content-Encoding");
        if (encoding != null && !encoding.isBlank() && !encoding.trim().equalsIgnoreCase("identity")) {
            drainAndAnswer(ex, 415, error("unsupported content encoding " + encoding + ": send the body uncompressed"));
            return;
        }
        String declared = ex.getRequestHeaders().getFirst("Content-Length");
        long declaredLength = -1;
        if (declared != null) {
            try {
                declaredLength = Long.parseLong(declared.trim());
            } catch (NumberFormatException e) {
                declaredLength = -2;
            }
            if (declaredLength < 0) {
                answer(ex, 400, error("Content-Length is not a length: " + declared));
                return;
            }
            if (declaredLength > settings.maxBodyBytes()) {
                tooLarge(ex);
                return;
            }
        }
        Instant received = Instant.now();
        byte[] body = new byte[(int) Math.min(settings.maxBodyBytes() + 1L,
                declaredLength >= 0 ? declaredLength + 1 : 65536)];
        int length = 0;
        try (InputStream in = ex.getRequestBody()) {
            while (true) {
                if (length == body.length) {
                    if (length > settings.maxBodyBytes()) {
                        tooLarge(ex);
                        return;
                    }
                    body = Arrays.copyOf(body, (int) Math.min((long) settings.maxBodyBytes() + 1, 2L * length));
                }
                int r = in.read(body, length, body.length - length);
                if (r < 0) {
                    break;
                }
                length += r;
            }
        }
        if (length > settings.maxBodyBytes()) {
            tooLarge(ex);
            return;
        }
        requests.incrementAndGet();
        String key = ex.getRequestHeaders().getFirst("Idempotency-Key");
        if (key != null && (key.isBlank() || key.length() > 256 || !key.chars().allMatch(c -> c >= 0x20 && c < 0x7f))) {
            answer(ex, 400, error("Idempotency-Key must be 1 to 256 printable ASCII characters; nothing of this "
                    + "request was queued"));
            return;
        }
        List<DataRecord> records;
        try {
            records = parser.parse(body, length, form.get(), received, context.maxRecordBytes());
        } catch (PushBody.Rejected e) {
            LOG.debug("source {}: request refused ({}): {}", settings.name(), e.status, e.getMessage());
            answer(ex, e.status, error(e.getMessage() + "; nothing of this request was queued"));
            return;
        }
        try {
            (key == null ? context.emit(records, CheckpointUpdate.NONE)
                    : context.emit(records, CheckpointUpdate.NONE, settings.path() + "\n" + key)).toCompletableFuture()
                    .get(ACK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            unavailable(ex, "the server is stopping");
            return;
        } catch (IllegalStateException e) {
            unavailable(ex, "the server is stopping");
            return;
        } catch (ExecutionException e) {
            unavailable(ex, "the queue did not take the records: " + e.getCause().getMessage());
            return;
        } catch (TimeoutException e) {
            unavailable(ex, "the queue did not confirm the records within " + ACK_TIMEOUT.toSeconds() + " s");
            return;
        }
        accepted.addAndGet(records.size());
        answer(ex, 202, "{\"accepted\":" + records.size() + "}");
    }

    private boolean authorized(String header) {
        byte[] given = header == null ? new byte[0] : header.trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, expectedAuth); // constant time
    }

    private void tooLarge(HttpExchange ex) throws IOException {
        ex.getResponseHeaders().set("Connection", "close"); // the rest of the body is not read
        answer(ex, 413, error("the body is larger than maxBodyBytes (" + settings.maxBodyBytes() + " bytes)"));
    }

    private void unavailable(HttpExchange ex, String why) throws IOException {
        LOG.warn("source {}: answering 503: {}", settings.name(), why);
        ex.getResponseHeaders().set("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
        answer(ex, 503, error(why + "; send the request again"));
    }

    /** Reads a little of an unwanted body, so that a small request's connection can be reused. */
    private static void drainAndAnswer(HttpExchange ex, int status, String json) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            in.readNBytes(64 * 1024); // not skip(): the JDK server's body stream does not count skipped bytes
        }
        answer(ex, status, json);
    }

    private static void answer(HttpExchange ex, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static String error(String message) {
        return "{\"error\":" + quote(message) + "}";
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
