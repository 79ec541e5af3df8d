package dev.ingest.plugin.s3;

import dev.ingest.api.PluginConfig;
import dev.ingest.api.PluginRole;
import dev.ingest.api.Secrets;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parsed configuration of one S3 source or destination. Parsing records every problem in the
 * {@link PluginConfig}; the provider calls {@link PluginConfig#validate()} afterwards.
 *
 * <p>Immutable. {@link #toString()} never shows the secret key or session token.
 *
 * @param name the configured name of the source or destination
 * @param endpoint the S3 endpoint with its scheme, or {@code null} for AWS
 * @param region the region requests are signed for
 * @param pathStyle whether buckets go in the path ({@code http://host/bucket/key}) rather than the host name
 * @param bucket the bucket
 * @param prefix the key prefix (source: listed keys start with it; destination: keys are put under it); may be
 *     empty
 * @param recursive source only: list every key under the prefix (true) or only the first level below it
 * @param credentials the static credentials, or {@code null} for the SDK's default credentials chain
 * @param metafilesPrefix destination only: where the {@code .done} markers go; {@code null} for no markers
 * @param partSize destination only: the size of each part of a multipart upload
 * @param multipartThreshold destination only: objects of at least this many bytes (or of unknown length) are
 *     uploaded in parts
 * @param uploadConcurrency destination only: how many parts of one object are uploaded (or copied) at once
 * @param serverSideCopy destination only: copy objects of a source in the same {@link #realm() realm} within S3
 *     rather than streaming them
 * @param copyPartSize destination only: server-side copies larger than this are copied in parts of (at least)
 *     this size; smaller ones with one {@code CopyObject}
 * @param maxConnections the size of the HTTP connection pool
 * @param signPayload destination only: sign uploaded bytes over plain http too (SigV4 streaming signatures); over
 *     https they are never signed, TLS protects them
 * @param listByPrefix list folder by folder ({@code /} as the delimiter, each common prefix on its own) rather than
 *     all keys in one listing; the same keys in the same order
 * @param listConcurrency with {@code listByPrefix}: how many {@code ListObjectsV2} requests one listing has in flight
 *     at once (the folders next in the order listed ahead); 1 lists one folder after another. At most
 *     {@code maxConnections}
 */
record S3Settings(
        String name,
        URI endpoint,
        String region,
        boolean pathStyle,
        String bucket,
        String prefix,
        boolean recursive,
        Credentials credentials,
        String metafilesPrefix,
        int partSize,
        long multipartThreshold,
        int uploadConcurrency,
        boolean serverSideCopy,
        long copyPartSize,
        int maxConnections,
        boolean signPayload,
        boolean listByPrefix,
        int listConcurrency) {

    static final long KIB = 1024;
    static final long MIB = 1024 * KIB;
    static final long GIB = 1024 * MIB;

    /** S3's smallest part (except the last). */
    static final long MIN_PART_SIZE = 5 * MIB;
    /** The largest part this plugin buffers (S3 allows 5 GiB; parts are held in memory here). */
    static final long MAX_PART_SIZE = GIB;
    /** S3's largest single PUT. */
    static final long MAX_SINGLE_PUT = 5 * GIB;
    static final long DEFAULT_PART_SIZE = 8 * MIB;
    /**
     * Objects below this size go with one streamed PUT: no part buffers, one connection, one request. Parallel
     * parts pay off above it, where one connection's throughput becomes the limit (rclone's cut-off too).
     */
    static final long DEFAULT_MULTIPART_THRESHOLD = 200 * MIB;
    /** S3's largest part, and its largest CopyObject source. */
    static final long MAX_COPY_PART_SIZE = 5 * GIB;
    static final int DEFAULT_UPLOAD_CONCURRENCY = 4;
    static final int MAX_UPLOAD_CONCURRENCY = 64;
    static final int DEFAULT_MAX_CONNECTIONS = 64;
    static final int MAX_MAX_CONNECTIONS = 4096;
    static final int DEFAULT_LIST_CONCURRENCY = 8;
    static final int MAX_LIST_CONCURRENCY = 64;
    static final String DEFAULT_REGION = "us-east-1";

    private static final Pattern REGION = Pattern.compile("[a-z0-9][a-z0-9-]*[a-z0-9]");

    /**
     * Static credentials.
     *
     * @param accessKeyId the access key id
     * @param secretAccessKey the secret key; never logged
     * @param sessionToken the session token, or {@code null}; never logged
     */
    record Credentials(String accessKeyId, String secretAccessKey, String sessionToken) {
        @Override
        public String toString() {
            return "Credentials[accessKeyId=" + accessKeyId + ", secretAccessKey=****"
                    + (sessionToken == null ? "" : ", sessionToken=****") + "]";
        }
    }

    /**
     * Reads and checks every key, recording all problems in {@code config}.
     *
     * @param config the plugin configuration
     * @param role whether this is a source or a destination
     * @return the settings; meaningful only if {@code config} recorded no problem
     */
    static S3Settings parse(PluginConfig config, PluginRole role) {
        URI endpoint = endpoint(config);
        String region = config.optionalString("region").map(String::trim).orElse(DEFAULT_REGION);
        if (!REGION.matcher(region).matches()) {
            config.problem("region", "'" + region + "' is not a region name (such as us-east-1 or eu-central-1)");
        }
        boolean pathStyle = config.bool("pathStyle", endpoint != null);
        String bucket = config.string("bucket").trim();
        if (!bucket.isEmpty() && (bucket.contains("/") || bucket.chars().anyMatch(Character::isWhitespace))) {
            config.problem("bucket", "'" + bucket + "' is not a bucket name (no '/' or spaces; put folders in prefix)");
        }
        String prefix = config.optionalString("prefix").orElse("");
        boolean recursive = config.bool("recursive", true); // accepted for destinations too, as in the original
        boolean listByPrefix = config.bool("listByPrefix", false);
        Credentials credentials = credentials(config);

        int maxConnections = (int) bounded(config, "maxConnections", DEFAULT_MAX_CONNECTIONS, 1, MAX_MAX_CONNECTIONS);
        int listConcurrency = listConcurrency(config, maxConnections);

        String metafilesPrefix = null;
        int partSize = (int) DEFAULT_PART_SIZE;
        long threshold = DEFAULT_PART_SIZE;
        int uploadConcurrency = DEFAULT_UPLOAD_CONCURRENCY;
        boolean serverSideCopy = false;
        long copyPartSize = MAX_COPY_PART_SIZE;
        boolean signPayload = false;
        if (role == PluginRole.DESTINATION) {
            signPayload = config.bool("signPayload", false);
            metafilesPrefix = config.optionalString("metafilesPrefix").orElse(null);
            long part = size(config, "partSize", DEFAULT_PART_SIZE, MIN_PART_SIZE, MAX_PART_SIZE);
            partSize = (int) part;
            threshold = size(config, "multipartThreshold", Math.max(part, DEFAULT_MULTIPART_THRESHOLD), 0, MAX_SINGLE_PUT);
            uploadConcurrency = (int) bounded(config, "uploadConcurrency", DEFAULT_UPLOAD_CONCURRENCY, 1,
                    MAX_UPLOAD_CONCURRENCY);
            serverSideCopy = config.bool("serverSideCopy", true);
            copyPartSize = size(config, "copyPartSize", MAX_COPY_PART_SIZE, MIN_PART_SIZE, MAX_COPY_PART_SIZE);
        }
        return new S3Settings(config.name(), endpoint, region, pathStyle, bucket, prefix, recursive, credentials,
                metafilesPrefix, partSize, threshold, uploadConcurrency, serverSideCopy, copyPartSize, maxConnections,
                signPayload, listByPrefix, listConcurrency);
    }

    /**
     * {@code listConcurrency}: 1 to {@value #MAX_LIST_CONCURRENCY}, and no more than the connection pool holds (the
     * default, {@value #DEFAULT_LIST_CONCURRENCY}, is lowered to {@code maxConnections} when the pool is smaller).
     */
    private static int listConcurrency(PluginConfig config, int maxConnections) {
        if (!config.has("listConcurrency")) {
            return Math.min(DEFAULT_LIST_CONCURRENCY, maxConnections);
        }
        int n = (int) bounded(config, "listConcurrency", DEFAULT_LIST_CONCURRENCY, 1, MAX_LIST_CONCURRENCY);
        if (n > maxConnections) {
            config.problem("listConcurrency", "must be at most maxConnections (" + maxConnections + "), got " + n
                    + ": each request of a listing holds a connection");
            return Math.min(DEFAULT_LIST_CONCURRENCY, maxConnections);
        }
        return n;
    }

    /** A whole number between {@code min} and {@code max}; records a problem otherwise. */
    private static long bounded(PluginConfig config, String key, long defaultValue, long min, long max) {
        long n = config.number(key, defaultValue, min);
        if (n > max) {
            config.problem(key, "must be at most " + max + ", got " + n);
            return defaultValue;
        }
        return n;
    }

    /**
     * Who stores the objects and who may read them: the endpoint (its scheme, host and port, or {@code aws}), the
     * region and the access key id (or the default credentials chain), hashed. Two sources or destinations of one
     * process with the same realm reach the same store with the same identity, so an object one can read the
     * other can copy within S3. Never contains a secret, nor (being a hash) the access key id.
     *
     * @return {@code s3:} and a SHA-256 in hex
     */
    String realm() {
        String where = endpoint == null ? "aws" : normalised(endpoint);
        String who = credentials == null ? "default-credentials-chain" : "key=" + credentials.accessKeyId();
        String joined = "endpoint=" + where + "\nregion=" + region + "\n" + who;
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            return "s3:" + HexFormat.of().formatHex(sha.digest(joined.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /** {@code scheme://host:port} in lower case, with the scheme's default port written out. */
    private static String normalised(URI endpoint) {
        String scheme = endpoint.getScheme().toLowerCase(Locale.ROOT);
        int port = endpoint.getPort() >= 0 ? endpoint.getPort() : scheme.equals("http") ? 80 : 443;
        return scheme + "://" + endpoint.getHost().toLowerCase(Locale.ROOT) + ":" + port;
    }

    /**
     * Where requests go, for messages: the endpoint URL, or AWS and the region.
     *
     * @return for example {@code http://127.0.0.1:9000} or {@code AWS S3 (us-east-1)}
     */
    String endpointLabel() {
        return endpoint != null ? endpoint.toString() : "AWS S3 (" + region + ")";
    }

    private static URI endpoint(PluginConfig config) {
        Optional<String> value = config.optionalString("endpoint").map(String::trim);
        boolean insecure = config.bool("insecure", false);
        if (value.isEmpty()) {
            if (insecure) {
                config.problem("insecure", "only applies to an endpoint given without a scheme; AWS is always reached over https");
            }
            return null;
        }
        String url0 = value.get();
        boolean hasScheme = url0.contains("://");
        String url = hasScheme ? url0 : (insecure ? "http://" : "https://") + url0;
        String raw = Secrets.redactUrl(url0); // for messages: never echo a password
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            config.problem("endpoint", "'" + raw + "' is not host[:port] or an http(s) URL: " + e.getReason());
            return null;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            config.problem("endpoint", "'" + raw + "' must use http or https, not '" + scheme + "'");
            return null;
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            config.problem("endpoint", "'" + raw + "' has no host name (write host[:port] or http(s)://host[:port])");
            return null;
        }
        if (uri.getRawUserInfo() != null) {
            config.problem("endpoint", "'" + raw + "' must not carry credentials; use accessKeyID and secretAccessKey");
            return null;
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        if (!path.isEmpty() && !path.equals("/") || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            config.problem("endpoint", "'" + raw + "' must be just host[:port] or a scheme, host and port; put folders in prefix");
            return null;
        }
        if (hasScheme && insecure && scheme.equals("https")) {
            config.problem("insecure", "contradicts endpoint '" + raw + "', which says https; drop one of them");
        }
        try {
            return new URI(scheme, null, uri.getHost(), uri.getPort(), null, null, null);
        } catch (URISyntaxException e) {
            config.problem("endpoint", "'" + raw + "' is not a valid URL: " + e.getReason());
            return null;
        }
    }

    private static Credentials credentials(PluginConfig config) {
        Optional<String> accessKey = config.optionalString("accessKeyID").map(String::trim);
        Optional<String> secretKey = config.optionalString("secretAccessKey");
        Optional<String> token = config.optionalString("sessionToken");
        if (accessKey.isPresent() && secretKey.isEmpty() && !config.has("secretAccessKey")) {
            config.problem("secretAccessKey", "is required with accessKeyID");
        }
        if (secretKey.isPresent() && accessKey.isEmpty() && !config.has("accessKeyID")) {
            config.problem("accessKeyID", "is required with secretAccessKey");
        }
        if (token.isPresent() && (accessKey.isEmpty() || secretKey.isEmpty())) {
            config.problem("sessionToken", "needs accessKeyID and secretAccessKey too");
        }
        if (accessKey.isPresent() && secretKey.isPresent()) {
            return new Credentials(accessKey.get(), secretKey.get(), token.orElse(null));
        }
        return null;
    }

    /**
     * A byte size: a whole number of bytes, or a number with KiB, MiB or GiB (K, M, G, KB, MB and GB mean the
     * same binary units). Records a problem when the value is not a size or is out of bounds.
     *
     * @param config the configuration
     * @param key the key
     * @param defaultValue the value when the key is absent or wrong
     * @param min the smallest allowed size
     * @param max the largest allowed size
     * @return the size in bytes
     */
    static long size(PluginConfig config, String key, long defaultValue, long min, long max) {
        return config.size(key, defaultValue, min, max);
    }

    /**
     * A byte count in the largest binary unit that divides it.
     *
     * @param n bytes
     * @return e.g. {@code 16 MiB} or {@code 1000 bytes}
     */
    static String human(long n) {
        if (n >= GIB && n % GIB == 0) {
            return n / GIB + " GiB";
        }
        if (n >= MIB && n % MIB == 0) {
            return n / MIB + " MiB";
        }
        if (n >= KIB && n % KIB == 0) {
            return n / KIB + " KiB";
        }
        return n + " bytes";
    }

    @Override
    public String toString() {
        return "S3Settings[" + name + ": s3://" + bucket + "/" + prefix + " at " + endpointLabel()
                + (pathStyle ? ", path-style" : "") + (credentials == null ? ", default credentials" : ", " + credentials)
                + (metafilesPrefix == null ? "" : ", markers under " + metafilesPrefix) + ", " + maxConnections
                + " connections]";
    }
}
