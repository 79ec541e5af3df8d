package dev.ingest.plugin.jdbc.source;

import dev.ingest.testkit.CollectingContext;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ingest.api.ConfigException;
import dev.ingest.api.DataRecord;
import dev.ingest.api.PluginConfig;
import dev.ingest.api.RecordSource;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;

/** The jdbc source against the real PostgreSQL and MariaDB servers. */
class JdbcSourceIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<Runnable> cleanUp = new ArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void cleanUp() {
        threads.shutdownNow();
        for (int i = cleanUp.size() - 1; i >= 0; i--) {
            cleanUp.get(i).run();
        }
    }

    private String table(Databases db, String columns) throws Exception {
        String t = Databases.table("src");
        db.exec("CREATE TABLE " + t + " (" + columns + ")");
        cleanUp.add(() -> {
            try {
                db.exec("DROP TABLE IF EXISTS " + t);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        return t;
    }

    private static RecordSource source(Databases db, Map<String, Object> keys) throws Exception {
        Map<String, Object> all = new HashMap<>(keys);
        all.putIfAbsent("url", db.url);
        all.putIfAbsent("user", db.user);
        return new JdbcPluginProvider().createRecordSource(PluginConfig.of("db", all));
    }

    private static List<Long> ids(CollectingContext ctx) throws Exception {
        List<Long> out = new ArrayList<>();
        for (DataRecord r : ctx.records()) {
            out.add(JSON.readTree(r.data()).get("id").asLong());
        }
        return out;
    }

    private static List<Long> range(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(i);
        }
        return out;
    }

    @Test
    void postgresqlRowsBecomeTypedJsonWithEveryColumnAnAttribute() throws Exception {
        Databases db = Databases.POSTGRESQL;
        String t = table(db, "id bigint PRIMARY KEY, small smallint, amount numeric(12,4), ratio double precision, "
                + "flag boolean, name text, at timestamptz, local timestamp, day date, raw bytea, doc jsonb, nothing text");
        db.exec("INSERT INTO " + t + " VALUES (1, 7, 12.5000, 0.25, true, 'a \"b\"', '2024-03-01 10:20:30.123456+02', "
                + "'2024-03-01 08:00:00', '2024-03-01', '\\x0102', '{\"k\": 1}', NULL)");
        CollectingContext ctx = CollectingContext.once(Map.of());
        try (RecordSource s = source(db, Map.of("table", t, "cursor", List.of("id"), "timeColumn", "at"))) {
            s.run(ctx);
        }
        assertThat(ctx.records()).hasSize(1);
        DataRecord r = ctx.records().get(0);
        JsonNode row = JSON.readTree(r.data());
        assertThat(row.get("id").isIntegralNumber()).isTrue();
        assertThat(row.get("id").asLong()).isEqualTo(1);
        assertThat(row.get("small").asInt()).isEqualTo(7);
        assertThat(row.get("amount").isNumber()).isTrue();
        assertThat(row.get("amount").decimalValue()).isEqualByComparingTo("12.5");
        assertThat(row.get("ratio").asDouble()).isEqualTo(0.25);
        assertThat(row.get("flag").isBoolean()).isTrue();
        assertThat(row.get("name").asText()).isEqualTo("a \"b\"");
        assertThat(row.get("at").asText()).isEqualTo("2024-03-01T08:20:30.123456Z");
        assertThat(row.get("local").asText()).isEqualTo("2024-03-01T08:00:00Z");
        assertThat(row.get("day").asText()).isEqualTo("2024-03-01");
        assertThat(row.get("raw").asText()).isEqualTo("AQI=");
        assertThat(row.get("doc").asText()).isEqualTo("{\"k\": 1}");
        assertThat(row.get("nothing").isNull()).isTrue();
        assertThat(r.time()).isEqualTo(Instant.parse("2024-03-01T08:20:30.123456Z"));
        assertThat(r.attributes()).containsEntry("id", "1").containsEntry("flag", "true")
                .containsEntry("at", "2024-03-01T08:20:30.123456Z").doesNotContainKey("nothing")
                .containsEntry("amount", "12.5000").hasSize(11);
    }

    @Test
    void mariadbRowsBecomeTypedJson() throws Exception {
        Databases db = Databases.MARIADB;
        String t = table(db, "id bigint PRIMARY KEY, amount decimal(10,2), flag boolean, name varchar(20), "
                + "at datetime(6), ratio double, raw varbinary(4), nothing int");
        db.exec("INSERT INTO " + t + " VALUES (5, 3.10, false, 'x', '2024-03-01 10:20:30.5', 1.5, x'ff', NULL)");
        CollectingContext ctx = CollectingContext.once(Map.of());
        try (RecordSource s = source(db, Map.of("table", t, "cursor", List.of("at", "id")))) {
            s.run(ctx);
        }
        DataRecord r = ctx.records().get(0);
        JsonNode row = JSON.readTree(r.data());
        assertThat(row.get("id").asLong()).isEqualTo(5);
        assertThat(row.get("amount").isNumber()).isTrue();
        assertThat(row.get("amount").decimalValue()).isEqualByComparingTo("3.10");
        assertThat(row.get("flag").isBoolean()).isTrue();
        assertThat(row.get("flag").asBoolean()).isFalse();
        assertThat(row.get("at").asText()).isEqualTo("2024-03-01T10:20:30.5Z");
        assertThat(row.get("ratio").asDouble()).isEqualTo(1.5);
        assertThat(row.get("raw").asText()).isEqualTo("/w==");
        assertThat(row.get("nothing").isNull()).isTrue();
        assertThat(r.time()).isEqualTo(Instant.parse("2024-03-01T10:20:30.5Z"));
        assertThat(r.attributes()).containsEntry("name", "x").doesNotContainKey("nothing");
    }

    /** Many rows share the first cursor column, and pages end inside such a run: none is skipped or read twice. */
    @ParameterizedTest
    @EnumSource(Databases.class)
    void pagesFollowTheCursorTupleAndARestartContinuesAfterTheCommittedCursor(Databases db) throws Exception {
        String t = table(db, "id bigint PRIMARY KEY, at " + (db == Databases.POSTGRESQL ? "timestamptz" : "datetime(6)")
                + " NOT NULL, bucket varchar(20)");
        StringBuilder insert = new StringBuilder("INSERT INTO " + t + " VALUES ");
        for (int i = 1; i <= 50; i++) {
            // Ten rows per timestamp, ids descending within a timestamp's batch would still order by (at, id).
            insert.append(i > 1 ? ", " : "").append("(").append(i).append(", '2024-01-01 00:00:0").append((i - 1) / 10)
                    .append("', 'b").append(i % 3).append("')");
        }
        db.exec(insert.toString());
        Map<String, Object> keys = Map.of("table", t, "cursor", List.of("at", "id"), "pageSize", 7);
        CollectingContext first = CollectingContext.once(Map.of());
        try (RecordSource s = source(db, keys)) {
            s.run(first);
        }
        assertThat(ids(first)).containsExactlyElementsOf(range(1, 50));
        db.exec("INSERT INTO " + t + " VALUES (51, '2024-01-01 00:00:04', 'late-but-after'), "
                + "(52, '2024-01-01 00:00:09', 'b')");
        CollectingContext second = CollectingContext.once(first.committed());
        try (RecordSource s = source(db, keys)) {
            s.run(second);
        }
        assertThat(ids(second)).containsExactly(51L, 52L);
        assertThat(second.status()).containsOnlyKeys("cursor");
        assertThat(second.status().get("cursor")).endsWith(", 52; 2 rows this run");
        assertThat(new String(second.committed().get("cursor"))).contains("\"columns\":[\"at\",\"id\"]")
                .contains("\"52\"");
    }

    @ParameterizedTest
    @EnumSource(Databases.class)
    void aQueryIsReadWithTheCursorAddedAndRowsInsertedWhileRunningArrive(Databases db) throws Exception {
        String t = table(db, "id " + db.autoId() + ", level varchar(10), msg varchar(100)");
        db.exec("INSERT INTO " + t + " (level, msg) VALUES ('info', 'a'), ('debug', 'b'), ('info', 'c')");
        CollectingContext ctx = CollectingContext.service(Map.of());
        RecordSource s = source(db, Map.of("query", "SELECT id, msg FROM " + t + " WHERE level = 'info';",
                "cursor", "id", "pollInterval", "50ms"));
        Future<?> run = threads.submit(() -> {
            s.run(ctx);
            return null;
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> ctx.count() == 2);
        db.exec("INSERT INTO " + t + " (level, msg) VALUES ('info', 'd'), ('debug', 'e'), ('info', 'f')");
        await().atMost(Duration.ofSeconds(30)).until(() -> ctx.count() == 4);
        ctx.stop();
        run.get();
        s.close();
        assertThat(ctx.lines()).hasSize(4).allSatisfy(l -> assertThat(l).doesNotContain("level"));
        assertThat(ctx.records().stream().map(r -> r.attributes().get("msg")).toList()).containsExactly("a", "c", "d", "f");
    }

    /** Rows are read only once older than the delay, so a transaction that commits within it is not skipped. */
    @Test
    void aTransactionThatCommitsLateWithinTheDelayIsNotSkipped() throws Exception {
        Databases db = Databases.POSTGRESQL;
        String t = table(db, "id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT now()");
        CollectingContext ctx = CollectingContext.service(Map.of());
        RecordSource s = source(db, Map.of("table", t, "cursor", List.of("at", "id"), "delay", "3s",
                "pollInterval", "50ms"));
        Future<?> run = threads.submit(() -> {
            s.run(ctx);
            return null;
        });
        try (Connection slow = db.connect()) {
            slow.setAutoCommit(false);
            try (Statement st = slow.createStatement()) {
                st.execute("INSERT INTO " + t + " (id) VALUES (1)"); // at = this transaction's start
            }
            db.exec("INSERT INTO " + t + " (id) VALUES (2)"); // later timestamp, committed first
            slow.commit(); // well within the delay
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> ctx.count() == 2);
        ctx.stop();
        run.get();
        s.close();
        assertThat(ids(ctx)).containsExactly(1L, 2L);
    }

    @Test
    void rowsYoungerThanTheDelayWaitOnMariadb() throws Exception {
        Databases db = Databases.MARIADB;
        String t = table(db, "id bigint PRIMARY KEY, at datetime(6) NOT NULL");
        db.exec("INSERT INTO " + t + " VALUES (1, now(6) - INTERVAL 2 HOUR), (2, now(6) + INTERVAL 1 HOUR)");
        CollectingContext ctx = CollectingContext.once(Map.of());
        try (RecordSource s = source(db, Map.of("table", t, "cursor", List.of("at", "id"), "delay", "1h"))) {
            s.run(ctx);
        }
        assertThat(ids(ctx)).containsExactly(1L);
    }

    @ParameterizedTest
    @EnumSource(Databases.class)
    void aShardReadsOnlyItsRowsAndAllShardsTogetherReadEveryRowOnce(Databases db) throws Exception {
        String t = table(db, "id bigint PRIMARY KEY, host varchar(20) NOT NULL");
        StringBuilder insert = new StringBuilder("INSERT INTO " + t + " VALUES ");
        for (int i = 1; i <= 200; i++) {
            insert.append(i > 1 ? ", " : "").append("(").append(i).append(", 'host-").append(i % 37).append("')");
        }
        db.exec(insert.toString());
        Map<String, Object> keys = Map.of("table", t, "cursor", "id", "shards", 4, "shardColumn", "host",
                "pageSize", 16);
        List<Long> all = new ArrayList<>();
        Map<String, Integer> shardOfHost = new HashMap<>();
        for (int shard = 0; shard < 4; shard++) {
            CollectingContext ctx = CollectingContext.once(Map.of()).withShards(Set.of(shard));
            try (RecordSource s = source(db, keys)) {
                assertThat(s.shards()).isEqualTo(4);
                s.run(ctx);
            }
            all.addAll(ids(ctx));
            assertThat(ctx.committed()).containsOnlyKeys("cursor." + shard);
            for (DataRecord r : ctx.records()) {
                assertThat(shardOfHost.put(r.attributes().get("host"), shard)).isIn(null, shard);
            }
        }
        assertThat(all).containsExactlyInAnyOrderElementsOf(range(1, 200));
        assertThat(Set.copyOf(shardOfHost.values())).hasSizeGreaterThan(1);
    }

    @Test
    void startUpErrorsNameTheirKey() throws Exception {
        Databases db = Databases.POSTGRESQL;
        String t = table(db, "id bigint PRIMARY KEY, doc jsonb, at timestamptz, n int");
        assertThatThrownBy(() -> source(db, Map.of("query", "SELEC id FROM " + t, "cursor", "id")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("query: must be a SELECT");
        assertThatThrownBy(() -> source(db, Map.of("query", "SELECT id FROM no_such_table_here", "cursor", "id")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("query: the database refuses it")
                .hasMessageContaining("no_such_table_here");
        assertThatThrownBy(() -> source(db, Map.of("query", "SELECT id, n AS id FROM " + t, "cursor", "n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("query: two columns have the same name");
        assertThatThrownBy(() -> source(db, Map.of("table", t, "cursor", List.of("id", "missing"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cursor[1]: column 'missing' is not among");
        assertThatThrownBy(() -> source(db, Map.of("table", t, "cursor", List.of("doc"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cursor[0]: column 'doc' is of type jsonb, "
                        + "which cannot order a cursor");
        assertThatThrownBy(() -> source(db, Map.of("table", t, "cursor", "id", "timeColumn", "n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("timeColumn: column 'n' is of type int4");
        assertThatThrownBy(() -> source(db, Map.of("table", t, "cursor", "id", "delay", "5s")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("delay: needs a timeColumn");
        assertThatThrownBy(() -> source(db, Map.of("table", t, "cursor", "id", "shards", 4)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("shardColumn: is required with shards");
        assertThatThrownBy(() -> source(db, Map.of("table", t + "; drop table x", "cursor", "id")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("table: '");
        assertThatThrownBy(() -> source(db, Map.of("url", "jdbc:nosuchdb://x", "table", t, "cursor", "id")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("url: no JDBC driver accepts")
                .hasMessageContaining("plugins/jdbc/");
        assertThatThrownBy(() -> source(db, Map.of("user", "no_such_role_ingest", "table", t, "cursor", "id")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("user: the database refuses the login");
    }

    @Test
    void aCommittedCursorOfOtherColumnsOrShardsIsRefusedAndANullCursorValueStopsReading() throws Exception {
        Databases db = Databases.POSTGRESQL;
        String t = table(db, "id bigint, at timestamptz, host text");
        db.exec("INSERT INTO " + t + " VALUES (1, now(), 'a'), (2, now(), 'b')");
        CollectingContext first = CollectingContext.once(Map.of());
        try (RecordSource s = source(db, Map.of("table", t, "cursor", "id"))) {
            s.run(first);
        }
        try (RecordSource s = source(db, Map.of("table", t, "cursor", List.of("at", "id")))) {
            assertThatThrownBy(() -> s.run(CollectingContext.once(first.committed())))
                    .isInstanceOf(java.io.IOException.class).hasMessageContaining("committed cursor is over [id]")
                    .hasMessageContaining("reset the workflow's checkpoint");
        }
        Map<String, byte[]> sharded = Map.of("cursor.0", first.committed().get("cursor"));
        try (RecordSource s = source(db, Map.of("table", t, "cursor", "id", "shards", 2, "shardColumn", "host"))) {
            assertThatThrownBy(() -> s.run(CollectingContext.once(sharded).withShards(Set.of(0))))
                    .isInstanceOf(java.io.IOException.class).hasMessageContaining("written with shards: 0");
        }
        db.exec("INSERT INTO " + t + " VALUES (3, NULL, 'c')");
        CollectingContext ctx = CollectingContext.once(Map.of());
        try (RecordSource s = source(db, Map.of("table", t, "cursor", List.of("id", "at")))) {
            assertThatThrownBy(() -> s.run(ctx)).isInstanceOf(java.io.IOException.class)
                    .hasMessageContaining("cursor column at is NULL");
        }
        assertThat(ctx.count()).as("the page with the NULL is not handed over: nothing is skipped").isZero();
        assertThat(ctx.committed()).isEmpty();
    }

    @Test
    void aWrongPasswordIsAStartUpErrorWithoutThePassword() throws Exception {
        Databases db = Databases.MARIADB;
        String user = Databases.table("ingest_pw");
        db.exec("CREATE USER '" + user + "'@'%' IDENTIFIED BY 'right-one'",
                "CREATE USER '" + user + "'@'localhost' IDENTIFIED BY 'right-one'");
        cleanUp.add(() -> {
            try {
                db.exec("DROP USER '" + user + "'@'%'", "DROP USER '" + user + "'@'localhost'");
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        assertThatThrownBy(() -> source(db, Map.of("user", user, "password", "wrong-one-xyz", "table", "t",
                "cursor", "id")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("password: the database refuses the login")
                .hasMessageNotContaining("wrong-one-xyz");
    }

    /**
     * A database that goes away (its connections ended and refused) and comes back: the source retries with backoff
     * and continues after the last row it handed over. A database and role of its own, never the shared server.
     */
    @Test
    void aDatabaseThatGoesDownAndComesBackLosesAndRepeatsNoRow() throws Exception {
        Databases db = Databases.POSTGRESQL;
        String name = Databases.table("ingest_down");
        db.exec("CREATE ROLE " + name + " LOGIN", "CREATE DATABASE " + name + " OWNER " + name,
                "REVOKE CONNECT ON DATABASE " + name + " FROM PUBLIC", "GRANT CONNECT ON DATABASE " + name + " TO " + name);
        cleanUp.add(() -> {
            try {
                db.exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)", "DROP ROLE IF EXISTS " + name);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        String url = "jdbc:postgresql://127.0.0.1:5432/" + name;
        try (Connection c = java.sql.DriverManager.getConnection(url, "postgres", "");
             Statement st = c.createStatement()) {
            st.execute("CREATE TABLE rows (id bigint PRIMARY KEY)");
            st.execute("ALTER TABLE rows OWNER TO " + name);
            st.execute("INSERT INTO rows SELECT generate_series(1, 10)");
        }
        Logger logger = (Logger) LoggerFactory.getLogger(JdbcSource.class);
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        logger.addAppender(log);
        cleanUp.add(() -> logger.detachAppender(log));
        CollectingContext ctx = CollectingContext.service(Map.of());
        RecordSource s = new JdbcPluginProvider().createRecordSource(PluginConfig.of("down",
                Map.of("url", url, "user", name, "table", "rows", "cursor", "id", "pollInterval", "50ms",
                        "pageSize", 4)));
        Future<?> run = threads.submit(() -> {
            s.run(ctx);
            return null;
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> ctx.count() == 10);
        db.exec("REVOKE CONNECT ON DATABASE " + name + " FROM " + name,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '" + name + "'");
        try (Connection c = java.sql.DriverManager.getConnection(url, "postgres", "");
             Statement st = c.createStatement()) {
            st.execute("INSERT INTO rows SELECT generate_series(11, 25)");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> log.list.stream()
                .anyMatch(e -> e.getFormattedMessage().contains("trying again")));
        assertThat(ctx.count()).isEqualTo(10);
        db.exec("GRANT CONNECT ON DATABASE " + name + " TO " + name);
        await().atMost(Duration.ofSeconds(60)).until(() -> ctx.count() >= 25);
        ctx.stop();
        run.get();
        s.close();
        assertThat(ids(ctx)).containsExactlyElementsOf(range(1, 25));
    }
}
