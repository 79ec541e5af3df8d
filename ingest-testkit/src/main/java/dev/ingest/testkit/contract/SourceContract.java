package dev.ingest.testkit.contract;

import static dev.ingest.testkit.contract.ContractStreams.assertSameContent;
import static dev.ingest.testkit.contract.ContractStreams.contentOf;
import static dev.ingest.testkit.contract.ContractStreams.generated;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.ingest.api.Blob;
import dev.ingest.api.Scan;
import dev.ingest.api.Codec;
import dev.ingest.api.PoisonException;
import dev.ingest.api.Source;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract every {@link Source} must meet, as a JUnit 5 suite a plugin author extends.
 *
 * <p>Implement the hooks that give the suite a backing store ({@link #putObject}, {@link #deleteObject},
 * {@link #objectExists}) and a source over it ({@link #createSource()}); every {@code @Test} below then runs
 * against the plugin. For a directory-backed source:
 *
 * <pre>{@code
 * class MySourceContractTest extends SourceContract {
 *     @TempDir Path dir;
 *
 *     @Override protected Source createSource() throws Exception {
 *         return new MyPluginProvider().createSource(PluginConfig.of("contract", Map.of("path", dir.toString())));
 *     }
 *     @Override protected void putObject(String name, InputStream content, long length) throws IOException {
 *         Path file = dir.resolve(name);
 *         Files.createDirectories(file.getParent());
 *         Files.copy(content, file, StandardCopyOption.REPLACE_EXISTING);
 *     }
 *     @Override protected void deleteObject(String name) throws IOException {
 *         Files.delete(dir.resolve(name));
 *     }
 *     @Override protected boolean objectExists(String name) {
 *         return Files.exists(dir.resolve(name));
 *     }
 * }
 * }</pre>
 *
 * <p>What is checked: an empty source lists nothing; a scan lists every object exactly once under the name it was
 * put with; every {@link Source#scan()} is independent, starts from the beginning and sees objects added since; a download yields the
 * content (with its length when the blob declares one); a codec listed by one instance downloads from another
 * (as when a different process dequeues it); names with spaces, Unicode and folders round-trip; empty objects
 * and a large object (64 MiB by default) download, the latter streamed rather than held in memory; downloads run
 * concurrently; a rewritten object gets a new version; {@link Source#cleanUp} removes the object and is
 * idempotent; a download of an object deleted behind the source's back raises {@link PoisonException}.
 *
 * <p><b>Opting out.</b> A source that cannot support a feature says so by overriding its {@code supports...()}
 * method to return {@code false}; the tests that need it are then reported as <em>skipped</em> with the reason,
 * never silently passed. The {@code @Test} methods are final for the same reason.
 *
 * <p><b>Heap.</b> Run the suite with a heap smaller than {@link #largeObjectSize()}, e.g. Surefire's
 * {@code <argLine>-Xmx64m</argLine>}: a source that buffers a whole object then fails with
 * {@link OutOfMemoryError}. Independently of the heap size, the large-object test measures how much heap stays
 * reachable while the download is read (see {@link HeapWatch}) and fails when it grows by more than
 * {@link #largeObjectHeapAllowance()}.
 *
 * <p><b>Lifecycle.</b> JUnit creates one instance of the test class per test, so per-test fixtures such as
 * {@code @TempDir} fields can back the store. Objects are put before {@code createSource()} is called, except in
 * the tests of rescans, which put more afterwards. Sources created through {@link #newSource()} are closed after
 * each test.
 */
public abstract class SourceContract extends PluginContract {

    private final List<AutoCloseable> created = Collections.synchronizedList(new ArrayList<>());

    // -------------------------------------------------------------------------------------------------------------
    // Hooks

    /**
     * Creates a source over the backing store that {@link #putObject} fills. Called once or more per test
     * (after the objects are put); each call returns a new, independent instance over the same store.
     *
     * @return a new source; the suite closes it
     * @throws Exception if it cannot be created
     */
    protected abstract Source createSource() throws Exception;

    /**
     * Puts an object into the source's backing store, replacing any object of that name, so that the source's
     * next scan lists it with {@link Codec#name()} equal to {@code name} and downloads exactly this content.
     * Must stream {@code content}: the large-object test passes 64 MiB.
     *
     * @param name the object's name; may contain spaces, Unicode and {@code /} (unless opted out)
     * @param content the content, read once to its end; the suite closes it
     * @param length the exact number of bytes {@code content} yields
     * @throws Exception if the object cannot be put
     */
    protected abstract void putObject(String name, InputStream content, long length) throws Exception;

    /**
     * Deletes an object from the backing store behind the source's back, as another process would. Called only
     * when {@link #supportsVanishingObjects()}; the default throws.
     *
     * @param name an object put with {@link #putObject}
     * @throws Exception if it cannot be deleted
     */
    protected void deleteObject(String name) throws Exception {
        throw new UnsupportedOperationException(getClass().getName() + " must override deleteObject(String), "
                + "or return false from supportsVanishingObjects()");
    }

    /**
     * Whether an object is still in the backing store. Called only when {@link #supportsCleanUp()}; the default
     * throws.
     *
     * @param name an object put with {@link #putObject}
     * @return true if it is still there
     * @throws Exception if the store cannot be inspected
     */
    protected boolean objectExists(String name) throws Exception {
        throw new UnsupportedOperationException(getClass().getName() + " must override objectExists(String), "
                + "or return false from supportsCleanUp()");
    }

    // -------------------------------------------------------------------------------------------------------------
    // Opt-outs and sizes

    /** @return false if {@link Source#cleanUp} cannot delete objects; skips the clean-up test */
    protected boolean supportsCleanUp() {
        return true;
    }

    /** @return false if objects cannot be deleted behind the source's back; skips the vanished-object test */
    protected boolean supportsVanishingObjects() {
        return true;
    }

    /** @return how many objects the listing test puts; raise it to cross a paging boundary (e.g. 1001 for S3) */
    protected int listingSize() {
        return 25;
    }

    // -------------------------------------------------------------------------------------------------------------
    // Helpers for subclasses

    /**
     * Creates a source with {@link #createSource()} and closes it after the test.
     *
     * @return the source
     * @throws Exception if it cannot be created
     */
    protected final Source newSource() throws Exception {
        Source source = createSource();
        assertThat(source).as("createSource()").isNotNull();
        created.add(source);
        return source;
    }

    /**
     * Puts a small object.
     *
     * @param name its name
     * @param content its content
     * @throws Exception if it cannot be put
     */
    protected final void put(String name, byte[] content) throws Exception {
        try (InputStream in = new ByteArrayInputStream(content)) {
            putObject(name, in, content.length);
        }
    }

    /**
     * Runs one complete scan: {@code scan()}, then {@code next()} until it is empty, then {@code close()}.
     *
     * @param source the source
     * @return the codecs listed, in order
     * @throws IOException if listing fails
     */
    protected final List<Codec> scan(Source source) throws IOException {
        try (Scan scan = source.scan()) {
            assertThat(scan).as("scan() must return a scan, never null").isNotNull();
            return rest(scan);
        }
    }

    private List<Codec> rest(Scan scan) throws IOException {
        List<Codec> out = new ArrayList<>();
        int limit = listingSize() * 10 + 1000;
        while (true) {
            Optional<Codec> next = scan.next();
            assertThat(next).as("next() must return an Optional, never null").isNotNull();
            if (next.isEmpty()) {
                return out;
            }
            out.add(next.get());
            if (out.size() > limit) {
                throw new AssertionError("a scan that never ends: more than " + limit + " objects listed, starting with "
                        + names(out.subList(0, 10)));
            }
        }
    }

    private static List<String> names(List<Codec> codecs) {
        return codecs.stream().map(Codec::name).toList();
    }

    private static Codec listed(List<Codec> codecs, String name) {
        return codecs.stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("'" + name + "' is not listed; listed: " + names(codecs)));
    }

    private static void assertDownloads(Source source, Codec codec, byte[] expected) throws IOException {
        try (Blob blob = source.download(codec)) {
            assertThat(blob).as("download(%s)", codec).isNotNull();
            blob.length().ifPresent(n -> assertThat(n).as("the declared length of %s", codec.name())
                    .isEqualTo(expected.length));
            assertThat(blob.contentType()).isNotBlank();
            assertSameContent(new ByteArrayInputStream(expected), blob.stream(), "download of '" + codec.name() + "'");
        }
    }

    private static void assertListedSize(Codec codec, long length) {
        if (codec.size() != -1) {
            assertThat(codec.size()).as("the listed size of '%s' (or -1 when unknown)", codec.name()).isEqualTo(length);
        }
    }

    private static void requires(boolean supported, String method) {
        Assumptions.assumeTrue(supported, () -> "the plugin opted out: " + method + " returns false");
    }

    private void roundTrip(String... names) throws Exception {
        for (String name : names) {
            put(name, contentOf(name));
        }
        Source source = newSource();
        List<Codec> codecs = scan(source);
        assertThat(names(codecs)).as("names listed").containsExactlyInAnyOrder(names);
        for (String name : names) {
            Codec codec = listed(codecs, name);
            assertListedSize(codec, contentOf(name).length);
            assertDownloads(source, codec, contentOf(name));
        }
    }

    /**
     * Closes the sources created with {@link #newSource()}.
     *
     * @throws Exception the first failure to close
     */
    @AfterEach
    protected final void closeCreatedSources() throws Exception {
        Exception failure = null;
        List<AutoCloseable> all;
        synchronized (created) {
            all = new ArrayList<>(created);
            created.clear();
        }
        Collections.reverse(all);
        for (AutoCloseable c : all) {
            try {
                c.close();
                c.close(); // close() must be idempotent
            } catch (Exception e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    // -------------------------------------------------------------------------------------------------------------
    // The contract

    /** A source over an empty store lists nothing, and keeps saying so. */
    @Test
    public final void emptySourceListsNothing() throws Exception {
        Source source = newSource();
        assertThat(scan(source)).isEmpty();
        try (Scan scan = source.scan()) {
            assertThat(scan.next()).isEmpty();
            assertThat(scan.next()).as("next() after the end of a scan").isEmpty();
        }
    }

    /** One scan lists every object exactly once, under the name it was put with, with a unique id. */
    @Test
    public final void listingReturnsEveryObjectExactlyOnce() throws Exception {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < listingSize(); i++) {
            String name = String.format("object-%04d.txt", i);
            put(name, contentOf(name));
            expected.add(name);
        }
        Source source = newSource();

        List<Codec> codecs = scan(source);

        assertThat(names(codecs)).as("names listed").doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(expected);
        assertThat(codecs).extracting(Codec::id).as("ids").doesNotHaveDuplicates();
        for (Codec c : codecs) {
            assertListedSize(c, contentOf(c.name()).length);
        }
    }

    /**
     * Every {@code scan()} starts from the beginning, whatever other scans of the source are doing: a scan abandoned
     * midway, or one still open and read in turns with another (two workflows sharing the source), takes nothing
     * from the others. A finished scan stays finished.
     */
    @Test
    public final void scansAreIndependentOfEachOther() throws Exception {
        List<String> expected = List.of("a.txt", "b.txt", "c.txt", "d.txt", "e.txt");
        for (String name : expected) {
            put(name, contentOf(name));
        }
        Source source = newSource();
        Scan abandoned = source.scan();
        assertThat(abandoned.next()).isPresent();
        assertThat(abandoned.next()).isPresent();

        List<String> first = new ArrayList<>();
        List<String> second = new ArrayList<>();
        try (Scan one = source.scan(); Scan two = source.scan()) {
            boolean oneDone = false;
            boolean twoDone = false;
            while (!oneDone || !twoDone) { // read in turns, as two workflows' scans run side by side
                if (!oneDone) {
                    Optional<Codec> c = one.next();
                    oneDone = c.isEmpty();
                    c.ifPresent(codec -> first.add(codec.name()));
                }
                if (!twoDone) {
                    Optional<Codec> c = two.next();
                    twoDone = c.isEmpty();
                    c.ifPresent(codec -> second.add(codec.name()));
                }
            }
            assertThat(one.next()).as("next() after the end of a scan").isEmpty();
        }
        abandoned.close();

        assertThat(first).as("the first of two scans read in turns").containsExactlyInAnyOrderElementsOf(expected);
        assertThat(second).as("the second of two scans read in turns").containsExactlyInAnyOrderElementsOf(expected);
        assertThat(names(scan(source))).as("a scan after an abandoned one").containsExactlyInAnyOrderElementsOf(expected);
    }

    /** Scans on several threads at once each list every object (workflows scan on threads of their own). */
    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    public final void concurrentScansOnSeveralThreadsEachListEverything() throws Exception {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < Math.min(listingSize(), 200); i++) {
            String name = String.format("many-%04d.txt", i);
            put(name, contentOf(name));
            expected.add(name);
        }
        Source source = newSource();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<Codec>>> scans = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                scans.add(pool.submit(() -> scan(source)));
            }
            for (Future<List<Codec>> f : scans) {
                assertThat(names(f.get(1, TimeUnit.MINUTES))).as("one of 8 concurrent scans")
                        .containsExactlyInAnyOrderElementsOf(expected);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Each scan looks at the store afresh: an object put after the first scan is listed by the next one. */
    @Test
    public final void aNewScanSeesObjectsAddedSinceTheLastOne() throws Exception {
        put("first.txt", contentOf("first.txt"));
        Source source = newSource();
        assertThat(names(scan(source))).containsExactly("first.txt");

        put("second.txt", contentOf("second.txt"));

        assertThat(names(scan(source))).containsExactlyInAnyOrder("first.txt", "second.txt");
    }

    /** A listed object downloads with its content, its declared length (if any) and a content type. */
    @Test
    public final void downloadReturnsTheContent() throws Exception {
        roundTrip("hello.txt");
    }

    /** A codec carries everything needed: another instance of the source (another process) downloads it. */
    @Test
    public final void aCodecListedByOneInstanceDownloadsFromAnother() throws Exception {
        put("shared.txt", contentOf("shared.txt"));
        Codec listed = listed(scan(newSource()), "shared.txt");
        // As it arrives from the queue: a new record with the same fields.
        Codec fromQueue = new Codec(listed.id(), listed.name(), listed.meta(), listed.version(), listed.size());

        assertDownloads(newSource(), fromQueue, contentOf("shared.txt"));
    }

    /** Names with spaces are listed and downloaded unchanged. */
    @Test
    public final void namesWithSpacesRoundTrip() throws Exception {
        requires(supportsNamesWithSpaces(), "supportsNamesWithSpaces()");
        roundTrip("a name with  two spaces.txt", "trailing space .txt");
    }

    /** Non-ASCII names (accents, CJK, an emoji outside the BMP) are listed and downloaded unchanged. */
    @Test
    public final void unicodeNamesRoundTrip() throws Exception {
        requires(supportsUnicodeNames(), "supportsUnicodeNames()");
        roundTrip("grüße-ñandú.txt", "日本語のファイル.txt", "emoji-\uD83D\uDE00.txt");
    }

    /** Names with folders are listed with {@code /} separators and downloaded unchanged. */
    @Test
    public final void nestedNamesRoundTrip() throws Exception {
        requires(supportsNestedNames(), "supportsNestedNames()");
        roundTrip("top.txt", "nested/sibling.txt", "nested/deeper/still/leaf.txt");
    }

    /** An empty object is listed and downloads as zero bytes. */
    @Test
    public final void emptyObjectRoundTrips() throws Exception {
        requires(supportsEmptyObjects(), "supportsEmptyObjects()");
        put("empty.txt", new byte[0]);
        Source source = newSource();
        Codec codec = listed(scan(source), "empty.txt");
        assertListedSize(codec, 0);
        assertDownloads(source, codec, new byte[0]);
    }

    /**
     * A large object downloads completely and as a stream: the reachable heap grows by less than
     * {@link #largeObjectHeapAllowance()} while it is read.
     */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    public final void largeObjectIsStreamed() throws Exception {
        requires(supportsLargeObjects(), "supportsLargeObjects()");
        long size = largeObjectSize();
        try (InputStream content = generated(size, 42)) {
            putObject("large.bin", content, size);
        }
        Source source = newSource();
        Codec codec = listed(scan(source), "large.bin");
        assertListedSize(codec, size);

        HeapWatch heap = HeapWatch.start();
        long read;
        try (Blob blob = source.download(codec);
             InputStream watched = heap.watching(blob.stream(), Math.max(1, size / 4))) {
            blob.length().ifPresent(n -> assertThat(n).as("declared length").isEqualTo(size));
            read = assertSameContent(generated(size, 42), watched, "download of large.bin");
        }

        assertThat(read).isEqualTo(size);
        if (heap.reliable()) {
            assertThat(heap.peakGrowth())
                    .as("reachable heap growth while downloading %s (%s); the source must stream, not buffer",
                            HeapWatch.mib(size), HeapWatch.mib(heap.peakGrowth()))
                    .isLessThan(largeObjectHeapAllowance());
        }
    }

    /** Downloads are safe to run concurrently (the engine copies many objects at once). */
    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    public final void concurrentDownloadsAreSafe() throws Exception {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            String name = "concurrent-" + i + ".txt";
            put(name, contentOf(name));
            names.add(name);
        }
        Source source = newSource();
        List<Codec> codecs = scan(source);
        assertThat(names(codecs)).containsExactlyInAnyOrderElementsOf(names);

        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int round = 0; round < 4; round++) {
                for (Codec c : codecs) {
                    done.add(pool.submit(() -> {
                        assertDownloads(source, c, contentOf(c.name()));
                        return null;
                    }));
                }
            }
            for (Future<?> f : done) {
                f.get(1, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** An object rewritten with other content gets another version, so the queue does not drop it as a duplicate. */
    @Test
    public final void rewrittenObjectGetsANewVersion() throws Exception {
        put("changing.txt", "first".getBytes(StandardCharsets.UTF_8));
        Source source = newSource();
        Codec before = listed(scan(source), "changing.txt");
        Assumptions.assumeFalse(before.version().isEmpty(),
                "the source reports no versions (Codec.version() is empty)");

        byte[] second = "the second, longer content".getBytes(StandardCharsets.UTF_8);
        put("changing.txt", second);
        Codec after = listed(scan(source), "changing.txt");

        assertThat(after.version()).as("version after a rewrite").isNotEqualTo(before.version());
        assertDownloads(source, after, second);
    }

    /** {@code cleanUp} deletes the object and only it; cleaning up an object that is gone succeeds. */
    @Test
    public final void cleanUpRemovesTheObjectAndIsIdempotent() throws Exception {
        requires(supportsCleanUp(), "supportsCleanUp()");
        put("keep.txt", contentOf("keep.txt"));
        put("gone.txt", contentOf("gone.txt"));
        Source source = newSource();
        Codec gone = listed(scan(source), "gone.txt");

        source.cleanUp(gone);

        assertThat(objectExists("gone.txt")).as("gone.txt after cleanUp").isFalse();
        assertThat(objectExists("keep.txt")).as("keep.txt after cleaning up another object").isTrue();
        assertThatCode(() -> source.cleanUp(gone)).as("a second cleanUp of the same object").doesNotThrowAnyException();
        assertThat(names(scan(source))).containsExactly("keep.txt");
    }

    /**
     * Downloading an object deleted since it was listed raises {@link PoisonException} naming it (at
     * {@code download} or when the blob is read), so that the engine dead-letters it instead of retrying for
     * ever. Cleaning it up succeeds.
     */
    @Test
    public final void downloadOfAVanishedObjectIsPoison() throws Exception {
        requires(supportsVanishingObjects(), "supportsVanishingObjects()");
        put("doomed.txt", contentOf("doomed.txt"));
        Source source = newSource();
        Codec codec = listed(scan(source), "doomed.txt");

        deleteObject("doomed.txt");

        Throwable thrown = catchThrowable(() -> {
            try (Blob blob = source.download(codec)) {
                blob.stream().transferTo(OutputStream.nullOutputStream());
            }
        });
        assertThat(thrown).as("download of a vanished object").isInstanceOf(PoisonException.class);
        assertThat(thrown.getMessage()).as("the reason names the object").contains("doomed.txt");
        if (supportsCleanUp()) {
            assertThatCode(() -> source.cleanUp(codec)).as("cleanUp of a vanished object").doesNotThrowAnyException();
        }
    }
}
