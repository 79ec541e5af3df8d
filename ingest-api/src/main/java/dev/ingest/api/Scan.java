package dev.ingest.api;

import java.io.Closeable;
import java.io.IOException;
import java.util.Optional;

/**
 * One listing of a source from its beginning, obtained from {@link Nexter#scan()}. Every workflow that reads a
 * source gets scans of its own: two workflows on one source each see every object of the source, whatever the
 * other is doing.
 *
 * <p>Lifecycle: obtained, read with {@link #next()} until it is empty or the caller is done, then closed once
 * (also when it is abandoned midway, after a failure or on shutdown).
 *
 * <p>Thread-safety: a scan is used by one thread at a time. Several scans of one source may be in use at once,
 * on different threads, and concurrently with the source's {@link Client} methods.
 */
public interface Scan extends Closeable {

    /**
     * The next object of this scan.
     *
     * @return the next object, or empty when the scan is complete
     * @throws IOException if listing failed; the engine abandons the scan (closing it) and scans again at the next
     *     interval
     */
    Optional<Codec> next() throws IOException;

    /**
     * How the workflow's checkpoint changes once an object this scan returned is queued ({@link Nexter#scan(ScanContext)}):
     * the engine asks right after {@link #next()} returned it, and commits the change once that object, and every
     * object returned before it, is queued or needed no queueing. Asked with {@code null} after {@link #next()} returned
     * empty: the change that comes with a complete scan (committed once everything is queued). The default changes
     * nothing.
     *
     * @param codec the object just returned, or {@code null} at the end of a complete scan
     * @return the change; {@link CheckpointUpdate#NONE} for none
     */
    default CheckpointUpdate checkpointAfter(Codec codec) {
        return CheckpointUpdate.NONE;
    }

    /**
     * Releases what the scan holds (a page, a cursor, a lock). Idempotent. The default does nothing.
     *
     * @throws IOException if releasing failed; the engine logs it
     */
    @Override
    default void close() throws IOException {
    }
}
