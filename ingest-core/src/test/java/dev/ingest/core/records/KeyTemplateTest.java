package dev.ingest.core.records;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ingest.api.DataRecord;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KeyTemplateTest {

    private static KeyTemplate parse(String text) {
        KeyTemplate.Result r = KeyTemplate.parse(text);
        assertThat(r.error()).isEmpty();
        return r.template().orElseThrow();
    }

    private static String error(String text) {
        KeyTemplate.Result r = KeyTemplate.parse(text);
        assertThat(r.template()).as(text).isEmpty();
        return r.error();
    }

    @Test
    void theDefaultTemplateNamesABatchByWorkflowHourAndFirstSequence() {
        KeyTemplate t = parse(KeyTemplate.DEFAULT);
        DataRecord r = DataRecord.of("x", Instant.parse("2026-12-03T09:05:07Z"));

        String prefix = t.prefix(r, "logs", "tail");

        assertThat(prefix).isEqualTo("logs/2026/12/03/09/");
        assertThat(t.name(prefix, KeyTemplate.first(42, 0), "log.gz"))
                .isEqualTo("logs/2026/12/03/09/00000000000000000042.log.gz");
    }

    @Test
    void firstIsZeroPaddedAndCarriesTheIndexOfARecordInsideItsMessage() {
        assertThat(KeyTemplate.first(7, 0)).isEqualTo("00000000000000000007");
        assertThat(KeyTemplate.first(7, 12)).isEqualTo("00000000000000000007-12");
    }

    @Test
    void everyTimePlaceholderIsTheRecordsTimeInUtc() {
        KeyTemplate t = parse("{yyyy}-{MM}-{dd}T{HH}:{mm}:{ss}/{first}");
        DataRecord r = DataRecord.of("x", Instant.parse("2026-01-02T03:04:05.999Z"));
        assertThat(t.prefix(r, "w", "s")).isEqualTo("2026-01-02T03:04:05/");
    }

    @Test
    void aPrefixReusedForRecordsInTheSamePeriodChangesAtTheBoundaryAndWithTheAttributesItUses() {
        KeyTemplate hours = parse("{workflow}/{yyyy}/{MM}/{dd}/{HH}/{attr.file}/{first}");
        Map<String, String> a = Map.of("file", "a.log", "offset", "1");
        Map<String, String> a2 = Map.of("file", "a.log", "offset", "2");
        Map<String, String> b = Map.of("file", "b.log", "offset", "1");
        assertThat(hours.prefix(new DataRecord(new byte[0], Instant.parse("2026-12-31T23:00:00Z"), a), "w", "s"))
                .isEqualTo("w/2026/12/31/23/a.log/");
        assertThat(hours.prefix(new DataRecord(new byte[0], Instant.parse("2026-12-31T23:59:59.999Z"), a2), "w", "s"))
                .as("same hour, an attribute the template does not use changed").isEqualTo("w/2026/12/31/23/a.log/");
        assertThat(hours.prefix(new DataRecord(new byte[0], Instant.parse("2026-12-31T23:59:59.999Z"), b), "w", "s"))
                .isEqualTo("w/2026/12/31/23/b.log/");
        assertThat(hours.prefix(new DataRecord(new byte[0], Instant.parse("2027-01-01T00:00:00Z"), b), "w", "s"))
                .isEqualTo("w/2027/01/01/00/b.log/");
        assertThat(hours.prefix(new DataRecord(new byte[0], Instant.parse("2027-01-01T00:00:00Z"), b), "v", "s"))
                .as("another workflow").isEqualTo("v/2027/01/01/00/b.log/");
        assertThat(hours.prefix(new DataRecord(new byte[0], Instant.parse("1969-12-31T23:30:00Z"), Map.of()), "v", "s"))
                .as("before 1970, no attribute").isEqualTo("v/1969/12/31/23//");

        KeyTemplate days = parse("{dd}/{first}");
        assertThat(days.prefix(DataRecord.of("x", Instant.parse("2026-02-28T23:59:59Z")), "w", "s")).isEqualTo("28/");
        assertThat(days.prefix(DataRecord.of("x", Instant.parse("2026-03-01T00:00:00Z")), "w", "s")).isEqualTo("01/");
        KeyTemplate seconds = parse("{ss}/{first}");
        assertThat(seconds.prefix(DataRecord.of("x", Instant.parse("2026-03-01T00:00:00.5Z")), "w", "s"))
                .isEqualTo("00/");
        assertThat(seconds.prefix(DataRecord.of("x", Instant.parse("2026-03-01T00:00:01Z")), "w", "s"))
                .isEqualTo("01/");
        KeyTemplate none = parse("{workflow}/{first}");
        assertThat(none.prefix(DataRecord.of("x", Instant.EPOCH), "w", "s")).isEqualTo("w/");
        assertThat(none.prefix(DataRecord.of("x", Instant.EPOCH), "w2", "s")).isEqualTo("w2/");
        assertThat(parse("{yyyy}/{first}").prefix(DataRecord.of("x", Instant.parse("0999-01-01T00:00:00Z")), "w", "s"))
                .isEqualTo("0999/");
    }

    @Test
    void attributesAreEscapedWhereTheyWouldBreakAKeyAndEmptyWhenMissing() {
        KeyTemplate t = parse("{source}/{attr.level}/{attr.file}/{attr.none}/{first}");
        DataRecord r = new DataRecord(new byte[0], Instant.EPOCH,
                Map.of("level", "warn", "file", "var/log/a%b\n.log"));
        assertThat(t.prefix(r, "w", "my source")).isEqualTo("my source/warn/var%2Flog%2Fa%25b%0A.log//");
        assertThat(KeyTemplate.escape("..")).isEqualTo("%2E%2E");
        assertThat(KeyTemplate.escape(".")).isEqualTo("%2E");
        assertThat(KeyTemplate.escape("é/ü")).isEqualTo("é%2Fü");
    }

    @Test
    void aTemplateWithoutFirstOrWithUnknownPlaceholdersIsRefusedWithTheReason() {
        assertThat(error("{workflow}/{yyyy}.log")).contains("must contain {first}");
        assertThat(error("{first}/{first}")).contains("once");
        assertThat(error("{workflow}/{day}/{first}")).contains("unknown placeholder {day}");
        assertThat(error("{workflow/{first}")).contains("unknown placeholder");
        assertThat(error("a}/{first}")).contains("closes no placeholder");
        assertThat(error("{first}/{HH}")).contains("only {ext}");
        assertThat(error("/abs/{first}")).contains("must not start with '/'");
        assertThat(error("{first")).contains("not closed");
    }

    @Test
    void textAndExtMayFollowFirst() {
        KeyTemplate t = parse("{workflow}-{first}-part.{ext}");
        assertThat(t.name("w-", "00000000000000000001", "ndjson.zst")).isEqualTo("w-00000000000000000001-part.ndjson.zst");
    }
}
