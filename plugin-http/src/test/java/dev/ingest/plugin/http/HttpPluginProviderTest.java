package dev.ingest.plugin.http;

import static dev.ingest.plugin.http.Configs.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import dev.ingest.api.ConfigException;
import dev.ingest.api.ConfigKey;
import dev.ingest.api.Destination;
import dev.ingest.api.PluginConfig;
import dev.ingest.api.PluginProvider;
import dev.ingest.api.PluginRole;
import dev.ingest.api.Source;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

import org.junit.jupiter.api.Test;

class HttpPluginProviderTest {

    private final HttpPluginProvider provider = new HttpPluginProvider();

    private static List<String> problems(ConfigException e) {
        return e.problems();
    }

    @Test
    void serviceLoaderFindsTheProviderOfTypeHttp() {
        List<PluginProvider> found = new ArrayList<>();
        ServiceLoader.load(PluginProvider.class).forEach(found::add);

        assertThat(found).filteredOn(p -> p.type().equals("http")).singleElement().isInstanceOf(HttpPluginProvider.class);
    }

    @Test
    void canBeASourceAndADestination() {
        assertThat(provider.type()).isEqualTo("http");
        assertThat(provider.roles()).containsExactlyInAnyOrder(PluginRole.SOURCE, PluginRole.DESTINATION);
    }

    @Test
    void declaresTheSourceKeysWithUrlRequiredAndCredentialsSecret() {
        assertThat(provider.keys(PluginRole.SOURCE))
                .extracting(ConfigKey::name, ConfigKey::required, ConfigKey::secret)
                .containsExactly(
                        tuple("url", true, false),
                        tuple("items", false, false),
                        tuple("idField", false, false),
                        tuple("nameField", false, false),
                        tuple("urlField", false, false),
                        tuple("downloadUrl", false, false),
                        tuple("versionField", false, false),
                        tuple("sizeField", false, false),
                        tuple("nextField", false, false),
                        tuple("maxPages", false, false),
                        tuple("cleanUp", false, false),
                        tuple("include", false, false),
                        tuple("exclude", false, false),
                        tuple("headers", false, true),
                        tuple("bearerToken", false, true),
                        tuple("username", false, false),
                        tuple("password", false, true),
                        tuple("connectTimeout", false, false),
                        tuple("readTimeout", false, false),
                        tuple("insecureSkipVerify", false, false));
    }

    @Test
    void declaresTheDestinationKeys() {
        assertThat(provider.keys(PluginRole.DESTINATION))
                .extracting(ConfigKey::name, ConfigKey::required, ConfigKey::secret)
                .startsWith(tuple("url", true, false), tuple("method", false, false), tuple("stat", false, false))
                .contains(tuple("bearerToken", false, true), tuple("password", false, true));
        for (PluginRole role : PluginRole.values()) {
            assertThat(provider.keys(role)).allSatisfy(k -> assertThat(k.description()).isNotBlank().doesNotContain("\n"));
        }
    }

    @Test
    void createsASourceFromAMinimalConfigurationWithoutContactingTheServer() throws Exception {
        // port 9 (discard) on loopback: nothing is listening, and nothing is contacted at creation
        try (Source source = provider.createSource(config("api", "url", "http://127.0.0.1:9/list"))) {
            assertThat(source).isInstanceOf(HttpSource.class).hasToString("HttpSource[api: http://127.0.0.1:9/list]");
        }
    }

    @Test
    void createsADestinationWithPutByDefault() throws Exception {
        try (Destination d = provider.createDestination(config("up", "url", "https://files.example.com/up/{name}"))) {
            assertThat(d).hasToString("HttpDestination[up: PUT https://files.example.com/up/{name}]");
        }
        try (Destination d = provider.createDestination(config("up", "url", "https://files.example.com/up/{name}",
                "method", "post", "stat", "none"))) {
            assertThat(d).hasToString("HttpDestination[up: POST https://files.example.com/up/{name}]");
        }
    }

