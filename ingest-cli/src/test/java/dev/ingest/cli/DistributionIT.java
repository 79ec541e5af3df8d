package dev.ingest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code target/ingest-<version>.tar.gz}: its layout under {@code ingest-<version>/}, the same files as
 * {@code target/ingest/}, and its launcher unpacked elsewhere, run from {@code /}, through a symbolic link, with
 * {@code JAVA_HOME} and {@code JAVA_OPTS}.
 */
@ExtendWith(LauncherSupport.RequiresDistribution.class)
class DistributionIT {

    private static final String VERSION = VersionProvider.version();
    private static final String TOP = "ingest-" + VERSION + "/";

    @TempDir
    static Path unpacked;

    private static Path tarball;
    private static Path home;

    record Run(int exitCode, String stdout, String stderr) {
    }

    static Run run(File workDir, Map<String, String> env, String... command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("dist-it-", ".out");
        Path err = Files.createTempFile("dist-it-", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).directory(workDir)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().remove("JAVA_OPTS");
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish within 60s");
            }
            return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    @BeforeAll
    static void unpack() throws Exception {
        tarball = LauncherSupport.distribution().getParent().resolve("ingest-" + VERSION + ".tar.gz");
        assertThat(tarball).as("the tarball of version %s", VERSION).isRegularFile();
        Run r = run(unpacked.toFile(), Map.of(), "tar", "xzf", tarball.toString());
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        home = unpacked.resolve("ingest-" + VERSION);
    }

    private static List<String> entries() throws Exception {
        Run r = run(new File("/"), Map.of(), "tar", "tzf", tarball.toString());
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        return r.stdout().lines().toList();
    }

