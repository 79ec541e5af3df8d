package dev.ingest.plugin.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ingest.core.config.ConfigLoader;
import dev.ingest.core.config.EnvExpander;
import dev.ingest.core.plugin.Configured;
import dev.ingest.core.plugin.PluginRegistry;
import dev.ingest.core.plugin.PluginSetup;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example configuration shipped in examples/ is valid for the real loader and plugins. */
class ExampleConfigIT {

    @TempDir
    Path out;

    @Test
    void theHttpToFileExampleLoadsAndConfiguresWithoutProblems() throws Exception {
        Path example = Path.of("..", "examples", "http-to-file.yaml");
        ConfigLoader.Parsed parsed = ConfigLoader.create(EnvExpander.of(Map.of("API_TOKEN", "example-token",
                "INGEST_OUTPUT", out.toString()))).load(example);
        assertThat(parsed.problems()).isEmpty();

        try (PluginRegistry registry = PluginRegistry.fromClassPath(getClass().getClassLoader());
             Configured configured = PluginSetup.configure(parsed, registry, true)) {
            assertThat(configured.workflows()).singleElement().satisfies(w -> assertThat(w.name()).isEqualTo("reports-to-disk"));
            assertThat(configured.source("reports-api").toString())
                    .isEqualTo("HttpSource[reports-api: https://api.example.com/v1/reports?per_page=100]");
        }
    }
}
