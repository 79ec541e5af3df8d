package dev.ingest.api;

import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * One object of a source, as it travels on the queue: enough to find the object again and to name it at the
 * destinations. Immutable and thread-safe.
 *
 * <p>On the wire a codec is the JSON object {@code {"id":..., "name":..., "meta":..., "version":..., "size":...}}, compatible
 * with the original tool's {@code {"id","name"}} messages ({@code meta}, {@code version} and {@code size} are optional).
 *
 * @param id unique within its source; what {@link Client#download(Codec)} uses to fetch the object. Not blank.
 * @param name the key under which destinations store the object (may contain {@code /} for folders). Not blank.
 * @param meta optional plugin-specific bytes carried along (base64 in JSON); empty when unused. The array is
 *     copied on the way in and out.
 * @param version what changes when the object changes (an ETag, or modification time and size); empty when the
 *     source cannot tell. Together with the id it makes the queue's de-duplication id, so an unchanged object
 *     is not queued twice within the duplicate window while a changed one is.
 * @param size the object's length in bytes as listed, or {@code -1} when the source cannot tell. Destinations
 *     may use it to decide whether what they hold is complete; progress and plans use it to count bytes.
 */
public record Codec(String id, String name, byte[] meta, String version, long size) {

    private static final byte[] NO_META = new byte[0];

    /** Validates and copies the fields. */
    public Codec {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        if (id.isBlank()) {
            throw new IllegalArgumentException("id must not be blank");
        }
        if (name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank");
        }
        meta = meta == null || meta.length == 0 ? NO_META : meta.clone();
        version = version == null ? "" : version;
        if (size < -1) {
            throw new IllegalArgumentException("size must be -1 (unknown) or >= 0, got " + size);
        }
    }

    /**
     * A codec without meta data.
     *
     * @param id unique within its source
     * @param name the key at the destinations
     * @param version the object's version, or empty
     * @param size the object's length, or -1 when unknown
     * @return the codec
     */
    public static Codec of(String id, String name, String version, long size) {
        return new Codec(id, name, NO_META, version, size);
    }

    /**
     * A codec without meta data or version.
     *
     * @param id unique within its source
     * @param name the key at the destinations
     * @return the codec
     */
    public static Codec of(String id, String name) {
        return new Codec(id, name, NO_META, "", -1);
    }

    /**
     * The meta data, copied.
     *
     * @return the bytes; empty when there are none
     */
    @Override
    public byte[] meta() {
        return meta.length == 0 ? NO_META : meta.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Codec c
                && id.equals(c.id)
                && name.equals(c.name)
                && version.equals(c.version)
                && size == c.size
                && Arrays.equals(meta, c.meta);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, name, version, size, Arrays.hashCode(meta));
    }

    @Override
    public String toString() {
        return "Codec[id=" + id + ", name=" + name + ", version=" + version + ", size=" + size
                + (meta.length == 0 ? "" : ", meta=" + Base64.getEncoder().encodeToString(meta)) + "]";
    }
}
