package dev.ingest.plugin.http;

import static dev.ingest.plugin.http.Configs.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;

import dev.ingest.api.Blob;
import dev.ingest.api.Codec;
import dev.ingest.api.ConfigException;
import dev.ingest.api.Destination;
import dev.ingest.api.PoisonException;
import dev.ingest.api.Presence;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The http destination against a real HTTP server on loopback (MockWebServer, and the JDK's server for streaming). */
class HttpDestinationIT {

    private static final String NAME = "dossier é/a b.txt";
    private static final String ENCODED = "/up/dossier%20%C3%A9/a%20b.txt";

    private final HttpPluginProvider provider = new HttpPluginProvider();
    private final MockWebServer server = new MockWebServer();
    private final List<Destination> opened = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server.start();
    }

    @AfterEach
    void stop() throws IOException {
        for (Destination d : opened) {
            d.close();
        }
        server.close();
    }

    private String template() {
        return server.url("/up/").toString() + "{name}";
    }

    private Destination destination(Object... keysAndValues) throws ConfigException {
        Destination d = provider.createDestination(config("web", keysAndValues));
        opened.add(d);
        return d;
    }

    private static Blob blob(String content, String type) {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        return Blob.of(new ByteArrayInputStream(bytes), bytes.length, type);
    }

    private static MockResponse status(int code) {
        return new MockResponse.Builder().code(code).build();
    }

    /** The answer to a HEAD for an object of this length. */
    private static MockResponse holds(long length, String... headers) {
        MockResponse.Builder b = new MockResponse.Builder().code(200).addHeader("Content-Length", Long.toString(length));
        for (int i = 0; i < headers.length; i += 2) {
            b.addHeader(headers[i], headers[i + 1]);
        }
        return b.build();
    }

    @Test
    void putsTheObjectAtItsEncodedNameWithTypeAndLength() throws Exception {
        server.enqueue(status(201));
        server.enqueue(holds(5));
        Destination d = destination("url", template());

        URI stored = d.store(Codec.of("id", NAME), blob("hello", "text/plain"));

        assertThat(stored).isEqualTo(server.url(ENCODED).uri());
        RecordedRequest r = server.takeRequest();
        assertThat(r.getMethod()).isEqualTo("PUT");
        assertThat(r.getTarget()).isEqualTo(ENCODED);
        assertThat(r.getHeaders().get("Content-Type")).isEqualTo("text/plain");
        assertThat(r.getHeaders().get("Content-Length")).isEqualTo("5");
        assertThat(r.getHeaders().get("Transfer-Encoding")).isNull();
        assertThat(r.getChunkSizes()).isNullOrEmpty();
        assertThat(r.getBody().utf8()).isEqualTo("hello");
    }

    @Test
    void postsWhenConfiguredTo() throws Exception {
        server.enqueue(status(200));
        Destination d = destination("url", template(), "method", "POST", "stat", "none");

        d.store(Codec.of("id", NAME), blob("hello", null));

        RecordedRequest r = server.takeRequest();
        assertThat(r.getMethod()).isEqualTo("POST");
        assertThat(r.getTarget()).isEqualTo(ENCODED);
        assertThat(r.getHeaders().get("Content-Type")).isEqualTo(Blob.DEFAULT_CONTENT_TYPE);
    }

    @Test
    void sendsAnObjectOfUnknownLengthChunked() throws Exception {
        server.enqueue(status(200));
        server.enqueue(holds(200_000));
        Destination d = destination("url", template());
        byte[] content = new byte[200_000];
        new Random(1).nextBytes(content);

        d.store(Codec.of("id", "big.bin"), Blob.ofUnknownLength(new ByteArrayInputStream(content), "application/x-test"));

        RecordedRequest r = server.takeRequest();
        assertThat(r.getHeaders().get("Content-Length")).isNull();
        assertThat(r.getHeaders().get("Transfer-Encoding")).isEqualTo("chunked");
        assertThat(r.getChunkSizes()).isNotEmpty();
        assertThat(r.getBody().toByteArray()).isEqualTo(content);
    }

    @Test
    void sendsAuthenticationAndCustomHeaders() throws Exception {
        server.enqueue(status(404));
        server.enqueue(status(200));
        server.enqueue(holds(1));
        Destination d = destination("url", template(), "username", "writer", "password", "s3cret",
                "headers", Map.of("X-Tenant", "acme"));

        d.stat(Codec.of("id", "a"));
        d.store(Codec.of("id", "a"), blob("x", null));

        String basic = "Basic " + Base64.getEncoder().encodeToString("writer:s3cret".getBytes(StandardCharsets.UTF_8));
        List<RecordedRequest> sent = new ArrayList<>();
        for (RecordedRequest r = server.takeRequest(0, TimeUnit.SECONDS); r != null; r = server.takeRequest(0, TimeUnit.SECONDS)) {
            sent.add(r);
        }
        assertThat(sent).extracting(RecordedRequest::getMethod).containsExactly("HEAD", "PUT", "HEAD");
        assertThat(sent).allSatisfy(r -> {
            assertThat(r.getHeaders().get("Authorization")).isEqualTo(basic);
            assertThat(r.getHeaders().get("X-Tenant")).isEqualTo("acme");
        });
    }

    @Test
    void statFindsAnObjectWith2xxAndMissesItWith404() throws Exception {
        server.enqueue(new MockResponse.Builder().code(200).addHeader("Content-Length", "5").build());
        server.enqueue(status(404));
        server.enqueue(status(410));
        Destination d = destination("url", template(), "bearerToken", "tok");

        assertThat(d.stat(Codec.of("id", NAME))).contains(server.url(ENCODED).uri());
        assertThat(d.stat(Codec.of("id", NAME))).isEmpty();
        assertThat(d.stat(Codec.of("id", NAME))).isEmpty();
        RecordedRequest r = server.takeRequest();
        assertThat(r.getMethod()).isEqualTo("HEAD");
        assertThat(r.getTarget()).isEqualTo(ENCODED);
        assertThat(r.getHeaders().get("Authorization")).isEqualTo("Bearer tok");
    }

    @Test
    void statMissesAnObjectWhoseLengthDiffersFromTheListedSize() throws Exception {
        server.enqueue(new MockResponse.Builder().code(200).addHeader("Content-Length", "3").build());
        server.enqueue(new MockResponse.Builder().code(200).addHeader("Content-Length", "5").build());
        Destination d = destination("url", template());

        assertThat(d.stat(Codec.of("id", "a", "", 5))).isEmpty();
        assertThat(d.stat(Codec.of("id", "a", "", 5))).isPresent();
    }

    @Test
    void statNoneNeverAsks() throws Exception {
        Destination d = destination("url", template(), "stat", "none");

        assertThat(d.stat(Codec.of("id", "a"))).isEmpty();
        assertThat(server.getRequestCount()).isZero();
    }

    @Test
    void anEndpointWithoutHeadIsPoisonSuggestingStatNone() throws Exception {
        server.enqueue(status(405));
        Destination d = destination("url", template());

        assertThatThrownBy(() -> d.stat(Codec.of("id", "a"))).isInstanceOf(PoisonException.class)
                .hasMessageContaining("HTTP 405").hasMessageContaining("stat: none");
    }

    @Test
    void serverErrorsAndThrottlingAreRetryableOtherClientErrorsArePoison() throws Exception {
        server.enqueue(status(500));
        server.enqueue(new MockResponse.Builder().code(429).addHeader("Retry-After", "7").build());
        server.enqueue(new MockResponse.Builder().code(503).addHeader("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT").build());
        server.enqueue(status(408));
        server.enqueue(new MockResponse.Builder().code(403).body("quota exceeded").build());
        server.enqueue(status(404));
        server.enqueue(status(500));
        Destination d = destination("url", template());
        Codec codec = Codec.of("id", NAME);
        String url = server.url(ENCODED).toString();

        assertThatThrownBy(() -> d.store(codec, blob("x", null))).isExactlyInstanceOf(IOException.class)
                .hasMessage("PUT " + url + " answered HTTP 500 Server Error");
        assertThatThrownBy(() -> d.store(codec, blob("x", null))).isExactlyInstanceOf(IOException.class)
                .hasMessageContaining("HTTP 429").hasMessageContaining("(Retry-After: 7 s)");
        assertThatThrownBy(() -> d.store(codec, blob("x", null))).isExactlyInstanceOf(IOException.class)
                .hasMessageContaining("HTTP 503").hasMessageContaining("(Retry-After: 0 s)");
        assertThatThrownBy(() -> d.store(codec, blob("x", null))).isExactlyInstanceOf(IOException.class)
                .hasMessageContaining("HTTP 408");
        assertThatThrownBy(() -> d.store(codec, blob("x", null))).isInstanceOf(PoisonException.class)
                .hasMessage("PUT " + url + " answered HTTP 403 Client Error: quota exceeded");
        assertThatThrownBy(() -> d.store(codec, blob("x", null))).isInstanceOf(PoisonException.class)
                .hasMessageContaining("HTTP 404");
        assertThatThrownBy(() -> d.stat(codec)).isExactlyInstanceOf(IOException.class)
                .hasMessage("HEAD " + url + " answered HTTP 500 Server Error");
    }

    @Test
    void aConnectionFailureIsRetryable() throws Exception {
        Destination d = destination("url", template());
        server.close();

        assertThatThrownBy(() -> d.store(Codec.of("id", "a"), blob("x", null))).isExactlyInstanceOf(IOException.class)
                .hasMessageContaining("PUT " + server.url("/up/a") + " failed");
    }

    @Test
    void refusesNamesThatWouldLeaveTheUrlPathWithoutSendingAnything() throws Exception {
        Destination d = destination("url", template());

        for (String name : List.of("../escape.txt", "a/../../b", "/abs", "a//b", "./x")) {
            assertThatThrownBy(() -> d.store(Codec.of("id", name), blob("x", null))).as(name)
                    .isInstanceOf(PoisonException.class)
                    .hasMessageStartingWith("object name '" + name + "' cannot be stored in http destination 'web'");
            assertThatThrownBy(() -> d.stat(Codec.of("id", name))).as(name).isInstanceOf(PoisonException.class);
        }
        assertThat(server.getRequestCount()).isZero();
    }

    /**
     * The source stream holds back its second half until the server has received most of the first: a plugin
     * that buffered the body before sending it would never get there.
     */
    @ParameterizedTest(name = "known length: {0}")
    @ValueSource(booleans = {true, false})
    void streamsTheBodyWhileReadingItInsteadOfBufferingIt(boolean knownLength) throws Exception {
        int half = 4 << 20;
        CountDownLatch firstHalfArrived = new CountDownLatch(1);
        AtomicLong received = new AtomicLong();
        AtomicReference<byte[]> digest = new AtomicReference<>();
        HttpServer jdk = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        jdk.createContext("/", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                byte[] buf = new byte[65536];
                int n;
                while ((n = in.read(buf)) != -1) {
                    sha.update(buf, 0, n);
                    if (received.addAndGet(n) >= half - (1 << 20)) { // all but what sits in the client's buffers
                        firstHalfArrived.countDown();
                    }
                }
                digest.set(sha.digest());
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        jdk.start();
        try {
            String url = "http://127.0.0.1:" + jdk.getAddress().getPort() + "/up/{name}";
            Destination d = destination("url", url, "readTimeout", "20s", "stat", "none");
            MessageDigest expected = MessageDigest.getInstance("SHA-256");
            InputStream body = new InputStream() {
                private long produced;

                @Override
                public int read() {
                    throw new UnsupportedOperationException();
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (produced == 2L * half) {
                        return -1;
                    }
                    if (produced == half) {
                        try {
                            if (!firstHalfArrived.await(15, TimeUnit.SECONDS)) {
                                throw new IOException("the server never saw the first half: the body was buffered");
                            }
                        } catch (InterruptedException e) {
                            throw new InterruptedIOException();
                        }
                    }
                    int n = (int) Math.min(len, (produced < half ? half : 2L * half) - produced);
                    for (int i = 0; i < n; i++) {
                        b[off + i] = (byte) ((produced + i) * 7);
                    }
                    expected.update(b, off, n);
                    produced += n;
                    return n;
                }
            };
            Blob blob = knownLength ? Blob.of(body, 2L * half, null) : Blob.ofUnknownLength(body, null);

            d.store(Codec.of("id", "stream.bin"), blob);

            assertThat(received.get()).isEqualTo(2L * half);
            assertThat(digest.get()).isEqualTo(expected.digest());
        } finally {
            jdk.stop(0);
        }
    }

    @Test
    void aBodyShorterThanItsAnnouncedLengthFailsRetryably() throws Exception {
        server.enqueue(status(200));
        Destination d = destination("url", template());

        assertThatThrownBy(() -> d.store(Codec.of("id", "a"), Blob.of(new ByteArrayInputStream(new byte[3]), 10, null)))
                .isInstanceOf(IOException.class).isNotInstanceOf(PoisonException.class);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Versions: sent with each upload, proven by what HEAD answers

    @Test
    void sendsTheSourceVersionWithEachUploadEncodingWhatIsNotPrintableAscii() throws Exception {
        server.enqueue(status(201));
        server.enqueue(status(201));
        server.enqueue(status(201));
        Destination d = destination("url", template(), "stat", "none");

        d.store(Codec.of("a", "a", "\"3f2a-9\"", 1), blob("x", null));
        d.store(Codec.of("b", "b", "2026-01-02 10:00 é 100%", 1), blob("x", null));
        d.store(Codec.of("c", "c", "", 1), blob("x", null));

        assertThat(server.takeRequest().getHeaders().get("X-Ingest-Version")).isEqualTo("\"3f2a-9\"");
        assertThat(server.takeRequest().getHeaders().get("X-Ingest-Version")).isEqualTo("2026-01-02%2010:00%20%C3%A9%20100%25");
        assertThat(server.takeRequest().getHeaders().get("X-Ingest-Version")).as("no version, no header").isNull();
    }

    @Test
    void aHeadThatEchoesTheVersionProvesItAndOneThatEchoesAnotherVersionMeansAbsent() throws Exception {
        server.enqueue(holds(5, "X-Ingest-Version", "v2"));
        server.enqueue(holds(5, "X-Ingest-Version", "v1"));
        server.enqueue(holds(5, "X-Ingest-Version", "2026%20%C3%A9"));
        Destination d = destination("url", template());
        URI uri = server.url("/up/a").uri();

        assertThat(d.check(Codec.of("a", "a", "v2", 5))).contains(Presence.verified(uri));
        assertThat(d.check(Codec.of("a", "a", "v2", 5))).as("the receiver holds v1 of the same size").isEmpty();
        assertThat(d.check(Codec.of("a", "a", "2026 é", 5))).contains(Presence.verified(uri));
    }

    @Test
    void statAgreesWithCheckAboutAnotherVersion() throws Exception {
        server.enqueue(holds(5, "X-Ingest-Version", "v1"));
        Destination d = destination("url", template());

        assertThat(d.stat(Codec.of("a", "a", "v2", 5))).isEmpty();
    }

    @Test
    void anEtagEqualToTheVersionProvesItQuotedOrNotWeakOrNot() throws Exception {
        server.enqueue(holds(5, "ETag", "\"abc\""));
        server.enqueue(holds(5, "ETag", "W/\"abc\""));
        server.enqueue(holds(5, "ETag", "\"abc\""));
        Destination d = destination("url", template());
        URI uri = server.url("/up/a").uri();

        assertThat(d.check(Codec.of("a", "a", "abc", 5))).contains(Presence.verified(uri));
        assertThat(d.check(Codec.of("a", "a", "abc", 5))).contains(Presence.verified(uri));
        assertThat(d.check(Codec.of("a", "a", "\"abc\"", 5))).contains(Presence.verified(uri));
    }

    @Test
    void aReceiverThatKeepsNoVersionHoldsObjectsOfTheRightSizeUnverified() throws Exception {
        server.enqueue(holds(5, "ETag", "\"its-own-tag\""));
        server.enqueue(holds(5));
        server.enqueue(holds(5, "X-Ingest-Version", "v1"));
        server.enqueue(holds(4, "X-Ingest-Version", "v1"));
        Destination d = destination("url", template());
        URI uri = server.url("/up/a").uri();

        assertThat(d.check(Codec.of("a", "a", "v1", 5))).as("the receiver's own ETag").contains(Presence.unverified(uri));
        assertThat(d.check(Codec.of("a", "a", "v1", 5))).as("no version in the answer").contains(Presence.unverified(uri));
        assertThat(d.check(Codec.of("a", "a", "", 5))).as("the codec has no version").contains(Presence.unverified(uri));
        assertThat(d.check(Codec.of("a", "a", "v1", 5))).as("the right version but another size").isEmpty();
    }

    /** A receiver on the JDK's server that keeps the version header with each object and echoes it on HEAD. */
    @Test
    void storesThenChecksAgainstAReceiverThatKeepsTheVersion() throws Exception {
        Map<String, String> versions = new ConcurrentHashMap<>();
        Map<String, Integer> lengths = new ConcurrentHashMap<>();
        HttpServer jdk = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        jdk.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            if (exchange.getRequestMethod().equals("PUT")) {
                lengths.put(path, exchange.getRequestBody().readAllBytes().length);
                versions.put(path, exchange.getRequestHeaders().getFirst("X-Ingest-Version"));
                exchange.sendResponseHeaders(201, -1);
            } else if (lengths.containsKey(path)) {
                exchange.getResponseHeaders().set("Content-Length", Integer.toString(lengths.get(path)));
                exchange.getResponseHeaders().set("X-Ingest-Version", versions.get(path));
                exchange.sendResponseHeaders(200, -1);
            } else {
                exchange.sendResponseHeaders(404, -1);
            }
            exchange.close();
        });
        jdk.start();
        try {
            Destination d = destination("url", "http://127.0.0.1:" + jdk.getAddress().getPort() + "/up/{name}");
            Codec v1 = Codec.of("r", "report.txt", "1700000000000-5", 5);
            Codec v2 = Codec.of("r", "report.txt", "1700000009999-5", 5);

            assertThat(d.check(v1)).isEmpty();
            d.store(v1, blob("AAAAA", null));

            assertThat(d.check(v1)).map(Presence::verified).contains(true);
            assertThat(d.check(v2)).as("rewritten with the same size").isEmpty();
        } finally {
            jdk.stop(0);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Uploads the receiver did not keep whole

    @Test
    void aReceiverThatAnswers201ButHoldsFewerBytesFailsTheStoreRetryably() throws Exception {
        server.enqueue(status(201));
        server.enqueue(holds(5));
        Destination d = destination("url", template());

        assertThatThrownBy(() -> d.store(Codec.of("a", "a"), blob("0123456789", null)))
                .isExactlyInstanceOf(IOException.class)
                .hasMessage("PUT " + server.url("/up/a") + " answered HTTP 201 but the server holds 5 of the 10 bytes "
                        + "sent (Content-Length of a HEAD right after; http destination 'web'); sending it again");
        assertThat(server.takeRequest().getMethod()).isEqualTo("PUT");
        assertThat(server.takeRequest().getMethod()).isEqualTo("HEAD");
    }

    @Test
    void aReceiverThatAnswers200ButHoldsNothingFailsTheStoreRetryably() throws Exception {
        server.enqueue(status(200));
        server.enqueue(status(404));
        Destination d = destination("url", template());

        assertThatThrownBy(() -> d.store(Codec.of("a", "a"), blob("0123456789", null)))
                .isExactlyInstanceOf(IOException.class).hasMessageContaining("answered HTTP 200 but a HEAD right after finds nothing");
    }

    @Test
    void theSizeCheckCountsTheBytesSentOfAnObjectOfUnknownLength() throws Exception {
        server.enqueue(status(201));
        server.enqueue(holds(7));
        server.enqueue(status(201));
        server.enqueue(holds(6));
        Destination d = destination("url", template());

        d.store(Codec.of("a", "a"), Blob.ofUnknownLength(new ByteArrayInputStream(new byte[7]), null));
        assertThatThrownBy(() -> d.store(Codec.of("a", "a"), Blob.ofUnknownLength(new ByteArrayInputStream(new byte[7]), null)))
                .isExactlyInstanceOf(IOException.class).hasMessageContaining("holds 6 of the 7 bytes sent");
    }

    @Test
    void noSizeCheckWithStatNoneOrAfter202AcceptedOrWithoutContentLength() throws Exception {
        server.enqueue(status(201));
        server.enqueue(status(202));
        server.enqueue(status(201));
        server.enqueue(new MockResponse.Builder().code(200).removeHeader("Content-Length").build());
        Destination none = destination("url", template(), "stat", "none");
        Destination head = destination("url", template());

        none.store(Codec.of("a", "a"), blob("0123456789", null));
        head.store(Codec.of("b", "b"), blob("0123456789", null));
        head.store(Codec.of("c", "c"), blob("0123456789", null));

        assertThat(requests()).containsExactly("PUT /up/a", "PUT /up/b", "PUT /up/c", "HEAD /up/c");
    }

    @Test
    void anUploadAnsweredWithARedirectIsNeitherFollowedNorTakenForStored() throws Exception {
        server.enqueue(new MockResponse.Builder().code(302).addHeader("Location", "/login").build());
        server.enqueue(new MockResponse.Builder().code(200).body("please log in").build());
        Destination d = destination("url", template(), "stat", "none");

        assertThatThrownBy(() -> d.store(Codec.of("a", "a"), blob("x", null)))
                .isExactlyInstanceOf(IOException.class).hasMessageContaining("PUT " + server.url("/up/a") + " answered HTTP 302");
        assertThat(requests()).containsExactly("PUT /up/a");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Connections

    @Test
    void afterAnHttp10AnswerWithoutKeepAliveEveryRequestGoesOnANewConnection() throws Exception {
        for (int i = 0; i < 3; i++) {
            server.enqueue(new MockResponse.Builder().status("HTTP/1.0 201 Created").build());
        }
        Destination d = destination("url", template(), "stat", "none");

        for (int i = 0; i < 3; i++) {
            d.store(Codec.of("a", "a"), blob("x", null));
        }

        RecordedRequest first = server.takeRequest();
        RecordedRequest second = server.takeRequest();
        RecordedRequest third = server.takeRequest();
        assertThat(first.getHeaders().get("Connection")).isNotEqualToIgnoringCase("close");
        assertThat(second.getHeaders().get("Connection")).isEqualTo("close");
        assertThat(third.getHeaders().get("Connection")).isEqualTo("close");
        assertThat(List.of(first.getConnectionIndex(), second.getConnectionIndex(), third.getConnectionIndex()))
                .as("connection of each request").doesNotHaveDuplicates();
    }

    @Test
    void http11AndHttp10KeepAliveConnectionsAreReused() throws Exception {
        server.enqueue(new MockResponse.Builder().status("HTTP/1.0 201 Created").addHeader("Connection", "keep-alive").build());
        server.enqueue(status(201));
        server.enqueue(status(201));
        Destination d = destination("url", template(), "stat", "none");

        for (int i = 0; i < 3; i++) {
            d.store(Codec.of("a", "a"), blob("x", null));
        }

        List<Integer> connections = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            RecordedRequest r = server.takeRequest();
            assertThat(r.getHeaders().get("Connection")).isNotEqualToIgnoringCase("close");
            connections.add(r.getConnectionIndex());
        }
        assertThat(connections).containsOnly(connections.get(0));
    }

    private List<String> requests() throws InterruptedException {
        List<String> out = new ArrayList<>();
        for (RecordedRequest r = server.takeRequest(0, TimeUnit.SECONDS); r != null; r = server.takeRequest(0, TimeUnit.SECONDS)) {
            out.add(r.getMethod() + " " + r.getTarget());
        }
        return out;
    }
}
