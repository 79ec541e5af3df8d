package dev.ingest.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * The records case's data: application log lines of exactly {@value #LINE_BYTES} bytes (newline included),
 * generated from a fixed seed so that every run compresses the same text, and a check of what a run stored.
 */
final class LogLines {

    /** Bytes per line, the newline included. */
    static final int LINE_BYTES = 100;

    private static final String[] LEVELS = {"INFO ", "INFO ", "INFO ", "DEBUG", "WARN ", "ERROR"};
    private static final String[] PATHS = {"/api/v1/items", "/api/v1/orders", "/api/v2/users", "/health",
        "/api/v1/search", "/static/app.js", "/api/v1/carts", "/login"};
    private static final String[] METHODS = {"GET", "GET", "GET", "POST", "PUT", "DELETE"};

    private LogLines() {
    }

    /**
     * Writes {@code lines} lines spread over {@code files} files {@code app-N.log} in {@code dir}.
     *
     * @return the bytes written
     */
    static long write(Path dir, int files, long lines) throws IOException {
        Files.createDirectories(dir);
        SplittableRandom random = new SplittableRandom(42);
        long epochMillis = 1_796_000_000_000L;
        long written = 0;
        byte[] line = new byte[LINE_BYTES];
        for (int f = 0; f < files; f++) {
            long count = lines / files + (f < lines % files ? 1 : 0);
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(dir.resolve("app-" + f + ".log")),
                    1 << 20)) {
                for (long i = 0; i < count; i++) {
                    epochMillis += random.nextInt(3);
                    String text = String.format(Locale.ROOT,
                            "%tFT%<tT.%<tLZ %s [worker-%02d] %s %s/%d status=%d ms=%d req=%08x",
                            epochMillis, LEVELS[random.nextInt(LEVELS.length)], random.nextInt(32),
                            METHODS[random.nextInt(METHODS.length)], PATHS[random.nextInt(PATHS.length)],
                            random.nextInt(100_000), random.nextInt(10) < 9 ? 200 : 500, random.nextInt(900),
                            random.nextInt());
                    byte[] b = text.getBytes(StandardCharsets.US_ASCII);
                    int n = Math.min(b.length, LINE_BYTES - 1);
                    System.arraycopy(b, 0, line, 0, n);
                    for (int j = n; j < LINE_BYTES - 1; j++) {
                        line[j] = ' ';
                    }
                    line[LINE_BYTES - 1] = '\n';
                    out.write(line);
                    written += LINE_BYTES;
                }
            }
        }
        return written;
    }

    /** What the batch objects under a directory hold once decompressed. */
    record Stored(long objects, long lines, long bytes) {
    }

    /**
     * Reads every {@code .gz} object under {@code dir} (hidden temporary files aside).
     *
     * @return their number, and the lines and bytes they hold
     */
    static Stored read(Path dir) throws IOException {
        long objects = 0;
        long lines = 0;
        long bytes = 0;
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith("."))
                    .toList();
        }
        byte[] buf = new byte[1 << 16];
        for (Path p : files) {
            objects++;
            try (InputStream in = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(p)), 1 << 16)) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    bytes += n;
                    for (int i = 0; i < n; i++) {
                        if (buf[i] == '\n') {
                            lines++;
                        }
                    }
                }
            }
        }
        return new Stored(objects, lines, bytes);
    }
}
