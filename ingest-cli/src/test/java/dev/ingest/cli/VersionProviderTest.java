package dev.ingest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What {@code ingest --version} prints, from the version.properties Maven filtered into target/classes. */
class VersionProviderTest {

    @Test
    void printsTheVersionTheCommitAndJava() {
        String[] lines = new VersionProvider().getVersion();
        assertThat(lines).hasSize(3);
        assertThat(lines[0]).matches("ingest \\d+\\.\\d+\\.\\d+.*").doesNotContain("${");
        assertThat(lines[1]).matches("commit ([0-9a-f]{7,40}|unknown)");
        assertThat(lines[2]).isEqualTo("Java " + System.getProperty("java.version"));
    }
}
