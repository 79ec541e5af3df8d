package dev.ingest.api;

import java.io.Closeable;
import java.io.IOException;

/**
 * A configured source: it lists objects ({@link Nexter}) and serves them ({@link Client}).
 *
 * <p>Lifecycle: created by {@link PluginProvider#createSource(PluginConfig)}, used, then closed once by the
 * engine. {@link #close()} must be idempotent and release connections and threads.
 */
public interface Source extends Nexter, Client, Closeable {

    /**
     * The source's notifications of new objects, for one workflow: a source configured to receive them (an S3 source
     * with {@code notifications:}) returns a new feed per call, owned and closed by the caller. A source with a feed
     * is not scanned, unless the workflow sets {@code interval} (then its scans catch what notifications missed).
     * The default has none.
     *
     * @param workflow the workflow that reads the feed (a NATS feed names its durable consumer after it)
     * @return a new feed, or empty when the source lists its objects only by scanning
     * @throws java.io.IOException if the feed cannot be set up now
     */
    default java.util.Optional<ObjectFeed> feed(String workflow) throws java.io.IOException {
        return java.util.Optional.empty();
    }

    /**
     * Releases the source's resources. Idempotent. The default does nothing.
     *
     * @throws IOException if releasing failed; the engine logs it
     */
    @Override
    default void close() throws IOException {
    }
}
