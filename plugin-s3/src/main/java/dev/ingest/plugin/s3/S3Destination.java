package dev.ingest.plugin.s3;

import dev.ingest.api.Blob;
import dev.ingest.api.Codec;
import dev.ingest.api.Destination;
import dev.ingest.api.PoisonException;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/**
 * A bucket as a destination: stores each object at its key ({@link Keys#join prefix + name}).
 *
 * <p>Storing streams. An object of known length below {@code multipartThreshold} is sent with one
 * {@code PutObject} straight from the blob's stream. A larger object, or one of unknown length, is read in parts
 * of {@code partSize} bytes into one buffer that is reused for every part, and uploaded with a multipart upload;
 * if its content turns out to fit in a single part, it is sent with one {@code PutObject} instead. Memory per
 * running copy is thus at most about {@code partSize}, whatever the object's size. S3 makes an object visible only
 * once its {@code PutObject} or {@code CompleteMultipartUpload} succeeds; on any failure the multipart upload is
 * aborted, so neither a partial object nor its parts stay behind.
 *
 * <p>Each object is stored with its codec's version as user metadata ({@code x-amz-meta-ingest-version}), when
 * the version is printable ASCII. {@link #stat} asks {@code HeadObject}: the object is present when it exists with
 * the size the source listed (or any size when the source did not say) and, if it carries a version, the codec's
 * version; so a source object that changed is copied again even when its size did not change, while objects
 * stored by other means count by their size. With {@code metafilesPrefix}, the original tool's markers are used:
 * after each object an empty {@code <metafilesPrefix>/<name>.done} is written; an object counts as present when
 * its marker exists, and an object that exists (with the listed size) without its marker gets the marker and
 * counts as present.
 *
 * <p>Thread-safety: safe for concurrent use; each store has its own buffer. Two concurrent stores of the same
 * name race; the last to finish wins.
 */
final class S3Destination implements Destination {

    private static final Logger LOG = LoggerFactory.getLogger(S3Destination.class);

    /** S3's most parts per upload. */
    static final int MAX_PARTS = 10_000;
    private static final int FIRST_BUFFER = 256 * 1024;
    /** How much of a streamed PutObject body the SDK can rewind to retry (its mark limit). */
    static final int REWIND_LIMIT = 128 * 1024;
    private static final String MARKER_CONTENT_TYPE = "text/plain";
    /** The user metadata ({@code x-amz-meta-ingest-version}) that records the version of a stored object. */
    static final String VERSION_METADATA = "ingest-version";
    private static final int MAX_VERSION_LENGTH = 256;

    private final S3Connection connection;
    private final S3Settings settings;

    /**
     * @param connection the client, owned (and closed) by this destination from now on
     */
    S3Destination(S3Connection connection) {
        this.connection = Objects.requireNonNull(connection, "connection");
        this.settings = connection.settings();
    }

    @Override
    public Optional<URI> stat(Codec codec) throws IOException {
        String key = keyOf(codec);
        URI uri = Keys.uri(settings.bucket(), key);
        if (settings.metafilesPrefix() == null) {
            return head(key).filter(h -> sameObject(codec, h)).map(h -> uri);
        }
        String marker = Keys.markerOf(settings.metafilesPrefix(), codec.name());
        if (head(marker).isPresent()) {
            return Optional.of(uri);
        }
        Optional<HeadObjectResponse> object = head(key).filter(h -> sameObject(codec, h));
        if (object.isEmpty()) {
            return Optional.empty();
        }
        LOG.info("{} exists without its marker {}; writing the marker", uri, marker);
        putMarker(marker);
        return Optional.of(uri);
    }

    /**
     * Whether a stored object is the codec's: the same size (when the source listed one) and, when this plugin
     * stored it, the same version.
     */
    private static boolean sameObject(Codec codec, HeadObjectResponse head) {
        boolean sameSize = codec.size() < 0 || head.contentLength() == null || head.contentLength() == codec.size();
        String stored = head.hasMetadata() ? head.metadata().get(VERSION_METADATA) : null;
        boolean sameVersion = stored == null || codec.version().isEmpty() || !storable(codec.version())
                || stored.equals(codec.version());
        return sameSize && sameVersion;
    }

