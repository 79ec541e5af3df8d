package dev.ingest.api;

import java.io.IOException;
import java.net.URI;
import java.util.Optional;

/**
 * Where objects are stored.
 *
 * <p>Thread-safety: implementations must be safe for concurrent use; dequeuers call these methods from many
 * threads at once.
 */
public interface Storage {

    /**
     * Tells whether this destination already holds the object, complete. The engine calls it before every copy
     * so that nothing is copied twice; it must not report a partially written object as present.
     *
     * @param codec the object
     * @return the URI of the stored object, or empty when it is absent
     * @throws PoisonException if the object's name can never be stored here (for example it escapes the root)
     * @throws IOException if the destination cannot tell now
     */
    Optional<URI> stat(Codec codec) throws IOException;

    /**
     * Stores the object under {@link Codec#name()}, replacing what is there. Implementations stream the content
     * and never leave a partial object visible: on failure nothing new is visible under the name.
     *
     * <p>The blob is owned by the caller, which closes it after this method returns.
     *
     * @param codec the object
     * @param blob its content, read once from the start
     * @return the URI the object was stored at
     * @throws PoisonException if the object can never be stored here
     * @throws IOException if storing failed but may succeed later
     */
    URI store(Codec codec, Blob blob) throws IOException;
}
