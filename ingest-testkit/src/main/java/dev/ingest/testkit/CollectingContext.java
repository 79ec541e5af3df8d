package dev.ingest.testkit;

import dev.ingest.api.CheckpointUpdate;
import dev.ingest.api.DataRecord;
import dev.ingest.api.RecordContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link RecordContext} for tests of record sources without a queue: what is emitted is "stored" at once, so each
 * update is committed as it comes, as the engine commits it once JetStream acked the records. Keeps the records (or
 * only counts them, for large inputs) and the committed checkpoint, which a next run starts from; a run may be given
 * the shards it owns ({@link #withShards}). Thread-safe.
 */
public final class CollectingContext implements RecordContext {

    private final boolean once;
    private final boolean keep;
    private final int maxRecordBytes;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final Map<String, byte[]> committed;
    private final List<DataRecord> records = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong count = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong emits = new AtomicLong();
    private volatile Map<String, String> status = Map.of();
    private volatile java.util.Set<Integer> shards = java.util.Set.of();

    private CollectingContext(boolean once, boolean keep, int maxRecordBytes, Map<String, byte[]> checkpoint) {
        this.once = once;
        this.keep = keep;
        this.maxRecordBytes = maxRecordBytes;
        this.committed = Collections.synchronizedMap(new LinkedHashMap<>(checkpoint));
    }

    /** A {@code --once} run from a checkpoint. */
    public static CollectingContext once(Map<String, byte[]> checkpoint) {
        return new CollectingContext(true, true, 1 << 20, checkpoint);
    }

    /** A service run from a checkpoint. */
    public static CollectingContext service(Map<String, byte[]> checkpoint) {
        return new CollectingContext(false, true, 1 << 20, checkpoint);
    }

    /** A {@code --once} run that counts records without keeping them. */
    public static CollectingContext counting(Map<String, byte[]> checkpoint) {
        return new CollectingContext(true, false, 1 << 20, checkpoint);
    }

    /** A {@code --once} run whose queue carries records of at most the given size. */
    public static CollectingContext onceWithMaxRecord(Map<String, byte[]> checkpoint, int maxRecordBytes) {
        return new CollectingContext(true, true, maxRecordBytes, checkpoint);
    }

    @Override
    public Map<String, byte[]> checkpoint() {
        synchronized (committed) {
            return Map.copyOf(committed);
        }
    }

    /** @return the checkpoint after every emit so far: what the next run starts from */
    public Map<String, byte[]> committed() {
        return checkpoint();
    }

    @Override
    public CompletionStage<Void> emit(List<DataRecord> list, CheckpointUpdate update) {
        for (DataRecord r : list) {
            if (r.data().length > maxRecordBytes) {
                throw new IllegalArgumentException("record of " + r.data().length + " bytes");
            }
            count.incrementAndGet();
            bytes.addAndGet(r.data().length);
        }
        if (keep) {
            records.addAll(list);
        }
        synchronized (committed) {
            committed.putAll(update.put());
            update.remove().forEach(committed::remove);
        }
        emits.incrementAndGet();
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public int maxRecordBytes() {
        return maxRecordBytes;
    }

    @Override
    public boolean once() {
        return once;
    }

    @Override
    public boolean stopping() {
        return stop.getCount() == 0;
    }

    @Override
    public boolean awaitStop(Duration timeout) throws InterruptedException {
        return stop.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void status(Map<String, String> status) {
        this.status = Map.copyOf(status);
    }

    @Override
    public java.util.Set<Integer> shards() {
        return shards;
    }

    /**
     * @param owned the shards the run owns
     * @return this
     */
    public CollectingContext withShards(java.util.Set<Integer> owned) {
        this.shards = java.util.Set.copyOf(owned);
        return this;
    }

    /** Asks the source to stop, as the engine does on shutdown. */
    public void stop() {
        stop.countDown();
    }

    /** @return the records kept so far */
    public List<DataRecord> records() {
        synchronized (records) {
            return List.copyOf(records);
        }
    }

    /** @return the records' data as UTF-8 text */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        for (DataRecord r : records()) {
            out.add(new String(r.data(), StandardCharsets.UTF_8));
        }
        return out;
    }

    /** @return how many records were emitted */
    public long count() {
        return count.get();
    }

    /** @return their bytes */
    public long bytes() {
        return bytes.get();
    }

    /** @return what the source last reported as its status */
    public Map<String, String> status() {
        return status;
    }
}
