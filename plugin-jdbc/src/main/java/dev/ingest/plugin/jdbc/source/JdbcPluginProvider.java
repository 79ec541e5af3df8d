package dev.ingest.plugin.jdbc.source;

import dev.ingest.api.ConfigException;
import dev.ingest.api.ConfigKey;
import dev.ingest.api.PluginConfig;
import dev.ingest.api.PluginProvider;
import dev.ingest.api.PluginRole;
import dev.ingest.api.RecordSource;
import dev.ingest.api.Secrets;
import java.io.IOException;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code jdbc} plugin: a record source that reads the rows of a table or query after a committed cursor
 * ({@link JdbcSource}).
 *
 * <pre>{@code
 * sources:
 *   - name: access-log
 *     type: jdbc
 *     url: jdbc:postgresql://db:5432/logs
 *     user: ingest
 *     password: ${DB_PASSWORD}
 *     table: access_log
 *     cursor: [inserted_at, id]
 *     delay: 60s
 * }</pre>
 *
 * <p>Drivers are found with {@link ServiceLoader} in the plugin's own class loader: the bundled PostgreSQL and
 * MariaDB drivers, and any driver jar placed in the plugin's directory ({@code plugins/jdbc/}).
 *
 * <p>At creation the source connects once and checks the table or query, the cursor, time and shard columns by
 * running the page query without rows: mistakes are reported then, each naming its key.
 *
 * <p>Stateless and thread-safe. Registered with {@link ServiceLoader}.
 */
public final class JdbcPluginProvider implements PluginProvider {

    /** The type name used in configuration. */
    public static final String TYPE = "jdbc";

    private static final Pattern TABLE = Pattern.compile("[\\p{L}_][\\p{L}\\p{N}_$]*(\\.[\\p{L}_][\\p{L}\\p{N}_$]*){0,2}"
            + "|(\"[^\"]+\"|`[^`]+`)(\\.(\"[^\"]+\"|`[^`]+`|[\\p{L}_][\\p{L}\\p{N}_$]*)){0,2}");

    private static final List<ConfigKey> SOURCE_KEYS = List.of(
            ConfigKey.required("url", "JDBC URL, e.g. jdbc:postgresql://host:5432/db or jdbc:mariadb://host:3306/db; "
                    + "other databases need their driver's jar in the plugin's directory"),
            ConfigKey.optional("user", "database user"),
            ConfigKey.secret("password", "database password"),
            ConfigKey.optional("table", "the table whose rows are read (this or query)"),
            ConfigKey.optional("query", "a SELECT whose rows are read (this or table); the source adds the cursor "
                    + "predicate, the ordering and the page limit"),
            ConfigKey.required("cursor", "columns forming a strictly increasing tuple, e.g. [inserted_at, id]; rows "
                    + "after the committed cursor are read in this order"),
            ConfigKey.optional("timeColumn", "the column of the record's time (default: the first cursor column)"),
            ConfigKey.optional("delay", "read only rows whose timeColumn is older than now - delay (default 0s)"),
            ConfigKey.optional("pollInterval", "time between polls when the last poll found less than a page "
                    + "(default 10s)"),
            ConfigKey.optional("pageSize", "rows per query (default 5000)"),
            ConfigKey.optional("shards", "split the rows by a hash of shardColumn into this many parts, shared by the "
                    + "enqueuer replicas through leases"),
            ConfigKey.optional("shardColumn", "the column whose hash picks a row's shard (with shards)"));

    /** Creates the provider; does no work. */
    public JdbcPluginProvider() {
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
        return switch (role) {
            case SOURCE -> SOURCE_KEYS;
            case DESTINATION -> List.of();
        };
    }

    /** A {@code jdbc} source always reads records. */
    @Override
    public boolean readsRecords(PluginConfig config) {
        return true;
    }

