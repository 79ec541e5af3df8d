package com.example.ingest.compress;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged plugin directory, used as users use it: unzipped, passed with {@code --plugins DIR} to the real
 * launcher of the distribution ({@code ingest-cli/target/ingest/bin/ingest}, set by Failsafe as
 * {@code ingest.distribution}), which runs a file → compress workflow and then a compress → file workflow through
 * an embedded nats-server.
 */
class CompressLauncherIT {

    private static final long TIMEOUT_SECONDS = 120;

    @TempDir
    Path tmp;

    private Path launcher;
    private Path plugins;
    private Path in;
    private final Map<String, byte[]> inputs = new TreeMap<>();

    @BeforeEach
    void setUp() throws IOException {
        String dist = System.getProperty("ingest.distribution");
        assertThat(dist).as("system property ingest.distribution (set by Failsafe)").isNotBlank();
        launcher = Path.of(dist, "bin", "ingest").toAbsolutePath().normalize();
        assertThat(launcher).as("the launcher; package ingest-cli first (mvn -pl ingest-cli package)").isExecutable();

        plugins = Files.createDirectories(tmp.resolve("plugins"));
        unzip(Path.of(System.getProperty("plugin.zip")), plugins);

        in = Files.createDirectories(tmp.resolve("in"));
        Random random = new Random(7);
        byte[] big = new byte[3 * 1024 * 1024];
        random.nextBytes(big);
        inputs.put("big.bin", big);
        inputs.put("reports/2026/q1.csv", "region,total\nnorth,12\nsouth,30\n".repeat(500).getBytes(StandardCharsets.UTF_8));
        inputs.put("with spaces/read me.txt", "spaces survive".getBytes(StandardCharsets.UTF_8));
        inputs.put("ünïcödé/日本.txt", "unicode survives".getBytes(StandardCharsets.UTF_8));
        inputs.put("empty.txt", new byte[0]);
        for (Map.Entry<String, byte[]> e : inputs.entrySet()) {
            Path file = in.resolve(e.getKey());
            Files.createDirectories(file.getParent());
            Files.write(file, e.getValue());
        }
    }

