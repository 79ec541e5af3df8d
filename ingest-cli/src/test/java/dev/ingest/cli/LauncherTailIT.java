package dev.ingest.cli;

import static dev.ingest.cli.LauncherSupport.queueArgs;
import static dev.ingest.cli.LauncherSupport.quote;
import static dev.ingest.cli.LauncherSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.luben.zstd.ZstdInputStream;
import dev.ingest.cli.LauncherSupport.Launch;
import dev.ingest.cli.LauncherSupport.Result;
import dev.ingest.testkit.NatsServerExtension;
import dev.ingest.testkit.S3ServerExtension;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file plugin's tail mode through the real launcher, a real nats-server and a real S3 server: files that grow,
 * rotate and are truncated while a service follows them; a service killed with SIGKILL mid-write and started again;
 * {@code --once}, {@code status} and {@code --dry-run} on a record workflow; a gibibyte under a small heap.
 */
@ExtendWith(LauncherSupport.RequiresDistribution.class)
class LauncherTailIT {

    private static final Duration RUN = Duration.ofMinutes(3);

    @RegisterExtension
    static final NatsServerExtension NATS = new NatsServerExtension();

    @RegisterExtension
    static final S3ServerExtension S3 = new S3ServerExtension();

    @RegisterExtension
    final LauncherSupport.Launcher launcher = new LauncherSupport.Launcher();

    @TempDir
    Path dir;

    private static Map<String, String> s3Env() {
        return Map.of("S3_KEY", S3.accessKey(), "S3_SECRET", S3.secretKey());
    }

    /**
     * A configuration: a tail source over {@code src}, a file destination over {@code dst}, optionally an S3
     * destination, and one workflow with the given batch block.
     */
    private Path config(String name, Path src, Path dst, String bucket, String sourceExtras, String batch)
            throws IOException {
        StringBuilder yaml = new StringBuilder()
                .append("sources:\n")
                .append("- name: logs\n")
                .append("  type: file\n")
                .append("  path: ").append(quote(src)).append('\n')
                .append("  tail: true\n");
        for (String extra : sourceExtras.split("\n")) {
            if (!extra.isBlank()) {
                yaml.append("  ").append(extra).append('\n');
            }
        }
        yaml.append("destinations:\n")
                .append("- name: files\n")
                .append("  type: file\n")
                .append("  path: ").append(quote(dst)).append('\n');
        if (bucket != null) {
            yaml.append("- name: bucket\n")
                    .append("  type: s3\n")
                    .append("  endpoint: '").append(S3.endpoint()).append("'\n")
                    .append("  bucket: ").append(bucket).append('\n')
                    .append("  accessKeyID: ${S3_KEY}\n")
                    .append("  secretAccessKey: ${S3_SECRET}\n");
        }
        yaml.append("workflows:\n")
                .append("- name: ").append(name).append('\n')
                .append("  source: logs\n")
                .append("  destinations: [files").append(bucket != null ? ", bucket" : "").append("]\n")
                .append("  batch: ").append(batch).append('\n');
        Path file = dir.resolve(name + ".yaml");
        Files.writeString(file, yaml, StandardCharsets.UTF_8);
        return file;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Reading what arrived

    /** The lines of every batch object under a directory, by object name (temporary files left out). */
    static Map<String, List<String>> batchesIn(Path root) throws IOException {
        Map<String, List<String>> out = new TreeMap<>();
        if (!Files.exists(root)) {
            return out;
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                    .filter(p -> !LauncherSupport.TEMP_FILE.matcher(p.getFileName().toString()).matches())
                    .toList();
        }
        for (Path p : files) {
            try (InputStream in = Files.newInputStream(p)) {
                out.put(LauncherSupport.relative(root, p), lines(p.getFileName().toString(), in));
            } catch (java.nio.file.NoSuchFileException e) {
                // replaced by a rebuilt batch while we looked: the next look reads it
            }
        }
        return out;
    }

    /** The lines of every batch object in a bucket, by key. */
    static Map<String, List<String>> batchesIn(String bucket) throws IOException {
        Map<String, List<String>> out = new TreeMap<>();
        for (String key : S3.keys(bucket)) {
            byte[] bytes = S3.client().getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray();
            out.put(key, lines(key, new ByteArrayInputStream(bytes)));
        }
        return out;
    }

    private static List<String> lines(String name, InputStream raw) throws IOException {
        InputStream in = name.endsWith(".gz") ? new GZIPInputStream(raw, 64 * 1024)
                : name.endsWith(".zst") ? new ZstdInputStream(raw) : raw;
        String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        List<String> out = new ArrayList<>(List.of(text.split("\n", -1)));
        assertThat(out.remove(out.size() - 1)).as("object %s ends with a line break", name).isEmpty();
        return out;
    }

    private static List<String> all(Map<String, List<String>> batches) {
        List<String> out = new ArrayList<>();
        batches.values().forEach(out::addAll);
        return out;
    }

    private static Map<String, Integer> counts(List<String> lines) {
        Map<String, Integer> out = new HashMap<>();
        for (String l : lines) {
            out.merge(l, 1, Integer::sum);
        }
        return out;
    }

    private static void append(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** Appends numbered lines {@code <prefix>-<n> ...} for n in [from, to) and records them as expected. */
    private static void lines(Path file, String prefix, int from, int to, List<String> expected) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int n = from; n < to; n++) {
            String line = prefix + "-" + n + " some text after the number so that lines have a realistic length";
            sb.append(line).append('\n');
            expected.add(line);
        }
        append(file, sb.toString());
    }

