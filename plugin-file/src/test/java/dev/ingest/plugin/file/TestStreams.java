package dev.ingest.plugin.file;

import java.io.IOException;
import java.io.InputStream;

/** Input streams for tests: generated content and streams that fail part-way. */
final class TestStreams {

    private TestStreams() {
    }

    /** The byte at a position of a {@link #generated(long)} stream. */
    static byte byteAt(long position) {
        return (byte) (position * 31 + (position >>> 13));
    }

    /** A stream of {@code length} deterministic bytes, generated on the fly. */
    static InputStream generated(long length) {
        return new InputStream() {
            private long position;

            @Override
            public int read() {
                if (position >= length) {
                    return -1;
                }
                return byteAt(position++) & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (len == 0) {
                    return 0;
                }
                if (position >= length) {
                    return -1;
                }
                int n = (int) Math.min(len, length - position);
                for (int i = 0; i < n; i++) {
                    b[off + i] = byteAt(position++);
                }
                return n;
            }
        };
    }

    /** A stream that yields {@code good} bytes and then throws {@code failure}. */
    static InputStream failingAfter(long good, IOException failure) {
        return dev.ingest.testkit.contract.ContractStreams.failingAfter(good, failure);
    }
}