    /** Whether a version can travel as an S3 metadata header: printable ASCII, not too long. */
    private static boolean storable(String version) {
        return !version.isEmpty() && version.length() <= MAX_VERSION_LENGTH
                && version.chars().allMatch(c -> c >= 0x20 && c < 0x7f);
    }

    private static Map<String, String> metadataOf(Codec codec) {
        return storable(codec.version()) ? Map.of(VERSION_METADATA, codec.version()) : Map.of();
    }

    private Optional<HeadObjectResponse> head(String key) throws IOException {
        try {
            return Optional.of(connection.client().headObject(b -> b.bucket(settings.bucket()).key(key)));
        } catch (SdkException e) {
            if (S3Errors.notFound(e)) {
                return Optional.empty();
            }
            if (S3Errors.status(e) == 403 && !S3Errors.interrupted(e)) {
                throw new IOException("checking " + where(key) + " failed: " + S3Errors.describe(e)
                        + "; the credentials need s3:GetObject and s3:ListBucket (without the latter S3 answers 403 "
                        + "instead of 404 for missing objects)", e);
            }
            throw S3Errors.retryable("checking " + where(key), e);
        }
    }

    @Override
    public URI store(Codec codec, Blob blob) throws IOException {
        String key = keyOf(codec);
        OptionalLong length = blob.length();
        if (length.isPresent() && length.getAsLong() < settings.multipartThreshold()) {
            putStream(key, blob.stream(), length.getAsLong(), blob.contentType(), metadataOf(codec));
        } else {
            putInParts(key, blob.stream(), length.isPresent() ? length.getAsLong() : -1, blob.contentType(),
                    metadataOf(codec));
        }
        if (settings.metafilesPrefix() != null) {
            putMarker(Keys.markerOf(settings.metafilesPrefix(), codec.name()));
        }
        return Keys.uri(settings.bucket(), key);
    }

    /**
     * One PutObject straight from the stream. The SDK may retry a request by rewinding its body to a mark; the
     * buffered stream keeps up to {@value #REWIND_LIMIT} bytes for that, so small objects get the SDK's retries
     * and larger ones fail over to ingest's own retry of the whole object.
     */
    private void putStream(String key, InputStream in, long length, String contentType, Map<String, String> metadata)
            throws IOException {
        LengthCheckingStream checked = new LengthCheckingStream(in, length, where(key));
        InputStream body = new BufferedInputStream(checked, (int) Math.min(Math.max(length, 1), 8192));
        try {
            connection.client().putObject(b -> b.bucket(settings.bucket()).key(key).contentType(contentType)
                    .metadata(metadata).contentLength(length), RequestBody.fromInputStream(body, length));
        } catch (RuntimeException e) { // SdkException; IllegalStateException or UncheckedIOException from a rewind
            IOException short_ = checked.failure();
            if (short_ != null) {
                short_.addSuppressed(e);
                throw short_;
            }
            if (e instanceof SdkException sdk) {
                throw S3Errors.storing("storing " + where(key), sdk);
            }
            // The SDK could not rewind the body for a retry: the first attempt failed.
            throw new IOException("storing " + where(key) + " failed and could not be retried at once: " + e, e);
        }
        if (in.read() >= 0) {
            // The source sent more than it announced: what was stored is truncated. Take it back.
            IOException e = new IOException("storing " + where(key) + ": the source sent more than the " + length
                    + " bytes it announced");
            deleteQuietly(key, e);
            throw e;
        }
    }

