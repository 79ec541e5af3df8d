package dev.ingest.core.records;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ingest.api.DataRecord;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChunkCodecTest {

    @Test
    void recordsSurviveTheRoundTripWithTheirBytesTimesAndAttributes() {
        Random random = new Random(3);
        List<DataRecord> in = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            byte[] data = new byte[random.nextInt(300)];
            random.nextBytes(data); // any bytes, also invalid UTF-8 and line breaks
            Instant time = Instant.ofEpochSecond(1_700_000_000L + random.nextInt(1000) - 500, random.nextInt(1000) * 1000L);
            in.add(new DataRecord(data, time, Map.of("file", "app.log", "offset", Long.toString(i * 100L),
                    "lévél", i % 3 == 0 ? "wärn" : "info")));
        }

        List<DataRecord> out = ChunkCodec.decode(ChunkCodec.encode(in));

        assertThat(out).isEqualTo(in);
    }

    @Test
    void everyShapeOfAttributesSurvivesTheRoundTripAndCanBeLeftOut() {
        List<DataRecord> in = new ArrayList<>();
        String longValue = "ü".repeat(100) + "x".repeat(200); // a length of two varint bytes, and not ASCII
        for (int i = 0; i < 300; i++) {
            Map<String, String> attributes = switch (i % 7) {
                case 0 -> Map.of();
                case 1 -> Map.of("offset", Long.toString(i));
                case 2 -> Map.of("file", "a.log", "offset", Long.toString(i));
                case 3 -> Map.of("file", "a.log", "offset", Long.toString(i), "part", "2");
                case 4 -> Map.of("file", "b.log", "long", longValue);
                case 5 -> manyAttributes(i);
                default -> Map.of("file", "a.log");
            };
            in.add(new DataRecord(new byte[] {(byte) i}, Instant.ofEpochSecond(i), attributes));
        }
        for (List<DataRecord> chunk : List.of(in, in.subList(2, 3), in.subList(5, 6), in.subList(3, 4))) {
            byte[] body = ChunkCodec.encode(chunk);
            assertThat(ChunkCodec.decode(body)).isEqualTo(chunk);
            assertThat(ChunkCodec.decode(body, true)).isEqualTo(chunk);
            List<DataRecord> bare = ChunkCodec.decode(body, false);
            assertThat(bare).hasSameSizeAs(chunk);
            for (int i = 0; i < chunk.size(); i++) {
                assertThat(bare.get(i)).isEqualTo(new DataRecord(chunk.get(i).data(), chunk.get(i).time(), Map.of()));
            }
            // Cut short anywhere, with or without attributes: refused, never read past the end.
            for (int cut = 3; cut < Math.min(body.length, 400); cut++) {
                byte[] shorter = Arrays.copyOf(body, cut);
                assertThatThrownBy(() -> ChunkCodec.decode(shorter, false)).isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> ChunkCodec.decode(shorter, true)).isInstanceOf(IllegalArgumentException.class);
            }
        }
        // Chunks whose records share the same attributes, or repeat one of the common ones in their own.
        List<DataRecord> same = new ArrayList<>();
        Map<String, String> shared = Map.of("file", "a.log", "offset", "1");
        for (int i = 0; i < 3; i++) {
            same.add(new DataRecord(new byte[] {1}, Instant.EPOCH, shared));
        }
        same.add(new DataRecord(new byte[] {1}, Instant.EPOCH, Map.of("file", "a.log", "offset", "2")));
        assertThat(ChunkCodec.decode(ChunkCodec.encode(same))).isEqualTo(same);
    }

    private static Map<String, String> manyAttributes(int i) {
        Map<String, String> m = new java.util.HashMap<>();
        for (int k = 0; k < 130; k++) { // more than 127: a count of two varint bytes
            m.put("k" + k, k % 2 == 0 ? "v" + i : "same");
        }
        return m;
    }

    @Test
    void attributesCommonToEveryRecordAreWrittenOnce() {
        List<DataRecord> records = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            records.add(new DataRecord("x".getBytes(StandardCharsets.UTF_8), Instant.EPOCH,
                    Map.of("file", "/var/log/some/rather/long/path/application.log")));
        }
        byte[] chunk = ChunkCodec.encode(records);
        assertThat(chunk.length).isLessThan(100 * 10 + 100);
        assertThat(ChunkCodec.decode(chunk)).isEqualTo(records);
    }

    @Test
    void timesKeepMicrosecondsAndMayGoBackwards() {
        List<DataRecord> in = List.of(DataRecord.of("a", Instant.parse("2026-12-03T10:00:00.123456Z")),
                DataRecord.of("b", Instant.parse("1969-12-31T23:59:59.000001Z")),
                DataRecord.of("c", Instant.parse("2026-12-03T10:00:00.123456Z")));
        assertThat(ChunkCodec.decode(ChunkCodec.encode(in))).isEqualTo(in);
    }

    @Test
    void somethingThatIsNotAChunkOrIsCutShortIsRefused() {
        byte[] chunk = ChunkCodec.encode(List.of(DataRecord.of("hello", Instant.EPOCH)));
        assertThat(ChunkCodec.isChunk(chunk)).isTrue();
        assertThat(ChunkCodec.isChunk("{\"id\":\"a\"}".getBytes(StandardCharsets.UTF_8))).isFalse();
        assertThatThrownBy(() -> ChunkCodec.decode("{\"id\":\"a\"}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class);
        for (int cut = 3; cut < chunk.length; cut++) {
            byte[] shorter = Arrays.copyOf(chunk, cut);
            assertThatThrownBy(() -> ChunkCodec.decode(shorter)).as("cut at " + shorter.length)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        byte[] longer = Arrays.copyOf(chunk, chunk.length + 1);
        assertThatThrownBy(() -> ChunkCodec.decode(longer)).isInstanceOf(IllegalArgumentException.class);
    }
}
