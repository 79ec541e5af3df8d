package dev.ingest.core.queue;

import dev.ingest.api.Codec;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.KeyValue;
import io.nats.client.PublishOptions;
import io.nats.client.PurgeOptions;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.StreamInfo;
import io.nats.client.api.StreamInfoOptions;
import io.nats.client.api.Subject;
import io.nats.client.impl.Headers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Reads, replays and removes a workflow's dead letters ({@code <subject>.dlq.<workflow>}) without a consumer: the
 * stream's message API reads them one by one, so reading changes nothing.
 *
 * <p><b>What keeps an object from being queued again.</b> A dead letter holds the original message, so its object's
 * id and version. Before each scan the enqueuer reads the workflow's dead letters with an {@link Index} and leaves
 * out every object whose unchanged version is dead-lettered, until the dead letter is replayed or removed (then the
 * object is eligible again) or the object changes (a new version is queued). The dead letters themselves are that
 * record: nothing written beside them can disagree with them, and removing them by any means makes their objects
 * eligible again.
 *
 * <p><b>Removal.</b> Dead letters are removed from the stream only from the oldest on: nats-server keeps a per-subject
 * index that some versions get wrong when messages of a subject are deleted out of order, after which reading by
 * subject skips messages that are still there. A dead letter replayed or deleted while an older one stays is marked
 * in the key-value bucket {@code <stream>_dead} (key {@code <workflow>.<sequence>}) and is no longer listed, counted
 * or honoured; it leaves the stream once every older dead letter has gone.
 *
 * <p>Thread-safe, except {@link Index}, which belongs to one enqueuer.
 */
public final class DeadLetters {

    /** JetStream's error code for a stream that does not exist. */
    /** JetStream's error code of a message get that found nothing. */
    private static final int NO_MESSAGE_FOUND = 10037;
    /** JetStream's error code of a message delete that found nothing. */
    private static final int NO_MESSAGE_TO_DELETE = 10057;
    /** Header of a replayed message: the sequence of the dead letter it came from. */
    public static final String HEADER_REPLAYED_FROM = "Ingest-Replayed-From";

    private final JetStreamQueue queue;

    /**
     * @param queue a connected queue
     */
    public DeadLetters(JetStreamQueue queue) {
        this.queue = Objects.requireNonNull(queue, "queue");
    }

    /**
     * One dead letter.
     *
     * @param sequence its stream sequence
     * @param time when it was dead-lettered
     * @param object the object's name, or the raw body when it is not a valid message
     * @param reason why it was dead-lettered
     * @param attempts how many attempts were made
     * @param lastError the last error seen
     * @param data the original message body
     */
    public record Letter(long sequence, ZonedDateTime time, String object, String reason, String attempts,
                         String lastError, byte[] data) {
    }

    /**
     * An object at one version, as a dead letter holds it.
     *
     * @param id the object's id in its source
     * @param version its version (empty when the source gives none)
     */
    public record ObjectVersion(String id, String version) {

        /** Validates the fields. */
        public ObjectVersion {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(version, "version");
        }

        /**
         * @param codec an object listed by a source
         * @return its id and version
         */
        public static ObjectVersion of(Codec codec) {
            return new ObjectVersion(codec.id(), codec.version());
        }
    }

    /**
     * The workflow's dead letters, oldest first.
     *
     * @param letters those that could be read
     * @param unreadable how many more the stream counts on the dead-letter subject but could not hand out (0 unless
     *     nats-server's index of the subject went wrong, e.g. after other tools deleted dead letters out of order)
     */
    public record Listing(List<Letter> letters, long unreadable) {
    }

    /**
     * @param workflow the workflow name
     * @return every dead letter of the workflow, oldest first
     * @throws IOException if the stream does not exist or cannot be read
     */
    public Listing list(String workflow) throws IOException {
        Snapshot s = snapshot(workflow);
        List<Letter> out = new ArrayList<>();
        for (MessageInfo info : s.physical().values()) {
            if (!s.removed().contains(info.getSeq())) {
                out.add(letter(info));
            }
        }
        return new Listing(out, Math.max(0, s.counted() - s.physical().size()));
    }

    /**
     * @param workflow the workflow name
     * @return how many dead letters the workflow has
     * @throws IOException if the stream does not exist or cannot be read
     */
    public long count(String workflow) throws IOException {
        long counted = countOnSubject(workflow);
        if (counted == 0) {
            return 0;
        }
        Set<Long> removed = removed(workflow);
        if (removed.isEmpty()) {
            return counted;
        }
        Snapshot s = snapshot(workflow);
        return s.counted() - s.physical().keySet().stream().filter(s.removed()::contains).count();
    }

