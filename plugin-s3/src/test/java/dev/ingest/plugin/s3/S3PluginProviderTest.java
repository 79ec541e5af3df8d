package dev.ingest.plugin.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ingest.api.ConfigException;
import dev.ingest.api.ConfigKey;
import dev.ingest.api.PluginConfig;
import dev.ingest.api.PluginProvider;
import dev.ingest.api.PluginRole;
import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** Configuration handling; nothing here contacts a server. */
class S3PluginProviderTest {

    private final S3PluginProvider provider = new S3PluginProvider();

    private static Map<String, Object> map(Object... keyValues) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    private static S3Settings parse(PluginRole role, Object... keyValues) {
        PluginConfig config = PluginConfig.of("t", map(keyValues));
        S3Settings settings = S3Settings.parse(config, role);
        assertThat(config.problems()).as("problems").isEmpty();
        return settings;
    }

    private static List<String> problems(PluginRole role, Object... keyValues) {
        PluginConfig config = PluginConfig.of("t", map(keyValues));
        S3Settings.parse(config, role);
        return config.problems();
    }

    @Test
    void isFoundByServiceLoaderAsTypeS3WithBothRoles() {
        assertThat(ServiceLoader.load(PluginProvider.class).stream().map(ServiceLoader.Provider::type))
                .contains(S3PluginProvider.class);
        assertThat(provider.type()).isEqualTo("s3");
        assertThat(provider.roles()).containsExactlyInAnyOrder(PluginRole.SOURCE, PluginRole.DESTINATION);
    }

    @Test
    void declaresTheOriginalKeysAndMarksSecretsAsSecret() {
        assertThat(provider.keys(PluginRole.SOURCE)).extracting(ConfigKey::name).containsExactlyInAnyOrder(
                "endpoint", "insecure", "bucket", "prefix", "recursive", "accessKeyID", "secretAccessKey",
                "sessionToken", "region", "pathStyle", "maxConnections", "listByPrefix", "listConcurrency", "include", "exclude",
                "startAfter", "cursor", "fullScanInterval", "notifications");
        assertThat(provider.keys(PluginRole.DESTINATION)).extracting(ConfigKey::name).containsExactlyInAnyOrder(
                "endpoint", "insecure", "bucket", "prefix", "recursive", "accessKeyID", "secretAccessKey",
                "sessionToken", "region", "pathStyle", "maxConnections", "listByPrefix", "listConcurrency", "metafilesPrefix", "partSize",
                "multipartThreshold", "uploadConcurrency", "serverSideCopy", "copyPartSize", "signPayload");
        for (PluginRole role : PluginRole.values()) {
            assertThat(provider.keys(role)).filteredOn(ConfigKey::secret).extracting(ConfigKey::name)
                    .containsExactlyInAnyOrder("secretAccessKey", "sessionToken");
            assertThat(provider.keys(role)).filteredOn(ConfigKey::required).extracting(ConfigKey::name)
                    .containsExactly("bucket");
        }
    }

