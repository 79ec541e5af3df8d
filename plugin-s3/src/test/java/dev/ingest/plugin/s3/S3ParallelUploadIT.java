package dev.ingest.plugin.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.ingest.api.Blob;
import dev.ingest.api.Codec;
import dev.ingest.api.PluginConfig;
import dev.ingest.api.PluginRole;
import dev.ingest.api.PoisonException;
import dev.ingest.testkit.S3ServerExtension;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.s3.model.MultipartUpload;

/**
 * Multipart uploads whose parts go in parallel, against s3proxy: identical content around part boundaries, of
 * known and unknown length; bounded buffers; failures midway leave neither an object nor a pending upload, and
 * every part buffer goes back to the pool.
 */
class S3ParallelUploadIT {

    @RegisterExtension
    static final S3ServerExtension S3 = new S3ServerExtension();

    private static final long PART = 5L * TestData.MIB;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    /** A destination with its own buffer pool, so that the test sees every buffer come back. */
    private S3Destination destination(String bucket, BufferPool pool, Object... more) throws Exception {
        S3Destination d = new S3Destination(S3PluginProvider.connect(PluginConfig.of("dst",
                S3PluginIT.config(S3, bucket, more)), PluginRole.DESTINATION), pool);
        toClose.add(d);
        return d;
    }

    private static String storedSha(String bucket, String key) throws IOException {
        return TestData.sha256(S3.client().getObject(b -> b.bucket(bucket).key(key)));
    }

    private static void assertAllReturned(BufferPool pool) {
        assertThat(pool.free() + pool.idleBytes()).as("every part buffer is back in the pool").isEqualTo(pool.budget());
    }

    @Test
    void contentIsIdenticalAroundPartBoundariesOfKnownAndUnknownLength() throws Exception {
        String bucket = S3.createBucket();
        BufferPool pool = new BufferPool(64 * TestData.MIB, 64 * TestData.MIB);
        S3Destination d = destination(bucket, pool, "partSize", "5MiB", "multipartThreshold", "5MiB", "uploadConcurrency", 3);
        long[] sizes = {PART - 1, PART, PART + 1, 2 * PART - 1, 3 * PART, 3 * PART + 1};
        int seed = 0;
        for (long size : sizes) {
            for (boolean known : new boolean[] {true, false}) {
                String key = size + (known ? "-known" : "-unknown");
                long s = ++seed;
                Blob blob = known ? Blob.of(TestData.generated(s, size), size, "application/x-part")
                        : Blob.ofUnknownLength(TestData.generated(s, size), "application/x-part");
                try (blob) {
                    d.store(Codec.of(key, key, "v" + s, known ? size : -1), blob);
                }
                assertThat(storedSha(bucket, key)).as(key).isEqualTo(TestData.sha256(TestData.generated(s, size)));
                String etag = S3.client().headObject(b -> b.bucket(bucket).key(key)).eTag();
                if (size < PART) {
                    assertThat(etag).as(key + ": one PutObject").doesNotContain("-");
                } else {
                    assertThat(etag).as(key + ": parts").endsWith("-" + (size + PART - 1) / PART + "\"");
                }
                assertThat(S3.client().headObject(b -> b.bucket(bucket).key(key)).metadata())
                        .containsEntry(S3Destination.VERSION_METADATA, "v" + s);
                assertAllReturned(pool);
            }
        }
        assertThat(S3.pendingUploads(bucket)).isEmpty();
        assertThat(pool.idleBytes()).as("buffers are kept for reuse").isPositive();
    }

