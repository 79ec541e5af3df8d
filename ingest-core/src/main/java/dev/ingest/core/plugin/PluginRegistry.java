package dev.ingest.core.plugin;

import dev.ingest.api.PluginProvider;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds plugins: the {@link PluginProvider}s on the class path (library use, tests) and those in plugin
 * directories, each directory with its own {@link PluginClassLoader}. This is the one place that calls
 * {@link ServiceLoader}.
 *
 * <p>A plugin root is either a plugin directory itself (it holds jars) or a directory of plugin directories
 * ({@code plugins/s3/*.jar}, {@code plugins/file/*.jar}). Roots are searched in the order given; when two roots
 * provide the same type the first wins, as in the original tool. Two plugins in one root claiming the same type
 * is an error. Closing the registry closes the plugin class loaders.
 */
public final class PluginRegistry implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PluginRegistry.class);

    private final Map<String, LoadedPlugin> plugins;
    private final List<URLClassLoader> loaders;

    private PluginRegistry(Map<String, LoadedPlugin> plugins, List<URLClassLoader> loaders) {
        this.plugins = plugins;
        this.loaders = loaders;
    }

    /**
     * Loads the plugins on the class path only.
     *
     * @param classPath the loader to search, usually the application's
     * @return the registry
     * @throws PluginLoadException if two plugins claim one type or a provider cannot be instantiated
     */
    public static PluginRegistry fromClassPath(ClassLoader classPath) throws PluginLoadException {
        return load(classPath, List.of(), List.of());
    }

    /**
     * Loads the plugins on the class path, then those of each root.
     *
     * @param classPath the loader to search first, and the host of the shared SPI classes
     * @param roots plugin roots that must exist, in priority order (e.g. {@code --plugins} directories)
     * @param optionalRoots plugin roots searched after {@code roots} and skipped when missing
     * @return the registry
     * @throws PluginLoadException naming the directory at fault
     */
    public static PluginRegistry load(ClassLoader classPath, List<Path> roots, List<Path> optionalRoots)
            throws PluginLoadException {
        Map<String, LoadedPlugin> plugins = new LinkedHashMap<>();
        List<URLClassLoader> loaders = new ArrayList<>();
        try {
            for (PluginProvider p : providers(ServiceLoader.load(PluginProvider.class, classPath), "class path")) {
                claim(plugins, new LoadedPlugin(p, "class path", classPath), true);
            }
            List<Path> all = new ArrayList<>(roots);
            for (Path root : roots) {
                if (!Files.isDirectory(root)) {
                    throw new PluginLoadException("plugin directory " + root + " does not exist or is not a directory");
                }
            }
            for (Path root : optionalRoots) {
                if (Files.isDirectory(root)) {
                    all.add(root);
                }
            }
            for (Path root : all) {
                Map<String, LoadedPlugin> fromRoot = new LinkedHashMap<>();
                for (Path dir : pluginDirectories(root)) {
                    URLClassLoader loader = new PluginClassLoader(dir.getFileName().toString(), jars(dir), classPath);
                    loaders.add(loader);
                    List<PluginProvider> found = providers(ServiceLoader.load(PluginProvider.class, loader), dir.toString());
                    if (found.isEmpty()) {
                        throw new PluginLoadException("plugin directory " + dir + " holds no plugin: none of its jars lists a "
                                + PluginProvider.class.getName() + " in META-INF/services");
                    }
                    for (PluginProvider p : found) {
                        claim(fromRoot, new LoadedPlugin(p, dir.toString(), loader), false);
                    }
                }
                for (LoadedPlugin p : fromRoot.values()) {
                    claim(plugins, p, true);
                }
            }
        } catch (PluginLoadException | RuntimeException e) {
            closeAll(loaders);
            throw e;
        }
        return new PluginRegistry(plugins, loaders);
    }

    private static void claim(Map<String, LoadedPlugin> plugins, LoadedPlugin p, boolean firstWins)
            throws PluginLoadException {
        LoadedPlugin existing = plugins.get(p.type());
        if (existing == null) {
            plugins.put(p.type(), p);
        } else if (firstWins) {
            LOG.info("plugin type '{}' from {} is shadowed by the one from {}", p.type(), p.location(), existing.location());
        } else {
            throw new PluginLoadException("two plugins claim type '" + p.type() + "': "
                    + existing.location() + " and " + p.location());
        }
    }

    private static List<PluginProvider> providers(ServiceLoader<PluginProvider> loader, String where)
            throws PluginLoadException {
        List<PluginProvider> out = new ArrayList<>();
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        try {
            for (ServiceLoader.Provider<PluginProvider> provider : loader.stream().toList()) {
                PluginProvider p = provider.get();
                Thread.currentThread().setContextClassLoader(p.getClass().getClassLoader());
                String type = p.type();
                if (type == null || type.isBlank() || p.roles() == null || p.roles().isEmpty()) {
                    throw new PluginLoadException("plugin " + p.getClass().getName() + " in " + where
                            + " declares no type or no roles");
                }
                out.add(p);
            }
        } catch (ServiceConfigurationError | LinkageError e) {
            throw new PluginLoadException("a plugin in " + where + " failed to initialise: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new PluginLoadException("a plugin in " + where + " failed to initialise: " + e, e);
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
        }
        return out;
    }

    private static List<Path> pluginDirectories(Path root) throws PluginLoadException {
        try {
            if (hasJars(root)) {
                return List.of(root);
            }
            List<Path> dirs = new ArrayList<>();
            try (Stream<Path> children = Files.list(root)) {
                for (Path child : children.sorted().toList()) {
                    if (Files.isDirectory(child)) {
                        if (!hasJars(child)) {
                            throw new PluginLoadException("plugin directory " + child + " holds no jar files");
                        }
                        dirs.add(child);
                    }
                }
            }
            return dirs;
        } catch (IOException e) {
            throw new PluginLoadException("cannot read plugin directory " + root + ": " + e.getMessage(), e);
        }
    }

    private static boolean hasJars(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.anyMatch(PluginRegistry::isJar);
        }
    }

    private static boolean isJar(Path p) {
        return p.getFileName().toString().endsWith(".jar") && Files.isRegularFile(p);
    }

    private static URL[] jars(Path dir) throws PluginLoadException {
        try (Stream<Path> files = Files.list(dir)) {
            List<URL> urls = new ArrayList<>();
            for (Path jar : files.filter(PluginRegistry::isJar).sorted().toList()) {
                urls.add(jar.toUri().toURL());
            }
            return urls.toArray(URL[]::new);
        } catch (IOException e) {
            throw new PluginLoadException("cannot read plugin directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * @param type a plugin type
     * @return the plugin providing it
     */
    public Optional<LoadedPlugin> get(String type) {
        return Optional.ofNullable(plugins.get(type));
    }

    /** @return every plugin, in the order found */
    public Collection<LoadedPlugin> plugins() {
        return plugins.values();
    }

    /** @return the known types, sorted */
    public SortedSet<String> types() {
        return new TreeSet<>(plugins.keySet());
    }

    /** Closes the plugin class loaders. Idempotent. */
    @Override
    public void close() {
        closeAll(loaders);
        loaders.clear();
    }

    private static void closeAll(List<URLClassLoader> loaders) {
        for (URLClassLoader l : loaders) {
            try {
                l.close();
            } catch (IOException e) {
                LOG.warn("closing plugin class loader {} failed: {}", l.getName(), e.toString());
            }
        }
    }

}
