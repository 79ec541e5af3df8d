package dev.ingest.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TableTest {

    @Test
    void formatsAlignedColumnsWithRatiosAndNotes() {
        Row rclone = new Row("1 2,000x4KiB", "rclone copy t=16", 4.0, 2000, 8_192_000, Double.NaN, 48L << 20, "")
                .withCpu(1.2);
        Row ingest = new Row("1 2,000x4KiB", "ingest b=16 c=16", 3.0, 2000, 8_192_000, Double.NaN, 310L << 20,
                "engine 2.1s").withCpu(2.5).comparedTo(rclone);
        String table = Table.format(List.of(ingest, rclone.comparedTo(rclone)));
        List<String> lines = table.lines().toList();

        assertThat(lines.get(0)).isEqualTo(
                "| case         | tool             | seconds | objects/s | MB/s | vs rclone | CPU s | CPU ms/object "
                        + "| CPU ms/MB | peak RSS MiB |");
        assertThat(lines.get(1)).isEqualTo(
                "| ------------ | ---------------- | ------: | --------: | ---: | --------: | ----: | ------------: "
                        + "| --------: | -----------: |");
        assertThat(lines.get(2)).isEqualTo(
                "| 1 2,000x4KiB | ingest b=16 c=16 |    3.00 |       667 | 2.73 |      0.75 |  2.50 |          1.25 "
                        + "|       305 |          310 |");
        assertThat(lines.get(3)).isEqualTo(
                "| 1 2,000x4KiB | rclone copy t=16 |    4.00 |       500 | 2.05 |      1.00 |  1.20 |         0.600 "
                        + "|       146 |           48 |");
        assertThat(lines.get(4)).isEmpty();
        assertThat(lines.get(5)).isEqualTo("  1 2,000x4KiB / ingest b=16 c=16: engine 2.1s");
        assertThat(lines).hasSize(6);
    }

    @Test
    void showsDashesForWhatDoesNotApply() {
        Row listing = new Row("3", "ListObjectsV2", 0.5, 20_000, 0, Double.NaN, -1, "");
        Row failed = new Row("6", "(error)", Double.NaN, 0, 0, Double.NaN, -1, "boom");

        String table = Table.format(List.of(listing, failed));

        assertThat(table).contains("| 3    | ListObjectsV2 |    0.50 |     40000 |    - |         - |     - |"
                + "             - |         - |            - |");
        assertThat(table).contains("| 6    | (error)       |       - |         - |    - |         - |     - |"
                + "             - |         - |            - |");
        assertThat(table).endsWith("  6 / (error): boom\n");
    }

    @Test
    void aBarInANameIsEscapedSoThatTheMarkdownTableKeepsItsColumns() {
        String table = Table.format(List.of(new Row("10 jdbc", "psql \\copy | gzip", 1.7, 0, 0, 1.0, -1, "")));
        assertThat(table).contains("| psql \\copy \\| gzip |");
        assertThat(table.lines().toList().get(2).split("(?<!\\\\)\\|")).hasSize(11); // 10 columns between 11 bars
    }

    @Test
    void ratioIsSecondsOverTheReferenceSeconds() {
        Row ref = new Row("2", "rclone", 10.0, 8, 1, Double.NaN, -1, "");
        assertThat(new Row("2", "ingest", 12.5, 8, 1, Double.NaN, -1, "").comparedTo(ref).ratio()).isEqualTo(1.25);
        assertThat(new Row("2", "ingest", 12.5, 8, 1, Double.NaN, -1, "").comparedTo(null).ratio()).isNaN();
        assertThat(new Row("2", "ingest", Double.NaN, 8, 1, Double.NaN, -1, "").comparedTo(ref).ratio()).isNaN();
    }

    @Test
    void numbersKeepThreeSignificantFiguresWithoutExponents() {
        assertThat(Table.number(123456.7)).isEqualTo("123457");
        assertThat(Table.number(12.345)).isEqualTo("12.3");
        assertThat(Table.number(1.2345)).isEqualTo("1.23");
        assertThat(Table.number(0.01234)).isEqualTo("0.012");
        assertThat(Table.seconds(9.999)).isEqualTo("10.00");
        assertThat(Table.seconds(12.34)).isEqualTo("12.3");
        assertThat(Table.mib(1536L * 1024)).isEqualTo("2");
    }

    @Test
    void parsesTheSummaryLineAndScanTime() {
        IngestRunner.Summary s = IngestRunner.summary(
                "ingest: listed 289, queued 289, copied 280, skipped 9, failed 0, 195.5 KiB in 0.9s\n");
        assertThat(s).isEqualTo(new IngestRunner.Summary(280, 9, 0, 0.9, 0, 0));
        assertThat(IngestRunner.summary("ingest: copied 0, skipped 5, failed 1, 0 B in 12.0s"))
                .isEqualTo(new IngestRunner.Summary(0, 5, 1, 12.0, 0, 0));
        assertThat(IngestRunner.summary("ingest: records 3000000, batches 6, copied 0, skipped 0, failed 0, 0 B in 8.1s"))
                .isEqualTo(new IngestRunner.Summary(0, 0, 0, 8.1, 3_000_000, 6));
        assertThat(IngestRunner.summary("nothing")).isNull();
        assertThat(IngestRunner.scanMillis("{\"msg\":\"workflow bench: scanned source src: 20000 objects in 1234 ms\"}"))
                .isEqualTo(1234);
    }
}
