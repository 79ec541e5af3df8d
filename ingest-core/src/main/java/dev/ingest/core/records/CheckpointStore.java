package dev.ingest.core.records;

import dev.ingest.api.CheckpointUpdate;
import dev.ingest.core.queue.JetStreamQueue;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import io.nats.client.api.KeyValueWatchOption;
import io.nats.client.api.KeyValueWatcher;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsKeyValueWatchSubscription;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Where record sources' checkpoints live: the JetStream key-value bucket {@code <stream>_checkpoints}, one key per
 * checkpoint entry, {@code <workflow>.<hash of the source's key>}. The value holds the source's key (keys may be
 * long paths, which NATS subjects cannot carry) and its bytes. Writes are published asynchronously and confirmed
 * together, so a source with thousands of entries (a tail source watching thousands of files) commits them quickly.
 *
 * <p>Thread-safe.
 */
public final class CheckpointStore {

    private static final HexFormat HEX = HexFormat.of();

    private final JetStreamQueue queue;
    private final String bucket;

    /**
     * @param queue the connected queue; the bucket is named after its stream
     */
    public CheckpointStore(JetStreamQueue queue) {
        this.queue = queue;
        this.bucket = queue.settings().stream() + "_checkpoints";
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
            queue.ensureBucket(bucket, 1, null);
        } catch (JetStreamApiException e) {
            throw new IOException("cannot create the key-value bucket " + bucket + " for checkpoints at "
                    + queue.settings().endpoint() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads a workflow's committed checkpoint.
     *
     * @param workflow the workflow
     * @return every entry, by the source's key
     * @throws IOException if the bucket cannot be read
     * @throws InterruptedException if interrupted
     */
    public Map<String, byte[]> load(String workflow) throws IOException, InterruptedException {
        Map<String, byte[]> out = new HashMap<>();
        CountDownLatch done = new CountDownLatch(1);
        List<String> broken = Collections.synchronizedList(new ArrayList<>());
        KeyValueWatcher watcher = new KeyValueWatcher() {
            @Override
            public void watch(KeyValueEntry entry) {
                if (entry.getOperation() != KeyValueOperation.PUT || entry.getValue() == null) {
                    return;
                }
                try {
                    Entry e = decode(entry.getValue());
                    synchronized (out) {
                        out.put(e.key(), e.value());
                    }
                } catch (IllegalArgumentException ex) {
                    broken.add(entry.getKey());
                }
            }

            @Override
            public void endOfData() {
                done.countDown();
            }
        };
        NatsKeyValueWatchSubscription sub;
        try {
            sub = kv().watch(workflow + ".>", watcher, KeyValueWatchOption.IGNORE_DELETE);
        } catch (JetStreamApiException e) {
            throw new IOException("cannot read the checkpoint of workflow " + workflow + " from bucket " + bucket
                    + ": " + e.getMessage(), e);
        }
        try {
            if (!done.await(60, TimeUnit.SECONDS)) {
                throw new IOException("reading the checkpoint of workflow " + workflow + " from bucket " + bucket
                        + " took more than 60 s");
            }
        } finally {
            sub.unsubscribe();
        }
        if (!broken.isEmpty()) {
            throw new IOException("the checkpoint of workflow " + workflow + " in bucket " + bucket
                    + " has malformed entries: " + broken);
        }
        synchronized (out) {
            return Map.copyOf(out);
        }
    }

    /**
     * Writes checkpoint changes and waits until JetStream confirmed them all.
     *
     * @param workflow the workflow
     * @param update the entries to set and remove
     * @throws IOException if a write was not confirmed (the caller writes again later)
     * @throws InterruptedException if interrupted
     */
    public void write(String workflow, CheckpointUpdate update) throws IOException, InterruptedException {
        if (update.isEmpty()) {
            return;
        }
        JetStream js = queue.connection().jetStream();
        List<CompletableFuture<PublishAck>> acks = new ArrayList<>(update.put().size() + update.remove().size());
        for (Map.Entry<String, byte[]> e : update.put().entrySet()) {
            acks.add(js.publishAsync(subject(workflow, e.getKey()), encode(e.getKey(), e.getValue())));
        }
        for (String key : update.remove()) {
            Headers h = new Headers();
            h.put("KV-Operation", "DEL");
            acks.add(js.publishAsync(subject(workflow, key), h, new byte[0]));
        }
        try {
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IOException("writing the checkpoint of workflow " + workflow + " to bucket " + bucket
                    + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("writing the checkpoint of workflow " + workflow + " to bucket " + bucket
                    + " was not confirmed within 30 s", e);
        }
    }

    /**
     * Removes a workflow's whole checkpoint (its source then starts from the beginning).
     *
     * @param workflow the workflow
     * @return how many entries were removed
     * @throws IOException if the bucket cannot be changed
     * @throws InterruptedException if interrupted
     */
    public int reset(String workflow) throws IOException, InterruptedException {
        Map<String, byte[]> all = load(workflow);
        write(workflow, new CheckpointUpdate(Map.of(), all.keySet()));
        return all.size();
    }

    private KeyValue kv() throws IOException {
        return queue.connection().keyValue(bucket);
    }

    private String subject(String workflow, String key) {
        return "$KV." + bucket + "." + workflow + "." + hash(key);
    }

    static String hash(String key) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HEX.formatHex(d, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One entry: the source's key and its bytes. */
    record Entry(String key, byte[] value) {
    }

    static byte[] encode(String key, byte[] value) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream(k.length + value.length + 5);
        int n = k.length;
        while ((n & ~0x7f) != 0) {
            out.write((n & 0x7f) | 0x80);
            n >>>= 7;
        }
        out.write(n);
        out.writeBytes(k);
        out.writeBytes(value);
        return out.toByteArray();
    }

    static Entry decode(byte[] stored) {
        int n = 0;
        int pos = 0;
        for (int shift = 0; ; shift += 7) {
            if (pos >= stored.length || shift > 28) {
                throw new IllegalArgumentException("malformed checkpoint entry");
            }
            byte b = stored[pos++];
            n |= (b & 0x7f) << shift;
            if (b >= 0) {
                break;
            }
        }
        if (n < 0 || n > stored.length - pos) {
            throw new IllegalArgumentException("malformed checkpoint entry");
        }
        String key = new String(stored, pos, n, StandardCharsets.UTF_8);
        byte[] value = java.util.Arrays.copyOfRange(stored, pos + n, stored.length);
        return new Entry(key, value);
    }
}
