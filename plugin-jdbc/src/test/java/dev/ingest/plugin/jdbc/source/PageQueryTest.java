package dev.ingest.plugin.jdbc.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PageQueryTest {

    private static PageQuery query(Dialect d, Duration delay, int shards) {
        return new PageQuery(d, PageQuery.fromTable("access_log"), List.of("inserted_at", "id"), "inserted_at", delay,
                shards > 0 ? Optional.of("bucket") : Optional.empty(), shards, 500);
    }

    @Test
    void postgresqlComparesTheCursorAsARowValue() {
        PageQuery q = query(Dialect.POSTGRESQL, Duration.ZERO, 0);
        assertThat(q.sql(true, -1)).isEqualTo("SELECT * FROM access_log WHERE ((inserted_at, id) > (?, ?)) "
                + "ORDER BY inserted_at, id LIMIT 500");
        assertThat(q.parameters()).containsExactly(0, 1);
    }

    @Test
    void mariadbSpellsTheComparisonOut() {
        PageQuery q = query(Dialect.MARIADB, Duration.ZERO, 0);
        assertThat(q.sql(true, -1)).isEqualTo("SELECT * FROM access_log WHERE ((inserted_at > ?) OR "
                + "(inserted_at = ? AND id > ?)) ORDER BY inserted_at, id LIMIT 500");
        assertThat(q.parameters()).containsExactly(0, 0, 1);
    }

    @Test
    void threeColumnsSpelledOutBindEachPrefix() {
        Dialect d = Dialect.GENERIC;
        assertThat(d.after(List.of("a", "b", "c"))).isEqualTo("((a > ?) OR (a = ? AND b > ?) OR (a = ? AND b = ? AND c > ?))");
        assertThat(d.cursorParameters(3)).containsExactly(0, 0, 1, 0, 1, 2);
    }

    @Test
    void aSingleColumnCursorIsAPlainComparison() {
        assertThat(Dialect.POSTGRESQL.after(List.of("id"))).isEqualTo("(id > ?)");
        assertThat(Dialect.MARIADB.after(List.of("id"))).isEqualTo("(id > ?)");
        assertThat(Dialect.MARIADB.cursorParameters(1)).containsExactly(0);
    }

    @Test
    void theFirstPageHasNoCursorPredicate() {
        assertThat(query(Dialect.POSTGRESQL, Duration.ZERO, 0).sql(false, -1))
                .isEqualTo("SELECT * FROM access_log ORDER BY inserted_at, id LIMIT 500");
    }

    @Test
    void theDelayUsesTheDatabaseClock() {
        assertThat(query(Dialect.POSTGRESQL, Duration.ofSeconds(60), 0).sql(false, -1)).isEqualTo(
                "SELECT * FROM access_log WHERE (inserted_at <= CURRENT_TIMESTAMP - INTERVAL '60000000 microseconds') "
                        + "ORDER BY inserted_at, id LIMIT 500");
        assertThat(query(Dialect.MARIADB, Duration.ofMillis(1500), 0).sql(true, -1)).contains(
                "AND (inserted_at <= CURRENT_TIMESTAMP(6) - INTERVAL 1500000 MICROSECOND)");
        PageQuery generic = query(Dialect.GENERIC, Duration.ofSeconds(1), 0);
        assertThat(generic.sql(false, -1)).contains("WHERE (inserted_at <= ?)");
        assertThat(generic.dialect().delayByParameter()).isTrue();
    }

    @Test
    void aShardIsAHashOfTheShardColumn() {
        assertThat(query(Dialect.POSTGRESQL, Duration.ZERO, 8).sql(true, 3)).isEqualTo(
                "SELECT * FROM access_log WHERE ((inserted_at, id) > (?, ?)) AND "
                        + "(((hashtext(CAST(bucket AS text)) & 2147483647) % 8) IN (3)) ORDER BY inserted_at, id LIMIT 500");
        assertThat(query(Dialect.MARIADB, Duration.ZERO, 8).sql(false, 7))
                .contains("WHERE ((CRC32(bucket) % 8) IN (7))");
        assertThat(query(Dialect.GENERIC, Duration.ZERO, 4).sql(false, 0)).contains("(MOD(ABS(bucket), 4) IN (0))");
    }

    @Test
    void aQueryIsReadAsASubqueryWithoutItsSemicolon() {
        PageQuery q = new PageQuery(Dialect.POSTGRESQL, PageQuery.fromQuery(" SELECT id, msg FROM t WHERE x = 1 ;; "),
                List.of("id"), "id", Duration.ZERO, Optional.empty(), 0, 10);
        assertThat(q.sql(true, -1)).isEqualTo("SELECT * FROM (SELECT id, msg FROM t WHERE x = 1) ingest_rows "
                + "WHERE (id > ?) ORDER BY id LIMIT 10");
    }

    @Test
    void theProbeReadsNoRow() {
        assertThat(query(Dialect.POSTGRESQL, Duration.ZERO, 0).probe())
                .isEqualTo("SELECT * FROM access_log WHERE 1 = 0 ORDER BY inserted_at, id LIMIT 500");
        assertThat(query(Dialect.MARIADB, Duration.ofSeconds(1), 2).probe())
                .contains(" AND ((CRC32(bucket) % 2) IN (0)) AND 1 = 0 ORDER BY");
    }

    @Test
    void identifiersAreQuotedOnlyWhenTheyNeedIt() {
        assertThat(Dialect.POSTGRESQL.quote("inserted_at")).isEqualTo("inserted_at");
        assertThat(Dialect.POSTGRESQL.quote("InsertedAt")).isEqualTo("\"InsertedAt\"");
        assertThat(Dialect.MARIADB.quote("req id")).isEqualTo("`req id`");
        assertThat(Dialect.GENERIC.quote("a\"b")).isEqualTo("\"a\"\"b\"");
    }

    @Test
    void theDialectComesFromTheUrl() {
        assertThat(Dialect.of("jdbc:postgresql://h/db")).isEqualTo(Dialect.POSTGRESQL);
        assertThat(Dialect.of("jdbc:mariadb://h/db")).isEqualTo(Dialect.MARIADB);
        assertThat(Dialect.of("jdbc:mysql://h/db")).isEqualTo(Dialect.MARIADB);
        assertThat(Dialect.of("jdbc:clickhouse://h/db")).isEqualTo(Dialect.GENERIC);
    }
}
