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
 * @param webhookDelivered stored URIs the webhook acknowledged (2xx)
 * @param webhookFailed stored URIs the webhook was never told of: their delivery failed after its retries, or was
 *     still waiting when the run ended (the objects are stored all the same)
 * @param elapsed time since the run started
 * @param failures one line per failure, naming the workflow and object and saying why; and one per webhook
 *     delivery given up, naming the workflow and the URIs it did not deliver
 */
public record RunSummary(long listed, long queued, long alreadyQueued, long copied, long skipped, long failed,
                         long retried, long bytes, long webhookDelivered, long webhookFailed, Duration elapsed, List<String> failures) {

    /** Copies the failures. */
    public RunSummary {
        failures = List.copyOf(failures);
    }

    /** @return the one-line summary printed at the end of {@code --once} */
    public String line() {
        double seconds = elapsed.toMillis() / 1000.0;
        String scanned = listed == 0 ? "" : String.format(Locale.ROOT, "listed %d, queued %d, ", listed, queued);
        return scanned + String.format(Locale.ROOT, "copied %d, skipped %d, failed %d, %s in %.1fs",
                copied, skipped + alreadyQueued, failed, humanBytes(bytes), seconds)
                + (webhookFailed > 0 ? " (the webhook was not told of " + webhookFailed + " stored URIs)" : "");
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
