package dev.ingest.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;

/** The {@code ingest} launcher's entry point. */
public final class Main {

    private Main() {
    }

    /**
     * Runs the command line and exits with its code.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        // Logging (logback and its JSON encoder) takes about a tenth of a second to set up: do it while the
        // command line model is built and parsed. Before a command runs, the command line waits for it and applies
        // --log-level; nothing logs before that.
        Logging logging = Logging.inBackground();
        Shutdown shutdown = new Shutdown();
        shutdown.install();
        int code = IngestCommand.commandLine(new IngestCommand(shutdown, logging)).execute(args);
        confirmClassArchive(code);
        shutdown.finished(code);
        System.out.flush();
        System.err.flush();
        System.exit(code);
    }

    /**
     * When the launcher records a class-data archive at this run's exit ({@code -Dingest.cds.recording=FILE}),
     * marks the recording as worth keeping ({@code FILE.ok}) if the run succeeded: a run that stopped early (a bad
     * configuration, an unreachable server) loaded too few classes to speed up the next ones.
     */
    private static void confirmClassArchive(int code) {
        String recording = System.getProperty("ingest.cds.recording");
        if (recording != null && code == ExitCode.OK) {
            try {
                Files.writeString(Paths.get(recording + ".ok"), "");
            } catch (IOException | RuntimeException e) {
                // no archive then; the next --once run records again
            }
        }
    }
}
