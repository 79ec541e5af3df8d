package dev.ingest.core.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ingest.api.Codec;
import dev.ingest.core.nats.NatsServerProcess;
import dev.ingest.core.queue.DeadLetters.Letter;
import dev.ingest.core.queue.DeadLetters.ObjectVersion;
import io.nats.client.api.MessageInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link DeadLetters} against a real nats-server: reading, replaying, removing, and the enqueuer's index. */
class DeadLettersIT {

    private static NatsServerProcess nats;
    private static final AtomicInteger RUN = new AtomicInteger();
    private static final String W = "wf";

    private final String name = "dead" + RUN.incrementAndGet();
    private JetStreamQueue queue;
    private DeadLetters dead;

    @BeforeAll
    static void startNats() throws IOException {
        nats = NatsServerProcess.start();
    }

    @AfterAll
    static void stopNats() {
        if (nats != null) {
            nats.close();
        }
    }

    @BeforeEach
    void connect() throws IOException {
        queue = JetStreamQueue.connect(settings(name));
        queue.ensureStream();
        dead = new DeadLetters(queue);
    }

    @AfterEach
    void close() {
        queue.close();
    }

    private static QueueSettings settings(String stream) {
        return new QueueSettings(nats.url(), stream, stream, stream, 1, -1, Duration.ofMinutes(2), Duration.ofSeconds(30));
    }

    /** Dead-letters an object the way the dequeuer does, and returns the dead letter's sequence. */
    private long deadLetter(String id, String version) throws IOException {
        return deadLetter(CodecJson.encode(Codec.of(id, id, version, 1)));
    }

    private long deadLetter(byte[] body) throws IOException {
        return queue.publishDeadLetter(W, body, Map.of(JetStreamQueue.HEADER_REASON, "poison"), Optional.empty());
    }

    private List<Long> sequences() throws IOException {
        DeadLetters.Listing listing = dead.list(W);
        assertThat(listing.unreadable()).as("dead letters the server does not hand out").isZero();
        return listing.letters().stream().map(Letter::sequence).toList();
    }

    @Test
    void theIndexHoldsEachDeadLetteredObjectVersionWithItsLatestDeadLetterAndNoMalformedMessage() throws IOException {
        long a1 = deadLetter("a", "v1");
        long b1 = deadLetter("b", "v1");
        deadLetter("not json".getBytes(StandardCharsets.UTF_8));
        long a1Again = deadLetter("a", "v1");
        long a2 = deadLetter("a", "v2");
        queue.publishDeadLetter("other", CodecJson.encode(Codec.of("c", "c", "v1", 1)), Map.of(), Optional.empty());

        assertThat(dead.index(W).refresh()).isEqualTo(Map.of(
                new ObjectVersion("a", "v1"), a1Again,
                new ObjectVersion("b", "v1"), b1,
                new ObjectVersion("a", "v2"), a2));
        assertThat(a1Again).isGreaterThan(a1);
    }

    @Test
    void theIndexSeesNewDeadLettersAndForgetsReplayedDeletedAndPurgedOnes() throws IOException {
        DeadLetters.Index index = dead.index(W);
        assertThat(index.refresh()).isEmpty();
        long a = deadLetter("a", "v1");
        long b = deadLetter("b", "v1");
        long c = deadLetter("c", "v1");
        assertThat(index.refresh()).containsOnlyKeys(new ObjectVersion("a", "v1"), new ObjectVersion("b", "v1"),
                new ObjectVersion("c", "v1"));
        long d = deadLetter("d", "v1");
        assertThat(index.refresh()).containsEntry(new ObjectVersion("d", "v1"), d).hasSize(4);

        dead.replay(W, List.of(a), l -> { });
        assertThat(index.refresh()).doesNotContainKey(new ObjectVersion("a", "v1")).hasSize(3);
        // removed and added between two refreshes: the count alone would not tell
        dead.delete(W, List.of(b), l -> { });
        long e = deadLetter("e", "v1");
        assertThat(index.refresh()).containsOnlyKeys(new ObjectVersion("c", "v1"), new ObjectVersion("d", "v1"),
                new ObjectVersion("e", "v1")).containsEntry(new ObjectVersion("e", "v1"), e);

        assertThat(dead.purge(W)).isEqualTo(3);
        assertThat(index.refresh()).isEmpty();
        assertThat(c).isPositive();
    }

