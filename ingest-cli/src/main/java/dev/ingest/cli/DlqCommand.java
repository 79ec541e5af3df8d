package dev.ingest.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ingest.core.queue.DeadLetters;
import dev.ingest.core.queue.JetStreamQueue;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ingest dlq list|replay WORKFLOW}: inspect and replay dead letters. */
@Command(name = "dlq", description = "Inspect and replay the dead letters of a workflow.",
        subcommands = {DlqCommand.ListCommand.class, DlqCommand.ReplayCommand.class},
        mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        footer = {"", ExitCode.HELP})
final class DlqCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("ingest dlq: name a command: list or replay");
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
            PrintWriter out = spec.commandLine().getOut();
            try (JetStreamQueue q = connect(queue)) {
                List<DeadLetters.Letter> letters = new DeadLetters(q).list(workflow);
                if (json) {
                    ObjectMapper mapper = new ObjectMapper();
                    ArrayNode array = mapper.createArrayNode();
                    for (DeadLetters.Letter l : letters) {
                        ObjectNode n = array.addObject();
                        n.put("sequence", l.sequence());
                        n.put("time", l.time() == null ? "" : l.time().toString());
                        n.put("object", l.object());
                        n.put("reason", l.reason());
                        n.put("attempts", l.attempts());
                        n.put("lastError", l.lastError());
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
                return ExitCode.OK;
            } catch (IOException | IllegalArgumentException e) {
                spec.commandLine().getErr().println("ingest: " + e.getMessage());
                return ExitCode.RUNTIME;
            }
        }
    }

    /** {@code ingest dlq replay WORKFLOW}. */
    @Command(name = "replay", description = "Put every dead letter of a workflow back on its subject for another try.",
            mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, footer = {"", ExitCode.HELP})
    static final class ReplayCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        QueueOptions queue = new QueueOptions();

        @Parameters(paramLabel = "WORKFLOW", description = "The workflow name.")
        String workflow;

        @Override
        public Integer call() {
            try (JetStreamQueue q = connect(queue)) {
                int n = new DeadLetters(q).replay(workflow);
                spec.commandLine().getOut().printf("replayed %d dead letter(s) of workflow %s onto %s%n", n, workflow,
                        q.settings().subjectOf(workflow));
                return ExitCode.OK;
            } catch (IOException | IllegalArgumentException e) {
                spec.commandLine().getErr().println("ingest: " + e.getMessage());
                return ExitCode.RUNTIME;
            }
        }
    }
}
