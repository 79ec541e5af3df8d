package dev.ingest.plugin.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ingest.api.Blob;
import dev.ingest.api.Scan;
import dev.ingest.api.Codec;
import dev.ingest.api.Listed;
import dev.ingest.api.PoisonException;
import dev.ingest.api.Presence;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FileDestinationTest {

    @TempDir
    Path base;

    Path root;
    Path outside;
    FileDestination destination;

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createDirectories(base.resolve("root"));
        outside = Files.createDirectories(base.resolve("outside"));
        destination = new FileDestination("archive", root);
    }

    private static Blob blob(String content) {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        return Blob.of(new ByteArrayInputStream(bytes), bytes.length, "text/plain");
    }

    private static Codec codec(String name, long size) {
        return Codec.of(name, name, "v1", size);
    }

    private URI store(String name, String content) throws IOException {
        try (Blob blob = blob(content)) {
            return destination.store(codec(name, content.getBytes(StandardCharsets.UTF_8).length), blob);
        }
    }

    /** Every path under the directory, relative, directories included. */
    private static List<String> tree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            return paths.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void storeWritesTheFileAndStatFindsItWithTheSameSize() throws IOException {
        URI uri = store("sub/deeper/c.txt", "hello");

        Path file = root.resolve("sub/deeper/c.txt");
        assertThat(file).hasContent("hello");
        assertThat(uri).isEqualTo(file.toUri());
        assertThat(destination.stat(codec("sub/deeper/c.txt", 5))).contains(uri);
        assertThat(tree(root)).containsExactly("sub", "sub/deeper", "sub/deeper/c.txt");
    }

    @Test
    void statOfAFileOfAnotherSizeIsAbsent() throws IOException {
        store("a.txt", "hello");

        assertThat(destination.stat(codec("a.txt", 4))).isEmpty();
        assertThat(destination.stat(codec("a.txt", 6))).isEmpty();
    }

    @Test
    void statWithUnknownSizeFindsAnyFile() throws IOException {
        URI uri = store("a.txt", "hello");

        assertThat(destination.stat(Codec.of("a.txt", "a.txt"))).contains(uri);
    }

    @Test
    void statOfAMissingFileIsAbsent() throws IOException {
        assertThat(destination.stat(codec("a.txt", 5))).isEmpty();
        assertThat(destination.stat(codec("no/such/folder/a.txt", 5))).isEmpty();
        assertThat(tree(root)).isEmpty();
    }

    @Test
    void statOfATemporaryFileOnlyIsAbsent() throws IOException {
        Files.writeString(root.resolve(ObjectNames.tempFileName("a.txt", 1)), "hello");

        assertThat(destination.stat(codec("a.txt", 5))).isEmpty();
    }

    @Test
    void storingTwiceReplacesTheContentHarmlessly() throws IOException {
        store("a.txt", "first version");
        URI uri = store("a.txt", "second");

        assertThat(root.resolve("a.txt")).hasContent("second");
        assertThat(destination.stat(codec("a.txt", 6))).contains(uri);
        assertThat(tree(root)).containsExactly("a.txt");
    }

    @Test
    void storeOfUnknownLengthWritesEverything() throws IOException {
        try (Blob blob = Blob.ofUnknownLength(TestStreams.generated(100_000), null)) {
            destination.store(Codec.of("gen.bin", "gen.bin"), blob);
        }

        assertThat(Files.size(root.resolve("gen.bin"))).isEqualTo(100_000);
    }

    @Test
    void storeOfAnEmptyObjectWritesAnEmptyFile() throws IOException {
        store("empty", "");

        assertThat(root.resolve("empty")).isEmptyFile();
        assertThat(destination.stat(codec("empty", 0))).isPresent();
    }

    @Test
    void aStreamFailingMidCopyLeavesNoFileAndNoTemporaryFile() throws IOException {
        IOException failure = new IOException("connection reset");
        InputStream failing = TestStreams.failingAfter(200_000, failure);

        assertThatThrownBy(() -> destination.store(codec("sub/a.bin", 1_000_000), Blob.of(failing, 1_000_000, null)))
                .isSameAs(failure);

        assertThat(root.resolve("sub/a.bin")).doesNotExist();
        assertThat(tree(root)).containsExactly("sub");
    }

    @Test
    void aStreamFailingMidCopyKeepsThePreviousVersionIntact() throws IOException {
        store("a.txt", "previous");
        InputStream failing = TestStreams.failingAfter(10, new IOException("boom"));

        assertThatThrownBy(() -> destination.store(codec("a.txt", 100), Blob.of(failing, 100, null)))
                .isInstanceOf(IOException.class);

        assertThat(root.resolve("a.txt")).hasContent("previous");
        assertThat(tree(root)).containsExactly("a.txt");
    }

    @Test
    void aPoisonedStreamStaysPoisonAndLeavesNothing() throws IOException {
        PoisonException poison = new PoisonException("object 'a.bin' vanished at the source");
        InputStream failing = TestStreams.failingAfter(10, poison);

        assertThatThrownBy(() -> destination.store(codec("a.bin", 100), Blob.of(failing, 100, null)))
                .isSameAs(poison);

        assertThat(tree(root)).isEmpty();
    }

    @Test
    void aShorterStreamThanAnnouncedIsARetryableErrorAndLeavesNothing() throws IOException {
        Blob blob = Blob.of(new ByteArrayInputStream(new byte[10]), 11, null);

        assertThatThrownBy(() -> destination.store(codec("a.bin", 11), blob))
                .isInstanceOf(IOException.class)
                .isNotInstanceOf(PoisonException.class)
                .hasMessageContaining("a.bin")
                .hasMessageContaining("expected 11 bytes, got 10");

        assertThat(tree(root)).isEmpty();
    }

    @Test
    void aLongerStreamThanAnnouncedIsARetryableErrorAndLeavesNothing() throws IOException {
        Blob blob = Blob.of(TestStreams.generated(1_000_000), 10, null);

        assertThatThrownBy(() -> destination.store(codec("a.bin", 10), blob))
                .isInstanceOf(IOException.class)
                .isNotInstanceOf(PoisonException.class)
                .hasMessageContaining("a.bin")
                .hasMessageContaining("expected 10 bytes");

        assertThat(tree(root)).isEmpty();
    }

    @Test
    void aLargeObjectIsStreamedToDisk() throws IOException {
        long size = 64L * 1024 * 1024;

        try (Blob blob = Blob.of(TestStreams.generated(size), size, null)) {
            destination.store(codec("big/large.bin", size), blob);
        }

        Path file = root.resolve("big/large.bin");
        assertThat(Files.size(file)).isEqualTo(size);
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            long position = 0;
            int n;
            while ((n = in.read(buffer)) > 0) {
                for (int i = 0; i < n; i += 4099) {
                    assertThat(buffer[i]).isEqualTo(TestStreams.byteAt(position + i));
                }
                position += n;
            }
            assertThat(position).isEqualTo(size);
        }
        assertThat(destination.stat(codec("big/large.bin", size))).isPresent();
    }

    @Test
    void namesWithSpacesAndNonAsciiCharactersAreStoredAsIs() throws IOException {
        String name = "dossier é/ファイル 1.txt";

        URI uri = store(name, "contenu");

        assertThat(root.resolve("dossier é").resolve("ファイル 1.txt")).hasContent("contenu");
        assertThat(Path.of(uri)).isEqualTo(root.resolve(name));
        assertThat(destination.stat(codec(name, 7))).contains(uri);
    }

    @Test
    void aVeryLongFileNameCanBeStored() throws IOException {
        String name = "sub/" + "n".repeat(250);

        store(name, "x");

        assertThat(root.resolve(name)).hasContent("x");
        assertThat(tree(root.resolve("sub"))).containsExactly("n".repeat(250));
    }

    @ParameterizedTest
    @ValueSource(strings = {"../evil", "/abs", "a/../../b", "a/..", "./a", "a/./b", "a//b", "a/", "a\\b", "..\\evil",
        "a\0b", "../outside/evil"})
    void namesThatEscapeOrAreMalformedArePoisonAndWriteNothing(String name) throws IOException {
        assertThatThrownBy(() -> store(name, "evil"))
                .isInstanceOf(PoisonException.class)
                .hasMessageContaining("'" + name + "'")
                .hasMessageContaining("'archive'");
        assertThatThrownBy(() -> destination.stat(codec(name, 4)))
                .isInstanceOf(PoisonException.class)
                .hasMessageContaining("'" + name + "'");

        assertThat(tree(base)).containsExactly("outside", "root");
        assertThat(Path.of("/abs")).doesNotExist();
    }

    @Test
    void aSymlinkedDirectoryPointingOutsideTheRootIsPoisonAndWritesNothing() throws IOException {
        Files.createSymbolicLink(root.resolve("link"), outside);
        Files.createDirectories(root.resolve("a/b"));
        Files.createSymbolicLink(root.resolve("a/b/deep-link"), outside);

        for (String name : List.of("link/evil", "link/new/folder/evil", "a/b/deep-link/evil")) {
            assertThatThrownBy(() -> store(name, "evil"))
                    .isInstanceOf(PoisonException.class)
                    .hasMessageContaining(name)
                    .hasMessageContaining("outside");
            assertThatThrownBy(() -> destination.stat(codec(name, 4))).isInstanceOf(PoisonException.class);
        }

        assertThat(tree(outside)).isEmpty();
    }

    @Test
    void aSymlinkedDirectoryPointingInsideTheRootIsFollowed() throws IOException {
        Files.createDirectories(root.resolve("real"));
        Files.createSymbolicLink(root.resolve("alias"), root.resolve("real"));

        store("alias/a.txt", "hello");

        assertThat(root.resolve("real/a.txt")).hasContent("hello");
    }

    @Test
    void aTargetThatIsASymlinkIsPoisonAndItsTargetIsUntouched() throws IOException {
        Path secret = Files.writeString(outside.resolve("secret.txt"), "secret");
        Files.createSymbolicLink(root.resolve("a.txt"), secret);
        Files.createSymbolicLink(root.resolve("dangling.txt"), outside.resolve("nothing.txt"));

        assertThatThrownBy(() -> store("a.txt", "evil"))
                .isInstanceOf(PoisonException.class)
                .hasMessageContaining("symbolic link");
        assertThatThrownBy(() -> store("dangling.txt", "evil")).isInstanceOf(PoisonException.class);

        assertThat(secret).hasContent("secret");
        assertThat(tree(outside)).containsExactly("secret.txt");
    }

    @Test
    void aBrokenSymlinkedFolderIsPoison() throws IOException {
        Files.createSymbolicLink(root.resolve("broken"), outside.resolve("missing"));

        assertThatThrownBy(() -> store("broken/a.txt", "evil")).isInstanceOf(PoisonException.class);

        assertThat(tree(outside)).isEmpty();
    }

    @Test
    void aNameBelowAnExistingFileIsPoison() throws IOException {
        store("a.txt", "file");

        assertThatThrownBy(() -> store("a.txt/b.txt", "x"))
                .isInstanceOf(PoisonException.class)
                .hasMessageContaining("not a folder");
    }

    @Test
    void aNameThatIsAnExistingFolderIsPoison() throws IOException {
        store("a/b.txt", "file");

        assertThatThrownBy(() -> store("a", "x"))
                .isInstanceOf(PoisonException.class)
                .hasMessageContaining("directory");
        assertThat(root.resolve("a/b.txt")).hasContent("file");
    }

    @Test
    void aMissingRootHoldsNothingAndIsCreatedByTheFirstStore() throws IOException {
        Files.delete(root);

        assertThat(destination.stat(codec("a.txt", 1))).isEmpty();
        assertThat(root).doesNotExist();
        store("a/b.txt", "file");
        assertThat(root.resolve("a/b.txt")).hasContent("file");
    }

    @Test
    void anUnsafeNameIsPoisonEvenBeforeTheRootExists() throws IOException {
        Files.delete(root);

        assertThatThrownBy(() -> store("../escape.txt", "x")).isInstanceOf(PoisonException.class);
        assertThat(root).doesNotExist();
    }

    @Test
    void concurrentStoresOfTheSameNameLeaveOneCompleteFileAndNoTemporaryFiles() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<URI>> futures = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                String content = ("writer " + i + " ").repeat(10_000);
                futures.add(pool.submit(() -> store("shared/same.txt", content)));
                futures.add(pool.submit(() -> store("shared/own-" + content.hashCode() + ".txt", content)));
            }
            for (Future<URI> future : futures) {
                future.get();
            }
        } finally {
            pool.shutdownNow();
        }

        String content = Files.readString(root.resolve("shared/same.txt"));
        String writer = content.substring(0, content.indexOf(' ', "writer ".length()) + 1);
        assertThat(writer).matches("writer \\d+ ");
        assertThat(content).isEqualTo(writer.repeat(10_000));
        try (Stream<Path> files = Files.list(root.resolve("shared"))) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .hasSize(33)
                    .noneMatch(ObjectNames::isTempFile);
        }
    }

    @Test
    void closeIsIdempotent() throws IOException {
        destination.close();
        destination.close();
    }

    @Test
    void statFindsWhatAFileSourceListsAfterACopy() throws IOException {
        Path sourceRoot = Files.createDirectories(base.resolve("source"));
        Files.createDirectories(sourceRoot.resolve("dossier é"));
        Files.writeString(sourceRoot.resolve("dossier é/ファイル 1.txt"), "contenu");
        FileSource source = new FileSource("inbox", sourceRoot, true, List.of(), List.of());
        Scan scan = source.scan();
        Optional<Codec> codec = scan.next();
        assertThat(codec).isPresent();

        try (Blob blob = source.download(codec.get())) {
            destination.store(codec.get(), blob);
        }

        assertThat(destination.stat(codec.get())).isPresent();
        assertThat(root.resolve("dossier é/ファイル 1.txt")).hasContent("contenu");
    }

    @Test
    void aStoreRemovesTemporaryFilesADeadWriterLeftForTheSameName() throws IOException {
        Files.createDirectories(root.resolve("d"));
        Path stale = root.resolve("d/" + ObjectNames.tempFileName("x.txt", 42));
        Path other = root.resolve("d/" + ObjectNames.tempFileName("y.txt", 42));
        Files.writeString(stale, "half");
        Files.writeString(other, "half");

        store("d/x.txt", "whole");

        assertThat(root.resolve("d/x.txt")).hasContent("whole");
        assertThat(stale).doesNotExist();
        assertThat(other).exists(); // another object's: left to its own next store
    }

    private List<dev.ingest.api.Listed> inventory() throws IOException {
        List<dev.ingest.api.Listed> out = new java.util.ArrayList<>();
        try (dev.ingest.api.Inventory inventory = destination.inventory().orElseThrow()) {
            for (Optional<dev.ingest.api.Listed> e = inventory.next(); e.isPresent(); e = inventory.next()) {
                out.add(e.get());
            }
        }
        return out;
    }

    @Test
    void theInventoryListsRegularFilesInUtf8OrderWithoutTemporaryFilesOrLinks() throws IOException {
        // UTF-8 order: '-' (2D) < '/' (2F) < '0' (30), and U+FF5E before U+1F600 (UTF-16 order has it the other way)
        for (String name : List.of("a0", "a/b", "a-c", "\uD83D\uDE00", "\uFF5E", "z/y/x")) {
            store(name, "content of " + name);
        }
        Files.writeString(root.resolve("a").resolve(ObjectNames.tempFileName("b", 0xabc123)), "a store in progress");
        Files.createSymbolicLink(root.resolve("link"), root.resolve("a0"));
        Files.createDirectories(root.resolve("empty-dir"));

        List<dev.ingest.api.Listed> listed = inventory();

        assertThat(listed).extracting(dev.ingest.api.Listed::name)
                .containsExactly("a-c", "a/b", "a0", "z/y/x", "\uFF5E", "\uD83D\uDE00");
        assertThat(listed.get(0).size()).isEqualTo("content of a-c".length());
    }

    @Test
    void aRootNotCreatedYetListsNothingAndCreatesNothing() throws IOException {
        Path later = base.resolve("later");
        destination = new FileDestination("archive", later);
        assertThat(inventory()).isEmpty();
        assertThat(later).doesNotExist();
    }

    @Test
    void itHoldsAListedFileOfTheSameSizeAsStatWould() throws IOException {
        store("a.txt", "four");
        dev.ingest.api.Listed entry = inventory().get(0);
        assertThat(destination.holds(codec("a.txt", 4), entry)).isTrue();
        assertThat(destination.stat(codec("a.txt", 4))).isPresent();
        assertThat(destination.holds(codec("a.txt", 5), entry)).isFalse();
        assertThat(destination.stat(codec("a.txt", 5))).isEmpty();
        assertThat(destination.holds(Codec.of("a.txt", "a.txt"), entry)).as("size unknown").isTrue();
    }

    // ---------------------------------------------------------------------------------------------------------
    // The source's version, recorded with each file

    private static Codec versioned(String name, String content, String version) {
        return Codec.of(name, name, version, content.getBytes(StandardCharsets.UTF_8).length);
    }

    private URI store(Codec codec, String content) throws IOException {
        try (Blob blob = blob(content)) {
            return destination.store(codec, blob);
        }
    }

    /** The file's user.ingest.version attribute, read without the plugin. */
    private static Optional<String> recordedVersion(Path file) throws IOException {
        UserDefinedFileAttributeView view = Files.getFileAttributeView(file, UserDefinedFileAttributeView.class);
        if (!view.list().contains("ingest.version")) {
            return Optional.empty();
        }
        ByteBuffer buffer = ByteBuffer.allocate(view.size("ingest.version"));
        view.read("ingest.version", buffer);
        return Optional.of(new String(buffer.array(), StandardCharsets.UTF_8));
    }

    @Test
    void storeRecordsTheSourcesVersionAsTheUserIngestVersionAttributeAndNoExtraFile() throws IOException {
        store(versioned("sub/a.txt", "version-1 AAAA", "1700000000123-14"), "version-1 AAAA");

        assertThat(recordedVersion(root.resolve("sub/a.txt"))).contains("1700000000123-14");
        assertThat(tree(root)).containsExactly("sub", "sub/a.txt");
    }

    @Test
    void aFileStoredWithTheCodecsVersionIsPresentAndVerified() throws IOException {
        Codec v1 = versioned("a.txt", "version-1 AAAA", "1000-14");
        URI uri = store(v1, "version-1 AAAA");

        assertThat(destination.check(v1)).contains(Presence.verified(uri));
        assertThat(destination.stat(v1)).contains(uri);
    }

    @Test
    void aRewrittenSourceFileOfTheSameSizeIsAbsentSoThatItIsCopiedAgain() throws IOException {
        store(versioned("a.txt", "version-1 AAAA", "1000-14"), "version-1 AAAA");
        Codec v2 = versioned("a.txt", "version-2 BBBB", "2000-14");

        assertThat(destination.check(v2)).isEmpty();
        assertThat(destination.stat(v2)).isEmpty();

        URI uri = store(v2, "version-2 BBBB");
        assertThat(root.resolve("a.txt")).hasContent("version-2 BBBB");
        assertThat(recordedVersion(root.resolve("a.txt"))).contains("2000-14");
        assertThat(destination.check(v2)).contains(Presence.verified(uri));
    }

    @Test
    void aFileWithoutARecordedVersionIsPresentByItsSizeButUnverified() throws IOException {
        Path file = Files.writeString(root.resolve("a.txt"), "version-1 AAAA"); // put there by someone else

        assertThat(destination.check(versioned("a.txt", "version-2 BBBB", "2000-14")))
                .contains(Presence.unverified(file.toUri()));
        assertThat(destination.check(versioned("a.txt", "a longer content", "3000-16"))).isEmpty();
    }

    @Test
    void aCodecWithoutAVersionFindsAStoredFileUnverified() throws IOException {
        URI uri = store(versioned("a.txt", "version-1 AAAA", "1000-14"), "version-1 AAAA");

        assertThat(destination.check(Codec.of("a.txt", "a.txt", "", 14))).contains(Presence.unverified(uri));
        assertThat(destination.check(Codec.of("a.txt", "a.txt"))).contains(Presence.unverified(uri));
    }

    @Test
    void anObjectWithoutAVersionRecordsNoneAndReplacesTheRecordOfAnEarlierStore() throws IOException {
        store(versioned("a.txt", "version-1 AAAA", "1000-14"), "version-1 AAAA");

        store(Codec.of("a.txt", "a.txt", "", 14), "version-2 BBBB");

        assertThat(recordedVersion(root.resolve("a.txt"))).isEmpty();
    }

    @Test
    void theInventoryCarriesEachFilesRecordedVersionAndHoldsOnlyThatVersion() throws IOException {
        Codec v1 = versioned("a.txt", "version-1 AAAA", "1000-14");
        store(v1, "version-1 AAAA");
        Files.writeString(root.resolve("b.txt"), "unrecorded");

        List<Listed> listed = inventory();

        assertThat(listed).containsExactly(new Listed("a.txt", 14, "1000-14"), new Listed("b.txt", 10, ""));
        Listed a = listed.get(0);
        assertThat(destination.holds(v1, a)).isTrue();
        assertThat(destination.holds(versioned("a.txt", "version-2 BBBB", "2000-14"), a))
                .as("a rewritten file of the same size").isFalse();
        assertThat(destination.holds(Codec.of("a.txt", "a.txt", "", 14), a)).as("a codec without version").isTrue();
        assertThat(destination.holds(versioned("b.txt", "rewritten!", "5-10"), listed.get(1)))
                .as("same size, nothing recorded: held as stat finds it").isTrue();
    }

    @Test
    void aVersionTooLongToRecordIsNotRecordedAndTheFileIsPresentUnverified() throws IOException {
        Codec codec = versioned("a.txt", "x", "v".repeat(VersionAttribute.MAX_VERSION_BYTES + 1));
        URI uri = store(codec, "x");

        assertThat(recordedVersion(root.resolve("a.txt"))).isEmpty();
        assertThat(destination.check(codec)).contains(Presence.unverified(uri));
    }

    @Test
    void aLongRecordedVersionIsReadInFull() throws IOException {
        String version = "etag-" + "0123456789".repeat(50);
        Codec codec = versioned("a.txt", "x", version);
        URI uri = store(codec, "x");

        assertThat(destination.check(codec)).contains(Presence.verified(uri));
        assertThat(inventory()).extracting(Listed::version).containsExactly(version);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Names too long for the file system

    @Test
    void aFileNameLongerThanTheFileSystemTakesIsPoisonNamingTheObject() throws IOException {
        String name = "sub/" + "n".repeat(256);

        assertThatThrownBy(() -> store(name, "x"))
                .isInstanceOf(PoisonException.class)
                .hasMessageContaining("object name '" + name + "'")
                .hasMessageContaining("'archive'")
                .hasMessageContaining("256 bytes long");
        assertThatThrownBy(() -> destination.check(codec(name, 1))).isInstanceOf(PoisonException.class);
        assertThat(tree(root)).isEmpty();
    }

    @Test
    void aFileNameOfMultiByteCharactersIsMeasuredInBytes() {
        String name = "é".repeat(128); // 256 bytes

        assertThatThrownBy(() -> store(name, "x"))
                .isInstanceOf(PoisonException.class)
                .hasMessageContaining("256 bytes long");
    }

    @Test
    void aPathLongerThanTheSystemTakesIsPoisonNamingTheObject() throws IOException {
        String name = (("d".repeat(200) + "/").repeat(21)) + "file.txt"; // over 4,200 bytes

        assertThatThrownBy(() -> store(name, "x"))
                .isInstanceOf(PoisonException.class)
                .hasMessageContaining("object name '" + name + "'")
                .hasMessageContaining("a path can have at most 4095");
        assertThatThrownBy(() -> destination.check(codec(name, 1))).isInstanceOf(PoisonException.class);
        assertThat(tree(root)).isEmpty();
    }

    @Test
    void aNameOfTheLongestLengthCanBeStored() throws IOException {
        String name = "n".repeat(255);

        store(name, "x");

        assertThat(root.resolve(name)).hasContent("x");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Names that are not valid UTF-8, and temporary files

    @Test
    void theInventoryLeavesOutFilesWhoseNamesAreNotValidUtf8() throws IOException {
        store("caf%E9.txt", "literal");
        Files.writeString(Path.of(URI.create(root.toUri() + "caf%E9.txt")), "latin-1"); // the bytes 'caf\xe9.txt'

        assertThat(inventory()).extracting(Listed::name).containsExactly("caf%E9.txt");
        assertThat(destination.check(codec("caf%E9.txt", 7))).isPresent();
    }

    @Test
    void aUsersFileNamedLikeATemporaryFileIsListedAndLeftAlone() throws IOException {
        Files.writeString(root.resolve(".notes.ingest-old.tmp"), "notes");

        store("notes", "x");

        assertThat(root.resolve(".notes.ingest-old.tmp")).hasContent("notes");
        assertThat(inventory()).extracting(Listed::name).containsExactly(".notes.ingest-old.tmp", "notes");
    }
}
