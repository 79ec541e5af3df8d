package dev.ingest.plugin.jdbc.postgres;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ingest.api.Blob;
import dev.ingest.api.Codec;
import dev.ingest.api.Destination;
import dev.ingest.api.PoisonException;
import dev.ingest.api.Presence;
import dev.ingest.api.Queryable;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.zip.GZIPInputStream;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores NDJSON batches as rows of a PostgreSQL table: one row per line, keyed by the batch's name and the line's
 * number, all of a batch in one transaction together with its entry in the ledger table {@code <table>_batches}, which
 * {@link #stat} reads. A batch stored again (after a crash) inserts nothing twice ({@code ON CONFLICT DO NOTHING}); a
 * line that is not a JSON object makes the batch poison (dead-lettered, naming the line) and nothing of it is kept.
 *
 * <p>Thread-safe: each call takes a connection of its own from a small pool.
 */
final class PostgresDestination implements Destination {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresDestination.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** Rows sent to the server at once by INSERT. */
    static final int INSERT_BATCH = 1000;
    /** Characters of COPY data sent to the server at once. */
    private static final int COPY_CHUNK = 1 << 17;
    /** Idle connections kept. */
    private static final int POOL = 4;

    record Settings(String name, String url, String user, String password, String schema, String table,
                    Map<String, JsonFieldPath> columns, JsonFieldPath timeField, boolean recordIndex) {

        Settings {
            columns = Map.copyOf(columns);
        }

        /** @return the table, schema-qualified when a schema was given */
        String qualified() {
            return schema == null ? table : schema + "." + table;
        }

        String ledger() {
            return qualified() + "_batches";
        }

        @Override
        public String toString() {
            return "postgres " + name + " (" + baseUrl(url) + ", table " + qualified() + ")";
        }
    }

    private final Settings settings;
    /** Where the configured columns' values come from, in the order of {@link #rowColumns}. */
    private final List<JsonFieldPath> columnPaths;
    /** The columns a row fills, as COPY and INSERT name them: {@code batch, seq, time, record} and the configured. */
    private final String rowColumns;
    private final Deque<Connection> idle = new ArrayDeque<>();
    private final PostgresQueries queries;
    /** Whether pg_trgm is installed (the configured columns have trigram indexes). */
    private volatile boolean trigram;
    private volatile boolean closed;

    PostgresDestination(Settings settings) {
        this.settings = settings;
        List<String> columns = List.copyOf(settings.columns().keySet()); // one order for names and values
        this.columnPaths = columns.stream().map(settings.columns()::get).toList();
        StringBuilder names = new StringBuilder("batch, seq, time, record");
        columns.forEach(col -> names.append(", ").append(col));
        this.rowColumns = names.toString();
        this.queries = new PostgresQueries(this, settings);
    }

    Settings settings() {
        return settings;
    }

    /** @return whether {@code record::text} has a trigram index that {@code contains} can use */
    boolean trigram() {
        return trigram && settings.recordIndex();
    }

    /** Creates the table, its ledger and its indexes where missing (under an advisory lock: tests run in parallel). */
    void setUp() throws IOException {
        String t = settings.qualified();
        String bare = settings.table();
        List<String> ddl = new ArrayList<>();
        StringBuilder create = new StringBuilder("CREATE TABLE IF NOT EXISTS " + t + " (id bigserial PRIMARY KEY, "
                + "batch text NOT NULL, seq integer NOT NULL, time timestamptz NOT NULL, record jsonb NOT NULL");
        for (String column : settings.columns().keySet()) {
            create.append(", ").append(column).append(" text");
        }
        create.append(", CONSTRAINT ").append(indexName(bare, "key")).append(" UNIQUE (batch, seq))");
        ddl.add(create.toString());
        for (String column : settings.columns().keySet()) {
            ddl.add("ALTER TABLE " + t + " ADD COLUMN IF NOT EXISTS " + column + " text");
        }
        ddl.add("CREATE TABLE IF NOT EXISTS " + settings.ledger() + " (batch text PRIMARY KEY, records integer NOT "
                + "NULL, version text, stored_at timestamptz NOT NULL DEFAULT now())");
        ddl.add("CREATE INDEX IF NOT EXISTS " + indexName(bare, "time") + " ON " + t + " (time DESC, id DESC)");
        for (String column : settings.columns().keySet()) {
            ddl.add("CREATE INDEX IF NOT EXISTS " + indexName(bare, column) + " ON " + t + " (" + column + ")");
        }
        try (Connection c = connect()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("SELECT pg_advisory_xact_lock(hashtext('ingest-postgres-setup'))");
                for (String sql : ddl) {
                    s.execute(sql);
                }
                c.commit();
                trigram = setUpTrigram(c, s, t, bare);
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IOException("postgres destination " + settings.name() + ": cannot set up table "
                    + settings.qualified() + " at " + baseUrl(settings.url()) + ": " + e.getMessage(), e);
        }
        LOG.info("destination {}: table {} ready (trigram indexes: {}, on the whole record: {})", settings.name(), t,
                trigram, trigram && settings.recordIndex());
    }

    /** Trigram indexes for {@code contains}, where the server has pg_trgm (or lets us create it). */
    private boolean setUpTrigram(Connection c, Statement s, String t, String bare) throws SQLException {
        try {
            s.execute("SELECT pg_advisory_xact_lock(hashtext('ingest-postgres-setup'))");
            s.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm");
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            LOG.info("destination {}: pg_trgm cannot be created ({}); contains queries scan", settings.name(),
                    e.getMessage());
        }
        try (ResultSet rs = s.executeQuery("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")) {
            if (!rs.next()) {
                c.commit();
                return false;
            }
        }
        s.execute("SELECT pg_advisory_xact_lock(hashtext('ingest-postgres-setup'))");
        if (settings.recordIndex()) {
            s.execute("CREATE INDEX IF NOT EXISTS " + indexName(bare, "record_trgm") + " ON " + t
                    + " USING gin ((record::text) gin_trgm_ops)");
        }
        for (String column : settings.columns().keySet()) {
            s.execute("CREATE INDEX IF NOT EXISTS " + indexName(bare, column + "_trgm") + " ON " + t
                    + " USING gin (" + column + " gin_trgm_ops)");
        }
        c.commit();
        return true;
    }

    /** An index or constraint name within PostgreSQL's 63 bytes, unique per table and suffix. */
    static String indexName(String table, String suffix) {
        String name = table + "_" + suffix;
        if (name.length() <= 63) {
            return name;
        }
        return name.substring(0, 52) + "_" + String.format(Locale.ROOT, "%08x", name.hashCode());
    }

    @Override
    public Optional<URI> stat(Codec codec) throws IOException {
        return check(codec).map(Presence::uri);
    }

    /** Present when the ledger names the batch; verified when it also holds the codec's version. */
    @Override
    public Optional<Presence> check(Codec codec) throws IOException {
        Connection c = take();
        try {
            Optional<Presence> found = Optional.empty();
            try (PreparedStatement ps = c.prepareStatement("SELECT version FROM " + settings.ledger()
                    + " WHERE batch = ?")) {
                ps.setString(1, codec.name());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        String version = rs.getString(1);
                        URI uri = uri(codec.name());
                        found = Optional.of(version != null && !codec.version().isEmpty()
                                && version.equals(codec.version())
                                ? Presence.verified(uri) : Presence.unverified(uri));
                    }
                }
            }
            give(c);
            c = null;
            return found;
        } catch (SQLException e) {
            throw new IOException("postgres destination " + settings.name() + ": cannot read the ledger: "
                    + e.getMessage(), e);
        } finally {
            discard(c);
        }
    }

    @Override
    public URI store(Codec codec, Blob blob) throws IOException {
        String batch = codec.name();
        Connection c = take();
        boolean ok = false;
        try (InputStream raw = blob.stream(); InputStream in = decompress(raw, blob.contentType());
             BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16)) {
            c.setAutoCommit(false);
            // Stores of the same batch (a redelivery while the first attempt still runs) take turns: the second
            // finds the first's ledger entry. Other batches are not held up.
            try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?), hashtext(?))")) {
                lock.setString(1, settings.qualified());
                lock.setString(2, batch);
                lock.execute();
            }
            boolean ledgered;
            try (PreparedStatement seen = c.prepareStatement("SELECT version FROM " + settings.ledger()
                    + " WHERE batch = ?")) {
                seen.setString(1, batch);
                try (ResultSet rs = seen.executeQuery()) {
                    ledgered = rs.next();
                    if (ledgered && !codec.version().isEmpty() && codec.version().equals(rs.getString(1))) {
                        c.rollback();
                        ok = true;
                        return uri(batch); // this very batch is stored, in a transaction of its own
                    }
                }
            }
            // A batch never stored (no ledger entry, no row: the common case) is sent with COPY, about twice as fast
            // for the server as INSERT. One of this name with other contents (rebuilt after a crash from more or
            // fewer records), or rows of it without a ledger entry: the lines already there are left alone (INSERT
            // ... ON CONFLICT DO NOTHING), the others are added.
            int rows = !ledgered && !anyRow(c, batch) ? copyRows(c, batch, lines) : insertRows(c, batch, lines);
            try (PreparedStatement ledger = c.prepareStatement("INSERT INTO " + settings.ledger()
                    + " (batch, records, version) VALUES (?, ?, ?) ON CONFLICT (batch) DO UPDATE SET records = "
                    + "GREATEST(" + settings.table() + "_batches.records, EXCLUDED.records), version = EXCLUDED.version, "
                    + "stored_at = now()")) {
                ledger.setString(1, batch);
                ledger.setInt(2, rows);
                ledger.setString(3, codec.version().isEmpty() ? null : codec.version());
                ledger.executeUpdate();
            }
            c.commit();
            ok = true;
            return uri(batch);
        } catch (SQLException e) {
            throw new IOException("postgres destination " + settings.name() + ": storing batch " + batch
                    + " failed: " + e.getMessage(), e);
        } finally {
            if (ok) {
                give(c);
            } else {
                try {
                    c.rollback();
                } catch (SQLException ignored) {
                    // the connection is dropped below
                }
                discard(c);
            }
        }
    }

    /** One line of a batch, parsed and checked: what a row is made of. */
    private interface RowSink {
        void row(int line, String text, OffsetDateTime time, String[] values) throws IOException, SQLException;
    }

    /**
     * Reads the batch's lines, checks that each is a JSON object that {@code jsonb} can store and hands it on with
     * its time and column values; blank lines are skipped.
     *
     * @return the number of rows handed on
     * @throws PoisonException naming the batch and the line, for a line that cannot be a row
     */
    private int readRows(String batch, BufferedReader lines, RowSink sink) throws IOException, SQLException {
        OffsetDateTime storedAt = OffsetDateTime.now(ZoneOffset.UTC);
        String[] values = new String[columnPaths.size()];
        int line = 0;
        int rows = 0;
        String text;
        while ((text = lines.readLine()) != null) {
            line++;
            if (text.isBlank()) {
                continue;
            }
            JsonNode record;
            try {
                record = JSON.readTree(text);
            } catch (JsonProcessingException e) {
                throw new PoisonException("batch " + batch + " line " + line + " is not JSON: "
                        + e.getOriginalMessage());
            }
            if (record == null || !record.isObject()) {
                throw new PoisonException("batch " + batch + " line " + line + " is not a JSON object");
            }
            if (text.contains("\\u0000")) {
                throw new PoisonException("batch " + batch + " line " + line + " holds \\u0000, which PostgreSQL's "
                        + "jsonb cannot store");
            }
            for (int i = 0; i < values.length; i++) {
                String v = columnPaths.get(i).textIn(record);
                values[i] = v == null ? null : v.replace("\u0000", "");
            }
            sink.row(line, text, time(record).map(t -> t.atOffset(ZoneOffset.UTC)).orElse(storedAt), values);
            rows++;
        }
        return rows;
    }

    /** Whether any row of the batch is in the table (one probe of the {@code (batch, seq)} index). */
    private boolean anyRow(Connection c, String batch) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM " + settings.qualified()
                + " WHERE batch = ? LIMIT 1")) {
            ps.setString(1, batch);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** Rows of a batch none of whose rows are there: {@code COPY ... FROM STDIN}, in the text format. */
    private int copyRows(Connection c, String batch, BufferedReader lines) throws IOException, SQLException {
        CopyIn copy = c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + settings.qualified() + " ("
                + rowColumns + ") FROM STDIN");
        try {
            StringBuilder buffer = new StringBuilder(COPY_CHUNK + (COPY_CHUNK >> 2));
            StringBuilder name = new StringBuilder();
            copyText(name, batch);
            int rows = readRows(batch, lines, (line, text, time, values) -> {
                buffer.append(name).append('\t').append(line).append('\t');
                copyTime(buffer, time);
                buffer.append('\t');
                copyText(buffer, text);
                for (String v : values) {
                    buffer.append('\t');
                    if (v == null) {
                        buffer.append("\\N");
                    } else {
                        copyText(buffer, v);
                    }
                }
                buffer.append('\n');
                if (buffer.length() >= COPY_CHUNK) {
                    byte[] b = buffer.toString().getBytes(StandardCharsets.UTF_8);
                    copy.writeToCopy(b, 0, b.length);
                    buffer.setLength(0);
                }
            });
            if (buffer.length() > 0) {
                byte[] b = buffer.toString().getBytes(StandardCharsets.UTF_8);
                copy.writeToCopy(b, 0, b.length);
            }
            copy.endCopy();
            return rows;
        } finally {
            if (copy.isActive()) { // a poison line or a failure half-way: nothing of the batch is kept
                try {
                    copy.cancelCopy();
                } catch (SQLException ignored) {
                    // the transaction is rolled back and the connection dropped either way
                }
            }
        }
    }

    /** {@code s} as a field of COPY's text format: backslash, tab, line feed and carriage return escaped. */
    static void copyText(StringBuilder out, String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '\\' -> out.append("\\\\");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                default -> out.append(ch);
            }
        }
    }

    /** A UTC time as {@code timestamptz} input, years before 1 as {@code BC}, microseconds kept. */
    static void copyTime(StringBuilder out, OffsetDateTime t) {
        int year = t.getYear();
        int shown = year > 0 ? year : 1 - year;
        if (shown < 1000) {
            out.append(shown < 10 ? "000" : shown < 100 ? "00" : "0");
        }
        out.append(shown).append('-');
        two(out, t.getMonthValue()).append('-');
        two(out, t.getDayOfMonth()).append(' ');
        two(out, t.getHour()).append(':');
        two(out, t.getMinute()).append(':');
        two(out, t.getSecond());
        int micros = t.getNano() / 1000;
        if (micros != 0) {
            String m = Integer.toString(micros);
            out.append('.').append("000000", 0, 6 - m.length()).append(m);
        }
        out.append("+00");
        if (year <= 0) {
            out.append(" BC");
        }
    }

    private static StringBuilder two(StringBuilder out, int v) {
        return (v < 10 ? out.append('0') : out).append(v);
    }

    /** Rows of a batch some of whose rows may be there: {@code INSERT ... ON CONFLICT (batch, seq) DO NOTHING}. */
    private int insertRows(Connection c, String batch, BufferedReader lines) throws IOException, SQLException {
        String sql = "INSERT INTO " + settings.qualified() + " (" + rowColumns + ") VALUES (?, ?, ?, ?::jsonb"
                + ", ?".repeat(columnPaths.size()) + ") ON CONFLICT (batch, seq) DO NOTHING";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int[] pending = {0};
            int rows = readRows(batch, lines, (line, text, time, values) -> {
                ps.setString(1, batch);
                ps.setInt(2, line);
                ps.setObject(3, time);
                ps.setString(4, text);
                for (int i = 0; i < values.length; i++) {
                    ps.setString(5 + i, values[i]);
                }
                ps.addBatch();
                if (++pending[0] == INSERT_BATCH) {
                    ps.executeBatch();
                    pending[0] = 0;
                }
            });
            if (pending[0] > 0) {
                ps.executeBatch();
            }
            return rows;
        }
    }

    /** Earliest and latest times {@code timestamptz} holds (4713 BC to 294276 AD), a day inside each end. */
    private static final Instant EARLIEST = Instant.parse("-4712-01-02T00:00:00Z");
    private static final Instant LATEST = Instant.parse("+294276-12-30T00:00:00Z");

    /**
     * The record's time from {@code timeField}: RFC 3339 text or epoch milliseconds; empty when absent, neither, or
     * outside what {@code timestamptz} holds (the row then gets the time it is stored; the record keeps its field).
     */
    private Optional<Instant> time(JsonNode record) {
        if (settings.timeField() == null) {
            return Optional.empty();
        }
        JsonNode v = record.at(settings.timeField().pointer());
        Optional<Instant> t;
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            try {
                t = Optional.of(Instant.ofEpochMilli(v.asLong()));
            } catch (java.time.DateTimeException e) {
                return Optional.empty();
            }
        } else {
            t = v.isTextual() ? PostgresQueries.parseTime(v.textValue()) : Optional.empty();
        }
        return t.filter(i -> !i.isBefore(EARLIEST) && !i.isAfter(LATEST));
    }

    private static InputStream decompress(InputStream in, String contentType) throws IOException {
        String type = contentType.toLowerCase(Locale.ROOT);
        if (type.startsWith("application/gzip") || type.startsWith("application/x-gzip")) {
            return new GZIPInputStream(in, 1 << 16);
        }
        if (type.startsWith("application/zstd")) {
            return new com.github.luben.zstd.ZstdInputStream(in);
        }
        return in;
    }

    @Override
    public Optional<Queryable> queries() {
        return Optional.of(queries);
    }

    URI uri(String batch) {
        return URI.create("postgres:" + baseUrl(settings.url()).substring("jdbc:postgresql:".length()) + "/"
                + settings.qualified() + "?batch=" + URLEncoder.encode(batch, StandardCharsets.UTF_8));
    }

    /** The JDBC URL without its query (which may hold a password). */
    static String baseUrl(String url) {
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q);
    }

    Connection take() throws IOException {
        synchronized (idle) {
            if (closed) {
                throw new IOException("postgres destination " + settings.name() + " is closed");
            }
            Connection c = idle.pollFirst();
            if (c != null) {
                return c;
            }
        }
        try {
            return connect();
        } catch (SQLException e) {
            throw new IOException("postgres destination " + settings.name() + ": cannot connect to "
                    + baseUrl(settings.url()) + ": " + e.getMessage(), e);
        }
    }

    void give(Connection c) {
        if (c == null) {
            return;
        }
        try {
            if (!c.getAutoCommit()) { // back to auto-commit: an idle connection must hold no transaction (nor locks)
                c.rollback();
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            discard(c);
            return;
        }
        synchronized (idle) {
            if (!closed && idle.size() < POOL) {
                idle.addFirst(c);
                return;
            }
        }
        discard(c);
    }

    static void discard(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // gone either way
            }
        }
    }

    private Connection connect() throws SQLException {
        Properties p = new Properties();
        if (settings.user() != null) {
            p.setProperty("user", settings.user());
        }
        if (settings.password() != null) {
            p.setProperty("password", settings.password());
        }
        p.setProperty("reWriteBatchedInserts", "true");
        p.setProperty("ApplicationName", "ingest");
        p.setProperty("connectTimeout", "10");
        // The driver of this plugin's own class loader, without DriverManager (which looks at the caller's loader).
        Connection c = new org.postgresql.Driver().connect(settings.url(), p);
        if (c == null) {
            throw new SQLException("the PostgreSQL driver does not accept the URL");
        }
        return c;
    }

    @Override
    public void close() {
        List<Connection> all;
        synchronized (idle) {
            closed = true;
            all = new ArrayList<>(idle);
            idle.clear();
        }
        all.forEach(PostgresDestination::discard);
    }

    @Override
    public String toString() {
        return settings.toString();
    }
}
