package dev.ingest.cli;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The web console: static HTML, CSS and JavaScript modules, resources of the jar under {@code dev/ingest/cli/ui/},
 * served at {@code /ui/} on the operations port. No build step, no CDN: it works air-gapped. The console reads and
 * changes everything through the public REST API ({@code /v1}), with the API's bearer token.
 */
final class ConsoleAssets {

    /** Where the assets are, as resources. */
    private static final String ROOT = "/dev/ingest/cli/ui/";
    /** The only file names served: flat, no traversal. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]*");
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml",
            "png", "image/png",
            "json", "application/json");
    /** Only the page's own scripts, styles and API calls. */
    private static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    private ConsoleAssets() {
    }

    /** Serves one request under {@code /ui}. */
    static void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod().toUpperCase(Locale.ROOT);
            if (!method.equals("GET") && !method.equals("HEAD")) {
                ex.getResponseHeaders().set("Allow", "GET, HEAD");
                text(ex, 405, "method " + method + " not allowed on the console's files\n");
                return;
            }
            String path = ex.getRequestURI().getRawPath();
            if (path.equals("/ui")) {
                ex.getResponseHeaders().set("Location", "/ui/");
                ex.sendResponseHeaders(308, -1);
                return;
            }
            if (!path.startsWith("/ui/")) {
                text(ex, 404, "not found: " + path + " (the console is at /ui/)\n");
                return;
            }
            String name = path.equals("/ui/") ? "index.html" : path.substring("/ui/".length());
            int dot = name.lastIndexOf('.');
            String type = dot < 0 ? null : TYPES.get(name.substring(dot + 1));
            InputStream in = NAME.matcher(name).matches() && !name.contains("..") && type != null
                    ? ConsoleAssets.class.getResourceAsStream(ROOT + name) : null;
            if (in == null) {
                text(ex, 404, "no console file " + path + " (the console is at /ui/)\n");
                return;
            }
            byte[] bytes;
            try (in) {
                bytes = in.readAllBytes();
            }
            ex.getResponseHeaders().set("Content-Type", type);
            ex.getResponseHeaders().set("Cache-Control", "no-cache");
            ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
            ex.getResponseHeaders().set("Referrer-Policy", "no-referrer");
            if (type.startsWith("text/html")) {
                ex.getResponseHeaders().set("Content-Security-Policy", CSP);
            }
            boolean head = method.equals("HEAD");
            ex.sendResponseHeaders(200, head ? -1 : bytes.length);
            if (!head) {
                ex.getResponseBody().write(bytes);
            }
        }
    }

    private static void text(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }
}