    @Test
    void replayingNamedDeadLettersRequeuesOnlyThoseOnTheWorkflowSubject() throws Exception {
        long a = deadLetter("a", "v1");
        long b = deadLetter("b", "v1");
        long c = deadLetter("c", "v1");
        List<Letter> replayed = new ArrayList<>();
        assertThat(dead.replay(W, List.of(c, a, c), replayed::add)).isEqualTo(2);
        assertThat(replayed).extracting(Letter::object).containsExactly("a", "c");
        assertThat(sequences()).containsExactly(b);
        assertThat(dead.count(W)).isEqualTo(1);
        assertThat(queue.subjectCounts()).containsEntry(queue.settings().subjectOf(W), 2L);
        MessageInfo first = queue.connection().jetStreamManagement().getNextMessage(name, 1, queue.settings().subjectOf(W));
        assertThat(CodecJson.decode(first.getData()).id()).isEqualTo("a");
        assertThat(first.getHeaders().getFirst(DeadLetters.HEADER_REPLAYED_FROM)).isEqualTo(Long.toString(a));

        assertThat(dead.replay(W, List.of(), l -> { })).as("no sequence: all").isEqualTo(1);
        assertThat(sequences()).isEmpty();
        assertThat(queue.subjectCounts()).containsEntry(queue.settings().subjectOf(W), 3L);
    }

    @Test
    void aSequenceThatIsNotADeadLetterOfTheWorkflowIsRefusedAndNothingIsDone() throws IOException {
        long a = deadLetter("a", "v1");
        long other = queue.publishDeadLetter("other", CodecJson.encode(Codec.of("o", "o")), Map.of(), Optional.empty());
        for (List<Long> wrong : List.of(List.of(a, 999L), List.of(other, a))) {
            assertThatThrownBy(() -> dead.replay(W, wrong, l -> { })).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("#" + wrong.get(wrong.get(0) == a ? 1 : 0) + " is not a dead letter of workflow wf")
                    .hasMessageContaining("nothing was done");
            assertThatThrownBy(() -> dead.delete(W, wrong, l -> { })).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("is not a dead letter of workflow wf");
        }
        assertThatThrownBy(() -> dead.delete(W, List.of(), l -> { })).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sequence");
        assertThat(sequences()).containsExactly(a);
        assertThat(queue.subjectCounts()).doesNotContainKey(queue.settings().subjectOf(W));
    }

    @Test
    void deletingRemovesOnlyTheNamedDeadLettersAndPurgingRemovesOnlyTheWorkflows() throws IOException {
        long a = deadLetter("a", "v1");
        long b = deadLetter("b", "v1");
        queue.publishDeadLetter("other", CodecJson.encode(Codec.of("o", "o")), Map.of(), Optional.empty());
        List<Letter> deleted = new ArrayList<>();
        assertThat(dead.delete(W, List.of(a), deleted::add)).isEqualTo(1);
        assertThat(deleted).extracting(Letter::sequence).containsExactly(a);
        assertThat(sequences()).containsExactly(b);
        assertThat(queue.subjectCounts()).doesNotContainKey(queue.settings().subjectOf(W));

        deadLetter("c", "v1");
        assertThat(dead.purge(W)).isEqualTo(2);
        assertThat(sequences()).isEmpty();
        assertThat(dead.list("other").letters()).hasSize(1);
    }

