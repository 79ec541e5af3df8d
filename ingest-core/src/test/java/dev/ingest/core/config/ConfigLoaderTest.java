package dev.ingest.core.config;

import static dev.ingest.core.config.YamlLines.line;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    /** The example configuration of the original tool. */
    static final String ORIGINAL_EXAMPLE = """
            sources:
              - name: foo_1
                type: s3
                endpoint: localhost:9000
                bucket: foo
                prefix: bar
                accessKeyID: ${S3_KEY}
                secretAccessKey: ${S3_SECRET}
                ssl: false
            destinations:
              - name: bar_1
                type: s3
                endpoint: localhost:9000
                bucket: bar
                accessKeyID: ${S3_KEY}
                secretAccessKey: ${S3_SECRET}
                ssl: false
            workflows:
              - name: foo_1-bar_1
                source: foo_1
                destinations:
                  - bar_1
                batchSize: 1
                interval: 300s
                cleanUp: true
                webhook: http://localhost:8080
            """;

    private static final Map<String, String> S3_ENV = Map.of("S3_KEY", "the-key", "S3_SECRET", "the-secret");

    private static ConfigLoader.Parsed parse(String yaml) {
        return parse(yaml, Map.of());
    }

    private static ConfigLoader.Parsed parse(String yaml, Map<String, String> env) {
        return ConfigLoader.create(EnvExpander.of(env)).parse(yaml, "test.yaml");
    }

    private static String minimal(String workflowExtra) {
        return """
                sources:
                  - name: src
                    type: file
                    path: /in
                destinations:
                  - name: dst
                    type: file
                    path: /out
                workflows:
                  - name: wf
                    source: src
                    destinations: [dst]
                """ + workflowExtra;
    }

    // ---- the original example ----

    @Test
    void originalToolExampleParsesWithoutProblems() {
        ConfigLoader.Parsed parsed = parse(ORIGINAL_EXAMPLE, S3_ENV);

        assertThat(parsed.problems()).isEmpty();
        IngestConfig config = parsed.config();
        assertThat(config.origin()).isEqualTo("test.yaml");

        assertThat(config.sources()).singleElement().satisfies(s -> {
            assertThat(s.name()).isEqualTo("foo_1");
            assertThat(s.type()).isEqualTo("s3");
            assertThat(s.path()).isEqualTo("sources[0]");
            assertThat(s.options()).containsExactly(
                    Map.entry("endpoint", "localhost:9000"),
                    Map.entry("bucket", "foo"),
                    Map.entry("prefix", "bar"),
                    Map.entry("accessKeyID", "the-key"),
                    Map.entry("secretAccessKey", "the-secret"),
                    Map.entry("ssl", false));
        });
        assertThat(config.destinations()).singleElement().satisfies(d -> {
            assertThat(d.name()).isEqualTo("bar_1");
            assertThat(d.type()).isEqualTo("s3");
            assertThat(d.path()).isEqualTo("destinations[0]");
            assertThat(d.options()).containsEntry("bucket", "bar").containsEntry("accessKeyID", "the-key");
        });
        assertThat(config.workflows()).singleElement().satisfies(w -> {
            assertThat(w.name()).isEqualTo("foo_1-bar_1");
            assertThat(w.source()).isEqualTo("foo_1");
            assertThat(w.destinations()).containsExactly("bar_1");
            assertThat(w.batchSize()).isEqualTo(1);
            assertThat(w.concurrency()).isEqualTo(1);
            assertThat(w.interval()).isEqualTo(Duration.ofSeconds(300));
            assertThat(w.cleanUp()).isTrue();
            assertThat(w.webhook()).contains(URI.create("http://localhost:8080"));
            assertThat(w.maxDeliver()).isEqualTo(WorkflowConfig.DEFAULT_MAX_DELIVER);
            assertThat(w.path()).isEqualTo("workflows[0]");
        });
        assertThat(config.source("foo_1")).isPresent();
        assertThat(config.destination("bar_1")).isPresent();
        assertThat(config.source("bar_1")).isEmpty();
    }

    @Test
    void originalToolExampleRecordsTheLineOfEveryField() {
        IngestConfig config = parse(ORIGINAL_EXAMPLE, S3_ENV).config();

        assertThat(config.lineOf("sources")).isEqualTo(1);
        assertThat(config.lineOf("sources[0]")).isEqualTo(2);
        assertThat(config.lineOf("sources[0].accessKeyID")).isEqualTo(line(ORIGINAL_EXAMPLE, "accessKeyID"));
        assertThat(config.lineOf("workflows[0].interval")).isEqualTo(line(ORIGINAL_EXAMPLE, "interval: 300s"));
        assertThat(config.lineOf("workflows[0].destinations[0]")).isEqualTo(line(ORIGINAL_EXAMPLE, "- bar_1"));
        // an absent key falls back to its nearest parent
        assertThat(config.lineOf("workflows[0].maxDeliver")).isEqualTo(line(ORIGINAL_EXAMPLE, "- name: foo_1-bar_1"));
        assertThat(config.lineOf("nothing")).isZero();
    }

    @Test
    void originalToolExampleWithoutItsVariablesReportsEachUnsetReference() {
        ConfigLoader.Parsed parsed = parse(ORIGINAL_EXAMPLE, Map.of("S3_KEY", "k"));

        assertThat(parsed.problems())
                .extracting(ConfigProblem::path, ConfigProblem::line)
                .containsExactly(
                        tuple("sources[0].secretAccessKey", line(ORIGINAL_EXAMPLE, "secretAccessKey", 1)),
                        tuple("destinations[0].secretAccessKey", line(ORIGINAL_EXAMPLE, "secretAccessKey", 2)));
        assertThat(parsed.problems()).allSatisfy(p -> assertThat(p.message()).contains("S3_SECRET"));
        // the entries are still read, so that plugin checks can run on them
        assertThat(parsed.config().sources()).hasSize(1);
        assertThat(parsed.config().workflows()).hasSize(1);
    }

    @Test
    void loadReadsAFileAndUsesItsPathAsOrigin(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("ingest.yaml");
        Files.writeString(file, ORIGINAL_EXAMPLE, StandardCharsets.UTF_8);

        ConfigLoader.Parsed parsed = ConfigLoader.create(EnvExpander.of(S3_ENV)).load(file);

        assertThat(parsed.problems()).isEmpty();
        assertThat(parsed.config().origin()).isEqualTo(file.toString());
        assertThat(parsed.config().workflows()).extracting(WorkflowConfig::name).containsExactly("foo_1-bar_1");
    }

    // ---- defaults ----

    @Test
    void workflowDefaultsApplyWhenKeysAreAbsent() {
        ConfigLoader.Parsed parsed = parse(minimal(""));

        assertThat(parsed.problems()).isEmpty();
        WorkflowConfig w = parsed.config().workflows().get(0);
        assertThat(w.interval()).isEqualTo(Duration.ofMinutes(5));
        assertThat(w.batchSize()).isEqualTo(8);
        assertThat(w.concurrency()).isEqualTo(8);
        assertThat(w.maxDeliver()).isEqualTo(5);
        assertThat(w.backoff()).isEqualTo(Duration.ofSeconds(1));
        assertThat(w.maxBackoff()).isEqualTo(Duration.ofMinutes(5));
        assertThat(w.cleanUp()).isFalse();
        assertThat(w.webhook()).isEmpty();
    }

    @Test
    void concurrencyDefaultsToTheConfiguredBatchSize() {
        WorkflowConfig w = parse(minimal("    batchSize: 3\n")).config().workflows().get(0);

        assertThat(w.batchSize()).isEqualTo(3);
        assertThat(w.concurrency()).isEqualTo(3);
    }

    @Test
    void explicitValuesOverrideTheDefaults() {
        ConfigLoader.Parsed parsed = parse(minimal("""
                    batchSize: 16
                    concurrency: 4
                    maxDeliver: 10
                    interval: 1h30m
                    backoff: 2s
                    maxBackoff: 1m
                    cleanUp: "true"
                    webhook: https://hooks.example.com/done
                """));

        assertThat(parsed.problems()).isEmpty();
        WorkflowConfig w = parsed.config().workflows().get(0);
        assertThat(w.batchSize()).isEqualTo(16);
        assertThat(w.concurrency()).isEqualTo(4);
        assertThat(w.maxDeliver()).isEqualTo(10);
        assertThat(w.interval()).isEqualTo(Duration.ofMinutes(90));
        assertThat(w.backoff()).isEqualTo(Duration.ofSeconds(2));
        assertThat(w.maxBackoff()).isEqualTo(Duration.ofMinutes(1));
        assertThat(w.cleanUp()).isTrue();
        assertThat(w.webhook()).contains(URI.create("https://hooks.example.com/done"));
    }

    @Test
    void workflowValuesMayComeFromTheEnvironment() {
        ConfigLoader.Parsed parsed = parse(minimal("""
                    batchSize: ${BATCH}
                    interval: ${INTERVAL:-30s}
                """), Map.of("BATCH", "4"));

        assertThat(parsed.problems()).isEmpty();
        WorkflowConfig w = parsed.config().workflows().get(0);
        assertThat(w.batchSize()).isEqualTo(4);
        assertThat(w.interval()).isEqualTo(Duration.ofSeconds(30));
    }

    // ---- every problem at once ----

    @Test
    void everyProblemIsReportedAtOnceWithItsPathAndLine() {
        String yaml = """
                sources:
                  - name: foo_1
                    type: file
                    path: /a
                  - name: foo_1
                    type: file
                    path: /b
                destinations:
                  - name: bar_1
                    type: file
                    path: /c
                workflows:
                  - name: a.b
                    source: foo_1
                    destinations:
                      - missing
                    interval: tenminutes
                    colour: blue
                """;

        ConfigLoader.Parsed parsed = parse(yaml);

        assertThat(parsed.problems())
                .extracting(ConfigProblem::path, ConfigProblem::line)
                .containsExactlyInAnyOrder(
                        tuple("sources[1].name", line(yaml, "name: foo_1", 2)),
                        tuple("workflows[0].name", line(yaml, "name: a.b")),
                        tuple("workflows[0].destinations[0]", line(yaml, "- missing")),
                        tuple("workflows[0].interval", line(yaml, "interval: tenminutes")),
                        tuple("workflows[0].colour", line(yaml, "colour: blue")));
        assertThat(parsed.problems()).allSatisfy(p -> assertThat(p.line()).isPositive());
        assertThat(message(parsed, "sources[1].name")).contains("duplicate source name 'foo_1'");
        assertThat(message(parsed, "workflows[0].name")).contains("'a.b'").contains("letters, digits");
        assertThat(message(parsed, "workflows[0].destinations[0]"))
                .contains("destination 'missing' is not defined").contains("bar_1");
        assertThat(message(parsed, "workflows[0].interval")).contains("'tenminutes' is not a duration");
        assertThat(message(parsed, "workflows[0].colour")).contains("unknown key").contains("batchSize");
    }

    @Test
    void problemsAreListedInFileOrder() {
        String yaml = """
                sources:
                  - name: foo_1
                    type: file
                  - name: foo_1
                    type: file
                destinations:
                  - name: bar_1
                    type: file
                workflows:
                  - name: a.b
                    source: foo_1
                    destinations: [missing]
                    interval: tenminutes
                    colour: blue
                """;

        List<ConfigProblem> problems = parse(yaml).problems();

        assertThat(problems).hasSize(5);
        assertThat(problems).isSortedAccordingTo(Comparator.comparingInt(ConfigProblem::line));
    }

    @Test
    void problemToStringShowsLineAndPath() {
        String yaml = minimal("    interval: tenminutes\n");

        ConfigProblem p = parse(yaml).problems().get(0);

        assertThat(p.toString()).startsWith("line " + line(yaml, "interval: tenminutes") + ": workflows[0].interval: ");
    }

    @Test
    void workflowNamingAnUndefinedSourceListsTheDefinedOnes() {
        String yaml = minimal("").replace("source: src", "source: nope");

        ConfigLoader.Parsed parsed = parse(yaml);

        assertThat(parsed.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo("workflows[0].source");
            assertThat(p.line()).isEqualTo(line(yaml, "source: nope"));
            assertThat(p.message()).contains("source 'nope' is not defined").contains("src");
        });
    }

    @Test
    void missingRequiredWorkflowKeysAreReportedOnTheLineOfTheirEntry() {
        String yaml = """
                sources:
                  - name: src
                    type: file
                destinations:
                  - name: dst
                    type: file
                workflows:
                  - name: wf
                    interval: 5m
                """;

        ConfigLoader.Parsed parsed = parse(yaml);

        assertThat(parsed.problems())
                .extracting(ConfigProblem::path, ConfigProblem::line)
                .containsExactlyInAnyOrder(
                        tuple("workflows[0].source", line(yaml, "- name: wf")),
                        tuple("workflows[0].destinations", line(yaml, "- name: wf")));
        assertThat(parsed.problems()).allSatisfy(p -> assertThat(p.message()).contains("required"));
    }

    @Test
    void invalidWorkflowValuesAreEachReported() {
        String yaml = minimal("""
                    batchSize: 0
                    concurrency: many
                    maxDeliver: 1.5
                    cleanUp: maybe
                    webhook: ftp://example.com/x
                    backoff: 10s
                    maxBackoff: 5s
                """);

        ConfigLoader.Parsed parsed = parse(yaml);

        assertThat(parsed.problems())
                .extracting(ConfigProblem::path, ConfigProblem::line)
                .containsExactlyInAnyOrder(
                        tuple("workflows[0].batchSize", line(yaml, "batchSize: 0")),
                        tuple("workflows[0].concurrency", line(yaml, "concurrency: many")),
                        tuple("workflows[0].maxDeliver", line(yaml, "maxDeliver: 1.5")),
                        tuple("workflows[0].cleanUp", line(yaml, "cleanUp: maybe")),
                        tuple("workflows[0].webhook", line(yaml, "webhook: ftp")),
                        tuple("workflows[0].maxBackoff", line(yaml, "maxBackoff: 5s")));
        assertThat(message(parsed, "workflows[0].batchSize")).contains("between 1 and 100000");
        assertThat(message(parsed, "workflows[0].webhook")).contains("http:// or https://");
        assertThat(message(parsed, "workflows[0].maxBackoff")).contains("backoff (10s)");
        // the entry is still kept, with defaults in place of the wrong values
        WorkflowConfig w = parsed.config().workflows().get(0);
        assertThat(w.batchSize()).isEqualTo(WorkflowConfig.DEFAULT_BATCH_SIZE);
        assertThat(w.maxBackoff()).isEqualTo(w.backoff());
    }

    @Test
    void aWebhookWithCredentialsIsAcceptedButNeverQuotedWithThem() {
        ConfigLoader.Parsed good = parse(minimal("""
                    webhook: 'https://hook:pa55w0rd@hooks.example.com/done?token=t0k3n'
                """));
        assertThat(good.problems()).isEmpty();
        WorkflowConfig w = good.config().workflows().get(0);
        assertThat(w.webhook()).contains(URI.create("https://hook:pa55w0rd@hooks.example.com/done?token=t0k3n"));
        assertThat(w.toString()).contains("webhook=https://hook:REDACTED@hooks.example.com/done?token=REDACTED")
                .doesNotContain("pa55w0rd").doesNotContain("t0k3n");

        ConfigLoader.Parsed bad = parse(minimal("""
                    webhook: 'ftp://hook:pa55w0rd@hooks.example.com/done?api_key=k3y'
                """));
        assertThat(message(bad, "workflows[0].webhook"))
                .contains("'ftp://hook:REDACTED@hooks.example.com/done?api_key=REDACTED' must be an http:// or https:// URL")
                .doesNotContain("pa55w0rd").doesNotContain("k3y");
        ConfigLoader.Parsed badPort = parse(minimal("""
                    webhook: 'http://hook:pa55w0rd@hooks.example.com:99999/done'
                """));
        assertThat(message(badPort, "workflows[0].webhook")).contains("is not a valid http(s) URL")
                .doesNotContain("pa55w0rd");
    }

    @Test
    void zeroIntervalIsRejected() {
        String yaml = minimal("    interval: 0\n");

        ConfigLoader.Parsed parsed = parse(yaml);

        assertThat(parsed.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo("workflows[0].interval");
            assertThat(p.message()).contains("longer than 0s");
        });
        assertThat(parsed.config().workflows().get(0).interval()).isEqualTo(WorkflowConfig.DEFAULT_INTERVAL);
    }

    @Test
    void duplicateWorkflowAndDestinationNamesAreReported() {
        String yaml = """
                sources:
                  - name: src
                    type: file
                destinations:
                  - name: dst
                    type: file
                workflows:
                  - name: wf
                    source: src
                    destinations: [dst, dst]
                  - name: wf
                    source: src
                    destinations: [dst]
                """;

        ConfigLoader.Parsed parsed = parse(yaml);

        assertThat(parsed.problems())
                .extracting(ConfigProblem::path, ConfigProblem::message)
                .containsExactlyInAnyOrder(
                        tuple("workflows[0].destinations[1]", "destination 'dst' is listed twice"),
                        tuple("workflows[1].name", "duplicate workflow name 'wf'"));
        assertThat(parsed.problems()).allSatisfy(p -> assertThat(p.line()).isPositive());
    }

    @Test
    void duplicateKeyIsReported() {
        String yaml = minimal("    interval: 1m\n    interval: 2m\n");

        ConfigLoader.Parsed parsed = parse(yaml);

        assertThat(parsed.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo("workflows[0].interval");
            assertThat(p.message()).contains("appears twice");
            assertThat(p.line()).isPositive();
        });
    }

    @Test
    void unsetVariableWithoutDefaultIsReportedWithItsPath() {
        String yaml = minimal("").replace("path: /in", "path: ${DATA_DIR}");

        ConfigLoader.Parsed parsed = parse(yaml);

        assertThat(parsed.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo("sources[0].path");
            assertThat(p.line()).isEqualTo(line(yaml, "${DATA_DIR}"));
            assertThat(p.message()).contains("DATA_DIR").contains("not set");
        });
    }

    // ---- malformed files ----

    @Test
    void invalidYamlGivesOneProblemWithItsLine() {
        String yaml = """
                sources:
                  - name: src
                    type: file: oops
                destinations: []
                """;

        ConfigLoader.Parsed parsed = parse(yaml);

        assertThat(parsed.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEmpty();
            assertThat(p.line()).isEqualTo(3);
            assertThat(p.message()).startsWith("not valid YAML");
        });
        assertThat(parsed.config().sources()).isEmpty();
        assertThat(parsed.config().workflows()).isEmpty();
    }

    @Test
    void unclosedFlowSequenceIsInvalidYaml() {
        ConfigLoader.Parsed parsed = parse("sources: [a, b\nworkflows: []\n");

        assertThat(parsed.problems()).singleElement().satisfies(p -> {
            assertThat(p.message()).startsWith("not valid YAML");
            assertThat(p.line()).isPositive();
        });
    }

    @Test
    void emptyFileIsOneProblem() {
        ConfigLoader.Parsed parsed = parse("");

        assertThat(parsed.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEmpty();
            assertThat(p.message()).contains("empty");
        });
        assertThat(parsed.config().sources()).isEmpty();
    }

    @Test
    void commentOnlyFileCountsAsEmpty() {
        ConfigLoader.Parsed parsed = parse("# nothing here\n");

        assertThat(parsed.problems()).singleElement()
                .satisfies(p -> assertThat(p.message()).contains("empty"));
    }

    @Test
    void topLevelListIsRejected() {
        ConfigLoader.Parsed parsed = parse("- a\n- b\n");

        assertThat(parsed.problems()).singleElement()
                .satisfies(p -> assertThat(p.message()).contains("must be a mapping"));
    }

    @Test
    void topLevelUnknownKeyIsReportedWithItsLine() {
        String yaml = "version: 1\n" + minimal("") + "sinks: []\n";

        ConfigLoader.Parsed parsed = parse(yaml);

        assertThat(parsed.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo("sinks");
            assertThat(p.line()).isEqualTo(line(yaml, "sinks:"));
            assertThat(p.message()).contains("unknown key").contains("workflows");
        });
        assertThat(parsed.config().workflows()).hasSize(1);
    }

    @Test
    void missingSectionsAreEmpty() {
        // A service may start from {} and get its workflows through the API; a --once run without any workflow is
        // refused later, by PluginSetup ("no workflow is defined").
        ConfigLoader.Parsed parsed = parse("version: 1\n");

        assertThat(parsed.problems()).isEmpty();
        assertThat(parsed.config().sources()).isEmpty();
        assertThat(parsed.config().destinations()).isEmpty();
        assertThat(parsed.config().workflows()).isEmpty();
        assertThat(parse("{}").problems()).isEmpty();
    }

    @Test
    void sectionThatIsNotAListIsReported() {
        String yaml = minimal("").replace("sources:\n  - name: src\n    type: file\n    path: /in\n", "sources: src\n");

        ConfigLoader.Parsed parsed = parse(yaml);

        assertThat(parsed.problems()).extracting(ConfigProblem::path, ConfigProblem::message)
                .contains(tuple("sources", "must be a list"));
        assertThat(parsed.problems()).filteredOn(p -> p.path().equals("sources"))
                .singleElement().satisfies(p -> assertThat(p.line()).isEqualTo(1));
    }

    @Test
    void pluginEntryWithoutNameOrTypeIsReported() {
        String yaml = """
                sources:
                  - type: file
                    path: /in
                  - name: src
                destinations:
                  - name: dst
                    type: file
                workflows:
                  - name: wf
                    source: src
                    destinations: dst
                """;

        ConfigLoader.Parsed parsed = parse(yaml);

        assertThat(parsed.problems())
                .extracting(ConfigProblem::path, ConfigProblem::message)
                .containsExactlyInAnyOrder(
                        tuple("sources[0].name", "is required"),
                        tuple("sources[1].type", "is required"));
        assertThat(parsed.config().sources()).extracting(PluginEntry::name).containsExactly("src");
        assertThat(parsed.config().sources().get(0).type()).isEmpty();
    }

    @Test
    void destinationsGivenAsASingleStringAreAListOfOne() {
        String yaml = minimal("").replace("destinations: [dst]", "destinations: dst");

        ConfigLoader.Parsed parsed = parse(yaml);

        assertThat(parsed.problems()).isEmpty();
        assertThat(parsed.config().workflows().get(0).destinations()).containsExactly("dst");
    }

    @Test
    void singleStringDestinationThatIsUndefinedIsReportedOnItsLine() {
        String yaml = minimal("").replace("destinations: [dst]", "destinations: nope");

        ConfigLoader.Parsed parsed = parse(yaml);

        assertThat(parsed.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo("workflows[0].destinations[0]");
            assertThat(p.line()).isEqualTo(line(yaml, "destinations: nope"));
            assertThat(p.message()).contains("'nope' is not defined");
        });
    }

    @Test
    void emptyDestinationListIsRejected() {
        String yaml = minimal("").replace("destinations: [dst]", "destinations: []");

        ConfigLoader.Parsed parsed = parse(yaml);

        assertThat(parsed.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo("workflows[0].destinations");
            assertThat(p.message()).contains("at least one destination");
        });
    }

    @Test
    void workflowNamePatternAcceptsOnlySubjectSafeNames() {
        assertThat(ConfigLoader.WORKFLOW_NAME.matcher("foo_1-bar_1").matches()).isTrue();
        assertThat(ConfigLoader.WORKFLOW_NAME.matcher("a.b").matches()).isFalse();
        assertThat(ConfigLoader.WORKFLOW_NAME.matcher("a b").matches()).isFalse();
        assertThat(ConfigLoader.WORKFLOW_NAME.matcher("a*").matches()).isFalse();
        assertThat(ConfigLoader.WORKFLOW_NAME.matcher("a>").matches()).isFalse();
    }

    @Test
    void aMistypedKeyGetsADidYouMeanAtEveryLevel() {
        String yaml = """
                source:
                - name: a
                  type: file
                sources:
                - name: s
                  type: file
                destinations:
                - name: d
                  type: file
                workflows:
                - name: w
                  source: s
                  destinations: [d]
                  batchsize: 5
                  colour: blue
                  batch: {maxrecords: 10}
                ingest:
                  queueEndpoint: nats://x:4222
                """;

        ConfigLoader.Parsed parsed = ConfigLoader.create(EnvExpander.of(Map.of())).parse(yaml, "c.yaml");

        assertThat(message(parsed, "source")).contains("unknown key (did you mean 'sources'?)");
        assertThat(message(parsed, "workflows[0].batchsize")).contains("unknown key (did you mean 'batchSize'?)");
        assertThat(message(parsed, "workflows[0].colour")).contains("unknown key (known:");
        assertThat(message(parsed, "workflows[0].batch.maxrecords")).contains("(did you mean 'maxRecords'?)");
        assertThat(parsed.problems()).extracting(ConfigProblem::path).doesNotContain("ingest");
    }

    @Test
    void theLaunchersBlockIsReadAloneWithItsLines(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path file = dir.resolve("c.yaml");
        java.nio.file.Files.writeString(file, """
                sources: []
                ingest:
                  queueEndpoint: nats://x:4222
                  logLevel: warn
                """);

        ConfigLoader.Block block = ConfigLoader.create(EnvExpander.of(Map.of())).readBlock(file, "ingest");

        assertThat(block.values()).containsExactly(Map.entry("queueEndpoint", "nats://x:4222"),
                Map.entry("logLevel", "warn"));
        assertThat(block.lines()).containsEntry("queueEndpoint", 3).containsEntry("logLevel", 4);
        assertThat(block.problems()).isEmpty();
    }

    private static String message(ConfigLoader.Parsed parsed, String path) {
        Optional<ConfigProblem> p = parsed.problems().stream().filter(x -> x.path().equals(path)).findFirst();
        assertThat(p).as("problem at %s in %s", path, parsed.problems()).isPresent();
        return p.get().message();
    }
}
