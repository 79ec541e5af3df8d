package dev.ingest.plugin.http;

import static dev.ingest.plugin.http.Configs.config;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ingest.api.Blob;
import dev.ingest.api.Scan;
import dev.ingest.api.Codec;
import dev.ingest.api.PluginProvider;
import dev.ingest.api.Source;
import dev.ingest.core.plugin.LoadedPlugin;
import dev.ingest.core.plugin.PluginRegistry;

import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged plugin directory ({@code target/plugin-http-*-plugin.zip}, as the distribution unpacks it into
 * {@code plugins/http/}) loads in its own class loader and works: OkHttp, Kotlin and Jackson come from the
 * directory, only the SPI and SLF4J from the host.
 */
class PluginDirectoryIT {

    @TempDir
    Path plugins;

    @Test
    void thePackagedPluginDirectoryLoadsInIsolationAndListsAndDownloads() throws Exception {
        unzip(packagedZip(), plugins);
        assertThat(plugins.resolve("http")).isDirectory();

        try (PluginRegistry registry = PluginRegistry.load(hostWithoutPlugins(), List.of(plugins), List.of());
             MockWebServer server = new MockWebServer()) {
            LoadedPlugin http = registry.get("http").orElseThrow();
            PluginProvider provider = http.provider();
            assertThat(http.location()).contains(plugins.resolve("http").toString());
            assertThat(provider.getClass().getClassLoader()).isNotSameAs(getClass().getClassLoader());
            assertThat(provider.getClass()).isNotSameAs(HttpPluginProvider.class);
            assertThat(provider.version()).isNotEqualTo("unknown");

            server.enqueue(new MockResponse.Builder().body("{\"items\": [{\"id\": \"1\", \"url\": \"/f/1\"}]}").build());
            server.enqueue(new MockResponse.Builder().addHeader("Content-Type", "text/plain").body("isolated").build());
            server.start();
            ClassLoader previous = Thread.currentThread().getContextClassLoader();
            Thread.currentThread().setContextClassLoader(http.loader());
            try (Source source = provider.createSource(config("api", "url", server.url("/list").toString(), "items", "/items"))) {
                Scan scan = source.scan();
                Optional<Codec> codec = scan.next();
                assertThat(codec).isPresent();
                try (Blob blob = source.download(codec.get())) {
                    assertThat(new String(blob.stream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("isolated");
                    assertThat(blob.contentType()).isEqualTo("text/plain");
                }
            } finally {
                Thread.currentThread().setContextClassLoader(previous);
            }
        }
    }

    private static Path packagedZip() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("target"))) {
            return files.filter(p -> p.getFileName().toString().matches("plugin-http-.*-plugin\\.zip")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("run 'mvn verify': target/plugin-http-*-plugin.zip is built in the package phase"));
        }
    }

    private static void unzip(Path zip, Path into) throws IOException {
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                Path target = into.resolve(e.getName()).normalize();
                if (!target.startsWith(into)) {
                    throw new IOException("zip entry outside the target: " + e.getName());
                }
                if (e.isDirectory()) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(in, target); // reads this entry only, and leaves the zip stream open
                }
            }
        }
    }

    /** The test class path as host, minus its plugin registrations: the SPI and SLF4J come from it, nothing else. */
    private ClassLoader hostWithoutPlugins() {
        return new ClassLoader(getClass().getClassLoader()) {
            @Override
            public Enumeration<URL> getResources(String name) throws IOException {
                if (name.equals("META-INF/services/" + PluginProvider.class.getName())) {
                    return Collections.emptyEnumeration();
                }
                return super.getResources(name);
            }
        };
    }
}
