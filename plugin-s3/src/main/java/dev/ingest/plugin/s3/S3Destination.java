package dev.ingest.plugin.s3;

import dev.ingest.api.Blob;
import dev.ingest.api.BlobOrigin;
import dev.ingest.api.Codec;
import dev.ingest.api.Destination;
import dev.ingest.api.Inventory;
import dev.ingest.api.Listed;
import dev.ingest.api.PoisonException;
import dev.ingest.api.Presence;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A bucket as a destination: stores each object at its key ({@link Keys#join prefix + name}).
 *
 * <p><b>Server-side copy.</b> With {@code serverSideCopy} (the default), a blob whose {@link BlobOrigin} is in this
 * destination's {@link S3Settings#realm() realm} (an S3 source on the same endpoint, region and access key) is
 * copied within S3: {@code CopyObject} up to {@code copyPartSize}, a multipart upload of {@code UploadPartCopy}
 * parts ({@code uploadConcurrency} at once) above it. The copy gets the blob's content type and the same version
 * metadata and marker as a streamed object, and is conditional on the source's ETag (the codec's version), so it
 * copies exactly the version that was listed. The blob is then closed unread, which aborts its download. When S3
 * refuses the copy because the source is not accessible to this destination ({@code 403}, {@code 404}), has
 * changed ({@code 412}) or copies are not implemented ({@code 501}), the blob is streamed instead; the first such
 * fallback is logged at WARN, later ones at DEBUG.
 *
 * <p><b>Streaming.</b> An object of known length below {@code multipartThreshold} is sent with one
 * {@code PutObject} straight from the blob's stream. A larger object, or one of unknown length, is read in parts
 * of {@code partSize} bytes and uploaded with a multipart upload, {@code uploadConcurrency} parts at once while
 * the next part is read; if its content turns out to fit in a single part, it is sent with one {@code PutObject}
 * instead. A copy thus holds at most {@code uploadConcurrency + 1} part buffers, {@code partSize} each; the
 * buffers come from the process-wide {@link BufferPool}, which reuses them and keeps all copies together within a
 * quarter of the heap (copies wait for a buffer rather than exceed it). S3 makes an object visible only once its
 * {@code PutObject} or {@code CompleteMultipartUpload} succeeds; on any failure the parts in flight are stopped and
 * the multipart upload is aborted, so neither a partial object nor its parts stay behind.
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
 * <p>Thread-safety: safe for concurrent use; each store has its own buffers. Two concurrent stores of the same
 * name race; the last to finish wins. Parts are sent by the destination's own daemon threads, created on demand
 * and stopped by {@link #close()}.
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

    private static final AtomicInteger DESTINATIONS = new AtomicInteger();

    private final S3Connection connection;
    private final S3Settings settings;
    private final BufferPool buffers;
    private final ExecutorService partThreads;
    private final String realm;
    private final AtomicBoolean warnedFallback = new AtomicBoolean();
    private final AtomicLong serverSideCopies = new AtomicLong();
    private final AtomicLong copyFallbacks = new AtomicLong();

    /**
     * @param connection the client, owned (and closed) by this destination from now on
     */
    S3Destination(S3Connection connection) {
        this(connection, BufferPool.SHARED);
    }

    /**
     * @param connection the client, owned (and closed) by this destination from now on
     * @param buffers where part buffers come from
     */
    S3Destination(S3Connection connection, BufferPool buffers) {
        this.connection = Objects.requireNonNull(connection, "connection");
        this.settings = connection.settings();
        this.buffers = Objects.requireNonNull(buffers, "buffers");
        this.realm = settings.realm();
        this.partThreads = Executors.newCachedThreadPool(partThreadFactory(settings.name()));
    }

    private static ThreadFactory partThreadFactory(String name) {
        return S3Connection.daemonThreads("s3-parts-" + name + "-" + DESTINATIONS.incrementAndGet() + "-");
    }

    /** @return the settings it was created with */
    S3Settings settings() {
        return settings;
    }

    /** @return how many objects this destination copied server-side; for tests and logs */
    long serverSideCopies() {
        return serverSideCopies.get();
    }

    /** @return how many server-side copies fell back to streaming; for tests and logs */
    long copyFallbacks() {
        return copyFallbacks.get();
    }

    @Override
    public Optional<URI> stat(Codec codec) throws IOException {
        return check(codec).map(Presence::uri);
    }

    /**
     * Asks {@code HeadObject}: present when the object exists with the listed size and, if it carries a version
     * ({@code x-amz-meta-ingest-version}), the codec's; verified when that recorded version, or the object's ETag,
     * equals the codec's version. With {@code metafilesPrefix} a marker alone makes the object present, unverified.
     */
    @Override
    public Optional<Presence> check(Codec codec) throws IOException {
        String key = keyOf(codec);
        URI uri = Keys.uri(settings.bucket(), key);
        if (settings.metafilesPrefix() == null) {
            return head(key).filter(h -> sameObject(codec, h)).map(h -> new Presence(uri, provenVersion(codec, h)));
        }
        String marker = Keys.markerOf(settings.metafilesPrefix(), codec.name());
        if (head(marker).isPresent()) {
            return Optional.of(Presence.unverified(uri));
        }
        Optional<HeadObjectResponse> object = head(key).filter(h -> sameObject(codec, h));
        if (object.isEmpty()) {
            return Optional.empty();
        }
        LOG.info("{} exists without its marker {}; writing the marker", uri, marker);
        putMarker(marker);
        return Optional.of(new Presence(uri, provenVersion(codec, object.get())));
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

    /** Whether the stored object is proven to be the codec's version: by the version it was stored with, or its ETag. */
    private static boolean provenVersion(Codec codec, HeadObjectResponse head) {
        if (codec.version().isEmpty()) {
            return false;
        }
        String stored = head.hasMetadata() ? head.metadata().get(VERSION_METADATA) : null;
        return codec.version().equals(stored) || codec.version().equals(Listings.etag(head.eTag()));
    }

    /** Whether a version can travel as an S3 metadata header: printable ASCII, not too long. */
    private static boolean storable(String version) {
        return !version.isEmpty() && version.length() <= MAX_VERSION_LENGTH
                && version.chars().allMatch(c -> c >= 0x20 && c < 0x7f);
    }

    private static Map<String, String> metadataOf(Codec codec) {
        return storable(codec.version()) ? Map.of(VERSION_METADATA, codec.version()) : Map.of();
    }

    /** The version metadata and the blob's own user metadata (a batch's record count and sequences). */
    private static Map<String, String> metadataOf(Codec codec, Blob blob) {
        if (blob.metadata().isEmpty()) {
            return metadataOf(codec);
        }
        Map<String, String> all = new java.util.LinkedHashMap<>(blob.metadata());
        all.putAll(metadataOf(codec));
        return all;
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

    /**
     * Lists the objects under this destination's prefix with {@code ListObjectsV2}, a thousand per request (folder
     * by folder with {@code listByPrefix}), in the order S3 keeps keys in (UTF-8 bytes); each entry's name is its key without the prefix, its version its ETag.
     * With {@code metafilesPrefix} there is no listing: markers decide what is present, and their names
     * ({@code <name>.done}) do not sort like the objects' names.
     */
    @Override
    public Optional<Inventory> inventory() {
        if (settings.metafilesPrefix() != null) {
            return Optional.empty();
        }
        String prefix = settings.prefix().isEmpty() ? "" : Keys.join(settings.prefix(), "");
        Listings.Listing objects = Listings.objects(connection.client(), settings, prefix, false, null);
        return Optional.of(new Inventory() {
            @Override
            public Optional<Listed> next() throws IOException {
                try {
                    while (objects.hasNext()) {
                        S3Object o = objects.next();
                        String key = o.key();
                        if (Listings.isFolder(key) || !key.startsWith(prefix) || key.length() == prefix.length()) {
                            continue;
                        }
                        return Optional.of(new Listed(key.substring(prefix.length()), Listings.size(o),
                                Listings.etag(o.eTag())));
                    }
                    return Optional.empty();
                } catch (SdkException e) {
                    throw S3Errors.retryable("listing " + where(prefix), e);
                }
            }

            /** Stops the listing's requests ahead (folder by folder) and their threads. */
            @Override
            public void close() {
                objects.close();
            }
        });
    }

    /**
     * An entry is the codec's object when it has the listed size and the codec's version is its ETag: an S3 source
     * lists ETags as versions, and a copy, streamed in one {@code PUT} or copied within S3, has the ETag of its
     * source (the MD5 of the content, for objects not uploaded in parts nor encrypted with KMS). Anything else
     * (objects uploaded in parts, other sources' versions) is left to {@link #stat}.
     */
    @Override
    public boolean holds(Codec codec, Listed entry) {
        return codec.size() >= 0 && entry.size() == codec.size() && !codec.version().isEmpty()
                && codec.version().equals(entry.version());
    }

    @Override
    public URI store(Codec codec, Blob blob) throws IOException {
        String key = keyOf(codec);
        if (!copyServerSide(codec, key, blob)) {
            stream(codec, key, blob);
        }
        if (settings.metafilesPrefix() != null) {
            putMarker(Keys.markerOf(settings.metafilesPrefix(), codec.name()));
        }
        return Keys.uri(settings.bucket(), key);
    }

    // ---- server-side copy ----

    /** Where a blob lives in this destination's realm. */
    private record CopySource(String bucket, String key, long length) {
    }

    /** The blob's origin, when this destination can copy from it; otherwise empty (and the blob is streamed). */
    private Optional<CopySource> copySource(Codec codec, Blob blob) {
        if (!settings.serverSideCopy() || blob.origin().isEmpty()) {
            return Optional.empty();
        }
        BlobOrigin origin = blob.origin().get();
        if (!realm.equals(origin.realm())) {
            LOG.debug("streaming {}: its origin {} is in another realm", codec.name(), origin.uri());
            return Optional.empty();
        }
        URI uri = origin.uri();
        String bucket = uri.getAuthority();
        String path = uri.getPath();
        if (!"s3".equalsIgnoreCase(uri.getScheme()) || bucket == null || path == null || path.length() < 2) {
            LOG.debug("streaming {}: its origin {} is not s3://bucket/key", codec.name(), uri);
            return Optional.empty();
        }
        long length = blob.length().orElse(codec.size());
        if (length < 0) {
            return Optional.empty();
        }
        return Optional.of(new CopySource(bucket, path.substring(1), length));
    }

    /**
     * Copies the blob within S3 when it comes from this realm.
     *
     * @return true if copied (and the blob closed), false if the blob must be streamed
     */
    private boolean copyServerSide(Codec codec, String key, Blob blob) throws IOException {
        Optional<CopySource> found = copySource(codec, blob);
        if (found.isEmpty()) {
            return false;
        }
        CopySource source = found.get();
        // Copy exactly the version that was listed (the S3 source's version is the ETag): if the object changed
        // since, S3 answers 412 and the blob, which holds what the source now serves, is streamed.
        String ifMatch = storable(codec.version()) && codec.version().indexOf('"') < 0
                ? "\"" + codec.version() + "\"" : null;
        String from = "s3://" + source.bucket() + "/" + source.key();
        try {
            if (source.length() <= settings.copyPartSize()) {
                copyObject(codec, key, blob.contentType(), source, ifMatch);
            } else {
                copyInParts(codec, key, blob.contentType(), source, ifMatch);
            }
        } catch (CopySourceUnavailable e) {
            copyFallbacks.incrementAndGet();
            if (warnedFallback.compareAndSet(false, true)) {
                LOG.warn("cannot copy {} to {} within S3 ({}); streaming it instead. Further fallbacks of this "
                        + "destination are logged at DEBUG; set serverSideCopy: false to always stream", from, where(key),
                        e.getMessage());
            } else {
                LOG.debug("cannot copy {} to {} within S3 ({}); streaming it", from, where(key), e.getMessage());
            }
            return false;
        }
        serverSideCopies.incrementAndGet();
        LOG.debug("copied {} to {} within S3 ({} bytes)", from, where(key), source.length());
        try {
            blob.close(); // unread: aborts the download at once rather than when the engine closes it
        } catch (IOException e) {
            LOG.debug("closing the unread download of {} failed: {}", from, e.toString());
        }
        return true;
    }

    /** S3 refused a copy because of its source: the blob can still be streamed. */
    private static final class CopySourceUnavailable extends IOException {
        private static final long serialVersionUID = 1L;

        CopySourceUnavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * The failure of a copy request: {@link CopySourceUnavailable} when streaming may still work (the source is
     * forbidden or missing for this destination's credentials, it changed, or the store cannot copy), otherwise as
     * any failure to store.
     */
    private static IOException copyFailure(String what, SdkException e) {
        if (S3Errors.copySourceUnavailable(e)) {
            return new CopySourceUnavailable(S3Errors.describe(e), e);
        }
        return S3Errors.storing(what, e);
    }

    private void copyObject(Codec codec, String key, String contentType, CopySource source, String ifMatch)
            throws IOException {
        try {
            connection.client().copyObject(b -> b.sourceBucket(source.bucket()).sourceKey(source.key())
                    .destinationBucket(settings.bucket()).destinationKey(key)
                    .metadataDirective(MetadataDirective.REPLACE).contentType(contentType).metadata(metadataOf(codec))
                    .copySourceIfMatch(ifMatch));
        } catch (SdkException e) {
            throw copyFailure("copying s3://" + source.bucket() + "/" + source.key() + " to " + where(key), e);
        }
    }

    /** A multipart copy: parts of (at least) copyPartSize, copied uploadConcurrency at a time. */
    private void copyInParts(Codec codec, String key, String contentType, CopySource source, String ifMatch)
            throws IOException {
        long length = source.length();
        long partSize = Math.max(settings.copyPartSize(), (length + MAX_PARTS - 1) / MAX_PARTS);
        if (partSize > S3Settings.MAX_COPY_PART_SIZE) {
            throw new PoisonException("copying to " + where(key) + ": an object of " + length
                    + " bytes needs parts larger than S3's " + S3Settings.human(S3Settings.MAX_COPY_PART_SIZE));
        }
        String uploadId = createUpload(key, contentType, metadataOf(codec));
        ParallelParts parts = new ParallelParts(partThreads, settings.uploadConcurrency(), "copying to " + where(key));
        try {
            int number = 0;
            for (long first = 0; first < length; first += partSize) {
                int n = ++number;
                String range = "bytes=" + first + "-" + (Math.min(length, first + partSize) - 1);
                parts.submit(() -> copyPart(key, uploadId, n, source, range, ifMatch), () -> { });
            }
            complete(key, uploadId, parts.awaitAll());
            LOG.debug("copied {} to {} in {} parts", source, where(key), number);
        } catch (IOException | RuntimeException | Error e) {
            parts.cancel();
            abort(key, uploadId, e);
            throw e;
        }
    }

    private CompletedPart copyPart(String key, String uploadId, int number, CopySource source, String range,
                                   String ifMatch) throws IOException {
        try {
            String etag = connection.client().uploadPartCopy(b -> b.sourceBucket(source.bucket()).sourceKey(source.key())
                    .destinationBucket(settings.bucket()).destinationKey(key).uploadId(uploadId).partNumber(number)
                    .copySourceRange(range).copySourceIfMatch(ifMatch)).copyPartResult().eTag();
            return CompletedPart.builder().partNumber(number).eTag(etag).build();
        } catch (SdkException e) {
            throw copyFailure("copying part " + number + " of s3://" + source.bucket() + "/" + source.key() + " to "
                    + where(key), e);
        }
    }

    // ---- streaming ----

    private void stream(Codec codec, String key, Blob blob) throws IOException {
        OptionalLong length = blob.length();
        if (length.isPresent() && length.getAsLong() < settings.multipartThreshold()) {
            putStream(key, blob.stream(), length.getAsLong(), blob.contentType(), metadataOf(codec, blob));
        } else {
            putInParts(key, blob.stream(), length.isPresent() ? length.getAsLong() : -1, blob.contentType(),
                    metadataOf(codec, blob));
        }
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
     * Reads the stream in parts of (at least) {@code partSize} bytes and uploads them, {@code uploadConcurrency}
     * at once while the next one is read; content that fits one part is sent with one PutObject.
     */
    private void putInParts(String key, InputStream in, long length, String contentType, Map<String, String> metadata)
            throws IOException {
        int partSize = partSizeFor(key, length);
        BufferPool.Lease lease = lease(key, partSize);
        try {
            // With a known length below partSize (multipartThreshold < partSize) one byte more sees the end at once;
            // of unknown length, the first buffer starts small and grows, so that a small object stays small.
            Part first = fill(key, in, lease, (int) Math.min(partSize, length >= 0 ? length + 1 : FIRST_BUFFER));
            if (first.eof) {
                checkTotal(key, length, first.size);
                putBuffer(key, lease.buffer(0), first.size, contentType, metadata);
                return;
            }
            String uploadId = createUpload(key, contentType, metadata);
            ParallelParts parts = new ParallelParts(partThreads, settings.uploadConcurrency(), "storing " + where(key));
            try {
                long total = 0;
                int number = 0;
                Part part = first;
                while (true) {
                    number++;
                    if (number > MAX_PARTS) {
                        throw new PoisonException("storing " + where(key) + ": the object is larger than " + MAX_PARTS
                                + " parts of " + S3Settings.human(partSize) + "; raise partSize");
                    }
                    total += part.size;
                    if (length >= 0 && total > length) {
                        throw new IOException("storing " + where(key) + ": the source sent more than the " + length
                                + " bytes it announced");
                    }
                    BufferPool.Lease sent = lease;
                    lease = null; // from here on the part owns it, and gives it back once uploaded
                    int n = number;
                    int size = part.size;
                    parts.submit(() -> uploadPart(key, uploadId, n, sent.buffer(0), size), sent::release);
                    if (part.eof) {
                        break;
                    }
                    lease = lease(key, partSize);
                    part = fill(key, in, lease, partSize);
                    if (part.size == 0) {
                        break;
                    }
                }
                checkTotal(key, length, total);
                List<CompletedPart> done = parts.awaitAll();
                complete(key, uploadId, done);
                LOG.debug("stored {} in {} parts ({} bytes)", where(key), done.size(), total);
            } catch (IOException | RuntimeException | Error e) {
                parts.cancel();
                abort(key, uploadId, e);
                throw e;
            }
        } finally {
            if (lease != null) {
                lease.release();
            }
        }
    }

    /** A part buffer from the pool; waits while the pool's budget is used up. */
    private BufferPool.Lease lease(String key, int size) throws IOException {
        try {
            return buffers.acquire(size);
        } catch (InterruptedException e) {
            throw S3Errors.interruption("storing " + where(key), e);
        }
    }

    private String createUpload(String key, String contentType, Map<String, String> metadata) throws IOException {
        try {
            return connection.client().createMultipartUpload(b -> b.bucket(settings.bucket()).key(key)
                    .contentType(contentType).metadata(metadata)).uploadId();
        } catch (SdkException e) {
            throw S3Errors.storing("starting a multipart upload of " + where(key), e);
        }
    }

    private void complete(String key, String uploadId, List<CompletedPart> parts) throws IOException {
        try {
            connection.client().completeMultipartUpload(b -> b.bucket(settings.bucket()).key(key).uploadId(uploadId)
                    .multipartUpload(m -> m.parts(parts)));
        } catch (SdkException e) {
            throw S3Errors.storing("completing the multipart upload of " + where(key), e);
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

    /** A part read from the stream into a lease's buffer. */
    private record Part(int size, boolean eof) {
    }

    /**
     * Reads up to {@code lease.size()} bytes into the lease's buffer (allocated with {@code initial} bytes when it
     * has none), growing it by doubling while the stream has more. Returns when the part is full or the stream
     * ends. Fails as interrupted when the thread was interrupted meanwhile (a shutdown): reads from a source may
     * not notice, and the part would be sent by another thread, which would not either.
     */
    private Part fill(String key, InputStream in, BufferPool.Lease lease, int initial) throws IOException {
        byte[] buffer = lease.buffer(initial);
        int size = 0;
        while (true) {
            if (size == buffer.length) {
                if (buffer.length >= lease.size()) {
                    return interruptible(key, new Part(size, false));
                }
                buffer = lease.grow();
            }
            int n = in.read(buffer, size, buffer.length - size);
            if (n < 0) {
                return interruptible(key, new Part(size, true));
            }
            size += n;
        }
    }

    private Part interruptible(String key, Part part) throws IOException {
        if (Thread.currentThread().isInterrupted()) {
            throw S3Errors.interruption("storing " + where(key), new InterruptedException("interrupted while reading"));
        }
        return part;
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

    /** Stops the part threads and closes the client. Idempotent. */
    @Override
    public void close() {
        partThreads.shutdownNow();
        connection.close();
    }

    @Override
    public String toString() {
        return "S3Destination[" + settings.name() + ": s3://" + settings.bucket() + "/" + settings.prefix() + " at "
                + settings.endpointLabel() + (settings.metafilesPrefix() == null ? "" : ", markers under "
                + settings.metafilesPrefix()) + (settings.serverSideCopy() ? ", server-side copy" : "") + "]";
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
