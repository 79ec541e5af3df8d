package dev.ingest.cli;

import static dev.ingest.cli.LauncherSupport.queueArgs;
import static dev.ingest.cli.LauncherSupport.quote;
import static dev.ingest.cli.LauncherSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.ingest.cli.LauncherSupport.Result;
import dev.ingest.testkit.NatsServerExtension;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** No secret in what the real {@code bin/ingest} prints: {@code --dry-run}, logs, configuration errors. */
@ExtendWith(LauncherSupport.RequiresDistribution.class)
class LauncherSecretsIT {

    private static final Duration RUN = Duration.ofMinutes(2);
    /** Every credential of the configuration below; none may show anywhere. */
    private static final List<String> SECRETS = List.of("listT0ken", "apiK3y", "headerK3y", "bearerT0ken",
            "hookPassw0rd", "hookT0ken", "signS3cret", "basicPassw0rd");

    @RegisterExtension
    static final NatsServerExtension NATS = new NatsServerExtension();

    @RegisterExtension
    final LauncherSupport.Launcher launcher = new LauncherSupport.Launcher();

    @TempDir
    Path dir;

    private HttpServer api;

    @AfterEach
    void stopApi() {
        if (api != null) {
            api.stop(0);
        }
    }

    private static void assertNoSecret(Result r) {
        for (String secret : SECRETS) {
            assertThat(r.stdout() + r.stderr()).as("%s in\n%s", secret, r.describe()).doesNotContain(secret);
        }
    }

    @Test
    void dryRunMasksUrlCredentialsHeadersAndSecretKeys() throws Exception {
        List<String> apiKeys = new CopyOnWriteArrayList<>();
        api = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        api.createContext("/list", ex -> {
            try (ex) {
                apiKeys.add(String.valueOf(ex.getRequestHeaders().getFirst("X-Api-Key")));
                byte[] body = "[]".getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("Content-Type", "application/json");
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            }
        });
        api.start();
        int port = api.getAddress().getPort();
        String name = unique("secrets");
        Path config = dir.resolve("secrets.yaml");
        Files.writeString(config, ""
                + "sources:\n"
                + "- name: api\n"
                + "  type: http\n"
                + "  url: 'http://127.0.0.1:" + port + "/list?token=listT0ken&api_key=apiK3y&page=1'\n"
                + "  headers: {X-Api-Key: headerK3y}\n"
                + "  bearerToken: bearerT0ken\n"
                + "destinations:\n"
                + "- name: out\n"
                + "  type: file\n"
                + "  path: " + quote(dir.resolve("out")) + "\n"
                + "workflows:\n"
                + "- name: " + name + "\n"
                + "  source: api\n"
                + "  destinations: [out]\n"
                + "  webhook: 'http://hook:hookPassw0rd@127.0.0.1:1/hook?token=hookT0ken&page=2'\n"
                + "  webhookSecret: signS3cret\n", StandardCharsets.UTF_8);

        Result r = launcher.run(dir, RUN, Map.of(), queueArgs(NATS.url(), name, config, "--dry-run"));

        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(apiKeys).as("the dry run listed the source with its headers").containsOnly("headerK3y");
        assertThat(r.stdout()).as(r.describe())
                .contains("url=http://127.0.0.1:" + port + "/list?token=REDACTED&api_key=REDACTED&page=1")
                .contains("headers=" + DryRun.MASK)
                .contains("bearerToken=" + DryRun.MASK)
                .contains("webhook http://hook:REDACTED@127.0.0.1:1/hook?token=REDACTED&page=2 (signed)");
        assertNoSecret(r);
    }

    @Test
    void aConfigurationErrorQuotesAUrlWithoutItsCredentials() throws Exception {
        String name = unique("badsecrets");
        Path config = dir.resolve("bad.yaml");
        Files.writeString(config, ""
                + "sources:\n"
                + "- name: api\n"
                + "  type: http\n"
                + "  url: 'ftp://user:basicPassw0rd@127.0.0.1/list?api_key=apiK3y'\n"
                + "destinations:\n"
                + "- name: out\n"
                + "  type: file\n"
                + "  path: " + quote(dir.resolve("out")) + "\n"
                + "workflows:\n"
                + "- name: " + name + "\n"
                + "  source: api\n"
                + "  destinations: [out]\n"
                + "  webhook: 'ftp://hook:hookPassw0rd@127.0.0.1/hook?token=hookT0ken'\n", StandardCharsets.UTF_8);

        Result r = launcher.run(dir, RUN, Map.of(), queueArgs(NATS.url(), name, config, "--dry-run"));

        assertThat(r.exitCode()).as(r.describe()).isEqualTo(3);
        assertThat(r.stderr()).as(r.describe())
                .contains("'ftp://hook:REDACTED@127.0.0.1/hook?token=REDACTED' must be an http:// or https:// URL")
                .contains("'ftp://user:REDACTED@127.0.0.1/list?api_key=REDACTED' is not an absolute http:// or https:// URL");
        assertNoSecret(r);
    }
}
