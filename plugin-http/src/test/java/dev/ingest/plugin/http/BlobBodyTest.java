package dev.ingest.plugin.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ingest.api.Blob;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Random;

import okio.Buffer;
import okio.BufferedSink;
import okio.ForwardingSink;
import okio.Okio;
import org.junit.jupiter.api.Test;

/** The upload body: sent again after a failed attempt while its start is kept, one-shot after that. */
class BlobBodyTest {

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    /** A sink that fails once {@code limit} bytes were written to it, as a socket the server closed does. */
    private static BufferedSink failingAfter(Buffer into, long limit) {
        return Okio.buffer(new ForwardingSink(into) {
            private long written;

            @Override
            public void write(Buffer source, long byteCount) throws IOException {
                if (written + byteCount > limit) {
                    throw new IOException("Broken pipe");
                }
                written += byteCount;
                super.write(source, byteCount);
            }
        });
    }

    @Test
    void aBodyThatFailedMidwayIsSentAgainWholeFromWhatItKept() throws Exception {
        byte[] content = bytes(300_000);
        HttpDestination.BlobBody body = new HttpDestination.BlobBody(
                Blob.of(new ByteArrayInputStream(content), content.length, null));

        assertThatThrownBy(() -> {
            try (BufferedSink sink = failingAfter(new Buffer(), 100_000)) {
                body.writeTo(sink);
            }
        }).hasMessage("Broken pipe");
        assertThat(body.isOneShot()).as("what was read is kept: it can be sent again").isFalse();

        Buffer second = new Buffer();
        body.writeTo(second);

        assertThat(second.readByteArray()).isEqualTo(content);
        assertThat(body.bytesSent()).isEqualTo(content.length);
    }

    @Test
    void aBodyIsOneShotOnceMoreThanItsReplayableStartWasRead() throws Exception {
        byte[] content = bytes(HttpDestination.BlobBody.REPLAYABLE + 70_000);
        HttpDestination.BlobBody body = new HttpDestination.BlobBody(Blob.ofUnknownLength(new ByteArrayInputStream(content), null));
        Buffer first = new Buffer();

        body.writeTo(first);

        assertThat(first.readByteArray()).isEqualTo(content);
        assertThat(body.isOneShot()).isTrue();
        assertThatThrownBy(() -> body.writeTo(new Buffer())).isInstanceOf(IOException.class)
                .hasMessageContaining("cannot be sent twice");
    }

    @Test
    void aSmallBodyStaysReplayableAfterBeingSentWhole() throws Exception {
        byte[] content = bytes(5_000);
        HttpDestination.BlobBody body = new HttpDestination.BlobBody(Blob.of(new ByteArrayInputStream(content), content.length, null));

        body.writeTo(new Buffer());
        Buffer again = new Buffer();
        body.writeTo(again);

        assertThat(body.isOneShot()).isFalse();
        assertThat(again.readByteArray()).isEqualTo(content);
        assertThat(body.bytesSent()).isEqualTo(content.length);
    }
}
