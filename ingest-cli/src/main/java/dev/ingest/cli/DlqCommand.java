package dev.ingest.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ingest.core.queue.DeadLetters;
import dev.ingest.core.queue.JetStreamQueue;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
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
        footer = {"", ExitCode.HELP})
final class DlqCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("ingest dlq: name a command: list, replay, delete or purge");
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCode.USAGE;
    }

    static JetStreamQueue connect(QueueOptions options) throws IOException {
        if (IngestCommand.EMBEDDED.equals(options.endpoint)) {
            throw new IOException("--queue-endpoint=embedded has no dead letters to show: it lives only for one run");
        }
        return JetStreamQueue.connect(options.settings(options.endpoint));
    }

    /** {@code ingest dlq list WORKFLOW}. */
    @Command(name = "list", description = "List the dead letters of a workflow: object, reason, attempts, last error.",
            mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, footer = {"", ExitCode.HELP})
    static final class ListCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        QueueOptions queue = new QueueOptions();

        @Parameters(paramLabel = "WORKFLOW", description = "The workflow name.")
        String workflow;

        @Option(names = "--json", description = "Print JSON for machines.")
        boolean json;

        @Override
        public Integer call() {
            return run(spec, queue, (q, dead, out) -> {
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
                        out.printf("#%d  %s  %s%n    reason: %s%n    attempts: %s%n    last error: %s%n", l.sequence(),
                                l.time(), l.object(), l.reason(), l.attempts(), l.lastError());
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
        n.put("time", l.time() == null ? "" : l.time().toString());
        n.put("object", l.object());
        n.put("reason", l.reason());
        n.put("attempts", l.attempts());
        n.put("lastError", l.lastError());
        return n;
    }

    /** Runs one action against the queue, mapping failures to exit codes and messages. */
    interface Action {
        int run(JetStreamQueue queue, DeadLetters deadLetters, PrintWriter out) throws IOException;
    }

    static int run(CommandSpec spec, QueueOptions options, Action action) {
        try (JetStreamQueue q = connect(options)) {
            int code = action.run(q, new DeadLetters(q), spec.commandLine().getOut());
            spec.commandLine().getOut().flush();
            return code;
        } catch (IllegalArgumentException e) {
            spec.commandLine().getOut().flush();
            spec.commandLine().getErr().println("ingest: " + e.getMessage());
            return ExitCode.USAGE;
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
            mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, footer = {"", ExitCode.HELP})
    static final class ReplayCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        QueueOptions queue = new QueueOptions();

        @Parameters(index = "0", paramLabel = "WORKFLOW", description = "The workflow name.")
        String workflow;

        @Parameters(index = "1..*", paramLabel = "SEQ", arity = "0..*",
                description = "Sequence numbers of the dead letters to replay; none: all of them.")
        List<Long> sequences = new ArrayList<>();

        @Override
        public Integer call() {
            return run(spec, queue, (q, dead, out) -> {
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
            mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, footer = {"", ExitCode.HELP})
    static final class DeleteCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        QueueOptions queue = new QueueOptions();

        @Parameters(index = "0", paramLabel = "WORKFLOW", description = "The workflow name.")
        String workflow;

        @Parameters(index = "1..*", paramLabel = "SEQ", arity = "1..*",
                description = "Sequence numbers of the dead letters to delete.")
        List<Long> sequences = new ArrayList<>();

        @Override
        public Integer call() {
            return run(spec, queue, (q, dead, out) -> {
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
            mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, footer = {"", ExitCode.HELP})
    static final class PurgeCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        QueueOptions queue = new QueueOptions();

        @Parameters(paramLabel = "WORKFLOW", description = "The workflow name.")
        String workflow;

        @Override
        public Integer call() {
            return run(spec, queue, (q, dead, out) -> {
                long n = dead.purge(workflow);
                out.printf("purged %d dead letter(s) of workflow %s from %s%n", n, workflow,
                        q.settings().deadLetterSubjectOf(workflow));
                return ExitCode.OK;
            });
        }
    }
}
