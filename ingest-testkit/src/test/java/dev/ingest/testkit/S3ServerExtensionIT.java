package dev.ingest.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.S3Exception;

class S3ServerExtensionIT {

    @RegisterExtension
    static final S3ServerExtension S3 = new S3ServerExtension();

    @Test
    void theServerListensOnAFreeLoopbackPortAndStoresObjects(S3ServerExtension s3) {
        assertThat(s3.endpoint()).startsWith("http://127.0.0.1:").isEqualTo(S3.endpoint());
        String bucket = s3.createBucket();
        s3.put(bucket, "dir/a.txt", "hello");
        assertThat(s3.get(bucket, "dir/a.txt")).isEqualTo("hello");
        assertThat(s3.keys(bucket)).containsExactly("dir/a.txt");
    }

    @Test
    void everyCallGivesAFreshEmptyBucket() {
        String a = S3.createBucket();
        String b = S3.createBucket();
        assertThat(a).isNotEqualTo(b);
        assertThat(S3.keys(a)).isEmpty();
    }

    @Test
    void multipartUploadsAreAssembledAndPendingOnesAreListed() {
        String bucket = S3.createBucket();
        S3Client c = S3.client();
        String id = c.createMultipartUpload(b -> b.bucket(bucket).key("big")).uploadId();
        assertThat(S3.pendingUploads(bucket)).containsExactly("big");
        byte[] part = new byte[5 * 1024 * 1024];
        List<CompletedPart> parts = new ArrayList<>();
        for (int n = 1; n <= 2; n++) {
            int number = n;
            String etag = c.uploadPart(b -> b.bucket(bucket).key("big").uploadId(id).partNumber(number),
                    RequestBody.fromBytes(part)).eTag();
            parts.add(CompletedPart.builder().partNumber(n).eTag(etag).build());
        }
        c.completeMultipartUpload(b -> b.bucket(bucket).key("big").uploadId(id).multipartUpload(m -> m.parts(parts)));
        assertThat(c.headObject(b -> b.bucket(bucket).key("big")).contentLength()).isEqualTo(2L * part.length);
        assertThat(S3.pendingUploads(bucket)).isEmpty();
    }

    @Test
    void wrongCredentialsAreRefused() {
        try (S3Client wrong = S3Client.builder().endpointOverride(S3.endpointUri()).region(Region.of(S3.region()))
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(S3.accessKey(), "wrong")))
                .build()) {
            assertThatThrownBy(() -> wrong.listBuckets()).isInstanceOfSatisfying(S3Exception.class,
                    e -> assertThat(e.statusCode()).isEqualTo(403));
        }
    }

    @Nested
    class Nested_ {
        @Test
        void aNestedClassSharesTheRunningServer() {
            String bucket = S3.createBucket();
            S3.put(bucket, "k", "v");
            assertThat(S3.get(bucket, "k").getBytes(StandardCharsets.UTF_8)).hasSize(1);
        }
    }

    @Nested
    class InMemory {
        @RegisterExtension
        static final S3ServerExtension MEMORY = S3ServerExtension.inMemory();

        @Test
        void theInMemoryServerStoresObjectsToo() {
            String bucket = MEMORY.createBucket();
            MEMORY.put(bucket, "k", "v");
            assertThat(MEMORY.keys(bucket)).containsExactly("k");
            assertThat(MEMORY.endpoint()).isNotEqualTo(S3.endpoint());
        }
    }
}
