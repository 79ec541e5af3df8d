package dev.ingest.cli;

import static dev.ingest.cli.LauncherSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.ingest.cli.LauncherSupport.Launch;
import dev.ingest.cli.LauncherSupport.Result;
import dev.ingest.testkit.NatsServerExtension;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --log-level} as users meet it: the real {@code bin/ingest}, run again and again, for the engine, its dry run,
 * every subcommand and the lines plugins log. Logging is set up on a thread of its own while the command line is
 * parsed, so a level that is only sometimes honoured is a race: the runs are repeated, and one test slows Logback's
 * set-up down (its configuration served late over HTTP) so that every command is ready long before logging is.
 */
@ExtendWith(LauncherSupport.RequiresDistribution.class)
class LauncherLoggingIT {

    private static final Duration RUN_TIMEOUT = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final NatsServerExtension NATS = new NatsServerExtension();

    @RegisterExtension
    final LauncherSupport.Launcher launcher = new LauncherSupport.Launcher();

    @TempDir
    Path dir;

    // ---------------------------------------------------------------------------------------------------------
    // The engine

    @Test
    void warnShowsNoInfoLineAndNoSlf4jWarningInAnyOfTenQuickStartRuns() throws Exception {
        Result info = quickStart(dir.resolve("out-info"));
        assertThat(levels(info)).as("the quick start logs INFO lines by default:\n%s", info.describe())
                .contains("INFO");

        List<String> failures = new ArrayList<>();
        for (int run = 1; run <= 10; run++) {
            Result r = quickStart(dir.resolve("out"), "--log-level=warn");
            assertThat(r.exitCode()).as(r.describe()).isZero();
            List<String> below = linesBelow(r, "WARN");
            if (!below.isEmpty() || r.stderr().contains("SLF4J")) {
                failures.add("run " + run + ":\n" + r.stderr());
            }
        }
        assertThat(failures).as("runs with --log-level=warn that logged below WARN or printed SLF4J's warnings")
                .isEmpty();
    }

    @Test
    void debugShowsDebugLinesInEveryRun() throws Exception {
        for (int run = 1; run <= 2; run++) {
            Result r = quickStart(dir.resolve("out"), "--log-level=debug");

            assertThat(r.exitCode()).as(r.describe()).isZero();
            assertThat(levels(r)).as("run %d:\n%s", run, r.describe()).contains("DEBUG", "INFO");
            assertThat(r.stderr()).as(r.describe()).doesNotContain("SLF4J");
        }
    }

    @Test
    void noneLeavesStandardErrorToTheErrorsTheCliPrintsItself() throws Exception {
        for (int run = 1; run <= 2; run++) {
            Result r = quickStart(dir.resolve("out"), "--log-level=none");

            assertThat(r.exitCode()).as(r.describe()).isZero();
            assertThat(withoutProgress(r.stderr())).as("run %d:\n%s", run, r.describe()).isEmpty();
        }

        Result missing = launcher.run(dir, RUN_TIMEOUT, Map.of(), "--mode=all", "--once", "--log-level=none",
                "--queue-endpoint=embedded", "--config", dir.resolve("missing.yaml").toString());

        assertThat(missing.exitCode()).as(missing.describe()).isEqualTo(ExitCode.CONFIG);
        assertThat(missing.stderr().lines().toList()).as(missing.describe())
                .containsExactly("ingest: configuration file " + dir.resolve("missing.yaml") + " does not exist "
                        + "(set it with --config FILE)");
    }

