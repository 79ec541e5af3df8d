package dev.ingest.plugin.s3;

import dev.ingest.api.ConfigException;
import dev.ingest.api.ConfigKey;
import dev.ingest.api.Destination;
import dev.ingest.api.NameFilter;
import dev.ingest.api.PluginConfig;
import dev.ingest.api.PluginProvider;
import dev.ingest.api.PluginRole;
import dev.ingest.api.Source;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code s3} plugin: a bucket of AWS S3 or of any S3-compatible store (MinIO, Ceph, s3proxy, ...) as a
 * source ({@link S3Source}) or a destination ({@link S3Destination}), on the AWS SDK for Java v2.
 *
 * <pre>{@code
 * sources:
 *   - name: inbox
 *     type: s3
 *     endpoint: minio.internal:9000      # host[:port] or a URL; AWS when absent
 *     insecure: true                     # plain http for an endpoint without a scheme
 *     bucket: incoming
 *     prefix: exports/                   # only keys under it; names are the keys without it
 *     recursive: true
 *     accessKeyID: ${S3_KEY}
 *     secretAccessKey: ${S3_SECRET}
 * destinations:
 *   - name: archive
 *     type: s3
 *     bucket: archive                    # on AWS, region us-east-1, default credentials chain
 *     region: eu-central-1
 *     prefix: 2026/
 *     metafilesPrefix: .ingest/done      # <metafilesPrefix>/<name>.done after each object
 *     partSize: 8MiB                     # uploadConcurrency parts of one object at once
 *     uploadConcurrency: 4
 *     serverSideCopy: true               # CopyObject from an s3 source on the same endpoint and key
 * }</pre>
 *
 * <p>Creating a source or destination checks every key, reports all problems together, then asks S3 about the
 * bucket (a one-key {@code ListObjectsV2}), so that a missing bucket or refused credentials show at start-up.
 *
 * <p>Stateless and thread-safe. Registered with {@link java.util.ServiceLoader}.
 */
public final class S3PluginProvider implements PluginProvider {

    /** The type name used in configuration. */
    public static final String TYPE = "s3";

    private static final Logger LOG = LoggerFactory.getLogger(S3PluginProvider.class);

    private static final List<ConfigKey> COMMON_KEYS = List.of(
            ConfigKey.optional("endpoint", "S3 endpoint, host[:port] or http(s)://host[:port]; AWS S3 when absent"),
            ConfigKey.optional("insecure", "use plain http for an endpoint given without a scheme (default false)"),
            ConfigKey.required("bucket", "the bucket"),
            ConfigKey.optional("prefix", "key prefix: source lists keys under it, destination stores under it"),
            ConfigKey.optional("region", "region to sign requests for (default us-east-1)"),
            ConfigKey.optional("pathStyle", "bucket in the URL path rather than the host name (default true with an endpoint)"),
            ConfigKey.optional("accessKeyID", "access key id; without it, the AWS default credentials chain"),
            ConfigKey.secret("secretAccessKey", "secret access key, with accessKeyID"),
            ConfigKey.secret("sessionToken", "session token of temporary credentials, with accessKeyID"),
            ConfigKey.optional("maxConnections", "size of the HTTP connection pool (default 64)"),
            ConfigKey.optional("listByPrefix", "list folder by folder rather than all keys at once: much faster on "
                    + "stores that keep folders as directories (MinIO, s3proxy), one more request per folder on AWS "
                    + "(default false)"),
            ConfigKey.optional("listConcurrency", "with listByPrefix: folders listed at once, the next ones in the "
                    + "order listed ahead; 1 to 64, at most maxConnections (default 8; 1: one after another)"));

    private static final List<ConfigKey> SOURCE_KEYS = with(with(COMMON_KEYS,
            ConfigKey.optional("recursive", "list every key under the prefix (true, default) or only its first level"),
            ConfigKey.optional(ScanSettings.START_AFTER, "list only the keys after this one (a whole key, prefix "
                    + "included)"),
            ConfigKey.optional(ScanSettings.CURSOR, "true: each scan lists only the keys after the last key queued, "
                    + "kept in JetStream; assumes keys arrive in order and objects do not change (default false)"),
            ConfigKey.optional(ScanSettings.FULL_SCAN_INTERVAL, "with cursor: list everything again this often, to "
                    + "catch keys written out of order (default never)"),
            ConfigKey.optional(NotificationSettings.KEY, "receive S3 event notifications instead of scanning: "
                    + "{sqs: QUEUE_URL, endpoint, region, waitTime: 20s, visibilityTimeout: 5m, receivers: 1} or "
                    + "{nats: SUBJECT, url}")), NameFilter.configKeys());

