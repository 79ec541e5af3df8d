package dev.ingest.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ingest.core.engine.RunSummary;
import dev.ingest.core.nats.NatsServerProcess;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Record workflows through {@link Ingest} against a real nats-server: the test source {@code gen}, batches in files. */
class RecordsIT {

    private static NatsServerProcess nats;
    private static final AtomicInteger RUN = new AtomicInteger();

    @TempDir
    Path tmp;

    private final String name = "rec" + RUN.incrementAndGet();

    @BeforeAll
    static void startNats() throws IOException {
        nats = NatsServerProcess.start();
    }

    @AfterAll
    static void stopNats() {
        if (nats != null) {
            nats.close();
        }
    }

    private Ingest build(String batch, long count) throws Exception {
        return build(batch, count, ", chunk: 70");
    }

    private Ingest build(String batch, long count, String sourceExtras) throws Exception {
        String yaml = """
                sources: [{name: gen, type: gen, count: %d, groups: 3%s}]
                destinations: [{name: out, type: dir, path: '${OUT}'}]
                workflows:
                - name: logs
                  source: gen
                  destinations: [out]
                  batch: %s
                """.formatted(count, sourceExtras, batch);
        return Ingest.builder().config(yaml).variables(Map.of("OUT", tmp.resolve("out").toString()))
                .natsUrl(nats.url()).stream(name).subject(name).consumer(name).shutdownGrace(Duration.ofSeconds(5))
                .build();
    }

    @Test
    void recordsAreBatchedByCountIntoObjectsNamedByTheirFirstRecordAndEachArrivesOnce() throws Exception {
        try (Ingest ingest = build("{maxRecords: 250, compression: none, key: '{first}.{ext}'}", 1000)) {
            RunSummary run = ingest.runOnce();

            assertThat(run.records()).as(run.line()).isEqualTo(1000);
            assertThat(run.batches()).as(run.line()).isEqualTo(4);
            assertThat(run.failed()).as(run.line()).isZero();
            assertThat(run.line()).contains("records 1000, batches 4");
        }
        Map<String, List<String>> objects = objects(tmp.resolve("out"));
        assertThat(objects).hasSize(4);
        assertThat(objects.keySet()).allMatch(n -> n.matches("\\d{20}(-\\d+)?\\.log"));
        assertThat(objects.values()).allSatisfy(lines -> assertThat(lines).hasSize(250));
        assertThat(allLines(objects)).containsExactlyInAnyOrderElementsOf(expected(1000));
        assertThat(allLines(objects)).doesNotHaveDuplicates();
    }

    @Test
    void aSecondRunResumesFromTheCheckpointAndQueuesNothingAgain() throws Exception {
        try (Ingest ingest = build("{compression: gzip, key: '{first}.{ext}'}", 300)) {
            assertThat(ingest.runOnce().records()).isEqualTo(300);
            RunSummary second = ingest.runOnce();
            assertThat(second.records()).as(second.line()).isZero();
            assertThat(second.batches()).as(second.line()).isZero();
        }
        Map<String, List<String>> objects = objects(tmp.resolve("out"));
        assertThat(objects.keySet()).allMatch(n -> n.endsWith(".log.gz"));
        assertThat(allLines(objects)).containsExactlyInAnyOrderElementsOf(expected(300));
    }

    @Test
    void recordsWhosePrefixesDifferGoToDifferentBatches() throws Exception {
        try (Ingest ingest = build("{compression: none, format: ndjson, key: 'g{attr.group}-{first}.{ext}'}", 90)) {
            RunSummary run = ingest.runOnce();
            assertThat(run.batches()).as(run.line()).isEqualTo(3);
        }
        Map<String, List<String>> objects = objects(tmp.resolve("out"));
        assertThat(objects.keySet()).hasSize(3).allMatch(n -> n.matches("g[012]-\\d{20}(-\\d+)?\\.ndjson"));
        for (Map.Entry<String, List<String>> e : objects.entrySet()) {
            String group = e.getKey().substring(1, 2);
            assertThat(e.getValue()).hasSize(30).allMatch(l -> l.contains("\"group\":\"" + group + "\""))
                    .allMatch(l -> l.startsWith("{\"timestamp\":\"20"));
        }
    }

