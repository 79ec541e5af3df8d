package dev.ingest.plugin.s3;

import dev.ingest.core.config.ConfigLoader;
import dev.ingest.core.config.EnvExpander;
import dev.ingest.core.engine.IngestEngine;
import dev.ingest.core.engine.Mode;
import dev.ingest.core.engine.RunSummary;
import dev.ingest.core.plugin.Configured;
import dev.ingest.core.plugin.PluginRegistry;
import dev.ingest.core.plugin.PluginSetup;
import dev.ingest.core.queue.JetStreamQueue;
import dev.ingest.core.queue.QueueSettings;
import java.time.Duration;

/**
 * Runs the engine in-process, once, the way the launcher does with {@code --once}: load the configuration,
 * load plugins from the class path (file and s3 here), configure them, connect to JetStream and run.
 */
final class EngineRunner {

    private EngineRunner() {
    }

    /**
     * Queue settings with their own stream, subjects and consumers, so runs do not see each other's messages.
     *
     * @param natsUrl the server
     * @param prefix the name of the stream, subject prefix and consumer prefix
     * @return the settings
     */
    static QueueSettings settings(String natsUrl, String prefix) {
        return new QueueSettings(natsUrl, prefix, prefix, prefix, 1, -1, Duration.ofMinutes(2), Duration.ofSeconds(30));
    }

    /**
     * @param yaml the configuration
     * @param env the variables {@code ${VAR}} expands to
     * @param settings the queue
     * @param mode what to run
     * @return the run's summary
     * @throws IllegalArgumentException if the configuration has problems the loader finds
     * @throws dev.ingest.core.config.InvalidConfigException if a plugin refuses its configuration
     */
    static RunSummary runOnce(String yaml, EnvExpander env, QueueSettings settings, Mode mode) throws Exception {
        return runOnce(yaml, env, settings, mode, PluginRegistry.fromClassPath(EngineRunner.class.getClassLoader()));
    }

    /**
     * As {@link #runOnce(String, EnvExpander, QueueSettings, Mode)}, with the given plugins.
     *
     * @param registry the plugins; closed here
     */
    static RunSummary runOnce(String yaml, EnvExpander env, QueueSettings settings, Mode mode, PluginRegistry registry)
            throws Exception {
        ConfigLoader.Parsed parsed = ConfigLoader.create(env).parse(yaml, "test.yaml");
        if (!parsed.problems().isEmpty()) {
            registry.close();
            throw new IllegalArgumentException("configuration problems: " + parsed.problems());
        }
        try (registry;
             Configured configured = PluginSetup.configure(parsed, registry, true);
             JetStreamQueue queue = JetStreamQueue.connect(settings)) {
            return IngestEngine.builder().configured(configured).queue(queue).mode(mode).once(true)
                    .shutdownGrace(Duration.ofSeconds(5)).build().run();
        }
    }
}
