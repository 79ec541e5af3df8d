package dev.ingest.core.testplugin;

import dev.ingest.api.ConfigKey;
import dev.ingest.api.PluginProvider;
import dev.ingest.api.PluginRole;
import java.util.List;
import java.util.Set;

/** A plugin whose initialisation fails, for the registry's error messages. Not registered on the class path. */
public final class ThrowingPluginProvider implements PluginProvider {

    /** Fails, as a plugin with a broken static set-up or missing dependency would. */
    public ThrowingPluginProvider() {
        throw new IllegalStateException("cannot find its native library");
    }

    @Override
    public String type() {
        return "broken";
    }

    @Override
    public Set<PluginRole> roles() {
        return Set.of(PluginRole.SOURCE);
    }

    @Override
    public List<ConfigKey> keys(PluginRole role) {
        return List.of();
    }
}
