package dev.ingest.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PrefetchTest {

    private static Prefetch.Lister<Integer> counting(int n, AtomicInteger produced, int failAt) {
        return new Prefetch.Lister<>() {
            int i;

            @Override
            public void start() {
                i = 0;
            }

            @Override
            public Optional<Integer> next() throws IOException {
                if (i == failAt) {
                    throw new IOException("page " + i + " failed");
                }
                if (i >= n) {
                    return Optional.empty();
                }
                produced.incrementAndGet();
                return Optional.of(i++);
            }
        };
    }

    @Test
    void everyEntryArrivesInOrderThenTheEnd() throws Exception {
        List<Integer> got = new ArrayList<>();
        try (Prefetch<Integer> p = new Prefetch<>(counting(10_000, new AtomicInteger(), -1), "t", "wf")) {
            for (Integer i = p.next(); i != null; i = p.next()) {
                got.add(i);
            }
            assertThat(p.next()).isNull();
        }
        assertThat(got).hasSize(10_000).isSorted();
    }

    @Test
    void aFailingListingIsReportedAfterTheEntriesBeforeIt() throws Exception {
        try (Prefetch<Integer> p = new Prefetch<>(counting(100, new AtomicInteger(), 3), "t", "wf")) {
            assertThat(p.next()).isZero();
            assertThat(p.next()).isOne();
            assertThat(p.next()).isEqualTo(2);
            assertThatThrownBy(p::next).isInstanceOf(IOException.class).hasMessage("page 3 failed");
            assertThat(p.next()).isNull();
        }
    }

    @Test
    void itReadsAheadOnlyAsFarAsItsBufferAndClosingStopsIt() throws Exception {
        AtomicInteger produced = new AtomicInteger();
        Prefetch<Integer> p = new Prefetch<>(counting(1_000_000, produced, -1), "t", "wf");
        assertThat(p.next()).isZero();
        Thread.sleep(200);
        assertThat(produced.get()).isLessThanOrEqualTo(Prefetch.AHEAD + 2);
        p.close();
        int after = produced.get();
        Thread.sleep(50);
        assertThat(produced.get()).isEqualTo(after);
    }
}
