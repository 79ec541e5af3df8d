package dev.ingest.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code ${VAR}} in a configuration file: variables are expanded after the YAML is parsed, so whatever a value holds
 * stays one string where the reference stood.
 */
class ConfigVariablesTest {

    private static final String YAML = """
            sources:
              - name: src
                type: file
                path: ${V}
                label: before ${V} after
                tags: ['${V}', fixed]
            destinations:
              - name: dst
                type: file
                path: /out
            workflows:
              - name: wf
                source: src
                destinations: [dst]
            """;

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {
        "key: value",
        "a: b\nc: d",
        "- x",
        "x\n- y\n- z",
        "{a: b}",
        "[1, 2]",
        "x\ndestinations:\n  - name: injected\n    type: file\n    path: /evil",
        "'quoted'",
        "\"double\"",
        "&anchor value",
        "*alias",
        "!!int 5",
        "# not a comment",
        "|\n  block",
        "---\nx: y",
        "42",
        "true",
        "null",
        "~",
        ""})
    void aValueCannotInjectYamlStructure(String value) {
        ConfigLoader.Parsed parsed = ConfigLoader.create(EnvExpander.of(Map.of("V", value))).parse(YAML, "test.yaml");

        assertThat(parsed.problems()).isEmpty();
        IngestConfig config = parsed.config();
        assertThat(config.sources()).singleElement().satisfies(s -> assertThat(s.options()).containsExactly(
                Map.entry("path", value),
                Map.entry("label", "before " + value + " after"),
                Map.entry("tags", List.of(value, "fixed"))));
        assertThat(config.destinations()).singleElement().satisfies(d -> {
            assertThat(d.name()).isEqualTo("dst");
            assertThat(d.options()).containsExactly(Map.entry("path", "/out"));
        });
        assertThat(config.workflows()).singleElement().satisfies(w -> {
            assertThat(w.name()).isEqualTo("wf");
            assertThat(w.destinations()).containsExactly("dst");
        });
    }
}
