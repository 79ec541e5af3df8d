package dev.ingest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ingest.core.metrics.IngestMetrics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** The operations port serves the console's files from the jar at /ui/, with their content types, and / links to it. */
class ConsoleAssetsTest {

    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theConsoleIsServedFromTheJarWithContentTypes() throws Exception {
        try (HealthServer health = HealthServer.start("127.0.0.1:0", () -> true, IngestMetrics.withoutJvm())) {
            int port = health.port();
            HttpResponse<String> index = get(port, "/ui/");
            assertThat(index.statusCode()).isEqualTo(200);
            assertThat(index.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
            assertThat(index.headers().firstValue("Content-Security-Policy").orElseThrow()).contains("default-src 'self'");
            assertThat(index.body()).contains("<script type=\"module\" src=\"app.js\">").contains("id=\"token\"");
            HttpResponse<String> app = get(port, "/ui/app.js");
            assertThat(app.statusCode()).isEqualTo(200);
            assertThat(app.headers().firstValue("Content-Type")).hasValue("text/javascript; charset=utf-8");
            assertThat(app.body()).contains("import").contains("/v1/workflows");
            assertThat(get(port, "/ui/api.js").headers().firstValue("Content-Type"))
                    .hasValue("text/javascript; charset=utf-8");
            assertThat(get(port, "/ui/style.css").headers().firstValue("Content-Type")).hasValue("text/css; charset=utf-8");
            // No CDN, no other host: every asset is the jar's.
            for (String f : new String[] {"/ui/", "/ui/app.js", "/ui/api.js", "/ui/style.css"}) {
                assertThat(get(port, f).body()).as(f).doesNotContainPattern("(?i)(https?:)?//[a-z0-9.-]+\\.[a-z]{2,}/");
            }
            assertThat(get(port, "/ui").statusCode()).isEqualTo(308);
            assertThat(get(port, "/ui").headers().firstValue("Location")).hasValue("/ui/");
        }
    }

    @Test
    void onlyTheConsolesOwnFilesAreServed() throws Exception {
        try (HealthServer health = HealthServer.start("127.0.0.1:0", () -> true, IngestMetrics.withoutJvm())) {
            int port = health.port();
            assertThat(get(port, "/ui/missing.js").statusCode()).isEqualTo(404);
            assertThat(get(port, "/ui/../openapi.json").statusCode()).isEqualTo(404);
            assertThat(get(port, "/ui/%2e%2e/openapi.json").statusCode()).isEqualTo(404);
            assertThat(get(port, "/ui/..%2fopenapi.json").statusCode()).isEqualTo(404);
            assertThat(get(port, "/uiapp.js").statusCode()).isEqualTo(404);
            assertThat(get(port, "/elsewhere").statusCode()).isEqualTo(404);
            HttpResponse<String> api = get(port, "/v1/workflows"); // no ApiServer yet
            assertThat(api.statusCode()).isEqualTo(404);
            assertThat(api.body()).contains("once it has reached NATS");
            HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ui/"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(405);
        }
    }

    @Test
    void theRootLinksToTheConsole() throws Exception {
        try (HealthServer health = HealthServer.start("127.0.0.1:0", () -> true, IngestMetrics.withoutJvm())) {
            HttpResponse<String> root = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + health.port()
                    + "/")).header("Accept", "text/html,application/xhtml+xml").build(),
                    HttpResponse.BodyHandlers.ofString()); // what a browser asks for
            assertThat(root.statusCode()).isEqualTo(200);
            assertThat(root.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
            assertThat(root.body()).contains("<a href=\"/ui/\">");
            // The other endpoints are unchanged.
            assertThat(get(health.port(), "/live").body()).isEqualTo("ok\n");
        }
    }
}