    @Override
    public RecordSource createRecordSource(PluginConfig config) throws ConfigException, IOException {
        String url = config.string("url");
        Properties properties = new Properties();
        config.optionalString("user").ifPresent(u -> properties.setProperty("user", u));
        config.optionalString("password").ifPresent(p -> properties.setProperty("password", p));
        Optional<String> table = config.optionalString("table");
        Optional<String> query = config.optionalString("query");
        String from = null;
        String fromKey = table.isPresent() ? "table" : "query";
        if (table.isPresent() == query.isPresent()) {
            config.problem("table", table.isPresent() ? "give table or query, not both" : "table or query is required");
        } else if (table.isPresent()) {
            if (!TABLE.matcher(table.get()).matches()) {
                config.problem("table", "'" + table.get() + "' is not a table name (write schema.table, or a query)");
            } else {
                from = PageQuery.fromTable(table.get());
            }
        } else {
            String q = query.get().strip();
            String head = q.length() >= 6 ? q.substring(0, 6).toLowerCase(Locale.ROOT) : "";
            if (!head.equals("select") && !q.toLowerCase(Locale.ROOT).startsWith("with")) {
                config.problem("query", "must be a SELECT (or WITH ... SELECT)");
            } else {
                from = PageQuery.fromQuery(q);
            }
        }
        List<String> cursor = config.stringList("cursor");
        if (config.has("cursor") && cursor.isEmpty()) {
            config.problem("cursor", "must name at least one column");
        }
        for (int i = 0; i < cursor.size(); i++) {
            if (cursor.get(i).isBlank()) {
                config.problem("cursor[" + i + "]", "must not be empty");
            }
        }
        if (cursor.size() != Set.copyOf(cursor).size()) {
            config.problem("cursor", "names a column twice");
        }
        String timeColumn = config.optionalString("timeColumn").orElse(cursor.isEmpty() ? "" : cursor.get(0));
        Duration delay = config.duration("delay", Duration.ZERO, Duration.ZERO);
        Duration poll = config.duration("pollInterval", Duration.ofSeconds(10), Duration.ofMillis(10));
        int pageSize = (int) config.number("pageSize", 5000, 1);
        if (pageSize > 1_000_000) {
            config.problem("pageSize", "must be at most 1000000, got " + pageSize);
        }
        int shards = (int) config.number("shards", 0, 1);
        if (shards > 4096) {
            config.problem("shards", "must be at most 4096, got " + shards);
        }
        Optional<String> shardColumn = config.optionalString("shardColumn");
        if (config.has("shards") && shardColumn.isEmpty() && !config.problems().stream()
                .anyMatch(p -> p.startsWith("shardColumn:"))) {
            config.problem("shardColumn", "is required with shards");
        }
        if (shardColumn.isPresent() && !config.has("shards")) {
            config.problem("shards", "is required with shardColumn");
        }
        Driver driver = null;
        if (!url.isEmpty()) {
            driver = driver(url).orElse(null);
            if (driver == null) {
                config.problem("url", "no JDBC driver accepts '" + Secrets.redactUrl(url) + "'; the plugin bundles "
                        + "PostgreSQL's (jdbc:postgresql:) and MariaDB's (jdbc:mariadb:); place another driver's jar "
                        + "in the plugin's directory (plugins/jdbc/)");
            }
        }
        config.validate();

        Dialect dialect = Dialect.of(url);
        List<String> quoted = cursor.stream().map(dialect::quote).toList();
        PageQuery pageQuery = new PageQuery(dialect, from, quoted, dialect.quote(timeColumn), delay,
                shardColumn.map(dialect::quote), shards, pageSize);
        JdbcSource.Settings[] settings = new JdbcSource.Settings[1];
        int[] cursorColumns = new int[cursor.size()];
        try (Connection c = JdbcSource.connect(driver, url, properties)) {
            List<String> labels = new ArrayList<>();
            List<Kind> kinds = new ArrayList<>();
            ResultSetMetaData meta;
            try (PreparedStatement ps = c.prepareStatement("SELECT * FROM " + from + " WHERE 1 = 0");
                 ResultSet rs = ps.executeQuery()) {
                meta = rs.getMetaData();
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    labels.add(meta.getColumnLabel(i));
                }
                if (Set.copyOf(labels).size() != labels.size()) {
                    config.problem(fromKey, "two columns have the same name " + labels
                            + "; give them distinct names with AS (each is a field of the record and an attribute)");
                }
                for (int i = 0; i < cursor.size(); i++) {
                    Optional<Integer> at = JdbcSource.indexOf(labels, cursor.get(i));
                    if (at.isEmpty()) {
                        config.problem("cursor[" + i + "]", "column '" + cursor.get(i) + "' is not among the "
                                + fromKey + "'s columns " + labels);
                        continue;
                    }
                    cursorColumns[i] = at.get();
                    Optional<Kind> kind = Kind.of(meta.getColumnType(at.get()), meta.getColumnTypeName(at.get()));
                    if (kind.isEmpty()) {
                        config.problem("cursor[" + i + "]", "column '" + cursor.get(i) + "' is of type "
                                + meta.getColumnTypeName(at.get()) + ", which cannot order a cursor (use numbers, "
                                + "text, dates or timestamps)");
                    } else {
                        kinds.add(kind.get());
                    }
                }
                int time = 0;
                if (!timeColumn.isEmpty()) {
                    Optional<Integer> at = JdbcSource.indexOf(labels, timeColumn);
                    String key = config.has("timeColumn") ? "timeColumn" : "cursor[0]";
                    if (at.isEmpty()) {
                        if (config.has("timeColumn")) {
                            config.problem(key, "column '" + timeColumn + "' is not among the " + fromKey
                                    + "'s columns " + labels);
                        }
                    } else {
                        Optional<Kind> kind = Kind.of(meta.getColumnType(at.get()), meta.getColumnTypeName(at.get()));
                        boolean temporal = kind.isPresent() && kind.get().temporal();
                        if (temporal) {
                            time = at.get();
                        } else if (config.has("timeColumn")) {
                            config.problem("timeColumn", "column '" + timeColumn + "' is of type "
                                    + meta.getColumnTypeName(at.get()) + ", not a date or timestamp");
                        } else if (!delay.isZero()) {
                            config.problem("delay", "needs a timeColumn of a date or timestamp type; the first "
                                    + "cursor column '" + timeColumn + "' is of type "
                                    + meta.getColumnTypeName(at.get()));
                        }
                    }
                }
                if (shardColumn.isPresent() && JdbcSource.indexOf(labels, shardColumn.get()).isEmpty()) {
                    config.problem("shardColumn", "column '" + shardColumn.get() + "' is not among the " + fromKey
                            + "'s columns " + labels);
                }
                config.validate();
                settings[0] = new JdbcSource.Settings(config.name(), url, driver, properties, pageQuery,
                        List.copyOf(kinds), List.copyOf(cursor), time, poll);
            } catch (SQLException e) {
                if (isAuthentication(e) || isConnection(e)) {
                    throw e;
                }
                config.problem(fromKey, "the database refuses it: " + JdbcSource.describe(e));
                config.validate();
            }
            // The page query itself, without rows: the delay, the shard expression, the ordering.
            try (PreparedStatement ps = c.prepareStatement(pageQuery.probe())) {
                if (!delay.isZero() && dialect.delayByParameter()) {
                    ps.setTimestamp(1, Timestamp.from(Instant.now()));
                }
                ps.executeQuery().close();
            } catch (SQLException e) {
                if (isAuthentication(e) || isConnection(e)) {
                    throw e;
                }
                String key = shardColumn.isPresent() ? "shardColumn" : !delay.isZero() ? "delay" : "cursor";
                config.problem(key, "the page query " + pageQuery.probe() + " fails: " + JdbcSource.describe(e));
                config.validate();
            }
        } catch (SQLException e) {
            if (isAuthentication(e)) {
                config.problem(config.has("password") ? "password" : "user", "the database refuses the login: "
                        + JdbcSource.describe(e));
                config.validate();
            }
            throw new IOException("source " + config.name() + ": cannot connect to " + Secrets.redactUrl(url) + ": "
                    + JdbcSource.describe(e), e);
        }
        return new JdbcSource(settings[0], cursorColumns);
    }

    /** SQL state class 28: invalid authorization (a wrong password or user). MariaDB's 1045 says the same. */
    static boolean isAuthentication(SQLException e) {
        String state = e.getSQLState();
        return state != null && state.startsWith("28") || e.getErrorCode() == 1045;
    }

    /** SQL state class 08: the connection failed. */
    static boolean isConnection(SQLException e) {
        String state = e.getSQLState();
        return state != null && state.startsWith("08");
    }

    /** The first driver, of those this plugin's class loader sees, that accepts the URL. */
    static Optional<Driver> driver(String url) {
        for (Driver d : ServiceLoader.load(Driver.class, JdbcPluginProvider.class.getClassLoader())) {
            try {
                if (d.acceptsURL(url)) {
                    return Optional.of(d);
                }
            } catch (SQLException e) {
                // not this one
            }
        }
        return Optional.empty();
    }
}
