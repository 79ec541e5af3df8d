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
 * @param records records that record sources handed over and the queue stored
 * @param batches batch objects stored at every destination (their bytes count in {@code bytes})
 * @param elapsed time since the run started
 * @param failures one line per failure, naming the workflow and object and saying why; and one per webhook
 *     delivery given up, naming the workflow and the URIs it did not deliver
 * @param failureGroups the failures with those that say the same for different objects in one group each: what the
 *     end of {@code --once} prints, one line per group (the log has every failure)
 */
public record RunSummary(long listed, long queued, long alreadyQueued, long copied, long skipped, long failed,
                         long retried, long bytes, long webhookDelivered, long webhookFailed, long records, long batches,
                         Duration elapsed, List<String> failures, List<FailureGroup> failureGroups) {

    /** Copies the failures. */
    public RunSummary {
        failures = List.copyOf(failures);
        failureGroups = List.copyOf(failureGroups);
    }

    /**
     * A summary of a run without records (the form before record workflows); each failure is a group of its own.
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
                0, 0, elapsed, failures, failures.stream().map(f -> new FailureGroup(f, 1, List.of())).toList());
    }

    /**
     * Failures that say the same once the object's name is taken out: many objects that failed for one reason.
     *
     * @param reason the failure's line when {@code count} is 1; otherwise the line with the object's name written
     *     {@value #PLACEHOLDER}
     * @param count how many failures the group holds, at least 1
     * @param objects the first names of its objects in name order, at most {@value #EXAMPLES}; empty for a failure
     *     that is not about one object (a scan)
     */
    public record FailureGroup(String reason, long count, List<String> objects) {

        /** What stands for the object's name in the reason of a group of several. */
        public static final String PLACEHOLDER = "<object>";

        /** How many names a group shows. */
        public static final int EXAMPLES = 3;

        /** Validates and copies the fields. */
        public FailureGroup {
            java.util.Objects.requireNonNull(reason, "reason");
            objects = List.copyOf(objects);
            if (count < 1) {
                throw new IllegalArgumentException("count must be at least 1, got " + count);
            }
        }

        /**
         * @return the line printed at the end of {@code --once}: {@code failed: <reason>}, or for several objects
         *     {@code 289 objects failed: <reason> (for example 'a', 'b', 'c' and 286 more)}
         */
        public String line() {
            if (count == 1) {
                return "failed: " + reason;
            }
            StringBuilder sb = new StringBuilder().append(count).append(" objects failed: ").append(reason)
                    .append(" (for example ");
            for (int i = 0; i < objects.size(); i++) {
                sb.append(i == 0 ? "" : ", ").append('\'').append(objects.get(i)).append('\'');
            }
            if (count > objects.size()) {
                sb.append(" and ").append(count - objects.size()).append(" more");
            }
            return sb.append(')').toString();
        }
    }

    /**
     * A failure's line with every mention of the object's name replaced by {@value FailureGroup#PLACEHOLDER}: where
     * the name stands on its own (quoted, after a {@code /} or a space, before a quote, a separator or the end), so
     * that a short name is not taken out of other words.
     *
     * @param line the failure
     * @param object the object's name
     * @return the line without the name; the line itself when the name is not mentioned on its own
     */
    static String withoutObject(String line, String object) {
        if (object.isEmpty()) {
            return line;
        }
        StringBuilder sb = new StringBuilder(line.length());
        int from = 0;
        for (int at = line.indexOf(object); at >= 0; at = line.indexOf(object, at + 1)) {
            int end = at + object.length();
            if (at < from) {
                continue;
            }
            boolean startsAlone = at == 0 || "'\"/ (=[".indexOf(line.charAt(at - 1)) >= 0;
            boolean endsAlone = end == line.length() || "'\" :;,)]".indexOf(line.charAt(end)) >= 0;
            if (startsAlone && endsAlone) {
                sb.append(line, from, at).append(FailureGroup.PLACEHOLDER);
                from = end;
            }
        }
        return sb.append(line, from, line.length()).toString();
    }

    /** @return the one-line summary printed at the end of {@code --once} */
    public String line() {
        double seconds = elapsed.toMillis() / 1000.0;
        String scanned = listed == 0 ? "" : String.format(Locale.ROOT, "listed %d, queued %d, ", listed, queued);
        String batched = records == 0 && batches == 0 ? ""
                : String.format(Locale.ROOT, "records %d, batches %d, ", records, batches);
        return scanned + batched + String.format(Locale.ROOT, "copied %d, skipped %d, failed %d, %s in %.1fs",
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
