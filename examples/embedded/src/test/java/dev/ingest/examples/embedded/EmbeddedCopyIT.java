package dev.ingest.examples.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ingest.core.engine.RunSummary;
import dev.ingest.testkit.NatsServerExtension;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The example program against a real nats-server: the copy is byte for byte. */
class EmbeddedCopyIT {

    @RegisterExtension
    static final NatsServerExtension NATS = new NatsServerExtension();

    @TempDir
    Path tmp;

    private Path tree() throws IOException {
        Path src = tmp.resolve("source");
        Random random = new Random(42);
        String[] dirs = {"", "a", "a/b c", "données/été"};
        for (int i = 0; i < 24; i++) {
            Path f = src.resolve(dirs[i % dirs.length]).resolve("file-" + i + (i % 3 == 0 ? ".bin" : ".txt"));
            Files.createDirectories(f.getParent());
            byte[] bytes = new byte[i == 0 ? 0 : random.nextInt(200_000)];
            random.nextBytes(bytes);
            Files.write(f, bytes);
        }
        return src;
    }

    private static Map<String, byte[]> contents(Path root) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                out.put(root.relativize(p).toString(), Files.readAllBytes(p));
            }
        }
        return out;
    }

    private static void assertSameTree(Path expected, Path actual) throws IOException {
        Map<String, byte[]> want = contents(expected);
        Map<String, byte[]> got = contents(actual);
        assertThat(got.keySet()).isEqualTo(want.keySet());
        want.forEach((name, bytes) -> assertThat(got.get(name)).as(name).isEqualTo(bytes));
    }

    @Test
    void theProgramCopiesTheTreeByteForByteAndASecondRunCopiesNothing() throws Exception {
        Path src = tree();
        Path dst = tmp.resolve("target");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();

        int code = EmbeddedCopy.execute(new String[] {NATS.url(), src.toString(), dst.toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));

        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("embedded-copy: ").contains("copied 24,");
        assertSameTree(src, dst);

        RunSummary again = EmbeddedCopy.run(NATS.url(), src, dst);
        assertThat(again.copied()).isZero();
        assertThat(again.skipped() + again.alreadyQueued()).isEqualTo(24);
        assertSameTree(src, dst);
    }

    @Test
    void aMissingSourceIsAConfigurationErrorAndWrongArgumentsAUsageError() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        int code = EmbeddedCopy.execute(new String[] {NATS.url(), tmp.resolve("absent").toString(),
                tmp.resolve("target").toString()}, System.out, e);
        assertThat(code).isEqualTo(3);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("invalid configuration EmbeddedCopy.CONFIG")
                .contains("sources[0]");

        assertThat(EmbeddedCopy.execute(new String[] {NATS.url()}, System.out, e)).isEqualTo(2);
    }
}
