package dev.ingest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.ingest.api.Blob;
import dev.ingest.api.Codec;
import dev.ingest.api.Destination;
import dev.ingest.api.Query;
import dev.ingest.api.QueryPage;
import dev.ingest.api.Queryable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The answers of {@code POST /v1/destinations/{name}/query}, with destinations made here: one that answers (and
 * records the query it got), one that cannot be reached, and one without the capability. The postgres destination
 * behind the same route is tested against the real PostgreSQL in LauncherPushIT.
 */
class QueryRouteTest {

    private final AtomicReference<Query> asked = new AtomicReference<>();
    private HttpServer server;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** A destination that stores nothing; only its capability matters here. */
    private abstract static class Plain implements Destination {
        @Override
        public Optional<URI> stat(Codec codec) {
            return Optional.empty();
        }

        @Override
        public URI store(Codec codec, Blob blob) {
            throw new UnsupportedOperationException();
        }
    }

    @BeforeEach
    void start() throws IOException {
        Queryable answering = q -> {
            asked.set(q);
            return new QueryPage(List.of("{\"n\":2}", "{\"n\":1}"), Optional.of("c2"));
        };
        Queryable down = q -> {
            throw new IOException("connection refused");
        };
        Queryable strict = q -> {
            throw new IllegalArgumentException("after: not a cursor of this destination");
        };
        Map<String, Destination> destinations = Map.of(
                "db", new Plain() {
                    @Override
                    public Optional<Queryable> queries() {
                        return Optional.of(answering);
                    }
                },
                "down", new Plain() {
                    @Override
                    public Optional<Queryable> queries() {
                        return Optional.of(down);
                    }
                },
                "strict", new Plain() {
                    @Override
                    public Optional<Queryable> queries() {
                        return Optional.of(strict);
                    }
                },
                "files", new Plain() {
                });
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext(QueryRoute.PREFIX, new QueryRoute(name -> Optional.ofNullable(destinations.get(name))));
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aQueryIsAnsweredWithItsPage() throws Exception {
        HttpResponse<String> r = send("POST", "/v1/destinations/db/query",
                "{\"filters\":[{\"key\":\"level\",\"value\":\"error\",\"operation\":\"equals\"}],\"match\":\"any\","
                        + "\"limit\":2}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"count\":2,\"records\":[{\"n\":2},{\"n\":1}],\"next\":\"c2\"}");
        assertThat(asked.get().any()).isTrue();
        assertThat(asked.get().limit()).isEqualTo(2);
        assertThat(asked.get().filters()).containsExactly(Query.Filter.equalTo("level", "error"));
    }

    @Test
    void everyRefusalHasItsCode() throws Exception {
        HttpResponse<String> bad = send("POST", "/v1/destinations/db/query", "{\"key\":\"a\",\"operation\":\"x\"}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("operation:");
        HttpResponse<String> destinationSaysNo = send("POST", "/v1/destinations/strict/query", "{}");
        assertThat(destinationSaysNo.statusCode()).isEqualTo(400);
        assertThat(destinationSaysNo.body()).contains("after:");
        assertThat(send("POST", "/v1/destinations/nope/query", "{}").statusCode()).isEqualTo(404);
        assertThat(send("POST", "/v1/destinations/db/other", "{}").statusCode()).isEqualTo(404);
        HttpResponse<String> get = send("GET", "/v1/destinations/db/query", null);
        assertThat(get.statusCode()).isEqualTo(405);
        assertThat(get.headers().firstValue("Allow")).hasValue("POST");
        assertThat(send("POST", "/v1/destinations/db/query", "{\"after\":\"" + "x".repeat(1 << 20) + "\"}")
                .statusCode()).isEqualTo(413);
        HttpResponse<String> files = send("POST", "/v1/destinations/files/query", "{}");
        assertThat(files.statusCode()).isEqualTo(422);
        assertThat(files.body()).contains("cannot answer queries");
        HttpResponse<String> down = send("POST", "/v1/destinations/down/query", "{}");
        assertThat(down.statusCode()).isEqualTo(503);
        assertThat(down.headers().firstValue("Retry-After")).hasValue("5");
        assertThat(down.body()).contains("connection refused");
    }
}
