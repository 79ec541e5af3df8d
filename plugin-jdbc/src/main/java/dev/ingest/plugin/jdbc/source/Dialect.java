package dev.ingest.plugin.jdbc.source;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The SQL a database needs for what the source asks: the cursor predicate, the delay, the shard of a row. Chosen from
 * the JDBC URL: {@code jdbc:postgresql:} compares the cursor as a row value ({@code (a, b) > (?, ?)}, which a
 * B-tree index on {@code (a, b)} serves); {@code jdbc:mariadb:} and {@code jdbc:mysql:} spell the comparison out
 * ({@code a > ? OR (a = ? AND b > ?)}, which their optimizers turn into an index range, unlike their row
 * comparison); any other driver gets the spelled-out form too, with the delay computed by the source's clock.
 */
enum Dialect {
    POSTGRESQL, MARIADB, GENERIC;

    static Dialect of(String url) {
        String u = url.toLowerCase(Locale.ROOT);
        if (u.startsWith("jdbc:postgresql:")) {
            return POSTGRESQL;
        }
        if (u.startsWith("jdbc:mariadb:") || u.startsWith("jdbc:mysql:")) {
            return MARIADB;
        }
        return GENERIC;
    }

    /**
     * The predicate "the row comes after the cursor", with one {@code ?} per parameter in the order of
     * {@link #cursorParameters}.
     *
     * @param columns the cursor's columns, quoted as needed
     * @return the predicate, parenthesised
     */
    String after(List<String> columns) {
        if (this == POSTGRESQL || columns.size() == 1) {
            if (columns.size() == 1) {
                return "(" + columns.get(0) + " > ?)";
            }
            return "((" + String.join(", ", columns) + ") > ("
                    + columns.stream().map(c -> "?").collect(Collectors.joining(", ")) + "))";
        }
        List<String> terms = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            StringBuilder t = new StringBuilder("(");
            for (int j = 0; j < i; j++) {
                t.append(columns.get(j)).append(" = ? AND ");
            }
            t.append(columns.get(i)).append(" > ?)");
            terms.add(t.toString());
        }
        return "(" + String.join(" OR ", terms) + ")";
    }

    /**
     * Which cursor values the parameters of {@link #after} take, in order: indexes into the cursor.
     *
     * @param n the number of cursor columns
     * @return the indexes
     */
    List<Integer> cursorParameters(int n) {
        List<Integer> out = new ArrayList<>();
        if (this == POSTGRESQL || n == 1) {
            for (int i = 0; i < n; i++) {
                out.add(i);
            }
            return out;
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                out.add(j);
            }
        }
        return out;
    }

    /**
     * The predicate "the row is older than now less the delay", by the database's clock where the dialect knows
     * how; the generic one takes the limit as a parameter ({@link #delayByParameter()}).
     *
     * @param timeColumn the column
     * @param delay the delay, above zero
     * @return the predicate
     */
    String olderThan(String timeColumn, Duration delay) {
        long micros = delay.toNanos() / 1000;
        return switch (this) {
            case POSTGRESQL -> "(" + timeColumn + " <= CURRENT_TIMESTAMP - INTERVAL '" + micros + " microseconds')";
            case MARIADB -> "(" + timeColumn + " <= CURRENT_TIMESTAMP(6) - INTERVAL " + micros + " MICROSECOND)";
            case GENERIC -> "(" + timeColumn + " <= ?)";
        };
    }

    /** @return whether {@link #olderThan} takes the limit as a parameter (a timestamp) */
    boolean delayByParameter() {
        return this == GENERIC;
    }

    /**
     * The predicate "the row belongs to one of these shards": a hash of the column modulo the number of shards.
     * PostgreSQL hashes the column's text ({@code hashtext}), MariaDB its CRC-32; other databases take the
     * column's integer value modulo the shards.
     *
     * @param column the shard column
     * @param shards the number of shards
     * @param owned the shards wanted
     * @return the predicate
     */
    String inShards(String column, int shards, Set<Integer> owned) {
        String list = owned.stream().sorted().map(String::valueOf).collect(Collectors.joining(", "));
        return "(" + shardOf(column, shards) + " IN (" + list + "))";
    }

    /**
     * @param column the shard column
     * @param shards the number of shards
     * @return the expression of a row's shard, 0 to {@code shards - 1}
     */
    String shardOf(String column, int shards) {
        return switch (this) {
            case POSTGRESQL -> "((hashtext(CAST(" + column + " AS text)) & 2147483647) % " + shards + ")";
            case MARIADB -> "(CRC32(" + column + ") % " + shards + ")";
            case GENERIC -> "MOD(ABS(" + column + "), " + shards + ")";
        };
    }

    /**
     * Quotes an identifier the way the database does, when it needs quoting: a plain lower-case name
     * ({@code [a-z_][a-z0-9_]*}) stays as written, so that case folding works as the user expects; anything else is
     * quoted ({@code "..."} or, for MariaDB, {@code `...`}).
     *
     * @param name a column name
     * @return the name for SQL
     */
    String quote(String name) {
        if (name.matches("[a-z_][a-z0-9_]*")) {
            return name;
        }
        if (this == MARIADB) {
            return "`" + name.replace("`", "``") + "`";
        }
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }
}
