package dev.ingest.core.engine;

import dev.ingest.api.CheckpointUpdate;
import dev.ingest.api.ScanContext;
import dev.ingest.core.records.CheckpointStore;
import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The checkpoint of one workflow's scans ({@link ScanContext}): read from the {@link CheckpointStore} when a scan
 * first asks for it, and moved by the changes the scan returns with its objects ({@code Scan.checkpointAfter}).
 *
 * <p>Every object the enqueuer handles gets an ordinal in listing order, with its change; the change of ordinal
 * {@code n} becomes committable once ordinals {@code 0..n} are all settled (queued, or left out because they need no
 * queueing). Committable changes are merged in order and written by {@link #commit()}: a crash or a failed publish
 * leaves the checkpoint at the last object before which everything is queued, never past an object that is not, and
 * never behind what was committed.
 *
 * <p>Thread-safe: publish confirmations settle ordinals from the client's threads.
 */
final class ScanCheckpoint implements ScanContext {

    private final CheckpointStore store;
    private final String workflow;
    private final Object lock = new Object();
    private final TreeMap<Long, CheckpointUpdate> waiting = new TreeMap<>();
    private final Set<Long> settled = new HashSet<>();
    private final Map<String, byte[]> toPut = new HashMap<>();
    private final Set<String> toRemove = new HashSet<>();
    private long next;
    private long firstUnsettled;
    private boolean used;
    private volatile boolean ensured;
    private volatile Map<String, byte[]> loaded;
    private volatile Map<String, String> status = Map.of();

    ScanCheckpoint(CheckpointStore store, String workflow) {
        this.store = store;
        this.workflow = workflow;
    }

    @Override
    public Map<String, byte[]> checkpoint() throws IOException {
        Map<String, byte[]> cp = loaded;
        if (cp == null) {
            try {
                ensure();
                cp = store.load(workflow);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while reading the checkpoint of workflow "
                        + workflow);
            }
            loaded = cp;
        }
        return cp;
    }

    @Override
    public void status(Map<String, String> status) {
        this.status = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(status));
    }

    /** @return what the scan reported last */
    Map<String, String> status() {
        return status;
    }

    /**
     * Registers the next object of the listing with its change.
     *
     * @return its ordinal, to {@link #settle} once it is queued
     */
    long add(CheckpointUpdate update) {
        synchronized (lock) {
            long ordinal = next++;
            if (!update.isEmpty()) {
                waiting.put(ordinal, update);
                used = true;
            }
            return ordinal;
        }
    }

    /** The object of this ordinal is queued, or needs no queueing. */
    void settle(long ordinal) {
        synchronized (lock) {
            settled.add(ordinal);
            while (settled.remove(firstUnsettled)) {
                CheckpointUpdate u = waiting.remove(firstUnsettled);
                if (u != null) {
                    for (String key : u.remove()) {
                        toPut.remove(key);
                        toRemove.add(key);
                    }
                    for (Map.Entry<String, byte[]> e : u.put().entrySet()) {
                        toRemove.remove(e.getKey());
                        toPut.put(e.getKey(), e.getValue());
                    }
                }
                firstUnsettled++;
            }
        }
    }

    /** A change with no object: the end of a complete scan; committable once everything before it is. */
    void end(CheckpointUpdate update) {
        settle(add(update));
    }

    /** @return what {@link #commit()} would write now: the merged changes of the settled prefix */
    CheckpointUpdate committable() {
        synchronized (lock) {
            return new CheckpointUpdate(toPut, toRemove);
        }
    }

    /**
     * Writes what became committable since the last call.
     *
     * @throws IOException if the bucket did not confirm it (the change is kept and written with the next one)
     */
    void commit() throws IOException, InterruptedException {
        CheckpointUpdate update;
        synchronized (lock) {
            if (toPut.isEmpty() && toRemove.isEmpty()) {
                return;
            }
            update = new CheckpointUpdate(toPut, toRemove);
            toPut.clear();
            toRemove.clear();
        }
        try {
            ensure();
            store.write(workflow, update);
        } catch (IOException | RuntimeException e) {
            synchronized (lock) { // keep it, under what came meanwhile
                for (String key : update.remove()) {
                    if (!toPut.containsKey(key)) {
                        toRemove.add(key);
                    }
                }
                for (Map.Entry<String, byte[]> en : update.put().entrySet()) {
                    if (!toPut.containsKey(en.getKey()) && !toRemove.contains(en.getKey())) {
                        toPut.put(en.getKey(), en.getValue());
                    }
                }
            }
            throw e;
        }
    }

    private void ensure() throws IOException {
        if (!ensured) {
            store.ensure();
            ensured = true;
        }
    }

    /** @return whether the scan changed the checkpoint at all */
    boolean used() {
        synchronized (lock) {
            return used;
        }
    }
}
