package dev.ingest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Where option values come from: flags, then {@code INGEST_<OPTION>} variables, then the configuration file's
 * {@code ingest:} block, then defaults. Each case gives an invalid value at one level, so that the error shows which
 * value won and where it came from.
 */
class OptionPrecedenceTest {

    @TempDir
    Path dir;

    private Path config;

    @BeforeEach
    void writeConfig() throws Exception {
        Files.createDirectories(dir.resolve("in"));
        Files.createDirectories(dir.resolve("out"));
        config = dir.resolve("ingest.yaml");
        write("queueEndpoint: file:4222x");
    }

    private void write(String block) throws Exception {
        Files.writeString(config, """
                ingest:
                  %s
                sources: [{name: s, type: file, path: %s}]
                destinations: [{name: d, type: file, path: %s}]
                workflows: [{name: w, source: s, destinations: [d]}]
                """.formatted(block, dir.resolve("in"), dir.resolve("out")));
    }

    @Test
    void theFileBlockSetsAnOptionAndAnErrorNamesTheFileAndKey() {
        CliRun r = CliRun.run("dlq", "list", "w", "--config", config.toString());

        assertThat(r.exitCode()).as(r.describe()).isEqualTo(ExitCode.USAGE);
        assertThat(r.err()).as(r.describe()).startsWith("ingest: --queue-endpoint 'file:4222x' is not a NATS URL")
                .contains("(from key ingest.queueEndpoint of " + config + " (line 2))");
    }

    @Test
    void theVariableWinsOverTheFileAndTheErrorNamesTheVariable() {
        CliRun r = CliRun.run(Map.of("INGEST_QUEUE_ENDPOINT", "env:4222x"), "dlq", "list", "w", "--config",
                config.toString());

        assertThat(r.exitCode()).as(r.describe()).isEqualTo(ExitCode.USAGE);
        assertThat(r.err()).as(r.describe()).startsWith("ingest: --queue-endpoint 'env:4222x' is not a NATS URL")
                .contains("(from environment variable INGEST_QUEUE_ENDPOINT)");
    }

    @Test
    void theFlagWinsOverTheVariableAndTheFile() {
        CliRun r = CliRun.run(Map.of("INGEST_QUEUE_ENDPOINT", "env:4222x"), "dlq", "list", "w", "--config",
                config.toString(), "--queue-endpoint", "flag:4222x");

        assertThat(r.exitCode()).as(r.describe()).isEqualTo(ExitCode.USAGE);
        assertThat(r.err()).as(r.describe()).startsWith("ingest: --queue-endpoint 'flag:4222x' is not a NATS URL")
                .doesNotContain("(from");
    }

    @Test
    void theConfigFileItselfComesFromIngestConfig() {
        CliRun r = CliRun.run(Map.of("INGEST_CONFIG", config.toString()), "status");

        assertThat(r.exitCode()).as(r.describe()).isEqualTo(ExitCode.USAGE);
        assertThat(r.err()).as(r.describe()).startsWith("ingest: --queue-endpoint 'file:4222x' is not a NATS URL")
                .contains("(from key ingest.queueEndpoint of " + config);

        CliRun missing = CliRun.run(Map.of("INGEST_CONFIG", dir.resolve("nope.yaml").toString()), "status");
        assertThat(missing.exitCode()).as(missing.describe()).isEqualTo(ExitCode.CONFIG);
        assertThat(missing.err()).as(missing.describe())
                .contains("nope.yaml (from environment variable INGEST_CONFIG) does not exist");
    }

    @Test
    void aValuePicocliCannotConvertNamesItsOrigin() throws Exception {
        CliRun fromEnv = CliRun.run(Map.of("INGEST_STREAM_REPLICAS", "abc"), "--mode=all", "--config",
                config.toString());
        assertThat(fromEnv.exitCode()).as(fromEnv.describe()).isEqualTo(ExitCode.USAGE);
        assertThat(fromEnv.err()).as(fromEnv.describe())
                .startsWith("ingest: Invalid value for option '--stream-replicas': 'abc' is not an int")
                .contains("(from environment variable INGEST_STREAM_REPLICAS)");

        write("streamReplicas: many");
        CliRun fromFile = CliRun.run("--mode=all", "--config", config.toString());
        assertThat(fromFile.exitCode()).as(fromFile.describe()).isEqualTo(ExitCode.USAGE);
        assertThat(fromFile.err()).as(fromFile.describe())
                .startsWith("ingest: Invalid value for option '--stream-replicas': 'many' is not an int")
                .contains("(from key ingest.streamReplicas of " + config + " (line 2))");
    }

