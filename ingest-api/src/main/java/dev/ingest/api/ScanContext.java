package dev.ingest.api;

import java.io.IOException;
import java.util.Map;

/**
 * What the engine gives a scan of a source that keeps a checkpoint between scans ({@link Nexter#scan(ScanContext)}):
 * the checkpoint the workflow's scans have committed so far, and a way to report what the scan is doing. Implemented
 * by the engine.
 *
 * <p>A checkpoint lets a source list less than all of itself: an S3 source with a cursor lists only the keys after
 * the last key queued. The scan tells the engine, object by object, how the checkpoint changes
 * ({@link Scan#checkpointAfter}); the engine commits a change only once the object it comes with, and every object
 * the scan returned before it, is queued (or needed no queueing), so that a crash neither skips an object nor moves
 * the checkpoint backwards. Checkpoints are kept per workflow in the same JetStream key-value bucket as the
 * checkpoints of record sources.
 *
 * <p>Thread-safety: every method may be called from any thread.
 */
public interface ScanContext {

    /**
     * The checkpoint committed by this workflow's earlier scans: every entry set and not removed, by key. Empty the
     * first time (or after the checkpoint was reset). Read from the key-value bucket at the first call of each scan.
     *
     * @return the entries, unmodifiable; the arrays must not be changed
     * @throws IOException if the checkpoint cannot be read now (the scan fails and is tried again at the next interval)
     */
    Map<String, byte[]> checkpoint() throws IOException;

    /**
     * Reports what the scan is doing, for {@code ingest status} (an S3 source with a cursor: the cursor, and whether
     * this scan is a full one). Replaces what was reported before; kept with the scan's record. Keep it small.
     *
     * @param status entries to show, in order
     */
    void status(Map<String, String> status);

    /** A context without a checkpoint (the first scan every time) that keeps no status: for tests and tools. */
    ScanContext NONE = new ScanContext() {
        @Override
        public Map<String, byte[]> checkpoint() {
            return Map.of();
        }

        @Override
        public void status(Map<String, String> status) {
        }
    };
}