    private static final List<ConfigKey> DESTINATION_KEYS = with(COMMON_KEYS,
            ConfigKey.optional("recursive", "accepted for compatibility with the original tool; has no effect"),
            ConfigKey.optional("metafilesPrefix", "write an empty <metafilesPrefix>/<name>.done after each object, and trust it"),
            ConfigKey.optional("partSize", "part size of multipart uploads, e.g. 16MiB (default 8 MiB, min 5 MiB)"),
            ConfigKey.optional("multipartThreshold", "objects this large or of unknown length go in parts (default 200MiB, or partSize if larger)"),
            ConfigKey.optional("uploadConcurrency", "parts of one object uploaded at once (default 4)"),
            ConfigKey.optional("serverSideCopy", "copy within S3 objects of an s3 source on the same endpoint, region and "
                    + "access key (default true)"),
            ConfigKey.optional("copyPartSize", "server-side copies larger than this go in parts of this size (default "
                    + "5GiB, S3's limit)"),
            ConfigKey.optional("signPayload", "sign uploaded bytes over plain http too, as SigV4 streaming chunks (default "
                    + "false: unsigned, as over https)"));

    /** Creates the provider; does no work. */
    public S3PluginProvider() {
    }

    private static List<ConfigKey> with(List<ConfigKey> common, ConfigKey... more) {
        return with(common, List.of(more));
    }

    private static List<ConfigKey> with(List<ConfigKey> common, List<ConfigKey> more) {
        List<ConfigKey> keys = new ArrayList<>(common);
        keys.addAll(more);
        return List.copyOf(keys);
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Set<PluginRole> roles() {
        return Set.of(PluginRole.SOURCE, PluginRole.DESTINATION);
    }

    @Override
    public List<ConfigKey> keys(PluginRole role) {
        return switch (role) {
            case SOURCE -> SOURCE_KEYS;
            case DESTINATION -> DESTINATION_KEYS;
        };
    }

    @Override
    public Source createSource(PluginConfig config) throws ConfigException, IOException {
        ScanSettings scanning = ScanSettings.parse(config);
        java.util.Optional<NotificationSettings> notifications = NotificationSettings.parse(config,
                config.optionalString("region").map(String::trim).orElse(S3Settings.DEFAULT_REGION));
        if (notifications.isPresent() && scanning.cursor()) {
            config.problem(ScanSettings.CURSOR, "does not apply with notifications (a notified source is not scanned "
                    + "after a cursor)");
        }
        S3Connection connection = connect(config, PluginRole.SOURCE);
        LOG.info("s3 source '{}': bucket '{}' at {}, prefix '{}'{}", config.name(), connection.settings().bucket(),
                connection.settings().endpointLabel(), connection.settings().prefix(),
                connection.settings().recursive() ? "" : ", top level only");
        notifications.ifPresent(n -> LOG.info("s3 source '{}': notifications from {}", config.name(), n.origin()));
        return new S3Source(connection, null, scanning, java.time.Clock.systemUTC(), notifications.orElse(null));
    }

    @Override
    public Destination createDestination(PluginConfig config) throws ConfigException, IOException {
        S3Connection connection = connect(config, PluginRole.DESTINATION);
        S3Settings s = connection.settings();
        LOG.info("s3 destination '{}': bucket '{}' at {}, prefix '{}', parts of {} from {}, {} at once{}{}", config.name(),
                s.bucket(), s.endpointLabel(), s.prefix(), S3Settings.human(s.partSize()),
                S3Settings.human(s.multipartThreshold()), s.uploadConcurrency(),
                s.serverSideCopy() ? ", server-side copy" : "",
                s.metafilesPrefix() == null ? "" : ", markers under '" + s.metafilesPrefix() + "'");
        return new S3Destination(connection);
    }

    /**
     * Parses and checks the configuration, builds the client and checks the bucket.
     *
     * @param config the keys of one entry
     * @param role source or destination
     * @return the connection, owned by the caller
     * @throws ConfigException every problem of the keys, or the bucket's
     * @throws IOException if S3 cannot be reached
     */
    static S3Connection connect(PluginConfig config, PluginRole role) throws ConfigException, IOException {
        S3Settings settings = S3Settings.parse(config, role);
        config.validate();
        S3Connection connection;
        try {
            connection = S3Connection.open(settings);
        } catch (RuntimeException e) {
            throw new ConfigException("endpoint: cannot configure an S3 client for " + settings.endpointLabel() + ": "
                    + e.getMessage());
        }
        try {
            connection.checkBucket();
            return connection;
        } catch (ConfigException | IOException | RuntimeException | Error e) {
            connection.close();
            throw e;
        }
    }
}
