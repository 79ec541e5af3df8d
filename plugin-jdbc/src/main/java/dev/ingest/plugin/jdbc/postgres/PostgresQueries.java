package dev.ingest.plugin.jdbc.postgres;

import dev.ingest.api.Query;
import dev.ingest.api.QueryPage;
import dev.ingest.api.Queryable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Answers filter queries over a {@link PostgresDestination}'s table with one SQL statement. The statement's text is
 * made only of this plugin's own fragments and the configured (validated) table and column names; every key, value,
 * bound and cursor of the query is a bound parameter. Newest first ({@code time DESC, id DESC}, the time index);
 * the cursor is the last row's time and id (keyset pagination).
 */
final class PostgresQueries implements Queryable {

    private static final Pattern NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");
    private static final Pattern MILLIS = Pattern.compile("-?[0-9]{1,15}");

    private final PostgresDestination destination;
    private final PostgresDestination.Settings settings;

    PostgresQueries(PostgresDestination destination, PostgresDestination.Settings settings) {
        this.destination = destination;
        this.settings = settings;
    }

    /** A fragment of SQL with its parameters, in order. */
    private static final class Sql {
        final StringBuilder text = new StringBuilder();
        final List<Object> params = new ArrayList<>();

        Sql add(String sql, Object... values) {
            text.append(sql);
            params.addAll(List.of(values));
            return this;
        }
    }

    /** A path as a {@code text[]} parameter. */
    private record TextArray(List<String> items) {
    }

    @Override
    public QueryPage query(Query query) throws IOException {
        Sql sql = new Sql().add("SELECT id, time, record::text FROM " + settings.qualified() + " WHERE (");
        if (query.filters().isEmpty()) {
            sql.add("TRUE");
        }
        for (int i = 0; i < query.filters().size(); i++) {
            if (i > 0) {
                sql.add(query.any() ? " OR " : " AND ");
            }
            sql.add("(");
            condition(sql, query.filters().get(i), "filters[" + i + "]");
            sql.add(")");
        }
        sql.add(")");
        if (query.after().isPresent()) {
            long[] cursor = cursor(query.after().get());
            sql.add(" AND (time, id) < (?, ?)", OffsetDateTime.ofInstant(micros(cursor[0]), ZoneOffset.UTC),
                    cursor[1]);
        }
        sql.add(" ORDER BY time DESC, id DESC LIMIT ?", query.limit() + 1);

        Connection c = destination.take();
        try {
            List<String> records = new ArrayList<>();
            String next = null;
            try (PreparedStatement ps = c.prepareStatement(sql.text.toString())) {
                bind(c, ps, sql.params);
                try (ResultSet rs = ps.executeQuery()) {
                    long lastId = 0;
                    Instant lastTime = null;
                    while (rs.next()) {
                        if (records.size() == query.limit()) {
                            next = cursor(lastTime, lastId);
                            break;
                        }
                        lastId = rs.getLong(1);
                        lastTime = rs.getObject(2, OffsetDateTime.class).toInstant();
                        records.add(rs.getString(3));
                    }
                }
            }
            destination.give(c);
            c = null;
            return new QueryPage(records, Optional.ofNullable(next));
        } catch (SQLException e) {
            throw new IOException("postgres destination " + settings.name() + ": query failed: " + e.getMessage(), e);
        } finally {
            PostgresDestination.discard(c);
        }
    }

