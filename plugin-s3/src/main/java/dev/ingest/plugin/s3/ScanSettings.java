package dev.ingest.plugin.s3;

import dev.ingest.api.NameFilter;
import dev.ingest.api.PluginConfig;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How an S3 source lists its bucket, beyond where: which names it selects ({@code include}, {@code exclude}), where
 * the listing starts ({@code startAfter}), whether scans continue after the last key queued ({@code cursor}) and how
 * often a cursor source lists everything again ({@code fullScanInterval}).
 *
 * @param filter the names (keys without the prefix) read
 * @param startAfter listings start after this key (a whole key, prefix included); empty for the beginning
 * @param cursor whether each scan lists only the keys after the last key queued by the scans before
 * @param fullScanInterval with a cursor, how often a scan lists everything from {@code startAfter} on; empty for never
 */
record ScanSettings(NameFilter filter, String startAfter, boolean cursor, Optional<Duration> fullScanInterval) {

    static final String START_AFTER = "startAfter";
    static final String CURSOR = "cursor";
    static final String FULL_SCAN_INTERVAL = "fullScanInterval";

    /** Validates. */
    ScanSettings {
        Objects.requireNonNull(filter, "filter");
        Objects.requireNonNull(startAfter, "startAfter");
        Objects.requireNonNull(fullScanInterval, "fullScanInterval");
    }

    /** Lists everything, every time. */
    static final ScanSettings ALL = new ScanSettings(NameFilter.all(), "", false, Optional.empty());

    /**
     * Reads and checks the keys, recording problems in {@code config}.
     *
     * @param config the source's keys
     * @return the settings; meaningful only if {@code config} recorded no problem
     */
    static ScanSettings parse(PluginConfig config) {
        NameFilter filter = NameFilter.parse(config);
        String startAfter = config.optionalString(START_AFTER).orElse("");
        boolean cursor = config.bool(CURSOR, false);
        Optional<Duration> full = Optional.empty();
        if (config.has(FULL_SCAN_INTERVAL)) {
            Duration d = config.duration(FULL_SCAN_INTERVAL, Duration.ZERO, Duration.ofSeconds(1));
            full = Optional.of(d);
            if (!cursor) {
                config.problem(FULL_SCAN_INTERVAL, "applies only with cursor: true (without a cursor every scan is "
                        + "a full scan)");
            }
        }
        return new ScanSettings(filter, startAfter, cursor, full);
    }
}
