package dev.ingest.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ingest.core.config.ConfigLoader;
import dev.ingest.core.config.EnvExpander;
import dev.ingest.core.config.WorkflowConfig;
import dev.ingest.core.queue.DeadLetters;
import dev.ingest.core.queue.JetStreamQueue;
import io.nats.client.api.ConsumerInfo;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ingest status --config FILE}: what the queue holds for each workflow. */
@Command(name = "status", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Show, per workflow of the configuration, the messages queued, the consumer's pending, "
                + "awaiting-ack and redelivered counts, the dead letters and the last scan.",
        footer = {"", ExitCode.HELP})
final class StatusCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    QueueOptions queue = new QueueOptions();

    @Option(names = "--config", paramLabel = "FILE", defaultValue = "${sys:user.home}/ingest/config",
            description = "The configuration file naming the workflows (default: ${DEFAULT-VALUE}).")
    Path config;

    @Option(names = "--json", description = "Print JSON for machines.")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<WorkflowConfig> workflows;
        try {
            workflows = ConfigLoader.create(EnvExpander.system()).load(config).config().workflows();
        } catch (NoSuchFileException e) {
            err.println("ingest: configuration file " + config + " does not exist (set it with --config FILE)");
            return ExitCode.CONFIG;
        } catch (IOException e) {
            err.println("ingest: cannot read configuration file " + config + ": " + e.getMessage());
            return ExitCode.CONFIG;
        }
        if (workflows.isEmpty()) {
            err.println("ingest: configuration file " + config + " names no workflow");
            return ExitCode.CONFIG;
        }
        try (JetStreamQueue q = DlqCommand.connect(queue)) {
            Map<String, Long> counts = q.subjectCounts();
            DeadLetters deadLetters = new DeadLetters(q);
            ObjectMapper mapper = new ObjectMapper();
            ArrayNode array = mapper.createArrayNode();
            for (WorkflowConfig w : workflows) {
                ObjectNode n = array.addObject();
                n.put("workflow", w.name());
                n.put("queued", counts.getOrDefault(q.settings().subjectOf(w.name()), 0L));
                // Not the subject's count: dead letters replayed or deleted while older ones stay are still there.
                n.put("deadLetters", deadLetters.count(w.name()));
                Optional<ConsumerInfo> info = consumer(q, w.name());
                n.put("consumer", q.settings().consumerOf(w.name()));
                if (info.isPresent()) {
                    n.put("pending", info.get().getNumPending());
                    n.put("ackPending", info.get().getNumAckPending());
                    n.put("redelivered", info.get().getRedelivered());
                } else {
                    n.putNull("pending");
                    n.putNull("ackPending");
                    n.putNull("redelivered");
                }
                Optional<JetStreamQueue.ScanRecord> scan = q.lastScan(w.name());
                if (scan.isPresent()) {
                    ObjectNode s = n.putObject("lastScan");
                    s.put("finished", scan.get().finished().toString());
                    s.put("listed", scan.get().listed());
                    s.put("queued", scan.get().queued());
                    s.put("alreadyQueued", scan.get().alreadyQueued());
                    s.put("alreadyStored", scan.get().alreadyStored());
                    s.put("deadLettered", scan.get().deadLettered());
                    s.put("millis", scan.get().millis());
                    s.put("error", scan.get().error());
                } else {
                    n.putNull("lastScan");
                }
            }
            if (json) {
                out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(array));
            } else {
                print(out, array);
            }
            return ExitCode.OK;
        } catch (IOException | IllegalArgumentException e) {
            err.println("ingest: " + e.getMessage());
            return ExitCode.RUNTIME;
        }
    }

    private static Optional<ConsumerInfo> consumer(JetStreamQueue q, String workflow) {
        try {
            return Optional.of(q.consumerInfo(workflow));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static void print(PrintWriter out, ArrayNode array) {
        for (var n : array) {
            out.printf("workflow %s%n", n.get("workflow").asText());
            out.printf("  queued in stream:   %d%n", n.get("queued").asLong());
            if (n.get("pending").isNull()) {
                out.printf("  consumer:           %s does not exist yet (no dequeuer or enqueuer has run)%n",
                        n.get("consumer").asText());
            } else {
                out.printf("  not yet delivered:  %d%n", n.get("pending").asLong());
                out.printf("  awaiting ack:       %d%n", n.get("ackPending").asLong());
                out.printf("  redelivered:        %d%n", n.get("redelivered").asLong());
            }
            out.printf("  dead letters:       %d%s%n", n.get("deadLetters").asLong(),
                    n.get("deadLetters").asLong() > 0 ? "  (ingest dlq list " + n.get("workflow").asText() + ")" : "");
            var s = n.get("lastScan");
            if (s == null || s.isNull()) {
                out.println("  last scan:          none recorded");
            } else {
                out.printf("  last scan:          %s: %d listed, %d queued, %d already queued, %d already stored, "
                                + "%d dead-lettered, %d ms%s%n",
                        s.get("finished").asText(), s.get("listed").asLong(), s.get("queued").asLong(),
                        s.get("alreadyQueued").asLong(), s.get("alreadyStored").asLong(),
                        s.get("deadLettered").asLong(), s.get("millis").asLong(),
                        s.get("error").asText().isEmpty() ? "" : "; FAILED: " + s.get("error").asText());
            }
        }
    }
}
