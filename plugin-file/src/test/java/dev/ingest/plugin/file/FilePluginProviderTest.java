package dev.ingest.plugin.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.STRING;
import static org.assertj.core.api.InstanceOfAssertFactories.list;
import static org.assertj.core.groups.Tuple.tuple;

import dev.ingest.api.Blob;
import dev.ingest.api.Scan;
import dev.ingest.api.Codec;
import dev.ingest.api.ConfigException;
import dev.ingest.api.ConfigKey;
import dev.ingest.api.Destination;
import dev.ingest.api.PluginConfig;
import dev.ingest.api.PluginProvider;
import dev.ingest.api.PluginRole;
import dev.ingest.api.Source;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilePluginProviderTest {

    @TempDir
    Path base;

    private final FilePluginProvider provider = new FilePluginProvider();

    private static PluginConfig config(Object... keysAndValues) {
        Map<String, Object> values = new HashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            values.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return PluginConfig.of("files", values);
    }

    private static List<String> problems(ConfigException e) {
        return e.problems();
    }

    @Test
    void serviceLoaderFindsTheProviderOfTypeFile() {
        List<PluginProvider> found = new ArrayList<>();
        ServiceLoader.load(PluginProvider.class).forEach(found::add);

        assertThat(found).filteredOn(p -> p.type().equals("file"))
                .singleElement()
                .isInstanceOf(FilePluginProvider.class);
    }

    @Test
    void canBeASourceAndADestination() {
        assertThat(provider.type()).isEqualTo("file");
        assertThat(provider.roles()).containsExactlyInAnyOrder(PluginRole.SOURCE, PluginRole.DESTINATION);
        assertThat(provider.version()).isNotBlank();
    }

    @Test
    void declaresPathIncludeExcludeRecursiveAndTheTailKeysForASourceAndOnlyPathForADestination() {
        assertThat(provider.keys(PluginRole.SOURCE))
                .extracting(ConfigKey::name, ConfigKey::required, ConfigKey::secret)
                .containsExactly(
                        tuple("path", true, false),
                        tuple("include", false, false),
                        tuple("exclude", false, false),
                        tuple("recursive", false, false),
                        tuple("tail", false, false),
                        tuple("readFrom", false, false),
                        tuple("pollInterval", false, false),
                        tuple("rotateWait", false, false),
                        tuple("maxLineBytes", false, false));
        assertThat(provider.keys(PluginRole.DESTINATION))
                .extracting(ConfigKey::name, ConfigKey::required)
                .containsExactly(tuple("path", true));
        assertThat(provider.keys(PluginRole.SOURCE)).allSatisfy(k -> assertThat(k.description()).isNotBlank()
                .doesNotContain("\n"));
    }

    @Test
    void missingPathAndBadRecursiveAreReportedTogether() {
        assertThatThrownBy(() -> provider.createSource(config("recursive", "sometimes")))
                .isInstanceOf(ConfigException.class)
                .extracting(e -> problems((ConfigException) e), list(String.class))
                .containsExactlyInAnyOrder("path: is required", "recursive: must be true or false, got 'sometimes'");
    }

    @Test
    void everyBadSourceValueIsReportedTogether() {
        Path missing = base.resolve("missing");

        assertThatThrownBy(() -> provider.createSource(config(
                "path", missing.toString(),
                "include", List.of("*.txt", "[unclosed", ""),
                "exclude", "/absolute/*",
                "recursive", 3)))
                .isInstanceOf(ConfigException.class)
                .extracting(e -> problems((ConfigException) e), list(String.class))
                .hasSize(5)
                .anySatisfy(p -> assertThat(p).isEqualTo("path: directory '" + missing + "' does not exist"))
                .anySatisfy(p -> assertThat(p).startsWith("include[1]: '[unclosed' is not a valid glob"))
                .anySatisfy(p -> assertThat(p).startsWith("include[2]: must not be empty"))
                .anySatisfy(p -> assertThat(p).startsWith("exclude[0]: '/absolute/*' must be relative"))
                .anySatisfy(p -> assertThat(p).startsWith("recursive: must be true or false"));
    }

    @Test
    void aSourceReadsRecordsExactlyWhenTailIsTrue() {
        assertThat(provider.readsRecords(config("path", "/x", "tail", true))).isTrue();
        assertThat(provider.readsRecords(config("path", "/x", "tail", "TRUE"))).isTrue();
        assertThat(provider.readsRecords(config("path", "/x", "tail", false))).isFalse();
        assertThat(provider.readsRecords(config("path", "/x"))).isFalse();
        assertThat(provider.readsRecords(config("path", "/x", "tail", "sometimes")))
                .as("a value that is not a boolean is left to the object source's factory, which reports it")
                .isFalse();
    }

    @Test
    void tailKeysWithoutTailTrueAreRefusedByName() {
        assertThatThrownBy(() -> provider.createSource(config("path", base.toString(), "readFrom", "end",
                "pollInterval", "1s", "rotateWait", "1s", "maxLineBytes", "1KiB", "tail", false)))
                .isInstanceOf(ConfigException.class)
                .extracting(e -> problems((ConfigException) e), list(String.class))
                .containsExactlyInAnyOrder(
                        "readFrom: applies only to a source with tail: true",
                        "pollInterval: applies only to a source with tail: true",
                        "rotateWait: applies only to a source with tail: true",
                        "maxLineBytes: applies only to a source with tail: true");
    }

    @Test
    void aTailValueThatIsNotABooleanIsReported() {
        assertThatThrownBy(() -> provider.createSource(config("path", base.toString(), "tail", "sometimes")))
                .isInstanceOf(ConfigException.class)
                .extracting(e -> problems((ConfigException) e), list(String.class))
                .containsExactly("tail: must be true or false, got 'sometimes'");
    }

    @Test
    void everyBadTailValueIsReportedTogether() {
        Path missing = base.resolve("missing");

        assertThatThrownBy(() -> provider.createRecordSource(config("path", missing.toString(), "tail", true,
                "include", List.of("[unclosed"), "readFrom", "middle", "pollInterval", "soon", "rotateWait", "-1s",
                "maxLineBytes", "0")))
                .isInstanceOf(ConfigException.class)
                .extracting(e -> problems((ConfigException) e), list(String.class))
                .hasSize(6)
                .anySatisfy(p -> assertThat(p).isEqualTo("path: directory '" + missing + "' does not exist"))
                .anySatisfy(p -> assertThat(p).startsWith("include[0]: '[unclosed' is not a valid glob"))
                .anySatisfy(p -> assertThat(p).isEqualTo("readFrom: must be beginning or end, got 'middle'"))
                .anySatisfy(p -> assertThat(p).startsWith("pollInterval: 'soon' is not a duration"))
                .anySatisfy(p -> assertThat(p).startsWith("rotateWait: '-1s' is not a duration"))
                .anySatisfy(p -> assertThat(p).startsWith("maxLineBytes: must be at least 1"));
    }

    @Test
    void aTailSourceWithDefaultsIsCreated() throws Exception {
        try (var source = provider.createRecordSource(config("path", base.toString(), "tail", true))) {
            assertThat(source).isInstanceOf(TailSource.class);
        }
    }

    @Test
    void aSourcePathThatIsNotADirectoryIsReported() throws IOException {
        Path file = Files.writeString(base.resolve("file.txt"), "x");

        assertThatThrownBy(() -> provider.createSource(config("path", file.toString())))
                .isInstanceOf(ConfigException.class)
                .extracting(e -> problems((ConfigException) e), list(String.class))
                .containsExactly("path: '" + file + "' is not a directory");
    }

    @Test
    void aSourceListsItsDirectoryWithTheConfiguredGlobs() throws Exception {
        Path dir = Files.createDirectories(base.resolve("in/sub"));
        Files.writeString(dir.resolve("a.txt"), "a");
        Files.writeString(dir.resolve("b.log"), "b");
        Files.writeString(base.resolve("in/top.txt"), "t");

        try (Source source = provider.createSource(config(
                "path", base.resolve("in").toString(), "include", "*.txt", "recursive", "true"))) {
            Scan scan = source.scan();
            List<String> ids = new ArrayList<>();
            for (Optional<Codec> next = scan.next(); next.isPresent(); next = scan.next()) {
                ids.add(next.get().id());
            }
            assertThat(ids).containsExactly("sub/a.txt", "top.txt");
        }
    }

    @Test
    void aNonRecursiveSourceListsOnlyTheTopLevel() throws Exception {
        Path dir = Files.createDirectories(base.resolve("in/sub"));
        Files.writeString(dir.resolve("a.txt"), "a");
        Files.writeString(base.resolve("in/top.txt"), "t");

        try (Source source = provider.createSource(config("path", base.resolve("in").toString(), "recursive", false))) {
            Scan scan = source.scan();
            assertThat(scan.next()).map(Codec::id).contains("top.txt");
            assertThat(scan.next()).isEmpty();
        }
    }

    @Test
    void aDestinationCreatesItsMissingDirectoryOnlyWithTheFirstObjectStored() throws Exception {
        Path dir = base.resolve("out/deeper");

        try (Destination destination = provider.createDestination(config("path", dir.toString()))) {
            assertThat(dir).doesNotExist(); // a dry run leaves no trace
            assertThat(destination).isInstanceOf(FileDestination.class);
            destination.store(Codec.of("x.txt", "x.txt"),
                    Blob.of(new ByteArrayInputStream(new byte[] {1}), 1, null));
            assertThat(dir.resolve("x.txt")).hasBinaryContent(new byte[] {1});
        }
    }

    @Test
    void aDestinationUnderAFileIsReported() throws Exception {
        Path file = Files.writeString(base.resolve("plain.txt"), "x");

        assertThatThrownBy(() -> provider.createDestination(config("path", file.resolve("sub").toString())))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("cannot create directory");
    }

    @Test
    void aDestinationPathThatIsAFileIsReported() throws IOException {
        Path file = Files.writeString(base.resolve("file.txt"), "x");

        assertThatThrownBy(() -> provider.createDestination(config("path", file.toString())))
                .isInstanceOf(ConfigException.class)
                .extracting(e -> problems((ConfigException) e), list(String.class))
                .containsExactly("path: '" + file + "' is not a directory");
    }

    @Test
    void aDestinationDirectoryThatCannotBeCreatedIsReported() throws IOException {
        Path file = Files.writeString(base.resolve("file.txt"), "x");
        Path below = file.resolve("out");

        assertThatThrownBy(() -> provider.createDestination(config("path", below.toString())))
                .isInstanceOf(ConfigException.class)
                .extracting(e -> problems((ConfigException) e), list(String.class))
                .singleElement(STRING)
                .startsWith("path: cannot create directory '" + below + "'");
    }

    @Test
    void aDestinationWithoutPathIsReported() {
        assertThatThrownBy(() -> provider.createDestination(config()))
                .isInstanceOf(ConfigException.class)
                .extracting(e -> problems((ConfigException) e), list(String.class))
                .containsExactly("path: is required");
    }

    @Test
    void aBlankPathIsReported() {
        assertThatThrownBy(() -> provider.createSource(config("path", "  ")))
                .isInstanceOf(ConfigException.class)
                .extracting(e -> problems((ConfigException) e), list(String.class))
                .containsExactly("path: must not be empty");
    }

    /** Every path under the directory, relative, directories included. */
    private static List<String> tree(Path dir) throws IOException {
        try (java.util.stream.Stream<Path> paths = Files.walk(dir)) {
            return paths.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void aDestinationWhereNoDirectoryCanBeCreatedIsReportedNamingThePath() throws IOException {
        Path unusable = Path.of("/proc/ingest-out-" + ProcessHandle.current().pid());

        assertThatThrownBy(() -> provider.createDestination(config("path", unusable.toString())))
                .isInstanceOf(ConfigException.class)
                .extracting(e -> problems((ConfigException) e), list(String.class))
                .singleElement(STRING)
                .startsWith("path: cannot create directory '" + unusable + "': a folder cannot be created in '/proc'");
        assertThat(unusable).doesNotExist();
    }

    @Test
    void anExistingDestinationDirectoryWhereNoFileCanBeCreatedIsReported() {
        assertThatThrownBy(() -> provider.createDestination(config("path", "/proc")))
                .isInstanceOf(ConfigException.class)
                .extracting(e -> problems((ConfigException) e), list(String.class))
                .singleElement(STRING)
                .startsWith("path: cannot write to directory '/proc': a file cannot be created in '/proc'");
    }

    @Test
    void checkingADestinationLeavesNothingBehindInItsDirectoryOrItsParent() throws Exception {
        Path existing = Files.createDirectories(base.resolve("existing"));
        Path missing = base.resolve("missing/deeper");

        try (Destination a = provider.createDestination(config("path", existing.toString()));
             Destination b = provider.createDestination(config("path", missing.toString()))) {
            assertThat(a).isNotNull();
            assertThat(b).isNotNull();
        }

        assertThat(tree(base)).containsExactly("existing");
    }
}
