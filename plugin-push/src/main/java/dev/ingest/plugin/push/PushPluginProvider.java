package dev.ingest.plugin.push;

import dev.ingest.api.ConfigException;
import dev.ingest.api.ConfigKey;
import dev.ingest.api.PluginConfig;
import dev.ingest.api.PluginProvider;
import dev.ingest.api.PluginRole;
import dev.ingest.api.RecordSource;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code http-push} plugin: a record source that serves HTTP and turns every JSON object POSTed to it into a
 * record ({@link PushSource}).
 *
 * <pre>{@code
 * sources:
 *   - name: events
 *     type: http-push
 *     listen: 0.0.0.0:8080
 *     path: /logs/ingest
 *     bearerToken: ${PUSH_TOKEN}
 *     attributes: {level: /level}
 * }</pre>
 *
 * <p>Stateless and thread-safe. Registered with {@link java.util.ServiceLoader}.
 */
public final class PushPluginProvider implements PluginProvider {

    /** The type name used in configuration. */
    public static final String TYPE = "http-push";

    static final long DEFAULT_MAX_BODY = 10L << 20;

    private static final List<ConfigKey> KEYS = List.of(
            ConfigKey.required("listen", "HOST:PORT to serve on (HOST:0 picks a free port)"),
            ConfigKey.optional("path", "path that accepts POST (default /ingest)"),
            ConfigKey.optional("maxBodyBytes", "larger request bodies are refused with 413 (default 10MiB)"),
            ConfigKey.secret("bearerToken", "when set, requests without 'Authorization: Bearer <token>' get 401"),
            ConfigKey.optional("timeField", "field name or JSON pointer of the record's time, RFC 3339 or epoch "
                    + "milliseconds (default timestamp); the receive time when absent"),
            ConfigKey.optional("attributes", "map of attribute name to JSON pointer, for key templates ({attr.NAME})"));

    /** Creates the provider; does no work. */
    public PushPluginProvider() {
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Set<PluginRole> roles() {
        return Set.of(PluginRole.SOURCE);
    }

    @Override
    public List<ConfigKey> keys(PluginRole role) {
        return role == PluginRole.SOURCE ? KEYS : List.of();
    }

    /** Every {@code http-push} source reads records. */
    @Override
    public boolean readsRecords(PluginConfig config) {
        return true;
    }

    @Override
    public RecordSource createRecordSource(PluginConfig config) throws ConfigException, IOException {
        String listen = config.string("listen");
        InetSocketAddress address = null;
        if (!listen.isEmpty()) {
            try {
                address = parseListen(listen);
            } catch (IllegalArgumentException e) {
                config.problem("listen", e.getMessage());
            }
        }
        String path = config.optionalString("path").orElse("/ingest");
        if (!path.startsWith("/")) {
            config.problem("path", "must start with '/', got '" + path + "'");
        }
        long maxBody = config.size("maxBodyBytes", DEFAULT_MAX_BODY, 1, Integer.MAX_VALUE - 8);
        String token = config.optionalString("bearerToken").orElse(null);
        String timeField = config.optionalString("timeField").orElse("timestamp");
        JsonFields.Pointer time = null;
        try {
            time = JsonFields.pointer(timeField);
        } catch (IllegalArgumentException e) {
            config.problem("timeField", e.getMessage());
        }
        Map<String, JsonFields.Pointer> attributes = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : config.stringMap("attributes").entrySet()) {
            if (e.getKey().isBlank()) {
                config.problem("attributes", "attribute names must not be empty");
                continue;
            }
            try {
                attributes.put(e.getKey(), JsonFields.pointer(e.getValue()));
            } catch (IllegalArgumentException ex) {
                config.problem("attributes." + e.getKey(), ex.getMessage());
            }
        }
        config.validate();
        return new PushSource(new PushSource.Settings(config.name(), address, path, (int) maxBody, token,
                new JsonFields(time, attributes)));
    }

    static InetSocketAddress parseListen(String listen) {
        int colon = listen.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("must be HOST:PORT or :PORT, got '" + listen + "'");
        }
        String host = listen.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(listen.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port must be a number, got '" + listen + "'");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0-65535, got " + port);
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    }
}
