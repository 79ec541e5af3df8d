package dev.ingest.plugin.jdbc.source;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.Optional;

/**
 * What a cursor column holds, as far as the source reads, writes and binds it: a value kept in the checkpoint as
 * text and bound back with the type it came with. Only types with a total order the database and the source agree
 * on can be cursor columns.
 */
enum Kind {
    INTEGER, DECIMAL, FLOAT, TEXT, DATE, TIME, TIMESTAMP, TIMESTAMP_TZ;

    /**
     * @param jdbcType the column's {@link Types} code
     * @param typeName the database's name of the type
     * @return the kind, or empty for a type that cannot order a cursor (binary, JSON, arrays, booleans, ...)
     */
    static Optional<Kind> of(int jdbcType, String typeName) {
        String name = typeName == null ? "" : typeName.toLowerCase(Locale.ROOT);
        if (name.equals("timestamptz") || jdbcType == Types.TIMESTAMP_WITH_TIMEZONE) {
            return Optional.of(TIMESTAMP_TZ);
        }
        return Optional.ofNullable(switch (jdbcType) {
            case Types.TINYINT, Types.SMALLINT, Types.INTEGER, Types.BIGINT -> INTEGER;
            case Types.NUMERIC, Types.DECIMAL -> DECIMAL;
            case Types.REAL, Types.FLOAT, Types.DOUBLE -> FLOAT;
            case Types.CHAR, Types.VARCHAR, Types.NCHAR, Types.NVARCHAR, Types.LONGVARCHAR, Types.LONGNVARCHAR -> TEXT;
            case Types.DATE -> DATE;
            case Types.TIME -> TIME;
            case Types.TIMESTAMP -> TIMESTAMP;
            default -> null;
        });
    }

    /** @return whether values of this kind are points in time (a record's time, the delay's column) */
    boolean temporal() {
        return this == DATE || this == TIMESTAMP || this == TIMESTAMP_TZ;
    }

    /**
     * Reads a cursor value as text, exactly (no rounding): what the checkpoint keeps.
     *
     * @return the text, or null for SQL NULL
     */
    String read(ResultSet rs, int column) throws SQLException {
        return switch (this) {
            case INTEGER, TEXT -> rs.getString(column);
            case DECIMAL -> {
                var d = rs.getBigDecimal(column);
                yield d == null ? null : d.toPlainString();
            }
            case FLOAT -> {
                double d = rs.getDouble(column);
                yield rs.wasNull() ? null : Double.toString(d);
            }
            case DATE -> str(rs.getObject(column, LocalDate.class));
            case TIME -> str(rs.getObject(column, LocalTime.class));
            case TIMESTAMP -> str(rs.getObject(column, LocalDateTime.class));
            case TIMESTAMP_TZ -> {
                OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
                yield t == null ? null : t.withOffsetSameInstant(ZoneOffset.UTC).toString();
            }
        };
    }

    /** Binds a value read by {@link #read} as a parameter of the same type. */
    void bind(PreparedStatement ps, int index, String value) throws SQLException {
        switch (this) {
            case INTEGER -> {
                try {
                    ps.setLong(index, Long.parseLong(value)); // a numeric parameter would keep PostgreSQL off the index
                } catch (NumberFormatException e) {
                    ps.setBigDecimal(index, new java.math.BigDecimal(value)); // BIGINT UNSIGNED beyond a long
                }
            }
            case DECIMAL -> ps.setBigDecimal(index, new java.math.BigDecimal(value));
            case FLOAT -> ps.setDouble(index, Double.parseDouble(value));
            case TEXT -> ps.setString(index, value);
            case DATE -> ps.setObject(index, LocalDate.parse(value));
            case TIME -> ps.setObject(index, LocalTime.parse(value));
            case TIMESTAMP -> ps.setObject(index, LocalDateTime.parse(value));
            case TIMESTAMP_TZ -> ps.setObject(index, OffsetDateTime.parse(value));
        }
    }

    private static String str(Object o) {
        return o == null ? null : o.toString();
    }
}
