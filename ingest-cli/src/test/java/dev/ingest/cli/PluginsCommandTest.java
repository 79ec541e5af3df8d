package dev.ingest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/** {@code ingest plugins --json} and {@code --keys}: the plugins on the class path with their keys. */
class PluginsCommandTest {

    @Test
    void jsonListsEachPluginWithTheKeysOfEachRole() throws Exception {
        CliRun r = CliRun.run("plugins", "--json");

        assertThat(r.exitCode()).as(r.describe()).isZero();
        JsonNode plugins = new ObjectMapper().readTree(r.out());
        JsonNode file = StreamSupport.stream(plugins.spliterator(), false)
                .filter(p -> p.get("type").asText().equals("file")).findFirst().orElseThrow();
        assertThat(file.get("roles")).extracting(JsonNode::asText).containsExactly("source", "destination");
        assertThat(file.get("version").asText()).isNotBlank();
        JsonNode path = StreamSupport.stream(file.get("keys").get("source").spliterator(), false)
                .filter(k -> k.get("name").asText().equals("path")).findFirst().orElseThrow();
        assertThat(path.get("required").asBoolean()).isTrue();
        assertThat(path.get("secret").asBoolean()).isFalse();
        assertThat(path.get("description").asText()).contains("directory");
        JsonNode http = StreamSupport.stream(plugins.spliterator(), false)
                .filter(p -> p.get("type").asText().equals("http")).findFirst().orElseThrow();
        assertThat(http.get("keys").get("source")).anySatisfy(k -> {
            assertThat(k.get("name").asText()).isEqualTo("bearerToken");
            assertThat(k.get("secret").asBoolean()).isTrue();
        });
    }

    @Test
    void keysListsThemAsText() {
        CliRun r = CliRun.run("plugins", "--keys");

        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.out()).contains("  source keys:", "  destination keys:")
                .containsPattern("    path +required; directory to copy files from")
                .containsPattern("    recursive +whether to list subdirectories too \\(default true\\)");
    }
}
