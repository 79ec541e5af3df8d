package dev.ingest.api;

import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * The entry point of a plugin, found with {@link java.util.ServiceLoader}: list the implementing class in
 * {@code META-INF/services/dev.ingest.api.PluginProvider}.
 *
 * <p>Lifecycle: instantiated once per process through a public no-argument constructor, which must do no work;
 * then asked for its type and keys, and to create any number of sources and destinations.
 *
 * <p>Thread-safety: implementations must be safe for concurrent use (they are usually stateless).
 */
public interface PluginProvider {

    /**
     * The type name used in configuration ({@code type: file}). Lower case, stable, unique among the loaded
     * plugins.
     *
     * @return the type
     */
    String type();

    /**
     * What this plugin can be configured as.
     *
     * @return a non-empty set of roles
     */
    Set<PluginRole> roles();

    /**
     * The configuration keys accepted in the given role (besides {@code name} and {@code type}, which the engine
     * handles). The engine reports keys outside this list and missing required keys before calling a factory.
     *
     * @param role one of {@link #roles()}
     * @return the keys
     */
    List<ConfigKey> keys(PluginRole role);

    /**
     * The plugin's version, shown by {@code ingest plugins}. The default reads the jar manifest's
     * {@code Implementation-Version}.
     *
     * @return the version, or {@code "unknown"}
     */
    default String version() {
        String version = getClass().getPackage().getImplementationVersion();
        return version == null ? "unknown" : version;
    }

    /**
     * Creates a source. Validates every value and reports all problems together through
     * {@link PluginConfig#validate()}. May contact the source to check that it is reachable and the
     * credentials work, so that mistakes show at start-up.
     *
     * @param config the validated keys of one {@code sources:} entry
     * @return a new source, owned (and eventually closed) by the caller
     * @throws ConfigException if the configuration is wrong; carries every problem found
     * @throws IOException if the source cannot be reached now
     * @throws UnsupportedOperationException if {@link #roles()} lacks {@link PluginRole#SOURCE}
     */
    default Source createSource(PluginConfig config) throws ConfigException, IOException {
        throw new UnsupportedOperationException("plugin type '" + type() + "' cannot be a source");
    }

    /**
     * Whether the {@code sources:} entry with this configuration is a record source, created with
     * {@link #createRecordSource(PluginConfig)}, rather than an object source ({@link #createSource(PluginConfig)}).
     * A plugin that can be both decides from the entry's keys (the file plugin: {@code tail: true}); one that only
     * reads records answers true. Both kinds are {@link PluginRole#SOURCE}s and declare their keys together in
     * {@link #keys(PluginRole) keys(SOURCE)}. Called before either factory, with keys not validated yet: decide from
     * one key and treat a value you cannot read as the default (the factory reports it).
     *
     * <p>The default is false: an object source.
     *
     * @param config the keys of one {@code sources:} entry
     * @return true for a record source
     */
    default boolean readsRecords(PluginConfig config) {
        return false;
    }

    /**
     * Creates a record source. Same contract as {@link #createSource(PluginConfig)}.
     *
     * @param config the validated keys of one {@code sources:} entry
     * @return a new record source, owned (and eventually closed) by the caller
     * @throws ConfigException if the configuration is wrong; carries every problem found
     * @throws IOException if the source cannot be reached now
     * @throws UnsupportedOperationException if the plugin reads no records (the default)
     */
    default RecordSource createRecordSource(PluginConfig config) throws ConfigException, IOException {
        throw new UnsupportedOperationException("plugin type '" + type() + "' cannot be a record source");
    }

    /**
     * Creates a destination. Same contract as {@link #createSource(PluginConfig)}.
     *
     * @param config the validated keys of one {@code destinations:} entry
     * @return a new destination, owned (and eventually closed) by the caller
     * @throws ConfigException if the configuration is wrong; carries every problem found
     * @throws IOException if the destination cannot be reached now
     * @throws UnsupportedOperationException if {@link #roles()} lacks {@link PluginRole#DESTINATION}
     */
    default Destination createDestination(PluginConfig config) throws ConfigException, IOException {
        throw new UnsupportedOperationException("plugin type '" + type() + "' cannot be a destination");
    }
}
