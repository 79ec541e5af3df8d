package dev.ingest.testkit.contract;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * Measures how much heap stays <em>reachable</em> while an object is streamed, to catch a plugin that buffers a
 * whole object in memory.
 *
 * <p>{@link #start()} collects garbage and records the heap in use; {@link #watching(InputStream, long)} wraps
 * the stream being transferred and, every {@code every} bytes and at its end, collects garbage again and records
 * how far the heap in use has grown. Collecting first means garbage (short-lived read buffers) does not count,
 * only what the plugin still holds: a plugin that copies 64 MiB into a byte array shows 48 MiB and more at the
 * later checkpoints, a streaming one a few hundred KiB.
 *
 * <p>The measure relies on {@link System#gc()}; when the JVM ignores it ({@code -XX:+DisableExplicitGC}),
 * {@link #reliable()} is false and the suites do not assert on it. Whatever the measure, run the contract suites
 * with a heap smaller than their large object ({@code -Xmx64m} for 64 MiB): a plugin that buffers then fails
 * with {@link OutOfMemoryError}.
 */
public final class HeapWatch {

    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    private final long baseline;
    private final boolean reliable;
    private volatile long peakGrowth;
    private volatile int samples;

    private HeapWatch(long baseline, boolean reliable) {
        this.baseline = baseline;
        this.reliable = reliable;
    }

    /**
     * Collects garbage and records the heap in use as the baseline.
     *
     * @return the watch
     */
    public static HeapWatch start() {
        boolean reliable = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .noneMatch(a -> a.equals("-XX:+DisableExplicitGC"));
        return new HeapWatch(reachableHeap(), reliable);
    }

    private static long reachableHeap() {
        System.gc();
        return MEMORY.getHeapMemoryUsage().getUsed();
    }

    /** Collects garbage and records how far the heap in use has grown since {@link #start()}. */
    public void sample() {
        long growth = reachableHeap() - baseline;
        synchronized (this) {
            samples++;
            if (growth > peakGrowth) {
                peakGrowth = growth;
            }
        }
    }

    /**
     * Wraps a stream so that reading it samples the heap every {@code every} bytes and once at its end.
     *
     * @param in the stream being transferred
     * @param every bytes between two samples
     * @return the wrapping stream; closing it closes {@code in}
     */
    public InputStream watching(InputStream in, long every) {
        return new FilterInputStream(in) {
            private long sinceSample;
            private boolean ended;

            @Override
            public int read() throws IOException {
                int b = super.read();
                count(b < 0 ? -1 : 1);
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                count(n);
                return n;
            }

            @Override
            public long skip(long n) throws IOException {
                long skipped = super.skip(n);
                count(skipped);
                return skipped;
            }

            private void count(long n) {
                if (n < 0) {
                    if (!ended) {
                        ended = true;
                        sample();
                    }
                    return;
                }
                sinceSample += n;
                if (sinceSample >= every) {
                    sinceSample = 0;
                    sample();
                }
            }
        };
    }

    /** @return the largest growth of the reachable heap seen by {@link #sample()}, in bytes (0 before any) */
    public long peakGrowth() {
        return peakGrowth;
    }

    /** @return how many samples were taken */
    public int samples() {
        return samples;
    }

    /** @return whether {@link System#gc()} is honoured, so that {@link #peakGrowth()} means reachable heap */
    public boolean reliable() {
        return reliable;
    }

    /**
     * Describes a size for messages.
     *
     * @param bytes a size
     * @return e.g. {@code 12.3 MiB}
     */
    static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}
