package dev.ingest.plugin.s3;

import java.util.concurrent.CompletableFuture;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.scheme.AwsV4AuthScheme;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.AsyncSignRequest;
import software.amazon.awssdk.http.auth.spi.signer.AsyncSignedRequest;
import software.amazon.awssdk.http.auth.spi.signer.SignRequest;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.IdentityProvider;
import software.amazon.awssdk.identity.spi.IdentityProviders;

/**
 * SigV4 as the SDK does it, except that request bodies sent over plain http are not signed
 * ({@code x-amz-content-sha256: UNSIGNED-PAYLOAD}), as they never are over https.
 *
 * <p>Over http the SDK signs every uploaded byte: it sends the body as {@code aws-chunked} streaming chunks with a
 * SHA-256 and an HMAC per 128 KiB, which the server verifies chunk by chunk. That costs CPU at both ends for every
 * byte stored and is what S3-compatible stores reached over a private network (MinIO, Ceph, a local s3proxy) spend
 * much of their time on; rclone, for one, sends bodies unsigned, and so does the SDK itself over https. The request line and headers stay signed either way, so the credentials and the target are protected
 * as before; what signing would add over plain http is that a party on the network path cannot alter the bytes in
 * transit, which it can equally read. Destinations that want it keep it with {@code signPayload: true}.
 *
 * <p>How: the SDK decides to sign a body when the request is not https. This signer hands it the same request
 * marked as https (with the port made explicit so that the signed {@code Host} header stays what the client
 * sends), with payload signing and chunked encoding off, and turns the signed request back into http.
 *
 * <p>Thread-safe and stateless, like the SDK's signer it wraps.
 */
final class UnsignedPayloads implements AwsV4AuthScheme {

    private final AwsV4AuthScheme sdk = AwsV4AuthScheme.create();
    private final AwsV4HttpSigner signer = new Signer(sdk.signer());

    @Override
    public String schemeId() {
        return sdk.schemeId();
    }

    @Override
    public IdentityProvider<AwsCredentialsIdentity> identityProvider(IdentityProviders providers) {
        return sdk.identityProvider(providers);
    }

    @Override
    public AwsV4HttpSigner signer() {
        return signer;
    }

    /** The SDK's SigV4 signer, with bodies over plain http left unsigned. */
    static final class Signer implements AwsV4HttpSigner {
        private final AwsV4HttpSigner sdk;

        Signer(AwsV4HttpSigner sdk) {
            this.sdk = sdk;
        }

        @Override
        public SignedRequest sign(SignRequest<? extends AwsCredentialsIdentity> request) {
            SdkHttpRequest http = request.request();
            if (!"http".equals(http.protocol()) || request.payload().isEmpty()) {
                return sdk.sign(request);
            }
            int port = http.port();
            // The signed Host header: host:port unless the port is the scheme's default. Port 80 of http becomes
            // port 443 of https, so it stays "host"; any other port is written out in both.
            SdkHttpRequest asHttps = http.toBuilder().protocol("https").port(port == 80 ? 443 : port).build();
            SignRequest<? extends AwsCredentialsIdentity> unsigned = request.copy(b -> b.request(asHttps)
                    .putProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, false)
                    .putProperty(AwsV4FamilyHttpSigner.CHUNK_ENCODING_ENABLED, false));
            SignedRequest signed = sdk.sign(unsigned);
            SdkHttpRequest back = signed.request().toBuilder().protocol("http").port(port).build();
            return signed.copy(b -> b.request(back));
        }

        @Override
        public CompletableFuture<AsyncSignedRequest> signAsync(AsyncSignRequest<? extends AwsCredentialsIdentity> request) {
            return sdk.signAsync(request); // the plugin's clients are synchronous
        }
    }
}
