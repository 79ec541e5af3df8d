package dev.ingest.plugin.jdbc.source;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ingest.api.CheckpointUpdate;
import dev.ingest.api.DataRecord;
import dev.ingest.api.RecordContext;
import dev.ingest.api.RecordSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code jdbc} record source: reads the rows of a table or query after a committed cursor, a page at a time, in
 * cursor order, and hands each page over with the cursor of its last row. Polls every {@code pollInterval} when a
 * poll found less than a page. With {@code shards}, it reads only the shards the engine leased to this replica, each
 * after a cursor of its own (checkpoint entry {@code cursor.<shard>}; without shards, {@code cursor}).
 *
 * <p>A failing connection or query is retried with a growing delay (0.5 s to 30 s) from the cursor of the last row
 * handed over: nothing is skipped, nothing read twice.
 *
 * <p>One thread at a time ({@link #run}); {@link #close} may come from another.
 */
final class JdbcSource implements RecordSource {

    private static final Logger LOG = LoggerFactory.getLogger(JdbcSource.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final long MAX_BACKOFF_MILLIS = 30_000;
    /** A {@code once} run gives up after this many failures in a row. */
    private static final int ONCE_ATTEMPTS = 4;

    /**
     * What the source reads.
     *
     * @param name the source's configured name
     * @param url the JDBC URL
     * @param driver the driver that accepts it
     * @param properties user and password
     * @param query the page query
     * @param cursorKinds the kinds of the cursor's columns
     * @param cursorNames the cursor's columns as configured (kept in the checkpoint)
     * @param timeColumn the 1-based column of the record's time in the result, 0 for none
     * @param pollInterval the wait after a poll that found less than a page
     */
    record Settings(String name, String url, Driver driver, Properties properties, PageQuery query,
                    List<Kind> cursorKinds, List<String> cursorNames, int timeColumn, Duration pollInterval) {
    }

    private final Settings settings;
    private final int[] cursorColumns;
    private volatile Connection connection;

    /**
     * @param settings what to read
     * @param cursorColumns the 1-based positions of the cursor's columns in the result
     */
    JdbcSource(Settings settings, int[] cursorColumns) {
        this.settings = settings;
        this.cursorColumns = cursorColumns.clone();
    }

    @Override
    public int shards() {
        return settings.query().shards();
    }

    /** The checkpoint key of a shard (-1: not sharded). */
    static String key(int shard) {
        return shard < 0 ? "cursor" : "cursor." + shard;
    }

    @Override
    public void run(RecordContext context) throws IOException, InterruptedException {
        List<Integer> shards = new ArrayList<>();
        if (shards() == 0) {
            shards.add(-1);
        } else if (context.shards().isEmpty()) {
            for (int i = 0; i < shards(); i++) { // no leases (a dry run): the whole table
                shards.add(i);
            }
        } else {
            shards.addAll(new TreeSet<>(context.shards()));
        }
        Map<Integer, String[]> cursors = new HashMap<>();
        for (int shard : shards) {
            byte[] stored = context.checkpoint().get(key(shard));
            if (stored != null) {
                cursors.put(shard, decode(stored));
            }
        }
        AtomicReference<Throwable> lost = new AtomicReference<>();
        Map<Integer, Long> rows = new HashMap<>();
        int failures = 0;
        try {
            while (!context.stopping()) {
                boolean full = false;
                try {
                    Connection c = connection();
                    for (int shard : shards) {
                        if (context.stopping()) {
                            return;
                        }
                        List<DataRecord> page = new ArrayList<>();
                        String[] last = readPage(c, shard, cursors.get(shard), page);
                        if (!page.isEmpty()) {
                            context.emit(page, CheckpointUpdate.put(key(shard), encode(last)))
                                    .whenComplete((v, e) -> {
                                        if (e != null) {
                                            lost.compareAndSet(null, e);
                                        }
                                    });
                            cursors.put(shard, last);
                            rows.merge(shard, (long) page.size(), Long::sum);
                            full |= page.size() >= settings.query().pageSize();
                        }
                    }
                    failures = 0;
                } catch (SQLException e) {
                    closeConnection();
                    failures++;
                    long wait = Math.min(MAX_BACKOFF_MILLIS, 500L << Math.min(16, failures - 1));
                    String what = "source " + settings.name() + ": reading " + dev.ingest.api.Secrets.redactUrl(settings.url())
                            + " failed (" + describe(e) + ")";
                    if (context.once() && failures >= ONCE_ATTEMPTS) {
                        throw new IOException(what + " " + failures + " times in a row", e);
                    }
                    LOG.warn("{}; trying again in {} ms from the last row handed over", what, wait);
                    context.awaitStop(Duration.ofMillis(wait));
                    continue;
                }
                Throwable failed = lost.get();
                if (failed != null) {
                    throw new IOException("source " + settings.name() + ": rows handed over could not be queued: "
                            + failed.getMessage(), failed);
                }
                status(context, shards, cursors, rows);
                if (!full) {
                    if (context.once()) {
                        return;
                    }
                    context.awaitStop(settings.pollInterval());
                }
            }
        } finally {
            closeConnection();
        }
    }

    private void status(RecordContext context, List<Integer> shards, Map<Integer, String[]> cursors,
                        Map<Integer, Long> rows) {
        Map<String, String> status = new LinkedHashMap<>();
        for (int shard : shards) {
            String[] c = cursors.get(shard);
            String name = shard < 0 ? "cursor" : "shard " + shard;
            status.put(name, (c == null ? "(start)" : String.join(", ", c)) + "; " + rows.getOrDefault(shard, 0L)
                    + " rows this run");
        }
        context.status(status);
    }

    /** Reads a page after the cursor into {@code out}; returns the cursor of its last row (or the given one). */
    private String[] readPage(Connection c, int shard, String[] cursor, List<DataRecord> out) throws SQLException {
        PageQuery q = settings.query();
        String sql = q.sql(cursor != null, shard);
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int p = 1;
            if (cursor != null) {
                for (int i : q.parameters()) {
                    settings.cursorKinds().get(i).bind(ps, p++, cursor[i]);
                }
            }
            if (!q.delay().isZero() && q.dialect().delayByParameter()) {
                ps.setTimestamp(p, Timestamp.from(Instant.now().minus(q.delay())));
            }
            ps.setMaxRows(q.pageSize());
            String[] last = cursor;
            try (ResultSet rs = ps.executeQuery()) {
                Rows rows = new Rows(rs.getMetaData(), settings.timeColumn());
                Instant now = Instant.now();
                while (rs.next()) {
                    out.add(rows.record(rs, now));
                    String[] values = new String[cursorColumns.length];
                    for (int i = 0; i < cursorColumns.length; i++) {
                        values[i] = settings.cursorKinds().get(i).read(rs, cursorColumns[i]);
                        if (values[i] == null) {
                            throw new SQLException("cursor column " + settings.cursorNames().get(i)
                                    + " is NULL in a row; cursor columns must not be NULL", "22004");
                        }
                    }
                    last = values;
                }
            }
            return last;
        }
    }

    private Connection connection() throws SQLException {
        Connection c = connection;
        if (c == null) {
            c = connect(settings.driver(), settings.url(), settings.properties());
            connection = c;
        }
        return c;
    }

    static Connection connect(Driver driver, String url, Properties properties) throws SQLException {
        Connection c = driver.connect(url, properties);
        if (c == null) {
            throw new SQLException("the driver " + driver.getClass().getName() + " does not accept the URL", "08001");
        }
        c.setReadOnly(true);
        return c;
    }

    private void closeConnection() {
        Connection c = connection;
        connection = null;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                LOG.debug("closing the connection of source {}: {}", settings.name(), e.toString());
            }
        }
    }

    /** An SQL error as a line: its SQL state and message. */
    static String describe(SQLException e) {
        String state = e.getSQLState();
        return (state == null ? "" : "SQL state " + state + ": ") + e.getMessage();
    }

    byte[] encode(String[] cursor) {
        ObjectNode node = MAPPER.createObjectNode();
        ArrayNode columns = node.putArray("columns");
        settings.cursorNames().forEach(columns::add);
        ArrayNode values = node.putArray("values");
        Arrays.stream(cursor).forEach(values::add);
        node.put("shards", shards());
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }

    String[] decode(byte[] stored) throws IOException {
        var node = MAPPER.readTree(stored);
        List<String> columns = new ArrayList<>();
        node.path("columns").forEach(n -> columns.add(n.asText()));
        if (!columns.equals(settings.cursorNames())) {
            throw new IOException("source " + settings.name() + ": the committed cursor is over " + columns
                    + " but the configuration's cursor is " + settings.cursorNames()
                    + "; reset the workflow's checkpoint to change the cursor");
        }
        if (node.path("shards").asInt() != shards()) {
            throw new IOException("source " + settings.name() + ": the committed cursor was written with shards: "
                    + node.path("shards").asInt() + ", the configuration says " + shards()
                    + "; reset the workflow's checkpoint to change the number of shards");
        }
        String[] values = new String[columns.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = node.path("values").path(i).asText();
        }
        return values;
    }

    @Override
    public void close() {
        closeConnection();
    }

    @Override
    public String toString() {
        return "JdbcSource[" + settings.name() + ", " + dev.ingest.api.Secrets.redactUrl(settings.url()) + ", " + settings.query() + "]";
    }

    static Optional<Integer> indexOf(List<String> labels, String column) {
        for (int i = 0; i < labels.size(); i++) {
            if (labels.get(i).equalsIgnoreCase(column)) {
                return Optional.of(i + 1);
            }
        }
        return Optional.empty();
    }
}
