package dev.ingest.plugin.http;

import dev.ingest.api.Blob;
import dev.ingest.api.Codec;
import dev.ingest.api.Destination;
import dev.ingest.api.PoisonException;
import dev.ingest.api.Presence;
import dev.ingest.api.Secrets;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.Buffer;
import okio.BufferedSink;

/**
 * An HTTP endpoint as a destination: each object is sent with {@code PUT} (or {@code POST}) to a URL made from
 * its name, {@code https://files.example.com/up/{name}}, the name percent-encoded one path segment at a time.
 *
 * <p>{@link #store} streams the object: the request body is written straight from the blob's stream with the
 * blob's {@code Content-Type}, and with its {@code Content-Length} when the length is known (chunked otherwise),
 * so memory use does not depend on the object's size. The source's version goes along in the
 * {@value #VERSION_HEADER} request header. Uploads never follow redirects: OkHttp would turn a {@code PUT}
 * answered with a 302 into a {@code GET}, and a 2xx answer to that would pass for a stored object.
 *
 * <p>A connection the server had closed (HTTP/1.0, a keep-alive timeout, a server that closes after each response)
 * makes a request fail before the server read it. So that such a request can be sent again on a fresh connection,
 * the first MiB read from the blob is kept: while no more than that was read, OkHttp
 * may write the body again. Past that the body is one-shot, and a failed send is retried by the engine from a fresh
 * download. {@link ClosingConnections} keeps connections that HTTP/1.0 servers close out of the pool in the
 * first place.
 *
 * <p>{@link #check} sends {@code HEAD} to the same URL: 2xx means present (unless its {@code Content-Length}
 * differs from the listed size), 404 and 410 mean absent. The presence is verified when the answer carries the
 * codec's version back: the {@value #VERSION_HEADER} header equal to it (a receiver that keeps the header), or an
 * {@code ETag} equal to it. An echoed {@value #VERSION_HEADER} that differs means another version: absent. Without
 * either, a present object is unverified (judged by size alone). With {@code stat: none} it always reports absent,
 * for endpoints that do not answer {@code HEAD}.
 *
 * <p>With {@code stat: HEAD}, a successful upload is followed by a {@code HEAD}: a receiver that answered 2xx but
 * holds another number of bytes than were sent (it read half the body) fails the store with a retryable error,
 * instead of counting a truncated object as copied. A {@code 202 Accepted} is not checked: the receiver said it is
 * not done.
 *
 * <p>Names with empty, {@code .} or {@code ..} segments are refused with a {@link PoisonException}. Errors
 * follow {@link HttpFailures}.
 *
 * <p>Thread-safety: safe for concurrent use; it shares only the thread-safe clients.
 */
public final class HttpDestination implements Destination {

    /**
     * The request header that carries the source's {@link Codec#version()} with each upload, and that a receiver
     * sends back in its answers to {@code HEAD} to let ingest verify what it holds. The value is the version with
     * every byte outside printable ASCII, a space and {@code %} written as {@code %XX} (UTF-8).
     */
    public static final String VERSION_HEADER = "X-Ingest-Version";