    @Test
    void reportsEverySourceProblemAtOnce() {
        PluginConfig config = config("api",
                "url", "ftp://example.com/list",
                "items", "data",
                "idField", "/a~2b",
                "urlField", "link",
                "downloadUrl", "/files/{idd}",
                "nextField", "next",
                "maxPages", 0,
                "cleanUp", "REMOVE {url}",
                "headers", Map.of("Bad Header", "x", "X-Ok", "line\nbreak", "Content-Length", "3",
                        "X-Ingest-Version", "1"),
                "bearerToken", "t",
                "username", "u",
                "connectTimeout", "ten seconds",
                "readTimeout", "5 min",
                "insecureSkipVerify", "maybe");

        assertThatThrownBy(() -> provider.createSource(config))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(problems(e)).containsExactlyInAnyOrder(
                        "url: 'ftp://example.com/list' is not an absolute http:// or https:// URL (scheme 'ftp' is not supported)",
                        "items: 'data' must be a JSON pointer such as /items or /links/next",
                        "idField: '/a~2b' is not a valid JSON pointer: '~' must be followed by 0 or 1 (write ~0 for '~' and ~1 for '/')",
                        "downloadUrl: unknown placeholder {idd} in '/files/{idd}' (allowed: {id}, {name})",
                        "downloadUrl: set either urlField or downloadUrl, not both",
                        "nextField: 'next' must be a JSON pointer such as /items or /links/next",
                        "maxPages: must be at least 1, got 0",
                        "cleanUp: method 'REMOVE' must be one of DELETE, POST, PUT, PATCH",
                        "headers.Bad Header: 'Bad Header' is not a valid HTTP header name",
                        "headers.X-Ok: must not contain control characters such as line breaks",
                        "headers.Content-Length: is set by the plugin and cannot be configured",
                        "headers.X-Ingest-Version: is set by the plugin and cannot be configured",
                        "bearerToken: set either bearerToken or username/password, not both",
                        "connectTimeout: 'ten seconds' is not a duration (write a number with ms, s, m or h: 500ms, 10s, 2m)",
                        "readTimeout: '5 min' is not a duration (write a number with ms, s, m or h: 500ms, 10s, 2m)",
                        "insecureSkipVerify: must be true or false, got 'maybe'"));
    }

    @Test
    void reportsEveryDestinationProblemAtOnce() {
        assertThatThrownBy(() -> provider.createDestination(config("up",
                "url", "https://files.example.com/up/",
                "method", "PATCH",
                "stat", "GET",
                "username", "u")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(problems(e)).containsExactlyInAnyOrder(
                        "url: 'https://files.example.com/up/' must contain {name}, where each object's name goes "
                                + "(for example https://files.example.com/up/{name})",
                        "method: must be PUT or POST, got 'PATCH'",
                        "stat: must be HEAD or none, got 'GET'",
                        "password: is required with username"));
    }

    @Test
    void refusesANameOutsideThePathAndUnknownPlaceholdersInTheDestinationUrl() {
        assertThatThrownBy(() -> provider.createDestination(config("up", "url", "https://h.example/up?key={name}&v={version}")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(problems(e)).containsExactlyInAnyOrder(
                        "url: unknown placeholder {version} in 'https://h.example/up?key={name}&v={version}' (allowed: {name})"));
        assertThatThrownBy(() -> provider.createDestination(config("up", "url", "https://h.example/up?key={name}")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(problems(e)).containsExactly(
                        "url: {name} must be in the path of 'https://h.example/up?key={name}', before any '?' or '#'"));
    }

    @Test
    void refusesADownloadUrlThatGivesEveryObjectTheSameUrl() {
        assertThatThrownBy(() -> provider.createSource(config("api", "url", "https://h.example/l", "downloadUrl", "/files/all")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(problems(e)).containsExactly(
                        "downloadUrl: must use {id} or {name}, else every object has the same URL"));
    }

    @Test
    void reportsAMissingUrlAndCredentialsInTheUrl() {
        assertThatThrownBy(() -> provider.createSource(config("api")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(problems(e)).containsExactly("url: is required"));
        assertThatThrownBy(() -> provider.createSource(config("api", "url", "https://me:secret@h.example/list")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(problems(e)).containsExactly(
                        "url: must not contain a user name or password; use username and password"));
    }

    @Test
    void neverEchoesASecretInAProblem() {
        String token = "s3cr3t\nvalue";
        assertThatThrownBy(() -> provider.createSource(config("api", "url", "https://h.example/l", "bearerToken", token)))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(problems(e)).containsExactly("bearerToken: must not contain control characters such as line breaks");
                    assertThat(e.getMessage()).doesNotContain("s3cr3t");
                });
    }

    @Test
    void quotesAWrongUrlWithoutItsPasswordOrCredentialLikeQueryValues() throws Exception {
        assertThatThrownBy(() -> provider.createSource(config("api", "url", "ftp://me:hunter2@h.example/l?api_key=k3y&page=1",
                "cleanUp", "DELETE https://h.example/{nope}?token=t0k")))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(problems(e)).anySatisfy(p -> assertThat(p).startsWith("url: 'ftp://me:REDACTED@h.example/l?api_key=REDACTED&page=1'"))
                            .anySatisfy(p -> assertThat(p).startsWith("cleanUp: unknown placeholder {nope}"));
                    assertThat(e.getMessage()).doesNotContain("hunter2").doesNotContain("k3y").doesNotContain("t0k");
                });
        assertThatThrownBy(() -> provider.createDestination(config("up", "url", "https://h.example/up?sig=s1g")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.getMessage())
                        .contains("'https://h.example/up?sig=REDACTED' must contain {name}").doesNotContain("s1g"));
        try (var destination = provider.createDestination(config("up", "url", "https://h.example/up/{name}?sig=s1g"))) {
            assertThat(destination.toString()).contains("https://h.example/up/{name}?sig=REDACTED").doesNotContain("s1g");
        }
    }

    @Test
    void verifiesTlsUnlessInsecureSkipVerifyIsExplicitlyTrue() {
        PluginConfig plain = config("api", "url", "https://h.example/l");
        assertThat(ClientSettings.parse(plain, "test", null).insecureSkipVerify()).isFalse();
        assertThat(plain.problems()).isEmpty();
        PluginConfig off = config("api", "url", "https://h.example/l", "insecureSkipVerify", "false");
        assertThat(ClientSettings.parse(off, "test", null).insecureSkipVerify()).isFalse();
        PluginConfig on = config("api", "url", "https://h.example/l", "insecureSkipVerify", true);
        assertThat(ClientSettings.parse(on, "test", null).insecureSkipVerify()).isTrue();
    }

    @Test
    void parsesTimeoutsAsNumbersWithAUnit() {
        assertThat(ClientSettings.parseDuration("250ms")).contains(Duration.ofMillis(250));
        assertThat(ClientSettings.parseDuration("10s")).contains(Duration.ofSeconds(10));
        assertThat(ClientSettings.parseDuration(" 2m ")).contains(Duration.ofMinutes(2));
        assertThat(ClientSettings.parseDuration("1h")).contains(Duration.ofHours(1));
        assertThat(ClientSettings.parseDuration("0s")).contains(Duration.ZERO);
        assertThat(ClientSettings.parseDuration("10")).isEmpty();
        assertThat(ClientSettings.parseDuration("1.5s")).isEmpty();
        assertThat(ClientSettings.parseDuration("1h30m")).isEmpty();

        PluginConfig defaults = config("api", "url", "https://h.example/l");
        ClientSettings settings = ClientSettings.parse(defaults, "test", null);
        assertThat(settings.connectTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(settings.readTimeout()).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void describesItsSettingsWithoutSecrets() {
        PluginConfig config = config("api", "url", "https://h.example/l", "username", "reader", "password", "hunter2",
                "headers", Map.of("X-Api-Key", "k3y"));
        ClientSettings settings = ClientSettings.parse(config, "test", null);
        assertThat(config.problems()).isEmpty();
        assertThat(settings.toString()).contains("basic authentication as reader").contains("X-Api-Key")
                .doesNotContain("hunter2").doesNotContain("k3y");
    }
}
