package dev.ingest.plugin.file;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file plugin in a JVM started in the C locale, whose file name encoding is ASCII: names are read and written as
 * UTF-8 all the same (the launcher asks for a UTF-8 locale, but an application that embeds ingest may not).
 */
class FileNamesUnderAnAsciiLocaleIT {

    @TempDir
    Path dir;

    @Test
    void utf8NamesAreKeptAndUndecodableNamesMappedWhenTheJvmsFileNameEncodingIsAscii() throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        Path dst = dir.resolve("dst");
        Files.createDirectories(src.resolve("dossier é"));
        Files.writeString(src.resolve("dossier é/ファイル 1.txt"), "utf-8 name");
        Files.writeString(Path.of(URI.create(src.toUri() + "caf%E9.txt")), "latin-1 name");
        Files.writeString(src.resolve("plain.txt"), "ascii name");

        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), CopyTreeMain.class.getName(), src.toString(),
                dst.toString()).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("LC_") || k.equals("LANG") || k.equals("LANGUAGE"));
        pb.environment().put("LC_ALL", "C");
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the copy finished").isTrue();

        assertThat(output).as("a JVM whose file names are not UTF-8").contains("sun.jnu.encoding=ANSI_X3.4-1968");
        assertThat(p.exitValue()).as(output).isZero();
        assertThat(output).contains("copied caf%E9.txt", "copied plain.txt",
                "copied dossier \\u00e9/\\u30d5\\u30a1\\u30a4\\u30eb 1.txt");
        assertThat(dst.resolve("dossier é/ファイル 1.txt")).hasContent("utf-8 name");
        assertThat(dst.resolve("caf%E9.txt")).hasContent("latin-1 name");
        assertThat(dst.resolve("plain.txt")).hasContent("ascii name");
        assertThat(files(dst)).containsExactly("caf%E9.txt", "dossier é/ファイル 1.txt", "plain.txt");
        assertThat(files(src)).as("every source file was cleaned up").isEmpty();
    }

    private static List<String> files(Path root) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root)) {
            walk.filter(Files::isRegularFile).forEach(p -> out.add(root.relativize(p).toString()));
        }
        out.sort(null);
        return out;
    }
}
