package dev.ingest.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.ingest.api.Destination;
import dev.ingest.api.Query;
import dev.ingest.api.QueryPage;
import dev.ingest.api.Queryable;
import dev.ingest.core.plugin.Configured;
import dev.ingest.core.query.QueryJson;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/destinations/{name}/query} on the operations port: a filter query (see {@link QueryJson}) answered
 * by a destination that can ({@link Destination#queries()}). 200 with the page; 400 naming the field for a malformed
 * query; 404 for an unknown destination; 405 for another method; 413 for a body over 1 MiB; 422 for a destination
 * that cannot answer queries; 503 (with {@code Retry-After}) when its store cannot be reached. Served by
 * {@link ApiServer}, with its authentication; a query changes nothing, so a read-only API answers it too.
 */
final class QueryRoute implements HttpHandler {

    private static final Logger LOG = LoggerFactory.getLogger(QueryRoute.class);
    /** The prefix the route is registered under. */
    static final String PREFIX = "/v1/destinations/";
    private static final Pattern PATH = Pattern.compile("/v1/destinations/([^/]+)/query");
    private static final int MAX_BODY = 1 << 20;

    private final Function<String, Optional<Destination>> destinations;

    QueryRoute(Function<String, Optional<Destination>> destinations) {
        this.destinations = destinations;
    }

    /**
     * @return the route for the destinations of a configuration file, and those of workflows created through the
     *     control plane that run in this process
     */
    static QueryRoute of(Configured configured, dev.ingest.core.control.ControlPlane control) {
        return new QueryRoute(name -> {
            try {
                return Optional.of(configured.destination(name));
            } catch (IllegalArgumentException e) {
                return control == null ? Optional.empty() : control.destination(name);
            }
        });
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (ex) {
            Matcher m = PATH.matcher(ex.getRequestURI().getRawPath());
            if (!m.matches()) {
                answer(ex, 404, error("no such path: " + ex.getRequestURI().getPath()));
                return;
            }
            if (!"POST".equals(ex.getRequestMethod())) {
                ex.getResponseHeaders().set("Allow", "POST");
                answer(ex, 405, error("use POST"));
                return;
            }
            String name = URLDecoder.decode(m.group(1), StandardCharsets.UTF_8);
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readNBytes(MAX_BODY + 1);
            }
            if (body.length > MAX_BODY) {
                answer(ex, 413, error("the query is larger than 1 MiB"));
                return;
            }
            Optional<Destination> destination = destinations.apply(name);
            if (destination.isEmpty()) {
                answer(ex, 404, error("no destination named '" + name + "' is configured"));
                return;
            }
            Optional<Queryable> queries = destination.get().queries();
            if (queries.isEmpty()) {
                answer(ex, 422, error("destination '" + name + "' (" + destination.get() + ") cannot answer queries"));
                return;
            }
            QueryPage page;
            try {
                Query query = QueryJson.parse(body);
                page = queries.get().query(query);
            } catch (IllegalArgumentException e) {
                answer(ex, 400, error(e.getMessage()));
                return;
            } catch (IOException e) {
                LOG.warn("query of destination {} failed: {}", name, e.getMessage());
                ex.getResponseHeaders().set("Retry-After", "5");
                answer(ex, 503, error(e.getMessage()));
                return;
            }
            answer(ex, 200, QueryJson.answer(page));
        }
    }

    private static byte[] error(String message) {
        StringBuilder b = new StringBuilder("{\"error\":\"");
        com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(message, b);
        return b.append("\"}").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void answer(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }
}
