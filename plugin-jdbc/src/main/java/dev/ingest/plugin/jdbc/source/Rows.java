package dev.ingest.plugin.jdbc.source;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.ingest.api.DataRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the rows of one result set into records: a JSON object per row, {@code {column: value}}, with the types kept
 * (numbers, booleans, strings, timestamps in RFC 3339, nulls), and every column also an attribute (its value as text;
 * a NULL has none, which a key template reads as empty). A timestamp without a time zone is taken as UTC; binary values are Base64.
 *
 * <p>Not thread-safe: one per result set.
 */
final class Rows {

    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(com.fasterxml.jackson.core.StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN).build();
    private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ISO_OFFSET_DATE_TIME;

    /** How a column is written. */
    private enum Out { BOOL, LONG, DECIMAL, DOUBLE, DATE, TIME, TIMESTAMP, TIMESTAMP_TZ, BINARY, TEXT }

    private final String[] names;
    private final Out[] outs;
    private final int timeColumn;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(512);
    private final String[] texts;

    /**
     * @param meta the result set's columns
     * @param timeColumn the 1-based column of the record's time, or 0 for the time it is read
     */
    Rows(ResultSetMetaData meta, int timeColumn) throws SQLException {
        int n = meta.getColumnCount();
        names = new String[n];
        outs = new Out[n];
        texts = new String[n];
        for (int i = 0; i < n; i++) {
            names[i] = meta.getColumnLabel(i + 1);
            outs[i] = out(meta.getColumnType(i + 1), meta.getColumnTypeName(i + 1));
        }
        this.timeColumn = timeColumn;
        if (new java.util.HashSet<>(java.util.Arrays.asList(names)).size() != n) {
            throw new SQLException("two columns of the result have the same name " + java.util.Arrays.toString(names)
                    + "; give them distinct names with AS", "42702");
        }
    }

    private static Out out(int type, String typeName) {
        String name = typeName == null ? "" : typeName.toLowerCase(Locale.ROOT);
        if (name.equals("timestamptz") || type == Types.TIMESTAMP_WITH_TIMEZONE) {
            return Out.TIMESTAMP_TZ;
        }
        return switch (type) {
            case Types.BIT, Types.BOOLEAN -> name.equals("bit") || name.startsWith("varbit") ? Out.TEXT : Out.BOOL;
            case Types.TINYINT, Types.SMALLINT, Types.INTEGER -> Out.LONG;
            case Types.BIGINT, Types.NUMERIC, Types.DECIMAL -> Out.DECIMAL;
            case Types.REAL, Types.FLOAT, Types.DOUBLE -> Out.DOUBLE;
            case Types.DATE -> Out.DATE;
            case Types.TIME -> Out.TIME;
            case Types.TIMESTAMP -> Out.TIMESTAMP;
            case Types.BINARY, Types.VARBINARY, Types.LONGVARBINARY, Types.BLOB -> Out.BINARY;
            default -> Out.TEXT;
        };
    }

    /** @return the column names, in order */
    String[] names() {
        return names.clone();
    }

    /**
     * The record of the result set's current row.
     *
     * @param rs positioned on a row
     * @param readAt the record's time when it has no time column, or its value is NULL
     * @return the record
     */
    DataRecord record(ResultSet rs, Instant readAt) throws SQLException {
        buffer.reset();
        Instant time = readAt;
        @SuppressWarnings("unchecked")
        Map.Entry<String, String>[] attributes = new Map.Entry[names.length];
        int attributeCount = 0;
        try (JsonGenerator g = JSON.createGenerator(buffer)) {
            g.writeStartObject();
            for (int i = 0; i < names.length; i++) {
                int c = i + 1;
                g.writeFieldName(names[i]);
                String text;
                switch (outs[i]) {
                    case BOOL -> {
                        boolean b = rs.getBoolean(c);
                        text = rs.wasNull() ? null : Boolean.toString(b);
                        if (text == null) {
                            g.writeNull();
                        } else {
                            g.writeBoolean(b);
                        }
                    }
                    case LONG -> {
                        long l = rs.getLong(c);
                        text = rs.wasNull() ? null : Long.toString(l);
                        if (text == null) {
                            g.writeNull();
                        } else {
                            g.writeNumber(l);
                        }
                    }
                    case DECIMAL -> {
                        BigDecimal d = rs.getBigDecimal(c);
                        text = d == null ? null : d.toPlainString();
                        if (d == null) {
                            g.writeNull();
                        } else {
                            g.writeNumber(d);
                        }
                    }
                    case DOUBLE -> {
                        double d = rs.getDouble(c);
                        text = rs.wasNull() ? null : Double.toString(d);
                        if (text == null) {
                            g.writeNull();
                        } else if (Double.isFinite(d)) {
                            g.writeNumber(d);
                        } else {
                            g.writeString(text); // JSON has no NaN or Infinity
                        }
                    }
                    case DATE -> {
                        LocalDate d = rs.getObject(c, LocalDate.class);
                        text = d == null ? null : d.toString();
                        if (d != null && c == timeColumn) {
                            time = d.atStartOfDay().toInstant(ZoneOffset.UTC);
                        }
                        writeText(g, text);
                    }
                    case TIME -> {
                        LocalTime t = rs.getObject(c, LocalTime.class);
                        text = t == null ? null : t.toString();
                        writeText(g, text);
                    }
                    case TIMESTAMP -> {
                        LocalDateTime t = rs.getObject(c, LocalDateTime.class);
                        OffsetDateTime utc = t == null ? null : t.atOffset(ZoneOffset.UTC);
                        text = utc == null ? null : RFC3339.format(utc);
                        if (utc != null && c == timeColumn) {
                            time = utc.toInstant();
                        }
                        writeText(g, text);
                    }
                    case TIMESTAMP_TZ -> {
                        OffsetDateTime t = rs.getObject(c, OffsetDateTime.class);
                        OffsetDateTime utc = t == null ? null : t.withOffsetSameInstant(ZoneOffset.UTC);
                        text = utc == null ? null : RFC3339.format(utc);
                        if (utc != null && c == timeColumn) {
                            time = utc.toInstant();
                        }
                        writeText(g, text);
                    }
                    case BINARY -> {
                        byte[] b = rs.getBytes(c);
                        text = b == null ? null : Base64.getEncoder().encodeToString(b);
                        writeText(g, text);
                    }
                    default -> {
                        text = rs.getString(c);
                        writeText(g, text);
                    }
                }
                if (text != null) {
                    attributes[attributeCount++] = Map.entry(names[i], text);
                }
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        // An immutable map already: DataRecord's copy of it is the map itself.
        return new DataRecord(buffer.toByteArray(), time, Map.ofEntries(attributeCount == attributes.length ? attributes
                : java.util.Arrays.copyOf(attributes, attributeCount)));
    }

    private static void writeText(JsonGenerator g, String text) throws IOException {
        if (text == null) {
            g.writeNull();
        } else {
            g.writeString(text);
        }
    }
}
