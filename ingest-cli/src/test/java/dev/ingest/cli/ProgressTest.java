package dev.ingest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ingest.core.engine.RunSummary;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The progress line of a {@code --once} run. */
class ProgressTest {

    static RunSummary summary(long listed, long copied, long bytes, Duration elapsed) {
        return new RunSummary(listed, listed, 0, copied, 0, 0, 0, bytes, 0, 0, 0, 0, elapsed, List.of(), List.of());
    }

    @Test
    void noTotalAndNoEtaWhileTheScanIsStillListing() {
        RunSummary s = summary(1000, 100, 100_000, Duration.ofSeconds(10));

        String listing = Progress.line(s, false);
        String listed = Progress.line(s, true);

        assertThat(listing).contains("100 copied", "1000 listed so far").doesNotContain("ETA", "left");
        assertThat(listed).contains("900 of 1000 left", "ETA 90s");
    }

    @Test
    void nothingIsDrawnOnceClosedSoTheSummaryStartsOnACleanLine() throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        java.io.PrintStream terminal = new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8);
        RunSummary s = summary(10, 5, 50, Duration.ofSeconds(1));
        Progress progress = new Progress(null, terminal, true, false);

        progress.draw(s, true);
        progress.close();
        String atClose = bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
        progress.draw(s, true);

        assertThat(atClose).startsWith("\rprogress: ").endsWith("\r\u001b[K");
        assertThat(bytes.toString(java.nio.charset.StandardCharsets.UTF_8)).as("nothing after close").isEqualTo(atClose);
    }
}
