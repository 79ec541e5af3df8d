package dev.ingest.plugin.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * A tiny object store over HTTP on loopback (the JDK's {@link HttpServer}), to back the contract suites with a
 * real server:
 *
 * <ul>
 *   <li>{@code GET /list[?after=NAME]}: a page of at most {@link #PAGE_SIZE} objects in name order,
 *       {@code {"items": [{"id", "name", "url", "etag", "size"}...], "next": "/list?after=..."}}; {@code next} is
 *       absent on the last page. {@code url} is relative ({@code /objects/a%20b.txt}); {@code id} is assigned
 *       when a name is first stored and kept when it is rewritten; {@code etag} is the SHA-256 of the content.</li>
 *   <li>{@code GET /objects/{name}}: the content, with {@code Content-Length} and {@code ETag}; 404 if absent.</li>
 *   <li>{@code HEAD /objects/{name}}: the same headers without the body.</li>
 *   <li>{@code PUT /objects/{name}}: stores the request body (fixed length or chunked), streamed to a file; the
 *       object becomes visible only once the whole body has arrived, so an upload that breaks off leaves the
 *       previous object (or none) in place. 201 when created, 204 when replaced.</li>
 *   <li>{@code DELETE /objects/{name}}: 204, or 404 if absent.</li>
 * </ul>
 *
 * <p>{@code {name}} is percent-encoded one path segment at a time; the server decodes each segment, so names
 * with spaces, Unicode and {@code /} round-trip. Contents live in files under a directory, never in memory: the
 * suites measure the heap of this JVM while 64 MiB objects stream through it. The test code reaches the same
 * store behind the plugin's back with {@link #put}, {@link #delete}, {@link #exists} and {@link #open}.
 */
final class ObjectStoreServer implements AutoCloseable {

    /** Objects per listing page: small, so that the suites' listings span several pages. */
    static final int PAGE_SIZE = 10;

    private static final String OBJECTS = "/objects/";
    private static final int BUFFER = 64 * 1024;

    /** What is stored under a name: an immutable file written once. */
    private record Stored(String id, Path file, long size, String etag) {
    }

    private final Path dir;
    private final HttpServer server;
    private final ExecutorService executor;
    private final ConcurrentSkipListMap<String, Stored> objects = new ConcurrentSkipListMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicLong files = new AtomicLong();
    private final ObjectMapper mapper = new ObjectMapper();

    private ObjectStoreServer(Path dir) throws IOException {
        this.dir = dir;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "object-store-server");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor); // concurrent requests: the suites download and store in parallel
        server.createContext("/", this::handle);
    }

    /**
     * Starts a server whose objects live in files under {@code dir}.
     *
     * @param dir an empty directory, owned by the server
     * @return the running server
     * @throws IOException if it cannot listen
     */
    static ObjectStoreServer start(Path dir) throws IOException {
        ObjectStoreServer s = new ObjectStoreServer(dir);
        s.server.start();
        return s;
    }

    /** @return {@code http://127.0.0.1:PORT} */
    String baseUrl() {
        return "http://" + server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort();
    }

    /** @return the first page of the listing */
    String listUrl() {
        return baseUrl() + "/list";
    }

    /** @return the URL template of an object, with {@code {name}} */
    String objectUrlTemplate() {
        return baseUrl() + OBJECTS + "{name}";
    }

    // -------------------------------------------------------------------------------------------------------------
    // The store, as the test code reaches it

    /**
     * Stores an object, streaming its content to a file, and makes it visible once complete.
     *
     * @param name the object's name
     * @param content its content, read to its end (not closed)
     * @param expectedLength how many bytes {@code content} must yield, or -1 when unknown
     * @return true if the name was new
     * @throws IOException if the content cannot be read or written, or is not {@code expectedLength} long; then
     *     nothing changes
     */
    boolean put(String name, InputStream content, long expectedLength) throws IOException {
        Path file = dir.resolve("object-" + files.incrementAndGet());
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        long size = 0;
        try (OutputStream out = new DigestOutputStream(Files.newOutputStream(file), sha)) {
            byte[] buffer = new byte[BUFFER];
            int n;
            while ((n = content.read(buffer)) != -1) {
                out.write(buffer, 0, n);
                size += n;
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
        if (expectedLength >= 0 && size != expectedLength) {
            Files.deleteIfExists(file);
            throw new IOException("received " + size + " of " + expectedLength + " bytes");
        }
        String etag = HexFormat.of().formatHex(sha.digest());
        long length = size;
        Stored[] previous = new Stored[1];
        objects.compute(name, (k, old) -> {
            previous[0] = old;
            String id = old != null ? old.id() : Long.toString(ids.incrementAndGet());
            return new Stored(id, file, length, etag);
        });
        if (previous[0] != null) {
            // A download already under way keeps reading the unlinked file.
            Files.deleteIfExists(previous[0].file());
        }
        return previous[0] == null;
    }

    /**
     * Deletes an object.
     *
     * @param name its name
     * @return true if it was there
     * @throws IOException if its file cannot be deleted
     */
    boolean delete(String name) throws IOException {
        Stored old = objects.remove(name);
        if (old == null) {
            return false;
        }
        Files.deleteIfExists(old.file());
        return true;
    }

    /**
     * @param name an object name
     * @return whether it is stored
     */
    boolean exists(String name) {
        return objects.containsKey(name);
    }

    /**
     * Opens an object's content.
     *
     * @param name its name
     * @return the content, or empty if nothing is stored under the name
     * @throws IOException if its file cannot be opened
     */
    Optional<InputStream> open(String name) throws IOException {
        Stored s = objects.get(name);
        return s == null ? Optional.empty() : Optional.of(Files.newInputStream(s.file()));
    }

    // -------------------------------------------------------------------------------------------------------------
    // HTTP

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getRawPath();
            String method = exchange.getRequestMethod();
            if (path.equals("/list") && method.equals("GET")) {
                list(exchange);
            } else if (path.startsWith(OBJECTS) && path.length() > OBJECTS.length()) {
                String name;
                try {
                    name = decodePath(path.substring(OBJECTS.length()));
                } catch (IllegalArgumentException e) {
                    exchange.sendResponseHeaders(400, -1); // a malformed %-escape
                    return;
                }
                switch (method) {
                    case "GET", "HEAD" -> get(exchange, name, method.equals("HEAD"));
                    case "PUT" -> put(exchange, name);
                    case "DELETE" -> exchange.sendResponseHeaders(delete(name) ? 204 : 404, -1);
                    default -> {
                        exchange.getResponseHeaders().set("Allow", "GET, HEAD, PUT, DELETE");
                        exchange.sendResponseHeaders(405, -1);
                    }
                }
            } else {
                exchange.sendResponseHeaders(404, -1);
            }
        } catch (IOException | RuntimeException e) {
            // The JDK server drops exceptions silently: say what went wrong (the connection is closed anyway).
            System.err.println("object store server: " + exchange.getRequestMethod() + " "
                    + exchange.getRequestURI() + " failed: " + e);
            throw e;
        }
    }

    private void list(HttpExchange exchange) throws IOException {
        String after = queryParameter(exchange.getRequestURI().getRawQuery(), "after");
        Map<String, Stored> tail = after == null ? objects : objects.tailMap(after, false);
        List<Map.Entry<String, Stored>> page = new ArrayList<>(PAGE_SIZE + 1);
        for (Map.Entry<String, Stored> e : tail.entrySet()) {
            page.add(e);
            if (page.size() > PAGE_SIZE) {
                break;
            }
        }
        ObjectNode body = mapper.createObjectNode();
        ArrayNode items = body.putArray("items");
        for (Map.Entry<String, Stored> e : page.subList(0, Math.min(PAGE_SIZE, page.size()))) {
            items.addObject()
                    .put("id", e.getValue().id())
                    .put("name", e.getKey())
                    .put("url", OBJECTS + encodePath(e.getKey()))
                    .put("etag", e.getValue().etag())
                    .put("size", e.getValue().size());
        }
        if (page.size() > PAGE_SIZE) {
            String last = page.get(PAGE_SIZE - 1).getKey();
            body.put("next", "/list?after=" + URLEncoder.encode(last, StandardCharsets.UTF_8));
        }
        byte[] json = mapper.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, json.length);
        exchange.getResponseBody().write(json);
    }

    private void get(HttpExchange exchange, String name, boolean head) throws IOException {
        Stored s = objects.get(name);
        InputStream in = null;
        if (s != null && !head) {
            try {
                in = Files.newInputStream(s.file());
            } catch (NoSuchFileException e) {
                s = null; // replaced or deleted since it was looked up
            }
        }
        if (s == null) {
            exchange.sendResponseHeaders(404, -1);
            return;
        }
        exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
        exchange.getResponseHeaders().set("ETag", "\"" + s.etag() + "\"");
        if (head) {
            // The JDK server sends no length of its own for HEAD: set the object's.
            exchange.getResponseHeaders().set("Content-Length", Long.toString(s.size()));
            exchange.sendResponseHeaders(200, -1);
            return;
        }
        try (InputStream content = in) {
            // 0 would mean chunked to the JDK server; -1 is "no body" with Content-Length: 0.
            exchange.sendResponseHeaders(200, s.size() == 0 ? -1 : s.size());
            OutputStream out = exchange.getResponseBody();
            content.transferTo(out);
        }
    }

    private void put(HttpExchange exchange, String name) throws IOException {
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        long expected = length == null ? -1 : Long.parseLong(length.trim());
        boolean created;
        try (InputStream body = exchange.getRequestBody()) {
            created = put(name, body, expected);
        } catch (IOException e) {
            // The upload broke off: nothing was made visible. The client is most likely gone already.
            try {
                exchange.sendResponseHeaders(400, -1);
            } catch (IOException gone) {
                e.addSuppressed(gone);
            }
            return;
        }
        exchange.sendResponseHeaders(created ? 201 : 204, -1);
    }

    // -------------------------------------------------------------------------------------------------------------
    // Names in URLs

    /** Percent-encodes each {@code /}-separated segment of a name. */
    static String encodePath(String name) {
        return Arrays.stream(name.split("/", -1))
                .map(segment -> URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20"))
                .collect(Collectors.joining("/"));
    }

    /** Decodes each {@code /}-separated segment of a raw path ({@code +} is a plus sign in a path). */
    static String decodePath(String rawPath) {
        return Arrays.stream(rawPath.split("/", -1))
                .map(segment -> URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8))
                .collect(Collectors.joining("/"));
    }

    private static String queryParameter(String rawQuery, String name) {
        if (rawQuery == null) {
            return null;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            if (key.equals(name)) {
                return eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    /** Stops the server at once; the directory is left to its owner. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