    @Test
    void thePackagedPluginDirectoryHoldsThePluginAndItsDependenciesOnly() throws Exception {
        Path dir = plugins.resolve("compress");
        List<String> jars;
        try (Stream<Path> files = Files.list(dir)) {
            jars = files.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertThat(jars).anyMatch(j -> j.startsWith("plugin-example-"))
                .anyMatch(j -> j.startsWith("commons-compress-"))
                .noneMatch(j -> j.startsWith("ingest-api-"))
                .noneMatch(j -> j.startsWith("slf4j-api-"))
                .allMatch(j -> j.endsWith(".jar"));

        Result listed = launch("plugins", "--plugins", plugins.toString());

        assertThat(listed.exitCode()).as(listed.describe()).isZero();
        assertThat(listed.stdout().lines().filter(l -> l.startsWith("compress ")))
                .as("'ingest plugins' lists the plugin with its jar's version and its directory\n%s", listed.describe())
                .singleElement().asString()
                .contains("source, destination").contains(System.getProperty("project.version", "0.1.0-SNAPSHOT"))
                .endsWith(dir.toString());
    }

    @Test
    void archivesWithTheCompressPluginAndRestoresFromIt() throws Exception {
        Path archive = tmp.resolve("archive");
        Path restored = tmp.resolve("restored");
        int n = inputs.size();

        Result first = run("archive.yaml", """
                sources:
                  - name: incoming
                    type: file
                    path: "%s"
                destinations:
                  - name: cold
                    type: compress
                    path: "%s"
                    level: 9
                workflows:
                  - name: archive
                    source: incoming
                    destinations: [cold]
                    interval: 1m
                """.formatted(in, archive));

        assertThat(first.exitCode()).as(first.describe()).isZero();
        assertThat(first.summary()).as(first.describe()).contains("copied " + n + ", skipped 0, failed 0");
        for (Map.Entry<String, byte[]> e : inputs.entrySet()) {
            Path gz = archive.resolve(e.getKey() + ".gz");
            assertThat(gz).as("archived %s", e.getKey()).isRegularFile();
            try (InputStream gunzip = new GZIPInputStream(Files.newInputStream(gz))) {
                assertThat(gunzip.readAllBytes()).as("decompressed %s", e.getKey()).isEqualTo(e.getValue());
            }
        }
        assertThat(Files.size(archive.resolve("reports/2026/q1.csv.gz")))
                .as("a repetitive CSV shrinks").isLessThan(inputs.get("reports/2026/q1.csv").length / 10);

        Result again = run("archive.yaml", Files.readString(tmp.resolve("archive.yaml")));

        assertThat(again.exitCode()).as(again.describe()).isZero();
        assertThat(again.summary()).as("a second run finds everything archived (stat reads the gzip trailer)\n%s",
                again.describe()).contains("copied 0, skipped " + n + ", failed 0");

        Result restore = run("restore.yaml", """
                sources:
                  - name: cold
                    type: compress
                    path: "%s"
                destinations:
                  - name: restored
                    type: file
                    path: "%s"
                workflows:
                  - name: restore
                    source: cold
                    destinations: [restored]
                """.formatted(archive, restored));

        assertThat(restore.exitCode()).as(restore.describe()).isZero();
        assertThat(restore.summary()).as(restore.describe()).contains("copied " + n + ", skipped 0, failed 0");
        for (Map.Entry<String, byte[]> e : inputs.entrySet()) {
            assertThat(restored.resolve(e.getKey())).as("restored %s", e.getKey()).hasBinaryContent(e.getValue());
        }
    }

    /** The outcome of one launcher run. */
    private record Result(int exitCode, String stdout, String stderr, List<String> command) {
        String describe() {
            return String.join(" ", command) + "\n--- exit code " + exitCode + "\n--- stdout:\n" + stdout
                    + "\n--- stderr (last 6000 chars):\n" + stderr.substring(Math.max(0, stderr.length() - 6000));
        }

        String summary() {
            // "ingest: copied 5, skipped 0, failed 0, 3.0 MiB in 0.7s" (newer launchers add counts before "copied")
            return stdout.lines().filter(l -> l.startsWith("ingest: ") && l.contains("copied ")).findFirst()
                    .orElse("(no summary)");
        }
    }

    /** Runs one workflow configuration to completion: {@code --mode=all --once} with an embedded nats-server. */
    private Result run(String configName, String yaml) throws Exception {
        Path config = tmp.resolve(configName);
        Files.writeString(config, yaml);
        return launch("--mode=all", "--once", "--queue-endpoint", "embedded", "--listen", "127.0.0.1:0",
                "--log-level", "warn", "--plugins", plugins.toString(), "--config", config.toString());
    }

    private Result launch(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(launcher.toString());
        command.addAll(List.of(args));
        Path stdout = Files.createTempFile(tmp, "stdout", ".txt");
        Path stderr = Files.createTempFile(tmp, "stderr", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command).directory(tmp.toFile())
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        builder.environment().remove("JAVA_OPTS");
        Process process = builder.start();
        try {
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new AssertionError("ingest did not exit within " + TIMEOUT_SECONDS + "s: " + String.join(" ", command)
                        + "\n--- stdout:\n" + Files.readString(stdout) + "\n--- stderr:\n" + Files.readString(stderr));
            }
        } finally {
            if (process.isAlive()) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
        return new Result(process.exitValue(), Files.readString(stdout), Files.readString(stderr), command);
    }

    private static void unzip(Path zip, Path into) throws IOException {
        assertThat(zip).as("the packaged plugin directory (system property plugin.zip)").isRegularFile();
        try (ZipInputStream entries = new ZipInputStream(Files.newInputStream(zip))) {
            for (ZipEntry e; (e = entries.getNextEntry()) != null; ) {
                Path target = into.resolve(e.getName()).normalize();
                assertThat(target.startsWith(into)).as("zip entry %s", e.getName()).isTrue();
                if (e.isDirectory()) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(entries, target);
                }
            }
        }
    }
}
