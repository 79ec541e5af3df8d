package dev.ingest.api;

import java.io.Closeable;
import java.io.IOException;

/**
 * A source of records (log lines, events, rows) rather than whole objects: a file that grows, an HTTP endpoint that
 * receives events, a table that gains rows. The engine publishes what it hands over to the workflow's queue in
 * chunks, and a batcher turns the records into large compressed objects (the workflow's {@code batch:} block) that
 * go to the workflow's destinations like any object.
 *
 * <p>Lifecycle: created by {@link PluginProvider#createRecordSource(PluginConfig)}; {@link #run(RecordContext)} is
 * called on a thread the engine owns, once at a time (again after it failed, and once per {@code --once} run);
 * {@link #close()} once at the end. Each workflow that reads the source gets an instance of its own.
 *
 * <p>Delivery: the source reads from its checkpoint ({@link RecordContext#checkpoint()}) and hands each read's
 * records to {@link RecordContext#emit}, with the checkpoint change they bring. The engine commits that change only
 * once the records, and all before them, are durable in the queue, so after a crash the source resumes at the last
 * committed checkpoint: nothing is lost, and records handed over after it may be handed over again.
 */
public interface RecordSource extends Closeable {

    /**
     * Reads records and hands them over until the context says stop. A pull source (a file, a table) loops here,
     * waiting with {@link RecordContext#awaitStop} between polls; a push source starts serving, waits with
     * {@code awaitStop} until the engine stops, then stops serving. With {@link RecordContext#once()} it returns once
     * it has handed over what there is now.
     *
     * @param context the checkpoint, the sink and the run's signals
     * @throws IOException if reading failed; the engine logs it and, in a service, calls {@code run} again after a
     *     growing delay, from the last committed checkpoint; a {@code --once} run fails
     * @throws InterruptedException if interrupted (the engine is shutting down)
     */
    void run(RecordContext context) throws IOException, InterruptedException;

    /**
     * How many shards this source is split into, for a source that several enqueuer replicas share but that no work
     * queue can split (a table, say). With a number above zero the engine takes leases on shards in a JetStream
     * key-value bucket, each shard held by one replica at a time, and runs the source with the shards this replica
     * holds ({@link RecordContext#shards()}). When they change, the run is asked to stop ({@link
     * RecordContext#stopping()}), its checkpoint is committed, and it is run again with the new shards. Keep a
     * separate checkpoint entry per shard, so that a shard moved to another replica continues from its own.
     *
     * <p>Called once, after creation. The default is 0: not sharded, every replica runs the whole source.
     *
     * @return the number of shards, 0 for none
     */
    default int shards() {
        return 0;
    }

    /**
     * Whether this source tells the engine when it can take records ({@link RecordContext#ready(boolean)}): a push
     * source, which cannot take records until its listener is bound. When true, the process is not ready before the
     * source's first {@code ready(true)}, nor after it failed until it says so again. The default is false: the
     * source does not affect readiness.
     *
     * @return true if the source reports its readiness
     */
    default boolean reportsReadiness() {
        return false;
    }

    /**
     * Releases files, connections and threads. Idempotent. The default does nothing.
     *
     * @throws IOException if releasing failed; the engine logs it
     */
    @Override
    default void close() throws IOException {
    }
}
