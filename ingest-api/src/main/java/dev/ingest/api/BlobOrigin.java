package dev.ingest.api;

import java.net.URI;
import java.util.Objects;

/**
 * Where a blob's content lives, so that a destination able to copy within the same storage system (S3
 * CopyObject, for example) can do so without streaming the bytes through ingest.
 *
 * <p>A source attaches it with {@link Blob#withOrigin(BlobOrigin)}; a destination that recognises the
 * {@code realm} may copy from {@code uri} directly and then only close the blob. Any other destination ignores
 * it and reads the stream as usual, so attaching an origin never changes what is stored.
 *
 * @param uri the object's location in the source system, e.g. {@code s3://bucket/key}
 * @param realm identifies the system and the access to it (for S3: endpoint, region and access key id); a
 *     destination copies server-side only from an origin whose realm equals its own. Never a secret.
 */
public record BlobOrigin(URI uri, String realm) {

    /** Validates the fields. */
    public BlobOrigin {
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(realm, "realm");
        if (realm.isBlank()) {
            throw new IllegalArgumentException("realm must not be blank");
        }
    }
}
