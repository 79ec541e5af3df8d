package dev.ingest.plugin.http;

import java.io.IOException;
import java.net.Socket;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import okhttp3.Connection;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a client from reusing connections that the server closes after each response without saying
 * {@code Connection: close}: an HTTP/1.0 answer without {@code Connection: keep-alive} (RFC 9112, section 9.3). OkHttp
 * pools such a connection like an HTTP/1.1 one, and the next request sent on it meets a closed socket
 * ({@code unexpected end of stream}, {@code Broken pipe}); a streamed upload cannot be sent again.
 *
 * <p>A network interceptor. When such an answer arrives, the connection it came on is shut down for writing (it is
 * still read to its end), so the pool discards it instead of handing it out again; over TLS, where a socket cannot
 * be half-closed, that connection may still be tried once more, which {@link HttpDestination}'s replayable start of
 * a body covers. And the origin (scheme, host, port) is remembered: every later request to it carries
 * {@code Connection: close}, so OkHttp never pools its connections at all. Logged once per origin.
 *
 * <p>Servers that say {@code Connection: close} need nothing: OkHttp does not pool those connections. Servers that
 * close silently in HTTP/1.1 (after a response, or after a keep-alive timeout) are covered by OkHttp's health check
 * of pooled connections and by the replayable start of a body.
 *
 * <p>Thread-safe: one instance per client, shared by its calls.
 */
final class ClosingConnections implements Interceptor {

    private static final Logger LOG = LoggerFactory.getLogger(ClosingConnections.class);

    private final String owner;
    private final Set<String> closingOrigins = ConcurrentHashMap.newKeySet();

    /**
     * @param owner the source or destination, for the log ("http destination 'x'")
     */
    ClosingConnections(String owner) {
        this.owner = owner;
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        Request request = chain.request();
        String origin = origin(request.url());
        if (closingOrigins.contains(origin) && !"close".equalsIgnoreCase(request.header("Connection"))) {
            request = request.newBuilder().header("Connection", "close").build();
        }
        Response response = chain.proceed(request);
        if (closesAfterResponse(response) && !"close".equalsIgnoreCase(request.header("Connection"))) {
            retire(chain.connection());
            if (closingOrigins.add(origin)) {
                LOG.info("{}: {} answers {} without keep-alive and closes every connection after one response; "
                        + "using a new connection for each request", owner, origin, response.protocol());
            }
        }
        return response;
    }

    /**
     * @param response an answer
     * @return whether the server closes the connection after it without a {@code Connection: close} header
     */
    static boolean closesAfterResponse(Response response) {
        if (response.protocol() != Protocol.HTTP_1_0) {
            return false;
        }
        for (String value : response.headers("Connection")) {
            for (String token : value.split(",")) {
                String t = token.trim().toLowerCase(Locale.ROOT);
                if (t.equals("keep-alive")) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Shuts the connection down for writing, so that the pool's health check discards it after this exchange. */
    private static void retire(Connection connection) {
        if (connection == null) {
            return;
        }
        Socket socket = connection.socket();
        try {
            if (!socket.isOutputShutdown()) {
                socket.shutdownOutput();
            }
        } catch (IOException | UnsupportedOperationException e) {
            // TLS sockets cannot be half-closed; the Connection: close of later requests and a replay cover it.
        }
    }

    private static String origin(HttpUrl url) {
        return url.scheme() + "://" + url.host() + ":" + url.port();
    }
}
