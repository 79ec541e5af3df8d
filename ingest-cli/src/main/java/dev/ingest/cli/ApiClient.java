package dev.ingest.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The options and calls of the commands that talk to a running ingest over its REST API ({@code ingest workflows},
 * {@code ingest run}): {@code --server}, and the token from {@code --api-token-file} or {@code INGEST_API_TOKEN}.
 */
final class ApiClient {

    /** The variable holding the API token when no {@code --api-token-file} is given. */
    static final String TOKEN_VARIABLE = "INGEST_API_TOKEN";

    @Option(names = "--server", paramLabel = "URL", defaultValue = "http://localhost:9090",
            description = "The ingest service's operations address (its --listen) (default: ${DEFAULT-VALUE}).")
    String server;

    @Option(names = "--api-token-file", paramLabel = "FILE",
            description = "A file holding the API's bearer token (default: the variable " + TOKEN_VARIABLE + ").")
    Path tokenFile;

    private static final ObjectMapper JSON = new ObjectMapper();
    private HttpClient http;

    /** What the API answered: its status and JSON body (null for none). */
    record Answer(int status, JsonNode body) {
        boolean ok() {
            return status / 100 == 2;
        }

        /** @return the error and each problem, one per line, for the terminal */
        String describe() {
            if (body == null) {
                return "HTTP " + status;
            }
            StringBuilder b = new StringBuilder(body.path("error").asText("HTTP " + status));
            for (JsonNode p : body.path("problems")) {
                String path = p.path("path").asText("");
                b.append("\n  ").append(path.isEmpty() ? "" : path + ": ").append(p.path("message").asText());
            }
            return b.toString();
        }
    }

    /** A failure to talk to the server at all. */
    static final class Unreachable extends IOException {
        private static final long serialVersionUID = 1L;

        Unreachable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Calls the API.
     *
     * @param method GET, PUT, POST or DELETE
     * @param path such as {@code /v1/workflows}
     * @param body a JSON body, or null
     * @return the answer
     * @throws IOException if the server cannot be reached or the token cannot be read
     */
    Answer call(String method, String path, Object body) throws IOException {
        if (http == null) {
            http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        }
        URI uri;
        try {
            uri = URI.create(server.replaceAll("/+$", "") + path);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--server '" + server + "' is not a URL: " + e.getMessage());
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        String token = token();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (ConnectException e) {
            throw new Unreachable("cannot reach the ingest service at " + server + " (--server): connection refused",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (IOException e) {
            throw new Unreachable("cannot reach the ingest service at " + server + " (--server): " + e, e);
        }
        JsonNode json = null;
        if (response.body().length > 0) {
            try {
                json = JSON.readTree(response.body());
            } catch (IOException e) {
                throw new IOException(server + " did not answer with JSON (HTTP " + response.statusCode() + "): is it "
                        + "an ingest service's operations port?");
            }
        }
        return new Answer(response.statusCode(), json);
    }

    private String token() throws IOException {
        return token(tokenFile);
    }

    /**
     * @param tokenFile a file whose first line is the token, or null
     * @return the token: the file's, else {@value #TOKEN_VARIABLE}'s; null when there is none
     * @throws IOException if the file cannot be read
     */
    static String token(Path tokenFile) throws IOException {
        if (tokenFile != null) {
            return Files.readString(tokenFile, StandardCharsets.UTF_8).lines().findFirst().orElse("").strip();
        }
        String env = System.getenv(TOKEN_VARIABLE);
        return env == null || env.isBlank() ? null : env.strip();
    }
}
