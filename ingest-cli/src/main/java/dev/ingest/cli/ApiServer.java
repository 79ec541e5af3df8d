package dev.ingest.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.ingest.core.config.ConfigLoader;
import dev.ingest.core.config.ConfigProblem;
import dev.ingest.core.config.EnvExpander;
import dev.ingest.core.control.ConfigStore.Kind;
import dev.ingest.core.control.ControlPlane;
import dev.ingest.core.metrics.IngestMetrics;
import dev.ingest.core.queue.DeadLetters;
import dev.ingest.core.queue.JetStreamQueue;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST API under {@code /v1} on the operations port: workflows, sources and destinations managed at runtime
 * (through the {@link ControlPlane}), one-time runs, dead letters, Server-Sent Events, and the OpenAPI document
 * ({@code /v1/openapi.json}, the resource {@code openapi.json} next to this class).
 *
 * <p>Authentication: with a token ({@code --api-token-file}) every call but {@code GET /v1/openapi.json} needs
 * {@code Authorization: Bearer TOKEN} (401 otherwise); without one the API is read-only and every change answers 403.
 * Errors are JSON: {@code {"error": "...", "problems": [{"path", "message"}]}}.
 */
final class ApiServer {

    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The largest body accepted. */
    private static final int MAX_BODY = 1 << 20;
    /** Runs listed by {@code GET /v1/runs} unless {@code limit} says otherwise, and the most it may ask for. */
    static final int RUNS_LISTED = 20;
    static final int RUNS_LISTED_MAX = 200;

    /** One route: a method, a path pattern, what it does. */
    record Route(String method, String template, Pattern pattern, Handler handler) {
    }

    @FunctionalInterface
    interface Handler {
        void handle(HttpExchange ex, Matcher path) throws IOException, ControlPlane.Refused;
    }

    private final ControlPlane control;
    private final JetStreamQueue queue;
    private final String token;
    private final IngestMetrics metrics;
    private final List<Route> routes = new ArrayList<>();
    private final QueryRoute queries;

    /**
     * @param control the runtime's control plane
     * @param queue the queue (status, dead letters)
     * @param token the bearer token that allows changes, or null: read-only
     */
    ApiServer(ControlPlane control, JetStreamQueue queue, String token) {
        this(control, queue, token, null, null);
    }

    /**
     * @param control the runtime's control plane
     * @param queue the queue (status, dead letters)
     * @param token the bearer token that allows changes, or null: read-only
     * @param metrics this process's counters (what a workflow copied here: {@code copiedHere}), or null
     * @param queries answers {@code POST /v1/destinations/{name}/query}; null: every query gets 404
     */
    ApiServer(ControlPlane control, JetStreamQueue queue, String token, IngestMetrics metrics, QueryRoute queries) {
        this.control = control;
        this.queue = queue;
        this.metrics = metrics;
        this.token = token == null || token.isBlank() ? null : token.strip();
        this.queries = queries;
        route("GET", "/v1/openapi.json", (ex, m) -> openApi(ex));
        route("GET", "/v1/workflows", (ex, m) -> listWorkflows(ex));
        route("GET", "/v1/workflows/{name}", (ex, m) -> getWorkflow(ex, m.group(1)));
        route("PUT", "/v1/workflows/{name}", (ex, m) -> put(ex, Kind.WORKFLOW, m.group(1)));
        route("DELETE", "/v1/workflows/{name}", (ex, m) -> delete(ex, Kind.WORKFLOW, m.group(1)));
        route("POST", "/v1/workflows/{name}/pause", (ex, m) -> {
            control.pause(m.group(1));
            getWorkflow(ex, m.group(1));
        });
        route("POST", "/v1/workflows/{name}/resume", (ex, m) -> {
            control.resume(m.group(1));
            getWorkflow(ex, m.group(1));
        });
        route("POST", "/v1/workflows/{name}/runs", (ex, m) -> {
            ControlPlane.RunTracker run = control.startRun(m.group(1));
            ex.getResponseHeaders().set("Location", "/v1/runs/" + run.id());
            send(ex, 202, JSON.valueToTree(run.toMap()));
        });
        route("GET", "/v1/runs", (ex, m) -> listRuns(ex));
        route("GET", "/v1/runs/{id}", (ex, m) -> send(ex, 200, JSON.valueToTree(control.run(m.group(1))
                .orElseThrow(() -> new ControlPlane.Refused(404, "no run '" + m.group(1) + "' (runs are kept by the "
                        + "process that started them, until it stops)", List.of())).toMap())));
        route("GET", "/v1/workflows/{name}/dead-letters", (ex, m) -> deadLetters(ex, m.group(1)));
        route("POST", "/v1/workflows/{name}/dead-letters/replay", (ex, m) -> replay(ex, m.group(1)));
        route("DELETE", "/v1/workflows/{name}/dead-letters/{seq}", (ex, m) -> deleteLetter(ex, m.group(1), m.group(2)));
        for (Kind kind : List.of(Kind.SOURCE, Kind.DESTINATION)) {
            String base = "/v1/" + kind.plural();
            route("GET", base, (ex, m) -> {
                ArrayNode a = JSON.createArrayNode();
                control.entries(kind).forEach(e -> a.add(entryJson(e)));
                send(ex, 200, JSON.createObjectNode().set(kind.plural(), a));
            });
            route("GET", base + "/{name}", (ex, m) -> send(ex, 200, entryJson(control.entry(kind, m.group(1))
                    .orElseThrow(() -> notFound(kind, m.group(1))))));
            route("PUT", base + "/{name}", (ex, m) -> put(ex, kind, m.group(1)));
            route("DELETE", base + "/{name}", (ex, m) -> delete(ex, kind, m.group(1)));
        }
        route("POST", "/v1/destinations/{name}/query", (ex, m) -> {
            if (queries == null) {
                throw new ControlPlane.Refused(404, "no destination '" + m.group(1) + "' answers queries here",
                        List.of());
            }
            queries.handle(ex);
        });
        route("GET", "/v1/events", (ex, m) -> events(ex));
        route("GET", "/v1/plugins", (ex, m) -> plugins(ex));
    }

