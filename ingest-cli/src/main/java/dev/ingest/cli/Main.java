package dev.ingest.cli;

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
        Shutdown shutdown = new Shutdown();
        shutdown.install();
        int code = IngestCommand.commandLine(new IngestCommand(shutdown)).execute(args);
        shutdown.finished(code);
        System.out.flush();
        System.err.flush();
        System.exit(code);
    }
}
