package dev.ingest.plugin.http;

import dev.ingest.api.ConfigKey;
import dev.ingest.api.PluginConfig;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import okhttp3.ConnectionPool;
import okhttp3.Credentials;
import okhttp3.Dispatcher;
import okhttp3.Headers;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys a source and a destination share: extra headers, credentials, timeouts and TLS verification; and the
 * {@link OkHttpClient} built from them.
 *
 * <p>Headers and credentials are added by a network interceptor, and only to requests whose scheme, host and
 * port are those of the configured {@code url}: an object URL, a pagination link or a redirect that leads to
 * another server (a CDN, a pre-signed storage URL) never receives them.
 *
 * <p>Immutable and thread-safe. The secret values ({@code bearerToken}, {@code password}) never appear in
 * {@link #toString()}, in problems or in log messages.
 */
final class ClientSettings {

    private static final Logger LOG = LoggerFactory.getLogger(ClientSettings.class);

    static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(60);

    /** Idle connections kept per client: enough for a workflow's concurrency. */
    static final int MAX_IDLE_CONNECTIONS = 32;
    /** Concurrent requests per host; synchronous calls are not limited by the dispatcher, asynchronous ones are. */
    static final int MAX_REQUESTS_PER_HOST = 64;

    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)");
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    /** Headers the plugin sets itself or that would corrupt the exchange. */
    private static final Set<String> RESERVED_HEADERS = Set.of("host", "content-length", "content-type",
            "transfer-encoding", "connection", "upgrade", "te", "trailer", "keep-alive", "proxy-connection",
            HttpDestination.VERSION_HEADER.toLowerCase(Locale.ROOT));

    /** The keys of both roles, in documentation order. */
    static final List<ConfigKey> KEYS = List.of(
            ConfigKey.secret("headers", "map of extra HTTP headers sent to the origin of url (values may use ${VAR}); secret: API keys go there"),
            ConfigKey.secret("bearerToken", "sends Authorization: Bearer <token> to the origin of url"),
            ConfigKey.optional("username", "basic authentication user (with password); not with bearerToken"),
            ConfigKey.secret("password", "basic authentication password"),
            ConfigKey.optional("connectTimeout", "time to establish a connection: a number with ms, s, m or h (default 10s)"),
            ConfigKey.optional("readTimeout", "longest wait for data on a connection, reading or writing (default 60s)"),
            ConfigKey.optional("insecureSkipVerify", "true skips TLS certificate and host name checks (default false; logs a warning)"));

    private final String what;
    private final HttpUrl origin;
    private final Map<String, String> headers;
    private final String authorization;
    private final String authKind;
    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final boolean insecureSkipVerify;

    private ClientSettings(String what, HttpUrl origin, Map<String, String> headers, String authorization,
                           String authKind, Duration connectTimeout, Duration readTimeout, boolean insecureSkipVerify) {
        this.what = what;
        this.origin = origin;
        this.headers = headers;
        this.authorization = authorization;
        this.authKind = authKind;
        this.connectTimeout = connectTimeout;
        this.readTimeout = readTimeout;
        this.insecureSkipVerify = insecureSkipVerify;
    }

    /**
     * Reads the shared keys, recording every problem in the configuration.
     *
     * @param config the plugin configuration
     * @param what "http source NAME" or "http destination NAME", for messages
     * @param origin the URL whose origin receives headers and credentials; {@code null} when {@code url} is invalid
     * @return the settings; meaningful only if {@code config} has no problems
     */
    static ClientSettings parse(PluginConfig config, String what, HttpUrl origin) {
        Map<String, String> headers = new LinkedHashMap<>();
        config.stringMap("headers").forEach((name, value) -> {
            String key = "headers." + name;
            if (!TOKEN.matcher(name).matches()) {
                config.problem(key, "'" + name + "' is not a valid HTTP header name");
            } else if (RESERVED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                config.problem(key, "is set by the plugin and cannot be configured");
            } else if (name.equalsIgnoreCase("Authorization")
                    && (config.has("bearerToken") || config.has("username"))) {
                config.problem(key, "conflicts with bearerToken/username; set only one of them");
            } else {
                String why = whyInvalidHeaderValue(value);
                if (why != null) {
                    config.problem(key, why); // never echo the value: it may be a credential
                } else {
                    headers.put(name, value);
                }
            }
        });

        Optional<String> token = config.optionalString("bearerToken");
        Optional<String> username = config.optionalString("username");
        Optional<String> password = config.optionalString("password");
        String authorization = null;
        String authKind = "none";
        if (token.isPresent() && (username.isPresent() || password.isPresent())) {
            config.problem("bearerToken", "set either bearerToken or username/password, not both");
        } else if (token.isPresent()) {
            String why = whyInvalidHeaderValue(token.get());
            if (why != null) {
                config.problem("bearerToken", why);
            } else {
                authorization = "Bearer " + token.get().trim();
                authKind = "bearer token";
            }
        } else if (username.isPresent() != password.isPresent()) {
            config.problem(username.isPresent() ? "password" : "username",
                    "is required with " + (username.isPresent() ? "username" : "password"));
        } else if (username.isPresent()) {
            if (username.get().indexOf(':') >= 0) {
                config.problem("username", "must not contain ':' (basic authentication separates user and password with it)");
            } else {
                authorization = Credentials.basic(username.get(), password.get(), StandardCharsets.UTF_8);
                authKind = "basic authentication as " + username.get();
            }
        }

        Duration connect = duration(config, "connectTimeout", DEFAULT_CONNECT_TIMEOUT);
        Duration read = duration(config, "readTimeout", DEFAULT_READ_TIMEOUT);
        boolean insecure = config.bool("insecureSkipVerify", false);
        return new ClientSettings(what, origin, Map.copyOf(headers), authorization, authKind, connect, read, insecure);
    }

    private static String whyInvalidHeaderValue(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return "must not contain control characters such as line breaks";
            }
            if (c > 0x7e) {
                return "must contain only ASCII characters";
            }
        }
        return null;
    }

    private static Duration duration(PluginConfig config, String key, Duration defaultValue) {
        Optional<String> text = config.optionalString(key);
        if (text.isEmpty()) {
            return defaultValue;
        }
        Optional<Duration> d = parseDuration(text.get());
        if (d.isEmpty()) {
            config.problem(key, "'" + text.get() + "' is not a duration (write a number with ms, s, m or h: 500ms, 10s, 2m)");
            return defaultValue;
        }
        return d.get();
    }

    /**
     * Parses a simple duration: a whole number followed by {@code ms}, {@code s}, {@code m} or {@code h}.
     *
     * @param text for example {@code 10s}
     * @return the duration, or empty if the text is not one
     */
    static Optional<Duration> parseDuration(String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            return Optional.empty();
        }
        long n = Long.parseLong(m.group(1));
        return Optional.of(switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        });
    }

    /** @return whether TLS verification is disabled */
    boolean insecureSkipVerify() {
        return insecureSkipVerify;
    }

    /** @return the connect timeout */
    Duration connectTimeout() {
        return connectTimeout;
    }

    /** @return the read (and write) timeout */
    Duration readTimeout() {
        return readTimeout;
    }

    /** @return the configured extra headers */
    Map<String, String> headers() {
        return headers;
    }

    /**
     * A new client with its own connection pool and dispatcher, sized for concurrent copies. The caller closes it
     * with {@link #shutdown(OkHttpClient)}.
     *
     * @return the client
     */
    OkHttpClient newClient() {
        Dispatcher dispatcher = new Dispatcher();
        dispatcher.setMaxRequests(Math.max(dispatcher.getMaxRequests(), MAX_REQUESTS_PER_HOST));
        dispatcher.setMaxRequestsPerHost(MAX_REQUESTS_PER_HOST);
        OkHttpClient.Builder builder = new OkHttpClient.Builder()
                .dispatcher(dispatcher)
                .connectionPool(new ConnectionPool(MAX_IDLE_CONNECTIONS, 5, TimeUnit.MINUTES))
                .connectTimeout(connectTimeout)
                .readTimeout(readTimeout)
                .writeTimeout(readTimeout)
                .addNetworkInterceptor(new CredentialsInterceptor(origin, headers, authorization))
                .addNetworkInterceptor(new ClosingConnections(what));
        if (insecureSkipVerify) {
            LOG.warn("{}: TLS certificate verification is disabled (insecureSkipVerify: true); "
                    + "the connection can be intercepted", what);
            X509TrustManager trustAll = new TrustAll();
            try {
                SSLContext context = SSLContext.getInstance("TLS");
                context.init(null, new TrustManager[] {trustAll}, new SecureRandom());
                builder.sslSocketFactory(context.getSocketFactory(), trustAll).hostnameVerifier((host, session) -> true);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("cannot set up TLS without verification: " + e, e);
            }
        }
        return builder.build();
    }

    /**
     * Releases a client's threads and connections. Idempotent.
     *
     * @param client the client
     */
    /**
     * Runs a request on a source's or destination's client, failing (retryably) once it is closed.
     *
     * @param client the client
     * @param closed whether its owner is closed
     * @param owner the owner, for messages ("http source 'x'")
     * @param request the request
     * @return the response, which the caller closes
     * @throws IOException if the owner is closed or the request fails, naming method and URL
     */
    static Response execute(OkHttpClient client, boolean closed, String owner, Request request) throws IOException {
        if (closed) {
            throw new IOException(owner + " is closed");
        }
        try {
            return client.newCall(request).execute();
        } catch (IOException e) {
            throw HttpFailures.io(request.method(), request.url(), e);
        }
    }

    static void shutdown(OkHttpClient client) {
        client.dispatcher().cancelAll();
        client.dispatcher().executorService().shutdown();
        client.connectionPool().evictAll();
    }

    /** Describes the settings without secrets. */
    @Override
    public String toString() {
        return "auth: " + authKind + ", headers: " + headers.keySet() + ", connectTimeout " + connectTimeout
                + ", readTimeout " + readTimeout + (insecureSkipVerify ? ", TLS NOT VERIFIED" : "");
    }

    /**
     * Adds the configured headers and the Authorization header to every network request to the configured
     * origin, including redirected ones, and to no other.
     */
    private static final class CredentialsInterceptor implements Interceptor {
        private final HttpUrl origin;
        private final Headers extra;
        private final String authorization;

        CredentialsInterceptor(HttpUrl origin, Map<String, String> headers, String authorization) {
            this.origin = origin;
            Headers.Builder b = new Headers.Builder();
            headers.forEach(b::add);
            this.extra = b.build();
            this.authorization = authorization;
        }

        @Override
        public Response intercept(Chain chain) throws IOException {
            Request request = chain.request();
            if (origin == null || !sameOrigin(request.url(), origin)) {
                return chain.proceed(request);
            }
            Request.Builder b = request.newBuilder();
            for (String name : extra.names()) {
                b.removeHeader(name);
                for (String value : extra.values(name)) {
                    b.addHeader(name, value);
                }
            }
            if (authorization != null) {
                b.header("Authorization", authorization);
            }
            return chain.proceed(b.build());
        }
    }

    /**
     * @param a a URL
     * @param b another URL
     * @return whether both have the same scheme, host and port
     */
    static boolean sameOrigin(HttpUrl a, HttpUrl b) {
        return a.scheme().equals(b.scheme()) && a.host().equals(b.host()) && a.port() == b.port();
    }

    /** Accepts every certificate: only with {@code insecureSkipVerify: true}. */
    private static final class TrustAll implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
            Objects.requireNonNull(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
            Objects.requireNonNull(chain);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
