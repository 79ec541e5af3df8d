package dev.ingest.api;

import java.io.IOException;

/**
 * Reads objects from a source and removes them once they are safely stored.
 *
 * <p>Thread-safety: implementations must be safe for concurrent use; dequeuers call these methods from many
 * threads at once, and concurrently with the {@link Nexter} methods.
 */
public interface Client {

    /**
     * Opens the object for reading.
     *
     * @param codec an object previously returned by {@link Nexter#next()} (possibly by another process)
     * @return the object's content; the caller closes it
     * @throws PoisonException if the object can never be downloaded (it no longer exists, it is forbidden)
     * @throws IOException if the download failed but may succeed later
     */
    Blob download(Codec codec) throws IOException;

    /**
     * Deletes the object from the source after every destination has it. Must be idempotent: deleting an object
     * that is already gone succeeds.
     *
     * @param codec the object to remove
     * @throws PoisonException if the object can never be removed (removal is not allowed)
     * @throws IOException if removal failed but may succeed later
     */
    void cleanUp(Codec codec) throws IOException;
}
