package dev.ingest.plugin.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ingest.api.CheckpointUpdate;
import dev.ingest.api.Codec;
import dev.ingest.api.ConfigException;
import dev.ingest.api.PluginConfig;
import dev.ingest.api.PluginRole;
import dev.ingest.api.Scan;
import dev.ingest.api.ScanContext;
import dev.ingest.testkit.S3ServerExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The s3 source's filters, {@code startAfter}, cursor and full scans against a real S3 API server, with a checkpoint
 * kept the way the engine keeps it: a change is applied once the scan returned it (here: every object is "queued" at
 * once). The engine's side (commits after JetStream's acks, across restarts) is in {@link S3CursorEngineIT}.
 */
class S3CursorIT {

    @RegisterExtension
    static final S3ServerExtension S3 = S3ServerExtension.inMemory();

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    /** A checkpoint in memory, applied as the engine applies it, and the status the scans report. */
    static final class Checkpoint implements ScanContext {
        final Map<String, byte[]> entries = new HashMap<>();
        Map<String, String> status = Map.of();

        @Override
        public Map<String, byte[]> checkpoint() {
            return Map.copyOf(entries);
        }

        @Override
        public void status(Map<String, String> status) {
            this.status = new LinkedHashMap<>(status);
        }

        void apply(CheckpointUpdate u) {
            u.remove().forEach(entries::remove);
            entries.putAll(u.put());
        }

        String cursor() {
            byte[] c = entries.get(S3Source.CURSOR_ENTRY);
            return c == null ? null : new String(c, StandardCharsets.UTF_8);
        }
    }

    /** A clock the test moves. */
    static final class TestClock extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private S3Source source(String bucket, Clock clock, Object... more) throws Exception {
        PluginConfig config = PluginConfig.of("src", S3PluginIT.config(S3, bucket, more));
        ScanSettings scanning = ScanSettings.parse(config);
        S3Source s = new S3Source(S3PluginProvider.connect(config, PluginRole.SOURCE), 100, scanning, clock);
        toClose.add(s);
        return s;
    }

    /** One scan, every change applied as its object comes (all queued at once), the end's change at the end. */
    private static List<String> scan(S3Source source, Checkpoint cp) throws IOException {
        List<String> out = new ArrayList<>();
        try (Scan scan = source.scan(cp)) {
            for (Optional<Codec> c = scan.next(); c.isPresent(); c = scan.next()) {
                out.add(c.get().id());
                cp.apply(scan.checkpointAfter(c.get()));
            }
            cp.apply(scan.checkpointAfter(null));
        }
        return out;
    }

    @Test
    void includeAndExcludeSelectNamesBelowThePrefix() throws Exception {
        String bucket = S3.createBucket();
        for (String k : List.of("p/a.pdf", "p/x/b.pdf", "p/x/c.txt", "p/tmp/d.pdf", "q/e.pdf")) {
            S3.put(bucket, k, "x");
        }
        S3Source source = source(bucket, Clock.systemUTC(), "prefix", "p/", "include", List.of("*.pdf"),
                "exclude", List.of("tmp/**"));

        assertThat(scan(source, new Checkpoint())).containsExactly("p/a.pdf", "p/x/b.pdf");
    }

    @Test
    void startAfterListsOnlyTheKeysAfterItAlsoWithoutACursor() throws Exception {
        String bucket = S3.createBucket();
        for (String k : List.of("2026-01-01.log", "2026-01-02.log", "2026-01-03.log")) {
            S3.put(bucket, k, "x");
        }
        S3Source source = source(bucket, Clock.systemUTC(), "startAfter", "2026-01-01.log");
        Checkpoint cp = new Checkpoint();

        assertThat(scan(source, cp)).containsExactly("2026-01-02.log", "2026-01-03.log");
        assertThat(cp.entries).as("no cursor without cursor: true").isEmpty();
        assertThat(source.scan()).satisfies(s -> assertThat(s.next()).hasValueSatisfying(
                c -> assertThat(c.id()).isEqualTo("2026-01-02.log")));
    }

    @Test
    void aCursorScanListsOnlyKeysAfterTheLastKeyQueued() throws Exception {
        String bucket = S3.createBucket();
        for (int i = 0; i < 250; i++) {
            S3.put(bucket, String.format("k-%04d", i), "x");
        }
        S3Source source = source(bucket, Clock.systemUTC(), "cursor", true);
        Checkpoint cp = new Checkpoint();

        assertThat(scan(source, cp)).hasSize(250);
        assertThat(cp.cursor()).isEqualTo("k-0249");
        assertThat(cp.status).containsEntry("cursor", "k-0249").containsEntry("scan", "full");

        S3.put(bucket, "k-0250", "x");
        S3.put(bucket, "k-0251", "x");
        assertThat(scan(source, cp)).containsExactly("k-0250", "k-0251");
        assertThat(cp.cursor()).isEqualTo("k-0251");
        assertThat(cp.status).containsEntry("scan", "after cursor");
        assertThat(scan(source, cp)).isEmpty();
        assertThat(cp.cursor()).isEqualTo("k-0251");
    }

