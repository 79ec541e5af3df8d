package dev.ingest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The OpenAPI document names exactly the endpoints the API serves, and every operation documents its answers. */
class ApiServerTest {

    @Test
    void theOpenApiDocumentMatchesTheRoutes() throws Exception {
        JsonNode doc;
        try (InputStream in = ApiServer.class.getResourceAsStream("openapi.json")) {
            doc = new ObjectMapper().readTree(in);
        }
        assertThat(doc.path("openapi").asText()).startsWith("3.");
        Set<String> documented = new TreeSet<>();
        doc.path("paths").fields().forEachRemaining(p -> p.getValue().fields().forEachRemaining(op -> {
            documented.add(op.getKey().toUpperCase(Locale.ROOT) + " " + p.getKey());
            assertThat(op.getValue().path("responses").size()).as(op.getKey() + " " + p.getKey()).isPositive();
            assertThat(op.getValue().path("operationId").asText()).isNotEmpty();
        }));
        Set<String> served = new TreeSet<>(new ApiServer(null, null, null, null).routes());
        // Path parameters are named alike: {name}, {id}, {seq}.
        assertThat(documented).isEqualTo(served);
    }
}
