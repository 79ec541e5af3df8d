package dev.ingest.cli;

import static dev.ingest.cli.LauncherSupport.queueArgs;
import static dev.ingest.cli.LauncherSupport.quote;
import static dev.ingest.cli.LauncherSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ingest.cli.LauncherSupport.Launch;
import dev.ingest.cli.LauncherSupport.Result;
import dev.ingest.testkit.NatsServerExtension;
import io.nats.client.Connection;
import io.nats.client.KeyValue;
import io.nats.client.Nats;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jdbc source through the real launcher, a real nats-server and the real PostgreSQL of the machine (database
 * {@code test}, a table of each test's own): rows grouped by bucket into objects at the count and at the age
 * threshold, rows inserted while the service runs, a service killed with SIGKILL and started again, and three enqueuer
 * processes sharing 8 shards through leases while one of them is killed and started again.
 */
@ExtendWith(LauncherSupport.RequiresDistribution.class)
class LauncherJdbcIT {

    private static final Duration RUN = Duration.ofMinutes(3);
    private static final String URL = "jdbc:postgresql://127.0.0.1:5432/test";
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final NatsServerExtension NATS = new NatsServerExtension();

    @RegisterExtension
    final LauncherSupport.Launcher launcher = new LauncherSupport.Launcher();

    @TempDir
    Path dir;

    private final List<String> tables = new ArrayList<>();

    @AfterEach
    void dropTables() throws SQLException {
        for (String t : tables) {
            sql("DROP TABLE IF EXISTS " + t);
        }
    }

    private static void sql(String... statements) throws SQLException {
        try (java.sql.Connection c = DriverManager.getConnection(URL, "postgres", "");
             Statement s = c.createStatement()) {
            for (String q : statements) {
                s.execute(q);
            }
        }
    }

    /** An access-log table of this test: an id, when the row was inserted, the bucket and a request line. */
    private String accessLog(String name) throws SQLException {
        String t = name + "_access_log";
        tables.add(t);
        sql("DROP TABLE IF EXISTS " + t, "CREATE TABLE " + t + " (id bigserial PRIMARY KEY, "
                + "inserted_at timestamptz NOT NULL DEFAULT clock_timestamp(), bucket text NOT NULL, "
                + "request text NOT NULL)");
        return t;
    }

    /** Inserts rows {@code from..to} (their ids) into buckets {@code b0..b<buckets-1>} by id. */
    private static void insert(String table, long from, long to, int buckets) throws SQLException {
        sql("INSERT INTO " + table + " (id, bucket, request) SELECT i, 'b' || (i % " + buckets + "), "
                + "'GET /object-' || i || ' HTTP/1.1 200 some bytes of an access log line' "
                + "FROM generate_series(" + from + ", " + to + ") i");
    }

    private Path config(String name, String table, String sourceExtras, String batch, Path dst) throws IOException {
        StringBuilder yaml = new StringBuilder()
                .append("sources:\n")
                .append("- name: db\n")
                .append("  type: jdbc\n")
                .append("  url: ").append(URL).append('\n')
                .append("  user: postgres\n")
                .append("  table: ").append(table).append('\n');
        for (String extra : sourceExtras.split("\n")) {
            if (!extra.isBlank()) {
                yaml.append("  ").append(extra).append('\n');
            }
        }
        yaml.append("destinations:\n")
                .append("- name: files\n")
                .append("  type: file\n")
                .append("  path: ").append(quote(dst)).append('\n')
                .append("workflows:\n")
                .append("- name: ").append(name).append('\n')
                .append("  source: db\n")
                .append("  destinations: [files]\n")
                .append("  batch: ").append(batch).append('\n');
        Path file = dir.resolve(name + ".yaml");
        Files.writeString(file, yaml, StandardCharsets.UTF_8);
        return file;
    }

    /** The ids of the rows in every batch object under a directory, by object name. */
    private static Map<String, List<Long>> objects(Path root) throws IOException {
        Map<String, List<Long>> out = new TreeMap<>();
        if (!Files.exists(root)) {
            return out;
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                    .filter(p -> !LauncherSupport.TEMP_FILE.matcher(p.getFileName().toString()).matches()).toList();
        }
        for (Path p : files) {
            try (InputStream in = new GZIPInputStream(Files.newInputStream(p))) {
                List<Long> ids = new ArrayList<>();
                for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                    if (!line.isEmpty()) {
                        ids.add(JSON.readTree(line).get("id").asLong());
                    }
                }
                out.put(LauncherSupport.relative(root, p), ids);
            } catch (java.nio.file.NoSuchFileException e) {
                // replaced by a rebuilt batch while we looked
            }
        }
        return out;
    }

    private static String firstLine(Path gz) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")[0];
        }
    }

    private static Map<Long, Integer> counts(Map<String, List<Long>> objects) {
        Map<Long, Integer> out = new HashMap<>();
        objects.values().forEach(ids -> ids.forEach(id -> out.merge(id, 1, Integer::sum)));
        return out;
    }

    private static boolean all(Map<String, List<Long>> objects, long rows) {
        Map<Long, Integer> seen = counts(objects);
        for (long id = 1; id <= rows; id++) {
            if (!seen.containsKey(id)) {
                return false;
            }
        }
        return true;
    }

    /** Every row once in the objects, except rows the given limit allows twice; no object holds a row twice. */
    private static void assertDelivered(Map<String, List<Long>> objects, long rows, long duplicatesUpTo) {
        for (Map.Entry<String, List<Long>> o : objects.entrySet()) {
            assertThat(o.getValue()).as("rows of object %s", o.getKey()).doesNotHaveDuplicates();
        }
        Map<Long, Integer> seen = counts(objects);
        List<Long> expected = new ArrayList<>();
        for (long id = 1; id <= rows; id++) {
            expected.add(id);
        }
        assertThat(seen.keySet()).as("every row arrived, and nothing else").containsExactlyInAnyOrderElementsOf(expected);
        List<Long> twice = seen.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).sorted()
                .toList();
        System.out.printf("%d of %d rows stored twice, in %d objects%n", twice.size(), rows, objects.size());
        assertThat(seen.values()).as("no row more than twice").allMatch(n -> n <= 2);
        assertThat(twice).as("rows stored twice were read by a killed process before its checkpoint was committed")
                .allMatch(id -> id <= duplicatesUpTo);
    }

    private static void awaitDrained(String name) throws Exception {
        try (Connection nc = Nats.connect(NATS.url())) {
            await("the queue drained").atMost(RUN).until(() -> {
                var info = nc.jetStreamManagement().getConsumerInfo(name, name + "__" + name);
                return info.getNumAckPending() == 0 && info.getNumPending() == 0;
            });
        }
    }

    @Test
    void rowsAreGroupedByBucketIntoObjectsAtTheCountAndAgeThresholdsAndRowsInsertedWhileRunningArrive()
            throws Exception {
        String name = unique("jdbcbuckets");
        String table = accessLog(name);
        Path dst = dir.resolve("dst");
        // 250 rows of bucket b0 and 30 of b1 (ids 251..280)
        insert(table, 1, 250, 1);
        sql("INSERT INTO " + table + " (id, bucket, request) SELECT i, 'b1', 'GET /x' FROM generate_series(251, 280) i");
        Path config = config(name, table, "cursor: [inserted_at, id]\npollInterval: 100ms",
                "{maxRecords: 100, maxAge: 2s, format: ndjson, compression: gzip, key: '{attr.bucket}/{first}.{ext}'}",
                dst);
        Launch service = launcher.start(dir, Map.of(), queueArgs(NATS.url(), name, config, "--mode=all"));
        await("the first rows stored").atMost(RUN).until(() -> all(objects(dst), 280));
        sql("INSERT INTO " + table + " (id, bucket, request) SELECT i, 'b1', 'GET /y' FROM generate_series(281, 300) i");
        await("rows inserted while running stored").atMost(RUN).until(() -> all(objects(dst), 300));
        awaitDrained(name);
        service.process().destroy();
        Result stopped = service.await(Duration.ofSeconds(60));
        assertThat(stopped.exitCode()).as(stopped.describe()).isZero();

        Map<String, List<Long>> objects = objects(dst);
        assertDelivered(objects, 300, 0);
        Map<String, List<Integer>> sizes = new TreeMap<>();
        objects.forEach((key, ids) -> sizes.computeIfAbsent(key.substring(0, key.indexOf('/')), k -> new ArrayList<>())
                .add(ids.size()));
        // b0: two objects closed at the count threshold, the rest at the age threshold; b1: by age, twice.
        assertThat(sizes.get("b0")).containsExactlyInAnyOrder(100, 100, 50);
        assertThat(sizes.get("b1")).containsExactlyInAnyOrder(30, 20);
        assertThat(objects.keySet()).allMatch(k -> k.matches("b[01]/\\d{20}(-\\d+)?\\.ndjson\\.gz"));
        // Each line is the row as it is: its columns, typed; the attributes that repeat them are left out.
        String line = firstLine(dst.resolve(objects.keySet().iterator().next()));
        assertThat(JSON.readTree(line).fieldNames()).toIterable()
                .containsExactly("id", "inserted_at", "bucket", "request");
        assertThat(JSON.readTree(line).get("id").isIntegralNumber()).isTrue();
        assertThat(JSON.readTree(line).get("inserted_at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z");
    }

    @Test
    void aServiceKilledWithSigkillWhileRowsAreInsertedLosesNoRowAndNoObjectHoldsARowTwice() throws Exception {
        String name = unique("jdbckill");
        String table = accessLog(name);
        Path dst = dir.resolve("dst");
        long rows = 30_000;
        AtomicLong inserted = new AtomicLong();
        AtomicReference<Throwable> writerFailed = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                for (long from = 1; from <= rows; from += 100) {
                    insert(table, from, from + 99, 7);
                    inserted.set(from + 99);
                    Thread.sleep(5);
                }
            } catch (Throwable e) {
                writerFailed.set(e);
            }
        }, "row-writer");
        // One key prefix: each message is in one batch, so a batch stored before the kill has all its messages
        // acked, and one not stored is rebuilt under the same name. (With several prefixes, a message whose records
        // went to a batch stored before the kill and to one that was not comes back whole, and its records of the
        // stored batch then go to a second object: see the README's Delivery notes on records.)
        Path config = config(name, table, "cursor: [id]\npollInterval: 20ms\npageSize: 500",
                "{maxRecords: 100000, maxAge: 3s, format: ndjson, compression: gzip, key: 'rows/{first}.{ext}'}",
                dst);
        String[] args = queueArgs(NATS.url(), name, config, "--mode=all", "--ack-wait", "2s");
        Launch doomed = launcher.start(dir, Map.of(), args);
        writer.start();
        await("a first object stored").atMost(RUN).until(() -> !objects(dst).isEmpty());
        assertThat(writer.isAlive()).as("still inserting when the process is killed").isTrue();
        doomed.process().destroyForcibly(); // SIGKILL while rows are inserted and read
        doomed.process().waitFor();
        long insertedAtKill = inserted.get() + 100; // a statement may have been running
        assertThat(doomed.result().exitCode()).as("killed").isEqualTo(137);

        Launch restarted = launcher.start(dir, Map.of(), args);
        writer.join(RUN.toMillis());
        assertThat(writerFailed.get()).isNull();
        await("every row stored").atMost(RUN).until(() -> all(objects(dst), rows));
        awaitDrained(name);
        restarted.process().destroy();
        Result stopped = restarted.await(Duration.ofSeconds(60));
        assertThat(stopped.exitCode()).as(stopped.describe()).isZero();
        assertDelivered(objects(dst), rows, insertedAtKill);
    }

    /**
     * A driver the plugin does not bundle (H2's), placed as a jar beside the plugin's own jars in a plugin directory
     * given with {@code --plugins}: the source finds it in the plugin's class loader.
     */
    @Test
    void aDriverJarPlacedInThePluginDirectoryIsUsed() throws Exception {
        String name = unique("jdbch2");
        Path plugin = Files.createDirectories(dir.resolve("plugins/jdbc"));
        try (Stream<Path> jars = Files.list(LauncherSupport.distribution().resolve("plugins/jdbc"))) {
            for (Path jar : jars.toList()) {
                Files.copy(jar, plugin.resolve(jar.getFileName()));
            }
        }
        Path h2 = Path.of(org.h2.Driver.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Files.copy(h2, plugin.resolve(h2.getFileName()));
        String url = "jdbc:h2:" + dir.resolve("h2db").toAbsolutePath();
        try (java.sql.Connection c = new org.h2.Driver().connect(url, new java.util.Properties());
             Statement s = c.createStatement()) {
            s.execute("CREATE TABLE events (id bigint PRIMARY KEY, msg varchar(20))");
            s.execute("INSERT INTO events SELECT x, 'event ' || x FROM SYSTEM_RANGE(1, 25)");
        }
        Path dst = dir.resolve("dst");
        Path config = dir.resolve(name + ".yaml");
        Files.writeString(config, """
                sources:
                - name: db
                  type: jdbc
                  url: %s
                  table: events
                  cursor: [id]
                  pageSize: 10
                destinations:
                - name: files
                  type: file
                  path: %s
                workflows:
                - name: %s
                  source: db
                  destinations: [files]
                  batch: {format: ndjson, compression: gzip, key: '{first}.{ext}'}
                """.formatted(url, quote(dst), name), StandardCharsets.UTF_8);
        Result run = launcher.run(dir, RUN, Map.of(), queueArgs(NATS.url(), name, config, "--mode=all", "--once",
                "--plugins", dir.resolve("plugins").toString()));
        assertThat(run.exitCode()).as(run.describe()).isZero();
        assertThat(run.stdout()).contains("records 25");
        Map<String, List<Long>> objects = new TreeMap<>();
        try (Stream<Path> files = Files.list(dst)) {
            for (Path f : files.toList()) {
                List<Long> ids = new ArrayList<>();
                try (InputStream in = new GZIPInputStream(Files.newInputStream(f))) {
                    for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                        ids.add(JSON.readTree(line).get("ID").asLong()); // H2 names columns in upper case
                    }
                }
                objects.put(f.getFileName().toString(), ids);
            }
        }
        assertDelivered(objects, 25, 0);
    }

    /** Who holds each of a workflow's shards, read from the leases bucket. */
    private static Map<Integer, String> holders(Connection nc, String name) throws Exception {
        Map<Integer, String> out = new TreeMap<>();
        KeyValue kv;
        try {
            kv = nc.keyValue(name + "_leases");
            for (String key : kv.keys(name + ".shard.>")) {
                KeyValueEntry e = kv.get(key);
                if (e != null && e.getOperation() == KeyValueOperation.PUT) {
                    out.put(Integer.parseInt(key.substring(key.lastIndexOf('.') + 1)),
                            JSON.readTree(e.getValue()).get("holder").asText());
                }
            }
        } catch (io.nats.client.JetStreamApiException | IOException e) {
            // no bucket yet
        }
        return out;
    }

    private static boolean spread(Map<Integer, String> holders, int replicas) {
        if (holders.size() != 8) {
            return false;
        }
        Map<String, Integer> per = new HashMap<>();
        holders.values().forEach(h -> per.merge(h, 1, Integer::sum));
        return per.size() == replicas && per.values().stream().allMatch(n -> n >= 8 / replicas && n <= (8 + replicas - 1) / replicas);
    }

    @Test
    void threeEnqueuersShareEightShardsAndTheShardsOfOneKilledAndStartedAgainMoveWithoutLossOrRepeats()
            throws Exception {
        String name = unique("jdbcshards");
        String table = accessLog(name);
        Path dst = dir.resolve("dst");
        long rows = 24_000;
        AtomicLong inserted = new AtomicLong();
        AtomicReference<Throwable> writerFailed = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                for (long from = 1; from <= rows; from += 100) {
                    insert(table, from, from + 99, 53);
                    inserted.set(from + 99);
                    Thread.sleep(20);
                }
            } catch (Throwable e) {
                writerFailed.set(e);
            }
        }, "row-writer");
        Path config = config(name, table, "cursor: [id]\npollInterval: 50ms\npageSize: 500\nshards: 8\n"
                        + "shardColumn: bucket",
                "{maxRecords: 100000, maxAge: 2s, format: ndjson, compression: gzip, key: '{attr.bucket}/{first}.{ext}'}",
                dst);
        Map<String, String> env = Map.of("JAVA_OPTS", "-Xmx160m");
        String[] enqueue = queueArgs(NATS.url(), name, config, "--mode=enqueue");
        Launch dequeuer = launcher.start(dir, env, queueArgs(NATS.url(), name, config, "--mode=dequeue",
                "--ack-wait", "2s"));
        List<Launch> enqueuers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            enqueuers.add(launcher.start(dir, env, enqueue));
        }
        writer.start();
        try (Connection nc = Nats.connect(NATS.url())) {
            await("8 shards spread over 3 enqueuers").atMost(RUN).until(() -> spread(holders(nc, name), 3));
            await("some rows stored").atMost(RUN).until(() -> !objects(dst).isEmpty());
            Set<String> before = new HashSet<>(holders(nc, name).values());
            enqueuers.get(1).process().destroyForcibly();
            enqueuers.get(1).process().waitFor();
            long insertedAtKill = inserted.get() + 100;
            await("the shards of the killed enqueuer moved to the 2 others").atMost(RUN)
                    .until(() -> spread(holders(nc, name), 2));
            assertThat(before).containsAll(holders(nc, name).values());
            enqueuers.set(1, launcher.start(dir, env, enqueue));
            await("8 shards spread over 3 enqueuers again").atMost(RUN).until(() -> spread(holders(nc, name), 3));

            Result status = launcher.run(dir, RUN, Map.of(), "status", "--queue-endpoint", NATS.url(),
                    "--stream", name, "--subject", name, "--consumer", name, "--config", config.toString());
            assertThat(status.exitCode()).as(status.describe()).isZero();
            assertThat(status.stdout()).contains("shard leases:       8 held");
            Map<Integer, String> now = holders(nc, name);
            for (int s = 0; s < 8; s++) {
                assertThat(status.stdout()).contains("shard " + s + ": " + now.get(s));
            }
            Result json = launcher.run(dir, RUN, Map.of(), "status", "--json", "--queue-endpoint", NATS.url(),
                    "--stream", name, "--subject", name, "--consumer", name, "--config", config.toString());
            assertThat(json.exitCode()).as(json.describe()).isZero();
            var shards = JSON.readTree(json.stdout()).get(0).get("shards");
            assertThat(shards.size()).isEqualTo(8);
            assertThat(Set.copyOf(now.values())).contains(shards.get("0").path("holder").asText(),
                    shards.get("7").path("holder").asText());
            assertThat(shards.get("0").path("expires").asText()).isGreaterThan(shards.get("0").path("since").asText());

            writer.join(RUN.toMillis());
            assertThat(writerFailed.get()).isNull();
            await("every row stored").atMost(RUN).until(() -> all(objects(dst), rows));
            awaitDrained(name);
            for (Launch l : enqueuers) {
                l.process().destroy();
                Result r = l.await(Duration.ofSeconds(60));
                assertThat(r.exitCode()).as(r.describe()).isZero();
            }
            await("every lease given back").atMost(RUN).until(() -> holders(nc, name).isEmpty());
            dequeuer.process().destroy();
            assertThat(dequeuer.await(Duration.ofSeconds(60)).exitCode()).isZero();
            assertDelivered(objects(dst), rows, insertedAtKill);
        }
    }
}
