package dev.ingest.testkit.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import org.junit.jupiter.api.Test;

/** The contract suites' measures tell a streaming consumer from a buffering one. */
class HeapWatchTest {

    private static final long SIZE = 64L * 1024 * 1024;

    @Test
    void streamingLeavesTheReachableHeapAlone() throws Exception {
        HeapWatch heap = HeapWatch.start();
        try (InputStream in = heap.watching(ContractStreams.generated(SIZE, 1), SIZE / 4)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        assertThat(heap.samples()).isEqualTo(5); // at 16, 32, 48, 64 MiB and at the end
        assertThat(heap.peakGrowth()).isLessThan(4L * 1024 * 1024);
    }

    @Test
    void bufferingShowsUpAsReachableHeap() throws Exception {
        HeapWatch heap = HeapWatch.start();
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        try (InputStream in = heap.watching(ContractStreams.generated(SIZE, 1), SIZE / 4)) {
            in.transferTo(buffer);
        }
        assertThat(buffer.size()).isEqualTo((int) SIZE);
        assertThat(heap.peakGrowth()).isGreaterThan(SIZE * 3 / 4);
    }

    @Test
    void assertSameContentFindsTheFirstDifferenceAndLengthMismatches() throws Exception {
        byte[] a = {1, 2, 3, 4};
        assertThat(ContractStreams.assertSameContent(new ByteArrayInputStream(a), new ByteArrayInputStream(a.clone()), "x"))
                .isEqualTo(4);
        assertThatThrownBy(() -> ContractStreams.assertSameContent(new ByteArrayInputStream(a),
                new ByteArrayInputStream(new byte[] {1, 2, 9, 4}), "x")).hasMessageContaining("differs at byte 2");
        assertThatThrownBy(() -> ContractStreams.assertSameContent(new ByteArrayInputStream(a),
                new ByteArrayInputStream(new byte[] {1, 2}), "x")).hasMessageContaining("ended after 2 bytes");
        assertThatThrownBy(() -> ContractStreams.assertSameContent(new ByteArrayInputStream(a),
                new ByteArrayInputStream(new byte[] {1, 2, 3, 4, 5}), "x")).hasMessageContaining("longer than");
    }

    @Test
    void generatedContentDependsOnTheSeed() throws Exception {
        assertThat(ContractStreams.generated(1000, 1).readAllBytes())
                .isEqualTo(ContractStreams.generated(1000, 1).readAllBytes())
                .isNotEqualTo(ContractStreams.generated(1000, 2).readAllBytes());
    }
}
