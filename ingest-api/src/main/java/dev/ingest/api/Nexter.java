package dev.ingest.api;

import java.io.IOException;
import java.util.Optional;

/**
 * Lists the objects of a source.
 *
 * <p>Implement {@link #scan()}: each call starts an independent listing of the whole source, and the engine
 * calls it once per scan of every workflow that uses the source, from several threads at once when several
 * workflows share the source. A source's scans must not share mutable state; each one sees every object.
 *
 * <p>{@link #reset()} and {@link #next()} are the older form, kept so that plugins written against it still
 * work: one scan at a time, whose state lives in the source itself. A source that implements only them gets the
 * default {@link #scan()}, and the engine then runs that source's scans one after the other (never two at once),
 * which is correct but slower when several workflows share the source.
 */
public interface Nexter {

    /**
     * Starts a new, independent listing of the source from its beginning.
     *
     * <p>Thread-safety: may be called from several threads at once, and concurrently with the {@link Client}
     * methods; the scans it returns must not share mutable state. The default implementation is the exception:
     * it drives {@link #reset()} and {@link #next()} of this instance, so the engine serializes its scans.
     *
     * @return a new scan, closed by the caller
     * @throws IOException if the source cannot be listed now; the scan is retried at the next interval
     */
    default Scan scan() throws IOException {
        reset();
        return this::next;
    }

    /**
     * Starts a new listing that may start from the workflow's checkpoint rather than from the beginning: what a
     * source that remembers where its scans got to implements (an S3 source with {@code cursor: true}). The engine
     * always calls this form; the default ignores the context and calls {@link #scan()}, so a source that keeps no
     * checkpoint implements only {@link #scan()}. The scan reports how the checkpoint changes with
     * {@link Scan#checkpointAfter}; see {@link ScanContext}.
     *
     * <p>Thread-safety: as {@link #scan()}.
     *
     * @param context the workflow's committed checkpoint and the scan's status
     * @return a new scan, closed by the caller
     * @throws IOException if the source cannot be listed now (or the checkpoint read); retried at the next interval
     */
    default Scan scan(ScanContext context) throws IOException {
        return scan();
    }

    /**
     * The older form of {@link #scan()}: starts the one scan of this instance from the beginning of the source.
     * Called only through the default {@link #scan()}, by one thread at a time. Sources that implement
     * {@link #scan()} need not implement it.
     *
     * @throws IOException if the source cannot be listed now; the scan is retried at the next interval
     * @throws UnsupportedOperationException by default: the source implements {@link #scan()} instead
     */
    default void reset() throws IOException {
        throw new UnsupportedOperationException(getClass().getName() + " implements neither scan() nor reset()");
    }

    /**
     * The older form of {@link Scan#next()}: the next object of the scan started by {@link #reset()}.
     *
     * @return the next object, or empty when the scan is complete
     * @throws IOException if listing failed; the scan is abandoned and retried at the next interval
     * @throws UnsupportedOperationException by default: the source implements {@link #scan()} instead
     */
    default Optional<Codec> next() throws IOException {
        throw new UnsupportedOperationException(getClass().getName() + " implements neither scan() nor next()");
    }
}
