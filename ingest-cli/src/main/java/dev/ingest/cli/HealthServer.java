package dev.ingest.cli;

import com.sun.net.httpserver.HttpExchange;
import dev.ingest.core.metrics.IngestMetrics;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The operations endpoint on {@code --listen}: {@code /live} (the process is up), {@code /ready} (connected to
 * NATS and plugins configured; 503 otherwise), {@code /metrics} (Prometheus text format), the web console under
 * {@code /ui/} ({@link ConsoleAssets}) and, in a service, the REST API under {@code /v1} ({@link ApiServer}).
 */
final class HealthServer implements AutoCloseable {

    private final HttpServer server;

    private HealthServer(HttpServer server) {
        this.server = server;
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
        // Several threads: an event stream (/v1/events) holds one for as long as its client listens.
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "ingest-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/live", ex -> respond(ex, 200, "ok\n"));
        server.createContext("/ready", ex -> {
            boolean ok = ready.getAsBoolean();
            respond(ex, ok ? 200 : 503, ok ? "ready\n" : "not ready\n");
        });
        server.createContext("/metrics", ex -> {
            ex.getResponseHeaders().set("Content-Type", IngestMetrics.contentType());
            ex.sendResponseHeaders(200, 0);
            try (OutputStream out = ex.getResponseBody()) {
                metrics.writeTo(out);
            }
        });
        // The web console (/ui/, on the API) and GET / linking to it.
        server.createContext("/ui", ConsoleAssets::handle);
        server.createContext("/", ConsoleAssets::root);
        server.start();
        return new HealthServer(server);
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

    private static void respond(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
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
        server.createContext("/v1", api::handle);
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
