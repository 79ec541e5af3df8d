package dev.ingest.core.records;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.luben.zstd.ZstdInputStream;
import dev.ingest.api.DataRecord;
import dev.ingest.core.config.BatchConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class BatchFileTest {

    @TempDir
    Path dir;

    private static BatchConfig config(BatchConfig.Format format, BatchConfig.Compression compression) {
        BatchConfig d = BatchConfig.defaults();
        return new BatchConfig(d.maxRecords(), d.maxBytes(), d.maxAge(), format, compression, d.key(), 1);
    }

    private static byte[] read(Path file, BatchConfig.Compression compression) throws IOException {
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = switch (compression) {
                 case GZIP -> new GZIPInputStream(raw);
                 case ZSTD -> new ZstdInputStream(raw);
                 case NONE -> raw;
             }) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toByteArray();
        }
    }

    @ParameterizedTest
    @EnumSource(BatchConfig.Compression.class)
    void linesAreEachRecordsBytesAndALineBreakCompressedAsAsked(BatchConfig.Compression compression) throws Exception {
        Random random = new Random(1);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        Path file;
        try (BatchFile batch = new BatchFile(dir, config(BatchConfig.Format.LINES, compression))) {
            for (int i = 0; i < 2000; i++) {
                byte[] data = new byte[random.nextInt(200)];
                random.nextBytes(data); // binary and invalid UTF-8 go through byte for byte
                batch.append(new DataRecord(data, Instant.EPOCH, Map.of()));
                expected.write(data);
                expected.write('\n');
            }
            batch.finish();
            file = batch.file();

            assertThat(batch.records()).isEqualTo(2000);
            assertThat(batch.written()).as("bytes as written").isEqualTo(Files.size(file));
            assertThat(batch.sha256()).isEqualTo(HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file))));
            assertThat(read(file, compression)).isEqualTo(expected.toByteArray());
        }
        assertThat(file).as("the spool file is removed on close").doesNotExist();
    }

    @Test
    void compressedBatchesAreSmallerAndWrittenBytesGrowAsTheyAreWritten() throws Exception {
        try (BatchFile batch = new BatchFile(dir, config(BatchConfig.Format.LINES, BatchConfig.Compression.GZIP))) {
            long before = batch.written();
            for (int i = 0; i < 100_000; i++) {
                batch.append(DataRecord.of("2026-12-03T10:00:00Z INFO request " + i + " served in 12 ms", Instant.EPOCH));
            }
            assertThat(batch.written()).as("counted before the end").isGreaterThan(before);
            batch.finish();
            assertThat(batch.written()).isLessThan(batch.dataBytes() / 4);
        }
    }

    @Test
    void ndjsonAddsTheAttributesOfARecordThatIsAJsonObjectUnderAttributesUnlessItHasThatField() throws Exception {
        Map<String, String> attrs = Map.of("file", "app.log", "offset", "120");
        try (BatchFile batch = new BatchFile(dir, config(BatchConfig.Format.NDJSON, BatchConfig.Compression.NONE))) {
            batch.append(new DataRecord("{\"msg\": \"x\", \"n\": [1, {\"a\": 2}]}".getBytes(StandardCharsets.UTF_8),
                    Instant.EPOCH, attrs));
            batch.append(new DataRecord("{\"attributes\": \"mine\"}".getBytes(StandardCharsets.UTF_8), Instant.EPOCH,
                    attrs));
            batch.append(DataRecord.of("{\"alone\": true}", Instant.EPOCH));
            batch.finish();
            List<String> lines = Files.readAllLines(batch.file());

            assertThat(lines).containsExactly(
                    "{\"msg\":\"x\",\"n\":[1,{\"a\":2}],\"attributes\":{\"file\":\"app.log\",\"offset\":\"120\"}}",
                    "{\"attributes\":\"mine\"}",
                    "{\"alone\":true}");
        }
    }

    @Test
    void ndjsonLeavesOutAttributesThatRepeatAFieldOfTheObject() throws Exception {
        try (BatchFile batch = new BatchFile(dir, config(BatchConfig.Format.NDJSON, BatchConfig.Compression.NONE))) {
            // A database row: every column is also an attribute, with its text.
            batch.append(new DataRecord("{\"id\":7,\"amount\":12.50,\"ok\":true,\"bucket\":\"b1\",\"n\":null}"
                    .getBytes(StandardCharsets.UTF_8), Instant.EPOCH,
                    Map.of("id", "7", "amount", "12.50", "ok", "true", "bucket", "b1")));
            // Same names, other values, or a field that is not a scalar: kept.
            batch.append(new DataRecord("{\"file\":\"mine.log\",\"offset\":[1]}".getBytes(StandardCharsets.UTF_8),
                    Instant.EPOCH, Map.of("file", "app.log", "offset", "1", "id", "9")));
            batch.finish();
            assertThat(Files.readAllLines(batch.file())).containsExactly(
                    "{\"id\":7,\"amount\":12.50,\"ok\":true,\"bucket\":\"b1\",\"n\":null}",
                    "{\"file\":\"mine.log\",\"offset\":[1],\"attributes\":{\"file\":\"app.log\",\"id\":\"9\",\"offset\":\"1\"}}");
        }
    }

    @Test
    void ndjsonKeepsJsonObjectsCompactAndWrapsEverythingElseWithItsTimeAndAttributes() throws Exception {
        ObjectMapper json = new ObjectMapper();
        byte[] invalid = {'c', 'a', 'f', (byte) 0xe9};
        List<DataRecord> records = List.of(
                DataRecord.of("{\"level\": \"warn\",\n  \"msg\": \"disk\" }", Instant.EPOCH),
                new DataRecord("plain text".getBytes(StandardCharsets.UTF_8), Instant.parse("2026-12-03T10:00:00Z"),
                        Map.of("file", "a.log", "offset", "42")),
                DataRecord.of("{not json", Instant.EPOCH),
                DataRecord.of("[1, 2]", Instant.EPOCH),
                new DataRecord(invalid, Instant.EPOCH, Map.of()));
        Path file;
        try (BatchFile batch = new BatchFile(dir, config(BatchConfig.Format.NDJSON, BatchConfig.Compression.NONE))) {
            for (DataRecord r : records) {
                batch.append(r);
            }
            batch.finish();
            file = batch.file();
            List<String> lines = Files.readAllLines(file);

            assertThat(lines).hasSize(5);
            assertThat(lines.get(0)).isEqualTo("{\"level\":\"warn\",\"msg\":\"disk\"}");
            JsonNode wrapped = json.readTree(lines.get(1));
            assertThat(wrapped.path("message").asText()).isEqualTo("plain text");
            assertThat(wrapped.path("timestamp").asText()).isEqualTo("2026-12-03T10:00:00Z");
            assertThat(wrapped.path("file").asText()).isEqualTo("a.log");
            assertThat(wrapped.path("offset").asText()).isEqualTo("42");
            assertThat(json.readTree(lines.get(2)).path("message").asText()).isEqualTo("{not json");
            assertThat(json.readTree(lines.get(3)).path("message").asText()).isEqualTo("[1, 2]");
            JsonNode binary = json.readTree(lines.get(4));
            assertThat(Base64.getDecoder().decode(binary.path("message_base64").asText())).isEqualTo(invalid);
        }
    }
}