    /**
     * Reads the stream in parts of (at least) {@code partSize} bytes into one reused buffer and uploads them;
     * content that fits one part is sent with one PutObject.
     */
    private void putInParts(String key, InputStream in, long length, String contentType, Map<String, String> metadata)
            throws IOException {
        int partSize = partSizeFor(key, length);
        // With a known length below partSize (multipartThreshold < partSize) one byte more sees the end at once.
        byte[] buffer = new byte[(int) Math.min(partSize, length >= 0 ? length + 1 : FIRST_BUFFER)];
        Part first = fill(in, buffer, partSize);
        buffer = first.buffer;
        if (first.eof) {
            checkTotal(key, length, first.size);
            putBuffer(key, first.buffer, first.size, contentType, metadata);
            return;
        }
        String uploadId;
        try {
            uploadId = connection.client().createMultipartUpload(b -> b.bucket(settings.bucket()).key(key)
                    .contentType(contentType).metadata(metadata)).uploadId();
        } catch (SdkException e) {
            throw S3Errors.storing("starting a multipart upload of " + where(key), e);
        }
        try {
            List<CompletedPart> parts = new ArrayList<>();
            long total = 0;
            Part part = first;
            while (true) {
                int number = parts.size() + 1;
                if (number > MAX_PARTS) {
                    throw new PoisonException("storing " + where(key) + ": the object is larger than " + MAX_PARTS
                            + " parts of " + S3Settings.human(partSize) + "; raise partSize");
                }
                total += part.size;
                if (length >= 0 && total > length) {
                    throw new IOException("storing " + where(key) + ": the source sent more than the " + length
                            + " bytes it announced");
                }
                parts.add(uploadPart(key, uploadId, number, part.buffer, part.size));
                if (part.eof) {
                    break;
                }
                part = fill(in, buffer, partSize);
                if (part.size == 0) {
                    break;
                }
            }
            checkTotal(key, length, total);
            try {
                connection.client().completeMultipartUpload(b -> b.bucket(settings.bucket()).key(key).uploadId(uploadId)
                        .multipartUpload(m -> m.parts(parts)));
            } catch (SdkException e) {
                throw S3Errors.storing("completing the multipart upload of " + where(key), e);
            }
            LOG.debug("stored {} in {} parts ({} bytes)", where(key), parts.size(), total);
        } catch (IOException | RuntimeException | Error e) {
            abort(key, uploadId, e);
            throw e;
        }
    }

    private void checkTotal(String key, long length, long total) throws IOException {
        if (length >= 0 && total != length) {
            throw new IOException("storing " + where(key) + ": the source sent " + total + " bytes but announced "
                    + length);
        }
    }

    /** The part size for an object: partSize, or larger when a known length would need more than 10000 parts. */
    private int partSizeFor(String key, long length) throws PoisonException {
        long partSize = settings.partSize();
        if (length > partSize * MAX_PARTS) {
            long needed = (length + MAX_PARTS - 1) / MAX_PARTS;
            long rounded = (needed + S3Settings.MIB - 1) / S3Settings.MIB * S3Settings.MIB;
            if (rounded > S3Settings.MAX_PART_SIZE) {
                throw new PoisonException("storing " + where(key) + ": an object of " + length
                        + " bytes needs parts larger than " + S3Settings.human(S3Settings.MAX_PART_SIZE));
            }
            LOG.info("{}: using parts of {} so that {} bytes fit in {} parts", where(key), S3Settings.human(rounded),
                    length, MAX_PARTS);
            partSize = rounded;
        }
        return (int) partSize;
    }

    private CompletedPart uploadPart(String key, String uploadId, int number, byte[] buffer, int size) throws IOException {
        try {
            String etag = connection.client().uploadPart(b -> b.bucket(settings.bucket()).key(key).uploadId(uploadId)
                            .partNumber(number).contentLength((long) size),
                    RequestBody.fromContentProvider(() -> new ByteArrayInputStream(buffer, 0, size), size,
                            "application/octet-stream")).eTag();
            return CompletedPart.builder().partNumber(number).eTag(etag).build();
        } catch (SdkException e) {
            throw S3Errors.storing("uploading part " + number + " of " + where(key), e);
        }
    }

    private void putBuffer(String key, byte[] buffer, int size, String contentType, Map<String, String> metadata)
            throws IOException {
        try {
            connection.client().putObject(b -> b.bucket(settings.bucket()).key(key).contentType(contentType)
                            .metadata(metadata)
                            .contentLength((long) size),
                    RequestBody.fromContentProvider(() -> new ByteArrayInputStream(buffer, 0, size), size, contentType));
        } catch (SdkException e) {
            throw S3Errors.storing("storing " + where(key), e);
        }
    }