    @Test
    void notificationsAreCheckedKeyByKeyAndNamedUnderTheBlock() {
        PluginConfig sqs = PluginConfig.of("src", Map.of("bucket", "b", "notifications", Map.of(
                "sqs", "ftp://q", "waitTime", "30s", "visibilityTimeout", "13h", "receivers", 0, "subject", "x")));
        NotificationSettings.parse(sqs, "us-east-1");
        assertThat(sqs.problems()).anySatisfy(p -> assertThat(p).startsWith("notifications.sqs: 'ftp://q' must be an http(s) URL"))
                .anySatisfy(p -> assertThat(p).startsWith("notifications.waitTime: must be at most 20s"))
                .anySatisfy(p -> assertThat(p).startsWith("notifications.visibilityTimeout: must be at most 12h"))
                .anySatisfy(p -> assertThat(p).startsWith("notifications.receivers:"))
                .anySatisfy(p -> assertThat(p).startsWith("notifications.subject: is not a key of SQS notifications"));
        PluginConfig both = PluginConfig.of("src", Map.of("bucket", "b", "notifications", Map.of("sqs", "http://q",
                "nats", "s")));
        assertThat(NotificationSettings.parse(both, "us-east-1")).isEmpty();
        assertThat(both.problems()).containsExactly("notifications: needs exactly one of sqs (a queue URL) and nats (a subject)");
        PluginConfig nats = PluginConfig.of("src", Map.of("bucket", "b", "notifications", Map.of("nats", "minio.events")));
        assertThat(NotificationSettings.parse(nats, "eu-west-1")).hasValueSatisfying(n -> {
            assertThat(n.sqs()).isFalse();
            assertThat(n.natsSubject()).isEqualTo("minio.events");
            assertThat(n.natsUrl()).isEmpty();
        });
        assertThat(nats.problems()).isEmpty();
        PluginConfig defaults = PluginConfig.of("src", Map.of("bucket", "b", "notifications",
                Map.of("sqs", "https://sqs.eu-west-1.amazonaws.com/1/q")));
        assertThat(NotificationSettings.parse(defaults, "eu-west-1")).hasValueSatisfying(n -> {
            assertThat(n.waitTime()).hasSeconds(20);
            assertThat(n.visibilityTimeout()).hasMinutes(5);
            assertThat(n.receivers()).isEqualTo(1);
            assertThat(n.region()).isEqualTo("eu-west-1");
        });
    }

    @Test
    void withoutEndpointItIsAwsWithVirtualHostsAndTheDefaultCredentialsChain() {
        S3Settings s = parse(PluginRole.SOURCE, "bucket", "b");
        assertThat(s.endpoint()).isNull();
        assertThat(s.region()).isEqualTo("us-east-1");
        assertThat(s.pathStyle()).isFalse();
        assertThat(s.credentials()).isNull();
        assertThat(s.recursive()).isTrue();
        assertThat(s.prefix()).isEmpty();
        assertThat(s.endpointLabel()).isEqualTo("AWS S3 (us-east-1)");
    }

    @Test
    void anEndpointWithoutSchemeIsHttpsUnlessInsecureAndImpliesPathStyle() {
        assertThat(parse(PluginRole.SOURCE, "bucket", "b", "endpoint", "minio:9000").endpoint())
                .isEqualTo(URI.create("https://minio:9000"));
        S3Settings s = parse(PluginRole.SOURCE, "bucket", "b", "endpoint", "minio:9000", "insecure", true);
        assertThat(s.endpoint()).isEqualTo(URI.create("http://minio:9000"));
        assertThat(s.pathStyle()).isTrue();
        assertThat(parse(PluginRole.SOURCE, "bucket", "b", "endpoint", "http://127.0.0.1:9000/", "pathStyle", "false")
                .pathStyle()).isFalse();
        assertThat(parse(PluginRole.SOURCE, "bucket", "b", "endpoint", "HTTPS://s3.example.com").endpoint())
                .isEqualTo(URI.create("https://s3.example.com"));
    }

    @Test
    void staticCredentialsNeedBothKeysAndAreNeverPrinted() {
        S3Settings s = parse(PluginRole.SOURCE, "bucket", "b", "accessKeyID", "AKIA1", "secretAccessKey", "s3cr3t",
                "sessionToken", "t0k3n");
        assertThat(s.credentials()).isEqualTo(new S3Settings.Credentials("AKIA1", "s3cr3t", "t0k3n"));
        assertThat(s.toString()).contains("AKIA1").doesNotContain("s3cr3t").doesNotContain("t0k3n");
        assertThat(problems(PluginRole.SOURCE, "bucket", "b", "accessKeyID", "AKIA1"))
                .containsExactly("secretAccessKey: is required with accessKeyID");
        assertThat(problems(PluginRole.SOURCE, "bucket", "b", "secretAccessKey", "s3cr3t"))
                .containsExactly("accessKeyID: is required with secretAccessKey");
        assertThat(problems(PluginRole.SOURCE, "bucket", "b", "sessionToken", "t"))
                .containsExactly("sessionToken: needs accessKeyID and secretAccessKey too");
    }

