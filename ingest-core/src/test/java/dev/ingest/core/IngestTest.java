package dev.ingest.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ingest.core.config.InvalidConfigException;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Ingest}'s builder, without a NATS server: configuration problems fail before NATS is contacted. */
class IngestTest {

    @TempDir
    Path tmp;

    /** A URL where nothing listens: reaching NATS would fail with an IOException, not a config problem. */
    private static String deadUrl() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return "nats://127.0.0.1:" + s.getLocalPort();
        }
    }

    private String validYaml() throws IOException {
        Path in = Files.createDirectories(tmp.resolve("in"));
        return """
                sources: [{name: in, type: dir, path: '%s'}]
                destinations: [{name: out, type: dir, path: '%s'}]
                workflows: [{name: copy, source: in, destinations: [out]}]
                """.formatted(in, tmp.resolve("out"));
    }

    @Test
    void anInvalidConfigurationFailsWithEveryProblemBeforeNatsIsContacted() throws Exception {
        String yaml = """
                sources:
                - name: in
                  type: ftp
                destinations: [{name: out, type: dir, path: '%s'}]
                workflows:
                - name: copy
                  source: in
                  destinations: [out, missing]
                  interval: tenminutes
                """.formatted(tmp.resolve("out"));
        InvalidConfigException e = catchThrowableOfType(InvalidConfigException.class,
                () -> Ingest.builder().config(yaml).origin("test.yaml").natsUrl(deadUrl()).build());
        assertThat(e.source()).isEqualTo("test.yaml");
        assertThat(e.problems()).extracting(p -> p.path() + ": " + p.message()).containsExactly(
                "sources[0].type: unknown plugin type 'ftp' (available: dir, gen)",
                "workflows[0].destinations[1]: destination 'missing' is not defined (defined destinations: out)",
                "workflows[0].interval: 'tenminutes' is not a duration (write e.g. 30s, 5m, 1h or 1h30m)");
        assertThat(e.problems()).extracting(p -> p.line()).containsExactly(3, 8, 9);
    }

    @Test
    void yamlThatIsNotYamlIsAConfigurationProblem() {
        assertThatThrownBy(() -> Ingest.builder().config("sources: [unclosed").natsUrl(deadUrl()).build())
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("not valid YAML");
    }

    @Test
    void variablesComeFromTheGivenMapAndAnUnsetOneIsAProblem() throws Exception {
        String yaml = """
                sources: [{name: in, type: dir, path: '${IN}'}]
                destinations: [{name: out, type: dir, path: '${OUT}'}]
                workflows: [{name: copy, source: in, destinations: [out]}]
                """;
        Files.createDirectories(tmp.resolve("in"));
        assertThatThrownBy(() -> Ingest.builder().config(yaml).variables(Map.of("IN", tmp.resolve("in").toString()))
                .natsUrl(deadUrl()).build())
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("environment variable OUT is not set");
        // With every variable set, the configuration is fine: what fails is the connection.
        assertThatThrownBy(() -> Ingest.builder().config(yaml)
                .variables(Map.of("IN", tmp.resolve("in").toString(), "OUT", tmp.resolve("out").toString()))
                .natsUrl(deadUrl()).build())
                .isInstanceOf(IOException.class)
                .hasMessageContaining("cannot connect to NATS");
    }

    @Test
    void aMissingConfigurationFileIsAnIOException() {
        assertThatThrownBy(() -> Ingest.builder().config(tmp.resolve("absent.yaml")).natsUrl(deadUrl()).build())
                .isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void anInvalidConfigurationFileNamesTheFile() throws Exception {
        Path file = tmp.resolve("bad.yaml");
        Files.writeString(file, "sources: []\ndestinations: []\nworkflows: []\nextra: 1\n");
        InvalidConfigException e = catchThrowableOfType(InvalidConfigException.class,
                () -> Ingest.builder().config(file).natsUrl(deadUrl()).build());
        assertThat(e.source()).isEqualTo(file.toString());
        assertThat(e.getMessage()).contains("extra: unknown key");
    }

    @Test
    void anUnreachableServerIsAnIOExceptionNamingIt() throws Exception {
        String url = deadUrl();
        assertThatThrownBy(() -> Ingest.builder().config(validYaml()).natsUrl(url).build())
                .isInstanceOf(IOException.class)
                .hasMessageContaining(url);
    }

    @Test
    void theConfigurationAndTheServerAreRequired() throws Exception {
        assertThatThrownBy(() -> Ingest.builder().natsUrl("nats://localhost:4222").build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no configuration");
        assertThatThrownBy(() -> Ingest.builder().config(validYaml()).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no NATS server");
    }

    @Test
    void settingsAreCheckedWhenSet() {
        assertThatThrownBy(() -> Ingest.builder().ackWait(Duration.ofMillis(500)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Ingest.builder().shutdownGrace(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Ingest.builder().config((String) null)).isInstanceOf(NullPointerException.class);
    }
}
