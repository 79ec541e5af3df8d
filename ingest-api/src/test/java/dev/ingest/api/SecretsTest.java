package dev.ingest.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SecretsTest {

    @Test
    void hidesThePasswordOfTheUserInformationAndKeepsTheUserName() {
        assertThat(Secrets.redactUrl("https://alice:s3cr%40t@hooks.example.com:8443/stored?x=1"))
                .isEqualTo("https://alice:REDACTED@hooks.example.com:8443/stored?x=1");
    }

    @Test
    void hidesALoneUserNameWhichIsUsuallyAToken() {
        assertThat(Secrets.redactUrl("https://ghp_abc123@github.example/repo"))
                .isEqualTo("https://REDACTED@github.example/repo");
    }

    @Test
    void hidesTheValuesOfCredentialLikeQueryParametersWhateverTheirCase() {
        String shown = Secrets.redactUrl("https://api.example.com/v1/items?page=2&token=t1&API_KEY=k2&apiKey=k3"
                + "&X-Amz-Signature=s4&X-Amz-Credential=c5&sig=s6&access_token=a7&Password=p8&client_secret=c9"
                + "&X-Amz-Security-Token=t10&sort=name");
        assertThat(shown).isEqualTo("https://api.example.com/v1/items?page=2&token=REDACTED&API_KEY=REDACTED"
                + "&apiKey=REDACTED&X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&sig=REDACTED"
                + "&access_token=REDACTED&Password=REDACTED&client_secret=REDACTED&X-Amz-Security-Token=REDACTED"
                + "&sort=name");
    }

    @Test
    void hidesCredentialsInTheFragmentToo() {
        assertThat(Secrets.redactUrl("https://app.example/cb#access_token=abc&state=xyz"))
                .isEqualTo("https://app.example/cb#access_token=REDACTED&state=xyz");
    }

    @Test
    void hidesThePasswordOfAnEndpointWrittenWithoutAScheme() {
        assertThat(Secrets.redactUrl("user:pw@minio.example:9000")).isEqualTo("user:REDACTED@minio.example:9000");
        assertThat(Secrets.redactUrl("user:pw@ho st:9000/x?token=t")).isEqualTo("user:REDACTED@ho st:9000/x?token=REDACTED");
        for (String kept : new String[] {"ops@example.com", "*@2x.png", "git@host:repo.git", "logs/a:b@c"}) {
            assertThat(Secrets.redactUrl(kept)).as(kept).isEqualTo(kept);
        }
    }

    @Test
    void returnsAUrlWithoutCredentialsUnchanged() {
        for (String url : new String[] {"https://h.example/a%20b?page=2", "http://127.0.0.1:8080/hook",
            "s3://bucket/prefix/", "file:///data/in", "/relative/path?per_page=100", "no url at all", "",
            "https://h.example/path/with@sign", "https://h.example/?", "https://h.example/?token", "https://h.example/?token=",
            "minio.example.com:9000", "https://h.example/up?key={name}&sig={id}", "https://h.example/p?a=1&&b=2&"}) {
            assertThat(Secrets.redactUrl(url)).as(url).isEqualTo(url);
        }
    }

    @Test
    void readsMalformedAndSchemeLessTextLenientlyWithoutThrowing() {
        assertThat(Secrets.redactUrl("https://u:p@[bad host/x?key=v")).isEqualTo("https://u:REDACTED@[bad host/x?key=REDACTED");
        assertThat(Secrets.redactUrl("jdbc:postgresql://bob:pw@db:5432/x?password=pw2&ssl=true"))
                .isEqualTo("jdbc:postgresql://bob:REDACTED@db:5432/x?password=REDACTED&ssl=true");
        assertThat(Secrets.redactUrl("/files/{name}?token=abc")).isEqualTo("/files/{name}?token=REDACTED");
        assertThat(Secrets.redactUrl("https://u:p@")).isEqualTo("https://u:REDACTED@");
        assertThat(Secrets.redactUrl("://x?token=1")).isEqualTo("://x?token=REDACTED");
        assertThat(Secrets.redactUrl("https://h.example/#")).isEqualTo("https://h.example/#");
    }
}
