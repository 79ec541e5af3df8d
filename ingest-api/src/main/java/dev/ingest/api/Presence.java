package dev.ingest.api;

import java.net.URI;
import java.util.Objects;

/**
 * What a destination holds under an object's name, as {@link Storage#check(Codec)} found it. Immutable.
 *
 * @param uri where the object is stored
 * @param verified whether the destination proved that what it holds is the object's current version: it recorded
 *     the source's {@link Codec#version()} with the object when it stored it (S3 user metadata, an extended
 *     attribute of a file, a header the receiving server keeps) and that record equals the codec's version. False
 *     when it judged by name and size alone, which cannot tell a rewritten object of the same size from the old
 *     one, or when the codec has no version. Before a workflow's {@code cleanUp} deletes the source object, the
 *     engine copies it again to every destination that holds it unverified.
 */
public record Presence(URI uri, boolean verified) {

    /** Validates the fields. */
    public Presence {
        Objects.requireNonNull(uri, "uri");
    }

    /**
     * @param uri where the object is stored
     * @return a presence proven to be the object's current version
     */
    public static Presence verified(URI uri) {
        return new Presence(uri, true);
    }

    /**
     * @param uri where the object is stored
     * @return a presence judged by name and size alone
     */
    public static Presence unverified(URI uri) {
        return new Presence(uri, false);
    }
}
