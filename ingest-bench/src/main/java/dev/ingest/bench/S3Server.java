package dev.ingest.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.slf4j.LoggerFactory;

/**
 * An in-memory S3 server in this JVM: s3proxy on its {@code transient-nio2} blob store (objects live on the heap),
 * on a free loopback port, path-style, with fixed credentials (AWS signature v2 or v4). Its loggers and Jetty's
 * are at WARN: at s3proxy's default DEBUG level every request is logged and the server is about ten times
 * slower.
 *
 * <p>With TLS it serves https only, with a fresh self-signed certificate for 127.0.0.1 (made with the JDK's
 * {@code keytool}); {@link #trustStore()} and {@link #caCertPem()} let clients verify it.
 */
final class S3Server implements AutoCloseable {

    static final String ACCESS_KEY = "ingest-bench-access-key";
    static final String SECRET_KEY = "ingest-bench-secret-key-not-a-real-one";
    static final String REGION = "us-east-1";

    private static final String[] NOISY_LOGGERS = {"org.gaul", "org.eclipse.jetty", "org.gaul.shaded.org.eclipse.jetty",
        "org.jclouds", "jclouds"};

    /** The password of the generated key and trust stores (throwaway files of a benchmark run). */
    static final String STORE_PASSWORD = "ingest-bench";

    private final BlobStore blobStore;
    private final S3Proxy proxy;
    private final URI endpoint;
    private final Path trustStore;
    private final Path caCertPem;

    private S3Server(BlobStore blobStore, S3Proxy proxy, URI endpoint, Path trustStore, Path caCertPem) {
        this.blobStore = blobStore;
        this.proxy = proxy;
        this.endpoint = endpoint;
        this.trustStore = trustStore;
        this.caCertPem = caCertPem;
    }

    /**
     * Starts the server.
     *
     * @param tlsDir null for plain http; else https, with the certificate files written to this directory
     * @return the running server
     * @throws Exception if it does not start within 30 seconds
     */
    static S3Server start(Path tlsDir) throws Exception {
        quietLogging();
        Properties properties = new Properties();
        properties.setProperty("jclouds.identity", ACCESS_KEY);
        properties.setProperty("jclouds.credential", SECRET_KEY);
        BlobStore store = BlobStores.create("transient-nio2", properties);
        S3Proxy.Builder builder = S3Proxy.builder()
                .blobStore(store)
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .ignoreUnknownHeaders(true)
                .stopTimeout(1000);
        Path trust = null;
        Path pem = null;
        if (tlsDir == null) {
            builder.endpoint(URI.create("http://127.0.0.1:0"));
        } else {
            Path keyStore = tlsDir.resolve("s3-server.p12");
            trust = tlsDir.resolve("s3-trust.p12");
            pem = tlsDir.resolve("s3-ca.pem");
            makeCertificate(keyStore, trust, pem);
            builder.secureEndpoint(URI.create("https://127.0.0.1:0")).keyStore(keyStore.toString(), STORE_PASSWORD);
        }
        S3Proxy proxy = builder.build();
        proxy.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                proxy.stop();
                store.close();
                throw new IllegalStateException("s3proxy did not start within 30 s (state " + proxy.getState() + ")");
            }
            Thread.sleep(5);
        }
        URI endpoint = tlsDir == null ? URI.create("http://127.0.0.1:" + proxy.getPort())
                : URI.create("https://127.0.0.1:" + proxy.getSecurePort());
        return new S3Server(store, proxy, endpoint, trust, pem);
    }

    /** A self-signed EC certificate for 127.0.0.1: the server's key store, a trust store and the PEM. */
    private static void makeCertificate(Path keyStore, Path trustStore, Path pem) throws IOException, InterruptedException {
        String keytool = Paths.get(System.getProperty("java.home"), "bin", "keytool").toString();
        for (Path p : List.of(keyStore, trustStore, pem)) {
            Files.deleteIfExists(p);
        }
        keytool(keytool, "-genkeypair", "-alias", "s3", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-validity", "2",
                "-keystore", keyStore.toString(), "-storetype", "PKCS12",
                "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD);
        keytool(keytool, "-exportcert", "-rfc", "-alias", "s3", "-keystore", keyStore.toString(),
                "-storepass", STORE_PASSWORD, "-file", pem.toString());
        keytool(keytool, "-importcert", "-noprompt", "-alias", "s3", "-file", pem.toString(),
                "-keystore", trustStore.toString(), "-storetype", "PKCS12", "-storepass", STORE_PASSWORD);
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(new ArrayList<>(List.of(args))).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool failed: " + String.join(" ", args) + "\n" + out);
        }
    }

    /** @return the trust store (PKCS12, password {@value #STORE_PASSWORD}) of the https server, or null for http */
    Path trustStore() {
        return trustStore;
    }

    /** @return the https server's certificate as PEM, or null for http */
    Path caCertPem() {
        return caCertPem;
    }

    /** @return JVM options that make a client trust the https server; empty for http */
    String trustOptions() {
        return trustStore == null ? "" : "-Djavax.net.ssl.trustStore=" + trustStore
                + " -Djavax.net.ssl.trustStorePassword=" + STORE_PASSWORD + " -Djavax.net.ssl.trustStoreType=PKCS12";
    }

    /** Sets s3proxy's, Jetty's and jclouds' loggers to WARN (logback.xml does so too; this also covers a custom one). */
    private static void quietLogging() {
        if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext logback) {
            for (String name : NOISY_LOGGERS) {
                ch.qos.logback.classic.Logger logger = logback.getLogger(name);
                if (logger.getLevel() == null || !logger.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN)) {
                    logger.setLevel(ch.qos.logback.classic.Level.WARN);
                }
            }
        }
    }

    /** @return {@code http://127.0.0.1:PORT}, or {@code https://...} with TLS */
    URI endpoint() {
        return endpoint;
    }

    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("stopping s3proxy failed", e);
        } finally {
            blobStore.close();
        }
    }
}
