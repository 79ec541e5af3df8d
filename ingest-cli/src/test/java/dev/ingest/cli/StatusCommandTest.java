package dev.ingest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import dev.ingest.core.records.ShardLeases;
import org.junit.jupiter.api.Test;

class StatusCommandTest {

    @Test
    void theTextFormShowsWhatTheLastScanOfASourceReportedSuchAsAnS3Cursor() throws Exception {
        ArrayNode workflows = (ArrayNode) new ObjectMapper().readTree("""
                [{"workflow": "logs", "queued": 0, "consumer": "ingest__logs", "pending": 0, "ackPending": 0,
                  "redelivered": 0, "deadLetters": 0,
                  "lastScan": {"finished": "2026-12-03T10:00:00Z", "listed": 100, "queued": 100, "alreadyQueued": 0,
                               "alreadyStored": 0, "deadLettered": 0, "millis": 110, "error": "",
                               "source": {"cursor": "app/2026-12-03/0099.log", "scan": "after cursor"}}}]""");
        StringWriter text = new StringWriter();
        try (PrintWriter out = new PrintWriter(text)) {
            StatusCommand.print(out, workflows);
        }
        assertThat(text.toString()).contains("last scan:          2026-12-03T10:00:00Z: 100 listed")
                .contains("  scan reports:\n    cursor: app/2026-12-03/0099.log\n    scan: after cursor\n");
    }

    @Test
    void theTextFormShowsTheObjectsAndBytesEveryProcessCopiedButNoneForARecordWorkflowThatCopiedNone() throws Exception {
        ArrayNode workflows = (ArrayNode) new ObjectMapper().readTree("""
                [{"workflow": "files", "queued": 0, "consumer": "ingest__files", "pending": 0, "ackPending": 0,
                  "redelivered": 0, "deadLetters": 0, "lastScan": null, "copied": {"objects": 1200, "bytes": 3145728}},
                 {"workflow": "logs", "queued": 0, "consumer": "ingest__logs", "pending": 0, "ackPending": 0,
                  "redelivered": 0, "deadLetters": 0, "lastScan": null, "copied": {"objects": 0, "bytes": 0},
                  "records": {"records": 5, "recordBytes": 50, "batches": 1, "batchBytes": 40, "batchRecords": 5,
                              "openBatchCount": 0, "openBatches": [], "oldestNotStored": null, "lagSeconds": 0.0,
                              "source": {}}}]""");
        StringWriter text = new StringWriter();
        try (PrintWriter out = new PrintWriter(text)) {
            StatusCommand.print(out, workflows);
        }
        String files = text.toString().substring(0, text.toString().indexOf("workflow logs"));
        String logs = text.toString().substring(text.toString().indexOf("workflow logs"));
        assertThat(files).contains("  copied:             1200 objects (3.0 MiB), by every process\n");
        assertThat(logs).doesNotContain("copied:").contains("records:            5 received");
    }

    /** Two processes batch the workflow; a third stopped reporting long ago and is left out. */
    private static final String RECORD_STATUS = """
            {"records": 500, "recordBytes": 40000, "batches": 2, "batchBytes": 3000, "batchRecords": 300,
             "held": {
               "111@dequeuer-a": {"reported": "2026-12-03T10:00:00Z", "oldest": "2026-12-03T09:59:30Z", "openCount": 1,
                 "open": [{"key": "web/", "object": "web/00000000000000000301.log.gz", "records": 150, "bytes": 900,
                           "oldestRecord": "2026-12-03T09:59:30Z", "opened": "2026-12-03T09:59:31Z",
                           "cutAt": "2026-12-03T10:09:31Z"}]},
               "222@dequeuer-b": {"reported": "2026-12-03T09:59:58Z", "oldest": "2026-12-03T09:59:10Z", "openCount": 3,
                 "open": [{"key": "db/", "object": "db/00000000000000000290.log.gz", "records": 50, "bytes": 400,
                           "oldestRecord": "2026-12-03T09:59:10Z", "opened": "2026-12-03T09:59:12Z",
                           "cutAt": "2026-12-03T10:09:12Z"}]},
               "333@gone": {"reported": "2026-12-03T09:00:00Z", "oldest": "2026-12-03T08:00:00Z", "openCount": 1,
                 "open": [{"key": "old/", "object": "old/1.log.gz", "records": 1, "bytes": 1,
                           "oldestRecord": "2026-12-03T08:00:00Z", "opened": "2026-12-03T08:00:00Z",
                           "cutAt": "2026-12-03T08:10:00Z"}]}},
             "source": {"files": "2 followed, 10 bytes not read yet", "file app.log": "offset 90 of 100 bytes"}}""";

