package dev.ingest.api;

import java.util.Objects;

/**
 * One object as a destination's {@link Inventory listing} shows it. Immutable.
 *
 * @param name the name it is stored under: a {@link Codec#name()}, without whatever prefix the destination adds
 *     itself. Not blank.
 * @param size its length in bytes, or {@code -1} when the listing does not say
 * @param version what the listing reports as the object's version (for S3, its ETag without quotes), or empty
 */
public record Listed(String name, long size, String version) {

    /** Validates the fields. */
    public Listed {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank");
        }
        version = version == null ? "" : version;
        if (size < -1) {
            throw new IllegalArgumentException("size must be -1 (unknown) or >= 0, got " + size);
        }
    }
}
