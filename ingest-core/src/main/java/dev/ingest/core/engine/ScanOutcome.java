package dev.ingest.core.engine;

/**
 * What one scan of a workflow's source did: the answer to a scan asked for with {@link IngestEngine#scanNow}.
 *
 * @param listed objects listed
 * @param queued objects queued by this scan
 * @param alreadyQueued objects already in the queue (queued by an earlier scan, not copied yet)
 * @param alreadyStored objects every destination already held, not queued
 * @param deadLettered objects not queued because their unchanged version is dead-lettered
 * @param maxSequence the highest stream sequence of the messages of this scan (new or already queued), 0 for none:
 *     once the workflow's consumer has acknowledged up to it, every object of the scan is settled
 * @param error why the scan failed; empty when it did not
 */
public record ScanOutcome(long listed, long queued, long alreadyQueued, long alreadyStored, long deadLettered,
                          long maxSequence, String error) {

    /** @return whether the scan completed */
    public boolean ok() {
        return error.isEmpty();
    }
}
