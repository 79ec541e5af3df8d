package dev.ingest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** The shell completion script and the man page that the distribution ships. */
class DocsTest {

    @TempDir
    Path dir;

    private static List<CommandLine> commands() {
        List<CommandLine> out = new ArrayList<>();
        collect(IngestCommand.commandLine(new IngestCommand(null), Map.of()), out);
        return out;
    }

    private static void collect(CommandLine cl, List<CommandLine> out) {
        out.add(cl);
        cl.getSubcommands().values().forEach(s -> collect(s, out));
    }

    @Test
    void theCompletionScriptIsValidBashAndCompletesEveryCommandAndOption() throws Exception {
        Docs.write(dir);
        Path script = dir.resolve("completion/ingest.bash");

        Process bash = new ProcessBuilder("bash", "-n", script.toString()).redirectErrorStream(true).start();
        String out = new String(bash.getInputStream().readAllBytes());
        assertThat(bash.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(bash.exitValue()).as(out).isZero();
        String text = Files.readString(script);
        for (CommandLine c : commands()) {
            assertThat(text).contains(c.getCommandName());
            for (OptionSpec o : c.getCommandSpec().options()) {
                assertThat(text).as("completion of %s", o.longestName()).contains(o.longestName());
            }
        }
    }

    @Test
    void theManPageDocumentsEveryCommandOptionVariableAndExitCode() throws Exception {
        Docs.write(dir);
        String man = Files.readString(dir.resolve("man/man1/ingest.1"));

        assertThat(man).startsWith(".TH INGEST 1").contains(".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS",
                ".SH EXIT STATUS", ".SH ENVIRONMENT", ".SH COMMAND \"INGEST DLQ LIST\"");
        for (CommandLine c : commands()) {
            for (OptionSpec o : c.getCommandSpec().options()) {
                assertThat(man).as("man page: %s", o.longestName()).contains(Docs.roff(o.longestName()));
                if (OptionDefaults.configurable(o)) {
                    assertThat(man).contains(Docs.roff(OptionDefaults.variable(o)));
                }
            }
        }
        assertThat(man).contains("stopped by SIGINT/SIGTERM");
        assertThat(man.lines()).noneMatch(l -> l.startsWith(".") && !l.matches("^\\.(TH|SH|TP|B|I|PP|nf|fi)\\b.*"));
    }
}
