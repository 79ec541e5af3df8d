package dev.ingest.core.control;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ingest.core.queue.JetStreamQueue;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import io.nats.client.api.KeyValueWatcher;
import io.nats.client.impl.NatsKeyValueWatchSubscription;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The configuration managed at runtime: the JetStream key-value bucket {@code <stream>_config}, one key per entry
 * ({@code source.NAME}, {@code destination.NAME}, {@code workflow.NAME}, and {@code paused.NAME} for a paused
 * workflow), each value the entry's keys as a JSON object (the same keys as in YAML). Every process of a stream
 * watches it and applies what changes. Thread-safe.
 */
public final class ConfigStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigStore.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() {
    };

    /** What a key holds. */
    public enum Kind {
        /** A {@code sources:} entry. */
        SOURCE,
        /** A {@code destinations:} entry. */
        DESTINATION,
        /** A {@code workflows:} entry. */
        WORKFLOW,
        /** A paused workflow (the value is when and why). */
        PAUSED;

        /** @return the key prefix, such as {@code workflow} */
        public String prefix() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** @return the plural used in configuration and URLs, such as {@code workflows} */
        public String plural() {
            return this == PAUSED ? "paused" : prefix() + "s";
        }
    }

    /** One entry: its kind, name, keys and the bucket's revision of it. */
    public record Entry(Kind kind, String name, Map<String, Object> value, long revision) {
    }

    private final JetStreamQueue queue;
    private final String bucket;
    /** What the watch has seen: key → entry. */
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private volatile NatsKeyValueWatchSubscription watch;

    /** @param queue the connected queue; the bucket is named after its stream */
    public ConfigStore(JetStreamQueue queue) {
        this.queue = queue;
        this.bucket = queue.settings().stream() + "_config";
    }

    /** @return the bucket's name */
    public String bucket() {
        return bucket;
    }

    /**
     * Creates the bucket when it is missing.
     *
     * @throws IOException if JetStream refuses
     */
    public void ensure() throws IOException {
        try {
            queue.ensureBucket(bucket, 5, null);
        } catch (JetStreamApiException e) {
            throw new IOException("cannot create the key-value bucket " + bucket + " for the configuration at "
                    + queue.settings().endpoint() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Watches the bucket: {@code changed} runs after the entries there now have been read, and after every change.
     *
     * @param changed what to do (it reads {@link #entries()}); called from the watch's thread
     * @throws IOException if the watch cannot be started
     */
    public void watch(Runnable changed) throws IOException {
        KeyValueWatcher watcher = new KeyValueWatcher() {
            private volatile boolean initial = true;

            @Override
            public void watch(KeyValueEntry e) {
                Optional<Map.Entry<Kind, String>> key = parseKey(e.getKey());
                if (key.isEmpty()) {
                    return;
                }
                if (e.getOperation() != KeyValueOperation.PUT || e.getValue() == null) {
                    entries.remove(e.getKey());
                } else {
                    try {
                        entries.put(e.getKey(), new Entry(key.get().getKey(), key.get().getValue(),
                                JSON.readValue(e.getValue(), MAP), e.getRevision()));
                    } catch (IOException bad) {
                        LOG.error("ignoring key {} of bucket {}: not a JSON object: {}", e.getKey(), bucket,
                                bad.getMessage());
                        entries.remove(e.getKey());
                    }
                }
                if (!initial) {
                    changed.run();
                }
            }

            @Override
            public void endOfData() {
                initial = false;
                changed.run();
            }
        };
        try {
            watch = kv().watchAll(watcher);
        } catch (JetStreamApiException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("cannot watch the configuration bucket " + bucket + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads every entry again from the server (after a reconnection, a watch may have missed changes).
     *
     * @throws IOException if the bucket cannot be read
     */
    public void reload() throws IOException {
        try {
            KeyValue kv = kv();
            Map<String, Entry> now = new TreeMap<>();
            for (String k : kv.keys()) {
                Optional<Map.Entry<Kind, String>> key = parseKey(k);
                KeyValueEntry e = kv.get(k);
                if (key.isPresent() && e != null && e.getValue() != null) {
                    try {
                        now.put(k, new Entry(key.get().getKey(), key.get().getValue(), JSON.readValue(e.getValue(), MAP),
                                e.getRevision()));
                    } catch (IOException bad) {
                        LOG.error("ignoring key {} of bucket {}: not a JSON object", k, bucket);
                    }
                }
            }
            entries.keySet().retainAll(now.keySet());
            entries.putAll(now);
        } catch (JetStreamApiException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("cannot read the configuration bucket " + bucket + ": " + e.getMessage(), e);
        }
    }

    /** @return the entries known now (from the watch), by kind then name */
    public List<Entry> entries() {
        return entries.values().stream().sorted(java.util.Comparator.comparing((Entry e) -> e.kind())
                .thenComparing(Entry::name)).toList();
    }

    /**
     * Stores an entry (created, or replaced).
     *
     * @return the new revision
     * @throws IOException if the server refuses
     */
    public long put(Kind kind, String name, Map<String, Object> value) throws IOException {
        try {
            long revision = kv().put(key(kind, name), JSON.writeValueAsBytes(value));
            // Seen at once by this process too, not only when the watch delivers it.
            entries.put(key(kind, name), new Entry(kind, name, value, revision));
            return revision;
        } catch (JetStreamApiException e) {
            throw new IOException("cannot write " + key(kind, name) + " to bucket " + bucket + ": " + e.getMessage(), e);
        }
    }

    /**
     * Removes an entry.
     *
     * @throws IOException if the server refuses
     */
    public void delete(Kind kind, String name) throws IOException {
        try {
            kv().delete(key(kind, name));
            entries.remove(key(kind, name));
        } catch (JetStreamApiException e) {
            throw new IOException("cannot delete " + key(kind, name) + " from bucket " + bucket + ": "
                    + e.getMessage(), e);
        }
    }

    /** @return the key of an entry */
    static String key(Kind kind, String name) {
        return kind.prefix() + "." + name;
    }

    private static Optional<Map.Entry<Kind, String>> parseKey(String key) {
        int dot = key.indexOf('.');
        if (dot < 0) {
            return Optional.empty();
        }
        for (Kind k : Kind.values()) {
            if (k.prefix().equals(key.substring(0, dot))) {
                return Optional.of(Map.entry(k, key.substring(dot + 1)));
            }
        }
        return Optional.empty();
    }

    private KeyValue kv() throws IOException {
        return queue.connection().keyValue(bucket);
    }

    /** Stops watching (a later {@link #watch} starts anew). */
    @Override
    public void close() {
        NatsKeyValueWatchSubscription w = watch;
        watch = null;
        if (w != null) {
            try {
                w.unsubscribe();
            } catch (RuntimeException e) {
                // closing anyway
            }
        }
    }
}
