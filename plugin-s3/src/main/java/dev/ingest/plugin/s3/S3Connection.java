package dev.ingest.plugin.s3;

import dev.ingest.api.ConfigException;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.utils.SdkAutoCloseable;

/**
 * One configured S3 client and what it talks to: builds the client from {@link S3Settings}, checks the bucket
 * at start-up and closes everything once.
 *
 * <p>HTTP: a pool of {@code maxConnections} connections (64 by default; a running copy holds one for its download
 * and up to {@code uploadConcurrency} for its parts), kept alive and reused across requests, a
 * {@value #CONNECT_TIMEOUT_SECONDS} s connect timeout, a {@value #SOCKET_TIMEOUT_SECONDS} s read timeout and
 * at most {@value #MAX_ATTEMPTS} attempts per request: ingest retries whole objects with its own backoff, so the
 * SDK only smooths over brief hiccups.
 *
 * <p>Checksums are computed and validated only where S3 requires them ({@code WHEN_REQUIRED}; since SDK 2.30 the
 * default is to compute a CRC32 of every upload): S3-compatible stores differ in their support of the newer
 * checksum trailers, and content lengths are checked on both ends anyway. Nothing is asked per operation beyond
 * the operation itself: the bucket is checked once, at start-up.
 *
 * <p>Thread-safe; the client is shared by all threads of a source or destination.
 */
