package dev.ingest.plugin.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignRequest;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

class UnsignedPayloadsTest {

    private static final byte[] BODY = "hello, store".getBytes(StandardCharsets.UTF_8);
    private final AwsV4HttpSigner signer = new UnsignedPayloads().signer();

    private static SignRequest<AwsCredentialsIdentity> put(String url) {
        URI uri = URI.create(url);
        SdkHttpRequest request = SdkHttpRequest.builder().method(SdkHttpMethod.PUT).uri(uri)
                .putHeader("Content-Length", Integer.toString(BODY.length)).build();
        return SignRequest.builder(AwsCredentialsIdentity.create("AKIDEXAMPLE", "secret"))
                .request(request)
                .payload(() -> new ByteArrayInputStream(BODY))
                .putProperty(AwsV4HttpSigner.REGION_NAME, "us-east-1")
                .putProperty(AwsV4FamilyHttpSigner.SERVICE_SIGNING_NAME, "s3")
                .putProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, false)
                .putProperty(AwsV4FamilyHttpSigner.CHUNK_ENCODING_ENABLED, true)
                .build();
    }

    @Test
    void aBodyOverPlainHttpIsSentUnsignedAndTheRequestStaysHttpOnItsPort() {
        SignedRequest signed = signer.sign(put("http://127.0.0.1:9000/bucket/key"));
        SdkHttpRequest r = signed.request();
        assertThat(r.protocol()).isEqualTo("http");
        assertThat(r.port()).isEqualTo(9000);
        assertThat(r.firstMatchingHeader("x-amz-content-sha256")).contains("UNSIGNED-PAYLOAD");
        assertThat(r.firstMatchingHeader("Content-Encoding")).isEmpty();
        assertThat(r.firstMatchingHeader("Host")).contains("127.0.0.1:9000");
        assertThat(r.firstMatchingHeader("Authorization")).hasValueSatisfying(a -> assertThat(a)
                .startsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"));
    }

    @Test
    void onTheDefaultHttpPortTheSignedHostHasNoPort() {
        SdkHttpRequest r = signer.sign(put("http://minio.internal/bucket/key")).request();
        assertThat(r.protocol()).isEqualTo("http");
        assertThat(r.port()).isEqualTo(80);
        assertThat(r.firstMatchingHeader("Host")).contains("minio.internal");
        assertThat(r.firstMatchingHeader("x-amz-content-sha256")).contains("UNSIGNED-PAYLOAD");
    }

    @Test
    void theSdksOwnSignerWouldSignTheSameBodyInChunks() {
        SdkHttpRequest r = AwsV4HttpSigner.create().sign(put("http://127.0.0.1:9000/bucket/key")).request();
        assertThat(r.firstMatchingHeader("x-amz-content-sha256")).contains("STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
    }

    @Test
    void httpsAndRequestsWithoutABodyAreSignedAsTheSdkSignsThem() {
        SdkHttpRequest https = signer.sign(put("https://s3.example.com/bucket/key")).request();
        assertThat(https.protocol()).isEqualTo("https");
        assertThat(https.firstMatchingHeader("x-amz-content-sha256")).contains("UNSIGNED-PAYLOAD");

        SignRequest<AwsCredentialsIdentity> get = put("http://127.0.0.1:9000/bucket/key").copy(b -> b
                .request(SdkHttpRequest.builder().method(SdkHttpMethod.GET)
                        .uri(URI.create("http://127.0.0.1:9000/bucket/key")).build())
                .payload(null));
        SdkHttpRequest r = signer.sign(get).request();
        assertThat(r.protocol()).isEqualTo("http");
        assertThat(r.firstMatchingHeader("x-amz-content-sha256")).contains("UNSIGNED-PAYLOAD");
    }
}
