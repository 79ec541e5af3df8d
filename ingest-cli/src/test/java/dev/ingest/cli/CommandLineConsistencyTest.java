package dev.ingest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line's usage errors, help and version, alike at the top level and in every subcommand. */
class CommandLineConsistencyTest {

    private static final List<List<String>> COMMANDS = List.of(List.of(), List.of("status"), List.of("dlq"),
            List.of("dlq", "list"), List.of("dlq", "replay"), List.of("dlq", "delete"), List.of("dlq", "purge"),
            List.of("plugins"));

    @TempDir
    Path dir;

    private static String[] args(List<String> command, String... more) {
        return java.util.stream.Stream.concat(command.stream(), java.util.Arrays.stream(more)).toArray(String[]::new);
    }

    @Test
    void anUnknownOptionIsOneLinePlusAHintWithExitCode2InEveryCommand() {
        for (List<String> command : COMMANDS) {
            List<String> positional = command.size() == 2 ? List.of("w", "1") : List.of();
            if (command.equals(List.of("dlq", "list")) || command.equals(List.of("dlq", "purge"))) {
                positional = List.of("w");
            }
            CliRun r = CliRun.run(args(command, java.util.stream.Stream.concat(positional.stream(),
                    java.util.stream.Stream.of("--no-such-flag")).toArray(String[]::new)));

            assertThat(r.exitCode()).as(r.describe()).isEqualTo(ExitCode.USAGE);
            assertThat(r.err().lines().toList()).as(r.describe()).hasSize(2);
            assertThat(r.err()).as(r.describe()).startsWith("ingest: Unknown option: '--no-such-flag'")
                    .contains("Try '" + String.join(" ", args(List.of("ingest"), command.toArray(String[]::new)))
                            + " --help' for more information.");
            assertThat(r.out()).as(r.describe()).isEmpty();
        }
    }

    @Test
    void aMistypedOptionGetsASuggestion() {
        CliRun r = CliRun.run("--queue-endpont=nats://x:4222");

        assertThat(r.exitCode()).as(r.describe()).isEqualTo(ExitCode.USAGE);
        assertThat(r.err()).as(r.describe()).contains("did you mean --queue-endpoint");
        assertThat(r.err().lines().count()).as(r.describe()).isEqualTo(2);
    }

    @Test
    void aBadValueIsOneLineNotTheHelp() {
        CliRun r = CliRun.run("--mode=sideways");

        assertThat(r.exitCode()).as(r.describe()).isEqualTo(ExitCode.USAGE);
        assertThat(r.err()).as(r.describe()).startsWith("ingest: Invalid value for option '--mode'");
        assertThat(r.err().lines().count()).as(r.describe()).isEqualTo(2);
    }

    @Test
    void dashCapitalVPrintsTheVersionAtTheTopLevelAsInSubcommands() {
        for (List<String> command : COMMANDS) {
            CliRun r = CliRun.run(args(command, "-V"));

            assertThat(r.exitCode()).as(r.describe()).isZero();
            assertThat(r.out()).as(r.describe()).startsWith("ingest ");
        }
    }

    @Test
    void readOnlyCommandsDoNotOfferTheOptionsThatShapeANewStream() {
        for (List<String> command : List.of(List.of("status"), List.of("dlq", "list"), List.of("dlq", "replay"),
                List.of("dlq", "delete"), List.of("dlq", "purge"))) {
            CliRun r = CliRun.run(args(command, "--help"));

            assertThat(r.exitCode()).as(r.describe()).isZero();
            assertThat(r.out()).as(r.describe()).contains("--queue-endpoint", "--stream=")
                    .doesNotContain("--ack-wait", "--max-msgs", "--stream-replicas");
            CliRun refused = CliRun.run(args(command, "--ack-wait=5s"));
            assertThat(refused.exitCode()).as(refused.describe()).isEqualTo(ExitCode.USAGE);
        }
        assertThat(CliRun.run("--help").out()).contains("--ack-wait", "--max-msgs", "--stream-replicas");
    }

    @Test
    void onlyTheTopLevelHelpListsTheExitCodesOfOnce() {
        assertThat(CliRun.run("--help").out()).contains("--once finished");
        for (List<String> command : COMMANDS.subList(1, COMMANDS.size())) {
            CliRun r = CliRun.run(args(command, "--help"));

            assertThat(r.out()).as(r.describe()).contains("Exit codes:").doesNotContain("--once", "SIGTERM");
        }
    }

    @Test
    void theExitCodeHelpFitsEightyColumnsSoNoPhraseIsWrapped() {
        for (String help : List.of(ExitCode.HELP, ExitCode.COMMAND_HELP, ExitCode.PLUGINS_HELP)) {
            for (String line : String.format(help).lines().toList()) {
                assertThat(line.length()).as("line '%s'", line).isLessThan(80);
            }
        }
        picocli.CommandLine cl = IngestCommand.commandLine(new IngestCommand(null), java.util.Map.of());
        cl.setUsageHelpAutoWidth(false);
        cl.setUsageHelpWidth(80);
        String help = cl.getUsageMessage();
        for (String line : String.format(ExitCode.HELP).lines().toList()) {
            assertThat(help).as("--help at 80 columns").contains(line);
        }
    }

    @Test
    void aQueueEndpointThatIsNotAUrlIsAUsageErrorOfOneLine() throws Exception {
        Path config = dir.resolve("c.yaml");
        Files.writeString(config, """
                sources: [{name: s, type: file, path: %s}]
                destinations: [{name: d, type: file, path: %s}]
                workflows: [{name: w, source: s, destinations: [d]}]
                """.formatted(dir.resolve("in"), dir.resolve("out")));
        Files.createDirectories(dir.resolve("in"));
        Files.createDirectories(dir.resolve("out"));
        for (String[] args : List.of(
                new String[] {"--mode=all", "--once", "--config", config.toString(), "--queue-endpoint=localhost:4222x"},
                new String[] {"status", "--config", config.toString(), "--queue-endpoint=localhost:4222x"},
                new String[] {"dlq", "list", "w", "--queue-endpoint=localhost:4222x"})) {
            CliRun r = CliRun.run(args);

            assertThat(r.exitCode()).as(r.describe()).isEqualTo(ExitCode.USAGE);
            assertThat(r.err()).as(r.describe())
                    .startsWith("ingest: --queue-endpoint 'localhost:4222x' is not a NATS URL")
                    .doesNotContain("Exception");
            assertThat(r.err().lines().count()).as(r.describe()).isEqualTo(2);
        }
    }
}