    @Test
    void destinationPartSizesAcceptBytesAndBinaryUnitsAndThresholdDefaultsTo200MiBOrPartSize() {
        S3Settings s = parse(PluginRole.DESTINATION, "bucket", "b");
        assertThat(s.partSize()).isEqualTo(8 * TestData.MIB);
        assertThat(s.multipartThreshold()).isEqualTo(200L * TestData.MIB);
        assertThat(s.signPayload()).isFalse();
        assertThat(s.metafilesPrefix()).isNull();
        s = parse(PluginRole.DESTINATION, "bucket", "b", "partSize", "16MiB", "metafilesPrefix", "meta");
        assertThat(s.partSize()).isEqualTo(16 * TestData.MIB);
        assertThat(s.multipartThreshold()).isEqualTo(200L * TestData.MIB);
        assertThat(s.metafilesPrefix()).isEqualTo("meta");
        s = parse(PluginRole.DESTINATION, "bucket", "b", "partSize", 5242880, "multipartThreshold", "100 KiB");
        assertThat(s.partSize()).isEqualTo(5 * TestData.MIB);
        assertThat(s.multipartThreshold()).isEqualTo(100 * 1024L);
        s = parse(PluginRole.DESTINATION, "bucket", "b", "partSize", "1g", "signPayload", true);
        assertThat(s.partSize()).isEqualTo(1024 * TestData.MIB);
        assertThat(s.multipartThreshold()).isEqualTo(1024L * TestData.MIB);
        assertThat(s.signPayload()).isTrue();
    }

    @Test
    void listingFolderByFolderIsOffByDefaultForBothRoles() {
        for (PluginRole role : PluginRole.values()) {
            assertThat(parse(role, "bucket", "b").listByPrefix()).isFalse();
            assertThat(parse(role, "bucket", "b", "listByPrefix", true).listByPrefix()).isTrue();
            assertThat(parse(role, "bucket", "b", "listByPrefix", "true").listByPrefix()).isTrue();
        }
    }

    @Test
    void listConcurrencyIsEightByDefaultOneToSixtyFourAndAtMostTheConnectionPool() {
        for (PluginRole role : PluginRole.values()) {
            assertThat(parse(role, "bucket", "b").listConcurrency()).isEqualTo(8);
            assertThat(parse(role, "bucket", "b", "listConcurrency", 1).listConcurrency()).isEqualTo(1);
            assertThat(parse(role, "bucket", "b", "listConcurrency", "64").listConcurrency()).isEqualTo(64);
            assertThat(parse(role, "bucket", "b", "maxConnections", 4).listConcurrency())
                    .as("the default fits a smaller pool").isEqualTo(4);
            assertThat(problems(role, "bucket", "b", "listConcurrency", 0))
                    .containsExactly("listConcurrency: must be at least 1, got 0");
            assertThat(problems(role, "bucket", "b", "listConcurrency", 65))
                    .containsExactly("listConcurrency: must be at most 64, got 65");
            assertThat(problems(role, "bucket", "b", "listConcurrency", "many"))
                    .containsExactly("listConcurrency: must be a whole number, got 'many'");
            assertThat(problems(role, "bucket", "b", "listConcurrency", 6, "maxConnections", 4)).containsExactly(
                    "listConcurrency: must be at most maxConnections (4), got 6: each request of a listing holds a "
                            + "connection");
        }
    }

