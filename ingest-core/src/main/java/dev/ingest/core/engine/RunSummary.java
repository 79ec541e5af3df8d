package dev.ingest.core.engine;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * What a run did.
 *
 * @param listed objects the scans listed
 * @param queued messages published
 * @param alreadyQueued publishes JetStream dropped as duplicates (the object was queued recently); counted as
 *     skipped in {@link #line()}
 * @param copied objects stored to at least one destination
 * @param skipped objects every destination already had
 * @param failed objects dead-lettered, plus scans that failed
 * @param retried attempts that failed and were scheduled again
 * @param bytes bytes read from sources for the copied objects
 * @param webhookDelivered webhook deliveries acknowledged with 2xx
 * @param webhookFailed webhook deliveries that failed after their retries (the objects were stored all the same)
 * @param records records that record sources handed over and the queue stored
 * @param batches batch objects stored at every destination (their bytes count in {@code bytes})
 * @param elapsed time since the run started
 * @param failures one line per failure, naming the workflow and object and saying why
 */
public record RunSummary(long listed, long queued, long alreadyQueued, long copied, long skipped, long failed,
                         long retried, long bytes, long webhookDelivered, long webhookFailed, long records, long batches,
                         Duration elapsed, List<String> failures) {

    /** Copies the failures. */
    public RunSummary {
        failures = List.copyOf(failures);
    }

    /**
     * A summary of a run without records (the form before record workflows).
     *
     * @param listed objects listed
     * @param queued messages published
     * @param alreadyQueued duplicate publishes
     * @param copied objects copied
     * @param skipped objects already stored
     * @param failed failures
     * @param retried retried attempts
     * @param bytes bytes copied
     * @param webhookDelivered webhook deliveries made
     * @param webhookFailed webhook deliveries failed
     * @param elapsed time since the start
     * @param failures what failed
     */
    public RunSummary(long listed, long queued, long alreadyQueued, long copied, long skipped, long failed,
                      long retried, long bytes, long webhookDelivered, long webhookFailed, Duration elapsed,
                      List<String> failures) {
        this(listed, queued, alreadyQueued, copied, skipped, failed, retried, bytes, webhookDelivered, webhookFailed,
                0, 0, elapsed, failures);
    }

    /** @return the one-line summary printed at the end of {@code --once} */
    public String line() {
        double seconds = elapsed.toMillis() / 1000.0;
        String scanned = listed == 0 ? "" : String.format(Locale.ROOT, "listed %d, queued %d, ", listed, queued);
        String batched = records == 0 && batches == 0 ? ""
                : String.format(Locale.ROOT, "records %d, batches %d, ", records, batches);
        return scanned + batched + String.format(Locale.ROOT, "copied %d, skipped %d, failed %d, %s in %.1fs",
                copied, skipped + alreadyQueued, failed, humanBytes(bytes), seconds)
                + (webhookFailed > 0 ? " (" + webhookFailed + " webhook deliveries failed)" : "");
    }

    /**
     * @param n a byte count
     * @return e.g. {@code 12.3 MiB}
     */
    public static String humanBytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
