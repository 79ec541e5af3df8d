package dev.ingest.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ingest.core.records.KeyTemplate;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BatchConfigTest {

    private static BatchConfig batch(long maxRecords, int maxOpenBatches) {
        return new BatchConfig(maxRecords, 1 << 20, Duration.ofMinutes(1), BatchConfig.Format.LINES,
                BatchConfig.Compression.NONE, KeyTemplate.parse(KeyTemplate.DEFAULT).template().orElseThrow(),
                maxOpenBatches);
    }

    @Test
    void aBatcherMayHoldAMessagePerRecordOfItsOpenAndStoringBatchesAndOnePull() {
        assertThat(BatchConfig.defaults().maxHeldMessages()).isEqualTo((64 + 4) * 10_000L + 256);
        assertThat(batch(1, 1).maxHeldMessages()).isEqualTo(5 + 256);
    }

    @Test
    void theCountIsCappedAtWhatJetStreamTakes() {
        assertThat(batch(Long.MAX_VALUE, 64).maxHeldMessages()).isEqualTo(Integer.MAX_VALUE);
        assertThat(batch(100_000_000, 1000).maxHeldMessages()).isEqualTo(Integer.MAX_VALUE);
    }
}