    /**
     * Puts dead letters back on the workflow's subject for another try and removes each from the dead letters once
     * the stream has acknowledged it. The republished message's id is derived from the dead letter's sequence, so
     * that a replay interrupted between the publish and the removal, then run again, does not queue it twice.
     * Their objects are eligible for the enqueuer again.
     *
     * @param workflow the workflow name
     * @param sequences the dead letters to replay; empty: all of the workflow's
     * @param replayed told of each dead letter once it is replayed
     * @return how many were replayed
     * @throws IllegalArgumentException if a sequence is not a dead letter of the workflow; then nothing is replayed
     * @throws IOException if the stream does not exist, or a publish or removal fails; those not yet replayed stay
     *     dead letters
     */
    public int replay(String workflow, Collection<Long> sequences, Consumer<Letter> replayed) throws IOException {
        return remove(workflow, sequences, "replayed", letter -> {
            Headers headers = new Headers();
            headers.put(HEADER_REPLAYED_FROM, Long.toString(letter.sequence()));
            try {
                queue.connection().jetStream().publish(queue.settings().subjectOf(workflow), headers, letter.data(),
                        PublishOptions.builder().messageId("replay-" + queue.settings().stream() + "-" + letter.sequence())
                                .expectedStream(queue.settings().stream()).build());
            } catch (JetStreamApiException e) {
                throw failure("replay dead letter #" + letter.sequence() + " onto " + queue.settings().subjectOf(workflow), e);
            }
        }, replayed);
    }

    /**
     * Removes dead letters. Their objects are eligible for the enqueuer again: the next scan queues an object that
     * its source still lists unchanged.
     *
     * @param workflow the workflow name
     * @param sequences the dead letters to remove; at least one
     * @param deleted told of each dead letter once it is removed
     * @return how many were removed
     * @throws IllegalArgumentException if no sequence is given, or one is not a dead letter of the workflow; then
     *     nothing is removed
     * @throws IOException if the stream does not exist or a removal fails
     */
    public int delete(String workflow, Collection<Long> sequences, Consumer<Letter> deleted) throws IOException {
        if (sequences.isEmpty()) {
            throw new IllegalArgumentException("name the dead letters to delete by their sequence numbers");
        }
        return remove(workflow, sequences, "deleted", letter -> { }, deleted);
    }

    /**
     * Removes every dead letter of a workflow at once. Their objects are eligible for the enqueuer again.
     *
     * @param workflow the workflow name
     * @return how many were removed
     * @throws IOException if the stream does not exist or refuses
     */
    public long purge(String workflow) throws IOException {
        long live = count(workflow);
        try {
            jsm().purgeStream(queue.settings().stream(), PurgeOptions.subject(queue.settings().deadLetterSubjectOf(workflow)));
        } catch (JetStreamApiException e) {
            throw failure("purge the dead letters of " + workflow, e);
        }
        for (long sequence : removed(workflow)) {
            unmark(workflow, sequence);
        }
        return live;
    }

    @FunctionalInterface
    private interface Action {
        void apply(Letter letter) throws IOException;
    }

    /**
     * Applies the action to each selected dead letter, oldest first, then removes it: from the stream while no older
     * dead letter stays (in order, so that nats-server's index of the subject stays right), else by marking it.
     */
    private int remove(String workflow, Collection<Long> sequences, String what, Action action, Consumer<Letter> done)
            throws IOException {
        Snapshot s = snapshot(workflow);
        Set<Long> selected = select(workflow, s, sequences);
        JetStreamManagement jsm = jsm();
        // Out of order only if the server's index already went wrong: then mark, never delete out of order.
        boolean oldestGone = s.counted() == s.physical().size();
        int n = 0;
        for (MessageInfo info : s.physical().values()) {
            long sequence = info.getSeq();
            boolean marked = s.removed().contains(sequence);
            if (!marked && !selected.contains(sequence)) {
                oldestGone = false;
                continue;
            }
            Letter letter = letter(info);
            try {
                if (!marked) {
                    action.apply(letter);
                }
                if (oldestGone) {
                    delete(jsm, sequence);
                    if (marked) {
                        unmark(workflow, sequence);
                    }
                } else if (!marked) {
                    mark(workflow, sequence, what);
                }
            } catch (IOException e) {
                throw new IOException(e.getMessage() + " (" + n + " dead letter(s) of " + workflow + " were " + what
                        + " before)", e);
            }
            if (!marked) {
                n++;
                done.accept(letter);
            }
        }
        return n;
    }

