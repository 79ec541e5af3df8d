package dev.ingest.testkit.contract;

import static dev.ingest.testkit.contract.ContractStreams.assertSameContent;
import static dev.ingest.testkit.contract.ContractStreams.contentOf;
import static dev.ingest.testkit.contract.ContractStreams.failingAfter;
import static dev.ingest.testkit.contract.ContractStreams.generated;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.ingest.api.Blob;
import dev.ingest.api.Codec;
import dev.ingest.api.Destination;
import dev.ingest.api.Inventory;
import dev.ingest.api.Listed;
import dev.ingest.api.PoisonException;
import dev.ingest.api.Presence;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
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
 * The contract every {@link Destination} must meet, as a JUnit 5 suite a plugin author extends.
 *
 * <p>Implement {@link #createDestination()} and {@link #readStored(String)} (how the test reads back what the
 * destination stored, bypassing the plugin); every {@code @Test} below then runs against the plugin:
 *
 * <pre>{@code
 * class MyDestinationContractTest extends DestinationContract {
 *     @TempDir Path dir;
 *
 *     @Override protected Destination createDestination() throws Exception {
 *         return new MyPluginProvider().createDestination(PluginConfig.of("contract", Map.of("path", dir.toString())));
 *     }
 *     @Override protected Optional<InputStream> readStored(String name) throws IOException {
 *         Path file = dir.resolve(name);
 *         return Files.isRegularFile(file) ? Optional.of(Files.newInputStream(file)) : Optional.empty();
 *     }
 * }
 * }</pre>
 *
 * <p>What is checked: a missing object is absent ({@code stat} is empty); a stored object is found by
 * {@code stat} at the URI {@code store} returned, with its content; storing twice is harmless and the last
 * content wins; a stored object of another size does not count as present; a store whose input fails part-way
 * fails with a retryable {@link java.io.IOException} and leaves nothing new visible (neither a partial object
 * nor a damaged previous one); names with spaces, Unicode and folders round-trip; empty objects and a large
 * object (64 MiB by default, of known and of unknown length) are stored, the latter streamed rather than held
 * in memory; stores run concurrently; a destination that lists ({@link Destination#inventory()}) lists what it holds
 * in order, and {@link Destination#holds} claims nothing {@code stat} would deny.
 *
 * <p><b>Opting out.</b> A destination that cannot support a feature says so by overriding its
 * {@code supports...()} method to return {@code false}; the tests that need it are then reported as
 * <em>skipped</em> with the reason, never silently passed. The {@code @Test} methods are final for the same
 * reason.
 *
 * <p><b>Heap.</b> Run the suite with a heap smaller than {@link #largeObjectSize()}, e.g. Surefire's
 * {@code <argLine>-Xmx64m</argLine>}: a destination that buffers a whole object then fails with
 * {@link OutOfMemoryError}. Independently of the heap size, the large-object tests measure how much heap stays
 * reachable while the destination reads the object (see {@link HeapWatch}) and fail when it grows by more than
 * {@link #largeObjectHeapAllowance()}.
 *
 * <p><b>Lifecycle.</b> JUnit creates one instance of the test class per test, so per-test fixtures such as
 * {@code @TempDir} fields can back the destination. Destinations created through {@link #newDestination()} are
 * closed after each test.
 */
public abstract class DestinationContract extends PluginContract {

    private final List<AutoCloseable> created = Collections.synchronizedList(new ArrayList<>());

    // -------------------------------------------------------------------------------------------------------------
    // Hooks

    /**
     * Creates a destination over an empty store (the same store for every call within one test).
     *
     * @return a new destination; the suite closes it
     * @throws Exception if it cannot be created
     */
    protected abstract Destination createDestination() throws Exception;

    /**
     * Reads back what the destination holds under a name, bypassing the plugin, as the original bytes (a
     * destination that transforms objects, say compresses them, undoes that here). Called only when
     * {@link #supportsReadBack()}.
     *
     * @param name the object name
     * @return the content, or empty when nothing is stored under the name; the suite closes it
     * @throws Exception if the store cannot be read
     */
    protected abstract Optional<InputStream> readStored(String name) throws Exception;

    // -------------------------------------------------------------------------------------------------------------
    // Opt-outs and sizes

    /**
     * @return false if the test cannot read back what was stored (a write-only sink); the suite then checks
     *     {@code stat} only, and the tests that need the content are skipped
     */
    protected boolean supportsReadBack() {
        return true;
    }

    /**
     * @return false if {@code stat} cannot compare the stored object's size with {@link Codec#size()}; skips the
     *     test that an object of another size is not reported present (then a source object that changes size
     *     under the same name is not copied again)
     */
    protected boolean supportsSizeCheck() {
        return true;
    }

    /**
     * @return true if the destination records the source's {@link Codec#version()} with each object it stores and
     *     overrides {@link Destination#check} to compare it; enables the test that a rewritten object of the same
     *     size is not taken for the stored one. False by default.
     */
    protected boolean supportsVersionRecords() {
        return false;
    }

    // -------------------------------------------------------------------------------------------------------------
    // Helpers

    /**
     * Creates a destination with {@link #createDestination()} and closes it after the test.
     *
     * @return the destination
     * @throws Exception if it cannot be created
     */
    protected final Destination newDestination() throws Exception {
        Destination destination = createDestination();
        assertThat(destination).as("createDestination()").isNotNull();
        created.add(destination);
        return destination;
    }

    /**
     * The codec of a small object as a source would list it.
     *
     * @param name the object name
     * @param content its content
     * @return a codec with a version and the content's size
     */
    protected static Codec codecOf(String name, byte[] content) {
        return Codec.of(name, name, "v" + content.length, content.length);
    }

    /**
     * Stores a small object of known length.
     *
     * @param destination the destination
     * @param codec the object
     * @param content its content
     * @return the URI {@code store} returned
     * @throws IOException if storing fails
     */
    protected static URI store(Destination destination, Codec codec, byte[] content) throws IOException {
        try (Blob blob = Blob.of(new ByteArrayInputStream(content), content.length, "text/plain")) {
            URI uri = destination.store(codec, blob);
            assertThat(uri).as("the URI store(%s) returns", codec.name()).isNotNull();
            return uri;
        }
    }

    private void assertStored(String name, byte[] expected) throws Exception {
        if (!supportsReadBack()) {
            return;
        }
        Optional<InputStream> stored = readStored(name);
        assertThat(stored).as("readStored(%s)", name).isNotNull().isPresent();
        try (InputStream in = stored.get()) {
            assertSameContent(new ByteArrayInputStream(expected), in, "stored '" + name + "'");
        }
    }

    private void assertNothingStored(String name) throws Exception {
        if (!supportsReadBack()) {
            return;
        }
        Optional<InputStream> stored = readStored(name);
        assertThat(stored).as("readStored(%s)", name).isNotNull();
        if (stored.isPresent()) {
            stored.get().close();
            throw new AssertionError("something is stored under '" + name + "'");
        }
    }

    private static void requires(boolean supported, String method) {
        Assumptions.assumeTrue(supported, () -> "the plugin opted out: " + method + " returns false");
    }

    private void roundTrip(String... names) throws Exception {
        Destination destination = newDestination();
        for (String name : names) {
            Codec codec = codecOf(name, contentOf(name));
            URI uri = store(destination, codec, contentOf(name));
            assertThat(destination.stat(codec)).as("stat(%s) after store", name).contains(uri);
        }
        for (String name : names) {
            assertStored(name, contentOf(name));
        }
    }

    /**
     * Closes the destinations created with {@link #newDestination()}, twice (close must be idempotent).
     *
     * @throws Exception the first failure to close
     */
    @AfterEach
    protected final void closeCreatedDestinations() throws Exception {
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
                c.close();
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

    /** {@code stat} of an object never stored is empty, whether its size is known or not. */
    @Test
    public final void missingObjectIsAbsent() throws Exception {
        Destination destination = newDestination();
        assertThat(destination.stat(Codec.of("absent.txt", "absent.txt"))).as("stat, size unknown").isEmpty();
        assertThat(destination.stat(Codec.of("absent.txt", "absent.txt", "v1", 10))).as("stat, size known").isEmpty();
        assertNothingStored("absent.txt");
    }

    /** After {@code store}, {@code stat} finds the object at the URI {@code store} returned, with its content. */
    @Test
    public final void storeThenStatFindsIt() throws Exception {
        Destination destination = newDestination();
        byte[] content = contentOf("stored.txt");
        Codec codec = codecOf("stored.txt", content);

        URI uri = store(destination, codec, content);

        assertThat(destination.stat(codec)).as("stat after store").contains(uri);
        assertThat(destination.stat(Codec.of("stored.txt", "stored.txt"))).as("stat, size unknown").contains(uri);
        assertStored("stored.txt", content);
        assertThat(newDestination().stat(codec)).as("stat from another instance over the same store").contains(uri);
    }

    /** Storing the same object twice is harmless; storing other content under the name replaces it. */
    @Test
    public final void storingTwiceIsHarmlessAndTheLastContentWins() throws Exception {
        Destination destination = newDestination();
        byte[] first = "the first content".getBytes(StandardCharsets.UTF_8);
        byte[] second = "the second, longer content".getBytes(StandardCharsets.UTF_8);
        Codec v1 = codecOf("twice.txt", first);
        Codec v2 = codecOf("twice.txt", second);

        URI uri = store(destination, v1, first);
        assertThat(store(destination, v1, first)).as("URI of the second store of the same object").isEqualTo(uri);
        assertThat(destination.stat(v1)).contains(uri);
        assertStored("twice.txt", first);

        store(destination, v2, second);

        assertThat(destination.stat(v2)).as("stat of the replacing version").isPresent();
        assertStored("twice.txt", second);
    }

    /**
     * A stored object of another size than the codec's is not the object: {@code stat} is empty, so that a source
     * object that changed is copied again.
     */
    @Test
    public final void anObjectOfAnotherSizeIsNotPresent() throws Exception {
        requires(supportsSizeCheck(), "supportsSizeCheck()");
        Destination destination = newDestination();
        byte[] content = contentOf("sized.txt");
        store(destination, codecOf("sized.txt", content), content);

        Codec changed = Codec.of("sized.txt", "sized.txt", "v-other", content.length + 1);

        assertThat(destination.stat(changed)).as("stat of the same name with another size").isEmpty();
    }

    /**
     * When the input fails part-way, {@code store} fails with a retryable {@link IOException} (not a
     * {@link PoisonException}: the next attempt may succeed) and nothing new is visible: no partial object, and
     * a previously stored object keeps its content.
     */
    @Test
    public final void failedStoreLeavesNothingVisible() throws Exception {
        Destination destination = newDestination();
        byte[] kept = contentOf("kept.txt");
        Codec keptCodec = codecOf("kept.txt", kept);
        URI keptUri = store(destination, keptCodec, kept);

        for (String name : List.of("broken.txt", "kept.txt")) {
            Codec codec = Codec.of(name, name, "v-broken", 1_000_000);
            Throwable thrown = catchThrowable(() -> {
                try (Blob blob = Blob.of(failingAfter(100_000, new IOException("connection reset (simulated)")),
                        1_000_000, null)) {
                    destination.store(codec, blob);
                }
            });
            assertThat(thrown).as("store(%s) whose input fails part-way", name)
                    .isInstanceOf(IOException.class).isNotInstanceOf(PoisonException.class);
            if (name.equals("broken.txt") || supportsSizeCheck()) {
                assertThat(destination.stat(codec)).as("stat(%s) after the failed store", name).isEmpty();
            }
        }

        assertThat(destination.stat(Codec.of("broken.txt", "broken.txt"))).as("stat(broken.txt), size unknown").isEmpty();
        assertNothingStored("broken.txt");
        assertThat(destination.stat(keptCodec)).as("the earlier kept.txt").contains(keptUri);
        assertStored("kept.txt", kept);
    }

    /** Names with spaces are stored and found under exactly that name. */
    @Test
    public final void namesWithSpacesRoundTrip() throws Exception {
        requires(supportsNamesWithSpaces(), "supportsNamesWithSpaces()");
        roundTrip("a name with  two spaces.txt", "trailing space .txt");
    }

    /** Non-ASCII names (accents, CJK, an emoji outside the BMP) are stored and found unchanged. */
    @Test
    public final void unicodeNamesRoundTrip() throws Exception {
        requires(supportsUnicodeNames(), "supportsUnicodeNames()");
        roundTrip("grüße-ñandú.txt", "日本語のファイル.txt", "emoji-\uD83D\uDE00.txt");
    }

    /** Names with folders are stored as such (folders created as needed) and found unchanged. */
    @Test
    public final void nestedNamesRoundTrip() throws Exception {
        requires(supportsNestedNames(), "supportsNestedNames()");
        roundTrip("top.txt", "nested/sibling.txt", "nested/deeper/still/leaf.txt");
    }

    /** An empty object is stored and found. */
    @Test
    public final void emptyObjectRoundTrips() throws Exception {
        requires(supportsEmptyObjects(), "supportsEmptyObjects()");
        Destination destination = newDestination();
        Codec codec = Codec.of("empty.txt", "empty.txt", "v0", 0);
        URI uri = store(destination, codec, new byte[0]);
        assertThat(destination.stat(codec)).contains(uri);
        assertStored("empty.txt", new byte[0]);
    }

    /** A large object of known length is stored completely and as a stream. */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    public final void largeObjectOfKnownLengthIsStreamed() throws Exception {
        largeObject(true);
    }

    /** A large object of unknown length (a chunked download) is stored completely and as a stream. */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    public final void largeObjectOfUnknownLengthIsStreamed() throws Exception {
        largeObject(false);
    }

    private void largeObject(boolean knownLength) throws Exception {
        requires(supportsLargeObjects(), "supportsLargeObjects()");
        long size = largeObjectSize();
        long seed = knownLength ? 1 : 2;
        String name = knownLength ? "large-known.bin" : "large-unknown.bin";
        Codec codec = Codec.of(name, name, "v1", knownLength ? size : -1);
        Destination destination = newDestination();

        HeapWatch heap = HeapWatch.start();
        URI uri;
        InputStream watched = heap.watching(generated(size, seed), Math.max(1, size / 4));
        try (Blob blob = knownLength ? Blob.of(watched, size, null) : Blob.ofUnknownLength(watched, null)) {
            uri = destination.store(codec, blob);
        }

        assertThat(uri).isNotNull();
        if (heap.reliable()) {
            assertThat(heap.samples()).as("heap samples: the destination must read the whole stream").isGreaterThan(0);
            assertThat(heap.peakGrowth())
                    .as("reachable heap growth while storing %s (%s); the destination must stream, not buffer",
                            HeapWatch.mib(size), HeapWatch.mib(heap.peakGrowth()))
                    .isLessThan(largeObjectHeapAllowance());
        }
        assertThat(destination.stat(codec)).as("stat after storing the large object").contains(uri);
        if (supportsReadBack()) {
            Optional<InputStream> stored = readStored(name);
            assertThat(stored).isPresent();
            try (InputStream in = stored.get()) {
                assertThat(assertSameContent(generated(size, seed), in, "stored " + name)).isEqualTo(size);
            }
        }
    }

    /** Stores are safe to run concurrently (the engine copies many objects at once). */
    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    public final void concurrentStoresAreSafe() throws Exception {
        Destination destination = newDestination();
        List<String> names = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                for (int i = 0; i < 4; i++) {
                    String name = "concurrent-" + t + "-" + i + ".txt";
                    names.add(name);
                    done.add(pool.submit(() -> store(destination, codecOf(name, contentOf(name)), contentOf(name))));
                }
            }
            for (Future<?> f : done) {
                f.get(1, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        for (String name : names) {
            assertThat(destination.stat(codecOf(name, contentOf(name)))).as("stat(%s)", name).isPresent();
            assertStored(name, contentOf(name));
        }
    }

    /**
     * A destination that can be listed ({@link Destination#inventory()} is present) lists every stored object
     * exactly once, by the name it was stored under, with its size, in ascending order of UTF-8 bytes; an empty
     * store lists nothing. {@link Destination#holds} is never true for an entry of another size than the codec's,
     * and never true where {@code stat} would not find the object. Skipped for destinations that do not list.
     */
    @Test
    public final void inventoryListsEveryStoredObjectOnceInUtf8OrderWithItsSize() throws Exception {
        Destination destination = newDestination();
        Optional<Inventory> empty = destination.inventory();
        Assumptions.assumeTrue(empty.isPresent(), "the destination does not list: inventory() is empty");
        try (Inventory inventory = empty.get()) {
            assertThat(inventory.next()).as("the listing of an empty store").isEmpty();
        }
        List<String> names = List.of("b.txt", "a.txt", "dir/c.txt", "Z.txt", "a b.txt", "\u00e4.txt", "\uff21.txt",
                "dir/sub/d.txt"); // characters of the BMP only: beyond it, some S3-compatible stores sort by UTF-16
        List<Codec> codecs = new ArrayList<>();
        for (String name : names) {
            Codec codec = codecOf(name, contentOf(name));
            store(destination, codec, contentOf(name));
            codecs.add(codec);
        }
        List<Listed> listed = new ArrayList<>();
        try (Inventory inventory = destination.inventory().orElseThrow()) {
            for (Optional<Listed> e = inventory.next(); e.isPresent(); e = inventory.next()) {
                listed.add(e.get());
                assertThat(listed).as("entries listed").hasSizeLessThanOrEqualTo(names.size());
            }
        }
        List<String> expected = new ArrayList<>(names);
        expected.sort(DestinationContract::compareUtf8);
        assertThat(listed).extracting(Listed::name).as("names, in ascending order of UTF-8 bytes")
                .containsExactlyElementsOf(expected);
        for (Listed entry : listed) {
            Codec codec = codecs.get(names.indexOf(entry.name()));
            if (entry.size() >= 0) {
                assertThat(entry.size()).as("size of %s", entry.name()).isEqualTo(codec.size());
            }
            Codec otherSize = new Codec(codec.id(), codec.name(), null, codec.version(), codec.size() + 1);
            assertThat(destination.holds(otherSize, entry)).as("holds(%s) for another size", entry.name()).isFalse();
            if (destination.holds(codec, entry)) {
                assertThat(destination.stat(codec)).as("stat(%s), which holds() claims", entry.name()).isPresent();
            }
        }
    }

    private static int compareUtf8(String a, String b) {
        return java.util.Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * {@code check} agrees with {@code stat}: present at the same URI after a store, absent for an object never
     * stored and (with {@link #supportsSizeCheck()}) for an object of another size. It never claims to have proven a
     * version the codec does not have.
     */
    @Test
    public final void checkAgreesWithStat() throws Exception {
        Destination destination = newDestination();
        byte[] content = contentOf("checked.txt");
        Codec codec = codecOf("checked.txt", content);
        assertThat(destination.check(codec)).as("check before store").isEmpty();

        URI uri = store(destination, codec, content);

        Optional<Presence> presence = destination.check(codec);
        assertThat(presence).as("check after store").isPresent();
        assertThat(presence.get().uri()).as("the URI check reports").isEqualTo(uri);
        assertThat(destination.stat(codec)).as("stat after store").contains(uri);
        Codec unversioned = Codec.of("checked.txt", "checked.txt");
        assertThat(destination.check(unversioned)).as("check of the object without a version")
                .map(Presence::verified).contains(false);
        if (supportsSizeCheck()) {
            Codec otherSize = Codec.of("checked.txt", "checked.txt", "v-other", content.length + 1);
            assertThat(destination.check(otherSize)).as("check of the same name with another size").isEmpty();
        }
    }

    /**
     * A destination that records versions ({@link #supportsVersionRecords()}) proves the version it stored, and
     * reports an object of the same name and size but another version absent, by {@code check}, {@code stat} and,
     * if it lists, {@code holds}: a source object rewritten with the same size is copied again, and never deleted
     * by a clean-up before that.
     */
    @Test
    public final void checkProvesTheStoredVersionAndDeniesAnotherOfTheSameSize() throws Exception {
        requires(supportsVersionRecords(), "supportsVersionRecords()");
        Destination destination = newDestination();
        byte[] first = "version-1 AAAA".getBytes(StandardCharsets.UTF_8);
        byte[] second = "version-2 BBBB".getBytes(StandardCharsets.UTF_8);
        Codec v1 = Codec.of("rewritten.txt", "rewritten.txt", "1000-14", first.length);
        Codec v2 = Codec.of("rewritten.txt", "rewritten.txt", "2000-14", second.length);

        URI uri = store(destination, v1, first);

        assertThat(destination.check(v1)).as("check of the stored version").contains(Presence.verified(uri));
        assertThat(destination.check(v2)).as("check of another version of the same size").isEmpty();
        assertThat(destination.stat(v2)).as("stat of another version of the same size").isEmpty();
        Optional<Inventory> listing = destination.inventory();
        if (listing.isPresent()) {
            try (Inventory inventory = listing.get()) {
                Listed entry = inventory.next().orElseThrow();
                assertThat(destination.holds(v1, entry)).as("holds(the stored version)").isTrue();
                assertThat(destination.holds(v2, entry)).as("holds(another version of the same size)").isFalse();
            }
        }

        store(destination, v2, second);

        assertThat(destination.check(v2)).as("check after storing the new version").map(Presence::verified)
                .contains(true);
        assertThat(destination.check(v1)).as("check of the replaced version").isEmpty();
        assertStored("rewritten.txt", second);
    }
}