    private static void assertEachLineOnce(String where, List<String> arrived, List<String> expected) {
        Map<String, Integer> seen = counts(arrived);
        List<String> missing = expected.stream().filter(l -> !seen.containsKey(l)).limit(10).toList();
        List<String> twice = seen.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey)
                .limit(10).toList();
        assertThat(missing).as("lines missing at %s", where).isEmpty();
        assertThat(twice).as("lines stored more than once at %s", where).isEmpty();
        assertThat(arrived).as("lines at %s", where).hasSameSizeAs(expected)
                .containsExactlyInAnyOrderElementsOf(expected);
    }

    // ---------------------------------------------------------------------------------------------------------

    @Test
    void growingFilesOneRotatedAndOneCopyTruncatedMidRunArriveExactlyOnceAtAFileAndAnS3Destination()
            throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        Path dst = dir.resolve("dst");
        String bucket = S3.createBucket();
        String name = unique("tailrun");
        Path config = config(name, src, dst, bucket, "include: ['*.log']\npollInterval: 50ms\nrotateWait: 500ms",
                "{maxAge: 500ms, maxRecords: 700}");
        Path a = src.resolve("a.log");
        Path b = src.resolve("b.log");
        Path c = src.resolve("c.log");
        Path d = src.resolve("d.log");
        List<String> expected = new ArrayList<>();
        lines(a, "a", 0, 300, expected); // there before the start: read from the beginning
        Launch service = launcher.start(dir, s3Env(), queueArgs(NATS.url(), name, config, "--mode=all",
                "--ack-wait", "5s"));

        for (int round = 0; round < 10; round++) { // growing while followed
            lines(a, "a", 300 + round * 50, 350 + round * 50, expected);
            lines(b, "b", round * 50, 50 + round * 50, expected);
            lines(c, "c", round * 50, 50 + round * 50, expected);
            lines(d, "d", round * 50, 50 + round * 50, expected);
            Thread.sleep(30);
        }
        append(d, "d-partial line, ");
        List<String> soFar = List.copyOf(expected);
        await("the lines so far stored").atMost(RUN).until(() -> all(batchesIn(dst)).containsAll(soFar));

        // Rotation: b.log is renamed away (to a name that is not selected) while its writer still holds it and
        // writes on, ending with a line without a line break; a new b.log starts.
        try (OutputStream old = Files.newOutputStream(b, StandardOpenOption.APPEND)) {
            Files.move(b, src.resolve("b.log.1"));
            StringBuilder more = new StringBuilder();
            for (int n = 500; n < 600; n++) {
                String line = "b-" + n + " written to the rotated file";
                more.append(line).append('\n');
                expected.add(line);
            }
            more.append("b-last line of the rotated file, without a line break");
            expected.add("b-last line of the rotated file, without a line break");
            old.write(more.toString().getBytes(StandardCharsets.UTF_8));
        }
        lines(b, "b-new", 0, 200, expected);

        // Copy-truncate: once c.log's lines are stored, it is copied to c.log.1 (not selected) and truncated; the
        // writer goes on at its start.
        List<String> cSoFar = expected.stream().filter(l -> l.startsWith("c-")).toList();
        await("c.log's lines so far stored").atMost(RUN).until(() -> all(batchesIn(dst)).containsAll(cSoFar));
        Files.copy(c, src.resolve("c.log.1"));
        try (FileChannel ch = FileChannel.open(c, StandardOpenOption.WRITE)) {
            ch.truncate(0);
        }
        lines(c, "c-after-truncation", 0, 200, expected);

        append(d, "completed later\n");
        expected.add("d-partial line, completed later");
        for (int round = 0; round < 5; round++) {
            lines(a, "a", 800 + round * 50, 850 + round * 50, expected);
            lines(d, "d", 500 + round * 50, 550 + round * 50, expected);
            Thread.sleep(30);
        }

        await("every line at the file destination").atMost(RUN)
                .until(() -> all(batchesIn(dst)).size() >= expected.size());
        await("every line in the bucket").atMost(RUN).until(() -> all(batchesIn(bucket)).size() >= expected.size());
        service.process().destroy(); // SIGTERM
        Result stopped = service.await(Duration.ofSeconds(60));
        assertThat(stopped.exitCode()).as(stopped.describe()).isZero();

        Map<String, List<String>> files = batchesIn(dst);
        Map<String, List<String>> objects = batchesIn(bucket);
        assertEachLineOnce("the file destination", all(files), expected);
        assertEachLineOnce("the S3 destination", all(objects), expected);
        assertThat(objects.keySet()).as("the same batch objects at both destinations").isEqualTo(files.keySet());
        assertThat(files.keySet()).allMatch(k -> k.matches(name + "/\\d{4}/\\d\\d/\\d\\d/\\d\\d/\\d{20}(-\\d+)?\\.log\\.gz"));
        assertThat(stopped.stderr()).contains("c.log").contains("truncated");
    }

    @Test
    void aServiceKilledWithSigkillWhileLinesAreWrittenLosesNoLineAfterARestartAndNoBatchHoldsALineTwice()
            throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        Path dst = dir.resolve("dst");
        String name = unique("tailkill");
        Path config = config(name, src, dst, null, "pollInterval: 20ms",
                "{maxAge: 4s, maxRecords: 100000, compression: gzip}");
        String[] files = {"x.log", "y.log", "z.log"};
        int perFile = 15_000; // about a line per millisecond and file: some 15 s of writing
        Map<String, Integer> written = new ConcurrentHashMap<>();
        AtomicReference<Throwable> writerFailed = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                Map<String, OutputStream> outs = new LinkedHashMap<>();
                for (String f : files) {
                    outs.put(f, new BufferedOutputStream(Files.newOutputStream(src.resolve(f),
                            StandardOpenOption.CREATE, StandardOpenOption.APPEND)));
                    written.put(f, 0);
                }
                for (int n = 0; n < perFile; n++) {
                    for (String f : files) {
                        OutputStream out = outs.get(f);
                        out.write((f + " line " + n + "\n").getBytes(StandardCharsets.UTF_8));
                        out.flush();
                        written.put(f, n + 1);
                    }
                    Thread.sleep(1);
                }
                for (OutputStream out : outs.values()) {
                    out.close();
                }
            } catch (Throwable e) {
                writerFailed.set(e);
            }
        }, "line-writer");
        String[] args = queueArgs(NATS.url(), name, config, "--mode=all", "--ack-wait", "2s");
        Launch doomed = launcher.start(dir, Map.of(), args);
        writer.start();

        await("a first batch stored").atMost(RUN).until(() -> !batchesIn(dst).isEmpty());
        assertThat(writer.isAlive()).as("still writing when the process is killed").isTrue();
        doomed.process().destroyForcibly(); // SIGKILL while lines are being written and read
        doomed.process().waitFor();
        Map<String, Integer> writtenAtKill = new HashMap<>(written);
        assertThat(writer.isAlive()).as("still writing after the kill").isTrue();
        Result killed = doomed.result();
        assertThat(killed.exitCode()).as("killed").isEqualTo(137);

        Launch restarted = launcher.start(dir, Map.of(), args);
        writer.join(RUN.toMillis());
        assertThat(writerFailed.get()).isNull();
        List<String> expected = new ArrayList<>();
        for (String f : files) {
            for (int n = 0; n < perFile; n++) {
                expected.add(f + " line " + n);
            }
        }
        await("every line stored").atMost(RUN).until(() -> counts(all(batchesIn(dst))).keySet()
                .containsAll(expected));
        try (Connection nc = Nats.connect(NATS.url())) { // and nothing left in the queue (batches stored, acked)
            await("the queue drained").atMost(RUN).until(() -> nc.jetStreamManagement().getConsumerInfo(name,
                    name + "__" + name).getNumAckPending() == 0);
        }
        restarted.process().destroy();
        Result stopped = restarted.await(Duration.ofSeconds(60));
        assertThat(stopped.exitCode()).as(stopped.describe()).isZero();

        Map<String, List<String>> batches = batchesIn(dst);
        for (Map.Entry<String, List<String>> batch : batches.entrySet()) {
            List<String> twice = counts(batch.getValue()).entrySet().stream().filter(e -> e.getValue() > 1)
                    .map(Map.Entry::getKey).sorted().limit(10).toList();
            assertThat(twice).as("lines twice in batch %s", batch.getKey()).isEmpty();
        }
        Map<String, Integer> seen = counts(all(batches));
        assertThat(seen.keySet()).as("every line arrived, and nothing else").containsExactlyInAnyOrderElementsOf(expected);
        List<String> duplicates = seen.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey)
                .sorted().toList();
        assertThat(seen.values()).as("no line more than twice").allMatch(n -> n <= 2);
        System.out.printf("kill -9 test: %d of %d lines stored twice, %d batch objects%n", duplicates.size(),
                expected.size(), batches.size());
        for (String line : duplicates) {
            String file = line.substring(0, line.indexOf(' '));
            int n = Integer.parseInt(line.substring(line.lastIndexOf(' ') + 1));
            assertThat(n).as("duplicated line '%s' was written before the kill (%s lines of %s then): it was read "
                    + "by the killed process, and not yet committed", line, writtenAtKill.get(file), file)
                    .isLessThan(writtenAtKill.get(file));
        }
    }

    @Test
    void onceReadsWhatIsThereStoresEveryBatchPrintsRecordsAndBatchesAndStatusShowsEachFile() throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        Path dst = dir.resolve("dst");
        String name = unique("tailonce");
        Path config = config(name, src, dst, null, "", "{maxRecords: 100, compression: zstd}");
        List<String> expected = new ArrayList<>();
        Files.createDirectories(src.resolve("sub/dir"));
        lines(src.resolve("app.log"), "app", 0, 250, expected);
        lines(src.resolve("sub/dir/deep.log"), "deep", 0, 30, expected);
        append(src.resolve("app.log"), "app-partial, not handed over yet");

        Result first = launcher.run(dir, RUN, Map.of(), queueArgs(NATS.url(), name, config, "--mode=all", "--once"));

        assertThat(first.exitCode()).as(first.describe()).isZero();
        assertThat(first.summary()).contains("records 280, batches 3,").contains("failed 0");
        assertEachLineOnce("the destination", all(batchesIn(dst)), expected);
        assertThat(batchesIn(dst).keySet()).allMatch(k -> k.endsWith(".log.zst"));

        String[] status = {"status", "--queue-endpoint", NATS.url(), "--stream", name, "--subject", name,
                "--consumer", name, "--config", config.toString()};
        Result shown = launcher.run(dir, RUN, Map.of(), status);
        assertThat(shown.exitCode()).as(shown.describe()).isZero();
        long appSize = Files.size(src.resolve("app.log"));
        long appOffset = appSize - "app-partial, not handed over yet".length();
        long deepSize = Files.size(src.resolve("sub/dir/deep.log"));
        assertThat(shown.stdout()).contains("records:            280 received")
                .containsSubsequence("source reports:", "files: 2 followed, 32 bytes not read yet",
                        "file app.log: offset " + appOffset + " of " + appSize + " bytes",
                        "file sub/dir/deep.log: offset " + deepSize + " of " + deepSize + " bytes");

        append(src.resolve("app.log"), " completed\n");
        expected.add("app-partial, not handed over yet completed");
        lines(src.resolve("app.log"), "app", 250, 260, expected);
        Result second = launcher.run(dir, RUN, Map.of(), queueArgs(NATS.url(), name, config, "--mode=all", "--once"));
        assertThat(second.exitCode()).as(second.describe()).isZero();
        assertThat(second.summary()).contains("records 11, batches 1,");
        assertEachLineOnce("the destination after a second run", all(batchesIn(dst)), expected);
    }

    @Test
    void binaryBytesAndInvalidUtf8AreStoredByteForByteAsLinesAndEscapedInNdjson() throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        java.io.ByteArrayOutputStream content = new java.io.ByteArrayOutputStream();
        content.writeBytes("plain text\n".getBytes(StandardCharsets.UTF_8));
        content.writeBytes(new byte[] {'c', 'a', 'f', (byte) 0xe9, ' ', 0, 1, (byte) 0xff, '\r', '\n'});
        content.writeBytes("{\"level\":\"warn\",\"msg\":\"json line\"}\n".getBytes(StandardCharsets.UTF_8));
        byte[] binary = new byte[3000];
        new java.util.Random(5).nextBytes(binary);
        content.writeBytes(binary);
        content.write('\n');
        byte[] bytes = content.toByteArray();
        Files.write(src.resolve("mixed.log"), bytes);
        String name = unique("tailbytes");
        String yaml = """
                sources: [{name: logs, type: file, path: %s, tail: true}]
                destinations:
                - {name: lines, type: file, path: %s}
                - {name: json, type: file, path: %s}
                workflows:
                - {name: %s, source: logs, destinations: [lines], batch: {compression: none, key: '{first}.{ext}'}}
                - {name: %sjson, source: logs, destinations: [json], batch: {format: ndjson, compression: none}}
                """.formatted(quote(src), quote(dir.resolve("lines")), quote(dir.resolve("json")), name, name);
        Path config = Files.writeString(dir.resolve(name + ".yaml"), yaml);

        Result run = launcher.run(dir, RUN, Map.of(), queueArgs(NATS.url(), name, config, "--mode=all", "--once"));

        assertThat(run.exitCode()).as(run.describe()).isZero();
        List<Path> stored = LauncherSupport.regularFiles(dir.resolve("lines"));
        assertThat(stored).singleElement().satisfies(p -> assertThat(Files.readAllBytes(p))
                .as("the lines batch is the file, byte for byte").isEqualTo(bytes));
        List<Path> json = LauncherSupport.regularFiles(dir.resolve("json"));
        assertThat(json).singleElement();
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        java.io.ByteArrayOutputStream rebuilt = new java.io.ByteArrayOutputStream();
        List<String> documents = Files.readAllLines(json.get(0), StandardCharsets.UTF_8);
        for (String doc : documents) {
            com.fasterxml.jackson.databind.JsonNode node = mapper.readTree(doc);
            if (node.has("message_base64")) {
                rebuilt.writeBytes(java.util.Base64.getDecoder().decode(node.get("message_base64").asText()));
            } else if (node.has("message")) {
                rebuilt.writeBytes(node.get("message").asText().getBytes(StandardCharsets.UTF_8));
            } else {
                assertThat(node.path("msg").asText()).isEqualTo("json line");
                assertThat(node.path("attributes").path("file").asText()).isEqualTo("mixed.log");
                rebuilt.writeBytes("{\"level\":\"warn\",\"msg\":\"json line\"}".getBytes(StandardCharsets.UTF_8));
            }
            rebuilt.write('\n');
            assertThat(node.has("file") || node.has("attributes")).as(doc).isTrue();
        }
        assertThat(rebuilt.toByteArray()).as("every line, escaped, none dropped").isEqualTo(bytes);
    }

    @Test
    void aDryRunPrintsWhatTheTailWouldReadAndQueuesNothing() throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        Path dst = dir.resolve("dst");
        String name = unique("taildry");
        Path config = config(name, src, dst, null, "", "{}");
        lines(src.resolve("app.log"), "app", 0, 40, new ArrayList<>());
        long size = Files.size(src.resolve("app.log"));

        Result dry = launcher.run(dir, RUN, Map.of(), queueArgs(NATS.url(), name, config, "--dry-run"));

        assertThat(dry.exitCode()).as(dry.describe()).isZero();
        assertThat(dry.stdout()).contains("reads records").contains("40 records")
                .contains("file app.log: offset " + size + " of " + size + " bytes")
                .contains("nothing was queued");
        assertThat(dst).doesNotExist();
        try (Connection nc = Nats.connect(NATS.url())) {
            assertThat(nc.jetStreamManagement().getStreamNames()).doesNotContain(name);
        }
    }

    @Test
    void aGibibyteOfLinesArrivesWholeUnderAHeapOf128MiB() throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        Path dst = dir.resolve("dst");
        String name = unique("tailbig");
        Path config = config(name, src, dst, null, "", "{maxBytes: 256MiB, maxRecords: 10000000, compression: zstd}");
        // Four files of 256 MiB: numbered lines of 100 to 900 bytes, written through big buffers.
        long expectedLines = 0;
        long expectedBytes = 0;
        long expectedSum = 0;
        byte[] line = new byte[1000];
        for (int f = 0; f < 4; f++) {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(src.resolve("big" + f + ".log")),
                    1 << 20)) {
                long size = 0;
                for (long n = 0; size < 256L << 20; n++) {
                    int length = bigLine(f, n, line);
                    out.write(line, 0, length + 1);
                    size += length + 1;
                    expectedLines++;
                    expectedBytes += length;
                    expectedSum += lineHash(line, 0, length);
                }
            }
        }

        Result run = launcher.run(dir, RUN, Map.of("JAVA_OPTS", "-Xmx128m"), queueArgs(NATS.url(), name, config,
                "--mode=all", "--once"));

        assertThat(run.exitCode()).as(run.describe()).isZero();
        assertThat(run.stderr()).doesNotContain("OutOfMemoryError");
        assertThat(run.summary()).contains("records " + expectedLines + ",");
        long lines = 0;
        long bytes = 0;
        long sum = 0;
        List<Path> objects;
        try (Stream<Path> walk = Files.walk(dst)) {
            objects = walk.filter(Files::isRegularFile).toList();
        }
        assertThat(objects).isNotEmpty().allMatch(p -> p.toString().endsWith(".log.zst"));
        byte[] buf = new byte[2 << 20];
        for (Path object : objects) {
            try (InputStream in = new ZstdInputStream(Files.newInputStream(object))) {
                int kept = 0; // bytes of a line cut by the end of the last read, at the start of buf
                int n;
                while ((n = in.read(buf, kept, buf.length - kept)) > 0) {
                    int end = kept + n;
                    int start = 0;
                    for (int i = kept; i < end; i++) {
                        if (buf[i] == '\n') {
                            lines++;
                            bytes += i - start;
                            sum += lineHash(buf, start, i);
                            start = i + 1;
                        }
                    }
                    kept = end - start;
                    System.arraycopy(buf, start, buf, 0, kept);
                }
                assertThat(kept).as("object %s ends with a line break", object).isZero();
            }
        }
        assertThat(lines).isEqualTo(expectedLines);
        assertThat(bytes).isEqualTo(expectedBytes);
        assertThat(sum).as("an order-independent hash of every line").isEqualTo(expectedSum);
    }

    private static final byte[] LETTERS = "abcdefghijklmnopqrstuvwxyz".repeat(40).getBytes(StandardCharsets.US_ASCII);

    /** Writes line {@code n} of file {@code file}, then a line break, into {@code into}; returns the line's length. */
    private static int bigLine(int file, long n, byte[] into) {
        int length = 100 + (int) ((n * 7919 + file * 104729L) % 800);
        byte[] head = ("big" + file + " " + n + " ").getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(head, 0, into, 0, head.length);
        System.arraycopy(LETTERS, (int) (n % 26), into, head.length, length - head.length);
        into[length] = '\n';
        return length;
    }

    /** A hash of a line (CRC-32C); summed over lines, it does not depend on their order. */
    private static long lineHash(byte[] b, int from, int to) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(b, from, to - from);
        return crc.getValue() * 31 + (to - from);
    }
}
