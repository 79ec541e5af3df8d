package dev.ingest.plugin.s3;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The part buffers of multipart uploads, shared by every S3 destination of the process: a budget of heap bytes
 * that all buffers together stay within, and the buffers that are free at the moment, kept for the next part.
 *
 * <p>A copy {@link #acquire(int) leases} the bytes of one part before it reads the part, and gives them back when
 * the part is uploaded. When the budget is used up, the copy waits until another part is uploaded: copies slow
 * down rather than run out of memory, whatever the workflow's {@code concurrency} and {@code uploadConcurrency}.
 * A lease larger than the whole budget is granted when nothing else is leased, so a copy always progresses.
 *
 * <p>Returned buffers of the leased size are kept, up to {@link #maxIdle} bytes, and handed to the next lease of
 * that size, so that a running copy does not allocate (and zero) a new array of several MiB per part. Kept buffers
 * count against the budget; a lease of another size that needs their room drops them.
 *
 * <p>Thread-safe.
 */
final class BufferPool {

    /** The budget when the JVM has no heap limit. */
    private static final long UNLIMITED_HEAP_BUDGET = S3Settings.GIB;

    /** The pool of all destinations: a quarter of the maximum heap; at most 64 MiB of buffers kept while free. */
    static final BufferPool SHARED = new BufferPool(defaultBudget(Runtime.getRuntime().maxMemory()), 64 * S3Settings.MIB);

    private final long budget;
    private final long maxIdle;
    /** Bytes neither leased nor kept; negative while an oversized lease runs. Guarded by {@code this}. */
    private long free;
    private final Map<Integer, ArrayDeque<byte[]>> idle = new HashMap<>();
    private long idleBytes;
    /** The least {@link #free} has been; for tests. Guarded by {@code this}. */
    private long lowestFree;
    /** Leases waiting for room now, and how often leases waited; for tests. Guarded by {@code this}. */
    private int waiting;
    private long waited;

    /**
     * @param budget the most bytes leased and kept together
     * @param maxIdle the most bytes kept while free
     */
    BufferPool(long budget, long maxIdle) {
        if (budget <= 0 || maxIdle < 0) {
            throw new IllegalArgumentException("budget must be positive and maxIdle at least 0");
        }
        this.budget = budget;
        this.maxIdle = Math.min(maxIdle, budget);
        this.free = budget;
        this.lowestFree = budget;
    }

    /**
     * A quarter of the heap.
     *
     * @param maxHeap {@link Runtime#maxMemory()}
     * @return the budget in bytes
     */
    static long defaultBudget(long maxHeap) {
        return maxHeap == Long.MAX_VALUE ? UNLIMITED_HEAP_BUDGET : Math.max(maxHeap / 4, 1);
    }

    /** @return the budget in bytes */
    long budget() {
        return budget;
    }

    /**
     * Leases {@code size} bytes of the budget, waiting while they are not available.
     *
     * @param size the largest buffer the lease may hold
     * @return the lease, holding a kept buffer of exactly {@code size} bytes when there was one
     * @throws InterruptedException if interrupted while waiting
     */
    synchronized Lease acquire(int size) throws InterruptedException {
        if (size <= 0) {
            throw new IllegalArgumentException("size must be positive, got " + size);
        }
        while (true) {
            ArrayDeque<byte[]> kept = idle.get(size);
            if (kept != null && !kept.isEmpty()) {
                byte[] buffer = kept.pop();
                idleBytes -= size;
                return new Lease(size, buffer);
            }
            if (free >= size || free == budget) { // free == budget: nothing leased or kept, so even an oversized lease
                free -= size;
                lowestFree = Math.min(lowestFree, free);
                return new Lease(size, null);
            }
            if (idleBytes > 0) {
                dropOneIdle();
                continue;
            }
            waiting++;
            waited++;
            try {
                wait();
            } finally {
                waiting--;
            }
        }
    }

    private void dropOneIdle() {
        Iterator<ArrayDeque<byte[]>> it = idle.values().iterator();
        while (it.hasNext()) {
            ArrayDeque<byte[]> kept = it.next();
            if (!kept.isEmpty()) {
                byte[] dropped = kept.pop();
                idleBytes -= dropped.length;
                free += dropped.length;
                if (kept.isEmpty()) {
                    it.remove();
                }
                return;
            }
        }
    }

    private synchronized void release(Lease lease) {
        byte[] buffer = lease.buffer;
        if (buffer != null && buffer.length == lease.size && idleBytes + buffer.length <= maxIdle) {
            idle.computeIfAbsent(lease.size, s -> new ArrayDeque<>()).push(buffer);
            idleBytes += buffer.length;
        } else {
            free += lease.size;
        }
        notifyAll();
    }

    /** @return bytes neither leased nor kept; for tests */
    synchronized long free() {
        return free;
    }

    /** @return bytes kept for reuse; for tests */
    synchronized long idleBytes() {
        return idleBytes;
    }

    /** @return the least {@link #free()} has been since the pool was made (negative only for an oversized lease); for tests */
    synchronized long lowestFree() {
        return lowestFree;
    }

    /** @return how many {@link #acquire} calls are waiting for room now; for tests */
    synchronized int waiting() {
        return waiting;
    }

    /** @return how often {@link #acquire} calls waited for room (a call may wait more than once); for tests */
    synchronized long waited() {
        return waited;
    }

    /**
     * A claim on part of the budget and the buffer that uses it. Used by one thread at a time (the reader fills
     * it, then hands it to the thread that uploads it). Release it exactly once; later calls do nothing.
     */
    final class Lease {
        private final int size;
        private byte[] buffer;
        private boolean released;

        private Lease(int size, byte[] buffer) {
            this.size = size;
            this.buffer = buffer;
        }

        /** @return the most bytes this lease may hold */
        int size() {
            return size;
        }

        /**
         * The buffer, allocated on first use.
         *
         * @param initial the length to allocate when there is no buffer yet (at most {@link #size()})
         * @return the buffer
         */
        byte[] buffer(int initial) {
            if (buffer == null) {
                buffer = new byte[Math.max(1, Math.min(initial, size))];
            }
            return buffer;
        }

        /**
         * Doubles the buffer, up to {@link #size()}, keeping its content.
         *
         * @return the larger buffer
         */
        byte[] grow() {
            buffer = Arrays.copyOf(buffer, (int) Math.min(size, Math.max(2L * buffer.length, 1)));
            return buffer;
        }

        /** Gives the bytes back (and the buffer, to be kept). Idempotent. */
        void release() {
            synchronized (this) {
                if (released) {
                    return;
                }
                released = true;
            }
            BufferPool.this.release(this);
            buffer = null;
        }
    }
}