    @Test
    void maxAgeClosesABatchOnATimerThoughNoFurtherRecordArrives() throws Exception {
        Ingest ingest = build("{maxRecords: 1000000, maxAge: 700ms, compression: none, key: '{first}.{ext}'}", 50);
        try {
            ingest.start(); // a service: the source hands over 50 records, then waits
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20))
                    .until(() -> allLines(objects(tmp.resolve("out"))).size() == 50);
            assertThat(objects(tmp.resolve("out"))).hasSize(1);
            assertThat(ingest.progress().batches()).isEqualTo(1);
        } finally {
            ingest.close();
        }
    }

    @Test
    void aServiceReportsEachBatchItHoldsOpenWithItsRecordsBytesOldestRecordAndWhenMaxAgeCutsIt() throws Exception {
        Ingest ingest = build("{maxAge: 10m, compression: none, format: lines, key: 'g{attr.group}/{first}.{ext}'}",
                90);
        try (io.nats.client.Connection nc = io.nats.client.Nats.connect(nats.url())) {
            java.time.Instant started = java.time.Instant.now();
            ingest.start(); // the source hands over 90 records in 3 groups, then waits: 3 batches stay open
            com.fasterxml.jackson.databind.JsonNode[] open = new com.fasterxml.jackson.databind.JsonNode[1];
            org.awaitility.Awaitility.await("3 open batches of 30 records in the status").atMost(Duration.ofSeconds(30))
                    .until(() -> {
                        open[0] = openBatches(nc);
                        return open[0].size() == 3 && open[0].findValues("records").stream()
                                .allMatch(r -> r.asLong() == 30);
                    });
            for (var batch : open[0]) {
                String group = batch.path("key").asText();
                assertThat(group).matches("g[012]/");
                assertThat(batch.path("object").asText()).matches(java.util.regex.Pattern.quote(group)
                        + "\\d{20}(-\\d+)?\\.log");
                java.time.Instant opened = java.time.Instant.parse(batch.path("opened").asText());
                assertThat(opened).isAfterOrEqualTo(started.minusSeconds(1));
                assertThat(java.time.Instant.parse(batch.path("cutAt").asText())).isEqualTo(opened.plus(
                        Duration.ofMinutes(10)));
                assertThat(java.time.Instant.parse(batch.path("oldestRecord").asText())).isAfterOrEqualTo(
                        started.minusSeconds(1));
            }
            // "line-0\n" .. "line-89\n", uncompressed: the bytes as written so far.
            assertThat(open[0].findValues("bytes").stream().mapToLong(b -> b.asLong()).sum()).isEqualTo(10 * 7 + 80 * 8);
            assertThat(objects(tmp.resolve("out"))).isEmpty(); // nothing is stored while they are open
        } finally {
            ingest.close();
        }
    }

    /** The open batches of the one process batching, from the workflow's record status document. */
    private com.fasterxml.jackson.databind.JsonNode openBatches(io.nats.client.Connection nc) throws Exception {
        io.nats.client.api.KeyValueEntry e;
        try {
            e = nc.keyValue(name + "_scans").get("records.logs");
        } catch (io.nats.client.JetStreamApiException | IllegalArgumentException missing) {
            return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
        }
        if (e == null || e.getValue() == null) {
            return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
        }
        var held = new com.fasterxml.jackson.databind.ObjectMapper().readTree(e.getValue()).path("held");
        return held.size() == 1 ? held.elements().next().path("open") : com.fasterxml.jackson.databind.node
                .MissingNode.getInstance();
    }

    @Test
    void whenMoreBatchesWouldBeOpenThanMaxOpenBatchesTheOldestIsClosed() throws Exception {
        // Records cycle through 3 groups with room for 2 open batches: each record after the second opens a batch
        // and closes the oldest one, so every batch holds one record.
        try (Ingest ingest = build("{maxOpenBatches: 2, compression: none, key: 'g{attr.group}-{first}.{ext}'}", 30)) {
            RunSummary run = ingest.runOnce();
            assertThat(run.batches()).as(run.line()).isEqualTo(30);
        }
        Map<String, List<String>> objects = objects(tmp.resolve("out"));
        assertThat(objects).hasSize(30);
        assertThat(allLines(objects)).containsExactlyInAnyOrderElementsOf(expected(30));
    }

    @Test
    void maxBytesClosesABatchOnceItsObjectHasThatSizeAsWritten() throws Exception {
        try (Ingest ingest = build("{maxBytes: 1KiB, compression: none, key: '{first}.{ext}'}", 1000)) {
            RunSummary run = ingest.runOnce();
            assertThat(run.records()).isEqualTo(1000);
        }
        Map<String, List<String>> objects = objects(tmp.resolve("out"));
        long total = 0;
        for (String name : objects.keySet()) {
            long size = Files.size(tmp.resolve("out").resolve(name));
            total += size;
            // closed as soon as 1 KiB is reached: never more than one line past it (lines of at most 9 bytes)
            assertThat(size).as(name).isLessThan(1024 + 10);
        }
        assertThat(objects.size()).isGreaterThan(5);
        assertThat(allLines(objects)).containsExactlyInAnyOrderElementsOf(expected(1000));
        assertThat(total).isEqualTo(expected(1000).stream().mapToLong(l -> l.length() + 1).sum());
    }

    @Test
    void anObjectWorkflowWithBatchCompactsManySmallObjectsIntoAFewAndCleansThemUp() throws Exception {
        Path in = Files.createDirectories(tmp.resolve("in"));
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            String a = "object " + i + " line 1";
            String b = "object " + i + " line 2";
            Files.writeString(in.resolve("small-" + i + ".log"), a + "\n" + b + (i % 2 == 0 ? "\n" : ""));
            lines.add(a);
            lines.add(b); // the last line of every second object has no line break: it is a line all the same
        }
        String yaml = """
                sources: [{name: small, type: dir, path: '${IN}'}]
                destinations: [{name: out, type: dir, path: '${OUT}'}]
                workflows:
                - name: compact
                  source: small
                  destinations: [out]
                  batchSize: 64
                  cleanUp: true
                  batch: {maxRecords: 4000, compression: gzip, key: '{first}.{ext}'}
                """;
        try (Ingest ingest = Ingest.builder().config(yaml)
                .variables(Map.of("IN", in.toString(), "OUT", tmp.resolve("out").toString()))
                .natsUrl(nats.url()).stream(name).subject(name).consumer(name).build()) {
            RunSummary run = ingest.runOnce();
            assertThat(run.failed()).as(run.line()).isZero();
            assertThat(run.batches()).as(run.line()).isEqualTo(3);
        }
        Map<String, List<String>> objects = objects(tmp.resolve("out"));
        assertThat(objects).hasSize(3);
        assertThat(allLines(objects)).containsExactlyInAnyOrderElementsOf(lines);
        try (Stream<Path> left = Files.list(in)) {
            assertThat(left.count()).as("objects left in the source after cleanUp").isZero();
        }
    }

    void recordsHandedOverAgainByASourceRunAfterAFailureGoToOtherBatchesThanTheirFirstCopies() throws Exception {
        // The first run hands over 300 records without moving its checkpoint and fails; the second hands them over
        // again. Both copies reach the batcher within one maxAge: one batch per run of the source.
        Ingest ingest = build("{maxRecords: 1000000, maxAge: 3s, compression: none, key: '{first}.{ext}'}", 300,
                ", chunk: 70, failFirstRun: true");
        try {
            ingest.start();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> allLines(objects(tmp.resolve("out"))).size() == 600);
        } finally {
            ingest.close();
        }
        Map<String, List<String>> objects = objects(tmp.resolve("out"));
        assertThat(objects).hasSize(2);
        for (Map.Entry<String, List<String>> e : objects.entrySet()) {
            assertThat(e.getValue()).as(e.getKey()).doesNotHaveDuplicates()
                    .containsExactlyInAnyOrderElementsOf(expected(300));
        }
    }

    @Test
    void aBatchOfMoreMessagesThanJetStreamLetsAConsumerLeaveUnacknowledgedByDefaultFillsUp() throws Exception {
        // 1,500 records in 1,500 messages make one batch: the batcher holds them all until it is stored, more than
        // the 1,000 unacknowledged messages JetStream allows a consumer unless told otherwise. Without the room, the
        // batch would wait for its maxAge (an hour) for messages that are not delivered.
        try (Ingest ingest = build("{maxRecords: 1500, maxAge: 1h, compression: none, key: '{first}.{ext}'}", 1500,
                ", chunk: 1")) {
            RunSummary run = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofMinutes(2),
                    ingest::runOnce, "the batch never filled up");
            assertThat(run.records()).as(run.line()).isEqualTo(1500);
            assertThat(run.batches()).as(run.line()).isEqualTo(1);
        }
        assertThat(allLines(objects(tmp.resolve("out")))).containsExactlyInAnyOrderElementsOf(expected(1500));
    }

    private static List<String> expected(int count) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add("line-" + i);
        }
        return out;
    }

    private static List<String> allLines(Map<String, List<String>> objects) {
        List<String> out = new ArrayList<>();
        objects.values().forEach(out::addAll);
        return out;
    }

    /** Every object in a directory, decompressed, as lines. */
    static Map<String, List<String>> objects(Path dir) throws IOException {
        Map<String, List<String>> out = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                byte[] bytes = Files.readAllBytes(p);
                if (p.getFileName().toString().endsWith(".gz")) {
                    try (InputStream in = new GZIPInputStream(Files.newInputStream(p))) {
                        ByteArrayOutputStream b = new ByteArrayOutputStream();
                        in.transferTo(b);
                        bytes = b.toByteArray();
                    }
                }
                String text = new String(bytes, StandardCharsets.UTF_8);
                out.put(p.getFileName().toString(), text.isEmpty() ? List.of() : List.of(text.split("\n", -1))
                        .subList(0, text.split("\n", -1).length - 1));
            }
        }
        return out;
    }
}
