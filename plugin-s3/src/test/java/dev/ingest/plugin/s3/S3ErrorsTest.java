package dev.ingest.plugin.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ingest.api.PoisonException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.model.S3Exception;

class S3ErrorsTest {

    private static S3Exception answer(int status, String code, String message) {
        return (S3Exception) S3Exception.builder().statusCode(status).requestId("REQ1")
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(message).build())
                .message(message).build();
    }

    @Test
    void throttlingServerErrorsAndConnectionFailuresAreRetryable() {
        for (S3Exception e : new S3Exception[] {answer(503, "SlowDown", "Please reduce your request rate."),
                answer(429, "TooManyRequests", "slow down"), answer(500, "InternalError", "oops")}) {
            IOException io = S3Errors.storing("storing s3://b/k", e);
            assertThat(io).isNotInstanceOf(PoisonException.class).isNotInstanceOf(InterruptedIOException.class)
                    .hasCause(e);
            assertThat(io.getMessage()).startsWith("storing s3://b/k failed: HTTP " + e.statusCode() + " ")
                    .contains("(request id REQ1)");
        }
        SdkClientException refused = SdkClientException.builder().message("Unable to execute HTTP request")
                .cause(new ConnectException("Connection refused")).build();
        assertThat(S3Errors.retryable("listing s3://b/", refused))
                .isNotInstanceOf(PoisonException.class)
                .hasMessage("listing s3://b/ failed: Unable to execute HTTP request (ConnectException: Connection refused)");
    }

    @Test
    void aServiceErrorIsDescribedWithStatusCodeMessageAndRequestId() {
        assertThat(S3Errors.describe(answer(503, "SlowDown", "Please reduce your request rate.")))
                .isEqualTo("HTTP 503 SlowDown: Please reduce your request rate. (request id REQ1)");
        assertThat(S3Errors.status(answer(404, null, null))).isEqualTo(404);
        assertThat(S3Errors.code(answer(404, null, null))).isEmpty();
        assertThat(S3Errors.notFound(answer(404, "NoSuchKey", "gone"))).isTrue();
    }

    @Test
    void onlyClearlyPermanentRefusalsOfAnObjectArePoison() {
        assertThat(S3Errors.storing("storing s3://b/k", answer(400, "KeyTooLongError", "too long")))
                .isInstanceOf(PoisonException.class).hasMessageContaining("refused for good");
        assertThat(S3Errors.storing("storing s3://b/k", answer(400, "InvalidObjectName", "bad name")))
                .isInstanceOf(PoisonException.class);
        assertThat(S3Errors.storing("storing s3://b/k", answer(403, "AccessDenied", "no")))
                .isNotInstanceOf(PoisonException.class);
        assertThat(S3Errors.storing("storing s3://b/k", answer(400, "RequestTimeout", "slow")))
                .isNotInstanceOf(PoisonException.class);
    }

    @Test
    void aCopyFallsBackToStreamingOnlyWhenItsSourceIsForbiddenMissingChangedOrCopiesAreUnsupported() {
        assertThat(S3Errors.copySourceUnavailable(answer(403, "AccessDenied", "no"))).isTrue();
        assertThat(S3Errors.copySourceUnavailable(answer(404, "NoSuchKey", "gone"))).isTrue();
        assertThat(S3Errors.copySourceUnavailable(answer(404, "NoSuchBucket", "gone"))).isTrue();
        assertThat(S3Errors.copySourceUnavailable(answer(412, "PreconditionFailed", "changed"))).isTrue();
        assertThat(S3Errors.copySourceUnavailable(answer(501, "NotImplemented", "no copies here"))).isTrue();
        assertThat(S3Errors.copySourceUnavailable(answer(400, "NotImplemented", "no copies here"))).isTrue();
        assertThat(S3Errors.copySourceUnavailable(answer(503, "SlowDown", "later"))).as("retried, not streamed").isFalse();
        assertThat(S3Errors.copySourceUnavailable(answer(500, "InternalError", "oops"))).isFalse();
        assertThat(S3Errors.copySourceUnavailable(answer(400, "InvalidRequest", "bad"))).isFalse();
        assertThat(S3Errors.copySourceUnavailable(AbortedException.builder().message("aborted").build())).isFalse();
    }

    @Test
    void anAbortedCallIsAnInterruptionAndTheThreadStaysInterrupted() {
        try {
            IOException e = S3Errors.retryable("downloading s3://b/k", AbortedException.builder().message("aborted").build());
            assertThat(e).isInstanceOf(InterruptedIOException.class).hasMessage("downloading s3://b/k was interrupted");
            assertThat(Thread.currentThread().isInterrupted()).as("interrupt status restored").isTrue();
        } finally {
            Thread.interrupted();
        }
    }
}