    @Test
    void parallelUploadsServerSideCopyAndConnectionsHaveDefaultsAndLimits() {
        S3Settings s = parse(PluginRole.DESTINATION, "bucket", "b");
        assertThat(s.uploadConcurrency()).isEqualTo(4);
        assertThat(s.serverSideCopy()).isTrue();
        assertThat(s.copyPartSize()).isEqualTo(5L * 1024 * TestData.MIB);
        assertThat(s.maxConnections()).isEqualTo(64);
        s = parse(PluginRole.DESTINATION, "bucket", "b", "uploadConcurrency", 8, "serverSideCopy", false,
                "copyPartSize", "64MiB", "maxConnections", "200");
        assertThat(s.uploadConcurrency()).isEqualTo(8);
        assertThat(s.serverSideCopy()).isFalse();
        assertThat(s.copyPartSize()).isEqualTo(64L * TestData.MIB);
        assertThat(s.maxConnections()).isEqualTo(200);
        assertThat(parse(PluginRole.SOURCE, "bucket", "b", "maxConnections", 16).maxConnections()).isEqualTo(16);
        assertThat(parse(PluginRole.SOURCE, "bucket", "b").serverSideCopy()).as("a source copies nothing").isFalse();

        assertThat(problems(PluginRole.DESTINATION, "bucket", "b", "uploadConcurrency", 0, "maxConnections", 5000,
                "serverSideCopy", "sometimes", "copyPartSize", "6GiB")).containsExactlyInAnyOrder(
                "uploadConcurrency: must be at least 1, got 0",
                "maxConnections: must be at most 4096, got 5000",
                "serverSideCopy: must be true or false, got 'sometimes'",
                "copyPartSize: must be at most 5GiB, got 6GiB");
        assertThat(problems(PluginRole.DESTINATION, "bucket", "b", "uploadConcurrency", 65))
                .containsExactly("uploadConcurrency: must be at most 64, got 65");
    }

    @Test
    void theRealmNamesEndpointRegionAndAccessKeyButNoSecret() {
        String realm = parse(PluginRole.SOURCE, "bucket", "a", "endpoint", "http://minio:9000", "accessKeyID", "AK",
                "secretAccessKey", "s3cr3t").realm();
        assertThat(realm).startsWith("s3:").doesNotContain("s3cr3t").doesNotContain("AK").doesNotContain("minio");
        assertThat(parse(PluginRole.DESTINATION, "bucket", "other", "endpoint", "HTTP://MINIO:9000/", "accessKeyID", "AK",
                "secretAccessKey", "another secret", "prefix", "p/", "pathStyle", false).realm())
                .as("another bucket, prefix, secret and spelling of the endpoint: the same realm").isEqualTo(realm);
        assertThat(parse(PluginRole.SOURCE, "bucket", "a", "endpoint", "minio:9000", "insecure", true, "accessKeyID", "AK",
                "secretAccessKey", "s").realm()).isEqualTo(realm);
        assertThat(parse(PluginRole.SOURCE, "bucket", "a", "endpoint", "http://minio:9000", "accessKeyID", "AK2",
                "secretAccessKey", "s3cr3t").realm()).as("another access key").isNotEqualTo(realm);
        assertThat(parse(PluginRole.SOURCE, "bucket", "a", "endpoint", "http://minio:9001", "accessKeyID", "AK",
                "secretAccessKey", "s3cr3t").realm()).as("another port").isNotEqualTo(realm);
        assertThat(parse(PluginRole.SOURCE, "bucket", "a", "endpoint", "http://minio:9000", "region", "eu-west-1",
                "accessKeyID", "AK", "secretAccessKey", "s3cr3t").realm()).as("another region").isNotEqualTo(realm);
        assertThat(parse(PluginRole.SOURCE, "bucket", "a", "endpoint", "https://minio", "accessKeyID", "AK",
                "secretAccessKey", "s").realm()).isEqualTo(parse(PluginRole.SOURCE, "bucket", "a",
                "endpoint", "https://minio:443", "accessKeyID", "AK", "secretAccessKey", "s").realm());
        String aws = parse(PluginRole.SOURCE, "bucket", "a").realm();
        assertThat(parse(PluginRole.DESTINATION, "bucket", "b").realm()).as("AWS, default credentials").isEqualTo(aws);
        assertThat(parse(PluginRole.DESTINATION, "bucket", "b", "region", "eu-central-1").realm()).isNotEqualTo(aws);
    }