    @Test
    void theRecordStatusListsTheOpenBatchesOfProcessesThatReportedLatelyTheOldestRecordFirst() throws Exception {
        ObjectMapper json = new ObjectMapper();
        var r = StatusCommand.recordsOf(json, json.readTree(RECORD_STATUS), Instant.parse("2026-12-03T10:00:01Z"));

        assertThat(r.path("openBatchCount").asLong()).isEqualTo(4); // as the processes counted them
        assertThat(r.path("openBatches").findValuesAsText("object"))
                .containsExactly("db/00000000000000000290.log.gz", "web/00000000000000000301.log.gz");
        var first = r.path("openBatches").get(0);
        assertThat(first.path("process").asText()).isEqualTo("222@dequeuer-b");
        assertThat(first.path("key").asText()).isEqualTo("db/");
        assertThat(first.path("records").asLong()).isEqualTo(50);
        assertThat(first.path("bytes").asLong()).isEqualTo(400);
        assertThat(first.path("oldestRecord").asText()).isEqualTo("2026-12-03T09:59:10Z");
        assertThat(first.path("cutAt").asText()).isEqualTo("2026-12-03T10:09:12Z");
        assertThat(r.path("oldestNotStored").asText()).isEqualTo("2026-12-03T09:59:10Z");
        assertThat(r.path("lagSeconds").asDouble()).isEqualTo(51.0);
        assertThat(r.path("source").path("file app.log").asText()).isEqualTo("offset 90 of 100 bytes");

        ArrayNode workflows = json.createArrayNode();
        var w = workflows.addObject().put("workflow", "logs").put("queued", 0).put("consumer", "ingest__logs")
                .put("pending", 0).put("ackPending", 0).put("redelivered", 0).put("deadLetters", 0);
        w.putNull("lastScan");
        w.set("records", r);
        StringWriter text = new StringWriter();
        try (PrintWriter out = new PrintWriter(text)) {
            StatusCommand.print(out, workflows);
        }
        assertThat(text.toString()).contains("  open batches:       4 (the 2 oldest:)\n"
                + "    db/00000000000000000290.log.gz: 50 records, 400 B, oldest record 2026-12-03T09:59:10Z, cut at "
                + "2026-12-03T10:09:12Z\n");
    }

    @Test
    void eachShardShowsItsHolderSinceWhenAndWhenItsLeaseExpires() throws Exception {
        ObjectMapper json = new ObjectMapper();
        Instant renewed = Instant.parse("2026-12-03T10:00:00Z");
        var shards = StatusCommand.shardsOf(json, new java.util.TreeMap<>(Map.of(
                0, new ShardLeases.Lease("host-1-aa", Optional.of(Instant.parse("2026-12-03T09:00:00Z")), renewed,
                        renewed.plus(ShardLeases.PERIOD)),
                1, new ShardLeases.Lease("host-2-bb", Optional.empty(), renewed, renewed.plus(ShardLeases.PERIOD)))));

        assertThat(shards.path("0").path("holder").asText()).isEqualTo("host-1-aa");
        assertThat(shards.path("0").path("since").asText()).isEqualTo("2026-12-03T09:00:00Z");
        assertThat(shards.path("0").path("renewed").asText()).isEqualTo("2026-12-03T10:00:00Z");
        assertThat(shards.path("0").path("expires").asText()).isEqualTo("2026-12-03T10:00:05Z");
        assertThat(shards.path("1").path("since").isNull()).isTrue(); // a lease of an older version

        ArrayNode workflows = json.createArrayNode();
        var w = workflows.addObject().put("workflow", "rows").put("queued", 0).put("consumer", "ingest__rows")
                .put("pending", 0).put("ackPending", 0).put("redelivered", 0).put("deadLetters", 0);
        w.putNull("lastScan");
        w.set("shards", shards);
        StringWriter text = new StringWriter();
        try (PrintWriter out = new PrintWriter(text)) {
            StatusCommand.print(out, workflows);
        }
        assertThat(text.toString()).contains("shard leases:       2 held\n"
                + "    shard 0: host-1-aa (since 2026-12-03T09:00:00Z, expires 2026-12-03T10:00:05Z unless renewed)\n"
                + "    shard 1: host-2-bb (expires 2026-12-03T10:00:05Z unless renewed)\n");
    }
}
