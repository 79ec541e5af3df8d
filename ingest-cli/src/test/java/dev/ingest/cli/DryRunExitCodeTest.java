package dev.ingest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --dry-run} against an API that refuses the token: a configuration problem, told without class names. */
class DryRunExitCodeTest {

    @TempDir
    Path dir;

    private HttpServer api;

    @BeforeEach
    void start() throws Exception {
        api = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        api.createContext("/", ex -> {
            byte[] body = "{\"error\":\"bad token\"}".getBytes();
            ex.sendResponseHeaders(401, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        api.start();
    }

    @AfterEach
    void stop() {
        api.stop(0);
    }

    @Test
    void aRefusedTokenExitsThreeLikeRefusedS3CredentialsAndNamesNoClass() throws Exception {
        Files.createDirectories(dir.resolve("out"));
        Path config = dir.resolve("c.yaml");
        Files.writeString(config, """
                sources: [{name: api, type: http, url: "http://127.0.0.1:%d/list", bearerToken: wrong}]
                destinations: [{name: d, type: file, path: %s}]
                workflows: [{name: w, source: api, destinations: [d]}]
                """.formatted(api.getAddress().getPort(), dir.resolve("out")));

        CliRun r = CliRun.run("--dry-run", "--config", config.toString());

        assertThat(r.exitCode()).as(r.describe()).isEqualTo(ExitCode.CONFIG);
        assertThat(r.out()).as(r.describe()).contains("planning stopped early: ").contains("401")
                .doesNotContain("Exception", "dev.ingest");
    }
}