    @Test
    void streamReplicasOutOfRangeOrAboveOneOnTheEmbeddedServerAreUsageErrorsThatSayWhy() throws Exception {
        write("streamReplicas: 3");
        for (String bad : List.of("0", "6")) {
            CliRun r = CliRun.run("--mode=all", "--once", "--config", config.toString(), "--stream-replicas", bad,
                    "--queue-endpoint", "nats://127.0.0.1:1");
            assertThat(r.exitCode()).as(r.describe()).isEqualTo(ExitCode.USAGE);
            assertThat(r.err()).as(r.describe())
                    .startsWith("ingest: --stream-replicas must be between 1 and 5, got " + bad + "\n");
        }

        CliRun embedded = CliRun.run("--mode=all", "--once", "--config", config.toString(), "--queue-endpoint",
                "embedded");
        assertThat(embedded.exitCode()).as(embedded.describe()).isEqualTo(ExitCode.USAGE);
        assertThat(embedded.err()).as(embedded.describe()).startsWith("ingest: --stream-replicas 3 needs a NATS "
                + "cluster of at least 3 servers, and --queue-endpoint=embedded is a single server: use "
                + "--stream-replicas 1, or name the cluster's servers in --queue-endpoint (from key "
                + "ingest.streamReplicas of " + config + " (line 2))");
    }

    @Test
    void theLogLevelComesFromItsVariable() {
        CliRun r = CliRun.run(Map.of("INGEST_LOG_LEVEL", "loud"), "plugins");

        assertThat(r.exitCode()).as(r.describe()).isEqualTo(ExitCode.USAGE);
        assertThat(r.err()).as(r.describe()).contains("unknown log level 'loud'")
                .contains("(from environment variable INGEST_LOG_LEVEL)");
    }

    @Test
    void aMistypedKeyInTheBlockIsAConfigurationErrorWithASuggestion() throws Exception {
        write("queueEndpont: nats://localhost:4222");

        CliRun r = CliRun.run("--mode=all", "--config", config.toString());

        assertThat(r.exitCode()).as(r.describe()).isEqualTo(ExitCode.CONFIG);
        assertThat(r.err()).as(r.describe()).contains("line 2: ingest.queueEndpont: unknown option (did you mean "
                + "'queueEndpoint'?)");
    }

    @Test
    void theFileBlockValueIsUsedWhenValidAndTheRunGoesOn() throws Exception {
        write("shutdownGrace: soon");

        CliRun r = CliRun.run("--mode=all", "--once", "--config", config.toString());

        assertThat(r.exitCode()).as(r.describe()).isEqualTo(ExitCode.USAGE);
        assertThat(r.err()).as(r.describe()).startsWith("ingest: --shutdown-grace 'soon' is not a duration")
                .contains("(from key ingest.shutdownGrace of " + config);
    }

    @Test
    void everyCommandsHelpNamesTheVariableOfEachOption() {
        CommandLine cl = IngestCommand.commandLine(new IngestCommand(null), Map.of());
        List<CommandLine> all = new java.util.ArrayList<>();
        collect(cl, all);
        for (CommandLine c : all) {
            String help = c.getUsageMessage(CommandLine.Help.Ansi.OFF);
            assertThat(help.split("Each option can also be set by an environment variable", -1))
                    .as("the section once in the help of '%s'", c.getCommandSpec().qualifiedName()).hasSize(2);
            for (OptionSpec o : c.getCommandSpec().options()) {
                if (!o.usageHelp() && !o.versionHelp()) {
                    String variable = "INGEST_" + o.longestName().substring(2).toUpperCase().replace('-', '_');
                    assertThat(help).as("help of '%s' names %s", c.getCommandSpec().qualifiedName(), variable)
                            .contains(variable);
                }
            }
        }
        assertThat(cl.getUsageMessage(CommandLine.Help.Ansi.OFF))
                .contains("INGEST_QUEUE_ENDPOINT", "ingest.queueEndpoint", "INGEST_LOG_LEVEL", "INGEST_CONFIG");
    }

    private static void collect(CommandLine cl, List<CommandLine> out) {
        out.add(cl);
        cl.getSubcommands().values().forEach(s -> collect(s, out));
    }
}
