package dev.ingest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The repository's {@code Dockerfile} against the build output (there is no Docker engine to build it here): what
 * the runtime stage copies from the build stage exists after {@code mvn package}, the entry point is the launcher,
 * the exposed port is the default {@code --listen}, and it runs as a non-root user without nats-server.
 */
@ExtendWith(LauncherSupport.RequiresDistribution.class)
class DockerfileIT {

    private static final Path ROOT = KubernetesManifestsTest.repositoryRoot();

    /** One instruction, continuation lines joined. */
    record Instruction(int stage, String keyword, String args) {
    }

    /** A FROM and what follows it. */
    record Stage(String image, String name, List<Instruction> instructions) {
        List<Instruction> all(String keyword) {
            return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
        }

        Instruction last(String keyword) {
            List<Instruction> found = all(keyword);
            assertThat(found).as("%s in stage %s", keyword, name == null ? image : name).isNotEmpty();
            return found.get(found.size() - 1);
        }
    }

    private static List<Stage> stages;

    @BeforeAll
    static void parse() throws IOException {
        stages = parse(Files.readAllLines(ROOT.resolve("Dockerfile"), StandardCharsets.UTF_8));
    }

    /** A small Dockerfile reader: comments, continuation lines, ARG defaults before the first FROM, stages. */
    static List<Stage> parse(List<String> lines) {
        List<String> joined = new ArrayList<>();
        StringBuilder cur = null;
        for (String raw : lines) {
            String line = raw.strip();
            if (line.startsWith("#") || (line.isEmpty() && cur == null)) {
                continue; // comments (also inside continued instructions) and blank lines
            }
            if (cur == null) {
                cur = new StringBuilder();
            }
            if (line.endsWith("\\")) {
                cur.append(line, 0, line.length() - 1).append(' ');
            } else {
                cur.append(line);
                joined.add(cur.toString().strip());
                cur = null;
            }
        }
        Map<String, String> globalArgs = new HashMap<>();
        List<Stage> out = new ArrayList<>();
        for (String ins : joined) {
            String[] kv = ins.split("\\s+", 2);
            String keyword = kv[0].toUpperCase();
            String args = kv.length > 1 ? kv[1].strip() : "";
            if (keyword.equals("FROM")) {
                String[] parts = args.split("\\s+");
                String image = substitute(parts[0], globalArgs);
                String name = parts.length >= 3 && parts[1].equalsIgnoreCase("AS") ? parts[2] : null;
                out.add(new Stage(image, name, new ArrayList<>()));
            } else if (out.isEmpty()) {
                assertThat(keyword).as("only ARG may precede the first FROM").isEqualTo("ARG");
                String[] a = args.split("=", 2);
                globalArgs.put(a[0], a.length > 1 ? a[1] : "");
            } else {
                out.get(out.size() - 1).instructions().add(new Instruction(out.size() - 1, keyword, args));
            }
        }
        return out;
    }

    private static String substitute(String s, Map<String, String> args) {
        Matcher m = Pattern.compile("\\$\\{(\\w+)}|\\$(\\w+)").matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2);
            m.appendReplacement(sb, Matcher.quoteReplacement(args.getOrDefault(name, "")));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private static Stage build() {
        return stages.stream().filter(s -> "build".equals(s.name())).findFirst().orElseThrow();
    }

    private static Stage runtime() {
        return stages.get(stages.size() - 1);
    }

    /** The arguments of a COPY without its flags, and its flags. */
    record Copy(Map<String, String> flags, List<String> sources, String destination) {
        static Copy of(Instruction i) {
            List<String> words = new ArrayList<>(Arrays.asList(i.args().split("\\s+")));
            Map<String, String> flags = new HashMap<>();
            while (!words.isEmpty() && words.get(0).startsWith("--")) {
                String[] f = words.remove(0).substring(2).split("=", 2);
                flags.put(f[0], f.length > 1 ? f[1] : "");
            }
            assertThat(words).as("COPY %s", i.args()).hasSizeGreaterThanOrEqualTo(2);
            return new Copy(flags, words.subList(0, words.size() - 1), words.get(words.size() - 1));
        }
    }

    /** Where a path of the build stage is in this checkout: the build stage copies the repository to WORKDIR. */
    private static Path inCheckout(String buildPath) {
        Stage b = build();
        String workdir = b.last("WORKDIR").args();
        assertThat(b.all("COPY").stream().map(Copy::of))
                .as("the build stage copies the whole build context into its WORKDIR")
                .anyMatch(c -> c.sources().equals(List.of(".")) && (c.destination().equals(".")
                        || c.destination().equals(workdir) || c.destination().equals(workdir + "/")));
        assertThat(buildPath).as("a path of the build stage").startsWith(workdir + "/");
        return ROOT.resolve(buildPath.substring(workdir.length() + 1));
    }

