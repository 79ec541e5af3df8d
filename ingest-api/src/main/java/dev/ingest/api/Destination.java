package dev.ingest.api;

import java.io.Closeable;
import java.io.IOException;

/**
 * A configured destination.
 *
 * <p>Lifecycle: created by {@link PluginProvider#createDestination(PluginConfig)}, used, then closed once by
 * the engine. {@link #close()} must be idempotent and release connections and threads.
 */
public interface Destination extends Storage, Closeable {

    /**
     * Releases the destination's resources. Idempotent. The default does nothing.
     *
     * @throws IOException if releasing failed; the engine logs it
     */
    @Override
    default void close() throws IOException {
    }

    /**
     * The destination's query capability, if it has one: a destination that stores records where they can be
     * searched (a database) answers filter queries over them. The default has none.
     *
     * @return the capability, or empty
     */
    default java.util.Optional<Queryable> queries() {
        return java.util.Optional.empty();
    }
}
