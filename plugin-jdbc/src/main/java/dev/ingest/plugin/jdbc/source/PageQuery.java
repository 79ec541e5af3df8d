package dev.ingest.plugin.jdbc.source;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The query of one page: the configured table or query, the rows after the cursor (on the first read of a shard,
 * all rows), older than the delay, of one shard, in cursor order, at most a page.
 *
 * <pre>{@code
 * SELECT * FROM (<query>) ingest_rows WHERE (inserted_at, id) > (?, ?)
 *   AND (inserted_at <= CURRENT_TIMESTAMP - INTERVAL '60000000 microseconds') AND (<shard of host> = 3)
 *   ORDER BY inserted_at, id LIMIT 5000
 * }</pre>
 *
 * @param dialect the database's SQL
 * @param from what rows are read from: a table name, or a {@code SELECT} in parentheses with an alias
 * @param cursor the cursor's columns, quoted as needed
 * @param timeColumn the delay's column, quoted
 * @param delay the delay, zero for none
 * @param shardColumn the shard column, quoted, when sharded
 * @param shards the number of shards, 0 for none
 * @param pageSize rows per page
 */
record PageQuery(Dialect dialect, String from, List<String> cursor, String timeColumn, Duration delay,
                 Optional<String> shardColumn, int shards, int pageSize) {

    PageQuery {
        cursor = List.copyOf(cursor);
    }

    /**
     * @param table a table name, used as it is
     * @return the {@code FROM} item of a table
     */
    static String fromTable(String table) {
        return table;
    }

    /**
     * @param select a {@code SELECT}; a trailing {@code ;} is dropped
     * @return the {@code FROM} item of a query
     */
    static String fromQuery(String select) {
        String s = select.strip();
        while (s.endsWith(";")) {
            s = s.substring(0, s.length() - 1).strip();
        }
        return "(" + s + ") ingest_rows";
    }

    /**
     * The SQL of a page.
     *
     * @param afterCursor whether there is a cursor (false: a shard's first read, from the first row)
     * @param shard the shard, or -1 when not sharded
     * @return the SQL, with parameters: {@link #parameters} of the cursor, then the generic delay's limit
     */
    String sql(boolean afterCursor, int shard) {
        return sql(afterCursor, shard, false);
    }

    private String sql(boolean afterCursor, int shard, boolean noRows) {
        List<String> where = new ArrayList<>();
        if (afterCursor) {
            where.add(dialect.after(cursor));
        }
        if (!delay.isZero()) {
            where.add(dialect.olderThan(timeColumn, delay));
        }
        if (shard >= 0) {
            where.add(dialect.inShards(shardColumn.orElseThrow(), shards, Set.of(shard)));
        }
        if (noRows) {
            where.add("1 = 0");
        }
        StringBuilder sql = new StringBuilder("SELECT * FROM ").append(from);
        if (!where.isEmpty()) {
            sql.append(" WHERE ").append(String.join(" AND ", where));
        }
        sql.append(" ORDER BY ").append(String.join(", ", cursor));
        sql.append(" LIMIT ").append(pageSize);
        return sql.toString();
    }

    /**
     * A query that checks everything a page needs (the table or query, the columns, the shard and delay
     * expressions) and reads no row.
     *
     * @return the SQL; with the generic dialect and a delay, one timestamp parameter
     */
    String probe() {
        return sql(false, shards > 0 ? 0 : -1, true);
    }

    /**
     * @return which cursor value each cursor parameter takes, in order
     */
    List<Integer> parameters() {
        return dialect.cursorParameters(cursor.size());
    }

    @Override
    public String toString() {
        return cursor.stream().collect(Collectors.joining(", ", "PageQuery[" + from + " by (", ")]"));
    }
}
