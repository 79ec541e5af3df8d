package dev.ingest.cli;

import static dev.ingest.cli.LauncherSupport.generateTree;
import static dev.ingest.cli.LauncherSupport.generateUniformTree;
import static dev.ingest.cli.LauncherSupport.hashTree;
import static dev.ingest.cli.LauncherSupport.queueArgs;
import static dev.ingest.cli.LauncherSupport.regularFiles;
import static dev.ingest.cli.LauncherSupport.stamps;
import static dev.ingest.cli.LauncherSupport.tempFiles;
import static dev.ingest.cli.LauncherSupport.unique;
import static dev.ingest.cli.LauncherSupport.writeFileConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.ingest.cli.LauncherSupport.FileStamp;
import dev.ingest.cli.LauncherSupport.Result;
import dev.ingest.testkit.NatsServerExtension;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The real {@code bin/ingest} of the distribution copying trees of files, against a real nats-server. */
@ExtendWith(LauncherSupport.RequiresDistribution.class)
class LauncherIT {

    private static final Duration RUN_TIMEOUT = Duration.ofSeconds(90);

    @RegisterExtension
    static final NatsServerExtension NATS = new NatsServerExtension();

    @RegisterExtension
    final LauncherSupport.Launcher launcher = new LauncherSupport.Launcher();

    @TempDir
    Path dir;

    @Test
    void quickStartCopiesTheSampleTreeByteForByteAndASecondRunCopiesNothing() throws Exception {
        Path quickstart = LauncherSupport.quickstart();
        Path sampleTree = quickstart.resolve("sample-tree");
        Map<String, String> expected = hashTree(sampleTree);
        assertThat(expected).as("the sample tree").hasSize(289);
        Path out = dir.resolve("out");
        Map<String, String> env = Map.of("INGEST_OUTPUT", out.toString(), "INGEST_SAMPLE_TREE", sampleTree.toString());
        String[] args = {"--mode=all", "--once", "--queue-endpoint=embedded", "--listen", "127.0.0.1:0",
            "--config", quickstart.resolve("ingest.yaml").toString()};

        Result first = launcher.run(LauncherSupport.repositoryRoot(), RUN_TIMEOUT, env, args);

        assertThat(first.exitCode()).as(first.describe()).isZero();
        assertThat(first.counts()).as(first.describe()).containsEntry("copied", 289L).containsEntry("failed", 0L);
        assertThat(hashTree(out)).as("the output tree").isEqualTo(expected);

        Result second = launcher.run(LauncherSupport.repositoryRoot(), RUN_TIMEOUT, env, args);

        assertThat(second.exitCode()).as(second.describe()).isZero();
        assertThat(second.counts()).as(second.describe())
                .containsEntry("copied", 0L).containsEntry("skipped", 289L).containsEntry("failed", 0L);
        assertThat(hashTree(out)).as("the output tree after the second run").isEqualTo(expected);
    }

