package dev.ingest.plugin.jdbc.postgres;

import dev.ingest.api.ConfigException;
import dev.ingest.api.ConfigKey;
import dev.ingest.api.Destination;
import dev.ingest.api.PluginConfig;
import dev.ingest.api.PluginProvider;
import dev.ingest.api.PluginRole;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code postgres} plugin: a destination that stores the records of NDJSON batches as rows of a PostgreSQL
 * table ({@link PostgresDestination}) and answers filter queries over them.
 *
 * <pre>{@code
 * destinations:
 *   - name: logs-db
 *     type: postgres
 *     url: jdbc:postgresql://127.0.0.1:5432/logs
 *     user: ingest
 *     password: ${PG_PASSWORD}
 *     table: logs
 *     columns: {level: /level, resource_id: /resourceId}
 * }</pre>
 *
 * <p>Stateless and thread-safe. Registered with {@link java.util.ServiceLoader}.
 */
public final class PostgresPluginProvider implements PluginProvider {

    /** The type name used in configuration. */
    public static final String TYPE = "postgres";

    /** A plain SQL identifier: what table and column names may be (they are never quoted from user text). */
    static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,47}");
    /** Columns every table has. */
    static final Set<String> RESERVED = Set.of("id", "batch", "seq", "time", "record");

    private static final List<ConfigKey> KEYS = List.of(
            ConfigKey.required("url", "jdbc:postgresql://HOST:PORT/DATABASE"),
            ConfigKey.optional("user", "user name"),
            ConfigKey.secret("password", "password"),
            ConfigKey.required("table", "table to store rows in, created when missing (lower-case letters, digits, _; "
                    + "optionally schema.table)"),
            ConfigKey.optional("columns", "map of column name to JSON pointer (or field name), extracted into text "
                    + "columns with an index each"),
            ConfigKey.optional("recordIndex", "true: also a trigram index on the whole record, so that contains on a "
                    + "field without a column uses an index (inserts become several times slower; default false)"),
            ConfigKey.optional("timeField", "field name or JSON pointer of the record's time, RFC 3339 or epoch "
                    + "milliseconds (default timestamp); the time the batch is stored when absent"));

    /** Creates the provider; does no work. */
    public PostgresPluginProvider() {
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Set<PluginRole> roles() {
        return Set.of(PluginRole.DESTINATION);
    }

    @Override
    public List<ConfigKey> keys(PluginRole role) {
        return role == PluginRole.DESTINATION ? KEYS : List.of();
    }

    /** Checks the keys, connects, and creates the table, its ledger and indexes where missing. */
    @Override
    public Destination createDestination(PluginConfig config) throws ConfigException, IOException {
        String url = config.string("url");
        if (!url.isEmpty() && !url.startsWith("jdbc:postgresql:")) {
            config.problem("url", "must start with jdbc:postgresql:, got '" + url + "'");
        }
        String user = config.optionalString("user").orElse(null);
        String password = config.optionalString("password").orElse(null);
        String table = config.string("table");
        String schema = null;
        if (!table.isEmpty()) {
            int dot = table.indexOf('.');
            String bare = dot < 0 ? table : table.substring(dot + 1);
            schema = dot < 0 ? null : table.substring(0, dot);
            if (!IDENTIFIER.matcher(bare).matches() || schema != null && !IDENTIFIER.matcher(schema).matches()) {
                config.problem("table", "'" + table + "' must be lower-case letters, digits and _ (at most 48, not "
                        + "starting with a digit), optionally schema.table");
            }
            table = bare;
        }
        Map<String, JsonFieldPath> columns = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : config.stringMap("columns").entrySet()) {
            String column = e.getKey();
            if (!IDENTIFIER.matcher(column).matches()) {
                config.problem("columns." + column, "column names must be lower-case letters, digits and _ (at most "
                        + "48, not starting with a digit)");
            } else if (RESERVED.contains(column)) {
                config.problem("columns." + column, "is a column every table has (" + String.join(", ",
                        RESERVED.stream().sorted().toList()) + ")");
            } else {
                try {
                    columns.put(column, JsonFieldPath.parse(e.getValue()));
                } catch (IllegalArgumentException ex) {
                    config.problem("columns." + column, ex.getMessage());
                }
            }
        }
        JsonFieldPath time = null;
        try {
            time = JsonFieldPath.parse(config.optionalString("timeField").orElse("timestamp"));
        } catch (IllegalArgumentException e) {
            config.problem("timeField", e.getMessage());
        }
        boolean recordIndex = config.bool("recordIndex", false);
        config.validate();
        PostgresDestination d = new PostgresDestination(new PostgresDestination.Settings(config.name(), url, user,
                password, schema, table.toLowerCase(Locale.ROOT), columns, time, recordIndex));
        try {
            d.setUp();
        } catch (IOException e) {
            d.close();
            throw e;
        }
        return d;
    }
}
