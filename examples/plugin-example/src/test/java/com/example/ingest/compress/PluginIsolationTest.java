package com.example.ingest.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ingest.api.Codec;
import dev.ingest.api.Scan;
import dev.ingest.api.PluginProvider;
import dev.ingest.api.Source;
import dev.ingest.core.config.ConfigLoader;
import dev.ingest.core.config.EnvExpander;
import dev.ingest.core.plugin.Configured;
import dev.ingest.core.plugin.LoadedPlugin;
import dev.ingest.core.plugin.PluginRegistry;
import dev.ingest.core.plugin.PluginSetup;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two plugins that bundle different versions of one library (commons-lang3, copied into {@code target/} by the
 * build) work side by side in one process, each seeing its own version, and neither leaks into the
 * application's class path. The application itself has yet another commons-lang3 on its class path (it comes
 * with commons-compress), which neither plugin sees either.
 *
 * <p>The two plugins are built here: a provider compiled with the JDK compiler against the SPI and its version
 * of the library, packed into a jar with its {@code META-INF/services} entry, and put in a plugin directory next
 * to the library's jar. They are then loaded the way the launcher loads {@code --plugins DIR}: with
 * {@link PluginRegistry#load} over a directory of plugin directories, and configured through
 * {@link PluginSetup}, so that calls go through the engine's isolation wrapper.
 */
class PluginIsolationTest {

    private static final String LIBRARY_CLASS = "org.apache.commons.lang3.StringUtils";

    @TempDir
    Path tmp;

    /** A provider of type probe-LABEL whose source lists one object telling which commons-lang3 it sees. */
    private static String providerSource(String label) {
        return """
                package probe.%1$s;

                import dev.ingest.api.Blob;
                import dev.ingest.api.Codec;
                import dev.ingest.api.ConfigKey;
                import dev.ingest.api.PluginConfig;
                import dev.ingest.api.PluginProvider;
                import dev.ingest.api.PluginRole;
                import dev.ingest.api.Source;
                import java.io.ByteArrayInputStream;
                import java.nio.file.Path;
                import java.util.List;
                import java.util.Optional;
                import java.util.Set;
                import org.apache.commons.lang3.StringUtils;

                public final class ProbeProvider implements PluginProvider {
                    @Override public String type() { return "probe-%1$s"; }
                    @Override public Set<PluginRole> roles() { return Set.of(PluginRole.SOURCE); }
                    @Override public List<ConfigKey> keys(PluginRole role) { return List.of(); }

                    /** The commons-lang3 version this plugin's classes link against. */
                    @Override public String version() {
                        return StringUtils.class.getPackage().getImplementationVersion();
                    }

                    @Override public Source createSource(PluginConfig config) {
                        return new Source() {
                            private boolean listed;
                            @Override public void reset() { listed = false; }
                            @Override public Optional<Codec> next() {
                                if (listed) {
                                    return Optional.empty();
                                }
                                listed = true;
                                try {
                                    // What a library that loads classes through the context class loader sees.
                                    Class<?> viaContext = Thread.currentThread().getContextClassLoader()
                                            .loadClass("org.apache.commons.lang3.StringUtils");
                                    String jar = Path.of(StringUtils.class.getProtectionDomain().getCodeSource()
                                            .getLocation().toURI()).getFileName().toString();
                                    return Optional.of(Codec.of(
                                            "direct:" + StringUtils.class.getPackage().getImplementationVersion(),
                                            "context:" + viaContext.getPackage().getImplementationVersion(),
                                            StringUtils.capitalize(jar), -1));
                                } catch (Exception e) {
                                    throw new IllegalStateException(e);
                                }
                            }
                            @Override public Blob download(Codec codec) {
                                return Blob.of(new ByteArrayInputStream(new byte[0]), 0, null);
                            }
                            @Override public void cleanUp(Codec codec) {
                            }
                        };
                    }
                }
                """.formatted(label);
    }

    /** Builds plugins/probe-LABEL/ holding probe-LABEL.jar and commons-lang3-VERSION.jar. */
    private Path buildPlugin(Path pluginsRoot, String label, String version) throws Exception {
        Path library = Path.of(System.getProperty("isolation.libs"), "commons-lang3-" + version + ".jar");
        assertThat(library).as("copied by maven-dependency-plugin (isolation-libraries)").isRegularFile();

        Path src = Files.createDirectories(tmp.resolve("src-" + label + "/probe/" + label));
        Files.writeString(src.resolve("ProbeProvider.java"), providerSource(label));
        Path classes = Files.createDirectories(tmp.resolve("classes-" + label));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertThat(javac).as("a JDK compiler (run the tests on a JDK, not a JRE)").isNotNull();
        StringWriter diagnostics = new StringWriter();
        int rc = javac.run(null, null, new java.io.PrintStream(OutputStream.nullOutputStream()) {
            @Override
            public void write(byte[] b, int off, int len) {
                diagnostics.write(new String(b, off, len, StandardCharsets.UTF_8));
            }
        }, "--release", "17", "-proc:none",
                "-classpath", codeSource(PluginProvider.class) + java.io.File.pathSeparator + library,
                "-d", classes.toString(), src.resolve("ProbeProvider.java").toString());
        assertThat(rc).as("javac: %s", diagnostics).isZero();

        Path dir = Files.createDirectories(pluginsRoot.resolve("probe-" + label));
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(dir.resolve("probe-" + label + ".jar")));
             Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                jar.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                Files.copy(f, jar);
                jar.closeEntry();
            }
            jar.putNextEntry(new JarEntry("META-INF/services/" + PluginProvider.class.getName()));
            jar.write(("probe." + label + ".ProbeProvider\n").getBytes(StandardCharsets.UTF_8));
            jar.closeEntry();
        }
        Files.copy(library, dir.resolve(library.getFileName()));
        return dir;
    }

    private static String codeSource(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    @Test
    void twoPluginsWithDifferentVersionsOfOneLibraryEachSeeTheirOwn() throws Exception {
        String oldVersion = System.getProperty("isolation.old.version");
        String newVersion = System.getProperty("isolation.new.version");
        assertThat(oldVersion).isNotBlank().isNotEqualTo(newVersion);
        Path root = Files.createDirectories(tmp.resolve("plugins"));
        Path oldDir = buildPlugin(root, "older", oldVersion);
        Path newDir = buildPlugin(root, "newer", newVersion);
        ClassLoader app = getClass().getClassLoader();

        try (PluginRegistry registry = PluginRegistry.load(app, List.of(root), List.of())) {
            LoadedPlugin oldPlugin = registry.get("probe-older").orElseThrow();
            LoadedPlugin newPlugin = registry.get("probe-newer").orElseThrow();
            assertThat(oldPlugin.location()).isEqualTo(oldDir.toString());
            assertThat(newPlugin.location()).isEqualTo(newDir.toString());
            assertThat(registry.get("compress")).as("the class path's plugin is found too").get()
                    .extracting(LoadedPlugin::location).isEqualTo("class path");

            // Each provider links against its own copy of the library...
            assertThat(oldPlugin.provider().version()).isEqualTo(oldVersion);
            assertThat(newPlugin.provider().version()).isEqualTo(newVersion);
            Class<?> oldLib = Class.forName(LIBRARY_CLASS, false, oldPlugin.loader());
            Class<?> newLib = Class.forName(LIBRARY_CLASS, false, newPlugin.loader());
            assertThat(oldLib).isNotSameAs(newLib);
            assertThat(oldLib.getClassLoader()).isSameAs(oldPlugin.loader());
            assertThat(newLib.getClassLoader()).isSameAs(newPlugin.loader());
            // ...while both share the host's SPI, so that the engine can call them.
            assertThat(Class.forName(PluginProvider.class.getName(), false, oldPlugin.loader())).isSameAs(PluginProvider.class);

            // Through the engine's configuration and isolation wrapper, as a workflow would use them.
            String yaml = """
                    sources:
                      - name: old
                        type: probe-older
                      - name: new
                        type: probe-newer
                    destinations:
                      - name: archive
                        type: compress
                        path: "%s"
                    workflows:
                      - name: from-old
                        source: old
                        destinations: [archive]
                      - name: from-new
                        source: new
                        destinations: [archive]
                    """.formatted(tmp.resolve("archive"));
            ConfigLoader.Parsed parsed = ConfigLoader.create(EnvExpander.of(Map.of())).parse(yaml, "isolation.yaml");
            try (Configured configured = PluginSetup.configure(parsed, registry, true)) {
                assertThat(probe(configured.source("old")))
                        .isEqualTo(Codec.of("direct:" + oldVersion, "context:" + oldVersion,
                                "Commons-lang3-" + oldVersion + ".jar", -1));
                assertThat(probe(configured.source("new")))
                        .isEqualTo(Codec.of("direct:" + newVersion, "context:" + newVersion,
                                "Commons-lang3-" + newVersion + ".jar", -1));
            }
        }

        // Nothing of either plugin leaks into the application's class path.
        assertThatThrownBy(() -> Class.forName("probe.older.ProbeProvider", false, app))
                .isInstanceOf(ClassNotFoundException.class);
        assertThatThrownBy(() -> Class.forName("probe.newer.ProbeProvider", false, app))
                .isInstanceOf(ClassNotFoundException.class);
        assertThat(System.getProperty("java.class.path")).doesNotContain(root.toString());
        Class<?> hostLib;
        try {
            hostLib = Class.forName(LIBRARY_CLASS, false, app);
        } catch (ClassNotFoundException e) {
            return; // the application has no copy of its own: nothing more to compare
        }
        assertThat(Path.of(codeSource(hostLib))).as("the application's commons-lang3").satisfies(p -> {
            assertThat(p.startsWith(root)).isFalse();
            assertThat(p.getFileName().toString()).doesNotContain("-" + oldVersion + ".jar", "-" + newVersion + ".jar");
        });
    }

    private static Codec probe(Source source) throws IOException {
        Scan scan = source.scan();
        Codec codec = scan.next().orElseThrow();
        assertThat(scan.next()).isEmpty();
        return codec;
    }
}
