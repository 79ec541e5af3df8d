package dev.ingest.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Shared helpers of the launcher integration tests: runs the real {@code bin/ingest} of the built distribution as a
 * child process, generates trees of files, and hashes and inspects trees.
 */
final class LauncherSupport {

    /** Temporary files of the file destination: {@code .<name>.ingest-<16 hex digits>.tmp}. */
    static final Pattern TEMP_FILE = Pattern.compile("\\..+\\.ingest-[0-9a-f]{16}\\.tmp", Pattern.DOTALL);

    /** Environment variables of the test JVM that must not leak into the launcher. */
    private static final List<String> SCRUBBED_ENV = List.of("JAVA_OPTS", "INGEST_OUTPUT", "INGEST_SAMPLE_TREE");

    private static final AtomicInteger UNIQUE = new AtomicInteger();

    private LauncherSupport() {
    }

    // ---------------------------------------------------------------------------------------------------------
    // Locations

    /** The system property Failsafe sets to the packaged distribution (see ingest-cli/pom.xml). */
    static final String DISTRIBUTION_PROPERTY = "ingest.distribution";

    /**
     * Runs a launcher test class only under Failsafe, which sets {@value #DISTRIBUTION_PROPERTY} after
     * {@code package}. Surefire also picks the classes up when called with {@code -Dtest='Launcher*'}; it runs
     * before the distribution is (re)built, so there they are skipped rather than run against a missing or stale
     * distribution.
     */
    static final class RequiresDistribution implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            return System.getProperty(DISTRIBUTION_PROPERTY) != null
                    ? ConditionEvaluationResult.enabled(DISTRIBUTION_PROPERTY + " is set")
                    : ConditionEvaluationResult.disabled("needs the packaged distribution: run with 'mvn verify' "
                            + "(Failsafe sets " + DISTRIBUTION_PROPERTY + "), or set -D" + DISTRIBUTION_PROPERTY
                            + "=ingest-cli/target/ingest");
        }
    }

    /** @return the runnable distribution (Failsafe's {@code ingest.distribution}), checked to hold bin/ingest */
    static Path distribution() {
        String prop = System.getProperty(DISTRIBUTION_PROPERTY);
        assertThat(prop).as("system property %s (set by Failsafe)", DISTRIBUTION_PROPERTY).isNotBlank();
        Path dist = Paths.get(prop).toAbsolutePath().normalize();
        Path launcher = dist.resolve("bin").resolve("ingest");
        assertThat(Files.isRegularFile(launcher))
                .as("the distribution's launcher %s must exist (run the tests with 'mvn verify' so that the "
                        + "distribution is packaged first)", launcher)
                .isTrue();
        return dist;
    }

    /** @return {@code <distribution>/bin/ingest} */
    static Path launcher() {
        return distribution().resolve("bin").resolve("ingest");
    }

    /** @return the quick start directory of the repository, {@code ../examples/quickstart} from the module */
    static Path quickstart() {
        Path dir = Paths.get("..", "examples", "quickstart").toAbsolutePath().normalize();
        assertThat(dir.resolve("ingest.yaml")).as("quick start configuration").isRegularFile();
        return dir;
    }

    /** @return the repository's root directory (the parent of the module) */
    static Path repositoryRoot() {
        return Paths.get("..").toAbsolutePath().normalize();
    }

    /**
     * A name unique within this JVM, usable as a stream, subject, consumer or workflow name.
     *
     * @param prefix letters only
     * @return e.g. {@code prefix7}
     */
    static String unique(String prefix) {
        return prefix + UNIQUE.incrementAndGet();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Running the launcher

    /** The summary line {@code --once} prints on stdout. */
    static final Pattern SUMMARY = Pattern.compile(
            "^ingest: .*\\bcopied \\d+, skipped \\d+, failed \\d+, .* in [0-9.]+s", Pattern.MULTILINE);

    private static final Pattern COUNTER = Pattern.compile("\\b([a-z]+) (\\d+)(?=,)");

    /** The outcome of a finished launcher run. */
    record Result(int exitCode, String stdout, String stderr, List<String> args) {

        /** @return everything about the run, for assertion messages */
        String describe() {
            return "ingest " + String.join(" ", args) + "\n--- exit code: " + exitCode
                    + "\n--- stdout:\n" + stdout + "\n--- stderr (last 8000 chars):\n"
                    + stderr.substring(Math.max(0, stderr.length() - 8000));
        }

        /**
         * @return the summary line of {@code --once}, {@code ingest: [listed N, queued N, ]copied N, skipped N,
         *     failed N, <bytes> in Xs}, or fails
         */
        String summary() {
            return stdout.lines().filter(l -> SUMMARY.matcher(l).find()).findFirst()
                    .orElseGet(() -> fail("no summary line 'ingest: ... copied N, skipped N, failed N, ...' on stdout "
                            + "of:\n" + describe()));
        }

        /**
         * @return the counters of the summary line by name: {@code copied}, {@code skipped}, {@code failed} (and
         *     {@code listed}, {@code queued} when it has them)
         */
        Map<String, Long> counts() {
            Map<String, Long> out = new TreeMap<>();
            Matcher m = COUNTER.matcher(summary());
            while (m.find()) {
                out.putIfAbsent(m.group(1), Long.parseLong(m.group(2)));
            }
            return out;
        }

        /**
         * @param counter {@code copied}, {@code skipped} or {@code failed}
         * @return that counter of the summary line
         */
        long count(String counter) {
            Long n = counts().get(counter);
            if (n == null) {
                fail("no '" + counter + " N' in the summary line of:\n" + describe());
            }
            return n;
        }
    }

    /** A running launcher process; its output goes to files. */
    static final class Launch {
        private final Process process;
        private final Path stdout;
        private final Path stderr;
        private final List<String> args;

        Launch(Process process, Path stdout, Path stderr, List<String> args) {
            this.process = process;
            this.stdout = stdout;
            this.stderr = stderr;
            this.args = args;
        }

        Process process() {
            return process;
        }

        String stdout() {
            return read(stdout);
        }

        String stderr() {
            return read(stderr);
        }

        /**
         * Waits for the process to exit; fails (after killing it) when it does not within the timeout.
         *
         * @param timeout how long to wait
         * @return what the run did
         */
        Result await(Duration timeout) throws InterruptedException {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                List<String> tree = describeProcessTree();
                destroy();
                fail("ingest " + String.join(" ", args) + " did not exit within " + timeout.toSeconds() + "s"
                        + "\nprocess tree: " + tree + "\n--- stdout:\n" + stdout() + "\n--- stderr:\n" + tail(stderr(), 8000));
            }
            return result();
        }

        /** @return the result of a process that has exited */
        Result result() {
            return new Result(process.exitValue(), stdout(), stderr(), args);
        }

        private List<String> describeProcessTree() {
            List<String> out = new ArrayList<>();
            out.add(process.pid() + " alive=" + process.isAlive());
            process.descendants().forEach(h -> out.add(h.pid() + " " + h.info().command().orElse("?")));
            return out;
        }

        /** Kills the process and its children, if still running. */
        void destroy() {
            List<ProcessHandle> children = process.descendants().toList();
            if (process.isAlive()) {
                process.destroyForcibly();
            }
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (ProcessHandle child : children) {
                child.destroyForcibly();
            }
        }
    }

    /**
     * Starts launcher processes for one test and destroys whatever still runs when the test ends. Register it as a
     * non-static {@code @RegisterExtension} field. Output files go to {@code target/launcher-logs/}.
     */
    static final class Launcher implements BeforeEachCallback, AfterEachCallback {
        private final List<Launch> launches = new ArrayList<>();
        private String testName = "test";

        @Override
        public void beforeEach(ExtensionContext context) throws IOException {
            testName = context.getRequiredTestClass().getSimpleName() + "-"
                    + context.getRequiredTestMethod().getName();
            Path logs = logDir();
            if (Files.isDirectory(logs)) {
                try (Stream<Path> old = Files.list(logs)) { // the logs of this test's earlier builds
                    for (Path p : old.filter(p -> p.getFileName().toString().startsWith(testName + "-")).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }

        private static Path logDir() {
            return Paths.get("target", "launcher-logs").toAbsolutePath();
        }

        @Override
        public void afterEach(ExtensionContext context) {
            synchronized (launches) {
                for (Launch l : launches) {
                    l.destroy();
                }
                launches.clear();
            }
        }

        /**
         * Starts {@code bin/ingest} with the given arguments.
         *
         * @param workDir the working directory
         * @param env environment variables added to the (scrubbed) environment of the test JVM
         * @param args the arguments
         * @return the running launch
         */
        Launch start(Path workDir, Map<String, String> env, String... args) throws IOException {
            Path logs = Files.createDirectories(logDir());
            int n = UNIQUE.incrementAndGet();
            Path out = logs.resolve(testName + "-" + n + ".out");
            Path err = logs.resolve(testName + "-" + n + ".err");
            List<String> command = new ArrayList<>();
            command.add(launcher().toString());
            command.addAll(Arrays.asList(args));
            ProcessBuilder pb = new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            SCRUBBED_ENV.forEach(pb.environment()::remove);
            // Class-data archives of the launcher go under target/, not to the user's cache.
            pb.environment().put("INGEST_CDS_DIR", Paths.get("target", "cds").toAbsolutePath().toString());
            pb.environment().putAll(env);
            Launch launch = new Launch(pb.start(), out, err, List.of(args));
            synchronized (launches) {
                launches.add(launch);
            }
            return launch;
        }

        /**
         * Runs {@code bin/ingest} to completion.
         *
         * @param workDir the working directory
         * @param timeout the longest the run may take
         * @param env extra environment variables
         * @param args the arguments
         * @return what it did
         */
        Result run(Path workDir, Duration timeout, Map<String, String> env, String... args)
                throws IOException, InterruptedException {
            return start(workDir, env, args).await(timeout);
        }
    }

    /**
     * Waits for the launcher's log line naming the port of its operations endpoints.
     *
     * @param launch a running launcher
     * @return the port
     */
    static int healthPort(Launch launch) {
        Pattern port = Pattern.compile("endpoints on port (\\d+)");
        java.util.concurrent.atomic.AtomicReference<Integer> found = new java.util.concurrent.atomic.AtomicReference<>();
        org.awaitility.Awaitility.await("the health endpoints' port in the log").atMost(Duration.ofSeconds(30))
                .until(() -> {
                    Matcher m = port.matcher(launch.stderr());
                    if (m.find()) {
                        found.set(Integer.parseInt(m.group(1)));
                        return true;
                    }
                    return false;
                });
        return found.get();
    }

    /**
     * @param http a client
     * @param port a launcher's operations port
     * @param path {@code /live}, {@code /ready}, {@code /metrics}
     * @return the answer
     */
    static java.net.http.HttpResponse<String> get(java.net.http.HttpClient http, int port, String path)
            throws IOException, InterruptedException {
        return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }

    private static String tail(String s, int chars) {
        return s.substring(Math.max(0, s.length() - chars));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Configuration files

    /**
     * Writes a configuration with one file source, one file destination and one workflow.
     *
     * @param dir where to write {@code ingest.yaml}
     * @param workflow the workflow's name
     * @param source the source directory
     * @param destination the destination directory
     * @param workflowExtras extra workflow keys, one {@code key: value} per element
     * @return the file
     */
    static Path writeFileConfig(Path dir, String workflow, Path source, Path destination, String... workflowExtras)
            throws IOException {
        StringBuilder yaml = new StringBuilder()
                .append("sources:\n")
                .append("- name: src\n")
                .append("  type: file\n")
                .append("  path: ").append(quote(source)).append('\n')
                .append("destinations:\n")
                .append("- name: dst\n")
                .append("  type: file\n")
                .append("  path: ").append(quote(destination)).append('\n')
                .append("workflows:\n")
                .append("- name: ").append(workflow).append('\n')
                .append("  source: src\n")
                .append("  destinations: [dst]\n");
        for (String extra : workflowExtras) {
            yaml.append("  ").append(extra).append('\n');
        }
        Path file = dir.resolve(workflow + ".yaml");
        Files.writeString(file, yaml, StandardCharsets.UTF_8);
        return file;
    }

    /** @return the path as a single-quoted YAML scalar */
    static String quote(Path p) {
        return "'" + p.toAbsolutePath().toString().replace("'", "''") + "'";
    }

    /**
     * The arguments of a run against a NATS server with its own stream, subject and consumer prefix.
     *
     * @param natsUrl the server
     * @param name the stream, subject and consumer prefix
     * @param config the configuration file
     * @param more further arguments
     * @return the argument list
     */
    static String[] queueArgs(String natsUrl, String name, Path config, String... more) {
        List<String> args = new ArrayList<>(List.of("--queue-endpoint", natsUrl, "--stream", name, "--subject", name,
                "--consumer", name, "--config", config.toString(), "--listen", "127.0.0.1:0"));
        args.addAll(Arrays.asList(more));
        return args.toArray(String[]::new);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Trees of files

    /** The folders files are spread over: up to four levels, with spaces and non-ASCII characters. */
    private static final List<String> FOLDERS = List.of(
            "",
            "données été",
            "données été/sous dossier",
            "données été/sous dossier/niveau 3 ñ",
            "données été/sous dossier/niveau 3 ñ/ファイル群",
            "plain",
            "plain/a b",
            "plain/a b/c d",
            "日本語 フォルダ",
            "日本語 フォルダ/Ünïcödé 2",
            "日本語 フォルダ/Ünïcödé 2/ελληνικά",
            "emoji 🚀/x");

    private static final List<String> NAME_STEMS = List.of("ファイル ", "file ", "résumé ", "data-", "Ωmega_", "doc ");
    private static final List<String> EXTENSIONS = List.of(".bin", ".dat", ".txt", "", ".tar.gz", ".JSON");

    /**
     * Generates files of random bytes in nested folders with spaces and non-ASCII names.
     *
     * @param root where to create them
     * @param count how many
     * @param seed the random seed (the tree is reproducible)
     * @param maxSize the largest file; sizes range from 0 to it, most of them small
     * @return relative path (with {@code /}) to SHA-256 of every generated file
     */
    static Map<String, String> generateTree(Path root, int count, long seed, int maxSize) throws IOException {
        Random random = new Random(seed);
        Map<String, String> hashes = new TreeMap<>();
        for (int i = 0; i < count; i++) {
            String folder = FOLDERS.get(i % FOLDERS.size());
            String name = NAME_STEMS.get(random.nextInt(NAME_STEMS.size())) + i
                    + EXTENSIONS.get(random.nextInt(EXTENSIONS.size()));
            String relative = folder.isEmpty() ? name : folder + "/" + name;
            int size;
            if (i % 50 == 0) {
                size = 0;
            } else if (i % 97 == 0) {
                size = maxSize;
            } else if (random.nextInt(10) == 0) {
                size = random.nextInt(maxSize + 1);
            } else {
                size = random.nextInt(Math.min(maxSize, 16 * 1024) + 1);
            }
            byte[] data = new byte[size];
            random.nextBytes(data);
            Path file = root.resolve(relative);
            Files.createDirectories(file.getParent());
            Files.write(file, data);
            hashes.put(relative, sha256(data));
        }
        return hashes;
    }

    /**
     * Generates files of a fixed size with random content in a few folders.
     *
     * @param root where to create them
     * @param count how many
     * @param size bytes per file
     * @param seed the random seed
     * @return relative path to SHA-256
     */
    static Map<String, String> generateUniformTree(Path root, int count, int size, long seed) throws IOException {
        Random random = new Random(seed);
        Map<String, String> hashes = new TreeMap<>();
        byte[] data = new byte[size];
        for (int i = 0; i < count; i++) {
            String relative = "batch " + (i % 7) + "/élément " + String.format("%04d", i) + ".bin";
            random.nextBytes(data);
            Path file = root.resolve(relative);
            Files.createDirectories(file.getParent());
            Files.write(file, data);
            hashes.put(relative, sha256(data));
        }
        return hashes;
    }

    /**
     * Hashes every regular file under a directory (temporary files included, so that leftovers show up).
     *
     * @param root the directory
     * @return relative path (with {@code /}) to SHA-256, sorted
     */
    static Map<String, String> hashTree(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (Path file : regularFiles(root)) {
            out.put(relative(root, file), sha256(file));
        }
        return out;
    }

    /**
     * @param root a directory
     * @return every regular file under it (not following links), sorted
     */
    static List<Path> regularFiles(Path root) throws IOException {
        if (!Files.exists(root)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /**
     * @param root a directory
     * @return the relative paths of the destination's temporary files under it
     */
    static List<String> tempFiles(Path root) throws IOException {
        List<String> out = new ArrayList<>();
        if (!Files.exists(root)) {
            return out;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.filter(p -> p.getFileName() != null && TEMP_FILE.matcher(p.getFileName().toString()).matches())
                    .forEach(p -> out.add(relative(root, p)));
        }
        return out;
    }

    /**
     * @param root a directory
     * @return how many regular files (other than temporary ones) it holds now; 0 if it does not exist. Tolerates
     *     files appearing and disappearing while it counts.
     */
    static long countFinalFiles(Path root) {
        if (!Files.exists(root)) {
            return 0;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                    .filter(p -> !TEMP_FILE.matcher(p.getFileName().toString()).matches())
                    .count();
        } catch (IOException | UncheckedIOException e) {
            return -1; // a file vanished mid-walk (a temp file renamed): count again on the next poll
        }
    }

    /** What identifies one version of a file on disk: if any of these change, the file was rewritten. */
    record FileStamp(FileTime lastModified, Object fileKey, long size) {
    }

    /**
     * @param root a directory
     * @return relative path to the modification time, file key (inode) and size of every regular file
     */
    static Map<String, FileStamp> stamps(Path root) throws IOException {
        Map<String, FileStamp> out = new TreeMap<>();
        for (Path file : regularFiles(root)) {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            assertThat(a.fileKey()).as("file key (inode) of %s", file).isNotNull();
            out.put(relative(root, file), new FileStamp(a.lastModifiedTime(), a.fileKey(), a.size()));
        }
        return out;
    }

    static String relative(Path root, Path file) {
        StringBuilder sb = new StringBuilder();
        for (Path element : root.relativize(file)) {
            if (sb.length() > 0) {
                sb.append('/');
            }
            sb.append(element);
        }
        return sb.toString();
    }

    static String sha256(byte[] data) {
        return HexFormat.of().formatHex(digest().digest(data));
    }

    static String sha256(Path file) throws IOException {
        MessageDigest md = digest();
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                md.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