    private void delete(JetStreamManagement jsm, long sequence) throws IOException {
        try {
            jsm.deleteMessage(queue.settings().stream(), sequence);
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != NO_MESSAGE_TO_DELETE) { // removed meanwhile, by another replay or delete
                throw failure("delete dead letter #" + sequence, e);
            }
        }
    }

    /** The selected sequences, each checked to be a dead letter of the workflow; all of them when none is given. */
    private Set<Long> select(String workflow, Snapshot s, Collection<Long> sequences) {
        Set<Long> live = new LinkedHashSet<>(s.physical().keySet());
        live.removeAll(s.removed());
        if (sequences.isEmpty()) {
            return live;
        }
        List<Long> unknown = sequences.stream().distinct().filter(q -> !live.contains(q)).toList();
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(unknown.stream().map(q -> "#" + q).collect(Collectors.joining(", "))
                    + (unknown.size() == 1 ? " is not a dead letter" : " are not dead letters") + " of workflow "
                    + workflow + " in stream " + queue.settings().stream() + " (replayed or deleted already? 'ingest "
                    + "dlq list " + workflow + "' shows the dead letters); nothing was done");
        }
        return new HashSet<>(sequences);
    }

    /**
     * What is on the dead-letter subject now.
     *
     * @param physical the messages on the subject that could be read, by sequence
     * @param removed the sequences marked as removed
     * @param counted how many messages the stream counts on the subject
     */
    private record Snapshot(TreeMap<Long, MessageInfo> physical, Set<Long> removed, long counted) {
    }

    private Snapshot snapshot(String workflow) throws IOException {
        long counted = countOnSubject(workflow);
        TreeMap<Long, MessageInfo> physical = new TreeMap<>();
        read(workflow, 1, info -> physical.put(info.getSeq(), info));
        return new Snapshot(physical, removed(workflow), counted);
    }

    /**
     * Reads the workflow's dead letters from a sequence on, oldest first.
     *
     * @return the sequence after the last one read
     */
    private long read(String workflow, long from, Consumer<MessageInfo> each) throws IOException {
        JetStreamManagement jsm = jsm();
        String subject = queue.settings().deadLetterSubjectOf(workflow);
        long seq = from;
        while (true) {
            MessageInfo info;
            try {
                info = jsm.getNextMessage(queue.settings().stream(), seq, subject);
            } catch (JetStreamApiException e) {
                if (e.getApiErrorCode() == NO_MESSAGE_FOUND) {
                    return seq;
                }
                throw failure("read the dead letters of " + workflow, e);
            }
            if (info == null || !info.isMessage()) {
                return seq;
            }
            each.accept(info);
            seq = info.getSeq() + 1;
        }
    }

    /** @return how many messages the stream holds on the workflow's dead-letter subject, marked ones included */
    private long countOnSubject(String workflow) throws IOException {
        String subject = queue.settings().deadLetterSubjectOf(workflow);
        try {
            StreamInfo info = jsm().getStreamInfo(queue.settings().stream(), StreamInfoOptions.filterSubjects(subject));
            List<Subject> subjects = info.getStreamState().getSubjects();
            if (subjects != null) {
                for (Subject s : subjects) {
                    if (s.getName().equals(subject)) {
                        return s.getCount();
                    }
                }
            }
            return 0;
        } catch (JetStreamApiException e) {
            throw failure("count the dead letters of " + workflow, e);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Marks: dead letters removed while older ones stay, in the key-value bucket <stream>_dead.

    private String bucket() {
        return queue.settings().stream() + "_dead";
    }

    private static String key(String workflow, long sequence) {
        return workflow + "." + sequence;
    }

    /** @return the sequences of the workflow's dead letters marked as removed; none when the bucket does not exist */
    private Set<Long> removed(String workflow) throws IOException {
        KeyValue kv;
        try {
            kv = queue.connection().keyValue(bucket());
        } catch (IOException e) {
            if (e.getCause() instanceof JetStreamApiException api && api.getApiErrorCode() == JetStreamQueue.STREAM_NOT_FOUND) {
                return Set.of(); // nothing was ever marked
            }
            throw new IOException("cannot read key-value bucket " + bucket() + ": " + e.getMessage(), e);
        }
        try {
            Set<Long> out = new HashSet<>();
            for (String key : kv.keys(workflow + ".*")) {
                out.add(Long.parseLong(key.substring(workflow.length() + 1)));
            }
            return out;
        } catch (JetStreamApiException | InterruptedException | RuntimeException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("cannot read key-value bucket " + bucket() + ": " + e.getMessage(), e);
        }
    }

    private void mark(String workflow, long sequence, String what) throws IOException {
        try {
            queue.ensureBucket(bucket(), 1, null);
            queue.connection().keyValue(bucket()).put(key(workflow, sequence), what.getBytes(StandardCharsets.UTF_8));
        } catch (JetStreamApiException e) {
            throw new IOException("cannot mark dead letter #" + sequence + " as " + what + " in key-value bucket "
                    + bucket() + ": " + e.getMessage(), e);
        }
    }

    /** Forgets a mark once its dead letter has left the stream (purged from the bucket's stream: nothing stays). */
    private void unmark(String workflow, long sequence) throws IOException {
        try {
            jsm().purgeStream("KV_" + bucket(), PurgeOptions.subject("$KV." + bucket() + "." + key(workflow, sequence)));
        } catch (JetStreamApiException e) {
            throw new IOException("cannot remove the mark of dead letter #" + sequence + " from key-value bucket "
                    + bucket() + ": " + e.getMessage(), e);
        }
    }

    private IOException failure(String what, JetStreamApiException e) {
        if (e.getApiErrorCode() == JetStreamQueue.STREAM_NOT_FOUND) {
            return new IOException("stream " + queue.settings().stream() + " does not exist at "
                    + queue.settings().endpoint() + " (nothing was queued there yet: check the stream name)", e);
        }
        return new IOException("cannot " + what + " in stream " + queue.settings().stream() + " at "
                + queue.settings().endpoint() + ": " + e.getMessage(), e);
    }

    private static Letter letter(MessageInfo info) {
        byte[] data = info.getData() == null ? new byte[0] : info.getData();
        String object;
        try {
            object = CodecJson.decode(data).name();
        } catch (IllegalArgumentException e) {
            String raw = new String(data, StandardCharsets.UTF_8);
            object = "(malformed) " + (raw.length() > 60 ? raw.substring(0, 60) + "..." : raw);
        }
        Headers h = info.getHeaders();
        return new Letter(info.getSeq(), info.getTime(), object, header(h, JetStreamQueue.HEADER_REASON),
                header(h, JetStreamQueue.HEADER_ATTEMPTS), header(h, JetStreamQueue.HEADER_LAST_ERROR), data);
    }

    private static String header(Headers h, String name) {
        String v = h == null ? null : h.getFirst(name);
        return v == null ? "" : JetStreamQueue.decodeHeader(v);
    }

    private JetStreamManagement jsm() throws IOException {
        return queue.connection().jetStreamManagement();
    }

    /**
     * @param workflow the workflow name
     * @return an index of the objects the workflow's dead letters hold, empty until {@link Index#refresh()}
     */
    public Index index(String workflow) {
        return new Index(Objects.requireNonNull(workflow, "workflow"));
    }

    /**
     * The objects (id and version) a workflow's dead letters hold, with the sequence of the latest dead letter of
     * each. {@link #refresh()} reads only the dead letters added since the last refresh, and reads them all again only
     * when some left the stream: when nothing changed, a refresh costs a few requests whatever the number of dead
     * letters. Not thread-safe: one per enqueuer.
     */
    public final class Index {
        private final String workflow;
        private final Map<Long, ObjectVersion> bySequence = new HashMap<>();
        private long next = 1;

        private Index(String workflow) {
            this.workflow = workflow;
        }

        /**
         * Brings the index up to date with the stream.
         *
         * @return the dead-lettered objects now, each with the sequence of its latest dead letter; malformed
         *     messages hold no object and are not in it
         * @throws IOException if the dead letters cannot be read, or not all of them (then the index is read in full
         *     the next time)
         */
        public Map<ObjectVersion, Long> refresh() throws IOException {
            Set<Long> removed;
            try {
                long counted = countOnSubject(workflow);
                next = read(workflow, next, this::add);
                if (bySequence.size() != counted) {
                    // Some left the stream (or arrived while counting): read them all again.
                    bySequence.clear();
                    next = read(workflow, 1, this::add);
                    if (bySequence.size() != counted) {
                        throw new IOException("the stream counts " + counted + " dead letters on "
                                + queue.settings().deadLetterSubjectOf(workflow) + " but hands out " + bySequence.size()
                                + " (its index of the subject is wrong: were dead letters deleted out of order by "
                                + "another tool?)");
                    }
                }
                removed = removed(workflow);
            } catch (IOException | RuntimeException e) {
                bySequence.clear();
                next = 1;
                throw e;
            }
            Map<ObjectVersion, Long> objects = new HashMap<>();
            bySequence.forEach((sequence, object) -> {
                if (object != null && !removed.contains(sequence)) {
                    objects.merge(object, sequence, Math::max);
                }
            });
            return objects;
        }

        private void add(MessageInfo info) {
            ObjectVersion object;
            try {
                object = ObjectVersion.of(CodecJson.decode(info.getData() == null ? new byte[0] : info.getData()));
            } catch (IllegalArgumentException e) {
                object = null; // a malformed message: counted, holds no object
            }
            bySequence.put(info.getSeq(), object);
        }
    }
}