    @Test
    void theBuildStageBuildsWithMavenAndJdk17SkippingTests() {
        assertThat(stages).hasSize(2);
        Stage b = build();
        assertThat(b.image()).contains("maven").contains("17");
        assertThat(b.all("RUN")).anySatisfy(run -> assertThat(Arrays.asList(run.args().split("\\s+")))
                .contains("mvn", "-B", "-DskipTests", "package"));
    }

    @Test
    void theRuntimeStageCopiesOnlyWhatTheBuildProduces() throws IOException {
        Stage r = runtime();
        assertThat(r.image()).isEqualTo("eclipse-temurin:17-jre");
        List<Copy> copies = r.all("COPY").stream().map(Copy::of).toList();
        assertThat(copies).as("the runtime stage copies from the build stage").isNotEmpty()
                .allSatisfy(c -> assertThat(c.flags()).containsEntry("from", "build"));
        for (Copy c : copies) {
            for (String src : c.sources()) {
                Path p = inCheckout(src);
                assertThat(p).as("COPY --from=build %s: %s after mvn package", src, p).exists();
            }
        }
        // It is the distribution: the same files as the tarball (DistributionIT compares those two).
        assertThat(copies.stream().flatMap(c -> c.sources().stream()).map(DockerfileIT::inCheckout).map(Path::normalize))
                .contains(LauncherSupport.distribution().normalize());
    }

    @Test
    void theEntryPointIsTheLauncherOfTheCopiedDistribution() throws IOException {
        Stage r = runtime();
        String[] entry = new ObjectMapper().readValue(r.last("ENTRYPOINT").args(), String[].class);
        assertThat(entry).as("ENTRYPOINT in exec form").containsExactly("/opt/ingest/bin/ingest");
        Copy copy = r.all("COPY").stream().map(Copy::of)
                .filter(c -> entry[0].startsWith(c.destination().endsWith("/") ? c.destination() : c.destination() + "/"))
                .findFirst().orElseThrow(() -> new AssertionError("no COPY puts " + entry[0] + " in the image"));
        String dest = copy.destination().endsWith("/") ? copy.destination() : copy.destination() + "/";
        Path launcher = inCheckout(copy.sources().get(0)).resolve(entry[0].substring(dest.length()));
        assertThat(launcher).as("the launcher in the build output").isRegularFile()
                .isEqualTo(LauncherSupport.distribution().resolve("bin/ingest"));
        assertThat(Files.isExecutable(launcher)).as("%s is executable", launcher).isTrue();
    }

    @Test
    void theExposedPortIsTheDefaultListenPort() {
        List<Instruction> expose = runtime().all("EXPOSE");
        assertThat(expose).hasSize(1);
        assertThat(expose.get(0).args()).isEqualTo(Integer.toString(KubernetesManifestsTest.defaultListenPort()));
    }

    @Test
    void itRunsAsANonRootUserWithoutNatsServer() {
        Stage r = runtime();
        String user = r.last("USER").args();
        assertThat(user).as("a numeric user, so that Kubernetes can check runAsNonRoot").matches("\\d+(:\\d+)?");
        assertThat(user.split(":")[0]).isNotEqualTo("0");
        assertThat(r.instructions()).noneSatisfy(i -> assertThat(i.args()).containsIgnoringCase("nats-server"));
    }

    @Test
    void theDockerIgnoreKeepsWhatTheBuildNeedsAndDropsBuildOutput() throws IOException {
        List<String> patterns = Files.readAllLines(ROOT.resolve(".dockerignore")).stream().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        assertThat(patterns).contains(".git", "**/target");
        for (String needed : List.of("pom.xml", "README.md", "LICENSE", "ingest-cli/pom.xml",
                "ingest-cli/src/dist/bin/ingest", "ingest-core/src/main/java/dev/ingest/core/Ingest.java")) {
            assertThat(ROOT.resolve(needed)).exists();
            for (String pattern : patterns) {
                PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
                Path p = Path.of(needed);
                for (Path prefix = p; prefix != null; prefix = prefix.getParent()) {
                    assertThat(m.matches(prefix)).as(".dockerignore pattern %s excludes %s", pattern, needed).isFalse();
                }
            }
        }
    }
}
