package dev.ingest.plugin.file;

import dev.ingest.testkit.CollectingContext;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.ingest.api.DataRecord;
import dev.ingest.api.PluginConfig;
import dev.ingest.api.RecordSource;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The tail mode against real files, with a context that commits each checkpoint update as it is emitted. */
class TailSourceTest {

    @TempDir
    Path dir;

    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(TailSource.class);
    private final List<Thread> services = new ArrayList<>();

    @BeforeEach
    void captureLog() {
        log.start();
        logger.addAppender(log);
        logger.setLevel(Level.DEBUG);
    }

    @AfterEach
    void releaseLog() throws InterruptedException {
        logger.detachAppender(log);
        for (Thread t : services) {
            t.interrupt();
            t.join(5000);
        }
    }

    private RecordSource tail(Object... keysAndValues) throws Exception {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("path", dir.toString());
        values.put("tail", true);
        for (int i = 0; i < keysAndValues.length; i += 2) {
            values.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return new FilePluginProvider().createRecordSource(PluginConfig.of("logs", values));
    }

    private static Map<String, byte[]> once(RecordSource source, Map<String, byte[]> checkpoint, List<String> into)
            throws Exception {
        CollectingContext ctx = CollectingContext.once(checkpoint);
        source.run(ctx);
        into.addAll(ctx.lines());
        return ctx.committed();
    }

    private static CollectingContext runOnce(RecordSource source, Map<String, byte[]> checkpoint) throws Exception {
        CollectingContext ctx = CollectingContext.once(checkpoint);
        source.run(ctx);
        return ctx;
    }

    /** Runs a source as a service on a thread of its own; {@link CollectingContext#stop()} ends it. */
    private CollectingContext service(RecordSource source, Map<String, byte[]> checkpoint,
                                      AtomicReference<Throwable> failed) {
        CollectingContext ctx = CollectingContext.service(checkpoint);
        Thread t = new Thread(() -> {
            try {
                source.run(ctx);
            } catch (Throwable e) {
                failed.set(e);
            }
        }, "tail-test");
        services.add(t);
        t.start();
        return ctx;
    }

    private static void append(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private List<String> warnings() {
        return log.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
                .toList();
    }

    // ---------------------------------------------------------------------------------------------------------

    @Test
    void eachCompleteLineIsARecordWithTheFileAndTheOffsetOfItsFirstByte() throws Exception {
        Files.createDirectories(dir.resolve("sub"));
        append(dir.resolve("a.log"), "first\nsecond\n\nfourth\n");
        append(dir.resolve("sub/b.log"), "b1\r\nb2\n");

        CollectingContext ctx = runOnce(tail(), Map.of());

        Map<String, List<String>> byFile = new HashMap<>();
        for (DataRecord r : ctx.records()) {
            byFile.computeIfAbsent(r.attributes().get("file"), k -> new ArrayList<>())
                    .add(r.attributes().get("offset") + ":" + new String(r.data(), StandardCharsets.UTF_8));
            assertThat(r.attributes()).doesNotContainKey("part");
        }
        assertThat(byFile).containsOnlyKeys("a.log", "sub/b.log");
        assertThat(byFile.get("a.log")).containsExactly("0:first", "6:second", "13:", "14:fourth");
        assertThat(byFile.get("sub/b.log")).containsExactly("0:b1\r", "4:b2");
        assertThat(ctx.status()).containsKey("file a.log").containsKey("file sub/b.log");
        assertThat(ctx.status().get("file a.log")).isEqualTo("offset 21 of 21 bytes");
    }

    @Test
    void theFileAttributeNamesAFileWhoseNameIsNotUtf8AsTheObjectSourceDoes() throws Exception {
        Files.writeString(Path.of(java.net.URI.create(dir.toUri() + "caf%E9.log")), "latin-1 name\n"); // 'caf\xe9.log'

        CollectingContext ctx = runOnce(tail(), Map.of());

        assertThat(ctx.records()).singleElement()
                .satisfies(r -> assertThat(r.attributes()).containsEntry("file", "caf%E9.log"));
    }

    @Test
    void aFileWithTwoHardLinksIsReadOnceUnderOneName() throws Exception {
        Path log = dir.resolve("a.log");
        append(log, "one\n");
        Files.createLink(dir.resolve("b.log"), log);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        CollectingContext ctx = service(tail("pollInterval", "20ms"), Map.of(), failed);
        await().atMost(Duration.ofSeconds(10)).until(() -> ctx.count() == 1);
        append(log, "two\n");
        await().atMost(Duration.ofSeconds(10)).until(() -> ctx.count() == 2);
        Thread.sleep(200); // polls
        ctx.stop();

        assertThat(failed.get()).isNull();
        assertThat(ctx.lines()).containsExactly("one", "two");
        assertThat(this.log.list.stream().map(ILoggingEvent::getFormattedMessage)).noneMatch(m -> m.contains("renamed"));
    }

    @Test
    void includeExcludeAndRecursiveSelectFilesAsForTheObjectSource() throws Exception {
        Files.createDirectories(dir.resolve("deep"));
        append(dir.resolve("app.log"), "app\n");
        append(dir.resolve("app.txt"), "txt\n");
        append(dir.resolve("debug.log"), "debug\n");
        append(dir.resolve("deep/inner.log"), "inner\n");

        CollectingContext ctx = runOnce(tail("include", List.of("*.log"), "exclude", List.of("debug*"),
                "recursive", false), Map.of());

        assertThat(ctx.lines()).containsExactly("app");
    }

    @Test
    void aLastLineWithoutItsLineBreakIsHandedOverWholeOnceTheBreakArrivesAfterARestart() throws Exception {
        Path file = dir.resolve("a.log");
        append(file, "one\ntw");
        RecordSource source = tail();
        List<String> lines = new ArrayList<>();

        Map<String, byte[]> checkpoint = once(source, Map.of(), lines);
        assertThat(lines).containsExactly("one");

        checkpoint = once(source, checkpoint, lines); // nothing new: the partial line is still not handed over
        assertThat(lines).containsExactly("one");

        append(file, "o\nthr");
        CollectingContext ctx = runOnce(source, checkpoint);
        assertThat(ctx.lines()).containsExactly("two");
        assertThat(ctx.records().get(0).attributes()).containsEntry("offset", "4");
    }

    @Test
    void aSecondRunResumesAtTheCheckpointAndHandsNothingOverTwice() throws Exception {
        Path file = dir.resolve("a.log");
        append(file, "1\n2\n");
        RecordSource source = tail();
        List<String> lines = new ArrayList<>();
        Map<String, byte[]> checkpoint = once(source, Map.of(), lines);
        append(file, "3\n");
        append(dir.resolve("b.log"), "b\n");

        once(source, checkpoint, lines);

        assertThat(lines).containsExactlyInAnyOrder("1", "2", "3", "b");
    }

    @Test
    void readFromEndSkipsTheCompleteLinesOfFilesThereAtTheFirstStartOnly() throws Exception {
        append(dir.resolve("old.log"), "old 1\nold 2\nin progr");
        RecordSource source = tail("readFrom", "end");
        List<String> lines = new ArrayList<>();

        Map<String, byte[]> checkpoint = once(source, Map.of(), lines);
        assertThat(lines).isEmpty();

        append(dir.resolve("old.log"), "ess\nold 3\n");
        append(dir.resolve("new.log"), "new 1\n"); // found later: from its start
        once(source, checkpoint, lines);

        assertThat(lines).containsExactlyInAnyOrder("in progress", "old 3", "new 1");
    }

    @Test
    void readFromEndFindsTheLastLineBreakFarBeforeTheEndOfABigFile() throws Exception {
        Path big = dir.resolve("big.log");
        append(big, "x".repeat(100_000) + "\n" + "y".repeat(20_000)); // the last line is still being written
        RecordSource source = tail("readFrom", "end");
        Map<String, byte[]> checkpoint = runOnce(source, Map.of()).committed();

        append(big, "\n");
        CollectingContext ctx = runOnce(source, checkpoint);

        assertThat(ctx.lines()).containsExactly("y".repeat(20_000));
        assertThat(ctx.records().get(0).attributes()).containsEntry("offset", "100001");
    }

    @Test
    void readFromEndDoesNotApplyToFilesThatAppearWhileTheWorkflowIsDownAfterItsFirstStart() throws Exception {
        RecordSource source = tail("readFrom", "end");
        List<String> lines = new ArrayList<>();
        Map<String, byte[]> checkpoint = once(source, Map.of(), lines); // first start: no file yet

        append(dir.resolve("later.log"), "later 1\n");
        once(source, checkpoint, lines);

        assertThat(lines).containsExactly("later 1");
    }

    @Test
    void aLineLongerThanMaxLineBytesBecomesPartsOfThatSizeAndNothingIsDropped() throws Exception {
        String longLine = "x".repeat(25) + "y";
        append(dir.resolve("a.log"), "exactly-10\n" + longLine + "\nshort\n");

        CollectingContext ctx = runOnce(tail("maxLineBytes", "10"), Map.of());

        List<String> described = ctx.records().stream().map(r -> new String(r.data(), StandardCharsets.UTF_8) + "|"
                + r.attributes().get("offset") + "|" + r.attributes().getOrDefault("part", "-")).toList();
        assertThat(described).containsExactly(
                "exactly-10|0|-",
                "xxxxxxxxxx|11|1",
                "xxxxxxxxxx|11|2",
                "xxxxxy|11|3",
                "short|38|-");
    }

    @Test
    void maxLineBytesIsCappedAtTheLargestRecordTheQueueCarries() throws Exception {
        append(dir.resolve("a.log"), "a".repeat(100) + "\n");

        CollectingContext ctx = CollectingContext.onceWithMaxRecord(Map.of(), 40);
        tail().run(ctx); // maxLineBytes 1MiB by default

        assertThat(ctx.lines()).containsExactly("a".repeat(40), "a".repeat(40), "a".repeat(20));
    }

    @Test
    void thePartsOfALongLineInProgressAreNumberedOnAfterARestart() throws Exception {
        Path file = dir.resolve("a.log");
        append(file, "abcdefghijklmnopqrstuvw"); // 23 bytes, no line break yet: two parts of 10 go
        RecordSource source = tail("maxLineBytes", "10");
        CollectingContext first = runOnce(source, Map.of());
        assertThat(first.lines()).containsExactly("abcdefghij", "klmnopqrst");

        append(file, "xyz\n");
        CollectingContext second = runOnce(source, first.committed());

        assertThat(second.lines()).containsExactly("uvwxyz");
        assertThat(second.records().get(0).attributes()).containsEntry("part", "3").containsEntry("offset", "0");
    }

    @Test
    void binaryBytesAndInvalidUtf8AreHandedOverByteForByte() throws Exception {
        byte[] bytes = new byte[512];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 7 + 3);
        }
        Files.write(dir.resolve("blob.bin"), bytes);

        CollectingContext ctx = runOnce(tail(), Map.of());

        java.io.ByteArrayOutputStream joined = new java.io.ByteArrayOutputStream();
        for (DataRecord r : ctx.records()) {
            joined.writeBytes(r.data());
            joined.write('\n');
        }
        // Every byte up to the last line break arrives, each line break as the end of a record.
        int lastBreak = -1;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                lastBreak = i;
            }
        }
        assertThat(lastBreak).as("the test data has line breaks").isGreaterThan(0);
        assertThat(joined.toByteArray()).isEqualTo(java.util.Arrays.copyOf(bytes, lastBreak + 1));
    }

    @Test
    void aFileRenamedToANameThatIsNoLongerSelectedIsReadToItsEndAndItsLastLineInProgressIsSentWhole()
            throws Exception {
        Path log = dir.resolve("app.log");
        append(log, "a1\n");
        AtomicReference<Throwable> failed = new AtomicReference<>();
        CollectingContext ctx = service(tail("include", List.of("*.log"), "pollInterval", "20ms", "rotateWait",
                "300ms"), Map.of(), failed);
        await().atMost(Duration.ofSeconds(10)).until(() -> ctx.lines().contains("a1"));

        try (OutputStream writer = Files.newOutputStream(log, StandardOpenOption.APPEND)) {
            Files.move(log, dir.resolve("app.log.1")); // logrotate's rename; the writer keeps its descriptor
            writer.write("a2\na3 without a line break".getBytes(StandardCharsets.UTF_8));
            writer.flush();
            append(log, "b1\n"); // the new file under the old name
        }

        await().atMost(Duration.ofSeconds(10)).until(() -> failed.get() != null || ctx.lines().size() == 4
                && !ctx.committed().containsKey(keyOf(dir.resolve("app.log.1"))));
        ctx.stop();
        assertThat(failed.get()).isNull();
        assertThat(ctx.lines()).containsExactlyInAnyOrder("a1", "a2", "a3 without a line break", "b1");
        Map<String, String> files = new HashMap<>();
        for (DataRecord r : ctx.records()) {
            files.put(new String(r.data(), StandardCharsets.UTF_8), r.attributes().get("file"));
        }
        assertThat(files).containsEntry("a2", "app.log.1").containsEntry("b1", "app.log");
        assertThat(ctx.committed()).containsKey(keyOf(log));
    }

    @Test
    void aFileRotatedAwayWhileTheSourceWasDownIsReadToItsEndFromItsCheckpoint() throws Exception {
        Path log = dir.resolve("app.log");
        append(log, "a1\na2\n");
        RecordSource source = tail("include", List.of("app.log"), "rotateWait", "0s");
        List<String> lines = new ArrayList<>();
        Map<String, byte[]> checkpoint = once(source, Map.of(), lines);
        String oldKey = keyOf(log);

        append(log, "a3\n");
        Files.move(log, dir.resolve("app.log-20260101"));
        append(log, "b1\n");
        CollectingContext ctx = runOnce(source, checkpoint);

        assertThat(ctx.lines()).containsExactlyInAnyOrder("a3", "b1");
        assertThat(ctx.committed()).doesNotContainKey(oldKey).containsKey(keyOf(log));
    }

    @Test
    void aFileTruncatedBelowItsOffsetIsReadAgainFromItsStartWithAWarning() throws Exception {
        Path log = dir.resolve("app.log");
        append(log, "first line\nsecond line\n");
        RecordSource source = tail();
        List<String> lines = new ArrayList<>();
        Map<String, byte[]> checkpoint = once(source, Map.of(), lines);

        Files.writeString(log, "new\n"); // copy-truncate, then a short write
        once(source, checkpoint, lines);

        assertThat(lines).containsExactly("first line", "second line", "new");
        assertThat(warnings()).anySatisfy(w -> assertThat(w).contains("app.log").contains("truncated"));
    }

    @Test
    void aFileTruncatedAndWrittenPastItsOldOffsetBetweenTwoPollsIsReadAgainFromItsStart() throws Exception {
        Path log = dir.resolve("app.log");
        append(log, "old 1\nold 2\n");
        AtomicReference<Throwable> failed = new AtomicReference<>();
        CollectingContext ctx = service(tail("pollInterval", "500ms"), Map.of(), failed);
        await().atMost(Duration.ofSeconds(10)).until(() -> ctx.lines().size() == 2);

        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE)) {
            ch.truncate(0); // copy-truncate; the writer then goes on past the old size before the next poll
            ch.write(ByteBuffer.wrap("NEW 1\nNEW 2\nNEW 3\n".getBytes(StandardCharsets.UTF_8)), 0);
        }

        await().atMost(Duration.ofSeconds(10)).until(() -> ctx.lines().size() >= 5);
        Thread.sleep(600); // another poll: nothing more may come
        ctx.stop();
        assertThat(failed.get()).isNull();
        assertThat(ctx.lines()).containsExactly("old 1", "old 2", "NEW 1", "NEW 2", "NEW 3");
        assertThat(warnings()).anySatisfy(w -> assertThat(w).contains("app.log").contains("first bytes").contains("changed"));
    }

    @Test
    void aReusedInodeWhoseFirstBytesDifferFromTheCheckpointsFingerprintIsReadFromItsStart() throws Exception {
        Path log = dir.resolve("app.log");
        append(log, "line one of the old file\nline two\n");
        RecordSource source = tail();
        Map<String, byte[]> checkpoint = runOnce(source, Map.of()).committed();
        TailCheckpoint.Entry entry = TailCheckpoint.decode(checkpoint.get(keyOf(log)));
        assertThat(entry.offset()).isEqualTo(34);

        // The inode of the old file is used again by a new, longer file: same identity, other first bytes.
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap("another file altogether, longer than the old one\nsecond\n"
                    .getBytes(StandardCharsets.UTF_8)));
        }
        assertThat(keyOf(log)).isEqualTo(entry.key());
        CollectingContext ctx = runOnce(source, checkpoint);

        assertThat(ctx.lines()).containsExactly("another file altogether, longer than the old one", "second");
    }

    @Test
    void aFileWhoseFirstBytesMatchTheFingerprintResumesAtItsOffset() throws Exception {
        Path log = dir.resolve("app.log");
        append(log, "short\n"); // the fingerprint covers the 6 bytes handed over so far
        RecordSource source = tail();
        Map<String, byte[]> checkpoint = runOnce(source, Map.of()).committed();
        assertThat(TailCheckpoint.decode(checkpoint.get(keyOf(log))).fingerprintLength()).isEqualTo(6);

        append(log, "x".repeat(2000) + "\n");
        CollectingContext second = runOnce(source, checkpoint);
        assertThat(second.lines()).containsExactly("x".repeat(2000));
        assertThat(TailCheckpoint.decode(second.committed().get(keyOf(log))).fingerprintLength())
                .as("the fingerprint grows to its full length once the file has that many bytes")
                .isEqualTo(TailCheckpoint.FINGERPRINT_BYTES);

        append(log, "more\n");
        assertThat(runOnce(source, second.committed()).lines()).containsExactly("more");
    }

    @Test
    void aDeletedFileLeavesTheCheckpoint() throws Exception {
        Path log = dir.resolve("app.log");
        append(log, "a\n");
        append(dir.resolve("keep.log"), "k\n");
        RecordSource source = tail();
        Map<String, byte[]> checkpoint = runOnce(source, Map.of()).committed();
        String key = keyOf(log);
        assertThat(checkpoint).containsKey(key).containsKey(TailCheckpoint.MARKER);

        Files.delete(log);
        Map<String, byte[]> after = runOnce(source, checkpoint).committed();

        assertThat(after).doesNotContainKey(key).containsKey(keyOf(dir.resolve("keep.log")));
    }

    @Test
    void aFileDeletedWhileFollowedIsReadToItsEndThenLeavesTheCheckpoint() throws Exception {
        Path log = dir.resolve("app.log");
        append(log, "a\n");
        String key = keyOf(log);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        CollectingContext ctx = service(tail("pollInterval", "20ms", "rotateWait", "200ms"), Map.of(), failed);
        await().atMost(Duration.ofSeconds(10)).until(() -> ctx.committed().containsKey(key));

        try (OutputStream writer = Files.newOutputStream(log, StandardOpenOption.APPEND)) {
            Files.delete(log);
            writer.write("b\n".getBytes(StandardCharsets.UTF_8));
        }

        await().atMost(Duration.ofSeconds(10)).until(() -> !ctx.committed().containsKey(key));
        ctx.stop();
        assertThat(ctx.lines()).containsExactly("a", "b");
    }

    @Test
    void aCheckpointEntryThatCannotBeReadIsDroppedWithAWarningNamingIt() throws Exception {
        append(dir.resolve("a.log"), "a\n");
        Map<String, byte[]> broken = Map.of(TailCheckpoint.MARKER, TailCheckpoint.marker(0), "7:42", new byte[] {1, 2});

        CollectingContext ctx = runOnce(tail(), broken);

        assertThat(ctx.lines()).containsExactly("a");
        assertThat(ctx.committed()).doesNotContainKey("7:42");
        assertThat(warnings()).anySatisfy(w -> assertThat(w).contains("checkpoint entry 7:42 cannot be read"));
    }

    @Test
    void tenThousandFilesAreFollowed() throws Exception {
        int files = 10_000;
        for (int i = 0; i < files; i++) {
            Files.writeString(dir.resolve("f" + i + ".log"), "line of " + i + "\n");
        }
        AtomicReference<Throwable> failed = new AtomicReference<>();
        CollectingContext ctx = service(tail("pollInterval", "100ms"), Map.of(), failed);
        await().atMost(Duration.ofSeconds(60)).until(() -> ctx.count() == files || failed.get() != null);
        append(dir.resolve("f1234.log"), "more of 1234\n");
        append(dir.resolve("f9999.log"), "more of 9999\n");
        await().atMost(Duration.ofSeconds(20)).until(() -> ctx.count() == files + 2 || failed.get() != null);
        ctx.stop();

        assertThat(failed.get()).isNull();
        assertThat(ctx.lines()).doesNotHaveDuplicates().hasSize(files + 2).contains("more of 1234", "more of 9999");
        assertThat(ctx.status().get("files")).startsWith("10000 followed").contains("the 200 furthest behind");
        assertThat(ctx.status()).hasSize(TailSource.STATUS_FILES + 1);
    }

    @Test
    void memoryStaysBoundedWhateverTheFileSize() throws Exception {
        // Surefire runs this module with -Xmx64m: holding the file, or all its records, would not fit.
        Path big = dir.resolve("big.log");
        byte[] line = ("0123456789".repeat(9) + "abcdefghi\n").getBytes(StandardCharsets.US_ASCII); // 100 bytes
        byte[] block = new byte[line.length * 10_000];
        for (int i = 0; i < 10_000; i++) {
            System.arraycopy(line, 0, block, i * line.length, line.length);
        }
        try (OutputStream out = Files.newOutputStream(big)) {
            for (int i = 0; i < 200; i++) { // 200 MB, 2,000,000 lines
                out.write(block);
            }
        }
        CollectingContext ctx = CollectingContext.counting(Map.of());
        tail().run(ctx);

        assertThat(ctx.count()).isEqualTo(2_000_000);
        assertThat(ctx.bytes()).isEqualTo(2_000_000L * 99);
    }

    private static String keyOf(Path file) throws IOException {
        Map<String, Object> a = Files.readAttributes(file, "unix:dev,ino");
        return TailCheckpoint.key((Long) a.get("dev"), (Long) a.get("ino"));
    }
}
