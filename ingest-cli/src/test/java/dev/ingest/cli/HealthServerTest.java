package dev.ingest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ingest.core.metrics.IngestMetrics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** The operations server: {@code /} lists what is registered, {@code HEAD} is answered without a body. */
class HealthServerTest {

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> send(int port, String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theIndexListsEveryRegisteredEndpointIncludingOnesAddedLater() throws Exception {
        try (HealthServer server = HealthServer.start("127.0.0.1:0", () -> true, IngestMetrics.create())) {
            server.route("/v1/example", "an endpoint another part registers", ex -> HealthServer.respond(ex, 200, "x"));

            HttpResponse<String> index = send(server.port(), "GET", "/");

            assertThat(index.statusCode()).isEqualTo(200);
            assertThat(index.headers().firstValue("Content-Type")).hasValue("application/json");
            JsonNode endpoints = new ObjectMapper().readTree(index.body()).get("endpoints");
            assertThat(endpoints).extracting(n -> n.get("path").asText())
                    .containsExactly("/live", "/metrics", "/ready", "/ui", "/v1/example");
            assertThat(endpoints).allSatisfy(n -> assertThat(n.get("description").asText()).isNotBlank());
            assertThat(send(server.port(), "GET", "/nothing").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void headIsAnsweredLikeGetWithoutABody() throws Exception {
        try (HealthServer server = HealthServer.start("127.0.0.1:0", () -> false, IngestMetrics.create())) {
            for (String path : new String[] {"/", "/live", "/ready", "/metrics"}) {
                HttpResponse<String> get = send(server.port(), "GET", path);
                HttpResponse<String> head = send(server.port(), "HEAD", path);

                assertThat(head.statusCode()).as(path).isEqualTo(get.statusCode());
                assertThat(head.body()).as(path).isEmpty();
                assertThat(head.headers().firstValue("Content-Type")).as(path)
                        .isEqualTo(get.headers().firstValue("Content-Type"));
            }
        }
    }
}
