package dev.ingest.core.plugin;

import java.net.URL;
import java.net.URLClassLoader;
import java.util.List;

/**
 * The class loader of one plugin directory: the plugin's jars, with the platform class loader as parent, so
 * that a plugin's dependencies never clash with the host's or another plugin's. Only the SPI package
 * ({@code dev.ingest.api}) and SLF4J come from the host, so that plugins and host agree on those types.
 */
final class PluginClassLoader extends URLClassLoader {

    static {
        ClassLoader.registerAsParallelCapable();
    }

    private static final List<String> SHARED = List.of("dev.ingest.api.", "org.slf4j.");

    private final ClassLoader host;

    PluginClassLoader(String name, URL[] jars, ClassLoader host) {
        super("plugin:" + name, jars, ClassLoader.getPlatformClassLoader());
        this.host = host;
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        for (String prefix : SHARED) {
            if (name.startsWith(prefix)) {
                return host.loadClass(name);
            }
        }
        return super.loadClass(name, resolve);
    }
}
