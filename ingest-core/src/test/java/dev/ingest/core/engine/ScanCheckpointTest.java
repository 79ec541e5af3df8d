package dev.ingest.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ingest.api.CheckpointUpdate;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ScanCheckpointTest {

    private static CheckpointUpdate cursor(String key) {
        return CheckpointUpdate.put("cursor", key.getBytes(StandardCharsets.UTF_8));
    }

    private static String cursorOf(CheckpointUpdate u) {
        byte[] v = u.put().get("cursor");
        return v == null ? null : new String(v, StandardCharsets.UTF_8);
    }

    @Test
    void aChangeIsCommittableOnlyOnceEveryObjectBeforeItIsSettled() {
        ScanCheckpoint cp = new ScanCheckpoint(null, "w");
        long a = cp.add(cursor("a"));
        long b = cp.add(cursor("b"));
        long c = cp.add(cursor("c"));

        cp.settle(c);
        cp.settle(b);
        assertThat(cp.committable().isEmpty()).as("a is not queued yet: nothing moves").isTrue();

        cp.settle(a);
        assertThat(cursorOf(cp.committable())).isEqualTo("c");
    }

    @Test
    void anUnconfirmedObjectHoldsTheCheckpointBeforeIt() {
        ScanCheckpoint cp = new ScanCheckpoint(null, "w");
        long a = cp.add(cursor("a"));
        long b = cp.add(cursor("b")); // its publish failed, retried later
        long c = cp.add(cursor("c"));
        cp.settle(a);
        cp.settle(c);
        assertThat(cursorOf(cp.committable())).isEqualTo("a");

        cp.settle(b);
        assertThat(cursorOf(cp.committable())).isEqualTo("c");
    }

    @Test
    void objectsWithoutAChangeAndTheEndOfTheScanKeepTheOrder() {
        ScanCheckpoint cp = new ScanCheckpoint(null, "w");
        long a = cp.add(CheckpointUpdate.NONE);
        long b = cp.add(cursor("b"));
        cp.settle(b);
        cp.end(new CheckpointUpdate(Map.of("cursor", "z".getBytes(StandardCharsets.UTF_8),
                "fullScanAt", "1".getBytes(StandardCharsets.UTF_8)), Set.of()));
        assertThat(cp.committable().isEmpty()).isTrue();

        cp.settle(a);
        assertThat(cursorOf(cp.committable())).isEqualTo("z");
        assertThat(cp.committable().put()).containsKey("fullScanAt");
        assertThat(cp.used()).isTrue();
    }

    @Test
    void aScanWithoutChangesDoesNotUseTheCheckpoint() {
        ScanCheckpoint cp = new ScanCheckpoint(null, "w");
        cp.settle(cp.add(CheckpointUpdate.NONE));
        cp.end(CheckpointUpdate.NONE);
        assertThat(cp.used()).isFalse();
        assertThat(cp.committable().isEmpty()).isTrue();
    }
}
