package dev.ingest.core.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells a workflow's webhook what was stored: after each batch, a POST of the JSON array of the stored URIs
 * (the original tool's format). A failing webhook is logged; it never holds up or undoes copying.
 */
final class Webhook {

    private static final Logger LOG = LoggerFactory.getLogger(Webhook.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Duration timeout = Duration.ofSeconds(10);

    void post(String workflow, URI url, List<URI> stored) {
        if (stored.isEmpty()) {
            return;
        }
        try {
            byte[] body = MAPPER.writeValueAsBytes(stored.stream().map(URI::toString).toList());
            HttpRequest request = HttpRequest.newBuilder(url)
                    .timeout(timeout)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .build();
            HttpResponse<Void> response = client.send(request, HttpResponse.BodyHandlers.discarding());
            if (response.statusCode() / 100 != 2) {
                LOG.warn("webhook {} of workflow {} answered {} for {} URIs", url, workflow, response.statusCode(), stored.size());
            }
        } catch (IOException e) {
            LOG.warn("webhook {} of workflow {} failed for {} URIs: {}", url, workflow, stored.size(), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
