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

    @Test
    void closingEarlyReadsASmallRestThatHasArrivedInsteadOfAborting() throws IOException {
        AtomicBoolean aborted = new AtomicBoolean();
        try (InputStream unread = new S3Source.AbortingStream(response(new ByteArrayInputStream(new byte[4096]), aborted),
                "x", 4096)) {
            assertThat(unread).isNotNull(); // closed without reading anything
        }
        assertThat(aborted).as("the connection is kept").isFalse();

        int large = S3Source.AbortingStream.DRAIN_LIMIT + 100;
        try (InputStream stream = new S3Source.AbortingStream(response(new ByteArrayInputStream(new byte[large]), aborted),
                "x", large)) {
            assertThat(stream.read()).isZero();
        }
        assertThat(aborted).as("a large rest is never read").isTrue();

        aborted.set(false);
        InputStream notYetArrived = new ByteArrayInputStream(new byte[100]) {
            @Override
            public synchronized int available() {
                return 0;
            }
        };
        try (InputStream waiting = new S3Source.AbortingStream(response(notYetArrived, aborted), "x", 100)) {
            assertThat(waiting).isNotNull();
        }
        assertThat(aborted).as("closing never waits for the network").isTrue();
    }
}
