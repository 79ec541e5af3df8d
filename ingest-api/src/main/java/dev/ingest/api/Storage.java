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
     * Like {@link #stat(Codec)}, and also says whether the destination proved that what it holds is the codec's
     * version rather than judging by size: see {@link Presence#verified()}. The engine calls this method rather
     * than {@code stat}. A destination that records the source's version with each object (and compares it
     * whenever the codec has a version) overrides it; the default reports {@code stat}'s answer as unverified.
     *
     * <p>An object that is present but of another version must be reported absent, by both methods: the engine then
     * copies it again. An unverified presence is taken as present, except before a workflow's {@code cleanUp}
     * deletes the source object: then the object is copied again, so that a rewritten source object of the same
     * size is never deleted without being copied.
     *
     * @param codec the object
     * @return where the object is stored and whether its version was proven; empty when it is absent
     * @throws PoisonException if the object's name can never be stored here
     * @throws IOException if the destination cannot tell now
     */
    default Optional<Presence> check(Codec codec) throws IOException {
        return stat(codec).map(Presence::unverified);
    }

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

    /**
     * Optional: a listing of what this destination holds, for comparing with the source's listing before
     * anything is queued. With it, the enqueuer of a workflow does not queue objects that every destination
     * already {@link #holds holds} (a rescan of an unchanged source then queues nothing) and marks the others with
     * the destinations that lack them, so that the dequeuer copies them there without a {@link #stat} first.
     *
     * <p>Implement it only where listing is cheap compared to one {@link #stat} per object (S3's
     * {@code ListObjectsV2} returns a thousand objects per request). Called once per scan, from the enqueuer's
     * thread.
     *
     * @return a new listing, closed by the caller; empty (the default) when this destination cannot be listed
     * @throws IOException if the listing cannot be started now; the scan then goes on without it
     */
    default Optional<Inventory> inventory() throws IOException {
        return Optional.empty();
    }

    /**
     * Whether a listed entry is certainly the codec's object, complete, so that {@link #stat} would find it
     * present. Called only for an entry of this destination's {@link #inventory()} whose name is the codec's name.
     * It must not guess: answering false only costs a {@code stat} and maybe a copy, answering true wrongly means
     * the object is not copied. The default is false.
     *
     * @param codec an object of the source, as listed
     * @param entry this destination's entry of the same name
     * @return true only if the entry is that object
     */
    default boolean holds(Codec codec, Listed entry) {
        return false;
    }
}