    @Test
    void removingTheNewestDeadLetterThenTheOldestLeavesTheOneBetweenListedCountedAndIndexed() throws Exception {
        // nats-server 2.9 loses a subject's remaining message when its newest, then its oldest message are deleted
        // with other subjects' messages in between: dead letters leave the stream only from the oldest on.
        var js = queue.connection().jetStream();
        long a = deadLetter("a", "v1");
        long b = deadLetter("b", "v1");
        long c = deadLetter("c", "v1");
        js.publish(queue.settings().subjectOf(W), "work".getBytes(StandardCharsets.UTF_8));
        DeadLetters.Index index = dead.index(W);
        assertThat(index.refresh()).hasSize(3);
        assertThat(dead.delete(W, List.of(c), l -> { })).isEqualTo(1);
        js.publish(queue.settings().subjectOf(W), "more work".getBytes(StandardCharsets.UTF_8));
        assertThat(dead.replay(W, List.of(a), l -> { })).isEqualTo(1);

        assertThat(sequences()).containsExactly(b);
        assertThat(dead.count(W)).isEqualTo(1);
        assertThat(index.refresh()).isEqualTo(Map.of(new ObjectVersion("b", "v1"), b));
        assertThat(new DeadLetters(queue).index(W).refresh()).isEqualTo(Map.of(new ObjectVersion("b", "v1"), b));
        assertThatThrownBy(() -> dead.replay(W, List.of(c), l -> { })).hasMessageContaining("#" + c + " is not a dead letter");

        // once b goes, c (kept in the stream behind b, marked) leaves too, and so does its mark
        assertThat(dead.delete(W, List.of(b), l -> { })).isEqualTo(1);
        assertThat(sequences()).isEmpty();
        assertThat(queue.subjectCounts()).doesNotContainKey(queue.settings().deadLetterSubjectOf(W));
        assertThat(queue.connection().keyValue(name + "_dead").keys()).isEmpty();
        long d = deadLetter("d", "v1");
        assertThat(sequences()).containsExactly(d);
        assertThat(index.refresh()).isEqualTo(Map.of(new ObjectVersion("d", "v1"), d));
    }

    @Test
    void purgingAlsoRemovesTheDeadLettersMarkedAsRemovedAndTheirMarks() throws Exception {
        long a = deadLetter("a", "v1");
        long b = deadLetter("b", "v1");
        dead.delete(W, List.of(b), l -> { });
        assertThat(dead.count(W)).isEqualTo(1);
        assertThat(dead.purge(W)).isEqualTo(1);
        assertThat(queue.subjectCounts()).doesNotContainKey(queue.settings().deadLetterSubjectOf(W));
        assertThat(queue.connection().keyValue(name + "_dead").keys()).isEmpty();
        assertThat(a).isLessThan(b);
    }

    @Test
    void aStreamThatDoesNotExistIsAnErrorNamingIt() throws IOException {
        try (JetStreamQueue missing = JetStreamQueue.connect(settings("nosuchstream"))) {
            DeadLetters none = new DeadLetters(missing);
            String expected = "stream nosuchstream does not exist at " + nats.url();
            assertThatThrownBy(() -> none.list(W)).hasMessageContaining(expected);
            assertThatThrownBy(() -> none.replay(W, List.of(), l -> { })).hasMessageContaining(expected);
            assertThatThrownBy(() -> none.replay(W, List.of(1L), l -> { })).hasMessageContaining(expected);
            assertThatThrownBy(() -> none.delete(W, List.of(1L), l -> { })).hasMessageContaining(expected);
            assertThatThrownBy(() -> none.purge(W)).hasMessageContaining(expected);
            assertThatThrownBy(() -> none.index(W).refresh()).hasMessageContaining(expected);
        }
    }

    @Test
    void aDeadLetterPublishedTwiceWithOneMessageIdIsStoredOnce() throws IOException {
        byte[] body = CodecJson.encode(Codec.of("a", "a", "v1", 1));
        long first = queue.publishDeadLetter(W, body, Map.of(), Optional.of("dead-" + name + "-7"));
        long again = queue.publishDeadLetter(W, body, Map.of(), Optional.of("dead-" + name + "-7"));
        assertThat(again).isEqualTo(first);
        assertThat(sequences()).containsExactly(first);
    }
}
