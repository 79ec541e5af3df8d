package dev.ingest.plugin.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ingest.api.ConfigException;
import dev.ingest.api.ConfigKey;
import dev.ingest.api.PluginConfig;
import dev.ingest.api.PluginRole;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PushPluginProviderTest {

    private final PushPluginProvider provider = new PushPluginProvider();

    @Test
    void itIsARecordSourceWhoseTokenIsSecret() {
        assertThat(provider.type()).isEqualTo("http-push");
        assertThat(provider.roles()).containsExactly(PluginRole.SOURCE);
        assertThat(provider.readsRecords(PluginConfig.of("s", Map.of()))).isTrue();
        assertThat(provider.keys(PluginRole.SOURCE)).filteredOn(ConfigKey::secret).extracting(ConfigKey::name)
                .containsExactly("bearerToken");
        assertThat(provider.keys(PluginRole.SOURCE)).filteredOn(ConfigKey::required).extracting(ConfigKey::name)
                .containsExactly("listen");
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        assertThatThrownBy(() -> provider.createRecordSource(PluginConfig.of("s", Map.of(
                "listen", "localhost:99999", "path", "ingest", "maxBodyBytes", "lots", "timeField", "/a/~2",
                "attributes", Map.of("level", "/le~vel")))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("listen").hasMessageContaining("path").hasMessageContaining("maxBodyBytes")
                .hasMessageContaining("timeField").hasMessageContaining("attributes.level");
    }

    @Test
    void theTokenNeverShowsInTheSourcesDescription() throws Exception {
        Object source = provider.createRecordSource(PluginConfig.of("s", Map.of("listen", "127.0.0.1:0",
                "bearerToken", "hunter2")));
        assertThat(((PushSource) source).toString()).doesNotContain("hunter2");
    }
}
