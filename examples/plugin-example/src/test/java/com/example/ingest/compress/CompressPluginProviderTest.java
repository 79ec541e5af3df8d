package com.example.ingest.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ingest.api.Blob;
import dev.ingest.api.Scan;
import dev.ingest.api.Codec;
import dev.ingest.api.ConfigException;
import dev.ingest.api.ConfigKey;
import dev.ingest.api.Destination;
import dev.ingest.api.PluginConfig;
import dev.ingest.api.PluginRole;
import dev.ingest.api.PoisonException;
import dev.ingest.api.Source;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.ServiceLoader;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the contract suites do not cover: configuration, the service registration, format details. */
class CompressPluginProviderTest {

    @TempDir
    Path dir;

    private final CompressPluginProvider provider = new CompressPluginProvider();

    @Test
    void isRegisteredWithServiceLoaderAsCompress() {
        assertThat(ServiceLoader.load(dev.ingest.api.PluginProvider.class).stream().map(ServiceLoader.Provider::get))
                .anySatisfy(p -> assertThat(p.type()).isEqualTo("compress"));
        assertThat(provider.roles()).containsExactlyInAnyOrder(PluginRole.SOURCE, PluginRole.DESTINATION);
        assertThat(provider.keys(PluginRole.SOURCE)).extracting(ConfigKey::name).containsExactly("path", "format");
        assertThat(provider.keys(PluginRole.DESTINATION)).extracting(ConfigKey::name)
                .containsExactly("path", "format", "level");
        assertThat(provider.keys(PluginRole.DESTINATION)).filteredOn(ConfigKey::required).extracting(ConfigKey::name)
                .containsExactly("path");
    }

    @Test
    void everyDestinationProblemIsReportedAtOnce() {
        Path file = dir.resolve("a-file");
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> {
            Files.writeString(file, "x");
            provider.createDestination(PluginConfig.of("d", Map.of("path", file.toString(), "format", "zip", "level", 12)));
        });
        assertThat(e.problems()).containsExactlyInAnyOrder(
                "format: unknown format 'zip' (known: gzip, bzip2)",
                "level: must be at most 9, got 12",
                "path: '" + file + "' is not a directory");
    }

    @Test
    void sourceNeedsAnExistingDirectoryAndAPath() {
        ConfigException missingDir = catchThrowableOfType(ConfigException.class, () ->
                provider.createSource(PluginConfig.of("s", Map.of("path", dir.resolve("absent").toString()))));
        assertThat(missingDir.problems()).singleElement().asString().startsWith("path: directory").endsWith("does not exist");

        ConfigException noPath = catchThrowableOfType(ConfigException.class, () ->
                provider.createSource(PluginConfig.of("s", Map.of("format", "bzip2"))));
        assertThat(noPath.problems()).containsExactly("path: is required");
    }

    @Test
    void configuringADestinationCreatesNoDirectoryEvenWhenTheConfigurationFails() throws Exception {
        Path out = dir.resolve("not/yet");
        try (Destination d = provider.createDestination(PluginConfig.of("d", Map.of("path", out.toString())))) {
            assertThat(d.stat(Codec.of("a", "a.csv", "v", 3))).as("nothing stored yet").isEmpty();
        }
        assertThat(dir.resolve("not")).as("a dry run only configures and stats").doesNotExist();

        catchThrowableOfType(ConfigException.class, () -> provider.createDestination(
                PluginConfig.of("d", Map.of("path", out.toString(), "level", 12))));
        assertThat(dir.resolve("not")).as("a failed validation leaves nothing behind").doesNotExist();
    }

    @Test
    void destinationCreatesItsDirectoryAndWritesStandardGzipWithTheFileName() throws Exception {
        Path out = dir.resolve("new/archive");
        byte[] content = "a,b\n1,2\n".getBytes(StandardCharsets.UTF_8);
        try (Destination d = provider.createDestination(PluginConfig.of("d", Map.of("path", out.toString())))) {
            Codec codec = Codec.of("q1.csv", "reports/q1.csv", "v1", content.length);
            d.store(codec, Blob.of(new ByteArrayInputStream(content), content.length, "text/csv"));
        }
        Path stored = out.resolve("reports/q1.csv.gz");
        try (GzipCompressorInputStream in = new GzipCompressorInputStream(Files.newInputStream(stored))) {
            assertThat(in.readAllBytes()).isEqualTo(content);
            assertThat(in.getMetaData().getFileName()).isEqualTo("q1.csv");
        }
        try (var files = Files.list(out.resolve("reports"))) {
            assertThat(files).as("no temporary file left").containsExactly(stored);
        }
    }

    @Test
    void sourceNamesObjectsWithoutTheExtensionAndIgnoresOtherFiles() throws Exception {
        Files.writeString(dir.resolve("notes.txt"), "not compressed");
        try (Destination d = provider.createDestination(PluginConfig.of("d", Map.of("path", dir.toString())))) {
            d.store(Codec.of("x", "data/x.json"), Blob.ofUnknownLength(new ByteArrayInputStream("{}".getBytes()), null));
        }
        try (Source s = provider.createSource(PluginConfig.of("s", Map.of("path", dir.toString())))) {
            Scan scan = s.scan();
            Codec codec = scan.next().orElseThrow();
            assertThat(codec.id()).isEqualTo("data/x.json.gz");
            assertThat(codec.name()).isEqualTo("data/x.json");
            assertThat(scan.next()).isEmpty();
            try (Blob blob = s.download(codec)) {
                assertThat(blob.contentType()).isEqualTo("application/json");
                assertThat(blob.length()).isEmpty();
                assertThat(new String(blob.stream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("{}");
            }
        }
    }

    @Test
    void aFileThatIsNotGzipIsPoison() throws Exception {
        Files.writeString(dir.resolve("fake.gz"), "this is not gzip");
        try (Source s = provider.createSource(PluginConfig.of("s", Map.of("path", dir.toString())))) {
            Scan scan = s.scan();
            Codec codec = scan.next().orElseThrow();
            assertThatThrownBy(() -> s.download(codec)).isInstanceOf(PoisonException.class)
                    .hasMessageContaining("fake.gz").hasMessageContaining("is not gzip data");
        }
    }

    @Test
    void namesThatEscapeTheDirectoryArePoison() throws Exception {
        try (Destination d = provider.createDestination(PluginConfig.of("d", Map.of("path", dir.toString())))) {
            for (String name : new String[] {"../escape", "/abs", "a//b", "a\\b"}) {
                InputStream empty = new ByteArrayInputStream(new byte[0]);
                assertThatThrownBy(() -> d.store(Codec.of(name, name), Blob.of(empty, 0, null)))
                        .as(name).isInstanceOf(PoisonException.class);
                assertThatThrownBy(() -> d.stat(Codec.of(name, name))).as(name).isInstanceOf(PoisonException.class);
            }
        }
        assertThat(dir.getParent().resolve("escape.gz")).doesNotExist();
    }
}