    private void condition(Sql sql, Query.Filter f, String where) {
        noZero(f.key(), where + ".key");
        f.value().ifPresent(v -> noZero(v, where + ".value"));
        f.lower().ifPresent(v -> noZero(v, where + ".lower_range"));
        f.upper().ifPresent(v -> noZero(v, where + ".upper_range"));
        String key = f.key();
        if (key.equals("timestamp") || key.equals("time") || key.equals("/timestamp") || key.equals("/time")) {
            switch (f.operation()) {
                case EQUALS -> sql.add("time = ?", time(f.value().orElseThrow(), where + ".value"));
                case CONTAINS -> throw new IllegalArgumentException(where + ".operation: contains does not apply to "
                        + "the record's time; use equals or range");
                case RANGE -> range(sql, "time", f.lower().map(v -> time(v, where + ".lower_range")).orElse(null),
                        f.upper().map(v -> time(v, where + ".upper_range")).orElse(null));
            }
            return;
        }
        String column = column(key);
        if (column != null) {
            switch (f.operation()) {
                case EQUALS -> sql.add(column + " = ?", f.value().orElseThrow());
                case CONTAINS -> sql.add(column + " LIKE ? ESCAPE '\\'", like(f.value().orElseThrow()));
                case RANGE -> range(sql, column + " COLLATE \"C\"", f.lower().orElse(null), f.upper().orElse(null));
            }
            return;
        }
        JsonFieldPath path;
        try {
            path = JsonFieldPath.parse(key);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ".key: " + e.getMessage());
        }
        TextArray p = new TextArray(path.path());
        switch (f.operation()) {
            case EQUALS -> sql.add("record #>> ? = ?", p, f.value().orElseThrow());
            case CONTAINS -> {
                String value = f.value().orElseThrow();
                if (destination.trigram() && jsonTextIsPlain(value)) {
                    // Lets the trigram index of record::text narrow the rows; the exact test follows.
                    sql.add("record::text LIKE ? ESCAPE '\\' AND ", like(value));
                }
                sql.add("record #>> ? LIKE ? ESCAPE '\\'", p, like(value));
            }
            case RANGE -> {
                String lower = f.lower().orElse(null);
                String upper = f.upper().orElse(null);
                boolean numeric = (lower == null || NUMBER.matcher(lower).matches())
                        && (upper == null || NUMBER.matcher(upper).matches());
                if (numeric) {
                    // jsonb compares numbers as numbers; no cast that a non-number could make fail
                    sql.add("jsonb_typeof(record #> ?) = 'number' AND ", p);
                    range(sql, "record #> ?", p, "to_jsonb(?::numeric)",
                            lower == null ? null : new java.math.BigDecimal(lower),
                            upper == null ? null : new java.math.BigDecimal(upper));
                } else {
                    range(sql, "(record #>> ?) COLLATE \"C\"", p, "?", lower, upper);
                }
            }
        }
    }

    /** PostgreSQL text cannot hold U+0000 (and no stored value has it). */
    private static void noZero(String s, String field) {
        if (s.indexOf('\u0000') >= 0) {
            throw new IllegalArgumentException(field + ": must not contain U+0000");
        }
    }

    private static void range(Sql sql, String expression, Object lower, Object upper) {
        range(sql, expression, null, "?", lower, upper);
    }

    /**
     * {@code expression >= lower AND expression <= upper}, either bound left out when null; {@code arg} is the
     * expression's own parameter, if any, and {@code bound} the placeholder of a bound.
     */
    private static void range(Sql sql, String expression, Object arg, String bound, Object lower, Object upper) {
        boolean first = true;
        for (Object[] side : new Object[][] {{">=", lower}, {"<=", upper}}) {
            if (side[1] == null) {
                continue;
            }
            if (!first) {
                sql.add(" AND ");
            }
            first = false;
            if (arg != null) {
                sql.add(expression + " " + side[0] + " " + bound, arg, side[1]);
            } else {
                sql.add(expression + " " + side[0] + " " + bound, side[1]);
            }
        }
    }

    /** The configured column a key names (by its name or by the pointer it was configured with), or null. */
    private String column(String key) {
        for (Map.Entry<String, JsonFieldPath> e : settings.columns().entrySet()) {
            if (e.getValue().text().equals(key) || e.getValue().pointer().toString().equals(key)) {
                return e.getKey();
            }
        }
        return null;
    }

    private static void bind(Connection c, PreparedStatement ps, List<Object> params) throws SQLException {
        for (int i = 0; i < params.size(); i++) {
            Object v = params.get(i);
            if (v instanceof TextArray a) {
                ps.setArray(i + 1, c.createArrayOf("text", a.items().toArray()));
            } else {
                ps.setObject(i + 1, v);
            }
        }
    }

    /** A LIKE pattern matching the value anywhere, with LIKE's own characters escaped. */
    static String like(String value) {
        StringBuilder b = new StringBuilder(value.length() + 2).append('%');
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            if (ch == '%' || ch == '_' || ch == '\\') {
                b.append('\\');
            }
            b.append(ch);
        }
        return b.append('%').toString();
    }

    /** Whether the value appears in jsonb's text output exactly as it is (nothing in it is escaped there). */
    private static boolean jsonTextIsPlain(String value) {
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            if (ch < 0x20 || ch == '"' || ch == '\\' || ch == 0x7f) {
                return false;
            }
        }
        return true;
    }

    private static OffsetDateTime time(String text, String field) {
        String s = text.trim();
        if (MILLIS.matcher(s).matches()) {
            return Instant.ofEpochMilli(Long.parseLong(s)).atOffset(ZoneOffset.UTC);
        }
        return parseTime(s).map(i -> i.atOffset(ZoneOffset.UTC)).orElseThrow(() -> new IllegalArgumentException(
                field + ": '" + (s.length() > 80 ? s.substring(0, 77) + "..." : s)
                        + "' is not an RFC 3339 time or epoch milliseconds"));
    }

    static Optional<Instant> parseTime(String text) {
        String s = text.trim();
        if (s.length() > 10 && (s.charAt(10) == ' ' || s.charAt(10) == 't')) {
            s = s.substring(0, 10) + 'T' + s.substring(11);
        }
        if (s.endsWith("z")) {
            s = s.substring(0, s.length() - 1) + 'Z';
        }
        try {
            return Optional.of(OffsetDateTime.parse(s, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static String cursor(Instant time, long id) {
        long micros = Math.multiplyExact(time.getEpochSecond(), 1_000_000L) + time.getNano() / 1000;
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("v1:" + micros + ":" + id)
                .getBytes(StandardCharsets.US_ASCII));
    }

    private static long[] cursor(String text) {
        try {
            String s = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.US_ASCII);
            String[] parts = s.split(":");
            if (parts.length == 3 && parts[0].equals("v1")) {
                return new long[] {Long.parseLong(parts[1]), Long.parseLong(parts[2])};
            }
        } catch (IllegalArgumentException e) {
            // below
        }
        throw new IllegalArgumentException("after: '" + (text.length() > 40 ? text.substring(0, 37) + "..." : text)
                + "' is not a cursor of this destination (pass the 'next' of the page before)");
    }

    private static Instant micros(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000);
    }

    @Override
    public String toString() {
        return "queries of " + settings.name() + " (" + settings.qualified() + ")";
    }

}