    /** How {@link #stat} finds out whether an object is there. */
    public enum Stat {
        /** Ask with a {@code HEAD} request (and check each upload with one). */
        HEAD,
        /** Do not ask: every object is stored, replacing what is there. */
        NONE
    }

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private final String name;
    private final UrlTemplate url;
    private final HttpUrl base;
    private final String method;
    private final Stat stat;
    private final OkHttpClient client;
    private final OkHttpClient uploads;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * Creates a destination. The provider validates the configuration; this constructor only records it.
     *
     * @param name the configured name of the destination, used in messages
     * @param url the URL template with {@code {name}} in its path
     * @param base the template with {@code {name}} filled in, used to resolve the expansion
     * @param method {@code PUT} or {@code POST}
     * @param stat how to check for an object
     * @param client the HTTP client, owned by the destination from now on (closed by {@link #close()})
     */
    public HttpDestination(String name, UrlTemplate url, HttpUrl base, String method, Stat stat, OkHttpClient client) {
        this.name = Objects.requireNonNull(name, "name");
        this.url = Objects.requireNonNull(url, "url");
        this.base = Objects.requireNonNull(base, "base");
        this.method = Objects.requireNonNull(method, "method");
        this.stat = Objects.requireNonNull(stat, "stat");
        this.client = Objects.requireNonNull(client, "client");
        // The same pool and threads; no redirects, and a body is sent again only on a fresh connection after a
        // failure without an answer, never because of an answer (a 408, a 503 with Retry-After: 0): the engine
        // decides when to retry what the server answered.
        this.uploads = client.newBuilder().followRedirects(false).followSslRedirects(false)
                .addNetworkInterceptor(BlobBody.ANSWERED).build();
    }

    @Override
    public Optional<URI> stat(Codec codec) throws IOException {
        return check(codec).map(Presence::uri);
    }

    @Override
    public Optional<Presence> check(Codec codec) throws IOException {
        HttpUrl target = target(codec);
        if (stat == Stat.NONE) {
            return Optional.empty();
        }
        Optional<Head> found = head(target);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        Head head = found.get();
        if (codec.size() >= 0 && head.length() >= 0 && head.length() != codec.size()) {
            return Optional.empty(); // a different or incomplete object: store it again
        }
        URI uri = target.uri();
        String version = versionHeaderValue(codec.version());
        if (version.isEmpty()) {
            return Optional.of(Presence.unverified(uri));
        }
        if (head.version().isPresent()) {
            // The receiver keeps the version ingest sent: it says which version it holds.
            return head.version().get().equals(version) ? Optional.of(Presence.verified(uri)) : Optional.empty();
        }
        if (head.etag().isPresent() && opaqueTag(head.etag().get()).equals(opaqueTag(version))) {
            return Optional.of(Presence.verified(uri));
        }
        // The receiver's own ETag says nothing about the source's version: judged by size alone.
        return Optional.of(Presence.unverified(uri));
    }

    @Override
    public URI store(Codec codec, Blob blob) throws IOException {
        HttpUrl target = target(codec);
        BlobBody body = new BlobBody(blob);
        Request.Builder request = new Request.Builder().url(target).method(method, body);
        String version = versionHeaderValue(codec.version());
        if (!version.isEmpty()) {
            request.header(VERSION_HEADER, version);
        }
        int code;
        try (Response response = execute(uploads, request.build())) {
            if (!response.isSuccessful()) {
                throw HttpFailures.forStatus(method, response);
            }
            code = response.code();
        }
        if (stat == Stat.HEAD && code != 202) {
            verifyStored(target, code, body.bytesSent());
        }
        return target.uri();
    }

    /**
     * Checks with a {@code HEAD} that the receiver holds as many bytes as were sent.
     *
     * @throws IOException (retryable) if it holds nothing or another number of bytes
     */
    private void verifyStored(HttpUrl target, int code, long sent) throws IOException {
        Optional<Head> head = head(target);
        String answered = method + " " + HttpFailures.forLog(target) + " answered HTTP " + code;
        if (head.isEmpty()) {
            throw new IOException(answered + " but a HEAD right after finds nothing there (http destination '" + name
                    + "'); sending it again");
        }
        long length = head.get().length();
        if (length >= 0 && length != sent) {
            throw new IOException(answered + " but the server holds " + length + " of the " + sent
                    + " bytes sent (Content-Length of a HEAD right after; http destination '" + name
                    + "'); sending it again");
        }
    }

    /** What a {@code HEAD} found: the length (-1 when not given) and the version and ETag headers. */
    private record Head(long length, Optional<String> version, Optional<String> etag) {
    }

    /**
     * Sends {@code HEAD} to an object's URL.
     *
     * @return what the answer says, or empty for 404 and 410
     * @throws PoisonException for 405 and 501: the endpoint cannot answer {@code HEAD}
     * @throws IOException for other answers and failures, as {@link HttpFailures} says
     */
    private Optional<Head> head(HttpUrl target) throws IOException {
        // identity: the length is the object's, not that of a compressed form
        Request request = new Request.Builder().url(target).head().header("Accept-Encoding", "identity").build();
        try (Response response = execute(client, request)) {
            int code = response.code();
            if (response.isSuccessful()) {
                return Optional.of(new Head(length(response.header("Content-Length")),
                        nonBlank(response.header(VERSION_HEADER)), nonBlank(response.header("ETag"))));
            }
            if (code == 404 || code == 410) {
                return Optional.empty();
            }
            if (code == 405 || code == 501) {
                throw new PoisonException("HEAD " + HttpFailures.forLog(target) + " answered HTTP " + code
                        + ": http destination '" + name + "' cannot check for objects; set stat: none to store "
                        + "every object without checking");
            }
            throw HttpFailures.forStatus("HEAD", response);
        }
    }

    private static long length(String header) {
        if (header == null) {
            return -1;
        }
        String v = header.trim();
        return v.matches("\\d{1,18}") ? Long.parseLong(v) : -1;
    }

    private static Optional<String> nonBlank(String header) {
        return header == null || header.isBlank() ? Optional.empty() : Optional.of(header.trim());
    }

    /**
     * The value of {@link #VERSION_HEADER} for a version: the version itself when it is printable ASCII without
     * spaces or {@code %}, else with each such byte (UTF-8) written as {@code %XX}.
     *
     * @param version a codec's version
     * @return the header value; empty for an empty version
     */
    static String versionHeaderValue(String version) {
        StringBuilder out = new StringBuilder(version.length());
        for (byte b : version.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c > 0x20 && c < 0x7f && c != '%') {
                out.append((char) c);
            } else {
                out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
            }
        }
        return out.toString();
    }

    /** An entity tag without its weakness mark and quotes: {@code W/"abc"} and {@code abc} are both {@code abc}. */
    private static String opaqueTag(String tag) {
        String t = tag.trim();
        if (t.startsWith("W/")) {
            t = t.substring(2);
        }
        if (t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"")) {
            t = t.substring(1, t.length() - 1);
        }
        return t;
    }

