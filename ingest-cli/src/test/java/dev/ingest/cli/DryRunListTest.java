package dev.ingest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --dry-run --list}: the objects themselves, not only the counts. */
class DryRunListTest {

    @TempDir
    Path dir;

    @Test
    void listsEachObjectMarkedToCopyOrAlreadyPresent() throws Exception {
        Path in = Files.createDirectories(dir.resolve("in"));
        Path out = Files.createDirectories(dir.resolve("out"));
        Files.writeString(in.resolve("new.txt"), "12345");
        Files.writeString(in.resolve("old.txt"), "abc");
        Files.writeString(out.resolve("old.txt"), "abc");
        Path config = dir.resolve("c.yaml");
        Files.writeString(config, """
                sources: [{name: s, type: file, path: %s}]
                destinations: [{name: d, type: file, path: %s}]
                workflows: [{name: w, source: s, destinations: [d]}]
                """.formatted(in, out));

        CliRun r = CliRun.run("--dry-run", "--list", "--config", config.toString());

        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.out()).as(r.describe()).contains("  + w: new.txt (5 B)", "  = w: old.txt")
                .contains("plan: 2 listed, 1 already at every destination, 1 to copy");
        assertThat(CliRun.run("--dry-run", "--config", config.toString()).out()).doesNotContain("+ w: new.txt");
        CliRun alone = CliRun.run("--list", "--mode=all", "--config", config.toString());
        assertThat(alone.exitCode()).as(alone.describe()).isEqualTo(ExitCode.USAGE);
    }
}
