package dev.ingest.plugin.file;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ObjectNamesTest {

    @Test
    void tempFileNameFollowsThePatternTheSourceSkips() {
        String temp = ObjectNames.tempFileName("report.pdf", 0x1234L);

        assertThat(temp).isEqualTo(".report.pdf.ingest-0000000000001234.tmp");
        assertThat(ObjectNames.isTempFile(temp)).isTrue();
        assertThat(ObjectNames.isTempFile(ObjectNames.tempFileName("x", -1L))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"report.pdf", ".hidden", ".report.pdf.tmp", "a.ingest-12.tmp", ".a.ingest-.tmp",
        ".a.ingest-12.tmp.bak"})
    void ordinaryFileNamesAreNotTempFiles(String fileName) {
        assertThat(ObjectNames.isTempFile(fileName)).isFalse();
    }

    @Test
    void tempFileNameOfAVeryLongNameStaysWithinFileNameLimits() {
        String longName = "é".repeat(127) + ".txt"; // 258 bytes in UTF-8

        String temp = ObjectNames.tempFileName(longName, 42);

        assertThat(temp.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(255);
        assertThat(ObjectNames.isTempFile(temp)).isTrue();
        assertThat(temp).startsWith(".éé");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "a/b.txt", "dossier é/ファイル 1.txt", "..a", "a..", ".hidden/x", "a\\b"})
    void relativeNamesAreSafe(String name) {
        assertThat(ObjectNames.whyUnsafe(name, false)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "/abs", "../x", "a/../../b", "a/..", "./a", "a/./b", "a//b", "a/", "a\0b"})
    void escapingOrMalformedNamesAreUnsafe(String name) {
        assertThat(ObjectNames.whyUnsafe(name, false)).isNotNull();
    }

    @Test
    void backslashIsUnsafeOnlyWhenAsked() {
        assertThat(ObjectNames.whyUnsafe("a\\b", true)).contains("backslash");
    }
}
