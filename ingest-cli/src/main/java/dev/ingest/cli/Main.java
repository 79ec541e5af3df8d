package dev.ingest.cli;

import org.slf4j.LoggerFactory;

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
        // command line model is built. Whoever logs first waits for it.
        Thread logging = new Thread(LoggerFactory::getILoggerFactory, "logging-setup");
        logging.setDaemon(true);
        logging.start();
        Shutdown shutdown = new Shutdown();
        shutdown.install();
        int code = IngestCommand.commandLine(new IngestCommand(shutdown)).execute(args);
        shutdown.finished(code);
        System.out.flush();
        System.err.flush();
        System.exit(code);
    }
}
