package dev.ingest.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
    static final int CONNECT_TIMEOUT_MILLIS = 5_000;
    static final int READ_TIMEOUT_MILLIS = 60_000;

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
        URI uri;
        try {
            uri = URI.create(server.replaceAll("/+$", "") + path);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--server '" + server + "' is not a URL: " + e.getMessage());
        }
        Response response;
        try {
            response = exchange(uri, method, body == null ? null : JSON.writeValueAsBytes(body), "application/json",
                    token());
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException("--server '" + server + "' is not a URL: " + e.getMessage());
        } catch (ConnectException e) {
            throw new Unreachable("cannot reach the ingest service at " + server + " (--server): connection refused",
                    e);
        } catch (IOException e) {
            throw new Unreachable("cannot reach the ingest service at " + server + " (--server): " + e, e);
        }
        JsonNode json = null;
        if (response.body().length > 0) {
            try {
                json = JSON.readTree(response.body());
            } catch (IOException e) {
                throw new IOException(server + " did not answer with JSON (HTTP " + response.status() + "): is it "
                        + "an ingest service's operations port?");
            }
        }
        return new Answer(response.status(), json);
    }

    /** An HTTP answer: its status and body (empty for none). */
    record Response(int status, byte[] body) {
    }

    /**
     * One HTTP/1.1 exchange, the way every client command talks to a service. {@link HttpURLConnection} rather than
     * {@code java.net.http.HttpClient}: a command is a short-lived process, and the latter sets up TLS (the JDK's
     * trust store) and a selector thread before its first request even to a plain http URL, about a tenth of a
     * second of start-up; connections are kept alive between calls to the same server either way. Redirects are
     * not followed.
     *
     * @param uri the URL (http or https)
     * @param method GET, PUT, POST or DELETE
     * @param body the request body, or null for none
     * @param contentType the body's content type
     * @param token the bearer token, or null
     * @return the status and body, whatever the status
     * @throws MalformedURLException if the URL is not one Java can open
     * @throws IOException if the server cannot be reached or the exchange fails
     */
    static Response exchange(URI uri, String method, byte[] body, String contentType, String token)
            throws IOException {
        URLConnection opened;
        try {
            opened = uri.toURL().openConnection();
        } catch (IllegalArgumentException e) {
            throw new MalformedURLException(e.getMessage());
        }
        if (!(opened instanceof HttpURLConnection c)) {
            throw new MalformedURLException("not an http or https URL: " + uri);
        }
        c.setConnectTimeout(CONNECT_TIMEOUT_MILLIS);
        c.setReadTimeout(READ_TIMEOUT_MILLIS);
        c.setInstanceFollowRedirects(false);
        c.setUseCaches(false);
        c.setRequestMethod(method);
        if (token != null) {
            c.setRequestProperty("Authorization", "Bearer " + token);
        }
        byte[] payload = body != null ? body : method.equals("POST") || method.equals("PUT") ? new byte[0] : null;
        if (payload != null) {
            c.setDoOutput(true);
            if (body != null) {
                c.setRequestProperty("Content-Type", contentType);
            }
            // Buffered, not streamed (setFixedLengthStreamingMode): in streaming mode a 401 answer (with its
            // WWW-Authenticate header) loses its body, which says what is wrong.
            try (OutputStream out = c.getOutputStream()) {
                out.write(payload);
            }
        }
        int status = c.getResponseCode();
        InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
        if (in == null) {
            return new Response(status, new byte[0]);
        }
        try (in) {
            return new Response(status, in.readAllBytes());
        }
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
