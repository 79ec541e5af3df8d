package dev.ingest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ingest.core.queue.JetStreamQueue;
import dev.ingest.core.queue.QueueSettings;
import dev.ingest.testkit.NatsServerExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code status} and {@code dlq}, run in this JVM against a real nats-server: messages, exit codes and JSON. */
class ReadOnlyCommandsIT {

    @RegisterExtension
    static final NatsServerExtension NATS = new NatsServerExtension();

    private static final AtomicInteger UNIQUE = new AtomicInteger();

    @TempDir
    Path dir;

    private Path config(String workflow) throws Exception {
        Path config = dir.resolve("c.yaml");
        Files.createDirectories(dir.resolve("in"));
        Files.createDirectories(dir.resolve("out"));
        Files.writeString(config, """
                sources: [{name: s, type: file, path: %s}]
                destinations: [{name: d, type: file, path: %s}]
                workflows: [{name: %s, source: s, destinations: [d]}]
                """.formatted(dir.resolve("in"), dir.resolve("out"), workflow));
        return config;
    }

    @Test
    void statusAndDlqListBothSayThatTheStreamDoesNotExist() throws Exception {
        String stream = "nostream" + UNIQUE.incrementAndGet();
        Path config = config("w");

        CliRun status = CliRun.run("status", "--config", config.toString(), "--queue-endpoint", NATS.url(),
                "--stream", stream);
        CliRun list = CliRun.run("dlq", "list", "w", "--queue-endpoint", NATS.url(), "--stream", stream);

        for (CliRun r : new CliRun[] {status, list}) {
            assertThat(r.exitCode()).as(r.describe()).isEqualTo(ExitCode.RUNTIME);
            assertThat(r.err()).as(r.describe()).startsWith("ingest: stream " + stream + " does not exist at " + NATS.url())
                    .doesNotContain("[10059]");
            assertThat(r.out()).as(r.describe()).doesNotContain("dead letter(s)");
        }
    }

    @Test
    void dlqListJsonHasRfc3339TimesNumericAttemptsAndNoRepeatedError() throws Exception {
        String stream = "dlqjson" + UNIQUE.incrementAndGet();
        String workflow = "w";
        try (JetStreamQueue q = JetStreamQueue.connect(new QueueSettings(NATS.url(), stream, stream, stream, 1, -1,
                java.time.Duration.ofMinutes(2), java.time.Duration.ofSeconds(60)))) {
            q.ensureStream();
            byte[] body = "{\"id\":\"a\",\"name\":\"a.txt\"}".getBytes(StandardCharsets.UTF_8);
            q.publishDeadLetter(workflow, body, Map.of(JetStreamQueue.HEADER_WORKFLOW, workflow,
                    JetStreamQueue.HEADER_REASON, "object refused: 403", JetStreamQueue.HEADER_ATTEMPTS, "1",
                    JetStreamQueue.HEADER_LAST_ERROR, "object refused: 403"), Optional.empty());
            byte[] other = "{\"id\":\"b\",\"name\":\"b.txt\"}".getBytes(StandardCharsets.UTF_8);
            q.publishDeadLetter(workflow, other, Map.of(JetStreamQueue.HEADER_WORKFLOW, workflow,
                    JetStreamQueue.HEADER_REASON, "gave up after 5 attempts", JetStreamQueue.HEADER_ATTEMPTS, "5",
                    JetStreamQueue.HEADER_LAST_ERROR, "connection reset"), Optional.empty());
        }

        CliRun r = CliRun.run("dlq", "list", workflow, "--json", "--queue-endpoint", NATS.url(), "--stream", stream,
                "--subject", stream, "--consumer", stream);

        assertThat(r.exitCode()).as(r.describe()).isZero();
        JsonNode letters = new ObjectMapper().readTree(r.out());
        assertThat(letters).hasSize(2);
        for (JsonNode l : letters) {
            String time = l.get("time").asText();
            assertThat(time).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{1,6})?Z");
            assertThat(OffsetDateTime.parse(time)).isNotNull();
            assertThat(l.get("attempts").isNumber()).as("attempts is a number: %s", l).isTrue();
            assertThat(l.get("sequence").isNumber()).isTrue();
        }
        assertThat(letters.get(0).get("attempts").asLong()).isEqualTo(1);
        assertThat(letters.get(0).get("reason").asText()).isEqualTo("object refused: 403");
        assertThat(letters.get(0).get("lastError").isNull()).as("not a repeat of the reason").isTrue();
        assertThat(letters.get(1).get("attempts").asLong()).isEqualTo(5);
        assertThat(letters.get(1).get("lastError").asText()).isEqualTo("connection reset");

