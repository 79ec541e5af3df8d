package dev.ingest.api;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * What the engine gives a {@link RecordSource} while it runs: its committed checkpoint, a sink for records, and the
 * signals of the run. Implemented by the engine.
 *
 * <p>Thread-safety: every method may be called from any thread, concurrently (a push source calls {@link #emit}
 * from its request threads).
 */
public interface RecordContext {

    /**
     * The checkpoint committed before this run: every entry the source set and did not remove, by key. Empty the
     * first time the workflow runs (or after its checkpoint was reset).
     *
     * @return the entries, unmodifiable; the arrays must not be changed
     */
    Map<String, byte[]> checkpoint();

    /**
     * Hands records over to the queue, with the checkpoint change that comes with them.
     *
     * <p>Records are published in the order of the calls (one chunk message, or a few when they are many or large).
     * The call returns as soon as the engine took them; it blocks while the engine's window of records not yet
     * confirmed by JetStream is full (back-pressure). The returned stage completes when JetStream has stored these
     * records: a push source answers its client then. It completes exceptionally when they could not be stored
     * (the queue is unreachable beyond the engine's retries, or the run stops first); the checkpoint then does not
     * move past them, and a pull source should stop and let the engine start it again from the last checkpoint.
     *
     * <p>The update is committed only after every record handed over before it, and these, are stored.
     *
     * @param records the records, in order; may be empty (to move the checkpoint alone)
     * @param update how the checkpoint changes once these records are stored
     * @return completes when the records are durable
     * @throws InterruptedException if interrupted while waiting for room in the window
     * @throws IllegalArgumentException if a record's data is larger than {@link #maxRecordBytes()}
     * @throws IllegalStateException if the run has stopped
     */
    CompletionStage<Void> emit(List<DataRecord> records, CheckpointUpdate update) throws InterruptedException;

    /**
     * Hands records over like {@link #emit(List, CheckpointUpdate)}, under a key that makes handing the same records
     * over again harmless: the messages carrying them are named after the key (and their place in it), so JetStream
     * drops a second copy that arrives within its duplicate window (2 minutes). A push source passes a client's
     * idempotency key, so that a request retried after a failure stores what the first attempt did not, and nothing
     * twice. The same key with other records is a mistake: the records of the second call may be dropped.
     *
     * <p>The default ignores the key (contexts without de-duplication).
     *
     * @param records the records, in order
     * @param update how the checkpoint changes once these records are stored
     * @param key names this hand-over; non-empty
     * @return completes when the records are durable (or known to be, from an earlier hand-over under the key)
     * @throws InterruptedException if interrupted while waiting for room in the window
     */
    default CompletionStage<Void> emit(List<DataRecord> records, CheckpointUpdate update, String key)
            throws InterruptedException {
        return emit(records, update);
    }

    /**
     * The largest record the queue carries: what one NATS message holds, less room for framing. A source splits
     * longer records (the tail source's {@code maxLineBytes} is capped at this).
     *
     * @return bytes
     */
    int maxRecordBytes();

    /**
     * Whether this is a {@code --once} run: the source hands over what there is now, then returns from
     * {@link RecordSource#run}. A push source has nothing to read now: it returns at once.
     *
     * @return true in a {@code --once} run
     */
    boolean once();

    /**
     * Whether the engine is stopping, or this run must end because its {@linkplain #shards() shards} change:
     * {@link RecordSource#run} should return soon (what it handed over is kept).
     *
     * @return true once stopping
     */
    boolean stopping();

    /**
     * Waits until the engine stops (or this run must end, see {@link #stopping()}) or the time is up, whichever comes first: a polling source waits here between
     * polls, a push source waits here while its server runs.
     *
     * @param timeout the longest wait
     * @return true if the engine is stopping
     * @throws InterruptedException if interrupted
     */
    boolean awaitStop(Duration timeout) throws InterruptedException;

    /**
     * Reports what the source is doing, for {@code ingest status} (a tail source: each file's offset and size).
     * Replaces what was reported before; kept in memory and published now and then. Keep it small: a few hundred
     * entries at most.
     *
     * @param status entries to show, in order
     */
    void status(Map<String, String> status);

    /**
     * The shards this run owns, for a sharded source ({@link RecordSource#shards()} above zero): numbers from 0 to
     * {@code shards() - 1}, each held by one replica at a time through a lease. Fixed for the run: when they change,
     * {@link #stopping()} turns true and the source is run again with the new set. A run is started only with at
     * least one shard.
     *
     * <p>The default, for an engine without leases and for a source that is not sharded, is empty.
     *
     * @return the shard numbers, unmodifiable
     */
    default java.util.Set<Integer> shards() {
        return java.util.Set.of();
    }

    /**
     * Says whether the source can take records now, for the process's readiness ({@code /ready}): a push source
     * reports true once its listener is bound and false when it stops serving. Used for sources whose
     * {@link RecordSource#reportsReadiness()} is true: the process is not ready before their first {@code ready(true)},
     * while they say false, and after they failed until they say true again. The default does nothing (contexts that
     * have no readiness).
     *
     * @param ready whether the source takes records now
     */
    default void ready(boolean ready) {
    }
}
