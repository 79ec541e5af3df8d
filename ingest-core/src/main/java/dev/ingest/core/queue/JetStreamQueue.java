package dev.ingest.core.queue;

import dev.ingest.api.Codec;
import dev.ingest.api.Secrets;
import dev.ingest.core.config.WorkflowConfig;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.ErrorListener;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PublishOptions;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.PublishAck;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.StreamInfo;
import io.nats.client.api.StreamInfoOptions;
import io.nats.client.api.Subject;
import io.nats.client.KeyValue;
import io.nats.client.impl.Headers;
import java.io.IOException;
import java.time.Duration;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Optional;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ingest's use of NATS JetStream: one stream ({@code ingest}, file storage, work-queue retention, subjects
 * {@code ingest.>}), a subject and a durable pull consumer per workflow, and dead letters on
 * {@code ingest.dlq.<workflow>}. The connection reconnects forever with backoff.
 *
 * <p>Thread-safe. Lifecycle: {@link #connect(QueueSettings)} (or {@link #wrap(Connection, QueueSettings)}),
 * {@link #ensureStream()}, {@link #ensureConsumer} per workflow, use, {@link #close()}.
 */
public final class JetStreamQueue implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(JetStreamQueue.class);

    /** Header naming the workflow of a dead letter. */
    public static final String HEADER_WORKFLOW = "Ingest-Workflow";
    /** Header with why a message was dead-lettered. */
    public static final String HEADER_REASON = "Ingest-Reason";
    /** Header with how many attempts were made. */
    public static final String HEADER_ATTEMPTS = "Ingest-Attempts";
    /** Header with the last error seen. */
    public static final String HEADER_LAST_ERROR = "Ingest-Last-Error";
    /** Header with the subject the message was first published on. */
    public static final String HEADER_ORIGINAL_SUBJECT = "Ingest-Original-Subject";
    /**
     * Header of a workflow message, once per destination whose listing showed, when the source was scanned, that it
     * lacks the object: the dequeuer copies it there without asking the destination first (on the first delivery).
     */
    public static final String HEADER_LACKING_AT = "Ingest-Lacking-At";

    private final QueueSettings settings;
    private final Connection connection;
    private final JetStream js;
    private final JetStreamManagement jsm;
    private final boolean ownsConnection;
    /** When the connection was last made or re-made, as far as this object has seen (millis since the epoch). */
    private volatile long connectedSince = System.currentTimeMillis();
    /** The connection's reconnect count when {@link #connectedSince} was last set. */
    private volatile long reconnectsSeen;

    private JetStreamQueue(QueueSettings settings, Connection connection, boolean ownsConnection) throws IOException {
        this.settings = settings;
        this.connection = connection;
        this.ownsConnection = ownsConnection;
        this.reconnectsSeen = connection.getStatistics().getReconnects();
        this.js = connection.jetStream();
        this.jsm = connection.jetStreamManagement();
    }

    /**
     * Refuses a server without JetStream at once, with what to do about it, instead of letting every JetStream call
     * time out.
     */
    private static void requireJetStream(Connection connection, String endpoint) throws JetStreamDisabledException {
        if (!connection.getServerInfo().isJetStreamAvailable()) {
            throw new JetStreamDisabledException("JetStream is not enabled on " + endpoint + " (server "
                    + connection.getServerInfo().getServerName() + ", version " + connection.getServerInfo().getVersion()
                    + "): start nats-server with -js, or add a jetstream {} block to its configuration");
        }
    }

    /** The server ingest connected to has no JetStream: retrying cannot help until the server is reconfigured. */
    public static final class JetStreamDisabledException extends IOException {
        private static final long serialVersionUID = 1L;

        JetStreamDisabledException(String message) {
            super(message);
        }
    }

    /**
     * Since when the connection has been up without interruption, as far as this queue can tell: the time it was
     * made, or the time a reconnect was first noticed. A message stored in the stream before that time may have been
     * delivered already through an earlier connection (or before a restart of the server that lost the consumer's
     * delivery counts), even when its delivery count says it is the first delivery.
     *
     * @return the time
     */
    public Instant connectedSince() {
        long reconnects = connection.getStatistics().getReconnects();
        if (reconnects != reconnectsSeen) {
            synchronized (this) {
                if (reconnects != reconnectsSeen) {
                    reconnectsSeen = reconnects;
                    connectedSince = System.currentTimeMillis();
                }
            }
        }
        return Instant.ofEpochMilli(connectedSince);
    }

    /**
     * Uses a connection the caller opened and keeps owning: {@link #close()} flushes it but does not close it.
     * Reconnection and connection listeners are whatever the caller configured on it.
     *
     * @param connection an open connection to a server with JetStream enabled
     * @param settings the queue settings; their {@link QueueSettings#endpoint() endpoint} only names the server in
     *     messages
     * @return the queue
     * @throws JetStreamDisabledException if the server has no JetStream
     * @throws IOException if JetStream cannot be used on the connection
     * @throws IllegalArgumentException if the connection is already closed
     */
    public static JetStreamQueue wrap(Connection connection, QueueSettings settings) throws IOException {
        Objects.requireNonNull(connection, "connection");
        Objects.requireNonNull(settings, "settings");
        if (connection.getStatus() == Connection.Status.CLOSED) {
            throw new IllegalArgumentException("the NATS connection is closed");
        }
        requireJetStream(connection, settings.endpoint());
        return new JetStreamQueue(settings, connection, false);
    }

    /**
     * Connects to NATS. Once connected, the connection reconnects forever after losing the server.
     *
     * @param settings the queue settings
     * @return the queue
     * @throws JetStreamDisabledException if the server has no JetStream
     * @throws IOException if the server cannot be reached now, naming the endpoint
     */
    public static JetStreamQueue connect(QueueSettings settings) throws IOException {
        Objects.requireNonNull(settings, "settings");
        Options options = new Options.Builder()
                .server(settings.endpoint())
                .connectionName("ingest")
                .maxReconnects(-1)
                .reconnectWait(Duration.ofMillis(500))
                .reconnectJitter(Duration.ofMillis(250))
                .connectionTimeout(Duration.ofSeconds(5))
                .pingInterval(Duration.ofSeconds(10))
                .connectionListener(new Listener())
                .errorListener(new ErrorListener() {
                })
                .build();
        Connection connection;
        try {
            connection = Nats.connect(options);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while connecting to NATS at " + masked(settings.endpoint(), settings), e);
        } catch (IOException e) {
            throw new IOException(masked("cannot connect to NATS at " + settings.endpoint() + ": " + e.getMessage(),
                    settings) + " (is nats-server running with JetStream enabled? --queue-endpoint=embedded starts one)", e);
        }
        try {
            requireJetStream(connection, settings.endpoint());
            return new JetStreamQueue(settings, connection, true);
        } catch (IOException | RuntimeException e) {
            try {
                connection.close();
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
            throw e;
        }
    }

    private static final class Listener implements ConnectionListener {
        private volatile boolean connected;

        @Override
        public void connectionEvent(Connection conn, Events type) {
            switch (type) {
                case CONNECTED -> connected = true;
                case DISCONNECTED -> {
                    if (connected) { // not while the first connection attempt fails
                        LOG.warn("lost the connection to NATS; reconnecting");
                    }
                }
                case RECONNECTED -> LOG.info("reconnected to NATS at {}", Secrets.redactUrl(String.valueOf(conn.getConnectedUrl())));
                case CLOSED -> LOG.debug("NATS connection closed");
                default -> LOG.debug("NATS connection event {}", type);
            }
        }
    }

    /** @return the settings */
    public QueueSettings settings() {
        return settings;
    }

    /** @return the underlying connection (for health checks) */
    public Connection connection() {
        return connection;
    }

    /** @return whether the connection is up now */
    public boolean isConnected() {
        return connection.getStatus() == Connection.Status.CONNECTED;
    }

    /**
     * Creates the stream if it is missing, or adds ingest's subjects to an existing one.
     *
     * @throws IOException if JetStream refuses, with the server's reason
     */
    public void ensureStream() throws IOException {
        String subjects = settings.subject() + ".>";
        try {
            StreamInfo info = jsm.getStreamInfo(settings.stream());
            StreamConfiguration current = info.getConfiguration();
            warnOfReplicas("stream " + settings.stream(), current.getReplicas());
            if (!current.getSubjects().contains(subjects)) {
                List<String> all = new ArrayList<>(current.getSubjects());
                all.add(subjects);
                jsm.updateStream(StreamConfiguration.builder(current).subjects(all).build());
                LOG.info("added subjects {} to stream {}", subjects, settings.stream());
            }
        } catch (JetStreamApiException e) {
            if (e.getErrorCode() != 404) {
                throw api("read stream " + settings.stream(), e);
            }
            try {
                jsm.addStream(StreamConfiguration.builder()
                        .name(settings.stream())
                        .subjects(subjects)
                        .storageType(StorageType.File)
                        .retentionPolicy(RetentionPolicy.WorkQueue)
                        .replicas(settings.streamReplicas())
                        .maxMessages(settings.maxMsgs())
                        .duplicateWindow(settings.duplicateWindow())
                        .build());
                LOG.info("created stream {} for subjects {}", settings.stream(), subjects);
            } catch (JetStreamApiException e2) {
                throw api("create stream " + settings.stream(), e2);
            }
        }
        // The scan records are a convenience for `ingest status`: set them up without delaying start-up.
        scansBucketReady = CompletableFuture.runAsync(this::ensureScansBucket);
    }

    private volatile CompletableFuture<Void> scansBucketReady = CompletableFuture.completedFuture(null);

    private String scansBucket() {
        return settings.stream() + "_scans";
    }

    /**
     * How long a publish the server did not confirm is retried, synchronously with growing pauses (0.4 s doubling to
     * 5 s), before it fails: long enough for the connection to move to another server and for a NATS cluster that
     * lost a node to elect new leaders (seconds, more on a loaded machine), while publishes meet "no responders" or
     * time out.
     */
    public static final Duration PUBLISH_RETRY_PERIOD = Duration.ofSeconds(60);

    /**
     * The pause before the next attempt of a publish that failed, the one schedule of the enqueuer's and the record
     * runner's retries.
     *
     * @param attempt the attempt that failed, from 1
     * @param startNanos {@link System#nanoTime()} at the first attempt
     * @return the pause in milliseconds, or -1 when {@link #PUBLISH_RETRY_PERIOD} is over: give up
     */
    public static long publishRetryPause(int attempt, long startNanos) {
        if (System.nanoTime() - startNanos >= PUBLISH_RETRY_PERIOD.toNanos()) {
            return -1;
        }
        return Math.min(5000, 200L << Math.min(attempt, 5));
    }

    /** The server's error code for a stream (a key-value bucket's too) that does not exist. */
    public static final int STREAM_NOT_FOUND = 10059;

    /** The streams and buckets whose replicas were warned of (once each). */
    private final java.util.Set<String> replicasWarned = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * An existing stream or bucket keeps its replicas: changing them moves its data between servers, which is the
     * operator's decision ({@code nats stream edit --replicas}), not a side effect of starting ingest. A difference
     * from {@code --stream-replicas} is logged.
     */
    private void warnOfReplicas(String what, int replicas) {
        if (replicas != settings.streamReplicas() && replicasWarned.add(what)) {
            LOG.warn("{} has {} replica(s) but --stream-replicas is {}: it is left as it is (change it with "
                    + "nats stream edit --replicas, or set --stream-replicas {})", what, replicas,
                    settings.streamReplicas(), replicas);
        }
    }

    /**
     * Creates a key-value bucket of this queue when it does not exist: file storage, the stream's replicas. Every
     * bucket of ingest's (scans, checkpoints, configuration, leases, dead-letter marks) is made here. An existing
     * bucket with other replicas is left as it is, with a warning.
     *
     * @param bucket its name
     * @param historyPerKey how many values a key keeps
     * @param ttl how long a value lives, or null for ever
     * @throws IOException if the server cannot be reached
     * @throws JetStreamApiException if the server refuses the status request (for another reason than the bucket
     *     missing) or the creation
     */
    public void ensureBucket(String bucket, int historyPerKey, Duration ttl) throws IOException, JetStreamApiException {
        var kvm = connection.keyValueManagement();
        try {
            warnOfReplicas("key-value bucket " + bucket, kvm.getStatus(bucket).getReplicas());
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != STREAM_NOT_FOUND) {
                throw e;
            }
            KeyValueConfiguration.Builder b = KeyValueConfiguration.builder().name(bucket).maxHistoryPerKey(historyPerKey)
                    .storageType(StorageType.File).replicas(settings.streamReplicas());
            if (ttl != null) {
                b.ttl(ttl);
            }
            kvm.create(b.build());
        }
    }

    private void ensureScansBucket() {
        try {
            ensureBucket(scansBucket(), 1, null);
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            LOG.warn("cannot create key-value bucket {} for scan records; ingest status will not show scans: {}",
                    scansBucket(), e.toString());
        }
    }

    /**
     * What the last scan of a workflow did, as recorded by the enqueuer.
     *
     * @param finished when it finished
     * @param listed objects listed
     * @param queued messages published (new)
     * @param alreadyQueued publishes dropped as duplicates
     * @param alreadyStored objects not queued because every destination's listing showed them
     * @param deadLettered objects not queued because a dead letter holds their unchanged version
     * @param millis how long it took
     * @param error why it failed, or empty
     * @param source what the source's scan reported ({@code ScanContext.status}: an S3 cursor), in order
     */
    public record ScanRecord(Instant finished, long listed, long queued, long alreadyQueued, long alreadyStored,
                             long deadLettered, long millis, String error, Map<String, String> source) {
        /** Copies. */
        public ScanRecord {
            source = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(source));
        }

        /** A scan record whose source reported nothing (no cursor). */
        public ScanRecord(Instant finished, long listed, long queued, long alreadyQueued, long alreadyStored,
                          long deadLettered, long millis, String error) {
            this(finished, listed, queued, alreadyQueued, alreadyStored, deadLettered, millis, error, Map.of());
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Records a workflow's last scan (best effort: failures are logged).
     *
     * @param workflow the workflow
     * @param scan what the scan did
     */
    public void recordScan(String workflow, ScanRecord scan) {
        try {
            scansBucketReady.get(10, java.util.concurrent.TimeUnit.SECONDS);
            var node = JSON.createObjectNode();
            node.put("finished", scan.finished().toString());
            node.put("listed", scan.listed());
            node.put("queued", scan.queued());
            node.put("alreadyQueued", scan.alreadyQueued());
            node.put("alreadyStored", scan.alreadyStored());
            node.put("deadLettered", scan.deadLettered());
            node.put("millis", scan.millis());
            node.put("error", scan.error());
            if (!scan.source().isEmpty()) {
                var src = node.putObject("source");
                scan.source().forEach(src::put);
            }
            connection.keyValue(scansBucket()).put(workflow, JSON.writeValueAsBytes(node));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | JetStreamApiException | RuntimeException | java.util.concurrent.ExecutionException
                 | TimeoutException e) {
            LOG.debug("could not record the scan of {}: {}", workflow, e.toString());
        }
    }

    /**
     * @param workflow the workflow
     * @return its last recorded scan
     * @throws IOException if the record cannot be read
     */
    public Optional<ScanRecord> lastScan(String workflow) throws IOException {
        try {
            KeyValue kv = connection.keyValue(scansBucket());
            KeyValueEntry e = kv.get(workflow);
            if (e == null || e.getValue() == null) {
                return Optional.empty();
            }
            JsonNode n = JSON.readTree(e.getValue());
            Map<String, String> source = new java.util.LinkedHashMap<>();
            n.path("source").fields().forEachRemaining(f -> source.put(f.getKey(), f.getValue().asText()));
            return Optional.of(new ScanRecord(Instant.parse(n.path("finished").asText()), n.path("listed").asLong(),
                    n.path("queued").asLong(), n.path("alreadyQueued").asLong(), n.path("alreadyStored").asLong(),
                    n.path("deadLettered").asLong(), n.path("millis").asLong(),
                    n.path("error").asText(""), source));
        } catch (JetStreamApiException e) {
            return Optional.empty();
        } catch (RuntimeException e) {
            throw new IOException("cannot read the scan record of " + workflow + ": " + e, e);
        }
    }

    /**
     * @return the number of messages per subject in the stream (workflow subjects and dead letters)
     * @throws IOException if the stream cannot be read
     */
    public Map<String, Long> subjectCounts() throws IOException {
        try {
            StreamInfo info = jsm.getStreamInfo(settings.stream(), StreamInfoOptions.filterSubjects(settings.subject() + ".>"));
            Map<String, Long> out = new HashMap<>();
            List<Subject> subjects = info.getStreamState().getSubjects();
            if (subjects != null) {
                for (Subject subject : subjects) {
                    out.put(subject.getName(), subject.getCount());
                }
            }
            return out;
        } catch (JetStreamApiException e) {
            throw api("read stream " + settings.stream(), e);
        }
    }

    /**
     * Which of ingest's JetStream objects are missing: the stream, or the consumers of the given workflows. A server
     * that lost its store (restarted without its data directory, say) or an operator who deleted the stream leaves
     * them missing while the connection is fine.
     *
     * @param workflows the workflows whose consumers must exist
     * @return a description of what is missing ("stream ingest", "consumer ingest__w1"), or empty when all exist
     * @throws IOException if JetStream cannot tell now (not connected, no answer): nothing is known to be missing
     */
    public Optional<String> missing(List<String> workflows) throws IOException {
        try {
            jsm.getStreamInfo(settings.stream());
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == STREAM_NOT_FOUND) {
                return Optional.of("stream " + settings.stream());
            }
            throw api("read stream " + settings.stream(), e);
        }
        if (workflows.isEmpty()) {
            return Optional.empty();
        }
        List<String> names;
        try {
            names = jsm.getConsumerNames(settings.stream());
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == STREAM_NOT_FOUND) {
                return Optional.of("stream " + settings.stream());
            }
            throw api("list the consumers of stream " + settings.stream(), e);
        }
        List<String> lacking = new ArrayList<>();
        for (String w : workflows) {
            if (!names.contains(settings.consumerOf(w))) {
                lacking.add(settings.consumerOf(w));
            }
        }
        return lacking.isEmpty() ? Optional.empty()
                : Optional.of((lacking.size() == 1 ? "consumer " : "consumers ") + String.join(", ", lacking));
    }

    /**
     * @return whether the stream exists (commands that only read or change what is queued never create it)
     * @throws IOException if JetStream cannot tell now
     */
    public boolean streamExists() throws IOException {
        try {
            jsm.getStreamInfo(settings.stream());
            return true;
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == STREAM_NOT_FOUND) {
                return false;
            }
            throw api("read stream " + settings.stream(), e);
        }
    }


    /**
     * Creates or updates the durable pull consumer of a workflow.
     *
     * @param workflow the workflow
     * @throws IOException if JetStream refuses, with the server's reason
     */
    public void ensureConsumer(WorkflowConfig workflow) throws IOException {
        ConsumerConfiguration cc = ConsumerConfiguration.builder()
                .durable(settings.consumerOf(workflow.name()))
                .filterSubject(settings.subjectOf(workflow.name()))
                .deliverPolicy(DeliverPolicy.All)
                .ackPolicy(AckPolicy.Explicit)
                .ackWait(settings.ackWait())
                .maxDeliver(-1) // ingest counts attempts itself and dead-letters, so nothing is dropped silently
                // A batcher holds every message of its open batches until they are stored. (Not -1: the client
                // leaves a negative value out, and the server then allows its default of 1,000.)
                .maxAckPending(workflow.batch().isPresent()
                        ? workflow.batch().get().maxHeldMessages()
                        : Math.max(1000, workflow.batchSize() * 4L))
                .build();
        try {
            jsm.addOrUpdateConsumer(settings.stream(), cc);
        } catch (JetStreamApiException e) {
            throw api("create consumer " + cc.getDurable() + " on stream " + settings.stream(), e);
        }
    }

    /**
     * Publishes one object of a workflow, de-duplicated by {@link CodecJson#messageId}, marked with the
     * destinations whose listing showed they lack it ({@value #HEADER_LACKING_AT} headers, one per destination).
     *
     * @param workflow the workflow name
     * @param codec the object
     * @param lackingAt destinations that lacked the object when the source was scanned; may be empty
     * @return completes with the server's ack ({@link PublishAck#isDuplicate()} when it was already queued)
     */
    public CompletableFuture<PublishAck> publishAsync(String workflow, Codec codec, List<String> lackingAt) {
        return publishAsync(workflow, workflow, codec, lackingAt);
    }

    /**
     * {@link #publishAsync(String, Codec, List)}, de-duplicated within a scope of its own.
     *
     * @param workflow the workflow name
     * @param scope what the de-duplication id is made of besides the object ({@link CodecJson#scope}): the same
     *     object is queued again, within the duplicate window, for a workflow whose destinations changed
     * @param codec the object
     * @param lackingAt destinations that lacked the object when the source was scanned; may be empty
     * @return completes with the server's ack
     */
    public CompletableFuture<PublishAck> publishAsync(String workflow, String scope, Codec codec,
                                                      List<String> lackingAt) {
        PublishOptions options = PublishOptions.builder()
                .messageId(CodecJson.messageId(scope, codec))
                .expectedStream(settings.stream())
                .build();
        Headers headers = null;
        if (!lackingAt.isEmpty()) {
            headers = new Headers();
            for (String d : lackingAt) {
                headers.add(HEADER_LACKING_AT, encodeHeader(d));
            }
        }
        return js.publishAsync(settings.subjectOf(workflow), headers, CodecJson.encode(codec), options);
    }

    /** Header of a workflow message that carries a chunk of records rather than an object. */
    public static final String HEADER_KIND = "Ingest-Kind";
    /** The value of {@value #HEADER_KIND} for a chunk of records. */
    public static final String KIND_RECORDS = "records";

    /**
     * Header of a chunk of records naming the run of the record source that handed them over ({@code RecordSource.run}
     * of one process, numbered): a source hands a record over at most once per run, so a batch that holds the records
     * of one run only never holds a record twice.
     */
    public static final String HEADER_RUN = "Ingest-Run";

    /**
     * Publishes a chunk of records of a workflow, de-duplicated by the given message id (a retried publish of the same
     * chunk is dropped by JetStream within the duplicate window).
     *
     * @param workflow the workflow name
     * @param chunk the encoded records
     * @param messageId unique per chunk
     * @param run the run of the source that handed them over ({@value #HEADER_RUN})
     * @return completes with the server's ack
     */
    public CompletableFuture<PublishAck> publishRecordsAsync(String workflow, byte[] chunk, String messageId,
                                                             String run) {
        return js.publishAsync(settings.subjectOf(workflow), recordHeaders(run), chunk, recordOptions(messageId));
    }

    /**
     * Publishes a chunk of records and waits for the server's ack (see
     * {@link #publishRecordsAsync(String, byte[], String, String)}).
     *
     * @param workflow the workflow name
     * @param chunk the encoded records
     * @param messageId unique per chunk
     * @param run the run of the source that handed them over
     * @return the server's ack
     * @throws IOException if the server did not acknowledge it
     */
    public PublishAck publishRecords(String workflow, byte[] chunk, String messageId, String run) throws IOException {
        try {
            return js.publish(settings.subjectOf(workflow), recordHeaders(run), chunk, recordOptions(messageId));
        } catch (JetStreamApiException e) {
            throw api("publish to " + settings.subjectOf(workflow), e);
        }
    }

    private static Headers recordHeaders(String run) {
        Headers h = new Headers();
        h.put(HEADER_KIND, KIND_RECORDS);
        h.put(HEADER_RUN, run);
        return h;
    }

    private PublishOptions recordOptions(String messageId) {
        return PublishOptions.builder().messageId(messageId).expectedStream(settings.stream()).build();
    }

    /**
     * The largest message body the server takes ({@code max_payload}), as it said when the connection was made.
     *
     * @return bytes
     */
    public long maxPayload() {
        return connection.getMaxPayload();
    }

    /**
     * The destinations a message says lacked its object when it was queued.
     *
     * @param message a message of a workflow subject
     * @return the destination names; empty when the message says nothing (or was queued by another tool)
     */
    public static List<String> lackingAt(io.nats.client.Message message) {
        if (!message.hasHeaders()) {
            return List.of();
        }
        List<String> values = message.getHeaders().get(HEADER_LACKING_AT);
        if (values == null || values.isEmpty()) {
            return List.of();
        }
        List<String> out = new ArrayList<>(values.size());
        for (String v : values) {
            out.add(decodeHeader(v));
        }
        return out;
    }

    /**
     * Publishes one object of a workflow and waits for the server's ack.
     *
     * @param workflow the workflow name
     * @param codec the object
     * @return the server's ack
     * @throws IOException if the server did not acknowledge it
     */
    public PublishAck publish(String workflow, Codec codec) throws IOException {
        return publish(workflow, workflow, codec);
    }

    /**
     * {@link #publish(String, Codec)}, de-duplicated within a scope of its own (see
     * {@link #publishAsync(String, String, Codec, List)}).
     *
     * @param workflow the workflow name
     * @param scope what the de-duplication id is made of besides the object
     * @param codec the object
     * @return the server's ack
     * @throws IOException if the server did not acknowledge it
     */
    public PublishAck publish(String workflow, String scope, Codec codec) throws IOException {
        PublishOptions options = PublishOptions.builder()
                .messageId(CodecJson.messageId(scope, codec))
                .expectedStream(settings.stream())
                .build();
        try {
            return js.publish(settings.subjectOf(workflow), CodecJson.encode(codec), options);
        } catch (JetStreamApiException e) {
            throw api("publish to " + settings.subjectOf(workflow), e);
        }
    }

    /**
     * Publishes a dead letter, waiting for the server's ack.
     *
     * @param workflow the workflow name
     * @param data the original message body
     * @param headers the reason headers
     * @param messageId the de-duplication id, e.g. derived from the original message's stream sequence, so that a
     *     message dead-lettered again after a crash before it was terminated is stored once; or empty
     * @return the dead letter's stream sequence (that of the first copy when it was a duplicate)
     * @throws IOException if the server did not acknowledge it
     */
    public long publishDeadLetter(String workflow, byte[] data, Map<String, String> headers, Optional<String> messageId)
            throws IOException {
        Headers h = new Headers();
        headers.forEach((k, v) -> h.put(k, encodeHeader(v)));
        PublishOptions.Builder options = PublishOptions.builder().expectedStream(settings.stream());
        messageId.ifPresent(options::messageId);
        try {
            return js.publish(settings.deadLetterSubjectOf(workflow), h, data, options.build()).getSeqno();
        } catch (JetStreamApiException e) {
            throw api("publish dead letter to " + settings.deadLetterSubjectOf(workflow), e);
        }
    }

    /**
     * NATS header values are printable ASCII: other characters (an object name with accents, a line break in an
     * error) are written as {@code %XX} escapes of their UTF-8 bytes, as is {@code %} itself; see
     * {@link #decodeHeader(String)}. Long values are cut to 1,024 characters.
     */
    static String encodeHeader(String v) {
        String cut = v.length() > 1024 ? v.substring(0, 1024) + "..." : v;
        StringBuilder out = new StringBuilder(cut.length());
        for (byte b : cut.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 0x20 && c < 0x7f && c != '%') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }

    /**
     * @param v a header value written by {@link #encodeHeader(String)}
     * @return the original text
     */
    public static String decodeHeader(String v) {
        if (v.indexOf('%') < 0) {
            return v;
        }
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(v.length());
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '%' && i + 2 < v.length()) {
                int hi = Character.digit(v.charAt(i + 1), 16);
                int lo = Character.digit(v.charAt(i + 2), 16);
                if (hi >= 0 && lo >= 0) {
                    bytes.write(hi << 4 | lo);
                    i += 2;
                    continue;
                }
            }
            bytes.write(c);
        }
        return bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * Binds a pull subscription to the workflow's durable consumer. The subscription lives until it is
     * unsubscribed: messages the server delivers for a pull request are never dropped, even when they arrive after
     * the caller stopped waiting for that request (the next read returns them).
     *
     * @param workflow the workflow name
     * @return the subscription; pull from it with {@link JetStreamSubscription#pull}, read with
     *     {@link JetStreamSubscription#nextMessage(Duration)}
     * @throws IOException if the consumer does not exist or the server refuses
     */
    public JetStreamSubscription subscribe(String workflow) throws IOException {
        try {
            return js.subscribe(null, PullSubscribeOptions.fastBind(settings.stream(), settings.consumerOf(workflow)));
        } catch (JetStreamApiException e) {
            throw api("bind to consumer " + settings.consumerOf(workflow), e);
        } catch (IllegalStateException e) {
            throw new IOException(masked("cannot bind to consumer " + settings.consumerOf(workflow) + " at "
                    + settings.endpoint() + ": " + e.getMessage(), settings), e);
        }
    }

    /**
     * @param workflow the workflow name
     * @return the consumer's current state
     * @throws IOException if it cannot be read
     */
    public ConsumerInfo consumerInfo(String workflow) throws IOException {
        try {
            return jsm.getConsumerInfo(settings.stream(), settings.consumerOf(workflow));
        } catch (JetStreamApiException e) {
            throw api("read consumer " + settings.consumerOf(workflow), e);
        }
    }

    /**
     * Waits until every outgoing message has reached the server.
     *
     * @param timeout how long to wait
     * @throws IOException if the flush did not complete
     */
    public void flush(Duration timeout) throws IOException {
        try {
            connection.flush(timeout);
        } catch (TimeoutException e) {
            throw new IOException("NATS flush timed out after " + timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while flushing NATS", e);
        }
    }

    private IOException api(String what, JetStreamApiException e) {
        return new IOException(masked("JetStream refused to " + what + " at " + settings.endpoint() + ": "
                + e.getMessage(), settings), e);
    }

    /**
     * A message fit to show: each server URL of the endpoint (a comma-separated list) through
     * {@link Secrets#redactUrl(String)}, and its user information ({@code user:password@}, {@code token@}) masked
     * wherever else it appears (the NATS client quotes the servers in its own words).
     *
     * @param text a message that may name the servers
     * @param settings the settings whose endpoint it names
     * @return the message without credentials
     */
    static String masked(String text, QueueSettings settings) {
        String out = text;
        for (String server : settings.endpoint().split(",")) {
            String raw = server.trim();
            if (raw.isEmpty()) {
                continue;
            }
            String shown = Secrets.redactUrl(raw);
            out = out.replace(raw, shown);
            int start = raw.indexOf("://") + 3;
            int at = raw.indexOf('@', Math.max(start, 0));
            int shownAt = shown.indexOf('@', Math.max(start, 0));
            if (start >= 3 && at > start && shownAt > start) {
                out = out.replace(raw.substring(start, at + 1), shown.substring(start, shownAt + 1));
            }
        }
        return out;
    }

    /**
     * Flushes and closes the connection; a connection given to {@link #wrap(Connection, QueueSettings)} is only
     * flushed and stays open. Idempotent.
     */
    @Override
    public void close() {
        if (connection.getStatus() == Connection.Status.CLOSED) {
            return;
        }
        try {
            connection.flush(Duration.ofSeconds(5));
        } catch (TimeoutException | RuntimeException e) {
            LOG.debug("flush before close failed: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!ownsConnection) {
            return;
        }
        try {
            connection.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
