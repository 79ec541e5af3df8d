package dev.ingest.core.config;

import dev.ingest.core.records.KeyTemplate;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * A workflow's {@code batch:} block: how records (of a record source, or the lines of an object source's objects)
 * are gathered into large compressed objects.
 *
 * @param maxRecords close a batch after this many records (default 10000)
 * @param maxBytes close a batch when its object reaches this size as written, compressed (default 64 MiB)
 * @param maxAge close a batch this long after its first record, on a timer (default 1 minute)
 * @param format how records are written
 * @param compression how the object is compressed
 * @param key the object's name
 * @param maxOpenBatches how many batches (one per resolved key prefix) may be open at once; the oldest is closed
 *     when a record needs another (default 64)
 */
public record BatchConfig(long maxRecords, long maxBytes, Duration maxAge, Format format, Compression compression,
                          KeyTemplate key, int maxOpenBatches) {

    /** Default of {@code maxRecords}. */
    public static final long DEFAULT_MAX_RECORDS = 10_000;
    /** Default of {@code maxBytes}. */
    public static final long DEFAULT_MAX_BYTES = 64L << 20;
    /** Default of {@code maxAge}. */
    public static final Duration DEFAULT_MAX_AGE = Duration.ofMinutes(1);
    /** Default of {@code maxOpenBatches}. */
    public static final int DEFAULT_MAX_OPEN_BATCHES = 64;

    /** Validates. */
    public BatchConfig {
        Objects.requireNonNull(maxAge, "maxAge");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(compression, "compression");
        Objects.requireNonNull(key, "key");
        if (maxRecords < 1 || maxBytes < 1 || maxOpenBatches < 1 || maxAge.isNegative() || maxAge.isZero()) {
            throw new IllegalArgumentException("maxRecords, maxBytes, maxOpenBatches and maxAge must be positive");
        }
    }

    /** @return the defaults */
    public static BatchConfig defaults() {
        return new BatchConfig(DEFAULT_MAX_RECORDS, DEFAULT_MAX_BYTES, DEFAULT_MAX_AGE, Format.LINES,
                Compression.GZIP, KeyTemplate.parse(KeyTemplate.DEFAULT).template().orElseThrow(),
                DEFAULT_MAX_OPEN_BATCHES);
    }

    /** @return the settings as configuration would write them */
    @Override
    public String toString() {
        return "maxRecords " + maxRecords + ", maxBytes " + dev.ingest.api.PluginConfig.formatSize(maxBytes)
                + ", maxAge " + Durations.format(maxAge) + ", format " + format.key() + ", compression "
                + compression.key() + ", key " + key + ", maxOpenBatches " + maxOpenBatches;
    }

    /**
     * The most messages a batcher may hold unacknowledged at once: each record of its open batches, and of the closed
     * batches waiting to be stored (at most 4), may have come in a message of its own, and a pull brings up to 256
     * more. The workflow's consumer must let that many be pending, or an open batch that waits for records would wait
     * for messages JetStream no longer delivers.
     *
     * @return a count, at most {@link Integer#MAX_VALUE}
     */
    public long maxHeldMessages() {
        long batches = maxOpenBatches + 4L;
        if (maxRecords > (Integer.MAX_VALUE - 256L) / batches) {
            return Integer.MAX_VALUE;
        }
        return batches * maxRecords + 256;
    }

    /** @return the extension of the objects' names, e.g. {@code log.gz} or {@code ndjson.zst} */
    public String extension() {
        return format.extension + compression.extension;
    }

    /** @return the objects' content type */
    public String contentType() {
        return compression == Compression.NONE ? format.contentType : compression.contentType;
    }

    /** How records are written into a batch. */
    public enum Format {
        /** Each record's bytes, then {@code \n}. */
        LINES("log", "text/plain; charset=utf-8"),
        /**
         * One JSON document per line: a record that is a JSON object as it is (its attributes added under
         * {@code attributes} when it has none of that name), any other record as {@code {"message": "<text>"}} with its
         * time and attributes.
         */
        NDJSON("ndjson", "application/x-ndjson");

        final String extension;
        final String contentType;

        Format(String extension, String contentType) {
            this.extension = extension;
            this.contentType = contentType;
        }

        /** @return the name in configuration, e.g. {@code lines} */
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** How a batch is compressed. */
    public enum Compression {
        /** gzip (deflate level 6, as {@code gzip -6}). */
        GZIP(".gz", "application/gzip"),
        /** Zstandard (level 3). */
        ZSTD(".zst", "application/zstd"),
        /** Not compressed. */
        NONE("", null);

        final String extension;
        final String contentType;

        Compression(String extension, String contentType) {
            this.extension = extension;
            this.contentType = contentType;
        }

        /** @return the name in configuration, e.g. {@code gzip} */
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
