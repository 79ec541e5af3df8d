package dev.ingest.core.records;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ingest.core.nats.NatsServerProcess;
import dev.ingest.core.queue.JetStreamQueue;
import dev.ingest.core.queue.QueueSettings;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The status documents that several processes add to, each with a connection of its own, on a real nats-server. */
class RecordStatusIT {

    private static NatsServerProcess nats;
    private static final AtomicInteger RUN = new AtomicInteger();
    private final String stream = "status" + RUN.incrementAndGet();
    private final List<JetStreamQueue> queues = new ArrayList<>();

    @BeforeAll
    static void startNats() throws IOException {
        nats = NatsServerProcess.start();
    }

    @AfterAll
    static void stopNats() {
        if (nats != null) {
            nats.close();
        }
    }

    @AfterEach
    void close() {
        queues.forEach(JetStreamQueue::close);
    }

    /** A process's connection. */
    private JetStreamQueue queue() throws IOException {
        JetStreamQueue q = JetStreamQueue.connect(new QueueSettings(nats.url(), stream, stream, stream, 1, -1,
                Duration.ofMinutes(2), Duration.ofSeconds(30)));
        queues.add(q);
        return q;
    }

    private long revision(JetStreamQueue q, String workflow) throws Exception {
        return q.connection().keyValue(stream + "_scans").get("records." + workflow).getRevision();
    }

    @Test
    void whatTwoProcessesCopiedAddsUpThoughTheirFlushesCollide() throws Exception {
        JetStreamQueue a = queue();
        JetStreamQueue b = queue();
        a.ensureStream(); // and the bucket, in the background
        RecordStatus inA = new RecordStatus(a);
        RecordStatus inB = new RecordStatus(b);
        int copies = 150;
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (RecordStatus s : List.of(inA, inB, inA, inB)) { // two copy threads per process, each flushing often
                done.add(threads.submit(() -> {
                    for (int i = 1; i <= copies; i++) {
                        s.copied("copy", i);
                        if (i % 5 == 0) {
                            s.flush();
                        }
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            threads.shutdownNow();
        }
        long objects = 4L * copies;
        long bytes = 4L * copies * (copies + 1) / 2;
        // What a flush could not add (the bucket not there yet, or too many collisions) is added by a later one.
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            inA.flush();
            inB.flush();
            return RecordStatus.read(b, "copy").map(d -> d.path("objectsCopied").asLong()).orElse(0L) == objects;
        });
        JsonNode doc = RecordStatus.read(a, "copy").orElseThrow();
        assertThat(doc.path("objectsCopied").asLong()).isEqualTo(objects);
        assertThat(doc.path("bytesCopied").asLong()).isEqualTo(bytes);
        // An object workflow's document has none of a record workflow's fields (ingest status shows no records).
        assertThat(doc.has("records")).isFalse();
        assertThat(doc.has("held")).isFalse();
        assertThat(doc.has("source")).isFalse();

        // Nothing new: no write.
        long before = revision(a, "copy");
        inA.flush();
        inB.flush();
        assertThat(revision(a, "copy")).isEqualTo(before);

        // A process started later adds to the totals rather than starting them again.
        RecordStatus restarted = new RecordStatus(queue());
        restarted.copied("copy", 1000);
        restarted.flush();
        JsonNode after = RecordStatus.read(a, "copy").orElseThrow();
        assertThat(after.path("objectsCopied").asLong()).isEqualTo(objects + 1);
        assertThat(after.path("bytesCopied").asLong()).isEqualTo(bytes + 1000);
    }

    @Test
    void aFlushThatFailsKeepsItsCountsForTheNextOne() throws Exception {
        JetStreamQueue q = queue(); // no stream, no bucket: every flush fails
        RecordStatus status = new RecordStatus(q);
        status.copied("copy", 10);
        status.copied("copy", 5);
        status.flush();
        status.flush();
        assertThat(q.connection().keyValueManagement().getBucketNames()).doesNotContain(stream + "_scans");

        q.ensureStream(); // creates the bucket, in the background
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            status.flush();
            return RecordStatus.read(q, "copy").isPresent();
        });
        JsonNode doc = RecordStatus.read(q, "copy").orElseThrow();
        assertThat(doc.path("objectsCopied").asLong()).isEqualTo(2);
        assertThat(doc.path("bytesCopied").asLong()).isEqualTo(15);
    }

    @Test
    void aRecordWorkflowsDocumentHasItsRecordFieldsAndTheCopiesOfObjectsApart() throws Exception {
        JetStreamQueue q = queue();
        q.ensureStream();
        RecordStatus status = new RecordStatus(q);
        status.published("logs", 3, 300);
        status.copied("files", 42);
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            status.flush();
            return RecordStatus.read(q, "logs").isPresent() && RecordStatus.read(q, "files").isPresent();
        });
        JsonNode logs = RecordStatus.read(q, "logs").orElseThrow();
        assertThat(logs.path("records").asLong()).isEqualTo(3);
        assertThat(logs.path("recordBytes").asLong()).isEqualTo(300);
        assertThat(logs.path("batches").asLong()).isZero();
        assertThat(logs.has("objectsCopied")).isFalse();
        JsonNode files = RecordStatus.read(q, "files").orElseThrow();
        assertThat(files.path("objectsCopied").asLong()).isEqualTo(1);
        assertThat(files.has("records")).isFalse();
    }
}