    @Test
    void everyProblemIsReportedTogetherBeforeAnyServerIsContacted() {
        PluginConfig config = PluginConfig.of("bad", map(
                "endpoint", "ftp://host", "region", "Not A Region", "accessKeyID", "AKIA1",
                "partSize", "1MiB", "multipartThreshold", "lots", "pathStyle", "maybe"));
        assertThatThrownBy(() -> provider.createDestination(config))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactlyInAnyOrder(
                        "endpoint: 'ftp://host' must use http or https, not 'ftp'",
                        "region: 'Not A Region' is not a region name (such as us-east-1 or eu-central-1)",
                        "pathStyle: must be true or false, got 'maybe'",
                        "bucket: is required",
                        "secretAccessKey: is required with accessKeyID",
                        "partSize: must be at least 5MiB, got 1MiB",
                        "multipartThreshold: 'lots' is not a size (write e.g. 16MiB, 5242880 or 1GiB)"));
    }

    @Test
    void badEndpointsAreExplained() {
        assertThat(problems(PluginRole.SOURCE, "bucket", "b", "endpoint", "http://host:9000/some/path"))
                .singleElement().asString().startsWith("endpoint: 'http://host:9000/some/path' must be just host[:port]");
        assertThat(problems(PluginRole.SOURCE, "bucket", "b", "endpoint", "http://user:pw@host"))
                .containsExactly("endpoint: 'http://user:REDACTED@host' must not carry credentials; use accessKeyID and secretAccessKey");
        assertThat(problems(PluginRole.SOURCE, "bucket", "b", "endpoint", "user:pw@ho st:9000"))
                .singleElement().asString().startsWith("endpoint: 'user:REDACTED@ho st:9000' is not").doesNotContain("pw");
        assertThat(problems(PluginRole.SOURCE, "bucket", "b", "endpoint", "http://host:9000/?X-Amz-Security-Token=t0k"))
                .singleElement().asString()
                .startsWith("endpoint: 'http://host:9000/?X-Amz-Security-Token=REDACTED' must be just host[:port]");
        assertThat(problems(PluginRole.SOURCE, "bucket", "b", "endpoint", "https://host", "insecure", true))
                .containsExactly("insecure: contradicts endpoint 'https://host', which says https; drop one of them");
        assertThat(problems(PluginRole.SOURCE, "bucket", "b", "insecure", true)).singleElement().asString()
                .startsWith("insecure: only applies to an endpoint given without a scheme");
        assertThat(problems(PluginRole.SOURCE, "bucket", "b", "endpoint", "host:notaport")).singleElement().asString()
                .startsWith("endpoint: 'host:notaport'");
        assertThat(problems(PluginRole.SOURCE, "bucket", "my/bucket")).singleElement().asString()
                .startsWith("bucket: 'my/bucket' is not a bucket name");
    }

    @Test
    void sizesOutsideTheLimitsAreRefused() {
        assertThat(problems(PluginRole.DESTINATION, "bucket", "b", "partSize", "2GiB"))
                .containsExactly("partSize: must be at most 1GiB, got 2GiB");
        assertThat(problems(PluginRole.DESTINATION, "bucket", "b", "multipartThreshold", "6GiB"))
                .containsExactly("multipartThreshold: must be at most 5GiB, got 6GiB");
        assertThat(problems(PluginRole.DESTINATION, "bucket", "b", "partSize", "-5"))
                .containsExactly("partSize: '-5' is not a size (write e.g. 16MiB, 5242880 or 1GiB)");
        assertThat(problems(PluginRole.DESTINATION, "bucket", "b", "partSize", List.of(1)))
                .containsExactly("partSize: must be a size such as 16MiB or 16777216, not a list or map");
    }

    @Test
    void destinationOnlyKeysAreIgnoredForSources() {
        S3Settings s = parse(PluginRole.SOURCE, "bucket", "b", "prefix", "in/", "recursive", "false");
        assertThat(s.prefix()).isEqualTo("in/");
        assertThat(s.recursive()).isFalse();
        assertThat(s.metafilesPrefix()).isNull();
    }
}