    /** Relative path to size of every regular file under a directory. */
    private static Map<String, Long> files(Path root) throws IOException {
        Map<String, Long> out = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                out.put(root.relativize(p).toString(), Files.size(p));
            }
        }
        return out;
    }

    @Test
    void everythingIsUnderOneTopDirectoryWithBinLibPluginsReadmeAndLicense() throws Exception {
        List<String> entries = entries();
        assertThat(entries).allSatisfy(e -> assertThat(e).startsWith(TOP));
        assertThat(entries).contains(TOP + "bin/ingest", TOP + "README.md", TOP + "LICENSE",
                TOP + "lib/ingest-cli-" + VERSION + ".jar", TOP + "lib/ingest-core-" + VERSION + ".jar",
                TOP + "lib/ingest-api-" + VERSION + ".jar");
        assertThat(entries).anyMatch(e -> e.startsWith(TOP + "plugins/file/") && e.endsWith(".jar"));
        assertThat(entries).as("plugins stay out of lib/").noneMatch(e -> e.startsWith(TOP + "lib/plugin-"));
        assertThat(Files.isExecutable(home.resolve("bin/ingest"))).as("bin/ingest is executable").isTrue();
        assertThat(Files.readString(home.resolve("LICENSE")))
                .contains("Apache License", "Version 2.0, January 2004", "END OF TERMS AND CONDITIONS");
    }

    @Test
    void theTarballCarriesTheExamplesTheReadmesCommandsUse() throws Exception {
        List<String> entries = entries();
        assertThat(entries).contains(TOP + "examples/quickstart/ingest.yaml", TOP + "examples/http-to-file.yaml",
                TOP + "examples/s3-to-s3.yaml", TOP + "examples/kubernetes/kustomization.yaml",
                TOP + "examples/plugin-example/my-archive.yaml");
        assertThat(entries).anyMatch(e -> e.startsWith(TOP + "examples/quickstart/sample-tree/"));
        assertThat(entries).as("shell completion and man page").contains(TOP + "completion/ingest.bash",
                TOP + "man/man1/ingest.1");
        assertThat(entries).as("no example sources or build output").noneMatch(e -> e.contains("/target/")
                || e.endsWith(".java") || e.endsWith("pom.xml"));
        // the README's quick start command, from the unpacked release's top directory
        Run r = run(home.toFile(), Map.of("JAVA_HOME", System.getProperty("java.home")), "bin/ingest", "--dry-run",
                "--config", "examples/quickstart/ingest.yaml");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stdout()).contains("plan: 289 listed");
    }

    @Test
    void theTarballHoldsTheSameFilesAsTheDistributionDirectory() throws Exception {
        assertThat(files(home)).isEqualTo(files(LauncherSupport.distribution()));
    }

    @Test
    void versionPrintsTheVersionAndTheCommitFromAnyDirectory() throws Exception {
        Run r = run(new File("/"), Map.of("JAVA_HOME", System.getProperty("java.home")),
                home.resolve("bin/ingest").toString(), "--version");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        List<String> lines = r.stdout().lines().toList();
        assertThat(lines.get(0)).isEqualTo("ingest " + VERSION);
        assertThat(lines.get(1)).matches("commit ([0-9a-f]{7,40}|unknown)");
        String commit = lines.get(1).substring("commit ".length());
        Run git = run(KubernetesManifestsTest.repositoryRoot().toFile(), Map.of(), "git", "rev-parse", "--git-dir");
        if (git.exitCode() == 0) { // a checkout: the build recorded one of its commits (HEAD may have moved since)
            Run known = run(KubernetesManifestsTest.repositoryRoot().toFile(), Map.of(),
                    "git", "cat-file", "-e", commit + "^{commit}");
            assertThat(known.exitCode()).as("%s is a commit of this repository", commit).isZero();
        }
        assertThat(lines.get(2)).startsWith("Java ");
    }

    @Test
    void theLauncherHonoursJavaHomeAndJavaOptsAndFollowsSymbolicLinks() throws Exception {
        Path links = Files.createDirectories(unpacked.resolve("links"));
        Path link = links.resolve("ingest");
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, home.resolve("bin/ingest"));

        Run r = run(new File("/"), Map.of("JAVA_HOME", System.getProperty("java.home"),
                        "JAVA_OPTS", "-XshowSettings:properties -Dingest.test.marker=on"),
                link.toString(), "--version");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).startsWith("ingest " + VERSION);
        // -XshowSettings prints the system properties: JAVA_OPTS reached the JVM, which found its home through the link
        assertThat(r.stderr()).contains("ingest.test.marker = on")
                .contains("ingest.home = " + home.toRealPath())
                .contains("java.home = " + Path.of(System.getProperty("java.home")).toRealPath());

        Run bad = run(new File("/"), Map.of("JAVA_HOME", unpacked.resolve("no-such-jdk").toString()),
                link.toString(), "--version");
        assertThat(bad.exitCode()).isEqualTo(ExitCode.RUNTIME);
        assertThat(bad.stderr()).contains("JAVA_HOME");
    }

    @Test
    void theDistributionListsItsBundledPlugins() throws Exception {
        List<String> args = new ArrayList<>(List.of(home.resolve("bin/ingest").toString(), "plugins"));
        Run r = run(new File("/"), Map.of("JAVA_HOME", System.getProperty("java.home")), args.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("file").contains(home.resolve("plugins").toRealPath().toString());
    }

    @Test
    void aOnceRunRecordsAClassArchiveThatTheNextRunChecksKeepsAndMaps() throws Exception {
        Path work = Files.createDirectories(unpacked.resolve("cds-run"));
        Path cds = work.resolve("cds");
        Path in = Files.createDirectories(work.resolve("in"));
        Files.writeString(in.resolve("a.txt"), "a");
        Path config = work.resolve("ingest.yaml");
        Files.writeString(config, """
                sources: [{name: in, type: file, path: '%s'}]
                destinations: [{name: out, type: file, path: '%s'}]
                workflows: [{name: copy, source: in, destinations: [out]}]
                """.formatted(in, work.resolve("out")));
        String[] args = {home.resolve("bin/ingest").toString(), "--mode=all", "--once", "--queue-endpoint=embedded",
            "--config", config.toString(), "--listen", "127.0.0.1:0"};
        Map<String, String> env = Map.of("JAVA_HOME", System.getProperty("java.home"), "INGEST_CDS_DIR", cds.toString());

        // A run that stops at a bad configuration loads too few classes: its recording is not kept.
        Path broken = work.resolve("broken.yaml");
        Files.writeString(broken, "sources: [{name: in, type: nosuchtype}]\n");
        String[] failing = args.clone();
        failing[failing.length - 3] = broken.toString();
        Run bad = run(work.toFile(), env, failing);
        assertThat(bad.exitCode()).as(bad.stderr()).isEqualTo(ExitCode.CONFIG);
        assertThat(archives(cds)).as("after the failed run").noneMatch(n -> n.endsWith(".ok"));

        Run first = run(work.toFile(), env, args);
        assertThat(first.exitCode()).as(first.stderr()).isZero();
        assertThat(first.stdout()).as("nothing of the recording reaches the output").startsWith("ingest: listed 1");
        assertThat(archives(cds)).as("after the first good run: the recording and its mark").hasSize(2)
                .allMatch(n -> n.matches("ingest-.*\\.jsa\\.\\d+\\.tmp(\\.ok)?"));

        Run second = run(work.toFile(), env, args);
        assertThat(second.exitCode()).as(second.stderr()).isZero();
        assertThat(archives(cds)).as("after the second run").singleElement().asString().matches("ingest-.*\\.jsa");

        Map<String, String> strict = new java.util.HashMap<>(env);
        strict.put("JAVA_OPTS", "-Xshare:on"); // the JVM refuses to start unless the archive maps
        Run mapped = run(work.toFile(), strict, args);
        assertThat(mapped.exitCode()).as(mapped.stderr()).isZero();

        Path elsewhere = work.resolve("cds-off");
        Map<String, String> off = Map.of("JAVA_HOME", System.getProperty("java.home"), "INGEST_CDS_DIR",
                elsewhere.toString(), "INGEST_CDS", "off");
        Run without = run(work.toFile(), off, args);
        assertThat(without.exitCode()).as(without.stderr()).isZero();
        assertThat(elsewhere).as("INGEST_CDS=off records nothing").doesNotExist();
    }

    @Test
    void aCommandCompilesWithC1AndRecordsAClassArchiveOfItsOwn() throws Exception {
        Path cds = Files.createDirectories(unpacked.resolve("cds-command")).resolve("cds");
        Map<String, String> env = Map.of("JAVA_HOME", System.getProperty("java.home"), "INGEST_CDS_DIR", cds.toString());
        String launcher = home.resolve("bin/ingest").toString();

        Run help = run(new File("/"), env, launcher, "plugins", "--help");
        assertThat(help.exitCode()).as(help.stderr()).isZero();
        assertThat(cds).as("help records nothing").doesNotExist();

        Run first = run(new File("/"), env, launcher, "plugins");
        assertThat(first.exitCode()).as(first.stderr()).isZero();
        assertThat(first.stdout()).as("nothing of the recording reaches the output").startsWith("TYPE");
        assertThat(archives(cds)).as("the command's recording and its mark").hasSize(2)
                .allMatch(n -> n.matches("ingest-.*-plugins\\.jsa\\.\\d+\\.tmp(\\.ok)?"));
        Run second = run(new File("/"), env, launcher, "plugins");
        assertThat(second.exitCode()).as(second.stderr()).isZero();
        assertThat(archives(cds)).singleElement().asString().matches("ingest-.*-plugins\\.jsa");

        Map<String, String> strict = new java.util.HashMap<>(env);
        strict.put("JAVA_OPTS", "-Xshare:on -XX:+PrintFlagsFinal"); // refuses to start unless the archive maps
        Run mapped = run(new File("/"), strict, launcher, "plugins");
        assertThat(mapped.exitCode()).as(mapped.stderr()).isZero();
        assertThat(mapped.stdout()).containsPattern("TieredStopAtLevel += 1 ").containsPattern("UseSerialGC += true ");
    }

    private static List<String> archives(Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
