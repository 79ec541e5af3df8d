package dev.ingest.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.MalformedURLException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ingest query DESTINATION}: asks a running ingest ({@code POST /v1/destinations/{name}/query} on its
 * operations port) for the records a destination stored that match the filters.
 */
@Command(name = "query", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Search the records a destination stored (one that answers queries, such as postgres), through "
                + "the operations port of a running ingest. Newest first.",
        footer = {"", "Exit codes: 0 answered; 1 the server refused the query (its message is printed); "
                + "2 bad arguments; 4 the server cannot be reached."})
final class QueryCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DESTINATION", description = "The destination's name in the configuration.")
    String destination;

    @Option(names = "--where", paramLabel = "KEY=VALUE", description = "The key's value equals VALUE (repeatable). "
            + "KEY: a field name, a JSON pointer (/a/b), or timestamp for the record's time.")
    List<String> where = new ArrayList<>();

    @Option(names = "--contains", paramLabel = "KEY=TEXT", description = "The key's value contains TEXT "
            + "(repeatable).")
    List<String> contains = new ArrayList<>();

    @Option(names = "--from", paramLabel = "TIME", description = "Records at or after TIME (RFC 3339 or epoch ms).")
    String from;

    @Option(names = "--to", paramLabel = "TIME", description = "Records at or before TIME (RFC 3339 or epoch ms).")
    String to;

    @Option(names = "--any", description = "Match records that meet any filter (default: all of them).")
    boolean any;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "100", description = "Records per page, 1 to 10000 "
            + "(default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--after", paramLabel = "CURSOR", description = "Start after this cursor (the 'next' a page "
            + "printed).")
    String after;

    @Option(names = "--json", description = "Print the server's answer as it is: {\"count\", \"records\", \"next\"}.")
    boolean json;

    @Option(names = {"--server", "--url"}, paramLabel = "URL", defaultValue = "http://127.0.0.1:9090",
            description = "The operations endpoint of the running ingest (its --listen; default: ${DEFAULT-VALUE}).")
    String url;

    @Option(names = "--api-token-file", paramLabel = "FILE",
            description = "A file holding the API's bearer token (default: the variable " + ApiClient.TOKEN_VARIABLE
                    + "); needed when the service runs with --api-token-file.")
    java.nio.file.Path tokenFile;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ObjectNode body = JSON.createObjectNode();
        ArrayNode filters = body.putArray("filters");
        try {
            for (String w : where) {
                filter(filters, "--where", w, "equals");
            }
            for (String c : contains) {
                filter(filters, "--contains", c, "contains");
            }
        } catch (IllegalArgumentException e) {
            err.println("ingest query: " + e.getMessage());
            return ExitCode.USAGE;
        }
        if (from != null || to != null) {
            ObjectNode f = filters.addObject().put("key", "timestamp").put("operation", "range");
            if (from != null) {
                f.put("lower_range", from);
            }
            if (to != null) {
                f.put("upper_range", to);
            }
        }
        body.put("match", any ? "any" : "all").put("limit", limit);
        if (after != null) {
            body.put("after", after);
        }
        String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        URI uri;
        String token;
        try {
            uri = URI.create(base + "/v1/destinations/"
                    + URLEncoder.encode(destination, StandardCharsets.UTF_8).replace("+", "%20") + "/query");
            token = ApiClient.token(tokenFile);
        } catch (IllegalArgumentException e) {
            err.println("ingest query: --server '" + url + "' is not a URL: " + e.getMessage());
            return ExitCode.USAGE;
        } catch (IOException e) {
            err.println("ingest query: cannot read --api-token-file " + tokenFile + ": " + e.getMessage());
            return ExitCode.USAGE;
        }
        ApiClient.Response response;
        try {
            response = ApiClient.exchange(uri, "POST", body.toString().getBytes(StandardCharsets.UTF_8),
                    "application/json", token);
        } catch (MalformedURLException e) {
            err.println("ingest query: --server '" + url + "' is not a URL: " + e.getMessage());
            return ExitCode.USAGE;
        } catch (IOException e) {
            err.println("ingest query: cannot reach " + base + " (is ingest running with --listen there?): " + e);
            return ExitCode.RUNTIME;
        }
        String answer = new String(response.body(), StandardCharsets.UTF_8);
        if (response.status() != 200) {
            String message = answer;
            try {
                JsonNode e = JSON.readTree(message);
                if (e.hasNonNull("error")) {
                    message = e.get("error").asText();
                }
            } catch (IOException ignored) {
                // printed as it came
            }
            err.println("ingest query: " + response.status() + ": " + message);
            return ExitCode.FAILED_OBJECTS;
        }
        if (json) {
            out.println(answer);
            out.flush();
            return ExitCode.OK;
        }
        try {
            JsonNode page = JSON.readTree(answer);
            for (JsonNode r : page.path("records")) {
                out.println(r.toString());
            }
            out.printf("(%d records%s)%n", page.path("count").asInt(),
                    page.hasNonNull("next") ? "; more with --after " + page.get("next").asText() : "");
        } catch (IOException e) {
            err.println("ingest query: the answer is not JSON: " + e.getMessage());
            return ExitCode.RUNTIME;
        }
        out.flush();
        return ExitCode.OK;
    }

    private static void filter(ArrayNode filters, String option, String text, String operation) {
        int eq = text.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException(option + " must be KEY=VALUE, got '" + text + "'");
        }
        filters.addObject().put("key", text.substring(0, eq)).put("operation", operation)
                .put("value", text.substring(eq + 1));
    }
}
