package dev.ingest.api;

import java.io.IOException;
import java.util.Optional;

/**
 * Lists the objects of a source, one scan at a time.
 *
 * <p>Lifecycle: the enqueuer calls {@link #reset()} at the start of every scan, then {@link #next()} until it
 * returns empty. A scan may be abandoned at any point (the next one starts with {@code reset()} again).
 *
 * <p>Thread-safety: one thread at a time calls {@code reset} and {@code next}; they may run concurrently with
 * the {@link Client} methods of the same source.
 */
public interface Nexter {

    /**
     * Starts a new scan from the beginning of the source.
     *
     * @throws IOException if the source cannot be listed now; the scan is retried at the next interval
     */
    void reset() throws IOException;

    /**
     * The next object of the current scan.
     *
     * @return the next object, or empty when the scan is complete
     * @throws IOException if listing failed; the scan is abandoned and retried at the next interval
     */
    Optional<Codec> next() throws IOException;
}
