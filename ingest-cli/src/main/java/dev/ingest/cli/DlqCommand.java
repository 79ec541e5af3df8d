package dev.ingest.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ingest.core.queue.DeadLetters;
import dev.ingest.core.queue.JetStreamQueue;
import java.io.IOException;
import java.io.PrintWriter;
import dev.ingest.core.config.ConfigLoader;
import dev.ingest.core.config.EnvExpander;
import dev.ingest.core.config.WorkflowConfig;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ingest dlq list|replay|delete|purge WORKFLOW}: inspect, replay and remove dead letters. */
@Command(name = "dlq", description = "Inspect, replay and remove the dead letters of a workflow.",
        subcommands = {DlqCommand.ListCommand.class, DlqCommand.ReplayCommand.class, DlqCommand.DeleteCommand.class,
            DlqCommand.PurgeCommand.class},
        mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        footer = {"", ExitCode.COMMAND_HELP})
final class DlqCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("ingest dlq: name a command: list, replay, delete or purge");
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCode.USAGE;
    }

    /**
     * Connects to the queue of a command that reads or changes what is queued, and checks that the stream exists
     * (such a command never creates it).
     *
     * @throws IllegalArgumentException if {@code --queue-endpoint} is not a NATS URL (a usage error)
     * @throws IOException if NATS cannot be reached, or the stream does not exist
     */
    static JetStreamQueue connect(QueueOptions options) throws IOException {
        options.validateEndpoint();
        if (IngestCommand.EMBEDDED.equals(options.endpoint)) {
            throw new IOException("--queue-endpoint=embedded has nothing queued to show: it lives only for one run");
        }
        JetStreamQueue q = JetStreamQueue.connect(options.settings(options.endpoint));
        try {
            if (!q.streamExists()) {
                throw new IOException("stream " + options.stream + " does not exist at "
                        + dev.ingest.api.Secrets.redactUrl(options.endpoint) + " (nothing was queued there yet: an "
                        + "enqueuer creates it on its first run; check the stream name, --stream)");
            }
            return q;
        } catch (IOException | RuntimeException e) {
            q.close();
            throw e;
        }
    }

    /**
     * {@code --config} of the dlq commands: optional; when given, the workflow must be one of its workflows (a
     * typo in a workflow's name is then a usage error rather than an empty list).
     */
    static final class WorkflowCheck {
        @Option(names = "--config", paramLabel = "FILE",
                description = "A configuration file; when given, WORKFLOW must be one of its workflows.")
        Path config;

        /**
         * @return an error message (with the exit code to use), or empty when the workflow is fine or no file given
         */
        Optional<Map.Entry<Integer, String>> check(String workflow) {
            if (config == null) {
                return Optional.empty();
            }
            List<String> names;
            try {
                names = ConfigLoader.create(EnvExpander.system()).load(config).config().workflows().stream()
                        .map(WorkflowConfig::name).toList();
            } catch (NoSuchFileException e) {
                return Optional.of(Map.entry(ExitCode.CONFIG, "configuration file " + config + " does not exist"));
            } catch (IOException e) {
                return Optional.of(Map.entry(ExitCode.CONFIG, "cannot read configuration file " + config + ": "
                        + e.getMessage()));
            }
            if (!names.contains(workflow)) {
                return Optional.of(Map.entry(ExitCode.USAGE, "workflow '" + workflow + "' is not in " + config
                        + " (its workflows: " + String.join(", ", names) + ")"));
            }
            return Optional.empty();
        }
    }

    /** {@code ingest dlq list WORKFLOW}. */
    @Command(name = "list", description = "List the dead letters of a workflow: object, reason, attempts, last error.",
            mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, footer = {"", ExitCode.COMMAND_HELP})
    static final class ListCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        QueueOptions queue = new QueueOptions();

        @Mixin
        WorkflowCheck check = new WorkflowCheck();

        @Parameters(paramLabel = "WORKFLOW", description = "The workflow name.")
        String workflow;

        @Option(names = "--json", description = "Print JSON for machines.")
        boolean json;

        @Override
        public Integer call() {
            return run(spec, queue, check, workflow, (q, dead, out) -> {
                DeadLetters.Listing listing = dead.list(workflow);
                List<DeadLetters.Letter> letters = listing.letters();
                if (json) {
                    ObjectMapper mapper = new ObjectMapper();
                    ArrayNode array = mapper.createArrayNode();
                    for (DeadLetters.Letter l : letters) {
                        array.add(letterJson(mapper, l));
                    }
                    out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(array));
                } else {
                    out.printf("%d dead letter(s) for workflow %s on %s%n", letters.size(), workflow,
                            q.settings().deadLetterSubjectOf(workflow));
                    for (DeadLetters.Letter l : letters) {
                        out.printf("#%d  %s  %s%n    reason: %s%n    attempts: %s%n", l.sequence(),
                                l.time() == null ? "-" : rfc3339(l.time()), l.object(), l.reason(),
                                attempts(l).isPresent() ? Long.toString(attempts(l).getAsLong()) : "-");
                        lastError(l).ifPresent(e -> out.printf("    last error: %s%n", e));
                    }
                }
                if (listing.unreadable() > 0) {
                    spec.commandLine().getErr().printf("ingest: warning: stream %s counts %d more dead letter(s) of "
                            + "workflow %s that the server does not hand out: its index of subject %s is wrong, as some "
                            + "nats-server versions leave it after messages of a subject were deleted out of order by "
                            + "another tool%n", q.settings().stream(), listing.unreadable(), workflow,
                            q.settings().deadLetterSubjectOf(workflow));
                }
                return ExitCode.OK;
            });
        }
    }

    /** @return a dead letter as {@code dlq list --json} and the API show it */
    static ObjectNode letterJson(ObjectMapper mapper, DeadLetters.Letter l) {
        ObjectNode n = mapper.createObjectNode();
        n.put("sequence", l.sequence());
        if (l.time() == null) {
            n.putNull("time");
        } else {
            n.put("time", rfc3339(l.time()));
        }
        n.put("object", l.object());
        n.put("reason", l.reason());
        OptionalLong attempts = attempts(l);
        if (attempts.isPresent()) {
            n.put("attempts", attempts.getAsLong());
        } else {
            n.putNull("attempts");
        }
        Optional<String> lastError = lastError(l);
        if (lastError.isPresent()) {
            n.put("lastError", lastError.get());
        } else {
            n.putNull("lastError");
        }
        return n;
    }

    /**
     * @param time when a message was stored
     * @return it in RFC 3339 in UTC, to the microsecond ({@code 2026-12-03T08:05:26.854906Z}): what Python's
     *     {@code fromisoformat}, {@code date -d} and JavaScript's {@code Date} all read
     */
    static String rfc3339(java.time.temporal.TemporalAccessor time) {
        return java.time.format.DateTimeFormatter.ISO_INSTANT.format(
                java.time.Instant.from(time).truncatedTo(java.time.temporal.ChronoUnit.MICROS));
    }

    /** @return the attempts the dead letter records, when it records a number */
    static OptionalLong attempts(DeadLetters.Letter l) {
        try {
            return OptionalLong.of(Long.parseLong(l.attempts().trim()));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** @return the last error, when it says more than the reason (a poison object's reason is its error) */
    static Optional<String> lastError(DeadLetters.Letter l) {
        String e = l.lastError();
        return e.isBlank() || e.equals(l.reason()) ? Optional.empty() : Optional.of(e);
    }

    /** Runs one action against the queue, mapping failures to exit codes and messages. */
    interface Action {
        int run(JetStreamQueue queue, DeadLetters deadLetters, PrintWriter out) throws IOException;
    }

    static int run(CommandSpec spec, QueueOptions options, WorkflowCheck check, String workflow, Action action) {
        Optional<Map.Entry<Integer, String>> problem = check.check(workflow);
        if (problem.isPresent()) {
            spec.commandLine().getErr().println("ingest: " + problem.get().getValue());
            return problem.get().getKey();
        }
        try (JetStreamQueue q = connect(options)) {
            int code = action.run(q, new DeadLetters(q), spec.commandLine().getOut());
            spec.commandLine().getOut().flush();
            return code;
        } catch (IllegalArgumentException e) {
            spec.commandLine().getOut().flush();
            return IngestCommand.usage(spec.commandLine(), e.getMessage());
        } catch (IOException e) {
            spec.commandLine().getOut().flush();
            spec.commandLine().getErr().println("ingest: " + e.getMessage());
            return ExitCode.RUNTIME;
        }
    }

    private static String describe(DeadLetters.Letter l) {
        return "#" + l.sequence() + " " + l.object();
    }

    /** {@code ingest dlq replay WORKFLOW [SEQ...]}. */
    @Command(name = "replay", description = {
        "Put dead letters of a workflow back on its subject for another try: all of them, or those named by their "
                + "sequence numbers (see 'ingest dlq list'). Each is removed from the dead letters once queued again; "
                + "an object the enqueuer left out because it was dead-lettered is eligible again."},
            mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, footer = {"", ExitCode.COMMAND_HELP})
    static final class ReplayCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        QueueOptions queue = new QueueOptions();

        @Mixin
        WorkflowCheck check = new WorkflowCheck();

        @Parameters(index = "0", paramLabel = "WORKFLOW", description = "The workflow name.")
        String workflow;

        @Parameters(index = "1..*", paramLabel = "SEQ", arity = "0..*",
                description = "Sequence numbers of the dead letters to replay; none: all of them.")
        List<Long> sequences = new ArrayList<>();

        @Override
        public Integer call() {
            return run(spec, queue, check, workflow, (q, dead, out) -> {
                String subject = q.settings().subjectOf(workflow);
                int n = dead.replay(workflow, sequences, l -> out.printf("replayed %s onto %s%n", describe(l), subject));
                out.printf("replayed %d dead letter(s) of workflow %s onto %s%n", n, workflow, subject);
                return ExitCode.OK;
            });
        }
    }

    /** {@code ingest dlq delete WORKFLOW SEQ...}. */
    @Command(name = "delete", description = {
        "Remove dead letters of a workflow, named by their sequence numbers (see 'ingest dlq list'). Their objects "
                + "are eligible again: the next scan queues an object its source still lists unchanged."},
            mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, footer = {"", ExitCode.COMMAND_HELP})
    static final class DeleteCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        QueueOptions queue = new QueueOptions();

        @Mixin
        WorkflowCheck check = new WorkflowCheck();

        @Parameters(index = "0", paramLabel = "WORKFLOW", description = "The workflow name.")
        String workflow;

        @Parameters(index = "1..*", paramLabel = "SEQ", arity = "1..*",
                description = "Sequence numbers of the dead letters to delete.")
        List<Long> sequences = new ArrayList<>();

        @Override
        public Integer call() {
            return run(spec, queue, check, workflow, (q, dead, out) -> {
                int n = dead.delete(workflow, sequences, l -> out.printf("deleted %s%n", describe(l)));
                out.printf("deleted %d dead letter(s) of workflow %s%n", n, workflow);
                return ExitCode.OK;
            });
        }
    }

    /** {@code ingest dlq purge WORKFLOW}. */
    @Command(name = "purge", description = {
        "Remove every dead letter of a workflow. Their objects are eligible again: the next scan queues those its "
                + "source still lists."},
            mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, footer = {"", ExitCode.COMMAND_HELP})
    static final class PurgeCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        QueueOptions queue = new QueueOptions();

        @Mixin
        WorkflowCheck check = new WorkflowCheck();

        @Parameters(paramLabel = "WORKFLOW", description = "The workflow name.")
        String workflow;

        @Override
        public Integer call() {
            return run(spec, queue, check, workflow, (q, dead, out) -> {
                long n = dead.purge(workflow);
                out.printf("purged %d dead letter(s) of workflow %s from %s%n", n, workflow,
                        q.settings().deadLetterSubjectOf(workflow));
                return ExitCode.OK;
            });
        }
    }
}
