package dev.ingest.plugin.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ingest.testkit.NatsServerExtension;
import dev.ingest.testkit.S3ServerExtension;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/**
 * Memory stays bounded by the part size, not the object size: a dequeuer whose heap is capped at 128 MiB copies
 * a 256 MiB object from S3 to S3, streaming it (serverSideCopy: false) in parallel parts of the default size, in
 * a child JVM that runs the engine once.
 */
class S3MemoryIT {

    @RegisterExtension
    static final NatsServerExtension NATS = new NatsServerExtension();

    @RegisterExtension
    static final S3ServerExtension S3 = new S3ServerExtension();

    private static final long SIZE = 256L * TestData.MIB + 4321;
    private static final int UPLOAD_PART = 16 * TestData.MIB;

    @TempDir
    Path dir;

    /** Uploads generated content in parts through one reused buffer: the test never holds the object either. */
    private static void uploadGenerated(String bucket, String key, long seed, long size) throws IOException {
        S3Client c = S3.client();
        String uploadId = c.createMultipartUpload(b -> b.bucket(bucket).key(key).contentType("application/x-large"))
                .uploadId();
        byte[] buffer = new byte[UPLOAD_PART];
        List<CompletedPart> parts = new ArrayList<>();
        try (InputStream in = TestData.generated(seed, size)) {
            int n;
            while ((n = in.readNBytes(buffer, 0, buffer.length)) > 0) {
                int number = parts.size() + 1;
                int length = n;
                String etag = c.uploadPart(b -> b.bucket(bucket).key(key).uploadId(uploadId).partNumber(number),
                        RequestBody.fromContentProvider(() -> new java.io.ByteArrayInputStream(buffer, 0, length), length,
                                "application/octet-stream")).eTag();
                parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
            }
        }
        c.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId).multipartUpload(m -> m.parts(parts)));
    }

    @Test
    void aDequeuerWith128MiBOfHeapCopiesA256MiBObjectFromS3ToS3() throws Exception {
        String src = S3.createBucket();
        String dst = S3.createBucket();
        uploadGenerated(src, "large/object.bin", 2026, SIZE);
        String expectedSha = TestData.sha256(TestData.generated(2026, SIZE));

        Path config = dir.resolve("ingest.yaml");
        Files.writeString(config, """
                sources:
                - {name: src, type: s3, endpoint: '%1$s', bucket: %2$s, prefix: large/,
                   accessKeyID: '${S3_KEY}', secretAccessKey: '${S3_SECRET}'}
                destinations:
                - {name: dst, type: s3, endpoint: '%1$s', bucket: %3$s, prefix: copied/, serverSideCopy: false,
                   accessKeyID: '${S3_KEY}', secretAccessKey: '${S3_SECRET}'}
                workflows: [{name: large, source: src, destinations: [dst]}]
                """.formatted(S3.endpoint(), src, dst));
        Path log = dir.resolve("child.log");
        ProcessBuilder pb = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:+ExitOnOutOfMemoryError",
                "-cp", System.getProperty("java.class.path"),
                RunOnceMain.class.getName(), config.toString(), NATS.url(), "memory")
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("S3_KEY", S3.accessKey());
        pb.environment().put("S3_SECRET", S3.secretKey());
        Process child = pb.start();
        boolean finished = child.waitFor(3, TimeUnit.MINUTES);
        if (!finished) {
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String output = Files.readString(log);
        assertThat(finished).as("the child finished within 3 minutes; its output:%n%s", output).isTrue();
        assertThat(child.exitValue()).as("exit code; the child's output:%n%s", output).isZero();
        assertThat(output).contains("result: copied=1 skipped=0 failed=0 bytes=" + SIZE).contains("max heap: ");
        long maxHeap = Long.parseLong(output.replaceAll("(?s).*max heap: (\\d+).*", "$1"));
        assertThat(maxHeap).as("the child's heap was capped").isLessThanOrEqualTo(128L * TestData.MIB);

        HeadObjectResponse copy = S3.client().headObject(b -> b.bucket(dst).key("copied/object.bin"));
        assertThat(copy.contentLength()).isEqualTo(SIZE);
        assertThat(copy.contentType()).isEqualTo("application/x-large");
        assertThat(copy.eTag()).as("uploaded in 8 MiB parts (the default)").endsWith("-33\"");
        try (InputStream in = S3.client().getObject(b -> b.bucket(dst).key("copied/object.bin"))) {
            assertThat(TestData.sha256(in)).isEqualTo(expectedSha);
        }
        assertThat(S3.pendingUploads(dst)).isEmpty();
    }
}