    private HttpUrl target(Codec codec) throws PoisonException {
        try {
            HttpUrl target = url.expand(base, Map.of("name", codec.name()));
            if (target == null) {
                throw new IllegalArgumentException("the URL is not valid");
            }
            return target;
        } catch (IllegalArgumentException e) {
            throw new PoisonException("object name '" + codec.name() + "' cannot be stored in http destination '"
                    + name + "': " + e.getMessage());
        }
    }

    private Response execute(OkHttpClient on, Request request) throws IOException {
        return ClientSettings.execute(on, closed.get(), "http destination '" + name + "'", request);
    }

    /** Releases the client's connections and threads. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            ClientSettings.shutdown(client);
        }
    }

    @Override
    public String toString() {
        return "HttpDestination[" + name + ": " + method + " " + Secrets.redactUrl(String.valueOf(url)) + "]";
    }

    /**
     * Writes a blob's stream as the request body without buffering it, except for its start: the first
     * {@link #REPLAYABLE} bytes read from the blob are kept, so that while no more than that was read the body can be
     * written again, on a fresh connection, after the first one failed. Once more was read the body is one-shot and
     * what was kept is let go. Memory: at most {@link #REPLAYABLE} bytes per upload in flight.
     *
     * <p>Only a failure without an answer (a connection the server had closed) sends the body again: once the server
     * answered, {@link #ANSWERED} makes it one-shot, so that answers are retried by the engine alone.
     *
     * <p>Used by one call at a time: OkHttp writes it from the calling thread, and asks {@link #isOneShot()} from the
     * same thread when it decides whether to retry.
     */
    static final class BlobBody extends RequestBody {
        /** Bytes kept from the start of a body so that it can be sent again. */
        static final int REPLAYABLE = 1 << 20;
        private static final int BUFFER_SIZE = 64 * 1024;
        /** Tells the body of a request that the server answered it: it is not sent again. */
        static final Interceptor ANSWERED = chain -> {
            Response response = chain.proceed(chain.request());
            if (chain.request().body() instanceof BlobBody body) {
                body.answered = true;
            }
            return response;
        };
        private final Blob blob;
        private final MediaType type;
        /** What was read from the blob so far, while it is no more than {@link #REPLAYABLE}; null after. */
        private Buffer kept = new Buffer();
        private long read;
        private boolean answered;

        BlobBody(Blob blob) {
            this.blob = blob;
            MediaType parsed = MediaType.parse(blob.contentType());
            this.type = parsed != null ? parsed : MediaType.parse(Blob.DEFAULT_CONTENT_TYPE);
        }

        @Override
        public MediaType contentType() {
            return type;
        }

        @Override
        public long contentLength() {
            return blob.length().orElse(-1);
        }

        /**
         * True once the server answered, or once more than {@link #REPLAYABLE} bytes were read from the blob (they
         * cannot be sent again). OkHttp asks before it retries a request after a failure, a redirect or a 408.
         */
        @Override
        public boolean isOneShot() {
            return answered || kept == null;
        }

        /** @return the bytes the last (successful) writing sent: everything read from the blob */
        long bytesSent() {
            return read;
        }

        @Override
        public void writeTo(BufferedSink sink) throws IOException {
            if (answered || kept == null) {
                throw new IOException("this request body cannot be sent twice");
            }
            if (kept.size() > 0) {
                sink.writeAll(kept.copy()); // an earlier attempt read these; send them again
            }
            InputStream in = blob.stream();
            byte[] buffer = new byte[BUFFER_SIZE];
            int n;
            while ((n = in.read(buffer)) != -1) {
                read += n;
                if (kept != null) {
                    if (read <= REPLAYABLE) {
                        kept.write(buffer, 0, n); // kept before it is sent: a failing send can be replayed
                    } else {
                        kept.clear();
                        kept = null;
                    }
                }
                sink.write(buffer, 0, n);
            }
        }
    }
}
