package dev.ingest.plugin.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ingest.api.Blob;
import dev.ingest.api.Scan;
import dev.ingest.api.Codec;
import dev.ingest.api.PoisonException;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FileSourceTest {

    @TempDir
    Path base;

    Path root;
    Path outside;

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createDirectories(base.resolve("root"));
        outside = Files.createDirectories(base.resolve("outside"));
    }

    private FileSource source(boolean recursive, List<String> include, List<String> exclude) throws IOException {
        return new FileSource("inbox", root, recursive, include, exclude);
    }

    private FileSource source() throws IOException {
        return source(true, List.of(), List.of());
    }

    private Path write(String relative, String content) throws IOException {
        Path file = root.resolve(relative);
        Files.createDirectories(file.getParent());
        return Files.writeString(file, content);
    }

    private static List<Codec> scan(FileSource source) throws IOException {
        Scan scan = source.scan();
        List<Codec> out = new ArrayList<>();
        for (Optional<Codec> next = scan.next(); next.isPresent(); next = scan.next()) {
            out.add(next.get());
        }
        return out;
    }

    private static List<String> ids(FileSource source) throws IOException {
        return scan(source).stream().map(Codec::id).toList();
    }

    private static String read(Blob blob) throws IOException {
        try (blob) {
            return new String(blob.stream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private void writeTree() throws IOException {
        write("b.txt", "b");
        write("a.txt", "a");
        write("sub/c.txt", "c");
        write("sub/c.log", "c");
        write("sub/deeper/d.txt", "d");
        write("z/e.bin", "e");
    }

    @Test
    void listsEveryRegularFileRecursivelySortedByRelativePath() throws IOException {
        writeTree();

        assertThat(ids(source())).containsExactly(
                "a.txt", "b.txt", "sub/c.log", "sub/c.txt", "sub/deeper/d.txt", "z/e.bin");
    }

    @Test
    void listsOnlyTopLevelFilesWhenNotRecursive() throws IOException {
        writeTree();

        assertThat(ids(source(false, List.of(), List.of()))).containsExactly("a.txt", "b.txt");
    }

    @Test
    void listsNothingInAnEmptyDirectory() throws IOException {
        assertThat(ids(source())).isEmpty();
    }

    @Test
    void includeWithoutSlashMatchesTheFileNameAtAnyDepth() throws IOException {
        writeTree();

        assertThat(ids(source(true, List.of("*.txt"), List.of())))
                .containsExactly("a.txt", "b.txt", "sub/c.txt", "sub/deeper/d.txt");
    }

    @Test
    void includeWithSlashMatchesTheWholeRelativePath() throws IOException {
        writeTree();

        assertThat(ids(source(true, List.of("sub/*.txt"), List.of()))).containsExactly("sub/c.txt");
        assertThat(ids(source(true, List.of("sub/**"), List.of())))
                .containsExactly("sub/c.log", "sub/c.txt", "sub/deeper/d.txt");
        assertThat(ids(source(true, List.of("c.txt/x"), List.of()))).isEmpty();
    }

    @Test
    void includePatternsAddUp() throws IOException {
        writeTree();

        assertThat(ids(source(true, List.of("a.txt", "z/*"), List.of()))).containsExactly("a.txt", "z/e.bin");
    }

    @Test
    void excludeWinsOverInclude() throws IOException {
        writeTree();

        assertThat(ids(source(true, List.of("*.txt"), List.of("c.*", "sub/deeper/**"))))
                .containsExactly("a.txt", "b.txt");
    }

    @Test
    void excludeWithoutIncludeKeepsEverythingElse() throws IOException {
        writeTree();

        assertThat(ids(source(true, List.of(), List.of("*.txt")))).containsExactly("sub/c.log", "z/e.bin");
    }

    @Test
    void skipsSymlinkedFilesAndDirectories() throws IOException {
        write("real.txt", "r");
        Files.writeString(outside.resolve("secret.txt"), "s");
        Files.createSymbolicLink(root.resolve("link-to-file.txt"), outside.resolve("secret.txt"));
        Files.createSymbolicLink(root.resolve("link-to-dir"), outside);
        Files.createSymbolicLink(root.resolve("link-inside"), root.resolve("real.txt"));
        Files.createSymbolicLink(root.resolve("dangling"), root.resolve("nowhere"));

        assertThat(ids(source())).containsExactly("real.txt");
        assertThat(ids(source(false, List.of(), List.of()))).containsExactly("real.txt");
    }

    @Test
    void listsTheTargetOfASymlinkedRootDirectory() throws IOException {
        write("a.txt", "a");
        Path link = Files.createSymbolicLink(base.resolve("root-link"), root);

        assertThat(ids(new FileSource("inbox", link, true, List.of(), List.of()))).containsExactly("a.txt");
    }

    @Test
    void skipsTheTemporaryFilesOfAFileDestination() throws IOException {
        write("a.txt", "a");
        write(".a.txt.ingest-0123456789abcdef.tmp", "partial");
        write("sub/" + ObjectNames.tempFileName("b.txt", 7), "partial");
        write(".hidden", "h");

        assertThat(ids(source())).containsExactly(".hidden", "a.txt");
    }

    @Test
    void codecCarriesRelativePathAsIdAndNameWithModificationTimeAndSizeAsVersion() throws IOException {
        Path file = write("sub/c.txt", "hello");
        Files.setLastModifiedTime(file, FileTime.fromMillis(1_700_000_000_123L));

        assertThat(scan(source())).containsExactly(Codec.of("sub/c.txt", "sub/c.txt", "1700000000123-5", 5));
    }

    @Test
    void versionChangesWhenTheFileContentChanges() throws IOException {
        Path file = write("a.txt", "one");
        Files.setLastModifiedTime(file, FileTime.fromMillis(1_000_000L));
        FileSource source = source();
        String before = scan(source).get(0).version();

        Files.writeString(file, "two"); // same size, new modification time
        Files.setLastModifiedTime(file, FileTime.fromMillis(2_000_000L));
        String sameSize = scan(source).get(0).version();
        Files.writeString(file, "three");
        Files.setLastModifiedTime(file, FileTime.fromMillis(2_000_000L));
        String otherSize = scan(source).get(0).version();

        assertThat(List.of(before, sameSize, otherSize)).doesNotHaveDuplicates();
        assertThat(scan(source).get(0).version()).isEqualTo(otherSize);
    }

    @Test
    void resetStartsTheScanOverAndAnExhaustedScanStaysEmpty() throws IOException {
        write("a.txt", "a");
        write("b.txt", "b");
        FileSource source = source();

        Scan scan = source.scan();
        assertThat(scan.next()).map(Codec::id).contains("a.txt");
        scan = source.scan();
        assertThat(scan.next()).map(Codec::id).contains("a.txt");
        assertThat(scan.next()).map(Codec::id).contains("b.txt");
        assertThat(scan.next()).isEmpty();
        assertThat(scan.next()).isEmpty();
    }

    @Test
    void filesDeletedDuringAScanAreSkipped() throws IOException {
        write("a.txt", "a");
        write("b.txt", "b");
        write("c.txt", "c");
        FileSource source = source();

        Scan scan = source.scan();
        Files.delete(root.resolve("b.txt"));

        assertThat(scan.next()).map(Codec::id).contains("a.txt");
        assertThat(scan.next()).map(Codec::id).contains("c.txt");
        assertThat(scan.next()).isEmpty();
    }

    @Test
    void namesWithSpacesAndNonAsciiCharactersRoundTrip() throws IOException {
        String name = "dossier é/ファイル 1.txt";
        write(name, "contenu");
        FileSource source = source();

        List<Codec> listed = scan(source);

        assertThat(listed).extracting(Codec::id).containsExactly(name);
        assertThat(listed).extracting(Codec::name).containsExactly(name);
        assertThat(read(source.download(listed.get(0)))).isEqualTo("contenu");
        source.cleanUp(listed.get(0));
        assertThat(root.resolve(name)).doesNotExist();
    }

    @Test
    void downloadStreamsTheContentWithItsLength() throws IOException {
        write("sub/c.txt", "hello");
        FileSource source = source();
        Codec codec = scan(source).get(0);

        try (Blob blob = source.download(codec)) {
            assertThat(blob.length()).hasValue(5);
            assertThat(blob.contentType()).isNotBlank();
            assertThat(blob.stream().readAllBytes()).asString(StandardCharsets.UTF_8).isEqualTo("hello");
        }
    }

    @Test
    void downloadOfAFileThatVanishedIsPoison() throws IOException {
        write("sub/c.txt", "hello");
        FileSource source = source();
        Codec codec = scan(source).get(0);
        Files.delete(root.resolve("sub/c.txt"));

        assertThatThrownBy(() -> source.download(codec))
                .isInstanceOf(PoisonException.class)
                .hasMessageContaining("'sub/c.txt' no longer exists in source 'inbox'");
    }

    @Test
    void downloadOfAFileWhoseDirectoryVanishedIsPoison() throws IOException {
        write("sub/c.txt", "hello");
        FileSource source = source();
        Codec codec = scan(source).get(0);
        Files.delete(root.resolve("sub/c.txt"));
        Files.delete(root.resolve("sub"));

        assertThatThrownBy(() -> source.download(codec))
                .isInstanceOf(PoisonException.class)
                .hasMessageContaining("no longer exists");
    }

    @ParameterizedTest
    @ValueSource(strings = {"../secret.txt", "../outside/secret.txt", "/etc/passwd", "a//b", "./a.txt", "a\0b"})
    void downloadAndCleanUpOfAnIdOutsideTheRootArePoison(String id) throws IOException {
        Files.writeString(base.resolve("secret.txt"), "s");
        Files.writeString(outside.resolve("secret.txt"), "s");
        write("a.txt", "a");
        FileSource source = source();
        Codec codec = Codec.of(id, "x");

        assertThatThrownBy(() -> source.download(codec))
                .isInstanceOf(PoisonException.class)
                .hasMessageContaining(id);
        assertThatThrownBy(() -> source.cleanUp(codec))
                .isInstanceOf(PoisonException.class)
                .hasMessageContaining(id);
        assertThat(base.resolve("secret.txt")).exists();
        assertThat(outside.resolve("secret.txt")).exists();
        assertThat(root.resolve("a.txt")).exists();
    }

    @Test
    void downloadAndCleanUpThroughASymlinkedDirectoryArePoison() throws IOException {
        Files.writeString(outside.resolve("secret.txt"), "s");
        Files.createSymbolicLink(root.resolve("link"), outside);
        FileSource source = source();
        Codec codec = Codec.of("link/secret.txt", "link/secret.txt");

        assertThatThrownBy(() -> source.download(codec)).isInstanceOf(PoisonException.class);
        assertThatThrownBy(() -> source.cleanUp(codec)).isInstanceOf(PoisonException.class);
        assertThat(outside.resolve("secret.txt")).exists();
    }

    @Test
    void downloadOfASymlinkedFileIsPoison() throws IOException {
        Files.writeString(outside.resolve("secret.txt"), "s");
        Files.createSymbolicLink(root.resolve("link.txt"), outside.resolve("secret.txt"));
        FileSource source = source();

        assertThatThrownBy(() -> source.download(Codec.of("link.txt", "link.txt")))
                .isInstanceOf(PoisonException.class)
                .hasMessageContaining("link.txt");
    }

    @Test
    void cleanUpDeletesTheFileAndIsIdempotent() throws IOException {
        write("sub/c.txt", "hello");
        FileSource source = source();
        Codec codec = scan(source).get(0);

        source.cleanUp(codec);
        source.cleanUp(codec);
        Files.delete(root.resolve("sub"));
        source.cleanUp(codec);

        assertThat(root.resolve("sub/c.txt")).doesNotExist();
        assertThat(ids(source)).isEmpty();
    }

    @Test
    void cleanUpWithoutVersionDeletesTheFile() throws IOException {
        write("a.txt", "a");

        source().cleanUp(Codec.of("a.txt", "a.txt"));

        assertThat(root.resolve("a.txt")).doesNotExist();
    }

    @Test
    void cleanUpLeavesAFileThatWasRewrittenSinceItWasListed() throws IOException {
        Path file = write("a.txt", "old");
        Files.setLastModifiedTime(file, FileTime.fromMillis(1_000_000L));
        FileSource source = source();
        Codec listed = scan(source).get(0);
        Files.writeString(file, "newer content");

        source.cleanUp(listed);

        assertThat(file).hasContent("newer content");
        Codec relisted = scan(source).get(0);
        assertThat(relisted.version()).isNotEqualTo(listed.version());
        source.cleanUp(relisted);
        assertThat(file).doesNotExist();
    }

    @Test
    void cleanUpOfASymlinkRemovesTheLinkNotItsTarget() throws IOException {
        Files.writeString(outside.resolve("secret.txt"), "s");
        Files.createSymbolicLink(root.resolve("link.txt"), outside.resolve("secret.txt"));

        source().cleanUp(Codec.of("link.txt", "link.txt"));

        assertThat(root.resolve("link.txt")).doesNotExist();
        assertThat(outside.resolve("secret.txt")).exists();
    }

    @Test
    void clientMethodsAreSafeToCallFromManyThreadsDuringAScan() throws Exception {
        for (int i = 0; i < 200; i++) {
            write(String.format("d%d/f%03d.txt", i % 7, i), "content " + i);
        }
        FileSource source = source();
        List<Codec> codecs = scan(source);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (Codec codec : codecs) {
                futures.add(pool.submit(() -> {
                    String expected = "content " + Integer.parseInt(codec.id().substring(4, 7));
                    assertThat(read(source.download(codec))).isEqualTo(expected);
                    source.cleanUp(codec);
                    return null;
                }));
            }
            Scan scan = source.scan();
            while (scan.next().isPresent()) {
                // a concurrent scan sees whatever is left
            }
            for (Future<?> future : futures) {
                future.get();
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(ids(source)).isEmpty();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Names that are not valid UTF-8, and names like temporary files

    /**
     * A path under the root made of raw bytes, as another program (or a Latin-1 system) may create it: Java makes such
     * a path only from a URI, whose %XX escapes are bytes.
     */
    private Path rawPath(String escapedRelative) {
        return Path.of(URI.create(root.toUri() + escapedRelative));
    }

    private Path writeRaw(String escapedRelative, String content) throws IOException {
        Path file = rawPath(escapedRelative);
        Files.createDirectories(file.getParent());
        return Files.writeString(file, content);
    }

    /** The names in a directory as their bytes, hex, sorted. */
    private static List<String> rawNames(Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        try (var stream = Files.newDirectoryStream(dir)) {
            for (Path p : stream) {
                out.add(p.toUri().getRawPath().substring(dir.toUri().getRawPath().length()));
            }
        }
        out.sort(null);
        return out;
    }

    @Test
    void aFileWhoseNameIsNotValidUtf8IsListedUnderAPrintableNameDownloadedAndCleanedUp() throws IOException {
        write("plain.txt", "hello");
        writeRaw("caf%E9.txt", "latin-1 name");
        FileSource source = source();

        List<Codec> listed = scan(source);

        assertThat(listed).extracting(Codec::id).containsExactly("caf%E9.txt", "plain.txt");
        Codec latin = listed.get(0);
        assertThat(latin.name()).isEqualTo("caf%E9.txt");
        assertThat(latin.meta()).as("the path's bytes").isEqualTo(HexFormat.of().parseHex("636166e92e747874"));
        assertThat(latin.size()).isEqualTo(12);
        assertThat(read(source.download(latin))).isEqualTo("latin-1 name");
        source.cleanUp(latin);
        assertThat(rawNames(root)).containsExactly("plain.txt");
    }

    @Test
    void aFolderWhoseNameIsNotValidUtf8IsMappedToo() throws IOException {
        writeRaw("dossier%E9%25/%FFa.txt", "deep");
        FileSource source = source();

        List<Codec> listed = scan(source);

        assertThat(listed).extracting(Codec::name).containsExactly("dossier%E9%25/%FFa.txt");
        assertThat(read(source.download(listed.get(0)))).isEqualTo("deep");
        source.cleanUp(listed.get(0));
        assertThat(rawPath("dossier%E9%25/%FFa.txt")).doesNotExist();
        assertThat(rawPath("dossier%E9%25")).isDirectory();
    }

    @Test
    void aNameThatIsValidUtf8IsNeverMappedEvenWithPercentSigns() throws IOException {
        write("100%E9 literally.txt", "literal");
        FileSource source = source();

        Codec codec = scan(source).get(0);

        assertThat(codec.name()).isEqualTo("100%E9 literally.txt");
        assertThat(codec.meta()).isEmpty();
        assertThat(read(source.download(codec))).isEqualTo("literal");
    }

    @Test
    void aMappedNameThatEqualsAnotherFilesNameFailsTheScanAfterEveryOtherFileIsListed() throws IOException {
        write("caf%E9.txt", "the real name");
        writeRaw("caf%E9.txt", "latin-1 name");
        write("z.txt", "z");
        FileSource source = source();
        Scan scan = source.scan();

        Codec first = scan.next().orElseThrow();
        Codec second = scan.next().orElseThrow();

        assertThat(List.of(first.id(), second.id())).containsExactly("caf%E9.txt", "z.txt");
        assertThat(first.meta()).as("the file whose name is valid UTF-8").isEmpty();
        assertThat(read(source.download(first))).isEqualTo("the real name");
        assertThatThrownBy(scan::next)
                .isInstanceOf(IOException.class)
                .hasMessageContaining("source 'inbox'")
                .hasMessageContaining("1 file is not copied")
                .hasMessageContaining("'caf%E9.txt'")
                .hasMessageContaining("rename");
        assertThat(rawNames(root)).containsExactly("caf%25E9.txt", "caf%E9.txt", "z.txt");
    }

    @Test
    void aCodecWhosePathBytesDoNotMatchItsIdIsPoison() throws IOException {
        writeRaw("caf%E9.txt", "latin-1 name");
        FileSource source = source();
        Codec forged = new Codec("other.txt", "other.txt", HexFormat.of().parseHex("636166e92e747874"), "", -1);

        assertThatThrownBy(() -> source.download(forged))
                .isInstanceOf(PoisonException.class)
                .hasMessageContaining("other.txt");
        assertThatThrownBy(() -> source.cleanUp(forged)).isInstanceOf(PoisonException.class);
        assertThat(rawNames(root)).containsExactly("caf%E9.txt");
    }

    @Test
    void aUsersFileNamedLikeATemporaryFileIsListed() throws IOException {
        write(".notes.ingest-old.tmp", "notes");
        write(".x.ingest-0123456789ABCDEF.tmp", "upper-case hex is not ours");
        write(ObjectNames.tempFileName("x", 5), "ours: a store in progress");

        assertThat(ids(source())).containsExactly(".notes.ingest-old.tmp", ".x.ingest-0123456789ABCDEF.tmp");
    }
}
