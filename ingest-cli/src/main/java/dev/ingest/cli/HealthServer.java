package dev.ingest.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.ingest.core.metrics.IngestMetrics;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The operations endpoint on {@code --listen}: {@code /live} (the process is up), {@code /ready} (connected to
 * NATS and plugins configured; 503 otherwise), {@code /metrics} (Prometheus text format), the web console under
 * {@code /ui/} ({@link ConsoleAssets}), in a service the REST API under {@code /v1} ({@link ApiServer}), and
 * {@code /}, which lists every endpoint registered with {@link #route} (so that routes added later show up there
 * too): JSON, or an HTML page of links for a browser.
 *
 * <p>Every handler answers {@code HEAD} as {@code GET} without a body: the JDK's server otherwise logs a warning on
 * standard error for a {@code HEAD} answered with a body length.
 */
final class HealthServer implements AutoCloseable {

    private final HttpServer server;
    private final Map<String, String> routes = new ConcurrentSkipListMap<>();

    private HealthServer(HttpServer server) {
        this.server = server;
    }

    /**
     * Serves a path (and everything under it, as the JDK's server matches prefixes) and lists it at {@code /}.
     *
     * @param path the path, starting with {@code /}
     * @param description what it answers, one line
     * @param handler the handler
     */
    void route(String path, String description, HttpHandler handler) {
        server.createContext(path, handler);
        routes.put(path, description);
    }

    /** @return the registered paths and what each answers, in path order */
    Map<String, String> routes() {
        return java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(routes));
    }

    /**
     * @param listen {@code HOST:PORT}, {@code :PORT} (all interfaces) or {@code HOST:0} (a free port)
     * @param ready whether the process is ready
     * @param metrics what {@code /metrics} serves
     * @return the started server
     * @throws IOException if the address cannot be bound
     */
    static HealthServer start(String listen, BooleanSupplier ready, IngestMetrics metrics) throws IOException {
        InetSocketAddress address = parse(listen);
        HttpServer server = HttpServer.create(address, 0);
        // A thread per connection: an event stream (/v1/events) holds one for as long as its client listens, and a
        // slow query (/v1/destinations/{name}/query) must not hold up /ready and /metrics.
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "ingest-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }));
        HealthServer health = new HealthServer(server);
        health.route("/live", "200 while the process runs", ex -> respond(ex, 200, "ok\n"));
        health.route("/ready", "200 when connected to NATS and every workflow is set up; 503 otherwise", ex -> {
            boolean ok = ready.getAsBoolean();
            respond(ex, ok ? 200 : 503, ok ? "ready\n" : "not ready\n");
        });
        health.route("/metrics", "Prometheus text format", ex -> {
            ex.getResponseHeaders().set("Content-Type", IngestMetrics.contentType());
            if (head(ex)) {
                ex.sendResponseHeaders(200, -1);
                ex.close();
                return;
            }
            ex.sendResponseHeaders(200, 0);
            try (OutputStream out = ex.getResponseBody()) {
                metrics.writeTo(out);
            }
        });
        health.route("/ui", "the web console (on the REST API)", ConsoleAssets::handle);
        server.createContext("/", health::index);
        server.start();
        return health;
    }

    /** {@code /}: the registered endpoints as JSON; any other unregistered path: 404. */
    private void index(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        if (path.startsWith("/v1")) {
            // Before ApiServer took /v1 over: a service still connecting to NATS, or a --once run.
            respond(ex, 404, "no REST API here (yet): a service serves /v1 once it has reached NATS; --once runs have "
                    + "none\n");
            return;
        }
        if (!path.equals("/")) {
            respond(ex, 404, "not found; GET / lists the endpoints\n");
            return;
        }
        String accept = ex.getRequestHeaders().getFirst("Accept");
        if (accept != null && accept.contains("text/html")) { // a browser: links, the console first
            StringBuilder html = new StringBuilder("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                    + "<title>ingest</title></head><body><h1>ingest</h1><ul>"
                    + "<li><a href=\"/ui/\">/ui/</a>: the web console</li>");
            routes.forEach((p, description) -> {
                if (!p.equals("/ui")) {
                    html.append("<li><a href=\"").append(p).append("\">").append(p).append("</a>: ")
                            .append(description.replace("&", "&amp;").replace("<", "&lt;")).append("</li>");
                }
            });
            html.append("</ul></body></html>\n");
            ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            send(ex, 200, html.toString().getBytes(StandardCharsets.UTF_8));
            return;
        }
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var doc = mapper.createObjectNode();
        var list = doc.putArray("endpoints");
        routes.forEach((p, description) -> list.addObject().put("path", p).put("description", description));
        byte[] bytes = (mapper.writeValueAsString(doc) + "\n").getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        send(ex, 200, bytes);
    }

    private static boolean head(HttpExchange ex) {
        return "HEAD".equalsIgnoreCase(ex.getRequestMethod());
    }

    static InetSocketAddress parse(String listen) {
        int colon = listen.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("--listen must be HOST:PORT or :PORT, got '" + listen + "'");
        }
        String host = listen.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(listen.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--listen port must be a number, got '" + listen + "'");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--listen port must be 0-65535, got " + port);
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    }

    /**
     * Answers with a plain-text body ({@code HEAD}: the headers only).
     *
     * @param ex the exchange
     * @param status the status
     * @param body the body
     * @throws IOException if the client went away
     */
    static void respond(HttpExchange ex, int status, String body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        send(ex, status, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange ex, int status, byte[] bytes) throws IOException {
        if (head(ex)) {
            ex.getResponseHeaders().set("Content-Length", Integer.toString(bytes.length));
            ex.sendResponseHeaders(status, -1);
            ex.close();
            return;
        }
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    /**
     * Serves the REST API under {@code /v1} from now on.
     *
     * @param api the API
     */
    void api(ApiServer api) {
        route("/v1", "the REST API: workflows, sources, destinations, runs, dead letters, events (/v1/openapi.json)",
                api::handle);
    }

    /** @return the bound port (useful with port 0) */
    int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
