package dev.ingest.plugin.jdbc.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ingest.api.Blob;
import dev.ingest.api.Codec;
import dev.ingest.api.ConfigException;
import dev.ingest.api.Destination;
import dev.ingest.api.PluginConfig;
import dev.ingest.api.PoisonException;
import dev.ingest.api.Query;
import dev.ingest.api.Query.Filter;
import dev.ingest.api.QueryPage;
import dev.ingest.api.Queryable;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The {@code postgres} destination against the real PostgreSQL on 127.0.0.1:5432 (database {@code test}): table and
 * index creation, one transaction per batch, no row twice, the ledger, poison lines, and every filter operation.
 * Each test uses a table of its own and drops it.
 */
class PostgresDestinationIT {

    static final String URL = "jdbc:postgresql://127.0.0.1:5432/test";
    static final String USER = "postgres";
    private static final AtomicInteger N = new AtomicInteger();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String table = "it_pg_" + ProcessHandle.current().pid() + "_" + N.incrementAndGet();
    private final List<Destination> opened = new ArrayList<>();

    @AfterEach
    void drop() throws Exception {
        for (Destination d : opened) {
            d.close();
        }
        try (Connection c = DriverManager.getConnection(URL, USER, null); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + table);
            s.execute("DROP TABLE IF EXISTS " + table + "_batches");
        }
    }

    private Destination destination(Map<String, Object> extra) throws Exception {
        Map<String, Object> values = new HashMap<>(Map.of("url", URL, "user", USER, "table", table));
        values.putAll(extra);
        Destination d = new PostgresPluginProvider().createDestination(PluginConfig.of("db", values));
        opened.add(d);
        return d;
    }

    private static Blob ndjson(String... lines) {
        byte[] b = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
        return Blob.of(new ByteArrayInputStream(b), b.length, "application/x-ndjson");
    }

    private long count(String where) throws Exception {
        try (Connection c = DriverManager.getConnection(URL, USER, null); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table + " WHERE " + where)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void createsTheTableWithItsColumnsAndIndexesIncludingTrigramOnes() throws Exception {
        destination(Map.of("columns", Map.of("level", "/level", "resource_id", "/resourceId"), "recordIndex", true));
        List<String> columns = new ArrayList<>();
        List<String> indexes = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(URL, USER, null); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT column_name FROM information_schema.columns WHERE table_name = '"
                    + table + "' ORDER BY ordinal_position")) {
                while (rs.next()) {
                    columns.add(rs.getString(1));
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT indexdef FROM pg_indexes WHERE tablename = '" + table + "'")) {
                while (rs.next()) {
                    indexes.add(rs.getString(1));
                }
            }
        }
        assertThat(columns).containsExactlyInAnyOrder("id", "batch", "seq", "time", "record", "level", "resource_id");
        assertThat(indexes).anyMatch(i -> i.contains("(\"time\" DESC, id DESC)"))
                .anyMatch(i -> i.contains("(level)"))
                .anyMatch(i -> i.contains("(resource_id)"))
                .anyMatch(i -> i.contains("gin") && i.contains("level gin_trgm_ops"))
                .anyMatch(i -> i.contains("gin") && i.contains("(record)::text) gin_trgm_ops"))
                .anyMatch(i -> i.contains("UNIQUE") && i.contains("(batch, seq)"));
    }

    @Test
    void aBatchIsStoredInOneTransactionAndStoringItAgainAddsNoRow() throws Exception {
        Destination d = destination(Map.of("columns", Map.of("level", "level")));
        Codec batch = Codec.of("b1", "logs/00000000000000000001.ndjson", "v1", -1);
        assertThat(d.stat(batch)).isEmpty();

        d.store(batch, ndjson("{\"level\":\"error\",\"timestamp\":\"2023-09-15T08:00:00Z\",\"n\":1}",
                "{\"level\":\"info\",\"timestamp\":1694764800000,\"n\":2}", "{\"n\":3}"));
        d.store(batch, ndjson("{\"level\":\"error\",\"timestamp\":\"2023-09-15T08:00:00Z\",\"n\":1}",
                "{\"level\":\"info\",\"timestamp\":1694764800000,\"n\":2}", "{\"n\":3}"));

        assertThat(count("TRUE")).isEqualTo(3);
        assertThat(count("level = 'error' AND time = '2023-09-15T08:00:00Z'")).isEqualTo(1);
        assertThat(count("time = '2023-09-15T08:00:00Z' AND level = 'info'")).isEqualTo(1);
        assertThat(d.check(batch)).hasValueSatisfying(p -> {
            assertThat(p.verified()).isTrue();
            assertThat(p.uri().toString()).startsWith("postgres:").contains(table);
        });
        assertThat(d.check(Codec.of("b1", batch.name(), "v2", -1))).hasValueSatisfying(p ->
                assertThat(p.verified()).isFalse());
    }

    @Test
    void aBatchRebuiltAfterACrashWhoseRowsArePartlyThereAddsOnlyTheMissingOnes() throws Exception {
        Destination d = destination(Map.of());
        // rows of an earlier attempt without its ledger entry (as if written by another path): keyed by batch + line
        try (Connection c = DriverManager.getConnection(URL, USER, null); Statement s = c.createStatement()) {
            s.execute("INSERT INTO " + table + " (batch, seq, time, record) VALUES ('b', 1, now(), '{\"n\":1}')");
        }
        d.store(Codec.of("b", "b", "v", -1), ndjson("{\"n\":1}", "{\"n\":2}"));
        assertThat(count("TRUE")).isEqualTo(2);
    }

    @Test
    void aBatchOfTheSameNameRebuiltFromMoreRecordsAddsTheNewLinesOnly() throws Exception {
        Destination d = destination(Map.of());
        d.store(Codec.of("b", "b", "v1", -1), ndjson("{\"n\":1}", "{\"n\":2}"));
        d.store(Codec.of("b", "b", "v2", -1), ndjson("{\"n\":1}", "{\"n\":2}", "{\"n\":3}"));
        assertThat(count("TRUE")).isEqualTo(3);
        assertThat(count("record->>'n' = '3'")).isEqualTo(1);
        assertThat(d.check(Codec.of("b", "b", "v2", -1))).hasValueSatisfying(p -> assertThat(p.verified()).isTrue());
    }

    /**
     * A new batch goes in with COPY, one whose rows are partly there with INSERT: both store the same rows, whatever
     * the lines hold (escapes, tabs between tokens, non-ASCII, times before year 1 and after
     * 9999, microseconds, epoch milliseconds, times PostgreSQL cannot hold, column values with tabs, backslashes and
     * line breaks, absent columns).
     */
    @Test
    void copyAndInsertStoreTheSameRowsWhateverTheLinesHold() throws Exception {
        Destination d = destination(Map.of("columns", Map.of("level", "/level", "path", "/p")));
        String[] lines = {
            "{\"level\":\"a\\tb\\\\c\\nd\\re\",\"p\":\"C:\\\\dir\\\\\",\"timestamp\":\"2023-09-15T08:00:00.123456Z\"}",
            "{\t\"level\" : \"tabs and\\u0009 \\\"quotes\\\"\",\"timestamp\":1694764800001}",
            "{\"level\":\"😀 ünïcødé \\u00e9\",\"timestamp\":\"0001-01-01T00:00:00Z\"}",
            "{\"level\":\"bc\",\"timestamp\":\"-0043-03-15T12:00:00Z\"}",
            "{\"level\":\"far\",\"timestamp\":\"+10000-01-01T00:00:00.5+02:00\"}",
            "{\"level\":\"beyond\",\"timestamp\":9000000000000000000}",
            "{\"level\":null,\"n\":[1,2,{\"x\":\"\\\\N\"}]}",
            "{\"p\":\"\\\\N\",\"level\":\"\"}",
        };
        for (int i = 0; i < lines.length; i++) { // each line parses as the JSON it means to be
            assertThat(JSON.readTree(lines[i]).isObject()).as(lines[i]).isTrue();
        }
        d.store(Codec.of("c", "copied", "v", -1), ndjson(lines));
        try (Connection c = DriverManager.getConnection(URL, USER, null); Statement s = c.createStatement()) {
            // a row of the second batch without its ledger entry: that batch goes in with INSERT ... ON CONFLICT
            s.execute("INSERT INTO " + table + " (batch, seq, time, record) VALUES ('inserted', 99, now(), '{}')");
        }
        d.store(Codec.of("i", "inserted", "v", -1), ndjson(lines));

        String columns = "seq, CASE WHEN seq >= 6 THEN NULL ELSE time END, record::text, level, path"; // 6-8: now
        List<List<String>> copied = rows("SELECT " + columns + " FROM " + table + " WHERE batch = 'copied' ORDER BY seq");
        List<List<String>> inserted = rows("SELECT " + columns + " FROM " + table
                + " WHERE batch = 'inserted' AND seq < 99 ORDER BY seq");
        assertThat(copied).hasSize(lines.length).isEqualTo(inserted);
        for (int i = 0; i < lines.length; i++) {
            assertThat(JSON.readTree(copied.get(i).get(2))).isEqualTo(JSON.readTree(lines[i]));
        }
        assertThat(copied.get(0).subList(3, 5)).containsExactly("a\tb\\c\nd\re", "C:\\dir\\");
        assertThat(copied.get(1).get(3)).isEqualTo("tabs and\t \"quotes\"");
        assertThat(copied.get(2).get(3)).isEqualTo("😀 ünïcødé é");
        assertThat(copied.get(6).subList(3, 5)).containsExactly(null, null);
        assertThat(copied.get(7).subList(3, 5)).containsExactly("", "\\N");
        assertThat(rows("SELECT to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US BC') FROM " + table
                + " WHERE batch = 'copied' ORDER BY seq").subList(0, 5)).containsExactly(
                List.of("2023-09-15 08:00:00.123456 AD"), List.of("2023-09-15 08:00:00.001000 AD"),
                List.of("0001-01-01 00:00:00.000000 AD"), List.of("0044-03-15 12:00:00.000000 BC"),
                List.of("9999-12-31 22:00:00.500000 AD"));
        // a time timestamptz cannot hold, or none: the row has the time it was stored; the record keeps its field
        assertThat(count("seq >= 6 AND seq < 99 AND time > now() - interval '1 hour'")).isEqualTo(6);
        assertThat(d.check(Codec.of("c", "copied", "v", -1))).hasValueSatisfying(p -> assertThat(p.verified()).isTrue());
    }

    @Test
    void storesOfTheSameBatchAtOnceAddEachRowOnce() throws Exception {
        Destination d = destination(Map.of());
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            many.append("{\"n\":").append(i).append("}\n");
        }
        byte[] b = many.toString().getBytes(StandardCharsets.UTF_8);
        Codec codec = Codec.of("same", "same.ndjson", "v", -1);
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < 4; t++) {
            Thread thread = new Thread(() -> {
                try {
                    d.store(codec, Blob.of(new ByteArrayInputStream(b), b.length, "application/x-ndjson"));
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(failures).isEmpty();
        assertThat(count("TRUE")).isEqualTo(20_000);
        assertThat(count("batch = 'same.ndjson'")).isEqualTo(20_000);
    }

    private List<List<String>> rows(String sql) throws Exception {
        List<List<String>> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(URL, USER, null); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<String> row = new ArrayList<>();
                for (int i = 1; i <= n; i++) {
                    row.add(rs.getString(i));
                }
                out.add(row);
            }
        }
        return out;
    }

    @Test
    void noConnectionIsLeftInATransactionAfterAStoreAndAQuery() throws Exception {
        Destination d = destination(Map.of());
        d.store(Codec.of("t", "t", "v", -1), ndjson("{\"n\":1}"));
        d.check(Codec.of("t", "t", "v", -1));
        d.queries().orElseThrow().query(new Query(List.of(), false, 10, Optional.empty()));
        try (Connection c = DriverManager.getConnection(URL, USER, null); Statement s = c.createStatement()) {
            s.execute("SET lock_timeout = '5s'");
            s.execute("DROP TABLE " + table); // would wait for a connection left idle in a transaction
        }
    }

    @Test
    void gzipBatchesAreRead() throws Exception {
        Destination d = destination(Map.of());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write("{\"n\":1}\n{\"n\":2}\n".getBytes(StandardCharsets.UTF_8));
        }
        d.store(Codec.of("g", "g.ndjson.gz", "v", -1), Blob.of(new ByteArrayInputStream(bytes.toByteArray()),
                bytes.size(), "application/gzip"));
        assertThat(count("TRUE")).isEqualTo(2);
    }

    @Test
    void aLineThatIsNotJsonDeadLettersTheBatchNamingTheLineAndNothingOfItIsKept() throws Exception {
        Destination d = destination(Map.of());
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 2500; i++) {
            many.append("{\"n\":").append(i).append("}\n"); // more than one insert round trip before the bad line
        }
        many.append("not json\n");
        byte[] b = many.toString().getBytes(StandardCharsets.UTF_8);
        Codec codec = Codec.of("p", "poison.ndjson", "v", -1);
        assertThatThrownBy(() -> d.store(codec, Blob.of(new ByteArrayInputStream(b), b.length,
                "application/x-ndjson")))
                .isInstanceOf(PoisonException.class).hasMessageContaining("line 2501").hasMessageContaining("poison.ndjson");
        assertThatThrownBy(() -> d.store(codec, ndjson("{\"a\":1}", "[1,2]")))
                .isInstanceOf(PoisonException.class).hasMessageContaining("line 2").hasMessageContaining("object");
        assertThat(count("TRUE")).isZero();
        assertThat(d.stat(codec)).isEmpty();
    }

    @Test
    void badConfigurationIsReportedAllAtOnce() {
        assertThatThrownBy(() -> new PostgresPluginProvider().createDestination(PluginConfig.of("db", Map.of(
                "url", "jdbc:mysql://x/y", "table", "Robert'); DROP TABLE x;--",
                "columns", Map.of("id", "/id", "bad-name", "/x")))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("url").hasMessageContaining("table").hasMessageContaining("columns.id")
                .hasMessageContaining("columns.bad-name");
    }

    // ---- queries

    private Queryable loaded() throws Exception {
        return loaded(false);
    }

    private Queryable loaded(boolean recordIndex) throws Exception {
        Destination d = destination(Map.of("columns", Map.of("level", "/level"), "recordIndex", recordIndex));
        d.store(Codec.of("q", "q1", "v", -1), ndjson(
                "{\"level\":\"error\",\"message\":\"Failed to connect to DB\",\"resourceId\":\"server-1234\","
                        + "\"timestamp\":\"2023-09-15T08:00:00Z\",\"metadata\":{\"parentResourceId\":\"server-0987\"},"
                        + "\"code\":500}",
                "{\"level\":\"info\",\"message\":\"connected to DB\",\"resourceId\":\"server-1234\","
                        + "\"timestamp\":\"2023-09-15T09:00:00Z\",\"metadata\":{\"parentResourceId\":\"server-1\"},"
                        + "\"code\":200}",
                "{\"level\":\"warn\",\"message\":\"100% of disk_used\",\"resourceId\":\"server-9\","
                        + "\"timestamp\":\"2023-09-15T10:00:00Z\",\"code\":\"n/a\"}",
                "{\"level\":\"error\",\"message\":\"timeout after 30s\",\"resourceId\":\"server-9\","
                        + "\"timestamp\":\"2023-09-16T08:00:00Z\",\"code\":504}"));
        return d.queries().orElseThrow();
    }

    private static List<String> messages(QueryPage page) throws Exception {
        List<String> out = new ArrayList<>();
        for (String r : page.records()) {
            JsonNode n = JSON.readTree(r);
            out.add(n.get("message").asText());
        }
        return out;
    }

    private static Query all(Filter... filters) {
        return new Query(List.of(filters), false, 100, Optional.empty());
    }

    @Test
    void equalsOnAColumnAFieldAndAPointerAndTheTime() throws Exception {
        Queryable q = loaded();
        assertThat(messages(q.query(all(Filter.equalTo("level", "error")))))
                .containsExactly("timeout after 30s", "Failed to connect to DB"); // newest first
        assertThat(messages(q.query(all(Filter.equalTo("resourceId", "server-9")))))
                .containsExactly("timeout after 30s", "100% of disk_used");
        assertThat(messages(q.query(all(Filter.equalTo("/metadata/parentResourceId", "server-0987")))))
                .containsExactly("Failed to connect to DB");
        assertThat(messages(q.query(all(Filter.equalTo("timestamp", "2023-09-15T10:00:00Z")))))
                .containsExactly("100% of disk_used");
        assertThat(messages(q.query(all(Filter.equalTo("code", "500"))))).containsExactly("Failed to connect to DB");
    }

    @Test
    void containsIsASubstringMatchInWhichLikeCharactersAreLiteral() throws Exception {
        containsIsASubstringMatch(loaded());
    }

    @Test
    void containsGivesTheSameAnswersWithTheTrigramIndexOfTheWholeRecord() throws Exception {
        containsIsASubstringMatch(loaded(true));
    }

    private void containsIsASubstringMatch(Queryable q) throws Exception {
        assertThat(messages(q.query(all(Filter.contains("message", "DB")))))
                .containsExactly("connected to DB", "Failed to connect to DB");
        assertThat(messages(q.query(all(Filter.contains("message", "100%")))))
                .containsExactly("100% of disk_used");
        assertThat(messages(q.query(all(Filter.contains("message", "%"))))).containsExactly("100% of disk_used");
        assertThat(messages(q.query(all(Filter.contains("message", "disk_")))))
                .containsExactly("100% of disk_used");
        assertThat(messages(q.query(all(Filter.contains("message", "k_u_"))))).isEmpty();
        assertThat(messages(q.query(all(Filter.contains("level", "rr")))))
                .containsExactly("timeout after 30s", "Failed to connect to DB");
    }

    @Test
    void rangeOnTheTimeOnNumbersAndOnText() throws Exception {
        Queryable q = loaded();
        assertThat(messages(q.query(all(Filter.range("timestamp", "2023-09-15T08:30:00Z", "2023-09-15T23:00:00Z")))))
                .containsExactly("100% of disk_used", "connected to DB");
        assertThat(messages(q.query(all(Filter.range("time", null, "1694764800000")))))
                .containsExactly("Failed to connect to DB");
        assertThat(messages(q.query(all(Filter.range("code", "400", "599")))))
                .containsExactly("timeout after 30s", "Failed to connect to DB"); // "n/a" is not a number
        assertThat(messages(q.query(all(Filter.range("resourceId", "server-2", "server-99")))))
                .containsExactly("timeout after 30s", "100% of disk_used");
    }

    @Test
    void filtersCombineWithAllOrAny() throws Exception {
        Queryable q = loaded();
        List<Filter> filters = List.of(Filter.equalTo("level", "error"), Filter.contains("message", "DB"));
        assertThat(messages(q.query(new Query(filters, false, 100, Optional.empty()))))
                .containsExactly("Failed to connect to DB");
        assertThat(messages(q.query(new Query(filters, true, 100, Optional.empty()))))
                .containsExactly("timeout after 30s", "connected to DB", "Failed to connect to DB");
        assertThat(q.query(new Query(List.of(), false, 100, Optional.empty())).records()).hasSize(4);
    }

    @Test
    void pagesFollowOneAnotherThroughTheCursorNewestFirst() throws Exception {
        Queryable q = loaded();
        QueryPage first = q.query(new Query(List.of(), false, 3, Optional.empty()));
        assertThat(first.records()).hasSize(3);
        assertThat(first.next()).isPresent();
        QueryPage second = q.query(new Query(List.of(), false, 3, first.next()));
        assertThat(messages(second)).containsExactly("Failed to connect to DB");
        assertThat(second.next()).isEmpty();
        assertThatThrownBy(() -> q.query(new Query(List.of(), false, 3, Optional.of("garbage"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("after:");
        assertThatThrownBy(() -> q.query(all(Filter.contains("timestamp", "2023"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("filters[0].operation:");
        assertThatThrownBy(() -> q.query(all(Filter.range("timestamp", "last week", null))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("filters[0].lower_range:");
    }

    @Test
    void hostileStringsAreOnlyEverValues() throws Exception {
        Queryable q = loaded();
        String[] hostile = {"'; DROP TABLE " + table + "; --", "\" OR 1=1 --", "' OR '1'='1", "\\", "%' OR '%'='",
            "x')) UNION SELECT 1, now(), '{}' --", "\u0000", "$1", "?", "::jsonb", "/../..", "~0~1", "😀'\"\\%_"};
        for (String h : hostile) {
            for (Filter f : List.of(Filter.equalTo("level", h), Filter.contains("message", h),
                    Filter.equalTo("/" + h, h), Filter.contains(h, h), Filter.range("resourceId", h, h),
                    Filter.equalTo(h, "x"))) {
                QueryPage page;
                try {
                    page = q.query(all(f));
                } catch (IllegalArgumentException e) {
                    assertThat(e.getMessage()).startsWith("filters[0]."); // refused, naming the field
                    continue;
                }
                assertThat(page.records()).as("%s", f).isEmpty();
            }
        }
        assertThat(q.query(all()).records()).hasSize(4); // the table is still there, with its rows
    }
}