    @Test
    void copiesAThousandFilesWithNonAsciiNamesByteForByteAndASecondRunRewritesNothing() throws Exception {
        Path src = dir.resolve("source");
        Path dst = dir.resolve("destination");
        Map<String, String> expected = generateTree(src, 1000, 42, 200 * 1024);
        assertThat(expected).hasSize(1000);
        assertThat(expected.keySet()).anyMatch(p -> p.split("/").length >= 4)
                .anyMatch(p -> p.startsWith("données été/") && p.contains("ファイル "))
                .anyMatch(p -> p.contains(" "));
        String name = unique("thousand");
        Path config = writeFileConfig(dir, name, src, dst, "batchSize: 64");
        String[] args = queueArgs(NATS.url(), name, config, "--mode=all", "--once");

        Result first = launcher.run(dir, RUN_TIMEOUT, Map.of(), args);

        assertThat(first.exitCode()).as(first.describe()).isZero();
        assertThat(first.counts()).as(first.describe()).containsEntry("copied", 1000L).containsEntry("failed", 0L);
        assertThat(tempFiles(dst)).as("leftover temporary files").isEmpty();
        Map<String, String> copied = hashTree(dst);
        assertThat(copied.keySet()).as("relative paths at the destination").isEqualTo(expected.keySet());
        assertThat(copied).as("SHA-256 of every file").isEqualTo(expected);
        Map<String, FileStamp> before = stamps(dst);

        Result second = launcher.run(dir, RUN_TIMEOUT, Map.of(), args);

        assertThat(second.exitCode()).as(second.describe()).isZero();
        assertThat(second.counts()).as(second.describe())
                .containsEntry("copied", 0L).containsEntry("skipped", 1000L).containsEntry("failed", 0L);
        assertThat(stamps(dst)).as("modification time and inode of every destination file").isEqualTo(before);
        assertThat(tempFiles(dst)).isEmpty();
        assertThat(hashTree(dst)).isEqualTo(expected);

        // The same run on a fresh stream: every object is delivered this time (no duplicate publish to drop), and
        // the destination's check finds each one already there.
        String fresh = unique("thousandAgain");
        Result third = launcher.run(dir, RUN_TIMEOUT, Map.of(),
                queueArgs(NATS.url(), fresh, config, "--mode=all", "--once"));

        assertThat(third.exitCode()).as(third.describe()).isZero();
        assertThat(third.counts()).as(third.describe())
                .containsEntry("copied", 0L).containsEntry("skipped", 1000L).containsEntry("failed", 0L);
        assertThat(stamps(dst)).as("modification time and inode of every destination file").isEqualTo(before);
        assertThat(tempFiles(dst)).isEmpty();
    }

    @Test
    void workflowsThatShareASourceEachCopyEveryObjectOfIt() throws Exception {
        Path src = dir.resolve("source");
        Map<String, String> expected = generateUniformTree(src, 1000, 64, 3);
        Path out1 = dir.resolve("out1");
        Path out2 = dir.resolve("out2");
        String name = unique("shared");
        Path config = dir.resolve(name + ".yaml");
        Files.writeString(config, "sources: [{name: s, type: file, path: " + LauncherSupport.quote(src) + "}]\n"
                + "destinations: [{name: d1, type: file, path: " + LauncherSupport.quote(out1) + "},"
                + " {name: d2, type: file, path: " + LauncherSupport.quote(out2) + "}]\n"
                + "workflows: [{name: w1, source: s, destinations: [d1], batchSize: 32},"
                + " {name: w2, source: s, destinations: [d2], batchSize: 32}]\n");

        Result run = launcher.run(dir, RUN_TIMEOUT, Map.of(), queueArgs(NATS.url(), name, config, "--mode=all", "--once"));

        assertThat(run.exitCode()).as(run.describe()).isZero();
        assertThat(run.counts()).as(run.describe()).containsEntry("listed", 2000L).containsEntry("copied", 2000L)
                .containsEntry("failed", 0L);
        assertThat(hashTree(out1)).as("the first workflow's destination").isEqualTo(expected);
        assertThat(hashTree(out2)).as("the second workflow's destination").isEqualTo(expected);
    }

    @Test
    void manyWorkflowsOnOneSourceEachCopyEveryObjectOfIt() throws Exception {
        int workflows = 60;
        Path src = dir.resolve("source");
        Map<String, String> expected = generateUniformTree(src, 40, 16, 9);
        String name = unique("fanned");
        StringBuilder yaml = new StringBuilder("sources: [{name: s, type: file, path: ")
                .append(LauncherSupport.quote(src)).append("}]\ndestinations:\n");
        for (int i = 0; i < workflows; i++) {
            yaml.append("- {name: d").append(i).append(", type: file, path: ")
                    .append(LauncherSupport.quote(dir.resolve("out" + i))).append("}\n");
        }
        yaml.append("workflows:\n");
        for (int i = 0; i < workflows; i++) {
            yaml.append("- {name: w").append(i).append(", source: s, destinations: [d").append(i)
                    .append("], concurrency: 2}\n");
        }
        Path config = Files.writeString(dir.resolve(name + ".yaml"), yaml);

        Result run = launcher.run(dir, Duration.ofMinutes(3), Map.of(),
                queueArgs(NATS.url(), name, config, "--mode=all", "--once"));

        assertThat(run.exitCode()).as(run.describe()).isZero();
        assertThat(run.counts()).as(run.describe()).containsEntry("copied", 40L * workflows).containsEntry("failed", 0L);
        for (int i = 0; i < workflows; i++) {
            assertThat(hashTree(dir.resolve("out" + i))).as("destination of workflow w" + i).isEqualTo(expected);
        }
    }

