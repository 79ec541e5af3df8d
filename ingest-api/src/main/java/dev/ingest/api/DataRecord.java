package dev.ingest.api;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One record: a log line, an event received over HTTP, a database row. Records travel through the queue in chunks
 * and are batched into objects (see {@link RecordSource}). Immutable as far as this type goes.
 *
 * <p>The data array is taken over as it is, not copied, for speed: whoever creates a record must not change the
 * array afterwards, and whoever reads {@link #data()} must not change it either.
 *
 * @param data the record's bytes, as they are to be stored (a line without its line break, a JSON document, ...);
 *     any bytes, also invalid UTF-8
 * @param time when the record happened: from the source when it knows (a timestamp field, a column), else when it
 *     was read. Key templates use it ({@code {yyyy}/{MM}/{dd}})
 * @param attributes string attributes (for example {@code file} and {@code offset}); key templates use them
 *     ({@code {attr.file}}) and the {@code ndjson} format writes them. Copied
 */
public record DataRecord(byte[] data, Instant time, Map<String, String> attributes) {

    /** Validates and copies the attributes. */
    public DataRecord {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(time, "time");
        attributes = Map.copyOf(attributes);
    }

    /**
     * A record without attributes.
     *
     * @param data the bytes, taken over
     * @param time when it happened
     * @return the record
     */
    public static DataRecord of(byte[] data, Instant time) {
        return new DataRecord(data, time, Map.of());
    }

    /**
     * A record of UTF-8 text without attributes.
     *
     * @param text the text
     * @param time when it happened
     * @return the record
     */
    public static DataRecord of(String text, Instant time) {
        return new DataRecord(text.getBytes(StandardCharsets.UTF_8), time, Map.of());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DataRecord r && java.util.Arrays.equals(data, r.data) && time.equals(r.time)
                && attributes.equals(r.attributes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(java.util.Arrays.hashCode(data), time, attributes);
    }

    @Override
    public String toString() {
        return "DataRecord[" + data.length + " bytes, time=" + time + ", attributes=" + attributes + "]";
    }
}
