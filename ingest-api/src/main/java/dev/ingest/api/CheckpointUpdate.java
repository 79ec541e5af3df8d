package dev.ingest.api;

import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * How a record source's checkpoint changes with the records it hands over: entries to set and entries to remove.
 * A checkpoint is a set of entries under keys the source chooses (a tail source: one per file; a database source:
 * one cursor). The engine keeps them in a JetStream key-value bucket and gives them back to the source when it
 * starts again ({@link RecordContext#checkpoint()}); their values are opaque to it. Immutable.
 *
 * <p>An update takes effect only once every record handed over before it, and with it, is durable in the queue:
 * a crash never moves a checkpoint past a record that was not stored.
 *
 * @param put entries to set, by key; keys are any non-empty strings, values any bytes up to 64 KiB. Copied
 * @param remove keys whose entries are removed (a file that is gone). Copied
 */
public record CheckpointUpdate(Map<String, byte[]> put, Set<String> remove) {

    /** No change. */
    public static final CheckpointUpdate NONE = new CheckpointUpdate(Map.of(), Set.of());

    /** Largest value of one entry. */
    public static final int MAX_VALUE_BYTES = 64 * 1024;

    /** Validates and copies. */
    public CheckpointUpdate {
        put = Map.copyOf(put);
        remove = Set.copyOf(remove);
        for (Map.Entry<String, byte[]> e : put.entrySet()) {
            if (e.getKey().isEmpty()) {
                throw new IllegalArgumentException("checkpoint keys must not be empty");
            }
            if (e.getValue().length > MAX_VALUE_BYTES) {
                throw new IllegalArgumentException("checkpoint entry '" + e.getKey() + "' has " + e.getValue().length
                        + " bytes; at most " + MAX_VALUE_BYTES + " are kept");
            }
            if (remove.contains(e.getKey())) {
                throw new IllegalArgumentException("checkpoint entry '" + e.getKey() + "' is both set and removed");
            }
        }
    }

    /**
     * @param key the entry's key
     * @param value its new value
     * @return an update that sets one entry
     */
    public static CheckpointUpdate put(String key, byte[] value) {
        return new CheckpointUpdate(Map.of(Objects.requireNonNull(key, "key"), value), Set.of());
    }

    /** @return whether this update changes nothing */
    public boolean isEmpty() {
        return put.isEmpty() && remove.isEmpty();
    }
}
