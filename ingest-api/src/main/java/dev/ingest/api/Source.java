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
     * Releases the source's resources. Idempotent. The default does nothing.
     *
     * @throws IOException if releasing failed; the engine logs it
     */
    @Override
    default void close() throws IOException {
    }
}
