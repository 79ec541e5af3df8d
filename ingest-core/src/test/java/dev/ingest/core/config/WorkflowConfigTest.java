package dev.ingest.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WorkflowConfigTest {

    private static WorkflowConfig workflow(Duration backoff, Duration maxBackoff) {
        return new WorkflowConfig("wf", "src", List.of("dst"), false, Duration.ofMinutes(5), 8, 8, Optional.empty(), Optional.empty(),
                5, backoff, maxBackoff, true, "workflows[0]");
    }

    @Test
    void retryDelayStartsAtBackoffAndDoublesOnEachAttempt() {
        WorkflowConfig w = workflow(Duration.ofSeconds(1), Duration.ofHours(1));

        assertThat(w.retryDelay(1)).isEqualTo(Duration.ofSeconds(1));
        assertThat(w.retryDelay(2)).isEqualTo(Duration.ofSeconds(2));
        assertThat(w.retryDelay(3)).isEqualTo(Duration.ofSeconds(4));
        assertThat(w.retryDelay(4)).isEqualTo(Duration.ofSeconds(8));
        assertThat(w.retryDelay(10)).isEqualTo(Duration.ofSeconds(512));
    }

    @Test
    void retryDelayIsCappedAtMaxBackoff() {
        WorkflowConfig w = workflow(Duration.ofSeconds(1), Duration.ofMinutes(5));

        assertThat(w.retryDelay(9)).isEqualTo(Duration.ofSeconds(256));
        assertThat(w.retryDelay(10)).isEqualTo(Duration.ofMinutes(5));
        assertThat(w.retryDelay(11)).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void retryDelayNeverDecreasesAndNeverExceedsMaxBackoff() {
        WorkflowConfig w = workflow(Duration.ofMillis(300), Duration.ofSeconds(20));
        List<Duration> delays = new ArrayList<>();
        for (long attempt = 1; attempt <= 40; attempt++) {
            delays.add(w.retryDelay(attempt));
        }

        assertThat(delays).isSorted();
        assertThat(delays).allSatisfy(d -> assertThat(d).isLessThanOrEqualTo(Duration.ofSeconds(20)));
        assertThat(delays.get(delays.size() - 1)).isEqualTo(Duration.ofSeconds(20));
    }

    @Test
    void retryDelayOfHugeAttemptCountsIsMaxBackoffWithoutOverflow() {
        WorkflowConfig w = workflow(Duration.ofSeconds(1), Duration.ofMinutes(5));

        assertThat(w.retryDelay(64)).isEqualTo(Duration.ofMinutes(5));
        assertThat(w.retryDelay(Long.MAX_VALUE)).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void retryDelayBeforeTheFirstAttemptIsTheBackoff() {
        WorkflowConfig w = workflow(Duration.ofSeconds(2), Duration.ofMinutes(5));

        assertThat(w.retryDelay(0)).isEqualTo(Duration.ofSeconds(2));
        assertThat(w.retryDelay(-3)).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void retryDelayWithDefaultsCapsAtFiveMinutes() {
        WorkflowConfig w = workflow(WorkflowConfig.DEFAULT_BACKOFF, WorkflowConfig.DEFAULT_MAX_BACKOFF);

        assertThat(w.retryDelay(1)).isEqualTo(Duration.ofSeconds(1));
        assertThat(w.retryDelay(5)).isEqualTo(Duration.ofSeconds(16));
        assertThat(w.retryDelay(20)).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void destinationsAreCopied() {
        List<String> dests = new ArrayList<>(List.of("a"));
        WorkflowConfig w = new WorkflowConfig("wf", "src", dests, false, Duration.ofMinutes(5), 8, 8,
                Optional.empty(), Optional.empty(), 5, Duration.ofSeconds(1), Duration.ofMinutes(5), true, "workflows[0]");
        dests.add("b");

        assertThat(w.destinations()).containsExactly("a");
        assertThatThrownBy(() -> w.destinations().add("c")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void nonPositiveCountsAreRejected() {
        assertThatThrownBy(() -> new WorkflowConfig("wf", "src", List.of("dst"), false, Duration.ofMinutes(5), 0, 8,
                Optional.empty(), Optional.empty(), 5, Duration.ofSeconds(1), Duration.ofMinutes(5), true, "workflows[0]"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WorkflowConfig("wf", "src", List.of("dst"), false, Duration.ofMinutes(5), 8, 0,
                Optional.empty(), Optional.empty(), 5, Duration.ofSeconds(1), Duration.ofMinutes(5), true, "workflows[0]"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WorkflowConfig("wf", "src", List.of("dst"), false, Duration.ofMinutes(5), 8, 8,
                Optional.empty(), Optional.empty(), 0, Duration.ofSeconds(1), Duration.ofMinutes(5), true, "workflows[0]"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
