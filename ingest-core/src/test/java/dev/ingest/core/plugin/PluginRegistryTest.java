package dev.ingest.core.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ingest.api.PluginProvider;
import dev.ingest.core.testplugin.DirPluginProvider;
import dev.ingest.core.testplugin.ThrowingPluginProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Plugin directories: isolation, precedence and the errors an operator sees. */
class PluginRegistryTest {

    private static final String SERVICES = "META-INF/services/" + PluginProvider.class.getName();

    @TempDir
    Path dir;

    /** The host: the test's classes, but none of its plugin registrations (so only directories provide plugins). */
    private static final ClassLoader HOST = new ClassLoader(PluginRegistryTest.class.getClassLoader()) {
        @Override
        public Enumeration<URL> getResources(String name) throws IOException {
            return SERVICES.equals(name) ? Collections.emptyEnumeration() : super.getResources(name);
        }
    };

    /** Writes a plugin jar holding the compiled classes of {@code provider}'s package and a services file. */
    private static Path pluginJar(Path directory, Class<? extends PluginProvider> provider) throws IOException {
        Files.createDirectories(directory);
        Path jar = directory.resolve(provider.getSimpleName() + ".jar");
        Path classes = Path.of(provider.getProtectionDomain().getCodeSource().getLocation().getPath());
        String pkg = provider.getPackageName().replace('.', '/');
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(out);
             Stream<Path> files = Files.list(classes.resolve(pkg))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                jos.putNextEntry(new JarEntry(pkg + "/" + f.getFileName()));
                try (InputStream in = Files.newInputStream(f)) {
                    in.transferTo(jos);
                }
                jos.closeEntry();
            }
            jos.putNextEntry(new JarEntry(SERVICES));
            jos.write((provider.getName() + "\n").getBytes(StandardCharsets.UTF_8));
            jos.closeEntry();
        }
        return jar;
    }

    @Test
    void eachPluginDirectoryGetsItsOwnClassLoaderSharingOnlyTheSpi() throws Exception {
        pluginJar(dir.resolve("plugins/dir"), DirPluginProvider.class);
        try (PluginRegistry registry = PluginRegistry.load(HOST, List.of(dir.resolve("plugins")), List.of())) {
            LoadedPlugin dirPlugin = registry.get("dir").orElseThrow();
            assertThat(dirPlugin.location()).isEqualTo(dir.resolve("plugins/dir").toString());
            assertThat(dirPlugin.provider().getClass().getClassLoader()).isSameAs(dirPlugin.loader())
                    .isNotSameAs(HOST).isNotSameAs(getClass().getClassLoader());
            assertThat(dirPlugin.provider().getClass()).isNotSameAs(DirPluginProvider.class);
            assertThat(dirPlugin.loader().loadClass(PluginProvider.class.getName())).isSameAs(PluginProvider.class);
            assertThat(registry.types()).containsExactly("dir");
        }
    }

    @Test
    void aDirectoryHoldingJarsIsItselfAPluginDirectory() throws Exception {
        pluginJar(dir.resolve("one"), DirPluginProvider.class);
        try (PluginRegistry registry = PluginRegistry.load(HOST, List.of(dir.resolve("one")), List.of())) {
            assertThat(registry.get("dir")).isPresent();
        }
    }

    @Test
    void twoPluginsInOneRootClaimingOneTypeIsAnErrorNamingBoth() throws Exception {
        pluginJar(dir.resolve("plugins/a"), DirPluginProvider.class);
        pluginJar(dir.resolve("plugins/b"), DirPluginProvider.class);
        assertThatThrownBy(() -> PluginRegistry.load(HOST, List.of(dir.resolve("plugins")), List.of()))
                .isInstanceOf(PluginLoadException.class)
                .hasMessageContaining("two plugins claim type 'dir'")
                .hasMessageContaining(dir.resolve("plugins/a").toString())
                .hasMessageContaining(dir.resolve("plugins/b").toString());
    }

    @Test
    void whenTwoRootsProvideATypeTheFirstWins() throws Exception {
        pluginJar(dir.resolve("mine/dir"), DirPluginProvider.class);
        pluginJar(dir.resolve("bundled/dir"), DirPluginProvider.class);
        try (PluginRegistry registry = PluginRegistry.load(HOST, List.of(dir.resolve("mine")),
                List.of(dir.resolve("bundled")))) {
            assertThat(registry.get("dir").orElseThrow().location()).isEqualTo(dir.resolve("mine/dir").toString());
        }
    }

    @Test
    void aPluginDirectoryWithoutJarsIsAnError() throws Exception {
        pluginJar(dir.resolve("plugins/good"), DirPluginProvider.class);
        Files.createDirectories(dir.resolve("plugins/empty"));
        assertThatThrownBy(() -> PluginRegistry.load(HOST, List.of(dir.resolve("plugins")), List.of()))
                .isInstanceOf(PluginLoadException.class)
                .hasMessageContaining(dir.resolve("plugins/empty").toString())
                .hasMessageContaining("holds no jar");
    }

    @Test
    void jarsWithoutAProviderAreAnError() throws Exception {
        Path lib = Files.createDirectories(dir.resolve("plugins/lonely"));
        try (JarOutputStream jos = new JarOutputStream(Files.newOutputStream(lib.resolve("library.jar")))) {
            jos.putNextEntry(new JarEntry("README.txt"));
            jos.closeEntry();
        }
        assertThatThrownBy(() -> PluginRegistry.load(HOST, List.of(dir.resolve("plugins")), List.of()))
                .isInstanceOf(PluginLoadException.class)
                .hasMessageContaining(lib.toString())
                .hasMessageContaining("holds no plugin");
    }

    @Test
    void aPluginWhoseInitialisationThrowsIsReportedWithItsDirectoryAndCause() throws Exception {
        pluginJar(dir.resolve("plugins/broken"), ThrowingPluginProvider.class);
        assertThatThrownBy(() -> PluginRegistry.load(HOST, List.of(dir.resolve("plugins")), List.of()))
                .isInstanceOf(PluginLoadException.class)
                .hasMessageContaining(dir.resolve("plugins/broken").toString())
                .hasMessageContaining("failed to initialise");
    }

    @Test
    void aMissingPluginsDirectoryIsAnErrorButAMissingOptionalOneIsNot() throws Exception {
        assertThatThrownBy(() -> PluginRegistry.load(HOST, List.of(dir.resolve("nope")), List.of()))
                .isInstanceOf(PluginLoadException.class)
                .hasMessageContaining(dir.resolve("nope").toString());
        try (PluginRegistry registry = PluginRegistry.load(HOST, List.of(), List.of(dir.resolve("nope")))) {
            assertThat(registry.plugins()).isEmpty();
        }
    }

    @Test
    void theClassPathProvidesPluginsForLibraryUse() throws Exception {
        try (PluginRegistry registry = PluginRegistry.fromClassPath(getClass().getClassLoader())) {
            assertThat(registry.get("dir").orElseThrow().location()).isEqualTo("class path");
        }
    }
}
