package dev.ingest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.ingest.cli.LauncherSupport.Result;
import dev.ingest.core.config.ConfigLoader;
import dev.ingest.core.config.EnvExpander;
import dev.ingest.core.config.WorkflowConfig;
import dev.ingest.testkit.S3ServerExtension;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every example configuration of the repository ({@code examples/*.yaml} and the quick start's) loads and passes
 * validation with the bundled plugins it names: {@code --dry-run} of the real launcher, which configures every plugin,
 * lists every source and asks every destination, with the example's variables pointing at servers on this machine (an
 * HTTP API, s3proxy; the AWS destination through the SDK's standard {@code AWS_ENDPOINT_URL_S3}).
 */
@ExtendWith(LauncherSupport.RequiresDistribution.class)
class ExamplesIT {

    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    @RegisterExtension
    static final S3ServerExtension S3 = new S3ServerExtension();

    @RegisterExtension
    final LauncherSupport.Launcher launcher = new LauncherSupport.Launcher();

    @TempDir
    Path dir;

    private static HttpServer api;
    private static final List<String> API_AUTHORIZATIONS = new CopyOnWriteArrayList<>();

    /** A reports API as {@code examples/http-to-file.yaml} describes it: one page with one report. */
    @BeforeAll
    static void startApi() throws IOException {
        api = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        api.createContext("/v1/reports", ex -> {
            API_AUTHORIZATIONS.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
            byte[] page = """
                    {"data": [{"id": "r-1", "filename": "2026/q1 report.pdf", "etag": "\\"3f2a\\"", "bytes": 5,
                               "links": {"download": "/v1/reports/r-1/file"}}]}
                    """.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, page.length);
            ex.getResponseBody().write(page);
            ex.close();
        });
        api.start();
    }

    @AfterAll
    static void stopApi() {
        if (api != null) {
            api.stop(0);
        }
    }

    /** @return every example configuration: {@code examples/*.yaml} and {@code examples/quickstart/ingest.yaml} */
    private static List<Path> examples() throws IOException {
        Path examples = LauncherSupport.repositoryRoot().resolve("examples");
        List<Path> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(examples)) {
            files.filter(p -> p.getFileName().toString().endsWith(".yaml")).sorted().forEach(out::add);
        }
        out.add(examples.resolve("quickstart").resolve("ingest.yaml"));
        return out;
    }

    /** How many objects each example's source lists from the servers of this test. */
    private static Map<String, Integer> expectedListings() throws IOException {
        long sample;
        try (Stream<Path> files = Files.walk(LauncherSupport.quickstart().resolve("sample-tree"))) {
            sample = files.filter(Files::isRegularFile).count();
        }
        return Map.of("http-to-file.yaml", 1, "s3-to-s3.yaml", 1, "ingest.yaml", (int) sample);
    }

    @Test
    void everyExampleConfigurationIsValidAndItsDryRunReachesEverySourceAndDestination() throws Exception {
        List<Path> examples = examples();
        Map<String, Integer> listed = expectedListings();
        assertThat(examples).extracting(p -> p.getFileName().toString())
                .as("example configurations").contains("http-to-file.yaml", "s3-to-s3.yaml", "ingest.yaml");

        String source = S3.createBucket();
        String archive = S3.createBucket();
        S3.put(source, "daily/2026/a.csv", "a,b\n");
        S3.put(source, "weekly/b.csv", "outside the example's prefix\n");
        String endpoint = "127.0.0.1:" + S3.port();
        Map<String, String> env = new HashMap<>();
        env.put("REPORTS_API", "http://127.0.0.1:" + api.getAddress().getPort());
        env.put("API_TOKEN", "example-token");
        env.put("S3_ENDPOINT", endpoint);
        env.put("S3_KEY", S3.accessKey());
        env.put("S3_SECRET", S3.secretKey());
        env.put("S3_SOURCE_BUCKET", source);
        env.put("S3_ARCHIVE_BUCKET", archive);
        // The archive destination has no endpoint (AWS): the SDK's own variables send it to s3proxy instead.
        env.put("AWS_REGION", S3.region());
        env.put("AWS_ENDPOINT_URL_S3", "http://" + endpoint);
        env.put("AWS_ACCESS_KEY_ID", S3.accessKey());
        env.put("AWS_SECRET_ACCESS_KEY", S3.secretKey());
        env.put("AWS_CONFIG_FILE", dir.resolve("no-aws-config").toString());
        env.put("AWS_SHARED_CREDENTIALS_FILE", dir.resolve("no-aws-credentials").toString());
        env.put("AWS_EC2_METADATA_DISABLED", "true");

        List<String> failures = new ArrayList<>();
        for (Path example : examples) {
            String name = example.getFileName().toString();
            Integer expected = listed.get(name);
            if (expected == null) {
                failures.add(example + ": a new example; give ExamplesIT the servers and variables it needs");
                continue;
            }
            Path output = dir.resolve("output-" + name);
            env.put("INGEST_OUTPUT", output.toString());
            Result r = launcher.run(LauncherSupport.repositoryRoot(), TIMEOUT, env, "--dry-run", "--config",
                    example.toString());
            if (r.exitCode() != 0) {
                failures.add(example + ": exit code " + r.exitCode() + "\n" + r.describe());
                continue;
            }
            List<String> workflows = ConfigLoader.create(EnvExpander.of(env)).load(example).config().workflows()
                    .stream().map(WorkflowConfig::name).toList();
            Matcher plan = Pattern.compile("^  plan: (\\d+) listed", Pattern.MULTILINE).matcher(r.stdout());
            List<Integer> plans = new ArrayList<>();
            while (plan.find()) {
                plans.add(Integer.parseInt(plan.group(1)));
            }
            if (workflows.isEmpty() || plans.size() != workflows.size()
                    || !plans.stream().allMatch(n -> n == expected.intValue())
                    || !workflows.stream().allMatch(w -> r.stdout().contains("workflow " + w + ": "))) {
                failures.add(example + ": expected a plan of " + expected + " listed for each of " + workflows + "\n"
                        + r.describe());
            }
            if (Files.exists(output)) {
                failures.add(example + ": the dry run created " + output);
            }
        }
        assertThat(failures).as("examples that do not pass").isEmpty();
        assertThat(API_AUTHORIZATIONS).as("the API's token reached it").isNotEmpty()
                .allMatch("Bearer example-token"::equals);
    }
}
