package dev.ingest.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ingest.core.config.ConfigLoader;
import dev.ingest.core.config.EnvExpander;
import dev.ingest.core.config.WorkflowConfig;
import dev.ingest.core.engine.RunSummary;
import dev.ingest.core.queue.DeadLetters;
import dev.ingest.core.queue.JetStreamQueue;
import dev.ingest.core.records.RecordStatus;
import dev.ingest.core.records.ShardLeases;
import io.nats.client.api.ConsumerInfo;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
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
        description = "Show, per workflow of the configuration, the objects and bytes copied by every process, the "
                + "messages queued, the consumer's pending, awaiting-ack and redelivered counts, the dead letters and "
                + "the last scan.",
        footer = {"", ExitCode.COMMAND_HELP})
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
            err.println("ingest: configuration file " + config + IngestCommand.origin(spec.commandLine(), "--config")
                    + " does not exist (set it with --config FILE)");
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
                array.add(statusOf(mapper, q, deadLetters, counts, w.name()));
            }
            if (json) {
                out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(array));
            } else {
                print(out, array);
            }
            return ExitCode.OK;
        } catch (IllegalArgumentException e) {
            return IngestCommand.usage(spec.commandLine(), e.getMessage());
        } catch (IOException e) {
            err.println("ingest: " + e.getMessage());
            return ExitCode.RUNTIME;
        }
    }

    /**
     * One workflow's status, as {@code ingest status --json} and the API show it.
     *
     * @param counts the stream's message counts by subject ({@link JetStreamQueue#subjectCounts()})
     */
    static ObjectNode statusOf(ObjectMapper mapper, JetStreamQueue q, DeadLetters deadLetters, Map<String, Long> counts,
                               String workflow) throws IOException {
        ObjectNode n = mapper.createObjectNode();
        n.put("workflow", workflow);
        n.put("queued", counts.getOrDefault(q.settings().subjectOf(workflow), 0L));
        // Not the subject's count: dead letters replayed or deleted while older ones stay are still there.
        n.put("deadLetters", deadLetters.count(workflow));
        Optional<ConsumerInfo> info = consumer(q, workflow);
        n.put("consumer", q.settings().consumerOf(workflow));
        if (info.isPresent()) {
            n.put("pending", info.get().getNumPending());
            n.put("ackPending", info.get().getNumAckPending());
            n.put("redelivered", info.get().getRedelivered());
        } else {
            n.putNull("pending");
            n.putNull("ackPending");
            n.putNull("redelivered");
        }
        Optional<JetStreamQueue.ScanRecord> scan = q.lastScan(workflow);
        if (scan.isPresent()) {
            ObjectNode s = n.putObject("lastScan");
            s.put("finished", DlqCommand.rfc3339(scan.get().finished()));
            s.put("listed", scan.get().listed());
            s.put("queued", scan.get().queued());
            s.put("alreadyQueued", scan.get().alreadyQueued());
            s.put("alreadyStored", scan.get().alreadyStored());
            s.put("deadLettered", scan.get().deadLettered());
            s.put("millis", scan.get().millis());
            if (scan.get().error().isEmpty()) {
                s.putNull("error");
            } else {
                s.put("error", scan.get().error());
            }
            ObjectNode src = s.putObject("source");
            scan.get().source().forEach(src::put);
        } else {
            n.putNull("lastScan");
        }
        Optional<com.fasterxml.jackson.databind.JsonNode> doc = RecordStatus.read(q, workflow);
        // Totals over every process and restart, as each process last added its own (every 5 s).
        n.putObject("copied").put("objects", doc.map(d -> d.path("objectsCopied").asLong(0)).orElse(0L))
                .put("bytes", doc.map(d -> d.path("bytesCopied").asLong(0)).orElse(0L));
        if (doc.isPresent() && doc.get().has("records")) { // a record workflow's (or a batching one's)
            n.set("records", recordsOf(mapper, doc.get(), Instant.now()));
        }
        Map<Integer, ShardLeases.Lease> leases = ShardLeases.holders(q, workflow);
        if (!leases.isEmpty()) {
            n.set("shards", shardsOf(mapper, leases));
        }
        return n;
    }

    /** Each shard's lease by shard number: holder, since (or null), renewed and expires. */
    static ObjectNode shardsOf(ObjectMapper mapper, Map<Integer, ShardLeases.Lease> leases) {
        ObjectNode shards = mapper.createObjectNode();
        leases.forEach((shard, lease) -> {
            ObjectNode l = shards.putObject(Integer.toString(shard));
            l.put("holder", lease.holder());
            if (lease.since().isPresent()) {
                l.put("since", DlqCommand.rfc3339(lease.since().get()));
            } else {
                l.putNull("since");
            }
            l.put("renewed", DlqCommand.rfc3339(lease.renewed()));
            l.put("expires", DlqCommand.rfc3339(lease.expires()));
        });
        return shards;
    }

    /**
     * The record workflow's totals, the oldest record not yet stored, the open batches of every process that reported
     * lately (the oldest record first) and its source's report.
     *
     * @param doc the workflow's {@link RecordStatus} document
     * @param now what "lately" is measured from
     */
    static ObjectNode recordsOf(ObjectMapper mapper, com.fasterxml.jackson.databind.JsonNode doc, Instant now) {
        ObjectNode r = mapper.createObjectNode();
        for (String f : List.of("records", "recordBytes", "batches", "batchBytes", "batchRecords")) {
            r.put(f, doc.path(f).asLong(0));
        }
        Instant oldest = null;
        List<com.fasterxml.jackson.databind.JsonNode> open = new java.util.ArrayList<>();
        long openCount = 0;
        var held = doc.path("held");
        for (var it = held.fields(); it.hasNext(); ) {
            var e = it.next();
            String reported = e.getValue().path("reported").asText("");
            if (reported.isEmpty() || !Instant.parse(reported).isAfter(now.minusSeconds(RecordStatus.LAG_STALE_SECONDS))) {
                continue; // a process that stopped reporting
            }
            String o = e.getValue().path("oldest").asText("");
            if (!o.isEmpty() && !o.equals("null")) {
                Instant t = Instant.parse(o);
                oldest = oldest == null || t.isBefore(oldest) ? t : oldest;
            }
            openCount += e.getValue().path("openCount").asLong(0);
            for (var b : e.getValue().path("open")) {
                ObjectNode batch = ((ObjectNode) b).deepCopy();
                batch.put("process", e.getKey());
                open.add(batch);
            }
        }
        open.sort(java.util.Comparator.comparing((com.fasterxml.jackson.databind.JsonNode b) ->
                b.path("oldestRecord").asText()));
        r.put("openBatchCount", openCount);
        r.putArray("openBatches").addAll(open);
        if (oldest == null) {
            r.putNull("oldestNotStored");
            r.put("lagSeconds", 0.0);
        } else {
            r.put("oldestNotStored", DlqCommand.rfc3339(oldest));
            r.put("lagSeconds", Duration.between(oldest, now).toMillis() / 1000.0);
        }
        r.set("source", doc.path("source").isMissingNode() ? mapper.createObjectNode() : doc.path("source"));
        return r;
    }

    private static Optional<ConsumerInfo> consumer(JetStreamQueue q, String workflow) {
        try {
            return Optional.of(q.consumerInfo(workflow));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    static void print(PrintWriter out, ArrayNode array) {
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
            var r = n.get("records");
            var copied = n.get("copied");
            if (copied != null && (r == null || copied.path("objects").asLong() > 0)) {
                out.printf("  copied:             %d objects (%s), by every process%n", copied.path("objects").asLong(),
                        RunSummary.humanBytes(copied.path("bytes").asLong()));
            }
            if (r != null) {
                out.printf("  records:            %d received (%s), %d stored in %d batches (%s)%n",
                        r.get("records").asLong(), RunSummary.humanBytes(r.get("recordBytes").asLong()),
                        r.get("batchRecords").asLong(), r.get("batches").asLong(),
                        RunSummary.humanBytes(r.get("batchBytes").asLong()));
                out.printf("  lag:                %s%n", r.get("oldestNotStored").isNull() ? "none (every record held is stored)"
                        : String.format(java.util.Locale.ROOT, "%.1f s (oldest record not yet stored: %s)",
                                r.get("lagSeconds").asDouble(), r.get("oldestNotStored").asText()));
                var open = r.get("openBatches");
                if (open != null && r.path("openBatchCount").asLong() > 0) {
                    out.printf("  open batches:       %d%s%n", r.get("openBatchCount").asLong(),
                            r.get("openBatchCount").asLong() > open.size() ? " (the " + open.size() + " oldest:)" : "");
                    open.forEach(b -> out.printf("    %s: %d records, %s, oldest record %s, cut at %s%n",
                            b.path("object").asText(), b.path("records").asLong(),
                            RunSummary.humanBytes(b.path("bytes").asLong()), b.path("oldestRecord").asText(),
                            b.path("cutAt").asText()));
                }
                var source = r.get("source");
                if (source.size() > 0) {
                    out.println("  source reports:");
                    source.fields().forEachRemaining(e -> out.printf("    %s: %s%n", e.getKey(), e.getValue().asText()));
                }
            }
            var shards = n.get("shards");
            if (shards != null) {
                out.printf("  shard leases:       %d held%n", shards.size());
                shards.fields().forEachRemaining(e -> out.printf("    shard %s: %s (%sexpires %s unless renewed)%n",
                        e.getKey(), e.getValue().path("holder").asText(), e.getValue().path("since").isTextual()
                                ? "since " + e.getValue().path("since").asText() + ", " : "",
                        e.getValue().path("expires").asText()));
            }
            var s = n.get("lastScan");
            if (s == null || s.isNull()) {
                out.println("  last scan:          none recorded");
            } else {
                out.printf("  last scan:          %s: %d listed, %d queued, %d already queued, %d already stored, "
                                + "%d dead-lettered, %d ms%s%n",
                        s.get("finished").asText(), s.get("listed").asLong(), s.get("queued").asLong(),
                        s.get("alreadyQueued").asLong(), s.get("alreadyStored").asLong(),
                        s.get("deadLettered").asLong(), s.get("millis").asLong(),
                        s.get("error").isNull() ? "" : "; FAILED: " + s.get("error").asText());
                var scanSource = s.get("source");
                if (scanSource != null && scanSource.size() > 0) {
                    out.println("  scan reports:");
                    scanSource.fields().forEachRemaining(e -> out.printf("    %s: %s%n", e.getKey(),
                            e.getValue().asText()));
                }
            }
        }
    }
}
