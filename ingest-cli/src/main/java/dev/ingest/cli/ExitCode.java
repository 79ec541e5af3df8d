package dev.ingest.cli;

/** The launcher's exit codes, documented in {@code --help} and the README. */
final class ExitCode {

    /** Success; with {@code --once}, every object is at every destination. */
    static final int OK = 0;
    /**
     * {@code --once} finished but some objects failed (dead-lettered), a scan failed, a webhook was never told of
     * stored objects (they are stored), or {@code --strict-workflows=false} skipped a workflow; the summary names them.
     */
    static final int FAILED_OBJECTS = 1;
    /** Wrong command-line usage. */
    static final int USAGE = 2;
    /** The configuration file is missing or invalid, or a plugin could not be loaded or configured. */
    static final int CONFIG = 3;
    /**
     * The queue could not be reached or set up (NATS down at the start of a {@code --once} run, no JetStream,
     * embedded nats-server missing), the stream disappeared during a {@code --once} run, or another runtime error.
     */
    static final int RUNTIME = 4;
    /** Stopped by SIGINT/SIGTERM before {@code --once} finished; unfinished work stays queued. */
    static final int INTERRUPTED = 5;

    /**
     * The exit codes of {@code ingest} itself, in lines shorter than 80 columns so that a terminal of 80 (the
     * narrowest usual) shows them as written.
     */
    static final String HELP = "Exit codes:%n"
            + "  0  success (with --once: every object is at every destination)%n"
            + "  1  --once finished, but objects failed (dead-lettered), a scan failed,%n"
            + "     the webhook was not told of stored objects, or a workflow was skipped%n"
            + "  2  wrong command-line usage%n"
            + "  3  invalid configuration, or a plugin could not be loaded or configured%n"
            + "  4  queue unreachable or not set up (NATS down, no JetStream,%n"
            + "     nats-server missing), stream lost during a --once run, other error%n"
            + "  5  stopped by SIGINT/SIGTERM before --once finished (work stays queued)";

    /** The exit codes of the commands that inspect or change what is queued ({@code status}, {@code dlq}). */
    static final String COMMAND_HELP = "Exit codes:%n"
            + "  0  success%n"
            + "  2  wrong command-line usage (also: an unknown dead letter sequence)%n"
            + "  3  the configuration file is missing or invalid%n"
            + "  4  the queue is unreachable, the stream does not exist, other error";

    /** The exit codes of {@code ingest plugins}. */
    static final String PLUGINS_HELP = "Exit codes:%n"
            + "  0  success%n"
            + "  2  wrong command-line usage%n"
            + "  3  a plugin could not be loaded";

    private ExitCode() {
    }
}