    @Test
    void concurrentCopiesShareABudgetOfBuffersAndWaitForEachOther() throws Exception {
        String bucket = S3.createBucket();
        BufferPool pool = new BufferPool(2 * PART, PART); // two part buffers for all copies together
        S3Destination d = destination(bucket, pool, "partSize", "5MiB", "multipartThreshold", "5MiB", "uploadConcurrency", 4);
        // Every source stops at its first read until the test opens the gate: a copy reads only into a part buffer
        // it leased, so while the gate is closed the copies that got a buffer are the ones reading.
        CountDownLatch gate = new CountDownLatch(1);
        AtomicInteger reading = new AtomicInteger();
        ExecutorService copies = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> stores = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                long size = 2 * PART + i * 1000L;
                int seed = 100 + i;
                boolean known = i % 2 == 0;
                InputStream in = gated(TestData.generated(seed, size), gate, reading);
                stores.add(copies.submit(() -> d.store(Codec.of("c" + seed, "c/" + seed),
                        known ? Blob.of(in, size, null) : Blob.ofUnknownLength(in, null))));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> reading.get() > 2 || reading.get() == 2 && pool.waiting() == 2);
            assertThat(reading).as("copies reading a part while the budget holds two parts").hasValue(2);
            assertThat(pool.waiting()).as("copies waiting for a part buffer").isEqualTo(2);
            assertThat(pool.free()).as("budget left").isZero();
            gate.countDown();
            for (Future<?> f : stores) {
                f.get(2, TimeUnit.MINUTES);
            }
        } finally {
            gate.countDown();
            copies.shutdown();
        }
        for (int i = 0; i < 4; i++) {
            int seed = 100 + i;
            assertThat(storedSha(bucket, "c/" + seed)).isEqualTo(TestData.sha256(TestData.generated(seed, 2 * PART + i * 1000L)));
        }
        assertThat(pool.lowestFree()).as("the least budget left at any time: never more than two parts leased").isZero();
        assertThat(pool.waited()).as("leases that waited for a buffer").isGreaterThanOrEqualTo(2);
        assertAllReturned(pool);
        assertThat(S3.pendingUploads(bucket)).isEmpty();
    }

    /** A stream whose first read counts itself in {@code reading} and waits until {@code gate} opens. */
    private static InputStream gated(InputStream in, CountDownLatch gate, AtomicInteger reading) {
        return new FilterInputStream(in) {
            private boolean passed;

            private void pass() throws IOException {
                if (!passed) {
                    passed = true;
                    reading.incrementAndGet();
                    try {
                        gate.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException("interrupted at the gate");
                    }
                }
            }

            @Override
            public int read() throws IOException {
                pass();
                return super.read();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                pass();
                return super.read(b, off, len);
            }
        };
    }

    @Test
    void aSourceFailingMidwayAbortsTheParallelUploadAndLeavesNothing() throws Exception {
        String bucket = S3.createBucket();
        BufferPool pool = new BufferPool(64 * TestData.MIB, 64 * TestData.MIB);
        S3Destination d = destination(bucket, pool, "partSize", "5MiB", "multipartThreshold", "5MiB", "uploadConcurrency", 4);
        IOException broken = new IOException("source connection reset");
        assertThatThrownBy(() -> d.store(Codec.of("f.bin", "f.bin"),
                Blob.of(TestData.failingAfter(17L * TestData.MIB, broken), 40L * TestData.MIB, null)))
                .isSameAs(broken);
        assertThat(S3.keys(bucket)).isEmpty();
        assertThat(S3.pendingUploads(bucket)).as("no multipart upload stays pending").isEmpty();
        assertAllReturned(pool);
    }

    @Test
    void anUploadFailingMidwayAbortsTheParallelUploadAndLeavesNothing() throws Exception {
        String bucket = S3.createBucket();
        BufferPool pool = new BufferPool(64 * TestData.MIB, 64 * TestData.MIB);
        S3Destination d = destination(bucket, pool, "partSize", "5MiB", "multipartThreshold", "5MiB", "uploadConcurrency", 4);
        long size = 40L * TestData.MIB;
        AtomicBoolean pulled = new AtomicBoolean();
        // Once a few parts are on their way, the upload disappears under the destination's feet (as when a
        // lifecycle rule or an operator aborts it): the parts that follow fail with 404 NoSuchUpload.
        InputStream sabotaging = new FilterInputStream(TestData.generated(7, size)) {
            private long read;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (read > 12L * TestData.MIB && pulled.compareAndSet(false, true)) {
                    for (MultipartUpload u : S3.client().listMultipartUploads(r -> r.bucket(bucket)).uploads()) {
                        S3.client().abortMultipartUpload(r -> r.bucket(bucket).key(u.key()).uploadId(u.uploadId()));
                    }
                }
                int n = super.read(b, off, len);
                read += Math.max(n, 0);
                return n;
            }
        };
        assertThatThrownBy(() -> d.store(Codec.of("u.bin", "u.bin"), Blob.of(sabotaging, size, null)))
                .isInstanceOf(IOException.class).isNotInstanceOf(PoisonException.class)
                .hasMessageContaining("u.bin").hasMessageContaining("404");
        assertThat(pulled).isTrue();
        assertThat(S3.keys(bucket)).isEmpty();
        assertThat(S3.pendingUploads(bucket)).isEmpty();
        assertAllReturned(pool);

        // The destination still works afterwards.
        d.store(Codec.of("ok.bin", "ok.bin"), Blob.of(TestData.generated(8, 3 * PART), 3 * PART, null));
        assertThat(storedSha(bucket, "ok.bin")).isEqualTo(TestData.sha256(TestData.generated(8, 3 * PART)));
        assertAllReturned(pool);
    }

    @Test
    void anInterruptedParallelUploadIsAbortedAndGivesItsBuffersBack() throws Exception {
        String bucket = S3.createBucket();
        BufferPool pool = new BufferPool(64 * TestData.MIB, 64 * TestData.MIB);
        S3Destination d = destination(bucket, pool, "partSize", "5MiB", "multipartThreshold", "5MiB", "uploadConcurrency", 4);
        InputStream interrupting = new FilterInputStream(TestData.generated(2, 40L * TestData.MIB)) {
            private long read;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (read > 16L * TestData.MIB) {
                    Thread.currentThread().interrupt();
                }
                int n = super.read(b, off, len);
                read += Math.max(n, 0);
                return n;
            }
        };
        try {
            assertThatThrownBy(() -> d.store(Codec.of("i.bin", "i.bin"), Blob.of(interrupting, 40L * TestData.MIB, null)))
                    .isInstanceOf(java.io.InterruptedIOException.class);
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
        assertThat(S3.keys(bucket)).isEmpty();
        assertThat(S3.pendingUploads(bucket)).isEmpty();
        assertAllReturned(pool);
    }
}
