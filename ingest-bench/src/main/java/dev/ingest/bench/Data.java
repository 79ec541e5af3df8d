package dev.ingest.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Test data on the S3 server through the AWS SDK v2: creates buckets, fills them with pseudo-random objects
 * generated while they are sent (never held in memory whole), lists and empties them.
 */
final class Data implements AutoCloseable {

    private static final int THREADS = 16;

    private final S3Client client;

    /**
     * @param endpoint the S3 server
     * @param trustStore for an https server with a self-signed certificate: a PKCS12 trust store with it
     *     (password {@link S3Server#STORE_PASSWORD}); null otherwise
     */
    Data(URI endpoint, java.nio.file.Path trustStore) {
        software.amazon.awssdk.http.apache5.Apache5HttpClient.Builder http = Apache5HttpClient.builder().maxConnections(64);
        if (trustStore != null) {
            http.tlsTrustManagersProvider(() -> trustManagers(trustStore));
        }
        this.client = S3Client.builder()
                .endpointOverride(endpoint)
                .region(Region.of(S3Server.REGION))
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(S3Server.ACCESS_KEY, S3Server.SECRET_KEY)))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .httpClientBuilder(http)
                .build();
    }

    private static javax.net.ssl.TrustManager[] trustManagers(java.nio.file.Path trustStore) {
        try (InputStream in = java.nio.file.Files.newInputStream(trustStore)) {
            java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
            ks.load(in, S3Server.STORE_PASSWORD.toCharArray());
            javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            return tmf.getTrustManagers();
        } catch (IOException | java.security.GeneralSecurityException e) {
            throw new IllegalStateException("cannot read the trust store " + trustStore + ": " + e, e);
        }
    }

    /** What a listing found. */
    record Listing(long objects, long bytes) {
    }

    void createBucket(String bucket) {
        client.createBucket(b -> b.bucket(bucket));
    }

    /**
     * The key of object {@code i}: spread over 100 "folders", as exports usually are.
     *
     * @param i the object's number
     * @return e.g. {@code d07/obj-0000107.bin}
     */
    static String key(int i) {
        return String.format(Locale.ROOT, "d%02d/obj-%07d.bin", i % 100, i);
    }

    /**
     * Puts {@code count} objects of {@code size} bytes each, 16 at a time.
     *
     * @param bucket the bucket
     * @param count how many objects
     * @param size the size of each
     * @throws IOException if a put fails
     */
    void fill(String bucket, int count, long size) throws IOException {
        if (count == 0) {
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(THREADS, count));
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < Math.min(THREADS, count); t++) {
                int first = t;
                futures.add(pool.submit(() -> {
                    for (int n = first; n < count; n += THREADS) {
                        int i = n;
                        long seed = bucket.hashCode() * 31L + i;
                        client.putObject(b -> b.bucket(bucket).key(key(i)).contentLength(size)
                                        .contentType("application/octet-stream"),
                                RequestBody.fromContentProvider(() -> new RandomStream(seed, size), size,
                                        "application/octet-stream"));
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while generating data", e);
        } catch (ExecutionException e) {
            throw new IOException("generating data in bucket " + bucket + " failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Lists every object (all pages).
     *
     * @param bucket the bucket
     * @return how many objects and bytes
     */
    Listing list(String bucket) {
        long n = 0;
        long bytes = 0;
        for (S3Object o : client.listObjectsV2Paginator(b -> b.bucket(bucket)).contents()) {
            n++;
            bytes += o.size();
        }
        return new Listing(n, bytes);
    }

    /**
     * Lists a bucket folder by folder ({@code /} as the delimiter, each common prefix on its own), as ingest's
     * {@code listByPrefix} and rclone's default walk do.
     *
     * @param bucket the bucket
     * @return what it holds
     */
    Listing listByFolder(String bucket) {
        long[] counts = new long[2];
        java.util.ArrayDeque<String> folders = new java.util.ArrayDeque<>(List.of(""));
        while (!folders.isEmpty()) {
            String folder = folders.pop();
            for (software.amazon.awssdk.services.s3.model.ListObjectsV2Response page : client.listObjectsV2Paginator(
                    b -> b.bucket(bucket).delimiter("/").prefix(folder.isEmpty() ? null : folder))) {
                for (S3Object o : page.contents()) {
                    counts[0]++;
                    counts[1] += o.size();
                }
                page.commonPrefixes().forEach(p -> folders.push(p.prefix()));
            }
        }
        return new Listing(counts[0], counts[1]);
    }

    /**
     * Deletes every object and pending upload of a bucket, then the bucket. A bucket that does not exist is fine.
     *
     * @param bucket the bucket
     */
    void deleteBucket(String bucket) {
        try {
            client.headBucket(b -> b.bucket(bucket));
        } catch (software.amazon.awssdk.services.s3.model.NoSuchBucketException e) {
            return;
        } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
            if (e.statusCode() == 404) {
                return;
            }
            throw e;
        }
        for (MultipartUpload u : client.listMultipartUploads(b -> b.bucket(bucket)).uploads()) {
            client.abortMultipartUpload(b -> b.bucket(bucket).key(u.key()).uploadId(u.uploadId()));
        }
        while (true) {
            List<ObjectIdentifier> page = new ArrayList<>();
            for (S3Object o : client.listObjectsV2(b -> b.bucket(bucket).maxKeys(1000)).contents()) {
                page.add(ObjectIdentifier.builder().key(o.key()).build());
            }
            if (page.isEmpty()) {
                break;
            }
            client.deleteObjects(b -> b.bucket(bucket).delete(d -> d.objects(page).quiet(true)));
        }
        client.deleteBucket(b -> b.bucket(bucket));
    }

    @Override
    public void close() {
        client.close();
    }

    /** A deterministic pseudo-random stream of a given length, generated as it is read. */
    static final class RandomStream extends InputStream {
        private final SplittableRandom random;
        private long remaining;
        private final byte[] chunk = new byte[8];
        private int chunkPos = 8;

        RandomStream(long seed, long length) {
            this.random = new SplittableRandom(seed);
            this.remaining = length;
        }

        @Override
        public int read() {
            if (remaining <= 0) {
                return -1;
            }
            if (chunkPos == 8) {
                refill();
            }
            remaining--;
            return chunk[chunkPos++] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (len == 0) {
                return 0;
            }
            if (remaining <= 0) {
                return -1;
            }
            int n = (int) Math.min(len, remaining);
            for (int i = 0; i < n; i++) {
                if (chunkPos == 8) {
                    refill();
                }
                b[off + i] = chunk[chunkPos++];
            }
            remaining -= n;
            return n;
        }

        private void refill() {
            long v = random.nextLong();
            for (int i = 0; i < 8; i++) {
                chunk[i] = (byte) (v >>> (8 * i));
            }
            chunkPos = 0;
        }

        @Override
        public int available() {
            return (int) Math.min(Integer.MAX_VALUE, remaining);
        }
    }
}
