package dev.ingest.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A real S3 API server for a test class: <a href="https://github.com/gaul/s3proxy">s3proxy</a> in this JVM on
 * a free loopback port, with fixed credentials (AWS signature v2 or v4) and a blob store either on disk (a
 * temporary directory, the default: large objects cost no heap) or in memory. Started before all tests,
 * stopped after them, its data deleted.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final S3ServerExtension S3 = new S3ServerExtension();
 *
 * @Test
 * void stores() {
 *     String bucket = S3.createBucket();           // a fresh bucket for this test
 *     ... S3.endpoint(), S3.accessKey(), S3.secretKey() ...
 *     assertThat(S3.keys(bucket)).containsExactly("a.txt");
 * }
 * }</pre>
 *
 * <p>The server speaks path-style requests only ({@code http://127.0.0.1:PORT/bucket/key}). Its loggers and
 * Jetty's are set to WARN when Logback is the SLF4J backend: at s3proxy's default DEBUG level every request
 * is logged and the server is about ten times slower.
 *
 * <p>Thread-safety: the accessors and {@link #client()} may be used from any thread once the server runs.
 * Register the extension on a static field; {@code @Nested} classes share the outer class's server.
 */
public final class S3ServerExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {

    /** The access key the server accepts. */
    public static final String ACCESS_KEY = "ingest-test-access-key";
    /** The secret key the server accepts. Not a real credential. */
    public static final String SECRET_KEY = "ingest-test-secret-key-not-a-real-one";
    /** The region clients should sign for. */
    public static final String REGION = "us-east-1";

    private static final AtomicInteger BUCKETS = new AtomicInteger();
    private static final String[] NOISY_LOGGERS = {"org.gaul", "org.eclipse.jetty", "org.gaul.shaded.org.eclipse.jetty"};

    private final boolean inMemory;
    private int users;
    private Path dataDir;
    private BlobStore blobStore;
    private S3Proxy proxy;
    private URI endpoint;
    private S3Client client;

    /** A server whose blob store lives in a temporary directory. */
    public S3ServerExtension() {
        this(false);
    }

    private S3ServerExtension(boolean inMemory) {
        this.inMemory = inMemory;
    }

    /**
     * A server whose blob store lives on the heap (s3proxy's {@code transient-nio2}): fastest for many small
     * objects, unsuited to large ones.
     *
     * @return the extension
     */
    public static S3ServerExtension inMemory() {
        return new S3ServerExtension(true);
    }

    /**
     * A server whose blob store lives in a temporary directory (s3proxy's {@code filesystem-nio2}).
     *
     * @return the extension
     */
    public static S3ServerExtension onDisk() {
        return new S3ServerExtension(false);
    }

    @Override
    public synchronized void beforeAll(ExtensionContext context) throws Exception {
        if (users++ > 0) {
            return; // a @Nested class: the outer class's server is running
        }
        try {
            start();
        } catch (Exception | Error e) {
            users = 0;
            stop();
            throw e;
        }
    }

    @Override
    public synchronized void afterAll(ExtensionContext context) {
        if (users > 0 && --users == 0) {
            stop();
        }
    }

    private void start() throws Exception {
        quietLogging();
        Properties properties = new Properties();
        properties.setProperty("jclouds.identity", ACCESS_KEY);
        properties.setProperty("jclouds.credential", SECRET_KEY);
        if (inMemory) {
            blobStore = BlobStores.create("transient-nio2", properties);
        } else {
            dataDir = Files.createTempDirectory("ingest-s3-");
            properties.setProperty("jclouds.filesystem.basedir", dataDir.toString());
            blobStore = BlobStores.create("filesystem-nio2", properties);
        }
        proxy = S3Proxy.builder()
                .blobStore(blobStore)
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .ignoreUnknownHeaders(true)
                .stopTimeout(1000)
                .build();
        proxy.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("s3proxy did not start within 30 s (state " + proxy.getState() + ")");
            }
            Thread.sleep(5);
        }
        endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
        client = newClient();
    }

    private void stop() {
        if (client != null) {
            client.close();
            client = null;
        }
        if (proxy != null) {
            try {
                proxy.stop();
            } catch (Exception e) {
                throw new IllegalStateException("stopping s3proxy failed", e);
            } finally {
                proxy = null;
                endpoint = null;
                closeBlobStore();
            }
        } else {
            closeBlobStore();
        }
    }

    private void closeBlobStore() {
        if (blobStore != null) {
            blobStore.close();
            blobStore = null;
        }
        if (dataDir != null) {
            deleteRecursively(dataDir);
            dataDir = null;
        }
    }

    /** Turns s3proxy's and Jetty's loggers down to WARN when Logback is the SLF4J backend. */
    private static void quietLogging() {
        if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext logback) {
            for (String name : NOISY_LOGGERS) {
                ch.qos.logback.classic.Logger logger = logback.getLogger(name);
                if (logger.getLevel() == null || !logger.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN)) {
                    logger.setLevel(ch.qos.logback.classic.Level.WARN); // keeps an explicit ERROR or OFF
                }
            }
        }
    }

    private void requireRunning() {
        if (endpoint == null) {
            throw new IllegalStateException("the S3 server is started before all tests; register the extension "
                    + "on a static field with @RegisterExtension");
        }
    }

    /** @return the server's base URL, {@code http://127.0.0.1:PORT} */
    public String endpoint() {
        requireRunning();
        return endpoint.toString();
    }

    /** @return the server's base URL as a URI */
    public URI endpointUri() {
        requireRunning();
        return endpoint;
    }

    /** @return the server's port */
    public int port() {
        requireRunning();
        return endpoint.getPort();
    }

    /** @return the access key the server accepts ({@value #ACCESS_KEY}) */
    public String accessKey() {
        return ACCESS_KEY;
    }

    /** @return the secret key the server accepts */
    public String secretKey() {
        return SECRET_KEY;
    }

    /** @return the region to sign requests for ({@value #REGION}) */
    public String region() {
        return REGION;
    }

    /**
     * A client for assertions and test data: path-style, signed with the server's credentials. Owned by the
     * extension (do not close it); thread-safe.
     *
     * @return the client
     */
    public S3Client client() {
        requireRunning();
        return client;
    }

    /**
     * A new client of the server, for tests that need their own settings. The caller closes it.
     *
     * @return the client
     */
    public S3Client newClient() {
        requireRunning();
        return S3Client.builder()
                .endpointOverride(endpoint)
                .region(Region.of(REGION))
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .httpClientBuilder(Apache5HttpClient.builder().maxConnections(64))
                .build();
    }

    /**
     * Creates a bucket with a fresh, unique name.
     *
     * @return its name, such as {@code test-3-5f2a9c}
     */
    public String createBucket() {
        String name = String.format(Locale.ROOT, "test-%d-%06x", BUCKETS.incrementAndGet(),
                ThreadLocalRandom.current().nextInt(1 << 24));
        client().createBucket(b -> b.bucket(name));
        return name;
    }

    /**
     * Stores a small object.
     *
     * @param bucket the bucket
     * @param key the key
     * @param content the content, stored as UTF-8
     */
    public void put(String bucket, String key, String content) {
        client().putObject(b -> b.bucket(bucket).key(key).contentType("text/plain"),
                RequestBody.fromString(content, StandardCharsets.UTF_8));
    }

    /**
     * Reads a small object.
     *
     * @param bucket the bucket
     * @param key the key
     * @return its content as UTF-8
     */
    public String get(String bucket, String key) {
        return client().getObjectAsBytes(b -> b.bucket(bucket).key(key)).asString(StandardCharsets.UTF_8);
    }

    /**
     * Every key of a bucket, all pages.
     *
     * @param bucket the bucket
     * @return the keys in S3's (lexicographic) order
     */
    public List<String> keys(String bucket) {
        List<String> keys = new ArrayList<>();
        for (S3Object o : client().listObjectsV2Paginator(b -> b.bucket(bucket)).contents()) {
            keys.add(o.key());
        }
        return keys;
    }

    /**
     * The multipart uploads started in a bucket and neither completed nor aborted.
     *
     * @param bucket the bucket
     * @return the keys of the pending uploads
     */
    public List<String> pendingUploads(String bucket) {
        List<String> keys = new ArrayList<>();
        for (MultipartUpload u : client().listMultipartUploads(b -> b.bucket(bucket)).uploads()) {
            keys.add(u.key());
        }
        return keys;
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == S3ServerExtension.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext)
            throws ParameterResolutionException {
        return this;
    }

    private static void deleteRecursively(Path root) {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete the S3 server's data in " + root, e);
        }
    }

    @Override
    public String toString() {
        return "S3ServerExtension[" + (endpoint == null ? "stopped" : endpoint) + (inMemory ? ", in memory" : ", on disk") + "]";
    }
}
