package dev.ingest.plugin.http;

import static dev.ingest.plugin.http.Configs.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import dev.ingest.api.Blob;
import dev.ingest.api.Scan;
import dev.ingest.api.Codec;
import dev.ingest.api.ConfigException;
import dev.ingest.api.PoisonException;
import dev.ingest.api.Source;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The http source against a real HTTP server on loopback (MockWebServer). */
class HttpSourceIT {

    private final HttpPluginProvider provider = new HttpPluginProvider();
    private final MockWebServer server = new MockWebServer();
    /** Responses by request target (path and query); anything else is a 404. */
    private final Map<String, Function<RecordedRequest, MockResponse>> routes = new ConcurrentHashMap<>();
    private final List<Source> opened = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                Function<RecordedRequest, MockResponse> route = routes.get(request.getTarget());
                return route != null ? route.apply(request) : new MockResponse.Builder().code(404).build();
            }
        });
        server.start();
    }

    @AfterEach
    void stop() throws IOException {
        for (Source s : opened) {
            s.close();
        }
        server.close();
    }

    private void json(String target, String body, String... headers) {
        routes.put(target, r -> {
            MockResponse.Builder b = new MockResponse.Builder().code(200).addHeader("Content-Type", "application/json")
                    .body(body);
            for (int i = 0; i < headers.length; i += 2) {
                b.addHeader(headers[i], headers[i + 1]);
            }
            return b.build();
        });
    }

    private String url(String target) {
        return server.url(target).toString();
    }

    private Source source(Object... keysAndValues) throws ConfigException {
        Source s = provider.createSource(config("api", keysAndValues));
        opened.add(s);
        return s;
    }

    private static List<Codec> scan(Source source) throws IOException {
        List<Codec> out = new ArrayList<>();
        Scan scan = source.scan();
        for (Optional<Codec> c = scan.next(); c.isPresent(); c = scan.next()) {
            out.add(c.get());
        }
        return out;
    }

    private static String metaUrl(Codec c) {
        return new String(c.meta(), StandardCharsets.UTF_8);
    }

    private List<RecordedRequest> requests() throws InterruptedException {
        List<RecordedRequest> out = new ArrayList<>();
        for (RecordedRequest r = server.takeRequest(0, TimeUnit.SECONDS); r != null; r = server.takeRequest(0, TimeUnit.SECONDS)) {
            out.add(r);
        }
        return out;
    }

    @Test
    void listsABareArrayWithIdNameVersionSizeAndTheObjectUrlInMeta() throws Exception {
        json("/list", """
                [{"id": "1", "name": "a.txt", "url": "%s", "etag": "\\"v1\\"", "bytes": 5},
                 {"id": 2, "url": "%s", "bytes": "7"}]
                """.formatted(url("/files/1"), url("/files/2")));
        Source source = source("url", url("/list"), "versionField", "etag", "sizeField", "bytes");

        List<Codec> codecs = scan(source);

        assertThat(codecs).hasSize(2);
        assertThat(codecs.get(0)).isEqualTo(new Codec("1", "a.txt", url("/files/1").getBytes(StandardCharsets.UTF_8), "\"v1\"", 5));
        assertThat(codecs.get(1).id()).isEqualTo("2");
        assertThat(codecs.get(1).name()).as("the name falls back to the id").isEqualTo("2");
        assertThat(codecs.get(1).version()).isEmpty();
        assertThat(codecs.get(1).size()).isEqualTo(7);
        assertThat(metaUrl(codecs.get(1))).isEqualTo(url("/files/2"));
        RecordedRequest listing = server.takeRequest();
        assertThat(listing.getHeaders().get("Accept")).isEqualTo("application/json");
    }

    @Test
    void includeAndExcludeSelectItemsByNameWithTheFilePluginsGlobs() throws Exception {
        json("/list", """
                [{"id": "1", "name": "reports/a.pdf", "url": "/f/1"}, {"id": "2", "name": "reports/a.txt", "url": "/f/2"},
                 {"id": "3", "name": "drafts/b.pdf", "url": "/f/3"}, {"id": "4", "name": "c.pdf", "url": "/f/4"}]
                """);
        Source source = source("url", url("/list"), "include", List.of("*.pdf"), "exclude", "drafts/**");

        assertThat(scan(source)).extracting(Codec::name).containsExactly("reports/a.pdf", "c.pdf");
    }

    @Test
    void listsTheArrayAtTheItemsPointerWithFieldsGivenAsPointers() throws Exception {
        json("/list", """
                {"data": {"items": [{"meta": {"key": "k1"}, "file": {"path": "dir/x.bin", "href": "/files/x"}}]}, "total": 1}
                """);
        Source source = source("url", url("/list"), "items", "/data/items", "idField", "/meta/key",
                "nameField", "/file/path", "urlField", "/file/href");

        assertThat(scan(source)).singleElement().satisfies(c -> {
            assertThat(c.id()).isEqualTo("k1");
            assertThat(c.name()).isEqualTo("dir/x.bin");
            assertThat(metaUrl(c)).isEqualTo(url("/files/x"));
        });
    }

    @Test
    void resolvesRelativeObjectUrlsAgainstThePageUrl() throws Exception {
        json("/api/v1/list?page=1", """
                [{"id": "a", "url": "files/a"}, {"id": "b", "url": "/root/b"}, {"id": "c", "url": "../c?x=1"},
                 {"id": "d", "url": "https://cdn.example.com/d"}]
                """);
        Source source = source("url", url("/api/v1/list?page=1"));

        assertThat(scan(source)).extracting(HttpSourceIT::metaUrl).containsExactly(
                url("/api/v1/files/a"), url("/root/b"), url("/api/c?x=1"), "https://cdn.example.com/d");
    }

    @Test
    void followsANextFieldThroughThreePagesLazily() throws Exception {
        json("/list", """
                {"items": [{"id": "1", "url": "/f/1"}, {"id": "2", "url": "/f/2"}], "links": {"next": "/list?page=2"}}""");
        json("/list?page=2", """
                {"items": [{"id": "3", "url": "/f/3"}], "links": {"next": "%s"}}""".formatted(url("/list?page=3")));
        json("/list?page=3", """
                {"items": [{"id": "4", "url": "/f/4"}], "links": {"next": null}}""");
        Source source = source("url", url("/list"), "items", "/items", "nextField", "/links/next");

        Scan scan = source.scan();
        assertThat(server.getRequestCount()).as("reset fetches the first page only").isEqualTo(1);
        assertThat(scan.next()).map(Codec::id).contains("1");
        assertThat(scan.next()).map(Codec::id).contains("2");
        assertThat(server.getRequestCount()).as("page 2 is fetched when page 1 is used up").isEqualTo(1);
        assertThat(scan.next()).map(Codec::id).contains("3");
        assertThat(server.getRequestCount()).isEqualTo(2);
        assertThat(scan.next()).map(Codec::id).contains("4");
        assertThat(scan.next()).isEmpty();
        assertThat(server.getRequestCount()).isEqualTo(3);

        assertThat(scan(source)).as("a new scan starts over").extracting(Codec::id).containsExactly("1", "2", "3", "4");
    }

    @Test
    void followsLinkHeadersThroughThreePagesIncludingEmptyPages() throws Exception {
        json("/list", "[{\"id\": \"1\", \"url\": \"/f/1\"}]",
                "Link", "<" + url("/list?page=1") + ">; rel=\"first\", <list?page=2>; rel=\"next\"");
        json("/list?page=2", "[]", "Link", "</list?page=3>; rel=next");
        json("/list?page=3", "[{\"id\": \"3\", \"url\": \"/f/3\"}]", "Link", "</list>; rel=\"first\"");
        Source source = source("url", url("/list"));

        assertThat(scan(source)).extracting(Codec::id).containsExactly("1", "3");
        assertThat(requests()).extracting(RecordedRequest::getTarget).containsExactly("/list", "/list?page=2", "/list?page=3");
    }

    @Test
    void stopsWhenPaginationLoopsBack() throws Exception {
        json("/list", "{\"items\": [{\"id\": \"1\", \"url\": \"/f/1\"}], \"next\": \"/list?page=2\"}");
        json("/list?page=2", "{\"items\": [{\"id\": \"2\", \"url\": \"/f/2\"}], \"next\": \"/list\"}");
        Source source = source("url", url("/list"), "items", "/items", "nextField", "/next");

        assertThat(scan(source)).extracting(Codec::id).containsExactly("1", "2");
        assertThat(server.getRequestCount()).isEqualTo(2);
    }

    @Test
    void skipsItemsWithoutAnIdOrAUrlAndKeepsTheOthers() throws Exception {
        json("/list", """
                [{"id": "1", "url": "/f/1"}, {"url": "/f/noid"}, {"id": "2"}, "just a string", {"id": "", "url": "/f/x"},
                 {"id": "3", "url": "/f/3"}]""");
        Source source = source("url", url("/list"));

        assertThat(scan(source)).extracting(Codec::id).containsExactly("1", "3");
    }

    @Test
    void failsTheScanWithAHintWhenThePageIsAnObjectAndItemsIsNotSet() throws Exception {
        json("/list", "{\"items\": []}");
        Source source = source("url", url("/list"));

        assertThatThrownBy(source::scan).isInstanceOf(IOException.class)
                .hasMessageContaining(url("/list")).hasMessageContaining("is a JSON object, not an array")
                .hasMessageContaining("set items:");
    }

    @Test
    void failsTheScanWhenTheListingIsNotJsonOrAnswersWithAnError() throws Exception {
        routes.put("/list", r -> new MockResponse.Builder().code(200).body("<html>").build());
        assertThatThrownBy(source("url", url("/list"))::scan).isInstanceOf(IOException.class).hasMessageContaining("is not JSON");

        routes.put("/list", r -> new MockResponse.Builder().code(503).body("maintenance").build());
        assertThatThrownBy(source("url", url("/list"))::scan).isInstanceOf(IOException.class)
                .isNotInstanceOf(PoisonException.class).hasMessageContaining("GET " + url("/list") + " answered HTTP 503")
                .hasMessageContaining("maintenance");
    }

    @Test
    void sendsTheBearerTokenAndCustomHeadersToTheListingAndTheObjects() throws Exception {
        json("/list", "[{\"id\": \"1\", \"url\": \"/f/1\"}]");
        routes.put("/f/1", r -> new MockResponse.Builder().body("one").build());
        Source source = source("url", url("/list"), "bearerToken", "t0k3n",
                "headers", Map.of("X-Api-Version", "2026-01", "User-Agent", "ingest-test"));

        Codec codec = scan(source).get(0);
        try (Blob blob = source.download(codec)) {
            blob.stream().readAllBytes();
        }

        for (RecordedRequest r : requests()) {
            assertThat(r.getHeaders().get("Authorization")).as(r.getTarget()).isEqualTo("Bearer t0k3n");
            assertThat(r.getHeaders().get("X-Api-Version")).as(r.getTarget()).isEqualTo("2026-01");
            assertThat(r.getHeaders().get("User-Agent")).as(r.getTarget()).isEqualTo("ingest-test");
        }
    }

    @Test
    void sendsBasicAuthenticationWithUtf8Credentials() throws Exception {
        json("/list", "[]");
        Source source = source("url", url("/list"), "username", "reader", "password", "pässwörd");

        scan(source);

        String expected = "Basic " + Base64.getEncoder().encodeToString("reader:pässwörd".getBytes(StandardCharsets.UTF_8));
        assertThat(server.takeRequest().getHeaders().get("Authorization")).isEqualTo(expected);
    }

    @Test
    void neverSendsCredentialsOrHeadersToAnotherOrigin() throws Exception {
        try (MockWebServer cdn = new MockWebServer()) {
            cdn.enqueue(new MockResponse.Builder().body("from the cdn").build());
            cdn.start();
            json("/list", "[{\"id\": \"1\", \"url\": \"" + cdn.url("/obj/1") + "\"}]");
            Source source = source("url", url("/list"), "bearerToken", "t0k3n", "headers", Map.of("X-Api-Key", "k"));

            try (Blob blob = source.download(scan(source).get(0))) {
                assertThat(new String(blob.stream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("from the cdn");
            }

            RecordedRequest atCdn = cdn.takeRequest();
            assertThat(atCdn.getHeaders().get("Authorization")).isNull();
            assertThat(atCdn.getHeaders().get("X-Api-Key")).isNull();
            assertThat(server.takeRequest().getHeaders().get("Authorization")).isEqualTo("Bearer t0k3n");
        }
    }

    @Test
    void aRedirectToAnotherOriginLosesTheCredentialsAndOneToTheSameOriginKeepsThem() throws Exception {
        try (MockWebServer cdn = new MockWebServer()) {
            cdn.enqueue(new MockResponse.Builder().body("redirected").build());
            cdn.start();
            routes.put("/f/away", r -> new MockResponse.Builder().code(302).addHeader("Location", cdn.url("/obj")).build());
            routes.put("/f/here", r -> new MockResponse.Builder().code(307).addHeader("Location", "/f/there").build());
            routes.put("/f/there", r -> new MockResponse.Builder().body("stayed").build());
            Source source = source("url", url("/list"), "bearerToken", "t0k3n", "headers", Map.of("X-Api-Key", "k"));

            for (String path : List.of("/f/away", "/f/here")) {
                try (Blob blob = source.download(new Codec(path, "n", url(path).getBytes(StandardCharsets.UTF_8), "", -1))) {
                    blob.stream().readAllBytes();
                }
            }

            RecordedRequest atCdn = cdn.takeRequest();
            assertThat(atCdn.getHeaders().get("Authorization")).isNull();
            assertThat(atCdn.getHeaders().get("X-Api-Key")).isNull();
            assertThat(requests()).extracting(RecordedRequest::getTarget, r -> r.getHeaders().get("Authorization"),
                    r -> r.getHeaders().get("X-Api-Key")).containsExactly(
                    tuple("/f/away", "Bearer t0k3n", "k"),
                    tuple("/f/here", "Bearer t0k3n", "k"),
                    tuple("/f/there", "Bearer t0k3n", "k"));
        }
    }

    @Test
    void downloadsWithTheContentTypeAndLengthOfTheResponse() throws Exception {
        routes.put("/f/1", r -> new MockResponse.Builder().addHeader("Content-Type", "text/csv; charset=utf-8")
                .body("a,b\n1,2\n").build());
        Source source = source("url", url("/list"));
        Codec codec = new Codec("1", "one.csv", url("/f/1").getBytes(StandardCharsets.UTF_8), "", -1);

        try (Blob blob = source.download(codec)) {
            assertThat(blob.contentType()).isEqualTo("text/csv; charset=utf-8");
            assertThat(blob.length()).hasValue(8);
            assertThat(blob.stream().readAllBytes()).asString(StandardCharsets.UTF_8).isEqualTo("a,b\n1,2\n");
        }
        assertThat(server.takeRequest().getHeaders().get("Accept-Encoding")).isEqualTo("identity");
    }

    @Test
    void downloadsAChunkedBodyAsUnknownLengthWithTheDefaultContentType() throws Exception {
        byte[] content = new byte[300_000];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) (i * 31);
        }
        routes.put("/f/big", r -> new MockResponse.Builder().removeHeader("Content-Type")
                .chunkedBody(new okio.Buffer().write(content), 8192).build());
        Source source = source("url", url("/list"));

        try (Blob blob = source.download(new Codec("big", "big.bin", url("/f/big").getBytes(StandardCharsets.UTF_8), "", -1))) {
            assertThat(blob.length()).isEmpty();
            assertThat(blob.contentType()).isEqualTo(Blob.DEFAULT_CONTENT_TYPE);
            assertThat(blob.stream().readAllBytes()).isEqualTo(content);
        }
    }

    @Test
    void buildsTheObjectUrlFromDownloadUrlWhenTheMessageCarriesNone() throws Exception {
        routes.put("/files/id%201/content", r -> new MockResponse.Builder().body("x").build());
        Source source = source("url", url("/api/list"), "downloadUrl", "/files/{id}/content");

        try (Blob blob = source.download(Codec.of("id 1", "name"))) {
            assertThat(blob.stream().readAllBytes()).hasSize(1);
        }
    }

    @Test
    void aMessageWithoutUrlIsPoisonWhenDownloadUrlIsNotSet() throws Exception {
        Source source = source("url", url("/list"));

        assertThatThrownBy(() -> source.download(Codec.of("1", "a"))).isInstanceOf(PoisonException.class)
                .hasMessageContaining("carries no URL").hasMessageContaining("downloadUrl");
    }

    @Test
    void aMissingObjectIsPoison() throws Exception {
        Source source = source("url", url("/list"));
        Codec gone = new Codec("7", "seven.txt", url("/f/7").getBytes(StandardCharsets.UTF_8), "", -1);

        assertThatThrownBy(() -> source.download(gone)).isInstanceOf(PoisonException.class)
                .hasMessage("object 'seven.txt' (id 7) of http source 'api' no longer exists at " + url("/f/7") + " (HTTP 404)");
    }

    @Test
    void aForbiddenObjectIsPoisonNamingTheUrlAndStatus() throws Exception {
        routes.put("/f/1", r -> new MockResponse.Builder().code(403).body("{\"error\": \"no access\"}").build());
        Source source = source("url", url("/list"));

        assertThatThrownBy(() -> source.download(new Codec("1", "a", url("/f/1").getBytes(StandardCharsets.UTF_8), "", -1)))
                .isInstanceOf(PoisonException.class)
                .hasMessageContaining("GET " + url("/f/1") + " answered HTTP 403").hasMessageContaining("no access");
    }

    @Test
    void serverErrorsAreRetryable() throws Exception {
        routes.put("/f/1", r -> new MockResponse.Builder().code(500).build());
        Source source = source("url", url("/list"));

        assertThatThrownBy(() -> source.download(new Codec("1", "a", url("/f/1").getBytes(StandardCharsets.UTF_8), "", -1)))
                .isExactlyInstanceOf(IOException.class).hasMessageContaining("answered HTTP 500");
    }

    @Test
    void throttlingIsRetryableAndQuotesRetryAfter() throws Exception {
        routes.put("/f/1", r -> new MockResponse.Builder().code(429).addHeader("Retry-After", "30").build());
        Source source = source("url", url("/list"));

        assertThatThrownBy(() -> source.download(new Codec("1", "a", url("/f/1").getBytes(StandardCharsets.UTF_8), "", -1)))
                .isExactlyInstanceOf(IOException.class).hasMessageContaining("answered HTTP 429")
                .hasMessageContaining("Retry-After: 30 s");
    }

    @Test
    void aTimeoutIsARetryableIoExceptionNotAnInterruption() throws Exception {
        routes.put("/f/slow", r -> new MockResponse.Builder().body("late").headersDelay(3, TimeUnit.SECONDS).build());
        routes.put("/f/slowbody", r -> new MockResponse.Builder().body("late").bodyDelay(3, TimeUnit.SECONDS).build());
        Source source = source("url", url("/list"), "readTimeout", "300ms");

        assertThatThrownBy(() -> source.download(new Codec("1", "a", url("/f/slow").getBytes(StandardCharsets.UTF_8), "", -1)))
                .isExactlyInstanceOf(IOException.class).hasMessageContaining("timed out")
                .isNotInstanceOf(InterruptedIOException.class);
        try (Blob blob = source.download(new Codec("2", "b", url("/f/slowbody").getBytes(StandardCharsets.UTF_8), "", -1))) {
            assertThatThrownBy(() -> blob.stream().readAllBytes()).isExactlyInstanceOf(IOException.class)
                    .hasMessageContaining("timed out");
        }
    }

    @Test
    void cleanUpSendsTheConfiguredRequestAndTreatsGoneAsDone() throws Exception {
        routes.put("/f/1", r -> new MockResponse.Builder().code(r.getMethod().equals("DELETE") ? 204 : 405).build());
        Source deleting = source("url", url("/list"), "cleanUp", "DELETE {url}");
        Source posting = source("url", url("/api/list"), "cleanUp", "post /api/archive/{id}?name={name}");
        routes.put("/api/archive/a%20b?name=x/y%20z.txt", r -> new MockResponse.Builder().code(200).build());

        deleting.cleanUp(new Codec("1", "a", url("/f/1").getBytes(StandardCharsets.UTF_8), "", -1));
        deleting.cleanUp(new Codec("2", "b", url("/f/2").getBytes(StandardCharsets.UTF_8), "", -1)); // 404: already gone
        posting.cleanUp(Codec.of("a b", "x/y z.txt"));

        assertThat(requests()).extracting(RecordedRequest::getMethod, RecordedRequest::getTarget).containsExactly(
                tuple("DELETE", "/f/1"),
                tuple("DELETE", "/f/2"),
                tuple("POST", "/api/archive/a%20b?name=x/y%20z.txt"));
    }

    @Test
    void cleanUpRefusedByTheServerIsPoison() throws Exception {
        routes.put("/f/1", r -> new MockResponse.Builder().code(403).build());
        Source source = source("url", url("/list"), "cleanUp", "DELETE {url}");

        assertThatThrownBy(() -> source.cleanUp(new Codec("1", "a", url("/f/1").getBytes(StandardCharsets.UTF_8), "", -1)))
                .isInstanceOf(PoisonException.class).hasMessageContaining("DELETE " + url("/f/1") + " answered HTTP 403");
    }

    @Test
    void cleanUpWithoutConfigurationIsPoisonNamingTheKeyToSet() throws Exception {
        Source source = source("url", url("/list"));

        assertThatThrownBy(() -> source.cleanUp(Codec.of("1", "a"))).isInstanceOf(PoisonException.class)
                .hasMessageStartingWith("cleanUp is not configured for http source 'api': set cleanUp: 'DELETE {url}'");
        assertThat(server.getRequestCount()).isZero();
    }

    @Test
    void hidesCredentialLikeQueryParametersInErrors() throws Exception {
        HttpUrl signed = server.url("/f/1?X-Amz-Signature=abcdef&page=1");
        Source source = source("url", url("/list"));

        assertThatThrownBy(() -> source.download(new Codec("1", "a", signed.toString().getBytes(StandardCharsets.UTF_8), "", -1)))
                .isInstanceOf(PoisonException.class).hasMessageNotContaining("abcdef").hasMessageContaining("REDACTED");
    }

    @Test
    void closeIsIdempotentAndLaterCallsFail() throws Exception {
        Source source = source("url", url("/list"));
        source.close();
        source.close();

        assertThatThrownBy(source::scan).isInstanceOf(IOException.class).hasMessageContaining("closed");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Listings that never end, and items that repeat an id

    @Test
    void aListingWithEndlessDistinctNextLinksFailsTheScanAtMaxPages() throws Exception {
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                HttpUrl url = request.getUrl();
                String page = url.queryParameter("page") == null ? "1" : url.queryParameter("page");
                int n = Integer.parseInt(page);
                return new MockResponse.Builder().addHeader("Content-Type", "application/json")
                        .body("{\"items\": [{\"id\": \"%d\", \"url\": \"/f/%d\"}], \"next\": \"/list?page=%d\"}"
                                .formatted(n, n, n + 1)).build();
            }
        });
        Source source = source("url", url("/list"), "items", "/items", "nextField", "/next", "maxPages", 5);

        List<String> ids = new ArrayList<>();
        Scan scan = source.scan();
        IOException failure = null;
        for (int i = 0; i < 1000 && failure == null; i++) { // bounded: a scan that never ends fails the test
            try {
                Optional<Codec> next = scan.next();
                if (next.isEmpty()) {
                    break;
                }
                ids.add(next.get().id());
            } catch (IOException e) {
                failure = e;
            }
        }

        assertThat(ids).as("the items of the pages up to maxPages are handed out").containsExactly("1", "2", "3", "4", "5");
        assertThat(failure).isNotNull().isNotInstanceOf(PoisonException.class);
        assertThat(failure).hasMessage("http source 'api': the listing has more than maxPages (5) pages: page "
                + url("/list?page=5") + " links to " + url("/list?page=6") + "; this scan stopped there, after 5 "
                + "objects (queued). Raise maxPages if the listing really is this long; an API whose next links never "
                + "end cannot be listed");
        assertThat(server.getRequestCount()).isEqualTo(5);
    }

    @Test
    void aListingOfExactlyMaxPagesPagesEndsNormally() throws Exception {
        json("/list", "{\"items\": [{\"id\": \"1\", \"url\": \"/f/1\"}], \"next\": \"/list?page=2\"}");
        json("/list?page=2", "{\"items\": [{\"id\": \"2\", \"url\": \"/f/2\"}]}");
        Source source = source("url", url("/list"), "items", "/items", "nextField", "/next", "maxPages", 2);

        assertThat(scan(source)).extracting(Codec::id).containsExactly("1", "2");
    }

    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger sourceLogger = (Logger) LoggerFactory.getLogger(HttpSource.class);

    @BeforeEach
    void captureLogs() {
        logs.start();
        sourceLogger.addAppender(logs);
        sourceLogger.setLevel(Level.DEBUG);
    }

    @AfterEach
    void releaseLogs() {
        sourceLogger.detachAppender(logs);
        sourceLogger.setLevel(null);
    }

    private List<String> logged(Level level) {
        return logs.list.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void anItemThatRepeatsTheIdOfAnotherObjectIsLeftOutWithAWarningNamingBothItems() throws Exception {
        json("/list", """
                {"items": [{"id": "1", "name": "a.txt", "url": "/f/a"}, {"id": "2", "name": "two.txt", "url": "/f/2"}],
                 "next": "/list?page=2"}""");
        json("/list?page=2", """
                {"items": [{"id": "1", "name": "b.txt", "url": "/f/b"}, {"id": "3", "name": "three.txt", "url": "/f/3"}]}""");
        Source source = source("url", url("/list"), "items", "/items", "nextField", "/next");

        assertThat(scan(source)).extracting(Codec::id, Codec::name)
                .containsExactly(tuple("1", "a.txt"), tuple("2", "two.txt"), tuple("3", "three.txt"));

        assertThat(logged(Level.WARN)).containsExactly(
                "http source 'api': item 0 of page " + url("/list?page=2") + " (name 'b.txt', URL " + url("/f/b")
                        + ") has id '1', like item 0 of page " + url("/list") + " (name 'a.txt', URL " + url("/f/a")
                        + ") listed earlier in this scan; left out, the first one is copied. An id must name one "
                        + "object: set idField to a field that is unique for each object (the URL is)",
                "http source 'api': scan listed 3 objects on 2 pages; left out 1 item that repeats the id of another "
                        + "object (see the warnings above)");
    }

    @Test
    void anItemListedTwiceIsLeftOutAndCountedWithoutAWarning() throws Exception {
        json("/list", """
                {"items": [{"id": "1", "name": "a.txt", "url": "/f/a"}, {"id": "2", "name": "b.txt", "url": "/f/b"}],
                 "next": "/list?page=2"}""");
        json("/list?page=2", """
                {"items": [{"id": "2", "name": "b.txt", "url": "/f/b"}, {"id": "3", "name": "c.txt", "url": "/f/c"}]}""");
        Source source = source("url", url("/list"), "items", "/items", "nextField", "/next");

        assertThat(scan(source)).extracting(Codec::id).containsExactly("1", "2", "3");

        assertThat(logged(Level.WARN)).isEmpty();
        assertThat(logged(Level.INFO)).containsExactly(
                "http source 'api': scan listed 3 objects on 2 pages; left out 1 item listed twice");
    }

    @Test
    void aRepeatedIdFromAnOlderPageNamesThatPageAndTheSummaryCountsEveryKindLeftOut() throws Exception {
        json("/list", "[{\"id\": \"1\", \"name\": \"a.txt\", \"url\": \"/f/a\"}]", "Link", "</list?page=2>; rel=next");
        json("/list?page=2", "[{\"id\": \"2\", \"url\": \"/f/2\"}, {\"url\": \"/f/noid\"}]", "Link", "</list?page=3>; rel=next");
        json("/list?page=3", "[{\"id\": \"1\", \"name\": \"z.txt\", \"url\": \"/f/z\"}, {\"id\": \"2\", \"url\": \"/f/2\"}]");
        Source source = source("url", url("/list"));

        assertThat(scan(source)).extracting(Codec::id).containsExactly("1", "2");

        assertThat(logged(Level.WARN)).filteredOn(m -> m.contains("has id '1'")).singleElement().asString()
                .contains("item 0 of page " + url("/list?page=3") + " (name 'z.txt'")
                .contains("like an item of page " + url("/list") + " listed earlier");
        assertThat(logged(Level.WARN)).last().isEqualTo("http source 'api': scan listed 2 objects on 3 pages; left "
                + "out 1 item that repeats the id of another object, 1 item listed twice, 1 item without an id or a URL "
                + "(see the warnings above)");
    }

    @Test
    void aCleanScanLogsItsCountAtDebugOnly() throws Exception {
        json("/list", "[{\"id\": \"1\", \"url\": \"/f/1\"}]");
        Source source = source("url", url("/list"));

        scan(source);

        assertThat(logs.list).extracting(ILoggingEvent::getLevel).containsOnly(Level.DEBUG);
        assertThat(logged(Level.DEBUG)).containsExactly("http source 'api': scan listed 1 object on 1 page");
    }
}