final class S3Connection implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(S3Connection.class);

    static final int CONNECT_TIMEOUT_SECONDS = 10;
    static final int SOCKET_TIMEOUT_SECONDS = 60;
    static final int ACQUIRE_TIMEOUT_SECONDS = 60;
    static final int MAX_ATTEMPTS = 3;

    private final S3Settings settings;
    private final S3Client client;
    private final AwsCredentialsProvider credentials;
    private final AtomicBoolean closed = new AtomicBoolean();

    private S3Connection(S3Settings settings, S3Client client, AwsCredentialsProvider credentials) {
        this.settings = settings;
        this.client = client;
        this.credentials = credentials;
    }

    /**
     * Builds the client. Contacts nothing.
     *
     * @param settings validated settings
     * @return the connection; the caller closes it
     */
    static S3Connection open(S3Settings settings) {
        AwsCredentialsProvider credentials = credentialsProvider(settings);
        try {
            Apache5HttpClient.Builder http = Apache5HttpClient.builder()
                    .maxConnections(settings.maxConnections())
                    .connectionTimeout(Duration.ofSeconds(CONNECT_TIMEOUT_SECONDS))
                    .socketTimeout(Duration.ofSeconds(SOCKET_TIMEOUT_SECONDS))
                    .connectionAcquisitionTimeout(Duration.ofSeconds(ACQUIRE_TIMEOUT_SECONDS))
                    .tcpKeepAlive(true);
            if (settings.endpoint() != null && "http".equalsIgnoreCase(settings.endpoint().getScheme())) {
                http.tlsSocketStrategy(new LazyTls());
            }
            S3ClientBuilder builder = S3Client.builder()
                    .region(Region.of(settings.region()))
                    .credentialsProvider(credentials)
                    .forcePathStyle(settings.pathStyle())
                    .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                    .httpClientBuilder(http)
                    .overrideConfiguration(o -> o.retryStrategy(r -> r.maxAttempts(MAX_ATTEMPTS)));
            if (settings.endpoint() != null) {
                builder.endpointOverride(settings.endpoint());
            }
            if (!settings.signPayload()) {
                builder.putAuthScheme(new UnsignedPayloads());
            }
            return new S3Connection(settings, builder.build(), credentials);
        } catch (RuntimeException e) {
            closeQuietly(credentials);
            throw e;
        }
    }

    static AwsCredentialsProvider credentialsProvider(S3Settings settings) {
        S3Settings.Credentials c = settings.credentials();
        if (c == null) {
            return DefaultCredentialsProvider.builder().build();
        }
        return StaticCredentialsProvider.create(c.sessionToken() == null
                ? AwsBasicCredentials.create(c.accessKeyId(), c.secretAccessKey())
                : AwsSessionCredentials.create(c.accessKeyId(), c.secretAccessKey(), c.sessionToken()));
    }

    /**
     * Threads for the plugin's own work (upload parts, listing ahead): daemon threads named {@code prefix} and a
     * number, with the plugin's class loader as their context class loader, as the engine sets it for calls into
     * the plugin.
     *
     * @param prefix the threads' names without their number, e.g. {@code s3-parts-dst-1-}
     * @return the factory
     */
    static ThreadFactory daemonThreads(String prefix) {
        ClassLoader loader = S3Connection.class.getClassLoader();
        AtomicInteger count = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + count.incrementAndGet());
            t.setDaemon(true);
            t.setContextClassLoader(loader);
            return t;
        };
    }

    /** @return the client */
    S3Client client() {
        return client;
    }

    /** @return the settings it was built from */
    S3Settings settings() {
        return settings;
    }

    /**
     * Checks that the bucket exists and the credentials may use it: a listing of at most one key
     * ({@code ListObjectsV2}, which needs the same permission as {@code HeadBucket}). Unlike {@code HeadBucket} it
     * also sets up the SDK's XML parsing, which the first scan or inventory would otherwise do on its own time.
     *
     * @throws ConfigException naming the bucket and endpoint if the bucket does not exist, the credentials are
     *     refused or missing, or the bucket is in another region
     * @throws IOException naming the endpoint if it cannot be reached or fails
     */
    void checkBucket() throws ConfigException, IOException {
        String bucket = settings.bucket();
        String where = settings.endpointLabel();
        if (settings.credentials() == null) {
            try {
                credentials.resolveCredentials();
            } catch (SdkException e) {
                throw new ConfigException("accessKeyID: not set, and the AWS default credentials chain found no "
                        + "credentials for bucket '" + bucket + "' at " + where + ": " + e.getMessage());
            }
        }
        try {
            client.listObjectsV2(b -> b.bucket(bucket).maxKeys(1));
        } catch (SdkClientException e) {
            if (S3Errors.interrupted(e)) {
                throw S3Errors.interruption("checking bucket '" + bucket + "' at " + where, e);
            }
            throw new IOException("cannot reach S3 endpoint " + where + " to check bucket '" + bucket + "': "
                    + S3Errors.describe(e), e);
        } catch (SdkException e) {
            int status = S3Errors.status(e);
            String answer = S3Errors.describe(e);
            switch (status) {
                case 404 -> throw new ConfigException("bucket: bucket '" + bucket + "' does not exist at " + where);
                case 401, 403 -> throw new ConfigException("bucket: access to bucket '" + bucket + "' at " + where
                        + " was refused (" + answer + "); check accessKeyID and secretAccessKey"
                        + (settings.credentials() == null ? " (none set: the AWS default credentials chain was used)" : "")
                        + " and that they may list the bucket");
                case 301, 307 -> {
                    Optional<String> actual = bucketRegion(e);
                    throw new ConfigException(actual.isPresent()
                            ? "region: bucket '" + bucket + "' at " + where + " is in region '" + actual.get()
                                    + "', not '" + settings.region() + "'"
                            : "region: bucket '" + bucket + "' at " + where + " is not in region '" + settings.region()
                                    + "' (" + answer + ")");
                }
                case 400 -> throw new ConfigException("bucket: " + where + " rejected the request for bucket '" + bucket
                        + "' (" + answer + "); check region, pathStyle and the endpoint");
                default -> {
                    if (status >= 500 || status == 429) {
                        throw new IOException("S3 endpoint " + where + " failed to check bucket '" + bucket + "': "
                                + answer, e);
                    }
                    throw new ConfigException("bucket: checking bucket '" + bucket + "' at " + where
                            + " failed: " + answer);
                }
            }
        }
    }

    private static Optional<String> bucketRegion(SdkException e) {
        if (e instanceof software.amazon.awssdk.awscore.exception.AwsServiceException a && a.awsErrorDetails() != null
                && a.awsErrorDetails().sdkHttpResponse() != null) {
            return a.awsErrorDetails().sdkHttpResponse().firstMatchingHeader("x-amz-bucket-region");
        }
        return Optional.empty();
    }

    /** Closes the client and its connections. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                client.close();
            } finally {
                closeQuietly(credentials);
            }
        }
    }

    private static void closeQuietly(AwsCredentialsProvider provider) {
        if (provider instanceof SdkAutoCloseable c) {
            try {
                c.close();
            } catch (RuntimeException e) {
                LOG.debug("closing the credentials provider failed: {}", e.toString());
            }
        }
    }
}
