package dev.ingest.core.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One entry of {@code sources:} or {@code destinations:}: a name, a plugin type and the plugin's own keys.
 *
 * @param name unique among the sources (or destinations)
 * @param type the plugin type, e.g. {@code file} or {@code s3}
 * @param options every other key of the entry, after {@code ${VAR}} expansion
 * @param path where the entry is in the file, e.g. {@code sources[0]}
 */
public record PluginEntry(String name, String type, Map<String, Object> options, String path) {

    /** Validates and copies the fields. */
    public PluginEntry {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(path, "path");
        options = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(options, "options")));
    }

    /** Names the keys but prints no value: some are credentials, and only the plugin knows which. */
    @Override
    public String toString() {
        return "PluginEntry[name=" + name + ", type=" + type + ", keys=" + options.keySet() + ", path=" + path + "]";
    }
}
