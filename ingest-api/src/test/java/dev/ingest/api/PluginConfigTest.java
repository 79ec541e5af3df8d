package dev.ingest.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PluginConfigTest {

    @Test
    void everyProblemIsReportedTogether() {
        PluginConfig config = PluginConfig.of("src", Map.of("recursive", "maybe", "batch", "x", "include", Map.of()));
        config.string("path");
        config.bool("recursive", true);
        config.number("batch", 1, 1);
        config.stringList("include");
        assertThatThrownBy(config::validate)
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        "path: is required",
                        "recursive: must be true or false, got 'maybe'",
                        "batch: must be a whole number, got 'x'",
                        "include: must be a list of strings, not a map"));
    }

    @Test
    void stringsFromEnvironmentExpansionParseAsBooleansAndNumbers() throws Exception {
        PluginConfig config = PluginConfig.of("src", Map.of("recursive", "false", "size", "42", "include", "*.txt"));
        assertThat(config.bool("recursive", true)).isFalse();
        assertThat(config.number("size", 1, 0)).isEqualTo(42);
        assertThat(config.stringList("include")).isEqualTo(List.of("*.txt"));
        config.validate();
    }

    @Test
    void numberBelowMinimumIsAProblem() {
        PluginConfig config = PluginConfig.of("d", Map.of("partSize", 0));
        config.number("partSize", 5, 1);
        assertThat(config.problems()).containsExactly("partSize: must be at least 1, got 0");
    }
}
