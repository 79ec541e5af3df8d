package dev.ingest.plugin.s3;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class KeysTest {

    @Test
    void aListedKeyIsNamedWithoutThePrefixAndLeadingSlashes() {
        assertThat(Keys.nameOf("in/a/b.txt", "in/")).isEqualTo("a/b.txt");
        assertThat(Keys.nameOf("in/a/b.txt", "in")).isEqualTo("a/b.txt");
        assertThat(Keys.nameOf("a/b.txt", "")).isEqualTo("a/b.txt");
        assertThat(Keys.nameOf("log-2026.txt", "log-")).isEqualTo("2026.txt");
    }

    @Test
    void aPrefixNamingTheObjectItselfLeavesTheLastSegmentAsName() {
        assertThat(Keys.nameOf("exports/day.csv", "exports/day.csv")).isEqualTo("day.csv");
        assertThat(Keys.nameOf("day.csv", "day.csv")).isEqualTo("day.csv");
    }

    @Test
    void aNameIsJoinedToThePrefixWithExactlyOneSlash() {
        assertThat(Keys.join("out", "a/b.txt")).isEqualTo("out/a/b.txt");
        assertThat(Keys.join("out/", "a/b.txt")).isEqualTo("out/a/b.txt");
        assertThat(Keys.join("out/", "/a.txt")).isEqualTo("out/a.txt");
        assertThat(Keys.join("", "a/b.txt")).isEqualTo("a/b.txt");
    }

    @Test
    void theMarkerOfANameIsItsNameWithDoneUnderTheMetafilesPrefix() {
        assertThat(Keys.markerOf("meta", "a/b.txt")).isEqualTo("meta/a/b.txt.done");
        assertThat(Keys.markerOf("meta/", "b.txt")).isEqualTo("meta/b.txt.done");
    }

    @Test
    void keysLongerThan1024Utf8BytesAreInvalid() {
        assertThat(Keys.whyInvalid("a".repeat(1024))).isNull();
        assertThat(Keys.whyInvalid("é".repeat(513))).isEqualTo("the key is 1026 bytes long in UTF-8; S3 allows 1024");
        assertThat(Keys.whyInvalid("")).isEqualTo("the key is empty");
    }

    @Test
    void uriEncodesWhatUrisCannotHold() {
        assertThat(Keys.uri("bucket", "a/b c.txt")).hasToString("s3://bucket/a/b%20c.txt");
        assertThat(Keys.uri("bucket", "q?#%.txt")).hasToString("s3://bucket/q%3F%23%25.txt");
        assertThat(Keys.uri("my_bucket", "x").getAuthority()).isEqualTo("my_bucket");
        assertThat(Keys.uri("bucket", "résumé.csv").getPath()).isEqualTo("/résumé.csv");
    }
}
