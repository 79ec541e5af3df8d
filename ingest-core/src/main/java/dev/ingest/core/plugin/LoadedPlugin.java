package dev.ingest.core.plugin;

import dev.ingest.api.PluginProvider;
import java.util.Objects;

/**
 * A plugin found by {@link PluginRegistry}.
 *
 * @param provider its entry point
 * @param location where it was found: a plugin directory, or {@code class path}
 * @param loader the class loader its classes come from; set as the thread context class loader around every
 *     call into the plugin
 */
public record LoadedPlugin(PluginProvider provider, String location, ClassLoader loader) {

    /** Validates the fields. */
    public LoadedPlugin {
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(loader, "loader");
    }

    /** @return the plugin's type name */
    public String type() {
        return provider.type();
    }
}
