package dev.ingest.plugin.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ingest.core.config.EnvExpander;
import dev.ingest.core.engine.Mode;
import dev.ingest.core.engine.RunSummary;
import dev.ingest.core.queue.JetStreamQueue;
import dev.ingest.core.queue.QueueSettings;
import dev.ingest.testkit.NatsServerExtension;
import dev.ingest.testkit.S3ServerExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An s3 source with {@code cursor: true} in the engine: the cursor is committed to JetStream's key-value bucket after
 * the publishes are acked, survives restarts (each run here is a new engine and a new connection), is shown in the
 * scan's record for {@code ingest status}, and a full scan catches a key written below it.
 */
class S3CursorEngineIT {

    @RegisterExtension
    static final NatsServerExtension NATS = new NatsServerExtension();

    @RegisterExtension
    static final S3ServerExtension S3 = S3ServerExtension.inMemory();

    private static final AtomicInteger RUN = new AtomicInteger();

    @TempDir
    Path dir;

    private static EnvExpander env() {
        return EnvExpander.of(Map.of("S3_KEY", S3.accessKey(), "S3_SECRET", S3.secretKey()));
    }

    private static String yaml(String bucket, String extra, Path out) {
        return """
                sources: [{name: s, type: s3, endpoint: '%s', bucket: %s, accessKeyID: '${S3_KEY}',
                           secretAccessKey: '${S3_SECRET}', cursor: true%s}]
                destinations: [{name: f, type: file, path: '%s'}]
                workflows: [{name: cur, source: s, destinations: [f]}]
                """.formatted(S3.endpoint(), bucket, extra, out);
    }

    private static List<String> files(Path root) throws IOException {
        if (!Files.exists(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void theCursorSurvivesRestartsAndOnlyNewKeysAreListed() throws Exception {
        String bucket = S3.createBucket();
        for (int i = 0; i < 30; i++) {
            S3.put(bucket, String.format("log-%03d", i), "line " + i);
        }
        QueueSettings queue = EngineRunner.settings(NATS.url(), "cur" + RUN.incrementAndGet());
        Path out = dir.resolve("out");

        RunSummary first = EngineRunner.runOnce(yaml(bucket, "", out), env(), queue, Mode.ALL);
        assertThat(first.failures()).isEmpty();
        assertThat(first.listed()).isEqualTo(30);
        assertThat(files(out)).hasSize(30);

        for (int i = 30; i < 35; i++) {
            S3.put(bucket, String.format("log-%03d", i), "line " + i);
        }
        S3.put(bucket, "aaa-late", "written below the cursor");
        RunSummary second = EngineRunner.runOnce(yaml(bucket, "", out), env(), queue, Mode.ALL);
        assertThat(second.failures()).isEmpty();
        assertThat(second.listed()).as("only the keys after the cursor").isEqualTo(5);
        assertThat(second.copied()).isEqualTo(5);
        assertThat(files(out)).hasSize(35).doesNotContain("aaa-late");

        try (JetStreamQueue q = JetStreamQueue.connect(queue)) {
            assertThat(q.lastScan("cur")).hasValueSatisfying(scan -> assertThat(scan.source())
                    .containsEntry("cursor", "log-034").containsEntry("scan", "after cursor"));
        }
    }

    @Test
    void aFullScanCatchesAKeyBelowTheCursorAndQueuesOnlyWhatTheDestinationLacks() throws Exception {
        String bucket = S3.createBucket();
        for (String k : List.of("b", "c")) {
            S3.put(bucket, k, k);
        }
        QueueSettings queue = EngineRunner.settings(NATS.url(), "cur" + RUN.incrementAndGet());
        Path out = dir.resolve("out");
        // The first scan is a full one (there is no cursor yet); it records when it started, before the run ended.
        RunSummary first = EngineRunner.runOnce(yaml(bucket, ", fullScanInterval: 1s", out), env(), queue, Mode.ALL);
        long firstEnded = System.currentTimeMillis();
        assertThat(first.copied()).isEqualTo(2);

        S3.put(bucket, "a-late", "late");
        // No full scan is due within the interval: the late key is not listed.
        RunSummary cursorOnly = EngineRunner.runOnce(yaml(bucket, ", fullScanInterval: 1h", out), env(), queue,
                Mode.ALL);
        assertThat(cursorOnly.listed()).isZero();
        assertThat(files(out)).containsExactly("b", "c");

        while (System.currentTimeMillis() - firstEnded < 1_100) { // a full scan is due a second after the first
            Thread.sleep(50);
        }
        RunSummary full = EngineRunner.runOnce(yaml(bucket, ", fullScanInterval: 1s", out), env(), queue, Mode.ALL);
        assertThat(full.failures()).isEmpty();
        assertThat(full.listed()).isEqualTo(3);
        assertThat(full.copied()).as("the destination's listing already shows b and c").isEqualTo(1);
        assertThat(files(out)).containsExactly("a-late", "b", "c");
        try (JetStreamQueue q = JetStreamQueue.connect(queue)) {
            assertThat(q.lastScan("cur")).hasValueSatisfying(scan -> assertThat(scan.source())
                    .containsEntry("cursor", "c").containsEntry("scan", "full"));
        }
    }
}
