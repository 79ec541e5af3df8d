package dev.ingest.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TargetsTest {

    private static Row row(String benchCase, String tool, double seconds, String note) {
        return new Row(benchCase, tool, seconds, 1, 0, Double.NaN, 100L << 20, note);
    }

    @Test
    void judgesEachCaseOnItsOwnFigures() {
        List<String> lines = Targets.check(List.of(
                row("1 2,000x4KiB", "ingest b=16 c=16", 4.0, "engine 3s"),
                row("1 2,000x4KiB", "ingest b=16 c=32", 2.0, "engine 1s"),
                row("1 2,000x4KiB", "rclone copy t=16", 2.5, ""),
                row("2 8x64MiB", "ingest b=8 c=8", 3.0, ""),
                row("2 8x64MiB", "rclone copy t=8", 1.0, ""),
                row("3 enqueue 20,000", "ingest --mode=enqueue", 3.0, ""),
                row("3 enqueue 20,000", "ListObjectsV2 (SDK, in-JVM)", 1.5, ""),
                row("3 enqueue 20,000", "rclone lsf", 2.0, ""),
                row("4 fan-out 3x 8x64MiB", "ingest -Xmx256m c=8", 3.0, "engine 2s"),
                row("5b rescan 20,000", "ingest b=16 c=16 (again)", 2.0, "engine 1s, copied 0, skipped 20000"),
                row("5b rescan 20,000", "ListObjectsV2 (SDK, in-JVM)", 1.0, ""),
                row("6 server-side 8x64MiB", "ingest serverSideCopy=false", 3.0, ""),
                row("6 server-side 8x64MiB", "ingest serverSideCopy=true", 0.9, ""),
                row("6 server-side 8x64MiB", "rclone copy t=8 (2 remotes)", 1.0, ""),
                row("6 server-side 8x64MiB", "rclone copy t=8 (server-side)", 0.6, "")));

        assertThat(lines).containsExactly(
                "  met      1 2,000x4KiB: ingest at most 1.50 times rclone's time: ingest b=16 c=32 2.00 s / 2.50 s = 0.80",
                "  NOT MET  2 8x64MiB: ingest at most 1.50 times rclone's time: ingest b=8 c=8 3.00 s / 1.00 s = 3.00",
                "  met      3 enqueue 20,000: queueing within 1.5x of listing: 3.00 s / 2.00 s = 1.50; "
                        + "vs the SDK's listing 2.00",
                "  met      4 fan-out 3x 8x64MiB: the fan-out at -Xmx256m completes: completed, peak RSS 100 MiB",
                "  met      5b rescan 20,000: the rescan copies nothing, within 1.5x of listing: copied nothing; "
                        + "2.00 s / 2.00 s = 1.00 (rclone lsf)",
                "  met      6 server-side 8x64MiB: server-side copy under a third of streaming: 0.90 s / 3.00 s = 0.30; "
                        + "rclone on the same server: 0.60 s / 1.00 s = 0.60");
    }

    @Test
    void judgesTheRecordsCaseAgainstGzip() {
        assertThat(Targets.check(List.of(
                row("8 records 3,000,000x100B", "ingest tail -> file, gzip", 9.0, "every line stored"),
                row("8 records 3,000,000x100B", "gzip -6 (1 core)", 5.0, ""))))
                .containsExactly("  met      8 records 3,000,000x100B: records at least half of gzip -6's throughput: "
                        + "9.00 s / 5.00 s = 1.80 (at most 2.00)");
        assertThat(Targets.check(List.of(
                row("8 records 3,000,000x100B", "ingest tail -> file, gzip", 9.0, "INCOMPLETE: 2 lines"),
                row("8 records 3,000,000x100B", "gzip -6 (1 core)", 5.0, ""))))
                .singleElement().asString().startsWith("  NOT MET");
        assertThat(Targets.check(List.of(
                row("8 records 3,000,000x100B", "ingest tail -> file, gzip", 11.0, "every line stored"),
                row("8 records 3,000,000x100B", "gzip -6 (1 core)", 5.0, ""))))
                .singleElement().asString().startsWith("  NOT MET");
    }

    @Test
    void aFailedRunMeetsNothingAndMissingCasesAreLeftOut() {
        List<String> lines = Targets.check(List.of(
                row("4 fan-out 3x 8x64MiB", "ingest -Xmx256m c=8", 3.0, "FAILED: see err"),
                row("5b rescan 20,000", "ingest b=16 c=16 (again)", 0.5, "FAILED: expected to copy nothing"),
                row("5b rescan 20,000", "ListObjectsV2 (SDK, in-JVM)", 1.0, "")));

        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).startsWith("  NOT MET  4 fan-out").contains("did not complete");
        assertThat(lines.get(1)).startsWith("  NOT MET  5b rescan").contains("copied something or failed")
                .contains("(ListObjectsV2 (SDK, in-JVM))");
    }

    @Test
    void judgesTheSteadyStateOnSpeedAndCpuPerObject() {
        List<String> lines = Targets.check(List.of(
                new Row("0 empty source", "ingest", 0.7, 0, 0, Double.NaN, -1, ""),
                new Row("7a steady 20,000x1KiB", "ingest b=16 c=16, one JVM", 8.0, 20_000, 20_480_000, Double.NaN, -1,
                        "").withCpu(6.0),
                new Row("7a steady 20,000x1KiB", "rclone copy t=16", 10.0, 20_000, 20_480_000, Double.NaN, -1, "")
                        .withCpu(8.0),
                new Row("7c steady 8x64MiB", "ingest b=8 c=8, one JVM", 1.2, 8, 1 << 29, Double.NaN, -1, "")
                        .withCpu(2.0),
                new Row("7c steady 8x64MiB", "rclone copy t=8", 1.3, 8, 1 << 29, Double.NaN, -1, "").withCpu(1.0)));

        assertThat(lines).containsExactly(
                "  NOT MET  case 0: an empty --once run within 0.6 s: 0.70 s",
                "  met      7a steady 20,000x1KiB: steady state at least 1.25x rclone's speed: 1.25x "
                        + "(8.00 s / 10.00 s = 0.80)",
                "  met      7a steady 20,000x1KiB: CPU per object at most rclone's: 0.30 ms vs 0.40 ms = 0.75",
                "  met      7c steady 8x64MiB: steady state at least 1.00x rclone's speed: 1.08x "
                        + "(1.20 s / 1.30 s = 0.92)",
                "  NOT MET  7c steady 8x64MiB: CPU per object at most rclone's: 250.00 ms vs 125.00 ms = 2.00");
    }

    @Test
    void judgesScaleOutOnCpuPerObjectAndCopiesOnce() {
        List<String> lines = Targets.check(List.of(
                new Row("11 dequeuers 10,000x1KiB", "1 dequeuer", 5.0, 10_000, 0, Double.NaN, -1, "").withCpu(4.0),
                new Row("11 dequeuers 10,000x1KiB", "2 dequeuers", 5.0, 10_000, 0, Double.NaN, -1, "").withCpu(4.3),
                new Row("11 dequeuers 10,000x1KiB", "4 dequeuers", 5.0, 10_000, 0, Double.NaN, -1,
                        "INCOMPLETE: copied 10,001 times").withCpu(4.2)));

        assertThat(lines).containsExactly(
                "  met      case 11: 2 dequeuers copy each object once, CPU per object within 10% of one's: each once; "
                        + "0.43 ms vs 0.40 ms = 1.08",
                "  NOT MET  case 11: 4 dequeuers copy each object once, CPU per object within 10% of one's: "
                        + "NOT each once; 0.42 ms vs 0.40 ms = 1.05");
    }
}
