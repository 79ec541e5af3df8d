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
