package dev.ingest.plugin.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ingest.api.CheckpointUpdate;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TailCheckpointTest {

    private static TailCheckpoint.Entry entry(String name) {
        byte[] fp = TailCheckpoint.sha256(new byte[] {1, 2, 3}, 3);
        return new TailCheckpoint.Entry(2049, 1234567, 5000, 4000, 2, 1024, fp, name);
    }

    @Test
    void anEntryReadsBackAsItWasWrittenAndIsKeyedByDeviceAndInode() {
        TailCheckpoint.Entry e = entry("logs/caf%E9.log");

        TailCheckpoint.Entry back = TailCheckpoint.decode(TailCheckpoint.encode(e));

        assertThat(back.key()).isEqualTo("2049:1234567").isEqualTo(e.key());
        assertThat(back.offset()).isEqualTo(5000);
        assertThat(back.lineStart()).isEqualTo(4000);
        assertThat(back.parts()).isEqualTo(2);
        assertThat(back.fingerprintLength()).isEqualTo(1024);
        assertThat(back.fingerprint()).isEqualTo(e.fingerprint());
        assertThat(back.name()).isEqualTo("logs/caf%E9.log");
        assertThat(TailCheckpoint.isFile(back.key())).isTrue();
        assertThat(TailCheckpoint.isFile(TailCheckpoint.MARKER)).isFalse();
    }

    @Test
    void anEntryOfTheLongestPathFitsTheLimitOfACheckpointValue() {
        byte[] value = TailCheckpoint.encode(entry("%FF".repeat(4095))); // every byte of a 4,095-byte path mapped
        assertThat(value.length).isLessThan(CheckpointUpdate.MAX_VALUE_BYTES);
    }

    @Test
    void truncatedOrInconsistentBytesAreRefused() {
        byte[] good = TailCheckpoint.encode(entry("a.log"));

        assertThatThrownBy(() -> TailCheckpoint.decode(Arrays.copyOf(good, good.length - 1)))
                .isInstanceOf(IllegalArgumentException.class);
        byte[] otherVersion = good.clone();
        otherVersion[0] = 9;
        assertThatThrownBy(() -> TailCheckpoint.decode(otherVersion)).hasMessageContaining("version");
        byte[] longer = Arrays.copyOf(good, good.length + 1);
        assertThatThrownBy(() -> TailCheckpoint.decode(longer)).isInstanceOf(IllegalArgumentException.class);
    }
}
