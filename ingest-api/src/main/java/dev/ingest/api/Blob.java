package dev.ingest.api;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The content of one object while it is being copied: a stream plus its content type and length.
 *
 * <p>Lifecycle: created by {@link Client#download(Codec)} and handed to {@link Storage#store(Codec, Blob)};
 * the stream can be read once. Whoever receives a blob closes it (the engine does), which closes the stream and
 * whatever connection backs it. Not thread-safe: one thread reads it.
 */
public final class Blob implements Closeable {

    /** The content type used when a source does not know better. */
    public static final String DEFAULT_CONTENT_TYPE = "application/octet-stream";

    private final InputStream stream;
    private final long length;
    private final String contentType;
    private final BlobOrigin origin;
    private final Map<String, String> metadata;

    private Blob(InputStream stream, long length, String contentType, BlobOrigin origin, Map<String, String> metadata) {
        this.stream = Objects.requireNonNull(stream, "stream");
        this.length = length;
        this.contentType = contentType == null || contentType.isBlank() ? DEFAULT_CONTENT_TYPE : contentType;
        this.origin = origin;
        this.metadata = metadata;
    }

    /**
     * A blob of known length.
     *
     * @param stream the content, read once; closed with the blob
     * @param length the exact number of bytes the stream yields, at least 0
     * @param contentType the MIME type, or {@code null} for {@value #DEFAULT_CONTENT_TYPE}
     * @return the blob
     * @throws IllegalArgumentException if {@code length} is negative
     */
    public static Blob of(InputStream stream, long length, String contentType) {
        if (length < 0) {
            throw new IllegalArgumentException("length must be >= 0, got " + length);
        }
        return new Blob(stream, length, contentType, null, Map.of());
    }

    /**
     * A blob whose length is not known in advance (a chunked HTTP response, a generated object).
     *
     * @param stream the content, read once; closed with the blob
     * @param contentType the MIME type, or {@code null} for {@value #DEFAULT_CONTENT_TYPE}
     * @return the blob
     */
    public static Blob ofUnknownLength(InputStream stream, String contentType) {
        return new Blob(stream, -1, contentType, null, Map.of());
    }

    /**
     * The same content, stream and metadata, with the location it comes from. Use the returned blob instead of
     * this one (they share the stream).
     *
     * @param origin where the content lives
     * @return a blob carrying the origin
     */
    public Blob withOrigin(BlobOrigin origin) {
        return new Blob(stream, length, contentType, Objects.requireNonNull(origin, "origin"), metadata);
    }

    /**
     * The same content, stream and origin, with user metadata that destinations keep where they can (S3 user
     * metadata {@code x-amz-meta-<name>}, extended attributes {@code user.<name>} of a file); others ignore it. Use
     * the returned blob instead of this one (they share the stream).
     *
     * @param metadata names (lower case letters, digits and {@code -}) to printable ASCII values; copied
     * @return a blob carrying the metadata
     * @throws IllegalArgumentException if a name or value is not allowed
     */
    public Blob withMetadata(Map<String, String> metadata) {
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            if (!e.getKey().matches("[a-z0-9][a-z0-9-]{0,63}")) {
                throw new IllegalArgumentException("metadata name '" + e.getKey() + "' must be lower case letters, "
                        + "digits and '-'");
            }
            if (!e.getValue().chars().allMatch(c -> c >= 0x20 && c < 0x7f) || e.getValue().length() > 1024) {
                throw new IllegalArgumentException("metadata '" + e.getKey() + "' must be printable ASCII of at most "
                        + "1024 characters");
            }
        }
        return new Blob(stream, length, contentType, origin, Map.copyOf(metadata));
    }

    /**
     * User metadata to keep with the object where the destination can (see {@link #withMetadata(Map)}).
     *
     * @return the metadata; empty when there is none
     */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Where the content lives, when the source said; destinations may use it to copy server-side.
     *
     * @return the origin, or empty
     */
    public Optional<BlobOrigin> origin() {
        return Optional.ofNullable(origin);
    }

    /**
     * The content, to be read once from the start.
     *
     * @return the stream; reading it may throw {@link IOException} (retryable) or {@link PoisonException}
     */
    public InputStream stream() {
        return stream;
    }

    /**
     * The number of bytes of the content.
     *
     * @return the length, or empty when unknown
     */
    public OptionalLong length() {
        return length < 0 ? OptionalLong.empty() : OptionalLong.of(length);
    }

    /**
     * The MIME type of the content.
     *
     * @return never blank; {@value #DEFAULT_CONTENT_TYPE} when the source did not say
     */
    public String contentType() {
        return contentType;
    }

    /**
     * Closes the stream. Idempotent.
     *
     * @throws IOException if closing the underlying stream fails
     */
    @Override
    public void close() throws IOException {
        stream.close();
    }
}