        CliRun text = CliRun.run("dlq", "list", workflow, "--queue-endpoint", NATS.url(), "--stream", stream,
                "--subject", stream, "--consumer", stream);
        assertThat(text.out()).as(text.describe()).containsOnlyOnce("object refused: 403")
                .contains("last error: connection reset").doesNotContain("[GMT]");
    }

    @Test
    void statusJsonHasRfc3339TimesNumbersAndNullForNoError() throws Exception {
        String stream = "statusjson" + UNIQUE.incrementAndGet();
        Path config = config("w");
        try (JetStreamQueue q = JetStreamQueue.connect(new QueueSettings(NATS.url(), stream, stream, stream, 1, -1,
                java.time.Duration.ofMinutes(2), java.time.Duration.ofSeconds(60)))) {
            q.ensureStream();
            q.recordScan("w", new JetStreamQueue.ScanRecord(java.time.Instant.parse("2026-12-03T08:05:26.854906051Z"),
                    3, 2, 1, 0, 0, 12, ""));
        }

        CliRun r = CliRun.run("status", "--json", "--config", config.toString(), "--queue-endpoint", NATS.url(),
                "--stream", stream, "--subject", stream, "--consumer", stream);

        assertThat(r.exitCode()).as(r.describe()).isZero();
        JsonNode w = new ObjectMapper().readTree(r.out()).get(0);
        JsonNode scan = w.get("lastScan");
        assertThat(scan.get("finished").asText()).isEqualTo("2026-12-03T08:05:26.854906Z");
        assertThat(scan.get("listed").isNumber()).isTrue();
        assertThat(scan.get("error").isNull()).as("no error: null, not an empty string").isTrue();
        assertThat(w.get("queued").isNumber()).isTrue();
        assertThat(w.get("deadLetters").isNumber()).isTrue();
        CliRun text = CliRun.run("status", "--config", config.toString(), "--queue-endpoint", NATS.url(),
                "--stream", stream, "--subject", stream, "--consumer", stream);
        assertThat(text.out()).as(text.describe()).contains("3 listed").doesNotContain("FAILED");
    }

    @Test
    void dlqCommandsTakeConfigAndRefuseAWorkflowItDoesNotName() throws Exception {
        String stream = "dlqconfig" + UNIQUE.incrementAndGet();
        Path config = config("orders");
        try (JetStreamQueue q = JetStreamQueue.connect(new QueueSettings(NATS.url(), stream, stream, stream, 1, -1,
                java.time.Duration.ofMinutes(2), java.time.Duration.ofSeconds(60)))) {
            q.ensureStream();
        }

        CliRun known = CliRun.run("dlq", "list", "orders", "--config", config.toString(), "--queue-endpoint",
                NATS.url(), "--stream", stream, "--subject", stream);
        CliRun typo = CliRun.run("dlq", "purge", "order", "--config", config.toString(), "--queue-endpoint",
                NATS.url(), "--stream", stream, "--subject", stream);

        assertThat(known.exitCode()).as(known.describe()).isZero();
        assertThat(known.out()).as(known.describe()).startsWith("0 dead letter(s) for workflow orders");
        assertThat(typo.exitCode()).as(typo.describe()).isEqualTo(ExitCode.USAGE);
        assertThat(typo.err()).as(typo.describe()).contains("workflow 'order' is not in", "orders");
    }
}