    private void putMarker(String marker) throws IOException {
        try {
            connection.client().putObject(b -> b.bucket(settings.bucket()).key(marker).contentType(MARKER_CONTENT_TYPE)
                    .contentLength(0L), RequestBody.empty());
        } catch (SdkException e) {
            throw S3Errors.storing("writing the marker " + where(marker), e);
        }
    }

    /** Aborts a multipart upload, even on an interrupted thread; failures are added to {@code failure}. */
    private void abort(String key, String uploadId, Throwable failure) {
        boolean interrupted = Thread.interrupted();
        try {
            connection.client().abortMultipartUpload(b -> b.bucket(settings.bucket()).key(key).uploadId(uploadId));
            LOG.debug("aborted the multipart upload of {}", where(key));
        } catch (SdkException e) {
            if (!S3Errors.notFound(e)) {
                LOG.warn("could not abort the multipart upload {} of {}; its parts stay until a lifecycle rule removes "
                        + "them: {}", uploadId, where(key), S3Errors.describe(e));
                failure.addSuppressed(e);
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void deleteQuietly(String key, Throwable failure) {
        boolean interrupted = Thread.interrupted();
        try {
            connection.client().deleteObject(b -> b.bucket(settings.bucket()).key(key));
        } catch (SdkException e) {
            failure.addSuppressed(e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A part read from the stream. */
    private record Part(byte[] buffer, int size, boolean eof) {
    }

    /**
     * Reads up to {@code limit} bytes into the buffer, growing it (by doubling, up to {@code limit}) while the
     * stream has more. Returns when the part is full or the stream ends.
     */
    private static Part fill(InputStream in, byte[] buffer, int limit) throws IOException {
        int size = 0;
        while (true) {
            if (size == buffer.length) {
                if (buffer.length >= limit) {
                    return new Part(buffer, size, false);
                }
                buffer = Arrays.copyOf(buffer, (int) Math.min(limit, Math.max(2L * buffer.length, 1)));
            }
            int n = in.read(buffer, size, buffer.length - size);
            if (n < 0) {
                return new Part(buffer, size, true);
            }
            size += n;
        }
    }

    private String keyOf(Codec codec) throws PoisonException {
        String key = Keys.join(settings.prefix(), codec.name());
        String why = Keys.whyInvalid(key);
        if (why != null) {
            throw new PoisonException("object name '" + codec.name() + "' cannot be stored in destination '"
                    + settings.name() + "' (bucket '" + settings.bucket() + "'): " + why);
        }
        return key;
    }

    private String where(String key) {
        return "s3://" + settings.bucket() + "/" + key + " at " + settings.endpointLabel()
                + " (destination '" + settings.name() + "')";
    }

    /** Closes the client. Idempotent. */
    @Override
    public void close() {
        connection.close();
    }

    @Override
    public String toString() {
        return "S3Destination[" + settings.name() + ": s3://" + settings.bucket() + "/" + settings.prefix() + " at "
                + settings.endpointLabel() + (settings.metafilesPrefix() == null ? "" : ", markers under "
                + settings.metafilesPrefix()) + "]";
    }

    /**
     * Fails the upload when the stream ends before the announced length (the SDK would otherwise report a
     * less specific error), remembering the failure for the caller.
     */
    private static final class LengthCheckingStream extends java.io.FilterInputStream {
        private final long expected;
        private final String what;
        private long count;
        private volatile IOException failure;

        LengthCheckingStream(InputStream in, long expected, String what) {
            super(in);
            this.expected = expected;
            this.what = what;
        }

        IOException failure() {
            return failure;
        }

        @Override
        public int read() throws IOException {
            if (count >= expected) {
                return -1;
            }
            int b = super.read();
            if (b < 0) {
                throw ended();
            }
            count++;
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (count >= expected) {
                return -1;
            }
            int n = super.read(buf, off, (int) Math.min(len, expected - count));
            if (n < 0) {
                throw ended();
            }
            count += n;
            return n;
        }

        private IOException ended() {
            failure = new IOException("storing " + what + ": the source ended after " + count + " of the " + expected
                    + " bytes it announced");
            return failure;
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        @Override
        public void close() {
            // The blob's owner closes the underlying stream.
        }
    }
}
