package dev.ingest.core.plugin;

import static dev.ingest.core.config.YamlLines.line;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.tuple;

import dev.ingest.api.Blob;
import dev.ingest.api.Scan;
import dev.ingest.api.Codec;
import dev.ingest.api.Destination;
import dev.ingest.api.Source;
import dev.ingest.core.config.ConfigLoader;
import dev.ingest.core.config.ConfigProblem;
import dev.ingest.core.config.EnvExpander;
import dev.ingest.core.config.InvalidConfigException;
import dev.ingest.core.config.WorkflowConfig;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluginSetupTest {

    @TempDir
    Path tmp;

    private PluginRegistry registry;
    private Path in;
    private Path out;

    @BeforeEach
    void setUp() throws Exception {
        registry = PluginRegistry.fromClassPath(getClass().getClassLoader());
        in = Files.createDirectory(tmp.resolve("in"));
        out = tmp.resolve("out");
    }

    @AfterEach
    void tearDown() {
        registry.close();
    }

    private static ConfigLoader.Parsed parse(String yaml, Map<String, String> env) {
        return ConfigLoader.create(EnvExpander.of(env)).parse(yaml, "ingest.yaml");
    }

    private Configured configure(String yaml, boolean strict) throws InvalidConfigException {
        return PluginSetup.configure(parse(yaml, Map.of()), registry, strict);
    }

    private InvalidConfigException failure(String yaml, boolean strict) {
        return failure(parse(yaml, Map.of()), strict);
    }

    private InvalidConfigException failure(ConfigLoader.Parsed parsed, boolean strict) {
        InvalidConfigException e = catchThrowableOfType(InvalidConfigException.class,
                () -> PluginSetup.configure(parsed, registry, strict).close());
        assertThat(e).as("configure must fail").isNotNull();
        return e;
    }

    private String dirToDir() {
        return """
                sources:
                  - name: inbox
                    type: dir
                    path: "%s"
                    include: ["*.txt"]
                destinations:
                  - name: archive
                    type: dir
                    path: "%s"
                workflows:
                  - name: inbox-archive
                    source: inbox
                    destinations: [archive]
                    interval: 30s
                """.formatted(in, out);
    }

    @Test
    void classPathRegistryFindsTheTestPlugin() {
        assertThat(registry.types()).contains("dir");
        assertThat(registry.get("dir")).get()
                .satisfies(p -> assertThat(p.location()).isEqualTo("class path"));
        assertThat(registry.get("s3")).isEmpty();
    }

    @Test
    void validDirToDirConfigYieldsLiveSourceAndDestination() throws Exception {
        Files.writeString(in.resolve("hello.txt"), "hello", StandardCharsets.UTF_8);
        Files.writeString(in.resolve("skip.bin"), "no", StandardCharsets.UTF_8);

        try (Configured configured = configure(dirToDir(), true)) {
            assertThat(configured.workflows()).singleElement().satisfies(w -> {
                assertThat(w.name()).isEqualTo("inbox-archive");
                assertThat(w.source()).isEqualTo("inbox");
                assertThat(w.destinations()).containsExactly("archive");
                assertThat(w.interval()).isEqualTo(Duration.ofSeconds(30));
            });
            assertThat(configured.skippedProblems()).isEmpty();
            assertThat(configured.config().origin()).isEqualTo("ingest.yaml");
            assertThat(Files.isDirectory(out)).as("the dir destination creates its directory").isTrue();

            Source source = configured.source("inbox");
            Scan scan = source.scan();
            Optional<Codec> first = scan.next();
            assertThat(first).get().extracting(Codec::id).isEqualTo("hello.txt");
            assertThat(scan.next()).as("include: [*.txt] was passed to the plugin").isEmpty();

            Destination destination = configured.destination("archive");
            URI stored;
            try (Blob blob = source.download(first.get())) {
                stored = destination.store(first.get(), blob);
            }
            assertThat(stored).isNotNull();
            assertThat(out.resolve("hello.txt")).hasContent("hello");

            assertThatThrownBy(() -> configured.source("archive")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> configured.destination("inbox")).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void closingConfiguredTwiceIsHarmless() throws Exception {
        Configured configured = configure(dirToDir(), true);
        configured.close();
        configured.close();
    }

    @Test
    void unknownTypeMissingDestinationAndBadIntervalAreAllReportedTogether() {
        String yaml = """
                sources:
                  - name: foo_1
                    type: s3
                    bucket: foo
                destinations:
                  - name: bar_1
                    type: dir
                    path: "%s"
                workflows:
                  - name: foo_1-bar_1
                    source: foo_1
                    destinations: [bar_1, nowhere]
                    interval: tenminutes
                """.formatted(out);

        InvalidConfigException e = failure(yaml, true);

        assertThat(e.source()).isEqualTo("ingest.yaml");
        assertThat(e.problems())
                .extracting(ConfigProblem::path, ConfigProblem::line)
                .containsExactly(
                        tuple("sources[0].type", line(yaml, "type: s3")),
                        tuple("workflows[0].destinations[1]", line(yaml, "destinations: [bar_1, nowhere]")),
                        tuple("workflows[0].interval", line(yaml, "interval: tenminutes")));
        assertThat(e.getMessage())
                .contains("invalid configuration ingest.yaml: 3 problems")
                .contains("unknown plugin type 's3'")
                .contains("(available: dir, gen)")
                .contains("destination 'nowhere' is not defined")
                .contains("'tenminutes' is not a duration")
                .contains("line " + line(yaml, "interval: tenminutes") + ": workflows[0].interval");
    }

    @Test
    void unknownPluginKeyAndMissingRequiredKeyAreReportedWithTheirPaths() {
        String yaml = """
                sources:
                  - name: inbox
                    type: dir
                    pth: /typo
                destinations:
                  - name: archive
                    type: dir
                    path: "%s"
                    recursive: true
                workflows:
                  - name: wf
                    source: inbox
                    destinations: [archive]
                """.formatted(out);

        InvalidConfigException e = failure(yaml, true);

        assertThat(e.problems())
                .extracting(ConfigProblem::path, ConfigProblem::line)
                .containsExactlyInAnyOrder(
                        tuple("sources[0].pth", line(yaml, "pth: /typo")),
                        tuple("sources[0].path", line(yaml, "- name: inbox")),
                        tuple("destinations[0].recursive", line(yaml, "recursive: true")));
        assertThat(message(e, "sources[0].pth")).contains("unknown key for plugin type 'dir' (did you mean 'path'?)")
                .contains("path").contains("include");
        assertThat(message(e, "sources[0].path")).contains("is required by plugin type 'dir'");
        assertThat(message(e, "destinations[0].recursive")).contains("known: path");
    }

    @Test
    void pluginsOwnValidationIsReportedUnderTheEntrysKey() {
        String yaml = dirToDir().replace("path: \"" + in + "\"", "path: \"" + tmp.resolve("absent") + "\"");

        InvalidConfigException e = failure(yaml, true);

        assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo("sources[0].path");
            assertThat(p.line()).isEqualTo(line(yaml, "absent"));
            assertThat(p.message()).contains("does not exist");
        });
    }

    @Test
    void unsetVariableInAPluginKeyIsReportedOnce() {
        String yaml = dirToDir().replace("path: \"" + in + "\"", "path: ${INBOX_DIR}");

        InvalidConfigException e = failure(parse(yaml, Map.of()), true);

        assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo("sources[0].path");
            assertThat(p.line()).isEqualTo(line(yaml, "${INBOX_DIR}"));
            assertThat(p.message()).contains("INBOX_DIR").contains("not set");
        });
    }

    @Test
    void setVariableInAPluginKeyIsExpandedBeforeThePluginSeesIt() throws Exception {
        String yaml = dirToDir().replace("path: \"" + in + "\"", "path: ${INBOX_DIR}");

        try (Configured configured = PluginSetup.configure(parse(yaml, Map.of("INBOX_DIR", in.toString())),
                registry, true)) {
            assertThat(configured.workflows()).hasSize(1);
            assertThat(configured.config().sources().get(0).options()).containsEntry("path", in.toString());
        }
    }

    @Test
    void nonStrictModeSkipsOnlyTheBrokenWorkflow() throws Exception {
        String yaml = dirToDir() + """
                  - name: broken
                    source: inbox
                    destinations: [nowhere]
                """;

        try (Configured configured = configure(yaml, false)) {
            assertThat(configured.workflows()).extracting(WorkflowConfig::name).containsExactly("inbox-archive");
            assertThat(configured.skippedProblems()).singleElement().satisfies(p -> {
                assertThat(p.path()).isEqualTo("workflows[1].destinations[0]");
                assertThat(p.line()).isEqualTo(line(yaml, "destinations: [nowhere]"));
            });
            assertThat(configured.source("inbox")).isNotNull();
            assertThat(configured.destination("archive")).isNotNull();
        }
    }

    @Test
    void nonStrictModeSkipsAWorkflowWhoseSourceIsBroken() throws Exception {
        String yaml = dirToDir() + """
                  - name: from-s3
                    source: bucket
                    destinations: [archive]
                """;
        yaml = yaml.replace("destinations:\n", """
                  - name: bucket
                    type: s3
                destinations:
                """);

        try (Configured configured = configure(yaml, false)) {
            assertThat(configured.workflows()).extracting(WorkflowConfig::name).containsExactly("inbox-archive");
            assertThat(configured.skippedProblems()).extracting(ConfigProblem::path)
                    .containsExactly("sources[1].type");
        }
    }

    @Test
    void strictModeFailsOnTheSameBrokenWorkflow() {
        String yaml = dirToDir() + """
                  - name: broken
                    source: inbox
                    destinations: [nowhere]
                """;

        InvalidConfigException e = failure(yaml, true);

        assertThat(e.problems()).extracting(ConfigProblem::path).containsExactly("workflows[1].destinations[0]");
    }

    @Test
    void nonStrictModeStillFailsOnATopLevelProblem() {
        String yaml = dirToDir() + """
                  - name: broken
                    source: inbox
                    destinations: [nowhere]
                sinks: []
                """;

        InvalidConfigException e = failure(yaml, false);

        // Every problem is listed, the workflow's too, so one edit fixes them all.
        assertThat(e.problems()).extracting(ConfigProblem::path, ConfigProblem::line)
                .containsExactly(tuple("workflows[1].destinations[0]", line(yaml, "destinations: [nowhere]")),
                        tuple("sinks", line(yaml, "sinks: []")));
        assertThat(e.getMessage()).contains("unknown key");
    }

    @Test
    void nonStrictModeFailsWhenNoWorkflowIsLeft() {
        String yaml = dirToDir().replace("destinations: [archive]", "destinations: [nowhere]");

        InvalidConfigException e = failure(yaml, false);

        assertThat(e.problems()).extracting(ConfigProblem::path).containsExactly("workflows[0].destinations[0]");
    }

    @Test
    void configWithoutWorkflowsIsRejected() {
        String yaml = dirToDir().substring(0, dirToDir().indexOf("  - name: inbox-archive")).replace(
                "workflows:\n", "workflows: []\n");

        InvalidConfigException e = failure(yaml, true);

        assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo("workflows");
            assertThat(p.message()).contains("no workflow");
            assertThat(p.line()).isEqualTo(line(yaml, "workflows: []"));
        });
    }

    @Test
    void anEmptyConfigurationIsRefusedForOnceRunsAndAcceptedForAServiceFedByTheApi() throws Exception {
        InvalidConfigException e = failure("{}\n", true);
        assertThat(e.problems()).singleElement().satisfies(p -> assertThat(p.message()).contains("no workflow"));

        try (Configured empty = PluginSetup.configure(parse("{}\n", Map.of()), registry, true, true)) {
            assertThat(empty.workflows()).isEmpty();
        }
        // Allowed empty, but not broken: problems still fail.
        assertThat(catchThrowableOfType(InvalidConfigException.class, () -> PluginSetup.configure(
                parse("sources: [{name: s, type: nope}]\n", Map.of()), registry, true, true).close())).isNotNull();
    }

    @Test
    void unknownDestinationTypeIsReportedWithTheKnownTypes() {
        String yaml = dirToDir().replace("""
                    type: dir
                    path: "%s"
                """.formatted(out), """
                    type: nope
                """);

        InvalidConfigException e = failure(yaml, true);

        assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo("destinations[0].type");
            assertThat(p.message()).contains("unknown plugin type 'nope'").contains("(available: dir, gen)");
        });
    }

    @Test
    void problemsAreSortedByLine() {
        String yaml = """
                sources:
                  - name: inbox
                    type: dir
                    pth: x
                destinations:
                  - name: archive
                    type: s3
                workflows:
                  - name: a.b
                    source: inbox
                    destinations: [archive]
                    interval: soon
                """;

        InvalidConfigException e = failure(yaml, true);

        assertThat(e.problems()).extracting(ConfigProblem::line).isSorted().doesNotContain(0);
        assertThat(e.problems()).hasSize(5);
    }

    @Test
    void destinationPathThatIsAFileIsReportedByThePlugin() throws Exception {
        String yaml = dirToDir().replace("path: \"" + out + "\"", "path: \"" + in.resolve("f") + "\"");
        Files.writeString(in.resolve("f"), "x");

        InvalidConfigException e = failure(yaml, true);

        assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo("destinations[0].path");
            assertThat(p.message()).contains("is not a directory");
        });
    }

    private static String message(InvalidConfigException e, String path) {
        return e.problems().stream().filter(p -> p.path().equals(path)).findFirst()
                .map(ConfigProblem::message)
                .orElseThrow(() -> new AssertionError("no problem at " + path + " in " + e.problems()));
    }
}
