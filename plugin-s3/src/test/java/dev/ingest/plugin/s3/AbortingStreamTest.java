package dev.ingest.plugin.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

class AbortingStreamTest {

    private static ResponseInputStream<GetObjectResponse> response(InputStream body, AtomicBoolean aborted) {
        return new ResponseInputStream<>(GetObjectResponse.builder().build(),
                AbortableInputStream.create(body, () -> aborted.set(true)));
    }

    @Test
    void aReadTimeoutIsAPlainRetryableIoExceptionNotAnInterruption() {
        InputStream stalled = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new SocketTimeoutException("Read timed out");
            }
        };
        S3Source.AbortingStream stream = new S3Source.AbortingStream(response(stalled, new AtomicBoolean()), "downloading s3://b/k");
        assertThatThrownBy(() -> stream.read(new byte[10])).isInstanceOf(IOException.class)
                .isNotInstanceOf(InterruptedIOException.class)
                .hasMessage("downloading s3://b/k: no data for 60 s (Read timed out)")
                .hasCauseInstanceOf(SocketTimeoutException.class);
        assertThatThrownBy(stream::read).isNotInstanceOf(InterruptedIOException.class);
    }

    @Test
    void closingBeforeTheEndAbortsTheRequestAndClosingAfterItDoesNot() throws IOException {
        AtomicBoolean aborted = new AtomicBoolean();
        try (InputStream early = new S3Source.AbortingStream(response(new ByteArrayInputStream(new byte[100]), aborted), "x")) {
            assertThat(early.read(new byte[10])).isEqualTo(10);
        }
        assertThat(aborted).isTrue();

        aborted.set(false);
        try (InputStream full = new S3Source.AbortingStream(response(new ByteArrayInputStream(new byte[100]), aborted), "x")) {
            assertThat(full.readAllBytes()).hasSize(100);
        }
        assertThat(aborted).isFalse();
    }
}
