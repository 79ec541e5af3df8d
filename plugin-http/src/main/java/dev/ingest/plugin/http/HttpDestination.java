package dev.ingest.plugin.http;

import dev.ingest.api.Blob;
import dev.ingest.api.Codec;
import dev.ingest.api.Destination;
import dev.ingest.api.PoisonException;
import dev.ingest.api.Secrets;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;

/**
 * An HTTP endpoint as a destination: each object is sent with {@code PUT} (or {@code POST}) to a URL made from
 * its name, {@code https://files.example.com/up/{name}}, the name percent-encoded one path segment at a time.
 *
 * <p>{@link #store} streams the object: the request body is written straight from the blob's stream with the
 * blob's {@code Content-Type}, and with its {@code Content-Length} when the length is known (chunked otherwise),
 * so memory use does not depend on the object's size. The body is one-shot: OkHttp never replays it.
 *
 * <p>{@link #stat} sends {@code HEAD} to the same URL: 2xx means present (unless its {@code Content-Length}
 * differs from the listed size), 404 and 410 mean absent. With {@code stat: none} it always reports absent,
 * for endpoints that do not answer {@code HEAD}.
 *
 * <p>Names with empty, {@code .} or {@code ..} segments are refused with a {@link PoisonException}. Errors
 * follow {@link HttpFailures}.
 *
 * <p>Thread-safety: safe for concurrent use; it shares only the thread-safe client.
 */
public final class HttpDestination implements Destination {

    /** How {@link #stat} finds out whether an object is there. */
    public enum Stat {
        /** Ask with a {@code HEAD} request. */
        HEAD,
        /** Do not ask: every object is stored, replacing what is there. */
        NONE
    }

    private final String name;
    private final UrlTemplate url;
    private final HttpUrl base;
    private final String method;
    private final Stat stat;
    private final OkHttpClient client;
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
    }

    @Override
    public Optional<URI> stat(Codec codec) throws IOException {
        HttpUrl target = target(codec);
        if (stat == Stat.NONE) {
            return Optional.empty();
        }
        Request request = new Request.Builder().url(target).head().build();
        try (Response response = execute(request)) {
            int code = response.code();
            if (response.isSuccessful()) {
                String length = response.header("Content-Length");
                if (codec.size() >= 0 && length != null && !length.trim().equals(Long.toString(codec.size()))) {
                    return Optional.empty(); // a different or incomplete object: store it again
                }
                return Optional.of(target.uri());
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

    @Override
    public URI store(Codec codec, Blob blob) throws IOException {
        HttpUrl target = target(codec);
        Request request = new Request.Builder().url(target).method(method, new BlobBody(blob)).build();
        try (Response response = execute(request)) {
            if (!response.isSuccessful()) {
                throw HttpFailures.forStatus(method, response);
            }
            return target.uri();
        }
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

    private Response execute(Request request) throws IOException {
        return ClientSettings.execute(client, closed.get(), "http destination '" + name + "'", request);
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

    /** Writes a blob's stream as the request body, once, without buffering it. */
    private static final class BlobBody extends RequestBody {
        private static final int BUFFER_SIZE = 64 * 1024;
        private final Blob blob;
        private final MediaType type;

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

        @Override
        public boolean isOneShot() {
            return true;
        }

        @Override
        public void writeTo(BufferedSink sink) throws IOException {
            InputStream in = blob.stream();
            byte[] buffer = new byte[BUFFER_SIZE];
            int n;
            while ((n = in.read(buffer)) != -1) {
                sink.write(buffer, 0, n);
            }
        }
    }
}
