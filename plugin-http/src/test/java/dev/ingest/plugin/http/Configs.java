package dev.ingest.plugin.http;

import dev.ingest.api.PluginConfig;

import java.util.LinkedHashMap;
import java.util.Map;

/** Builds plugin configurations for tests. */
final class Configs {

    private Configs() {
    }

    /**
     * @param name the source's or destination's name
     * @param keysAndValues alternating keys and values
     * @return the configuration
     */
    static PluginConfig config(String name, Object... keysAndValues) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            values.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return PluginConfig.of(name, values);
    }
}
