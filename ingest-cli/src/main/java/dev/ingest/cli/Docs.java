package dev.ingest.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;
import java.util.Map;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Writes the shell completion script and the man page of {@code ingest} from its command line model, so that they
 * always match the options: run by the build ({@code prepare-package}), shipped in the distribution as
 * {@code completion/ingest.bash} (bash and zsh) and {@code man/man1/ingest.1}.
 */
final class Docs {

    private Docs() {
    }

    /**
     * @param args the output directory
     * @throws IOException if a file cannot be written
     */
    public static void main(String[] args) throws IOException {
        write(Paths.get(args[0]));
    }

    static void write(Path dir) throws IOException {
        CommandLine cl = IngestCommand.commandLine(new IngestCommand(null), Map.of());
        Path completion = dir.resolve("completion/ingest.bash");
        Files.createDirectories(completion.getParent());
        Files.writeString(completion, AutoComplete.bash("ingest", cl), StandardCharsets.UTF_8);
        Path man = dir.resolve("man/man1/ingest.1");
        Files.createDirectories(man.getParent());
        Files.writeString(man, manPage(cl), StandardCharsets.UTF_8);
    }

    /** @return the man page (roff, section 1) of the command and its subcommands */
    static String manPage(CommandLine cl) {
        StringBuilder b = new StringBuilder();
        String[] version = new VersionProvider().getVersion();
        b.append(".TH INGEST 1 \"\" \"").append(roff(version[0])).append("\" \"User Commands\"\n");
        b.append(".SH NAME\ningest \\- ").append(roff(String.join(" ", cl.getCommandSpec().usageMessage()
                .description()).trim())).append('\n');
        b.append(".SH SYNOPSIS\n");
        section(b, cl, true);
        b.append(".SH EXIT STATUS\n.nf\n").append(roff(String.format(ExitCode.HELP))).append("\n.fi\n");
        b.append(".SH ENVIRONMENT\nEach option \\fB\\-\\-NAME\\fR can also be set by the variable \\fBINGEST_NAME\\fR "
                + "(capitals, \\- as _), or by the key \\fBname\\fR in camelCase of the configuration file's "
                + "top-level \\fBingest:\\fR block; a flag wins over the variable, the variable over the file, the "
                + "file over the default.\n");
        b.append(".SH SEE ALSO\nREADME.md of the distribution.\n");
        return b.toString();
    }

    private static void section(StringBuilder b, CommandLine cl, boolean top) {
        CommandSpec spec = cl.getCommandSpec();
        if (!top) {
            b.append(".SH COMMAND \"").append(roff(spec.qualifiedName().toUpperCase(Locale.ROOT))).append("\"\n");
        }
        b.append(".B ").append(roff(spec.qualifiedName())).append('\n');
        for (PositionalParamSpec p : spec.positionalParameters()) {
            b.append(".I ").append(roff(p.paramLabel())).append('\n');
        }
        b.append("[options]\n");
        if (!top) {
            b.append(".PP\n").append(roff(String.join(" ", spec.usageMessage().description()))).append('\n');
        } else {
            b.append(".SH OPTIONS\n");
        }
        for (OptionSpec o : spec.options()) {
            b.append(".TP\n.B ").append(roff(String.join(", ", o.names())));
            if (o.arity().max() > 0 && !o.paramLabel().isEmpty() && o.typeInfo().getType() != boolean.class) {
                b.append(" ").append(roff(o.paramLabel()));
            }
            b.append('\n').append(roff(String.join(" ", o.description()).replace("${DEFAULT-VALUE}",
                    String.valueOf(o.defaultValue())))).append('\n');
            if (OptionDefaults.configurable(o)) {
                b.append("Variable: ").append(roff(OptionDefaults.variable(o)));
                if (OptionDefaults.inFile(o)) {
                    b.append("; file: ").append(roff("ingest." + OptionDefaults.key(o)));
                }
                b.append(".\n");
            }
        }
        for (CommandLine sub : cl.getSubcommands().values()) {
            section(b, sub, false);
        }
    }

    /** Escapes text for roff: backslashes, leading dots and quotes, hyphens. */
    static String roff(String text) {
        StringBuilder b = new StringBuilder();
        for (String line : text.split("\n", -1)) {
            String l = line.replace("\\", "\\e").replace("-", "\\-");
            if (l.startsWith(".") || l.startsWith("'")) {
                l = "\\&" + l;
            }
            b.append(b.length() == 0 ? "" : "\n").append(l);
        }
        return b.toString();
    }
}