    @Test
    void copiesNonAsciiNamesEvenWhenTheCallersLocaleIsNotUtf8() throws Exception {
        Path src = dir.resolve("source");
        Path dst = dir.resolve("destination");
        Map<String, String> expected = generateTree(src, 24, 5, 4 * 1024);
        String name = unique("posixlocale");
        Path config = writeFileConfig(dir, name, src, dst);

        Result run = launcher.run(dir, RUN_TIMEOUT, Map.of("LC_ALL", "C", "LANG", "C"),
                queueArgs(NATS.url(), name, config, "--mode=all", "--once"));

        assertThat(run.exitCode()).as(run.describe()).isZero();
        assertThat(hashTree(dst)).isEqualTo(expected);
    }

    @Test
    void cleanUpRemovesEverySourceFileOnceItIsCopied() throws Exception {
        Path src = dir.resolve("source");
        Path dst = dir.resolve("destination");
        Map<String, String> expected = generateTree(src, 120, 7, 32 * 1024);
        String name = unique("cleanup");
        Path config = writeFileConfig(dir, name, src, dst, "cleanUp: true", "batchSize: 16");

        Result run = launcher.run(dir, RUN_TIMEOUT, Map.of(), queueArgs(NATS.url(), name, config, "--mode=all", "--once"));

        assertThat(run.exitCode()).as(run.describe()).isZero();
        assertThat(run.counts()).as(run.describe()).containsEntry("copied", 120L).containsEntry("failed", 0L);
        assertThat(hashTree(dst)).as("the destination").isEqualTo(expected);
        assertThat(regularFiles(src)).as("files left in the source").isEmpty();
        assertThat(src).as("the source directory itself stays").isDirectory();
    }

    @Test
    void webhookReceivesTheUriOfEveryStoredFile() throws Exception {
        List<String> bodies = new CopyOnWriteArrayList<>();
        List<String> problems = new CopyOnWriteArrayList<>();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/hook", ex -> {
            try (ex) {
                if (!"POST".equals(ex.getRequestMethod())) {
                    problems.add("method " + ex.getRequestMethod());
                }
                String type = ex.getRequestHeaders().getFirst("Content-Type");
                if (type == null || !type.startsWith("application/json")) {
                    problems.add("Content-Type " + type);
                }
                bodies.add(new String(ex.getRequestBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
                ex.sendResponseHeaders(204, -1);
            }
        });
        server.start();
        try {
            Path src = dir.resolve("source");
            Path dst = dir.resolve("destination");
            Map<String, String> expected = generateTree(src, 20, 11, 8 * 1024);
            String name = unique("webhook");
            String hook = "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
            Path config = writeFileConfig(dir, name, src, dst, "webhook: " + hook, "batchSize: 8");

            Result run = launcher.run(dir, RUN_TIMEOUT, Map.of(), queueArgs(NATS.url(), name, config, "--mode=all", "--once"));

            assertThat(run.exitCode()).as(run.describe()).isZero();
            assertThat(run.counts()).as(run.describe()).containsEntry("copied", 20L).containsEntry("failed", 0L);
            assertThat(hashTree(dst)).isEqualTo(expected);
            ObjectMapper json = new ObjectMapper();
            List<String> received = new ArrayList<>();
            for (String body : bodies) {
                received.addAll(json.readValue(body, new TypeReference<List<String>>() { }));
            }
            List<String> expectedUris = regularFiles(dst.toRealPath()).stream().map(p -> p.toUri().toString())
                    .collect(Collectors.toList());
            assertThat(expectedUris).hasSize(20).allMatch(u -> u.startsWith("file:///"));
            assertThat(problems).as("malformed webhook requests").isEmpty();
            assertThat(received).as("URIs posted to the webhook (bodies: %s)", bodies)
                    .doesNotHaveDuplicates()
                    .containsExactlyInAnyOrderElementsOf(expectedUris);
            assertThat(Collections.frequency(bodies, "[]")).as("empty posts").isZero();
        } finally {
            server.stop(0);
        }
    }
}