    /** @return every route, as {@code METHOD /template} (the OpenAPI test compares them with the document) */
    List<String> routes() {
        return routes.stream().map(r -> r.method() + " " + r.template()).toList();
    }

    private void route(String method, String template, Handler handler) {
        String regex = template.replaceAll("\\{[a-z]+\\}", "([^/]+)").replace(".", "\\.");
        routes.add(new Route(method, template, Pattern.compile(regex), handler));
    }

    /** Serves one request under {@code /v1}. */
    void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getRawPath();
            String method = ex.getRequestMethod().toUpperCase(Locale.ROOT);
            Route found = null;
            Matcher matched = null;
            boolean pathKnown = false;
            for (Route r : routes) {
                Matcher m = r.pattern().matcher(path);
                if (m.matches()) {
                    pathKnown = true;
                    if (r.method().equals(method)) {
                        found = r;
                        matched = m; // names are [A-Za-z0-9_-]+: nothing in them is percent-encoded
                        break;
                    }
                }
            }
            if (found == null) {
                error(ex, pathKnown ? 405 : 404, pathKnown ? "method " + method + " not allowed on " + path
                        : "no such endpoint: " + path + " (see /v1/openapi.json)", List.of());
                return;
            }
            boolean open = found.template().equals("/v1/openapi.json");
            if (!open && token != null && !authorized(ex)) {
                ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
                error(ex, 401, "a bearer token is required (Authorization: Bearer TOKEN, the token of "
                        + "--api-token-file)", List.of());
                return;
            }
            boolean changes = !method.equals("GET") && !found.template().endsWith("/query"); // a query changes nothing
            if (changes && token == null) {
                error(ex, 403, "the API is read-only: start ingest with --api-token-file to allow changes, and send "
                        + "that token as Authorization: Bearer TOKEN", List.of());
                return;
            }
            try {
                found.handler().handle(ex, matched);
            } catch (ControlPlane.Refused r) {
                error(ex, r.status(), r.getMessage(), r.problems());
            } catch (BadRequest b) {
                error(ex, 400, b.getMessage(), List.of());
            } catch (IOException | RuntimeException e) {
                LOG.error("API {} {} failed", method, path, e);
                error(ex, 500, e.getMessage() == null ? e.toString() : e.getMessage(), List.of());
            }
        }
    }

    private boolean authorized(HttpExchange ex) {
        String h = ex.getRequestHeaders().getFirst("Authorization");
        if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(h.substring(7).strip().getBytes(StandardCharsets.UTF_8),
                token.getBytes(StandardCharsets.UTF_8));
    }

    // ---------------------------------------------------------------- handlers

    private void openApi(HttpExchange ex) throws IOException {
        try (InputStream in = ApiServer.class.getResourceAsStream("openapi.json")) {
            byte[] doc = in.readAllBytes();
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, doc.length);
            ex.getResponseBody().write(doc);
        }
    }

    private void listWorkflows(HttpExchange ex) throws IOException {
        ArrayNode a = JSON.createArrayNode();
        Map<String, Long> counts = counts();
        for (ControlPlane.WorkflowView w : control.workflows()) {
            a.add(workflowJson(w, counts));
        }
        send(ex, 200, JSON.createObjectNode().set("workflows", a));
    }

    /** {@code GET /v1/runs[?workflow=NAME][&limit=N]}: the runs this process remembers, newest first. */
    private void listRuns(HttpExchange ex) throws IOException, ControlPlane.Refused {
        Map<String, String> query = query(ex);
        String workflow = query.get("workflow");
        int limit = RUNS_LISTED;
        if (query.containsKey("limit")) {
            try {
                limit = Integer.parseInt(query.get("limit"));
            } catch (NumberFormatException e) {
                limit = 0;
            }
            if (limit < 1 || limit > RUNS_LISTED_MAX) {
                throw new ControlPlane.Refused(400, "limit must be a number from 1 to " + RUNS_LISTED_MAX + ", not '"
                        + query.get("limit") + "'", List.of(new ConfigProblem("limit", 0, "must be 1 to "
                        + RUNS_LISTED_MAX)));
            }
        }
        ArrayNode a = JSON.createArrayNode();
        control.runs(workflow, limit).forEach(r -> a.add(JSON.valueToTree(r.toMap())));
        send(ex, 200, JSON.createObjectNode().set("runs", a));
    }

    /** @return the query string's parameters, decoded (the last of a repeated name wins) */
    private static Map<String, String> query(HttpExchange ex) {
        Map<String, String> out = new LinkedHashMap<>();
        String raw = ex.getRequestURI().getRawQuery();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.put(k, v);
        }
        return out;
    }

    private void getWorkflow(HttpExchange ex, String name) throws IOException, ControlPlane.Refused {
        ControlPlane.WorkflowView w = control.workflow(name).orElseThrow(() -> notFound(Kind.WORKFLOW, name));
        send(ex, 200, workflowJson(w, counts()));
    }

    private Map<String, Long> counts() {
        try {
            return queue.subjectCounts();
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
    }

    private ObjectNode workflowJson(ControlPlane.WorkflowView w, Map<String, Long> counts) {
        ObjectNode n = JSON.createObjectNode();
        n.put("name", w.name());
        n.put("origin", w.origin());
        n.put("state", w.state().name().toLowerCase(Locale.ROOT));
        n.put("reason", w.reason());
        n.set("definition", JSON.valueToTree(w.definition()));
        ObjectNode status = null;
        String statusError = null;
        try {
            status = StatusCommand.statusOf(JSON, queue, new DeadLetters(queue), counts, w.name());
            status.remove("workflow");
        } catch (IOException | RuntimeException e) {
            statusError = e.getMessage();
        }
        // What every process copied, as each last added its own to the workflow's status document (every 5 s); and
        // what this one copied since it started (as its ingest_objects_copied_total and ingest_bytes_copied_total).
        n.set("copied", status == null ? null : status.remove("copied"));
        n.putObject("copiedHere").put("objects", metrics.objectsCopied(w.name()))
                .put("bytes", metrics.bytesCopied(w.name()));
        n.set("status", status);
        if (statusError != null) {
            n.put("statusError", statusError);
        }
        return n;
    }

    private static ObjectNode entryJson(ControlPlane.EntryView e) {
        ObjectNode n = JSON.createObjectNode();
        n.put("name", e.name());
        n.put("origin", e.origin());
        n.set("definition", JSON.valueToTree(e.definition()));
        n.set("usedBy", JSON.valueToTree(e.usedBy()));
        return n;
    }

    private void put(HttpExchange ex, Kind kind, String name) throws IOException, ControlPlane.Refused {
        Object body = body(ex);
        ControlPlane.Applied applied = control.apply(kind, name, body);
        ObjectNode answer = kind == Kind.WORKFLOW
                ? workflowJson(control.workflow(name).orElseThrow(() -> notFound(kind, name)), counts())
                : entryJson(control.entry(kind, name).orElseThrow(() -> notFound(kind, name)));
        answer.set("warnings", JSON.valueToTree(applied.warnings()));
        send(ex, applied.created() ? 201 : 200, answer);
    }

    private void delete(HttpExchange ex, Kind kind, String name) throws IOException, ControlPlane.Refused {
        control.delete(kind, name);
        ex.sendResponseHeaders(204, -1);
    }

    private void plugins(HttpExchange ex) throws IOException {
        ArrayNode a = JSON.createArrayNode();
        for (ControlPlane.PluginView p : control.plugins()) {
            ObjectNode n = a.addObject();
            n.put("type", p.type());
            n.put("version", p.version());
            ArrayNode roles = n.putArray("roles");
            ObjectNode keys = n.putObject("keys");
            p.keys().forEach((role, list) -> {
                roles.add(role);
                ArrayNode k = keys.putArray(role);
                list.forEach(key -> k.addObject().put("name", key.name()).put("required", key.required())
                        .put("secret", key.secret()).put("description", key.description()));
            });
        }
        send(ex, 200, JSON.createObjectNode().set("plugins", a));
    }

    private void deadLetters(HttpExchange ex, String workflow) throws IOException, ControlPlane.Refused {
        control.workflow(workflow).orElseThrow(() -> notFound(Kind.WORKFLOW, workflow));
        DeadLetters.Listing listing = new DeadLetters(queue).list(workflow);
        ArrayNode a = JSON.createArrayNode();
        listing.letters().forEach(l -> a.add(DlqCommand.letterJson(JSON, l)));
        ObjectNode n = JSON.createObjectNode();
        n.set("deadLetters", a);
        n.put("unreadable", listing.unreadable());
        send(ex, 200, n);
    }

    private void replay(HttpExchange ex, String workflow) throws IOException, ControlPlane.Refused {
        control.workflow(workflow).orElseThrow(() -> notFound(Kind.WORKFLOW, workflow));
        Object body = body(ex);
        DeadLetters dead = new DeadLetters(queue);
        List<Long> sequences = new ArrayList<>();
        if (body instanceof Map<?, ?> m && m.get("sequences") instanceof List<?> l) {
            for (Object o : l) {
                if (!(o instanceof Number num)) {
                    throw new ControlPlane.Refused(400, "sequences must be numbers",
                            List.of(new ConfigProblem("sequences", 0, "must be a list of numbers")));
                }
                sequences.add(num.longValue());
            }
        } else if (body != null && !(body instanceof Map<?, ?> m2 && m2.isEmpty())) {
            throw new ControlPlane.Refused(400, "the body is empty (replay every dead letter) or {\"sequences\": [...]}",
                    List.of(new ConfigProblem("sequences", 0, "must be a list of numbers")));
        }
        if (sequences.isEmpty()) {
            dead.list(workflow).letters().forEach(l -> sequences.add(l.sequence()));
        }
        int replayed = dead.replay(workflow, sequences, l -> { });
        send(ex, 200, JSON.createObjectNode().put("replayed", replayed));
    }

    private void deleteLetter(HttpExchange ex, String workflow, String seq) throws IOException, ControlPlane.Refused {
        long sequence;
        try {
            sequence = Long.parseLong(seq);
        } catch (NumberFormatException e) {
            throw new ControlPlane.Refused(400, "not a sequence number: " + seq, List.of());
        }
        int deleted = new DeadLetters(queue).delete(workflow, List.of(sequence), l -> { });
        if (deleted == 0) {
            throw new ControlPlane.Refused(404, "workflow " + workflow + " has no dead letter #" + sequence, List.of());
        }
        ex.sendResponseHeaders(204, -1);
    }

    /** Server-Sent Events until the client goes away (or the process stops). */
    private void events(HttpExchange ex) throws IOException {
        BlockingQueue<Map<String, Object>> pending = new ArrayBlockingQueue<>(1024);
        AutoCloseable subscription = control.subscribe(e -> {
            if (!pending.offer(e)) {
                LOG.warn("an event stream client is too slow; an event was not sent to it");
            }
        });
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        try {
            out.write(": ingest events\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            while (true) {
                Map<String, Object> e = pending.poll(15, TimeUnit.SECONDS);
                String frame = e == null ? ": keep-alive\n\n"
                        : "event: " + e.get("type") + "\ndata: " + JSON.writeValueAsString(e) + "\n\n";
                out.write(frame.getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // the client went away, or the process stops
        } finally {
            try {
                subscription.close();
            } catch (Exception e) {
                // nothing to release
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    /** A request the API cannot read. */
    static final class BadRequest extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BadRequest(String message) {
            super(message);
        }
    }

    /** @return the body as JSON or YAML in Java form; null when it is empty */
    private static Object body(HttpExchange ex) throws IOException {
        byte[] bytes = ex.getRequestBody().readNBytes(MAX_BODY + 1);
        if (bytes.length > MAX_BODY) {
            throw new BadRequest("the body is larger than " + MAX_BODY + " bytes");
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (text.isBlank()) {
            return null;
        }
        try {
            // JSON is YAML: one reader for both, with the line of what is malformed.
            return ConfigLoader.create(EnvExpander.of(Map.of())).document(text, "the request body");
        } catch (IllegalArgumentException e) {
            throw new BadRequest("the body is neither JSON nor YAML: " + e.getMessage());
        }
    }

    private static ControlPlane.Refused notFound(Kind kind, String name) {
        return new ControlPlane.Refused(404, "no " + kind.prefix() + " '" + URLDecoder.decode(name,
                StandardCharsets.UTF_8) + "'", List.of());
    }

    private static void send(HttpExchange ex, int status, Object json) throws IOException {
        byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    private static void error(HttpExchange ex, int status, String message, List<ConfigProblem> problems)
            throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", message);
        List<Map<String, Object>> list = new ArrayList<>();
        for (ConfigProblem p : problems) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("path", p.path());
            m.put("message", p.message());
            list.add(m);
        }
        body.put("problems", list);
        send(ex, status, body);
    }
}
