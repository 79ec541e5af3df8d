package dev.ingest.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ingest.core.engine.RunSummary.FailureGroup;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunStatsTest {

    private final RunStats stats = new RunStats();

    private void deadLettered(String workflow, String object, String why) {
        stats.failed(object, "workflow " + workflow + ": object '" + object + "': " + why);
    }

    @Test
    void manyObjectsFailingAlikeAreOneLineWithTheirCountAndAFewNames() {
        for (int i = 289; i > 0; i--) {
            String name = String.format("sub/f%03d.txt", i);
            deadLettered("w", name, "gave up after 5 attempts; last error: java.nio.file.NoSuchFileException: "
                    + "/proc/ingest-out/" + name);
        }

        RunSummary summary = stats.snapshot();

        assertThat(summary.failed()).isEqualTo(289);
        assertThat(summary.failures()).as("every failure is kept").hasSize(289);
        assertThat(summary.failureGroups()).singleElement().satisfies(g -> {
            assertThat(g.count()).isEqualTo(289);
            assertThat(g.objects()).containsExactly("sub/f001.txt", "sub/f002.txt", "sub/f003.txt");
            assertThat(g.line()).isEqualTo("289 objects failed: workflow w: object '<object>': gave up after 5 "
                    + "attempts; last error: java.nio.file.NoSuchFileException: /proc/ingest-out/<object> "
                    + "(for example 'sub/f001.txt', 'sub/f002.txt', 'sub/f003.txt' and 286 more)");
        });
    }

    @Test
    void failuresForDifferentReasonsOrWorkflowsStayApartInTheOrderTheyHappened() {
        deadLettered("w", "a.txt", "vanished");
        deadLettered("w", "b.txt", "gave up after 5 attempts");
        deadLettered("w", "c.txt", "vanished");
        deadLettered("other", "d.txt", "vanished");
        stats.failed("workflow w: scan of source s failed: boom");

        List<FailureGroup> groups = stats.snapshot().failureGroups();

        assertThat(groups).extracting(FailureGroup::line).containsExactly(
                "2 objects failed: workflow w: object '<object>': vanished (for example 'a.txt', 'c.txt')",
                "failed: workflow w: object 'b.txt': gave up after 5 attempts",
                "failed: workflow other: object 'd.txt': vanished",
                "failed: workflow w: scan of source s failed: boom");
    }

    @Test
    void aShortNameIsTakenOutOnlyWhereItStandsAlone() {
        deadLettered("w", "a", "attempt failed: HTTP 500 for PUT http://host/a");
        deadLettered("w", "e", "attempt failed: HTTP 500 for PUT http://host/e");

        assertThat(stats.snapshot().failureGroups()).singleElement().extracting(FailureGroup::line).isEqualTo(
                "2 objects failed: workflow w: object '<object>': attempt failed: HTTP 500 for PUT "
                        + "http://host/<object> (for example 'a', 'e')");
    }

    @Test
    void aSingleFailureIsPrintedAsItIs() {
        deadLettered("w", "x.bin", "object name 'x.bin' cannot be stored in destination 'd': it is too long");

        assertThat(stats.snapshot().failureGroups()).singleElement().extracting(FailureGroup::line)
                .isEqualTo("failed: workflow w: object 'x.bin': object name 'x.bin' cannot be stored in destination "
                        + "'d': it is too long");
    }
}
