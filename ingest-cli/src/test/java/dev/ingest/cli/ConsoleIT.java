package dev.ingest.cli;

import static dev.ingest.cli.LauncherSupport.countFinalFiles;
import static dev.ingest.cli.LauncherSupport.healthPort;
import static dev.ingest.cli.LauncherSupport.queueArgs;
import static dev.ingest.cli.LauncherSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ingest.cli.LauncherSupport.Launch;
import dev.ingest.core.nats.NatsServerProcess;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web console in headless Chromium (Debian's chromium and chromium-driver, installed by scripts/ensure-chromium.sh)
 * against a real ingest service and nats-server: log in, create a source, destination and workflow through the form,
 * a validation problem at its field, counters rising live, pause and resume, a poison object under events and dead
 * letters replayed after the destination is fixed, one-time runs listed from the API, a record workflow's open batch
 * and tail offsets, a sharded jdbc workflow's shard holders, and the read-only console without a token. Screenshots
 * go to target/console-screenshots/, or to docs/console/ (the README's "Console" section shows them).
 */
@ExtendWith(LauncherSupport.RequiresDistribution.class)
class ConsoleIT {

    private static final String TOKEN = "c0ns0le-t0ken";
    private static final Duration UI = Duration.ofSeconds(30);

    @RegisterExtension
    final LauncherSupport.Launcher launcher = new LauncherSupport.Launcher();

    @TempDir
    Path dir;

    private WebDriver browser;

    @BeforeEach
    void startBrowser() {
        String chromium = System.getenv().getOrDefault("INGEST_CHROMIUM", "/usr/bin/chromium");
        String driver = System.getenv().getOrDefault("INGEST_CHROMEDRIVER", "/usr/bin/chromedriver");
        assertThat(Paths.get(chromium)).as("Debian's chromium (scripts/ensure-chromium.sh installs it)").isExecutable();
        assertThat(Paths.get(driver)).as("Debian's chromium-driver (scripts/ensure-chromium.sh installs it)")
                .isExecutable();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium);
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--user-data-dir=" + dir.resolve("chromium-profile"));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(driver))
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
    }

    @AfterEach
    void stopBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    private Path write(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    private Launch service(NatsServerProcess nats, Path config, boolean withToken) throws IOException {
        String name = unique("ui");
        return withToken
                ? launcher.start(dir, Map.of(), queueArgs(nats.url(), name, config, "--mode=all",
                        "--api-token-file", write("token", TOKEN + "\n").toString(), "--shutdown-grace", "2s"))
                : launcher.start(dir, Map.of(), queueArgs(nats.url(), name, config, "--mode=all",
                        "--shutdown-grace", "2s"));
    }

    private <T> T until(Function<WebDriver, T> condition) {
        // The pages re-render as the API answers: an element found a moment ago may be gone; look again.
        return new WebDriverWait(browser, UI).ignoring(StaleElementReferenceException.class).until(condition);
    }

    private WebElement shown(By by) {
        return until(d -> d.findElements(by).stream().filter(WebElement::isDisplayed).findFirst().orElse(null));
    }

    /** The text of an element of a page that redraws itself: read again if it was redrawn meanwhile. */
    private String text(By by) {
        return until(d -> d.findElement(by).getText());
    }

    private String attribute(By by, String name) {
        return until(d -> d.findElement(by).getAttribute(name));
    }

    private void textIn(By by, String text) {
        until(d -> d.findElements(by).stream().anyMatch(e -> e.getText().contains(text)));
    }

    /**
     * Saves a screenshot: under target/console-screenshots/, or with INGEST_SCREENSHOTS=docs into docs/console/ (the
     * README's), so that an ordinary test run leaves the working tree as it was.
     */
    private void screenshot(String name) throws IOException {
        Path out = "docs".equals(System.getenv("INGEST_SCREENSHOTS"))
                ? LauncherSupport.repositoryRoot().resolve("docs").resolve("console")
                : Paths.get("target", "console-screenshots").toAbsolutePath();
        Files.createDirectories(out);
        Files.write(out.resolve(name + ".png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    /**
     * The lowest contrast ratio (WCAG 2) between any visible text of the page and the background behind it, reading
     * the computed colours; disabled controls count too.
     */
    private double lowestContrast() {
        Object r = ((JavascriptExecutor) browser).executeScript(String.join("\n",
                "function rgb(c) { const m = c.match(/[\\d.]+/g).map(Number); return m; }",
                "function lum(c) { return 0.2126 * ch(c[0]) + 0.7152 * ch(c[1]) + 0.0722 * ch(c[2]); }",
                "function ch(v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }",
                "function bg(el) { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor);",
                "  if (c.length < 4 || c[3] > 0) return c; } return [255, 255, 255]; }",
                "let low = 21;",
                "for (const el of document.querySelectorAll('body *')) {",
                "  if (!el.offsetParent || ![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;",
                "  const a = lum(rgb(getComputedStyle(el).color)), b = lum(bg(el));",
                "  low = Math.min(low, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05));",
                "}",
                "return low;"));
        return ((Number) r).doubleValue();
    }

    /** Opens a page of the console and waits until it is drawn. */
    private void open(int port, String hash) {
        browser.get("http://127.0.0.1:" + port + "/ui/" + hash);
        until(d -> d.findElement(By.id("main")).getAttribute("data-route").equals(hash));
    }

    private void type(String id, String text) {
        WebElement e = shown(By.id(id));
        e.clear();
        e.sendKeys(text);
    }

    /** Opens the form for a source or destination and fills the keys the plugin declares. */
    private void createEntry(int port, String kind, String name, String type, String path) {
        open(port, "#/new/" + kind);
        new Select(shown(By.id("kind"))).selectByValue(kind);
        type("f-name", name);
        new Select(shown(By.id("f-type"))).selectByValue(type);
        type("f-path", path);
        shown(By.id("save")).click();
        textIn(By.id("form-status"), "Saved.");
    }

    private static void files(Path dir, String prefix, int count) throws IOException {
        Files.createDirectories(dir);
        for (int i = 0; i < count; i++) {
            Files.writeString(dir.resolve(prefix + i + ".txt"), prefix + " " + i);
        }
    }

    private WebElement row(String workflow) {
        return shown(By.cssSelector("#workflows tr[data-workflow='" + workflow + "']"));
    }

    /** Clicks a button of a workflow's row (rows are redrawn every 2 s: found and clicked in one step). */
    private void clickInRow(String workflow, String action) {
        until(d -> {
            row(workflow).findElement(By.cssSelector("button[data-action='" + action + "']")).click();
            return true;
        });
    }

    private String cell(String workflow, String field) {
        return browser.findElement(By.cssSelector("#workflows tr[data-workflow='" + workflow + "'] td[data-field='"
                + field + "']")).getText();
    }

    @Test
    void anOperatorLogsInCreatesAWorkflowWatchesItPausesItAndReplaysAFixedDeadLetter() throws Exception {
        Path src = dir.resolve("src");
        Path out = dir.resolve("out");
        files(src, "a", 5);
        // The poison object: the destination holds a folder where it would go.
        Files.createDirectories(src.resolve("evil"));
        Files.writeString(src.resolve("evil").resolve("p.txt"), "poison");
        Files.createDirectories(out.resolve("evil").resolve("p.txt"));
        Files.writeString(out.resolve("evil").resolve("p.txt").resolve("keep"), "in the way");
        // A second one, whose dead letter is deleted.
        Files.writeString(src.resolve("evil").resolve("q.txt"), "poison too");
        Files.createDirectories(out.resolve("evil").resolve("q.txt"));
        Files.writeString(out.resolve("evil").resolve("q.txt").resolve("keep"), "in the way");
        try (NatsServerProcess nats = NatsServerProcess.start(Files.createDirectories(dir.resolve("nats")))) {
            Launch ingest = service(nats, write("empty.yaml", "{}\n"), true);
            int port = healthPort(ingest);
            String base = "http://127.0.0.1:" + port;
            pluginsAreListedWithTheirKeys(port);

            // 1. Log in: without the token the service answers nothing; with it, the workflows.
            browser.get(base + "/");
            browser.findElement(By.linkText("/ui/")).click();
            textIn(By.id("main"), "needs the API token");
            type("token", "wrong");
            shown(By.id("login-button")).click();
            textIn(By.id("auth-state"), "Wrong token");
            type("token", TOKEN);
            screenshot("login");
            browser.findElement(By.id("token")).sendKeys(Keys.ENTER); // the keyboard is enough
            textIn(By.id("auth-state"), "Logged in");
            textIn(By.id("workflows"), "No workflows yet.");
            assertThat(((JavascriptExecutor) browser).executeScript("return sessionStorage.getItem('ingest.token')"))
                    .isEqualTo(TOKEN);

            // 2. A source, a destination and a workflow through the form, with the keys of the chosen plugin.
            createEntry(port, "sources", "in", "file", src.toString());
            createEntry(port, "destinations", "out", "file", out.toString());
            open(port, "#/new/workflows");
            type("f-name", "logs");
            shown(By.cssSelector("input[data-destination='out']")).click();
            type("f-interval", "400ms");
            // 7. A validation problem is shown at its field: no source chosen.
            shown(By.id("save")).click();
            WebElement problem = shown(By.id("p-source"));
            assertThat(problem.getText()).isNotBlank();
            assertThat(browser.findElement(By.id("f-source")).getAttribute("aria-invalid")).isEqualTo("true");
            assertThat(browser.switchTo().activeElement().getAttribute("id")).isEqualTo("f-source");
            screenshot("validation");
            assertThat(lowestContrast()).as("lowest text contrast of the form").isGreaterThanOrEqualTo(7.0).isLessThan(21.0);
            // A problem of a key without a field of its own is listed above the form; malformed JSON at its field.
            new Select(shown(By.id("f-source"))).selectByValue("in");
            type("f-extra", "{\"colour\": 1}");
            shown(By.id("save")).click();
            textIn(By.cssSelector("#form-status li"), "colour");
            assertThat(browser.findElement(By.id("p-source")).isDisplayed()).isFalse();
            type("f-extra", "{colour");
            shown(By.id("save")).click();
            textIn(By.id("p-extra"), "not JSON");
            browser.findElement(By.id("f-extra")).clear();
            shown(By.id("save")).click();
            until(d -> d.getCurrentUrl().endsWith("#/workflow/logs"));
            textIn(By.id("main"), "Source in");

            // 3. Counters rise live, without reloading the page.
            open(port, "#/workflows");
            row("logs");
            ((JavascriptExecutor) browser).executeScript("window.sameDocument = true");
            until(d -> cell("logs", "lastScan").contains("listed 7"));
            await().atMost(UI).until(() -> countFinalFiles(out) == 5 + 2); // + the folders' files "keep"
            until(d -> cell("logs", "copied").equals("5"));
            files(src, "b", 5);
            until(d -> cell("logs", "lastScan").contains("listed 12"));
            await().atMost(UI).until(() -> countFinalFiles(out) == 10 + 2);
            until(d -> cell("logs", "copied").equals("10"));
            assertThat(cell("logs", "bytes")).isEqualTo("30 B"); // "a 0" .. "b 4": 3 bytes each
            assertThat(((JavascriptExecutor) browser).executeScript("return window.sameDocument")).isEqualTo(true);
            screenshot("workflows");
            assertThat(lowestContrast()).as("lowest text contrast on the workflows page").isGreaterThanOrEqualTo(7.0).isLessThan(21.0);

            // 4. Pause and resume.
            clickInRow("logs", "pause");
            until(d -> row("logs").findElement(By.cssSelector(".state")).getText().equals("paused"));
            files(src, "c", 3);
            Thread.sleep(1500); // several intervals: a running workflow would have copied them
            assertThat(countFinalFiles(out)).isEqualTo(10 + 2);
            clickInRow("logs", "resume");
            until(d -> row("logs").findElement(By.cssSelector(".state")).getText().equals("running"));
            await().atMost(UI).until(() -> countFinalFiles(out) == 13 + 2);
            until(d -> cell("logs", "copied").equals("13"));

            // 5. The poison object under events and dead letters; replayed once the destination is fixed.
            until(d -> cell("logs", "deadLetters").equals("2"));
            browser.findElement(By.cssSelector("nav a[href='#/events']")).click();
            textIn(By.cssSelector("#events tr.event-dead_letter"), "evil/p.txt");
            screenshot("events");
            until(d -> {
                new Select(d.findElement(By.id("event-type"))).selectByValue("dead_letter");
                return true;
            });
            until(d -> d.findElements(By.cssSelector("#events tbody tr")).size() == 2
                    && d.findElements(By.cssSelector("#events tbody tr.event-dead_letter")).size() == 2);
            open(port, "#/dead-letters/logs");
            textIn(By.id("dead-letters"), "evil/q.txt");
            WebElement letter = until(d -> d.findElements(By.cssSelector("#dead-letters tbody tr")).stream()
                    .filter(r -> r.getText().contains("evil/p.txt")).findFirst().orElse(null));
            screenshot("dead-letters");
            Files.delete(out.resolve("evil").resolve("p.txt").resolve("keep"));
            Files.delete(out.resolve("evil").resolve("p.txt"));
            letter.findElement(By.cssSelector("input[type=checkbox]")).click();
            shown(By.xpath("//button[text()='Replay selected']")).click();
            textIn(By.id("action-status"), "1 replayed");
            await().atMost(UI).until(() -> Files.isRegularFile(out.resolve("evil").resolve("p.txt")));
            assertThat(Files.readString(out.resolve("evil").resolve("p.txt"))).isEqualTo("poison");
            // The other one is deleted, after a confirmation.
            until(d -> d.findElements(By.cssSelector("#dead-letters tbody tr")).size() == 1);
            until(d -> {
                d.findElement(By.cssSelector("#dead-letters tbody tr button[aria-label^='delete']")).click();
                return true;
            });
            until(d -> {
                d.switchTo().alert().accept();
                return true;
            });
            textIn(By.id("action-status"), "1 deleted");
            textIn(By.id("main"), "No dead letters.");
            assertThat(Files.isDirectory(out.resolve("evil").resolve("q.txt"))).isTrue();

            // A one-time run, with its progress.
            open(port, "#/workflow/logs");
            // Copied by every process (added up every 5 s; here the one process) and by the one that answers: the
            // 13 files and the replayed poison object.
            until(d -> d.findElement(By.cssSelector("#copied dd")).getText().equals("14"));
            assertThat(text(By.cssSelector("#copied-here dd"))).isEqualTo("14");
            shown(By.cssSelector("button[data-action='run-now']")).click();
            textIn(By.cssSelector("#runs tbody tr"), "done");
            // The runs are redrawn every second: read the bar's two attributes from one rendering, looking again if
            // it was replaced in between.
            until(d -> {
                WebElement progress = d.findElement(By.cssSelector("#runs progress"));
                String value = progress.getAttribute("value");
                return value != null && value.equals(progress.getAttribute("max")) ? value : null;
            });
            // A run started elsewhere (here: by another API client) shows up too, the newest first.
            java.net.http.HttpResponse<String> started = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/v1/workflows/logs/runs"))
                            .header("Authorization", "Bearer " + TOKEN)
                            .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
            String id = new com.fasterxml.jackson.databind.ObjectMapper().readTree(started.body()).path("id").asText();
            until(d -> d.findElements(By.cssSelector("#runs tbody tr")).size() == 2);
            until(d -> d.findElement(By.cssSelector("#runs tbody tr")).getAttribute("data-run").equals(id));
            textIn(By.cssSelector("#runs tbody tr[data-run='" + id + "'] td[data-field='state']"), "done");
            ((JavascriptExecutor) browser).executeScript("document.getElementById('runs').scrollIntoView()");
            screenshot("workflow");

            // The raw editor, in YAML; a secret is never shown again, only ***.
            open(port, "#/new");
            shown(By.cssSelector("#raw summary")).click();
            new Select(shown(By.id("raw-kind"))).selectByValue("destinations");
            type("raw-name", "hook");
            type("raw-text", "type: http\nurl: http://127.0.0.1:9/x/{name}\nbearerToken: very-secret\n");
            shown(By.id("raw-save")).click();
            textIn(By.id("raw-status"), "Saved.");
            open(port, "#/edit/destinations/hook");
            assertThat(shown(By.id("f-bearerToken")).getAttribute("value")).isEqualTo("***");
            assertThat(browser.findElement(By.id("f-bearerToken")).getAttribute("type")).isEqualTo("password");
            assertThat(browser.getPageSource()).doesNotContain("very-secret");

            // Search: a destination that does not answer queries says so.
            open(port, "#/search");
            new Select(shown(By.id("search-destination"))).selectByValue("out");
            type("key-1", "level");
            type("value-1", "error");
            shown(By.xpath("//button[text()='Search']")).click();
            textIn(By.id("results"), "does not answer queries");

            // Delete, after a confirmation: dismissed, nothing happens; accepted, the workflow is gone.
            open(port, "#/workflows");
            clickInRow("logs", "delete");
            until(d -> {
                d.switchTo().alert().dismiss();
                return true;
            });
            row("logs");
            clickInRow("logs", "delete");
            until(d -> {
                d.switchTo().alert().accept();
                return true;
            });
            textIn(By.id("workflows"), "No workflows yet.");
        }
    }

    /** Case 6: logs POSTed to a push source, stored in PostgreSQL, searched with a combined filter. */
    @Test
    void logsStoredInPostgresAreSearchedWithACombinedFilter() throws Exception {
        String table = unique("console_logs").toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        int pushPort;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            pushPort = free.getLocalPort();
        }
        Path config = write("search.yaml", """
                sources: [{name: events, type: http-push, listen: '127.0.0.1:%d', path: /logs/ingest}]
                destinations:
                  - {name: db, type: postgres, url: 'jdbc:postgresql://127.0.0.1:5432/test', user: postgres,
                     table: %s, columns: {level: /level}}
                workflows: [{name: logs, source: events, destinations: [db], batch: {format: ndjson, maxAge: 1s}}]
                """.formatted(pushPort, table));
        try (NatsServerProcess nats = NatsServerProcess.start(Files.createDirectories(dir.resolve("nats")))) {
            Launch ingest = service(nats, config, true);
            int port = healthPort(ingest);
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            await().atMost(UI).until(() -> LauncherSupport.get(http, port, "/ready").statusCode() == 200);
            StringBuilder ndjson = new StringBuilder();
            String[][] logs = {{"error", "db timeout after 30s"}, {"error", "disk full"}, {"info", "request timeout"},
                {"info", "ok"}, {"error", "upstream timeout"}, {"warn", "slow"}};
            for (int i = 0; i < logs.length; i++) {
                ndjson.append("{\"timestamp\": \"2026-12-03T10:00:0").append(i).append("Z\", \"level\": \"")
                        .append(logs[i][0]).append("\", \"message\": \"").append(logs[i][1]).append("\"}\n");
            }
            var posted = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:"
                            + pushPort + "/logs/ingest")).header("Content-Type", "application/x-ndjson")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(ndjson.toString())).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(posted.statusCode()).as(posted.body()).isEqualTo(202);

            browser.get("http://127.0.0.1:" + port + "/ui/");
            type("token", TOKEN);
            browser.findElement(By.id("token")).sendKeys(Keys.ENTER);
            textIn(By.id("auth-state"), "Logged in");
            open(port, "#/search");
            new Select(shown(By.id("search-destination"))).selectByValue("db");
            type("key-1", "level");
            type("value-1", "error");
            shown(By.xpath("//button[text()='Add filter']")).click();
            type("key-2", "message");
            new Select(shown(By.id("op-2"))).selectByValue("contains");
            type("value-2", "timeout");
            // The batch is stored within a second or so: search again until the rows are there.
            until(d -> {
                d.findElement(By.xpath("//button[text()='Search']")).click();
                return d.findElement(By.id("results")).getText().contains("2 record(s) on this page");
            });
            textIn(By.id("results"), "upstream timeout");
            screenshot("search");
            new Select(shown(By.id("match"))).selectByValue("any");
            shown(By.xpath("//button[text()='Search']")).click();
            textIn(By.id("results"), "4 record(s) on this page"); // three errors, and the info timeout
        } finally {
            try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/test",
                    "postgres", null); java.sql.Statement st = c.createStatement()) {
                st.execute("DROP TABLE IF EXISTS " + table);
                st.execute("DROP TABLE IF EXISTS " + table + "_batches");
            }
        }
    }

    /** GET /v1/plugins: what the forms offer. */
    private static void pluginsAreListedWithTheirKeys(int port) throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        await().atMost(UI).until(() -> LauncherSupport.get(http, port, "/v1/openapi.json").statusCode() == 200);
        java.net.http.HttpResponse<String> anonymous = LauncherSupport.get(http, port, "/v1/plugins");
        assertThat(anonymous.statusCode()).isEqualTo(401);
        java.net.http.HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + port + "/v1/plugins")).header("Authorization", "Bearer " + TOKEN)
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        com.fasterxml.jackson.databind.JsonNode plugins = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(r.body()).path("plugins");
        java.util.Map<String, com.fasterxml.jackson.databind.JsonNode> byType = new java.util.TreeMap<>();
        plugins.forEach(p -> byType.put(p.path("type").asText(), p));
        assertThat(byType).containsKeys("file", "http", "s3");
        com.fasterxml.jackson.databind.JsonNode file = byType.get("file");
        assertThat(file.path("roles").toString()).isEqualTo("[\"source\",\"destination\"]");
        assertThat(file.path("keys").path("destination").findValuesAsText("name")).contains("path");
        com.fasterxml.jackson.databind.JsonNode bearer = null;
        for (com.fasterxml.jackson.databind.JsonNode k : byType.get("http").path("keys").path("destination")) {
            if (k.path("name").asText().equals("bearerToken")) {
                bearer = k;
            }
        }
        assertThat(bearer).as("http destination's bearerToken key").isNotNull();
        assertThat(bearer.path("secret").asBoolean()).isTrue();
        assertThat(bearer.path("description").asText()).isNotBlank();
    }

    @Test
    void withoutATokenTheConsoleIsReadOnlyAndSaysWhy() throws Exception {
        Path src = Files.createDirectories(dir.resolve("in"));
        files(src, "x", 2);
        Path config = LauncherSupport.writeFileConfig(dir, "fromfile", src, dir.resolve("out"), "interval: 1h");
        try (NatsServerProcess nats = NatsServerProcess.start(Files.createDirectories(dir.resolve("nats")))) {
            Launch ingest = service(nats, config, false);
            int port = healthPort(ingest);
            browser.get("http://127.0.0.1:" + port + "/ui/");
            WebElement pause = shown(By.cssSelector("#workflows tr[data-workflow='fromfile'] button[data-action='pause']"));
            assertThat(pause.isEnabled()).isFalse();
            assertThat(pause.getAttribute("title")).contains("log in with the API token");
            assertThat(shown(By.id("read-only")).getText()).contains("Read-only");
            assertThat(browser.findElement(By.id("auth-state")).getText()).isEqualTo("Not logged in");
            textIn(By.cssSelector("#workflows tr[data-workflow='fromfile'] td[data-field='lastScan']"), "listed 2");
            screenshot("read-only");
            assertThat(lowestContrast()).as("lowest text contrast, read-only").isGreaterThanOrEqualTo(7.0).isLessThan(21.0);
            // A phone's width: the table becomes one block per workflow, nothing wider than the screen.
            browser.manage().window().setSize(new org.openqa.selenium.Dimension(390, 844));
            until(d -> (Boolean) ((JavascriptExecutor) d).executeScript(
                    "return document.documentElement.scrollWidth <= window.innerWidth"));
            screenshot("phone");
            browser.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 900));
            open(port, "#/new");
            assertThat(shown(By.id("save")).isEnabled()).isFalse();
            assertThat(browser.findElement(By.id("save")).getAttribute("aria-describedby")).isEqualTo("read-only");
        }
    }

    /**
     * A record workflow's page: its open batch (maxAge long enough to stay open), the offset of the file it tails; a
     * sharded jdbc workflow's page: who holds each shard.
     */
    @Test
    void recordWorkflowsShowTheirOpenBatchesTailOffsetsAndShardHolders() throws Exception {
        Path src = Files.createDirectories(dir.resolve("logs"));
        Files.writeString(src.resolve("app.log"), "one\ntwo\nthree\n");
        long size = Files.size(src.resolve("app.log"));
        String table = unique("console_rows").toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        String url = "jdbc:postgresql://127.0.0.1:5432/test";
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(url, "postgres", null);
             java.sql.Statement st = c.createStatement()) {
            st.execute("CREATE TABLE " + table + " (id bigint PRIMARY KEY, host text NOT NULL)");
            st.execute("INSERT INTO " + table + " SELECT i, 'h' || (i % 3) FROM generate_series(1, 4) i");
        }
        Path config = write("records.yaml", """
                sources:
                - {name: logs, type: file, path: '%s', tail: true}
                - {name: rows, type: jdbc, url: '%s', user: postgres, table: %s, cursor: [id], shards: 2,
                   shardColumn: host, pollInterval: 200ms}
                destinations:
                - {name: out, type: file, path: '%s'}
                - {name: copies, type: file, path: '%s'}
                workflows:
                - {name: tail, source: logs, destinations: [out], batch: {maxAge: 10m, key: 'app/{first}.{ext}'}}
                - {name: rows, source: rows, destinations: [copies], batch: {maxAge: 10m}}
                """.formatted(src, url, table, dir.resolve("out"), dir.resolve("copies")));
        try (NatsServerProcess nats = NatsServerProcess.start(Files.createDirectories(dir.resolve("nats")))) {
            Launch ingest = service(nats, config, false);
            int port = healthPort(ingest);

            open(port, "#/workflow/tail");
            // The batch of the three lines stays open: its records, bytes, oldest record and when maxAge cuts it.
            shown(By.cssSelector("#open-batches tbody tr"));
            assertThat(attribute(By.cssSelector("#open-batches tbody tr"), "data-batch"))
                    .matches("app/\\d{20}\\.log\\.gz");
            until(d -> d.findElement(By.cssSelector("#open-batches td[data-field='records']")).getText().equals("3"));
            assertThat(text(By.cssSelector("#open-batches td[data-field='bytes']"))).matches("\\d+ B");
            assertThat(text(By.cssSelector("#open-batches td[data-field='oldestRecord']"))).contains(" ago)");
            assertThat(text(By.cssSelector("#open-batches td[data-field='cutAt']"))).matches("(?s).*\\(in (9|10) min\\)");
            textIn(By.cssSelector("#open-batches caption"), "cut at its time (maxAge) or sooner");
            // The file's offset: read to its end.
            textIn(By.cssSelector("#tail-offsets tr[data-file='app.log'] td[data-field='offset']"), Long.toString(size));
            assertThat(text(By.cssSelector("#tail-offsets tr[data-file='app.log'] td[data-field='size']")))
                    .isEqualTo(Long.toString(size));
            assertThat(attribute(By.cssSelector("#tail-offsets progress"), "value")).isEqualTo(Long.toString(size));
            textIn(By.id("source-report"), "1 followed");
            textIn(By.id("main"), "None kept by the process that answers");
            assertThat(countFinalFiles(dir.resolve("out"))).isZero(); // nothing stored while the batch is open
            ((JavascriptExecutor) browser).executeScript("document.getElementById('records').scrollIntoView()");
            screenshot("record-workflow");

            // Who holds which shard: this one process holds both, and the page says what the API says.
            open(port, "#/workflow/rows");
            until(d -> d.findElements(By.cssSelector("#shards tbody tr")).size() == 2);
            java.net.http.HttpResponse<String> status = LauncherSupport.get(java.net.http.HttpClient.newHttpClient(),
                    port, "/v1/workflows/rows");
            var shards = new com.fasterxml.jackson.databind.ObjectMapper().readTree(status.body()).path("status")
                    .path("shards");
            String holder = shards.path("0").path("holder").asText();
            assertThat(holder).isNotBlank().isEqualTo(shards.path("1").path("holder").asText());
            java.util.List<String> shown = until(d -> d.findElements(By.cssSelector("#shards td[data-field='holder']"))
                    .stream().map(WebElement::getText).toList());
            assertThat(shown).containsExactly(holder, holder);
            textIn(By.cssSelector("#shards tbody tr[data-shard='0']"), " ago)"); // held since
            until(d -> d.findElements(By.cssSelector("#open-batches td[data-field='records']")).stream()
                    .mapToLong(e -> Long.parseLong(e.getText())).sum() == 4);
        } finally {
            try (java.sql.Connection c = java.sql.DriverManager.getConnection(url, "postgres", null);
                 java.sql.Statement st = c.createStatement()) {
                st.execute("DROP TABLE IF EXISTS " + table);
            }
        }
    }
}
