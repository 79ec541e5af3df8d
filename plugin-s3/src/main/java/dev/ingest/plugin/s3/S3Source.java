package dev.ingest.plugin.s3;

import dev.ingest.api.Blob;
import dev.ingest.api.BlobOrigin;
import dev.ingest.api.CheckpointUpdate;
import dev.ingest.api.Codec;
import dev.ingest.api.Inventory;
import dev.ingest.api.ObjectFeed;
import dev.ingest.api.PoisonException;
import dev.ingest.api.Scan;
import dev.ingest.api.ScanContext;
import dev.ingest.api.Source;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A bucket (or the part of it under a prefix) as a source: lists its objects and serves them, then deletes them
 * once every destination holds them.
 *
 * <p>Listing uses {@code ListObjectsV2} page by page: only the current page (at most 1000 keys) is held in
 * memory, whatever the size of the bucket. With {@code recursive: false} only the first level below the prefix
 * is listed ({@code /} as the delimiter). Keys ending in {@code /} (the "folders" consoles create) are skipped.
 *
 * <p>Each object travels as a codec whose id is its key, whose name is the key without the prefix (see
 * {@link Keys#nameOf}), whose version is its ETag and whose size is its length.
 *
 * <p>Each downloaded blob carries its {@link BlobOrigin}: {@code s3://bucket/key} and the source's
 * {@link S3Settings#realm() realm}, so that an S3 destination reaching the same store with the same identity
 * copies the object within S3 ({@code CopyObject}) and only closes the blob, which aborts the download unread.
 *
 * <p>Thread-safety: safe for concurrent use. Each {@link #scan()} lists for itself (one thread at a time per scan,
 * and with {@code listByPrefix} up to {@code listConcurrency - 1} threads of its own listing folders ahead),
 * so several workflows may scan one source at once; {@link #download} and {@link #cleanUp} may run concurrently
 * with scans.
 */
final class S3Source implements Source {

    private static final Logger LOG = LoggerFactory.getLogger(S3Source.class);

    private final S3Connection connection;
    private final S3Settings settings;
    private final Integer pageSize;
    private final String realm;
    private final ScanSettings scanning;
    private final Clock clock;
    private final NotificationSettings notifications;

    /** The checkpoint entry of the cursor: the last key queued, UTF-8. */
    static final String CURSOR_ENTRY = "cursor";
    /** The checkpoint entry of the last full scan's start: epoch milliseconds, decimal. */
    static final String FULL_SCAN_ENTRY = "fullScanAt";

    /**
     * @param connection the client, owned (and closed) by this source from now on
     * @param pageSize keys per listing request, or {@code null} for the server's default (1000 on AWS); for tests
     */
    S3Source(S3Connection connection, Integer pageSize) {
        this(connection, pageSize, ScanSettings.ALL, Clock.systemUTC());
    }

    /**
     * @param connection the client, owned (and closed) by this source from now on
     * @param pageSize keys per listing request, or {@code null} for the server's default (1000 on AWS); for tests
     * @param scanning filters, start and cursor
     * @param clock tells when a full scan is due
     */
    S3Source(S3Connection connection, Integer pageSize, ScanSettings scanning, Clock clock) {
        this(connection, pageSize, scanning, clock, null);
    }

    /**
     * @param connection the client, owned (and closed) by this source from now on
     * @param pageSize keys per listing request, or {@code null} for the server's default (1000 on AWS); for tests
     * @param scanning filters, start and cursor
     * @param clock tells when a full scan is due
     * @param notifications where notifications come from, or {@code null} for none
     */
    S3Source(S3Connection connection, Integer pageSize, ScanSettings scanning, Clock clock,
             NotificationSettings notifications) {
        this.notifications = notifications;
        this.connection = Objects.requireNonNull(connection, "connection");
        this.settings = connection.settings();
        this.pageSize = pageSize;
        this.realm = settings.realm();
        this.scanning = Objects.requireNonNull(scanning, "scanning");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * With {@code notifications:}, a new feed of S3 event notifications for the workflow (SQS or NATS); else none.
     * Sets nothing up: the feed connects when it runs.
     */
    @Override
    public Optional<ObjectFeed> feed(String workflow) {
        if (notifications == null) {
            return Optional.empty();
        }
        S3Events events = new S3Events(settings.bucket(), settings.prefix(), scanning.filter());
        return Optional.of(notifications.sqs()
                ? new SqsFeed(settings.name(), notifications, events, S3Connection.credentialsProvider(settings))
                : new NatsFeed(settings.name(), workflow, notifications, events));
    }

    /** Lists the bucket from {@code startAfter} on, without a cursor. */
    @Override
    public Scan scan() {
        return new CursorScan(scanning.startAfter(), null, false, null);
    }

    /**
     * Lists the bucket page by page (or folder by folder), one page held at a time, independently of other scans. With
     * {@code cursor: true}: after the workflow's cursor, or from {@code startAfter} when a full scan is due.
     */
    @Override
    public Scan scan(ScanContext context) throws IOException {
        if (!scanning.cursor()) {
            return scan();
        }
        Map<String, byte[]> checkpoint = context.checkpoint();
        byte[] stored = checkpoint.get(CURSOR_ENTRY);
        String cursor = stored == null ? null : new String(stored, StandardCharsets.UTF_8);
        boolean full = cursor == null;
        if (!full && scanning.fullScanInterval().isPresent()) {
            byte[] at = checkpoint.get(FULL_SCAN_ENTRY);
            long last = 0;
            try {
                last = at == null ? 0 : Long.parseLong(new String(at, StandardCharsets.UTF_8));
            } catch (NumberFormatException e) {
                LOG.warn("source {}: the last full scan's time in the checkpoint is unreadable; scanning in full",
                        settings.name());
            }
            full = clock.millis() - last >= scanning.fullScanInterval().get().toMillis();
        }
        String after = scanning.startAfter();
        if (!full && Inventory.compareNames(cursor, after) > 0) {
            after = cursor;
        }
        return new CursorScan(after, cursor, full, context);
    }

    /**
     * One listing from a key on. With a cursor, it moves the cursor to each key it returns that is past it, and at
     * the end of a complete listing to the last key listed (filtered out or not), so that the next scan starts there.
     */
    private final class CursorScan implements Scan {
        private final Listings.Listing objects;
        private final String committed;
        private final boolean full;
        private final ScanContext context;
        private final long startedAt = clock.millis();
        private String last;
        private String furthest;

        /**
         * @param after list the keys after this one (empty: all)
         * @param committed the cursor committed before, or {@code null} (none, or no cursor mode)
         * @param full whether this is a cursor source's full scan
         * @param context where to report, or {@code null} without a cursor
         */
        CursorScan(String after, String committed, boolean full, ScanContext context) {
            this.objects = Listings.objects(connection.client(), settings, settings.prefix(), !settings.recursive(),
                    pageSize, after);
            this.committed = committed;
            this.furthest = committed;
            this.full = full;
            this.context = context;
            if (context != null) {
                context.status(status(committed));
                LOG.info("source {}: {} scan, listing keys after '{}'", settings.name(),
                        full ? "full" : "cursor", after);
            }
        }

        private Map<String, String> status(String cursor) {
            Map<String, String> out = new LinkedHashMap<>();
            out.put("cursor", cursor == null ? "(none yet)" : cursor);
            out.put("scan", full ? "full" : "after cursor");
            scanning.fullScanInterval().ifPresent(d -> out.put("fullScanInterval", d.toString()));
            return out;
        }

        @Override
        public Optional<Codec> next() throws IOException {
            try {
                while (objects.hasNext()) {
                    S3Object o = objects.next();
                    String key = o.key();
                    last = key;
                    if (Listings.isFolder(key)) {
                        continue;
                    }
                    String name = Keys.nameOf(key, settings.prefix());
                    if (!scanning.filter().selected(name)) {
                        continue;
                    }
                    return Optional.of(Codec.of(key, name, Listings.etag(o.eTag()), Listings.size(o)));
                }
            } catch (SdkException e) {
                throw S3Errors.retryable("listing " + where(settings.prefix()), e);
            }
            return Optional.empty();
        }

        @Override
        public CheckpointUpdate checkpointAfter(Codec codec) {
            if (context == null) {
                return CheckpointUpdate.NONE;
            }
            Map<String, byte[]> put = new HashMap<>();
            String key = codec == null ? last : codec.id();
            if (key != null && (furthest == null || Inventory.compareNames(key, furthest) > 0)) {
                furthest = key;
                put.put(CURSOR_ENTRY, key.getBytes(StandardCharsets.UTF_8));
            }
            if (codec == null) {
                if (full) {
                    put.put(FULL_SCAN_ENTRY, Long.toString(startedAt).getBytes(StandardCharsets.UTF_8));
                }
                context.status(status(furthest));
            }
            return put.isEmpty() ? CheckpointUpdate.NONE : new CheckpointUpdate(put, Set.of());
        }

        /** Stops the listing's requests ahead (folder by folder) and their threads. */
        @Override
        public void close() {
            objects.close();
        }
    }

    /**
     * Opens the object. The blob's stream reads straight from the HTTP response; closing it before the end
     * aborts the request instead of reading the rest (so a destination that copies server-side closes it
     * unread). The blob carries the object's origin, {@code s3://bucket/key} in this source's realm.
     *
     * @throws PoisonException if the object no longer exists, or is archived and must be restored first
     */
    @Override
    public Blob download(Codec codec) throws IOException {
        String key = codec.id();
        ResponseInputStream<GetObjectResponse> response;
        try {
            response = connection.client().getObject(b -> b.bucket(settings.bucket()).key(key));
        } catch (SdkException e) {
            if (S3Errors.notFound(e)) {
                throw new PoisonException("object '" + key + "' in bucket '" + settings.bucket() + "' at "
                        + settings.endpointLabel() + " vanished between listing and download (" + S3Errors.describe(e)
                        + ")", e);
            }
            if (S3Errors.status(e) == 403 && "InvalidObjectState".equals(S3Errors.code(e))) {
                throw new PoisonException("object '" + key + "' in bucket '" + settings.bucket() + "' at "
                        + settings.endpointLabel() + " is archived and must be restored before it can be copied ("
                        + S3Errors.describe(e) + ")", e);
            }
            throw S3Errors.retryable("downloading " + where(key), e);
        }
        GetObjectResponse meta = response.response();
        Long length = meta.contentLength();
        InputStream stream = new AbortingStream(response, "downloading " + where(key), length == null ? -1 : length);
        Blob blob = length != null && length >= 0
                ? Blob.of(stream, length, meta.contentType())
                : Blob.ofUnknownLength(stream, meta.contentType());
        return withOrigin(blob, key);
    }

    private Blob withOrigin(Blob blob, String key) {
        try {
            return blob.withOrigin(new BlobOrigin(Keys.uri(settings.bucket(), key), realm));
        } catch (IllegalArgumentException e) { // not expressible as a URI: destinations simply stream it
            LOG.debug("no origin for {}: {}", where(key), e.getMessage());
            return blob;
        }
    }

    /**
     * Deletes the object; already gone counts as success. An object whose ETag differs from the codec's version
     * (it was overwritten after it was listed) is left alone: its new content has not been copied yet, and the
     * next scan queues it again.
     */
    @Override
    public void cleanUp(Codec codec) throws IOException {
        String key = codec.id();
        String what = where(key);
        if (!codec.version().isEmpty()) {
            HeadObjectResponse head;
            try {
                head = connection.client().headObject(b -> b.bucket(settings.bucket()).key(key));
            } catch (SdkException e) {
                if (S3Errors.notFound(e)) {
                    return;
                }
                throw S3Errors.retryable("checking " + what + " before deleting it", e);
            }
            if (!codec.version().equals(Listings.etag(head.eTag()))) {
                LOG.info("not deleting {}: it changed after it was listed (ETag {} instead of {}); the next scan queues it",
                        what, Listings.etag(head.eTag()), codec.version());
                return;
            }
        }
        try {
            connection.client().deleteObject(b -> b.bucket(settings.bucket()).key(key));
        } catch (SdkException e) {
            if (S3Errors.notFound(e)) {
                return;
            }
            throw S3Errors.retryable("deleting " + what, e);
        }
    }

    private String where(String key) {
        return "s3://" + settings.bucket() + "/" + key + " at " + settings.endpointLabel()
                + " (source '" + settings.name() + "')";
    }

    /** Closes the client; scans still open fail from now on. Idempotent. */
    @Override
    public void close() {
        connection.close();
    }

    @Override
    public String toString() {
        return "S3Source[" + settings.name() + ": s3://" + settings.bucket() + "/" + settings.prefix() + " at "
                + settings.endpointLabel() + (settings.recursive() ? "" : ", top level only") + "]";
    }

    /**
     * The body of a GET: closing it after the last byte returns the connection to the pool; closing it earlier
     * aborts the request, so an abandoned copy neither reads the rest of a large object nor keeps it open. When
     * what is left (at most {@value #DRAIN_LIMIT} bytes) has already arrived, closing reads it instead of
     * aborting, without waiting for the network: the connection then goes back to the pool, so that copying many
     * small objects server-side (which closes their downloads unread) does not open a connection per object.
     *
     * <p>A read that times out fails with a plain {@link IOException} that says so: a
     * {@link SocketTimeoutException} is an {@link java.io.InterruptedIOException}, easily taken for a shutdown
     * interrupting the copy.
     */
    static final class AbortingStream extends FilterInputStream {
        /** The most bytes read at close rather than aborting the request. */
        static final int DRAIN_LIMIT = 64 * 1024;

        private final ResponseInputStream<?> response;
        private final String what;
        private final long length;
        private long position;
        private boolean ended;
        private boolean closed;
        private boolean aborted;

        AbortingStream(ResponseInputStream<?> response, String what) {
            this(response, what, -1);
        }

        /**
         * @param response the body
         * @param what what is being read, for messages
         * @param length the body's length, or -1 when unknown (then an early close always aborts)
         */
        AbortingStream(ResponseInputStream<?> response, String what, long length) {
            super(response);
            this.response = response;
            this.what = what;
            this.length = length;
        }

        @Override
        public int read() throws IOException {
            int b;
            try {
                b = super.read();
            } catch (SocketTimeoutException e) {
                throw timedOut(e);
            }
            if (b < 0) {
                ended = true;
            } else {
                position++;
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n;
            try {
                n = super.read(buf, off, len);
            } catch (SocketTimeoutException e) {
                throw timedOut(e);
            }
            if (n < 0) {
                ended = true;
            } else {
                position += n;
            }
            return n;
        }

        private IOException timedOut(SocketTimeoutException e) {
            return new IOException(what + ": no data for " + S3Connection.SOCKET_TIMEOUT_SECONDS + " s ("
                    + e.getMessage() + ")", e);
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            if (!ended && !drainedWithoutWaiting()) {
                aborted = true;
                response.abort();
            }
            super.close();
        }

        /** @return whether closing aborted the request (rather than leaving the connection for reuse) */
        boolean aborted() {
            return aborted;
        }

        /** Reads the rest when it is small and has arrived already; never blocks. */
        private boolean drainedWithoutWaiting() {
            long remaining = length - position;
            if (length < 0 || remaining > DRAIN_LIMIT) {
                return false;
            }
            try {
                byte[] scrap = remaining == 0 ? null : new byte[(int) remaining];
                while (remaining > 0) {
                    int available = in.available();
                    if (available <= 0) {
                        return false;
                    }
                    int n = in.read(scrap, 0, (int) Math.min(available, remaining));
                    if (n < 0) {
                        return false;
                    }
                    remaining -= n;
                }
                return true;
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }
    }
}