    /**
     * Logback's configuration, served by an HTTP server that answers only after two seconds, keeps logging from
     * being ready until long after the command line is parsed (it takes a few tenths of a second): every run (the
     * engine at four levels, a subcommand, a dry run whose plugin warns) then meets the moment at which a level used
     * to be lost.
     */
    @Test
    void levelHoldsWhenLoggingIsReadyLongAfterTheCommandLine() throws Exception {
        AtomicInteger served = new AtomicInteger();
        HttpServer server = slowLogbackConfiguration(Duration.ofSeconds(2), served);
        try {
            Map<String, String> env = Map.of("JAVA_OPTS", "-Dlogback.configurationFile=http://127.0.0.1:"
                    + server.getAddress().getPort() + "/logback.xml");
            Map<String, Launch> launches = new LinkedHashMap<>();
            for (String level : List.of("info", "warn", "debug", "none")) {
                Map<String, String> runEnv = new LinkedHashMap<>(quickStartEnv(dir.resolve("out-" + level)));
                runEnv.putAll(env);
                launches.put(level, launcher.start(LauncherSupport.repositoryRoot(), runEnv,
                        quickStartArgs("--log-level=" + level)));
            }
            Launch plugins = launcher.start(dir, env, "plugins", "--log-level=warn", "--plugins", shadowingFilePlugin());
            Launch dryRun = launcher.start(dir, env, "--dry-run", "--log-level=error", "--config",
                    insecureHttpDestination().toString());
            Map<String, Result> results = new LinkedHashMap<>();
            for (Map.Entry<String, Launch> e : launches.entrySet()) {
                results.put(e.getKey(), e.getValue().await(RUN_TIMEOUT));
            }
            Result pluginsResult = plugins.await(RUN_TIMEOUT);
            Result dryRunResult = dryRun.await(RUN_TIMEOUT);

            results.values().forEach(r -> assertThat(r.exitCode()).as(r.describe()).isZero());
            assertThat(levels(results.get("info"))).as(results.get("info").describe()).contains("INFO");
            assertThat(linesBelow(results.get("warn"), "WARN")).as(results.get("warn").describe()).isEmpty();
            assertThat(levels(results.get("debug"))).as(results.get("debug").describe()).contains("DEBUG");
            assertThat(withoutProgress(results.get("none").stderr())).as(results.get("none").describe()).isEmpty();
            results.values().forEach(r -> assertThat(r.stderr()).as(r.describe()).doesNotContain("SLF4J"));
            assertThat(pluginsResult.exitCode()).as(pluginsResult.describe()).isZero();
            assertThat(linesBelow(pluginsResult, "WARN")).as(pluginsResult.describe()).isEmpty();
            assertThat(dryRunResult.exitCode()).as(dryRunResult.describe()).isZero();
            assertThat(dryRunResult.stderr()).as("the http plugin's warning at --log-level=error:\n%s",
                    dryRunResult.describe()).isEmpty();
            // every run was configured by the slow server, not by a fallback
            assertThat(served.get()).as("logging configurations served").isEqualTo(launches.size() + 2);
        } finally {
            server.stop(0);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Plugins, the dry run and the subcommands

    @Test
    void linesPluginsLogFollowTheLevelInADryRun() throws Exception {
        String config = insecureHttpDestination().toString();

        Result warn = launcher.run(dir, RUN_TIMEOUT, Map.of(), "--dry-run", "--log-level=warn", "--config", config);
        Result error = launcher.run(dir, RUN_TIMEOUT, Map.of(), "--dry-run", "--log-level=error", "--config", config);

        assertThat(warn.exitCode()).as(warn.describe()).isZero();
        assertThat(logLines(warn)).as("the http plugin's warning at --log-level=warn:\n%s", warn.describe())
                .anySatisfy(l -> {
                    assertThat(l.path("level").asText()).isEqualTo("WARN");
                    assertThat(l.path("logger").asText()).endsWith("plugin.http.ClientSettings");
                });
        assertThat(error.exitCode()).as(error.describe()).isZero();
        assertThat(error.stderr()).as(error.describe()).isEmpty();
    }

    @Test
    void pluginsSubcommandTakesTheLevelBeforeOrAfterItsName() throws Exception {
        String shadowing = shadowingFilePlugin();

        Result info = launcher.run(dir, RUN_TIMEOUT, Map.of(), "plugins", "--plugins", shadowing);
        assertThat(info.exitCode()).as(info.describe()).isZero();
        assertThat(levels(info)).as("the shadowed plugin is logged at INFO:\n%s", info.describe()).contains("INFO");

        for (String[] args : List.of(
                new String[] {"plugins", "--plugins", shadowing, "--log-level=warn"},
                new String[] {"--log-level=warn", "plugins", "--plugins", shadowing},
                new String[] {"--log-level=debug", "plugins", "--log-level=none", "--plugins", shadowing})) {
            Result r = launcher.run(dir, RUN_TIMEOUT, Map.of(), args);

            assertThat(r.exitCode()).as(r.describe()).isZero();
            assertThat(r.stdout()).as(r.describe()).contains("file");
            assertThat(r.stderr()).as(r.describe()).isEmpty();
        }
    }

    @Test
    void statusAndDlqTakeTheLevel() throws Exception {
        String name = unique("logs");
        try (Connection nc = Nats.connect(NATS.url())) { // what an engine run leaves: the stream and the scan records
            nc.jetStreamManagement().addStream(StreamConfiguration.builder().name(name).subjects(name + ".>")
                    .storageType(StorageType.File).build());
            nc.keyValueManagement().create(KeyValueConfiguration.builder().name(name + "_scans").maxHistoryPerKey(1)
                    .storageType(StorageType.File).build());
        }
        Path config = LauncherSupport.writeFileConfig(dir, "w", dir.resolve("src"), dir.resolve("dst"));
        String[] queue = {"--queue-endpoint", NATS.url(), "--stream", name, "--subject", name, "--consumer", name};

        List<List<String>> debugRuns = List.of(
                List.of("status", "--log-level=debug", "--config", config.toString()),
                List.of("--log-level=debug", "dlq", "list", "w"));
        for (List<String> command : debugRuns) {
            List<String> args = new ArrayList<>(command);
            args.addAll(List.of(queue));
            Result debug = launcher.run(dir, RUN_TIMEOUT, Map.of(), args.toArray(String[]::new));

            assertThat(debug.exitCode()).as(debug.describe()).isZero();
            assertThat(levels(debug)).as("the queue's DEBUG lines:\n%s", debug.describe()).contains("DEBUG");
        }
    }

    @Test
    void anUnknownLevelIsAUsageErrorOfTheCommandItWasGivenTo() throws Exception {
        Result top = launcher.run(dir, RUN_TIMEOUT, Map.of(), "--log-level=loud", "--dry-run", "--config", "x.yaml");
        Result sub = launcher.run(dir, RUN_TIMEOUT, Map.of(), "plugins", "--log-level=loud");

        assertThat(top.exitCode()).as(top.describe()).isEqualTo(ExitCode.USAGE);
        assertThat(top.stderr().lines().toList()).as(top.describe()).containsExactly(
                "ingest: unknown log level 'loud' (possible: all, debug, info, warn, error, none)",
                "Try 'ingest --help' for more information.");
        assertThat(sub.exitCode()).as(sub.describe()).isEqualTo(ExitCode.USAGE);
        assertThat(sub.stderr().lines().toList()).as(sub.describe()).containsExactly(
                "ingest: unknown log level 'loud' (possible: all, debug, info, warn, error, none)",
                "Try 'ingest plugins --help' for more information.");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Helpers

    private Result quickStart(Path out, String... more) throws Exception {
        return launcher.run(LauncherSupport.repositoryRoot(), RUN_TIMEOUT, quickStartEnv(out), quickStartArgs(more));
    }

    private static Map<String, String> quickStartEnv(Path out) {
        return Map.of("INGEST_OUTPUT", out.toString(),
                "INGEST_SAMPLE_TREE", LauncherSupport.quickstart().resolve("sample-tree").toString());
    }

    /** The quick start's command, as the README gives it, with a free port for the health endpoints. */
    private static String[] quickStartArgs(String... more) {
        List<String> args = new ArrayList<>(List.of("--mode=all", "--once", "--queue-endpoint=embedded",
                "--listen", "127.0.0.1:0", "--config", LauncherSupport.quickstart().resolve("ingest.yaml").toString()));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    /**
     * @return a configuration whose http destination skips certificate checks, which its plugin warns about when it is
     *     configured (and the dry run configures it without sending a request)
     */
    private Path insecureHttpDestination() throws IOException {
        Path config = dir.resolve("insecure.yaml");
        if (!Files.exists(config)) {
            Files.createDirectories(dir.resolve("empty"));
            Files.writeString(config, """
                    sources:
                    - name: src
                      type: file
                      path: %s
                    destinations:
                    - name: up
                      type: http
                      url: https://127.0.0.1:9/up/{name}
                      insecureSkipVerify: true
                    workflows:
                    - name: w
                      source: src
                      destinations: [up]
                    """.formatted(LauncherSupport.quote(dir.resolve("empty"))));
        }
        return config;
    }

    /** @return a copy of the bundled file plugin, which shadows it when given with {@code --plugins} (logged at INFO) */
    private String shadowingFilePlugin() throws IOException {
        Path copy = dir.resolve("shadowing").resolve("file");
        if (!Files.isDirectory(copy)) {
            Path bundled = LauncherSupport.distribution().resolve("plugins").resolve("file");
            Files.createDirectories(copy);
            try (Stream<Path> jars = Files.list(bundled)) {
                for (Path jar : jars.toList()) {
                    Files.copy(jar, copy.resolve(jar.getFileName()));
                }
            }
        }
        return copy.toString();
    }

    /**
     * Serves the distribution's own {@code logback.xml} (from its {@code lib/ingest-cli-*.jar}) after a delay.
     *
     * @param delay how long each request waits for its answer
     * @param served counts the answered requests
     * @return the started server on a free loopback port
     */
    private static HttpServer slowLogbackConfiguration(Duration delay, AtomicInteger served) throws IOException {
        byte[] xml = distributionLogbackXml();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        ExecutorService threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "slow-logback-xml");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(threads);
        server.createContext("/logback.xml", exchange -> {
            try (exchange) {
                Thread.sleep(delay.toMillis());
                exchange.getResponseHeaders().add("Content-Type", "application/xml");
                exchange.sendResponseHeaders(200, xml.length);
                exchange.getResponseBody().write(xml);
                served.incrementAndGet();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
        return server;
    }

    private static byte[] distributionLogbackXml() throws IOException {
        Path lib = LauncherSupport.distribution().resolve("lib");
        Path jar;
        try (Stream<Path> jars = Files.list(lib)) {
            jar = jars.filter(p -> p.getFileName().toString().startsWith("ingest-cli-")).findFirst()
                    .orElseThrow(() -> new IOException("no ingest-cli jar in " + lib));
        }
        try (JarFile j = new JarFile(jar.toFile()); InputStream in = j.getInputStream(j.getJarEntry("logback.xml"))) {
            return in.readAllBytes();
        }
    }

    /** @return the JSON log lines of a run's standard error */
    private static List<JsonNode> logLines(Result r) {
        List<JsonNode> out = new ArrayList<>();
        for (String line : r.stderr().lines().toList()) {
            if (line.startsWith("{")) {
                try {
                    out.add(JSON.readTree(line));
                } catch (IOException e) {
                    throw new UncheckedIOException("not a JSON log line: " + line, e);
                }
            }
        }
        return out;
    }

    /** @return the level of every JSON log line of a run, in order */
    private static List<String> levels(Result r) {
        return logLines(r).stream().map(l -> l.path("level").asText()).toList();
    }

    /** @return the JSON log lines of a run below the given level */
    private static List<String> linesBelow(Result r, String level) {
        List<String> order = List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR");
        int min = order.indexOf(level);
        List<String> out = new ArrayList<>();
        for (JsonNode l : logLines(r)) {
            if (order.indexOf(l.path("level").asText()) < min) {
                out.add(l.toString());
            }
        }
        return out;
    }

    /**
     * Standard error without the progress lines of a {@code --once} run (one every 10 seconds when stderr is not a
     * terminal: a slow machine prints some), which are not log lines and do not follow {@code --log-level}.
     */
    private static String withoutProgress(String stderr) {
        return stderr.lines().filter(l -> !l.startsWith("progress: ")).map(l -> l + "\n")
                .collect(java.util.stream.Collectors.joining());
    }
}