    @Test
    void aCursorMovesOnlyWithChangesTheEngineApplied() throws Exception {
        String bucket = S3.createBucket();
        for (String k : List.of("a", "b", "c", "d")) {
            S3.put(bucket, k, "x");
        }
        S3Source source = source(bucket, Clock.systemUTC(), "cursor", true);
        Checkpoint cp = new Checkpoint();
        try (Scan scan = source.scan(cp)) { // a crash after "b" was queued: "c" was listed, never confirmed
            cp.apply(scan.checkpointAfter(scan.next().orElseThrow()));
            cp.apply(scan.checkpointAfter(scan.next().orElseThrow()));
            scan.checkpointAfter(scan.next().orElseThrow());
        }
        assertThat(cp.cursor()).isEqualTo("b");

        assertThat(scan(source, cp)).as("the next scan starts after the cursor, neither skipping nor going back")
                .containsExactly("c", "d");
    }

    @Test
    void filteredKeysAtTheEndStillMoveTheCursorOfACompleteScan() throws Exception {
        String bucket = S3.createBucket();
        for (String k : List.of("a.pdf", "b.tmp", "c.tmp")) {
            S3.put(bucket, k, "x");
        }
        S3Source source = source(bucket, Clock.systemUTC(), "cursor", true, "exclude", "*.tmp");
        Checkpoint cp = new Checkpoint();

        assertThat(scan(source, cp)).containsExactly("a.pdf");
        assertThat(cp.cursor()).isEqualTo("c.tmp");
    }

    @Test
    void aKeyLowerThanTheCursorWaitsForTheNextFullScan() throws Exception {
        String bucket = S3.createBucket();
        for (String k : List.of("b", "c")) {
            S3.put(bucket, k, "x");
        }
        TestClock clock = new TestClock();
        S3Source source = source(bucket, clock, "cursor", true, "fullScanInterval", "1h");
        Checkpoint cp = new Checkpoint();
        assertThat(scan(source, cp)).containsExactly("b", "c");

        S3.put(bucket, "a-late", "x");
        S3.put(bucket, "d", "x");
        clock.now = clock.now.plus(Duration.ofMinutes(59));
        assertThat(scan(source, cp)).as("a cursor scan").containsExactly("d");

        clock.now = clock.now.plus(Duration.ofMinutes(1));
        assertThat(scan(source, cp)).as("the full scan, an hour after the last one").containsExactly("a-late", "b", "c", "d");
        assertThat(cp.status).containsEntry("scan", "full");
        assertThat(cp.cursor()).as("a full scan never moves the cursor back").isEqualTo("d");

        clock.now = clock.now.plus(Duration.ofMinutes(1));
        assertThat(scan(source, cp)).as("cursor scans again").isEmpty();
    }

    @Test
    void fullScanIntervalNeedsACursor() {
        PluginConfig config = PluginConfig.of("src", S3PluginIT.config(S3, "b", "fullScanInterval", "1h"));
        ScanSettings.parse(config);
        assertThat(config.problems()).singleElement().satisfies(p -> assertThat(p)
                .startsWith("fullScanInterval: applies only with cursor: true"));
        PluginConfig bad = PluginConfig.of("src", S3PluginIT.config(S3, "b", "cursor", "maybe", "include", "["));
        ScanSettings.parse(bad);
        assertThat(bad.problems()).hasSize(2);
    }

    /**
     * The benchmark of the issue: after a first scan of 20,000 objects, a cursor scan with 100 new keys lists about
     * 100 keys, where a scan without a cursor lists all 20,100. Prints what it measured.
     */
    @Test
    void aRescanOfTwentyThousandObjectsWithAHundredNewListsAHundred() throws Exception {
        String bucket = S3.createBucket();
        put(bucket, 0, 20_000);
        S3Source cursor = source(bucket, Clock.systemUTC(), "cursor", true);
        S3Source plain = new S3Source(S3PluginProvider.connect(PluginConfig.of("p", S3PluginIT.config(S3, bucket)),
                PluginRole.SOURCE), 1000);
        toClose.add(plain);
        Checkpoint cp = new Checkpoint();
        assertThat(scan(cursor, cp)).hasSize(20_000);
        put(bucket, 20_000, 100);

        long t0 = System.nanoTime();
        List<String> listed = scan(cursor, cp);
        long cursorMillis = (System.nanoTime() - t0) / 1_000_000;
        t0 = System.nanoTime();
        int all = scan(plain, new Checkpoint()).size();
        long fullMillis = (System.nanoTime() - t0) / 1_000_000;

        assertThat(listed).hasSize(100);
        assertThat(all).isEqualTo(20_100);
        System.out.printf("cursor benchmark: rescan of 20,100 objects with 100 new: cursor scan listed %d keys in %d ms; "
                + "a scan without cursor listed %d in %d ms%n", listed.size(), cursorMillis, all, fullMillis);
    }

    private static void put(String bucket, int from, int n) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    for (int i = from + thread; i < from + n; i += 8) {
                        S3.put(bucket, String.format("obj/%06d", i), "x");
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
    }
}
