package dev.ingest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.PrintWriter;
import java.io.StringWriter;
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
}
