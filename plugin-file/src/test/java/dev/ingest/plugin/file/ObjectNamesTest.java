package dev.ingest.plugin.file;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

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
        ".a.ingest-12.tmp.bak", ".notes.ingest-old.tmp", ".a.ingest-0123456789abcde.tmp",
        ".a.ingest-0123456789abcdef0.tmp", ".a.ingest-0123456789ABCDEF.tmp", ".a.ingest-0123456789abcdeg.tmp",
        "..ingest-0123456789abcdef.tmp"})
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
    void theTempFilesOfANameAreOnlyThoseOfItsExactFrame() {
        assertThat(ObjectNames.isTempFileOf(ObjectNames.tempFileName("x.txt", 7), "x.txt")).isTrue();
        assertThat(ObjectNames.isTempFileOf(".x.txt.ingest-old0000000000000.tmp", "x.txt")).isFalse();
        assertThat(ObjectNames.isTempFileOf(ObjectNames.tempFileName("x.txt", 7), "y.txt")).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain.txt", "dossier é/ファイル 1.txt", "100%E9 literally", "emoji \uD83D\uDE00", "%", ""})
    void namesThatAreValidUtf8AreTheirOwnMapping(String name) {
        byte[] raw = name.getBytes(StandardCharsets.UTF_8);

        assertThat(ObjectNames.isUtf8(raw)).isTrue();
        assertThat(ObjectNames.mapBytes(raw)).isEqualTo(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "636166e92e747874:caf%E9.txt", // Latin-1 é
        "31303025e9:100%25%E9", // a '%' in a name that is mapped is escaped too
        "61ff2f62:a%FF/b", // a byte that is never UTF-8
        "c3:%C3", // a sequence cut short
        "c0af:%C0%AF", // an overlong '/'
        "eda080:%ED%A0%80", // a UTF-16 surrogate
        "f4908080:%F4%90%80%80", // beyond U+10FFFF
        "c3a9e9:é%E9" // valid and invalid together
    })
    void bytesThatAreNotValidUtf8MapToAPrintableNameAndBack(String example) {
        String[] parts = example.split(":", 2);
        byte[] raw = HexFormat.of().parseHex(parts[0]);

        assertThat(ObjectNames.isUtf8(raw)).isFalse();
        assertThat(ObjectNames.mapBytes(raw)).isEqualTo(parts[1]);
        assertThat(ObjectNames.bytesOf(parts[1])).isEqualTo(raw);
    }

    @Test
    void theMappingAgreesWithTheJdksStrictUtf8Decoder() throws Exception {
        java.util.Random random = new java.util.Random(11);
        for (int i = 0; i < 20_000; i++) {
            byte[] raw = new byte[1 + random.nextInt(6)];
            random.nextBytes(raw);
            boolean jdk;
            try {
                StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(raw));
                jdk = true;
            } catch (java.nio.charset.CharacterCodingException e) {
                jdk = false;
            }
            assertThat(ObjectNames.isUtf8(raw)).as(HexFormat.of().formatHex(raw)).isEqualTo(jdk);
            if (!jdk) {
                assertThat(ObjectNames.bytesOf(ObjectNames.mapBytes(raw))).as(HexFormat.of().formatHex(raw))
                        .isEqualTo(raw);
            }
        }
    }

    @Test
    void backslashIsUnsafeOnlyWhenAsked() {
        assertThat(ObjectNames.whyUnsafe("a\\b", true)).contains("backslash");
    }
}
