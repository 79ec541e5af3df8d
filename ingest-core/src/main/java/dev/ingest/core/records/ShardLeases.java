package dev.ingest.core.records;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ingest.core.queue.JetStreamQueue;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leases on the shards of a record source that several enqueuer replicas share but no work queue can split (a
 * table, say): each shard is read by the one replica that holds its lease.
 *
 * <p>The leases live in the JetStream key-value bucket {@code <stream>_leases}, whose entries expire after
 * {@link #PERIOD} unless renewed: key {@code <workflow>.shard.<n>} holds the holder's id, and every replica of the
 * workflow announces itself under {@code <workflow>.member.<holder>}. Taking a free lease is a {@code create} (it
 * fails when another replica has the key), and renewing one an {@code update} against the revision this replica
 * wrote last: both are checked by the server, so two replicas never hold a shard at once. A replica that fails to
 * renew has lost the lease (it stalled past the period and another took it) and stops reading that shard at once.
 *
 * <p>Fair share: every {@link #RENEW} each replica counts the live members, sorts their ids, and takes its share,
 * {@code shards / members} plus one for the first {@code shards % members} of them: it takes free shards up to its
 * share and gives back what it holds beyond. A shard is given back only after the source's run stopped and its
 * checkpoint was committed ({@link #released()}), so the next holder continues from that checkpoint. When a replica
 * starts or stops (or dies: its entries expire), the leases move within about one period.
 *
 * <p>Thread-safe: a thread of its own renews; the record runner reads {@link #owned()} and waits on changes.
 */
public final class ShardLeases implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ShardLeases.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How long a lease lives without renewal: the bucket's max age. */
    public static final Duration PERIOD = Duration.ofSeconds(5);
    /** How often leases are renewed and the shares computed. */
    static final Duration RENEW = Duration.ofMillis(1000);

    private final JetStreamQueue queue;
    private final String workflow;
    private final int shards;
    private final String holder;
    private final String bucket;
    private final Object lock = new Object();
    /** Held shards and the revision of our last write; guarded by {@link #lock}. */
    private final TreeMap<Integer, Long> held = new TreeMap<>();
    /** When this replica took each shard it holds or held (written into the lease as {@code since}); guarded by {@link #lock}. */
    private final Map<Integer, Instant> takenAt = new HashMap<>();
    /** Held shards to give back once the current run has committed; guarded by {@link #lock}. */
    private final Set<Integer> toRelease = new TreeSet<>();
    /** Incremented on every change of what the current run should own; guarded by {@link #lock}. */
    private long version;
    private volatile Runnable onChange = () -> { };
    private volatile boolean closed;
    private Thread thread;
    private KeyValue kv;

    /**
     * @param queue the connected queue
     * @param workflow the workflow whose source is sharded
     * @param shards how many shards it has
     */
    public ShardLeases(JetStreamQueue queue, String workflow, int shards) {
        this.queue = queue;
        this.workflow = workflow;
        this.shards = shards;
        this.holder = holderId();
        this.bucket = bucketOf(queue);
    }

    /** @return the bucket of leases of a queue */
    public static String bucketOf(JetStreamQueue queue) {
        return queue.settings().stream() + "_leases";
    }

    private static String holderId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "unknown";
        }
        String clean = (host + "-" + ProcessHandle.current().pid() + "-"
                + UUID.randomUUID().toString().substring(0, 8)).replaceAll("[^A-Za-z0-9_-]", "_");
        return clean;
    }

    /** @return this replica's id, as the bucket shows it */
    public String holder() {
        return holder;
    }

    /**
     * Creates the bucket if missing and starts renewing.
     *
     * @param onChange called (on the leases' thread) when the shards the current run should own changed
     * @throws IOException if the bucket cannot be created
     */
    public synchronized void start(Runnable onChange) throws IOException {
        if (thread != null) {
            return;
        }
        this.onChange = onChange;
        try {
            queue.ensureBucket(bucket, 1, PERIOD);
            kv = queue.connection().keyValue(bucket);
        } catch (JetStreamApiException e) {
            throw new IOException("cannot create the key-value bucket " + bucket + " for shard leases: "
                    + e.getMessage(), e);
        }
        thread = new Thread(this::loop, "leases-" + workflow);
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * The shards the next run of the source owns: those held and not being given back.
     *
     * @return the shards, sorted
     */
    public Set<Integer> owned() {
        synchronized (lock) {
            Set<Integer> out = new TreeSet<>(held.keySet());
            out.removeAll(toRelease);
            return Collections.unmodifiableSet(out);
        }
    }

    /** @return a number that changes whenever {@link #owned()} may have */
    public long version() {
        synchronized (lock) {
            return version;
        }
    }

    /**
     * Waits until the shards owned differ from what a run had, or the time is up.
     *
     * @param seen the {@link #version()} the caller last saw
     * @param timeout the longest wait
     */
    public void awaitChange(long seen, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (version == seen && !closed) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                lock.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    /**
     * The run that owned the shards stopped and its checkpoint is committed: the shards marked to be given back are
     * released now (deleted from the bucket), so another replica takes them and continues from that checkpoint.
     */
    public void released() {
        Map<Integer, Long> release = new HashMap<>();
        synchronized (lock) {
            for (int s : toRelease) {
                Long rev = held.remove(s);
                if (rev != null) {
                    release.put(s, rev);
                }
            }
            toRelease.clear();
        }
        release.forEach((s, rev) -> {
            try {
                kv.delete(shardKey(s), rev);
                LOG.info("workflow {}: gave shard {} back", workflow, s);
            } catch (IOException | JetStreamApiException | RuntimeException e) {
                LOG.warn("workflow {}: giving shard {} back failed ({}); its lease expires within {} s", workflow, s,
                        e.getMessage(), PERIOD.toSeconds());
            }
        });
    }

    private String shardKey(int shard) {
        return workflow + ".shard." + shard;
    }

    private String memberKey() {
        return workflow + ".member." + holder;
    }

    private byte[] value() {
        return value(null);
    }

    /** A member's entry, or a lease's: its holder, when it was renewed and, for a lease, since when it is held. */
    private byte[] value(Instant since) {
        ObjectNode n = JSON.createObjectNode();
        n.put("holder", holder);
        n.put("renewed", Instant.now().toString());
        if (since != null) {
            n.put("since", since.toString());
        }
        return n.toString().getBytes(StandardCharsets.UTF_8);
    }

    private Instant takenAt(int shard) {
        synchronized (lock) {
            return takenAt.get(shard);
        }
    }

    private void loop() {
        long lastOk = System.nanoTime();
        while (!closed) {
            try {
                tick();
                lastOk = System.nanoTime();
            } catch (IOException | JetStreamApiException | RuntimeException e) {
                LOG.warn("workflow {}: renewing shard leases failed: {}", workflow, e.toString());
                if (System.nanoTime() - lastOk > PERIOD.toNanos() - RENEW.toNanos()) {
                    dropAll(); // they expire about now: another replica may take them
                }
            } catch (InterruptedException e) {
                return;
            }
            try {
                Thread.sleep(RENEW.toMillis());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Forgets every lease, without giving it back (this replica cannot reach the bucket): it stops reading. */
    private void dropAll() {
        boolean changed;
        synchronized (lock) {
            changed = !held.isEmpty();
            if (changed) {
                LOG.error("workflow {}: could not renew the leases on shards {} for {} s; stopped reading them",
                        workflow, held.keySet(), PERIOD.toSeconds());
            }
            held.clear();
            toRelease.clear();
            if (changed) {
                version++;
                lock.notifyAll();
            }
        }
        if (changed) {
            onChange.run();
        }
    }

    /** One round: announce, renew what is held, compute the share, take or give back. */
    void tick() throws IOException, JetStreamApiException, InterruptedException {
        kv.put(memberKey(), value());
        boolean changed = false;
        Map<Integer, Long> renew;
        synchronized (lock) {
            renew = new TreeMap<>(held);
        }
        for (Map.Entry<Integer, Long> e : renew.entrySet()) {
            try {
                long rev = kv.update(shardKey(e.getKey()), value(takenAt(e.getKey())), e.getValue());
                synchronized (lock) {
                    if (held.containsKey(e.getKey())) {
                        held.put(e.getKey(), rev);
                    }
                }
            } catch (JetStreamApiException ex) {
                LOG.warn("workflow {}: lost the lease on shard {} (another replica holds it now): {}", workflow,
                        e.getKey(), ex.getMessage());
                synchronized (lock) {
                    held.remove(e.getKey());
                    toRelease.remove(e.getKey());
                }
                changed = true;
            }
        }
        List<String> members = new ArrayList<>();
        Set<Integer> taken = new TreeSet<>();
        String prefix = workflow + ".";
        for (String key : kv.keys(workflow + ".>")) {
            KeyValueEntry entry = kv.get(key);
            if (entry == null || entry.getOperation() != KeyValueOperation.PUT) {
                continue;
            }
            String rest = key.substring(prefix.length());
            if (rest.startsWith("member.")) {
                members.add(rest.substring("member.".length()));
            } else if (rest.startsWith("shard.")) {
                try {
                    taken.add(Integer.parseInt(rest.substring("shard.".length())));
                } catch (NumberFormatException ignored) {
                    // not ours
                }
            }
        }
        if (!members.contains(holder)) {
            members.add(holder);
        }
        Collections.sort(members);
        int index = members.indexOf(holder);
        int share = shards / members.size() + (index < shards % members.size() ? 1 : 0);
        synchronized (lock) {
            int keep = held.size() - toRelease.size();
            if (keep > share) {
                // give back the highest shards beyond the share, once the run has stopped
                List<Integer> candidates = new ArrayList<>(held.keySet());
                candidates.removeAll(toRelease);
                Collections.reverse(candidates);
                for (int i = 0; i < keep - share; i++) {
                    toRelease.add(candidates.get(i));
                }
                changed = true;
            }
        }
        int want;
        synchronized (lock) {
            want = share - held.size();
        }
        for (int s = 0; s < shards && want > 0; s++) {
            if (taken.contains(s)) {
                continue;
            }
            try {
                Instant since = Instant.now();
                long rev = kv.create(shardKey(s), value(since));
                synchronized (lock) {
                    held.put(s, rev);
                    takenAt.put(s, since);
                }
                LOG.info("workflow {}: took shard {} ({} replicas, share {})", workflow, s, members.size(), share);
                want--;
                changed = true;
            } catch (JetStreamApiException e) {
                // another replica was quicker
            }
        }
        if (changed) {
            synchronized (lock) {
                version++;
                lock.notifyAll();
            }
            onChange.run();
        }
    }

    /**
     * Stops renewing and gives back every lease (the caller committed the checkpoint first), so other replicas take
     * the shards at once rather than after they expire.
     */
    @Override
    public void close() {
        closed = true;
        synchronized (lock) {
            lock.notifyAll();
        }
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (kv == null) {
            return;
        }
        synchronized (lock) {
            toRelease.addAll(held.keySet());
        }
        released();
        try {
            kv.delete(memberKey());
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            LOG.debug("workflow {}: removing the member entry: {}", workflow, e.toString());
        }
    }

    /**
     * A shard's lease, as {@code ingest status} and the API show it.
     *
     * @param holder the replica that holds it (host name, process id and a random part)
     * @param since when that replica took it, if its lease says (leases written by older versions do not)
     * @param renewed when the holder last renewed it, by the server's clock
     * @param expires when it expires unless renewed again ({@link #PERIOD} after {@code renewed})
     */
    public record Lease(String holder, java.util.Optional<Instant> since, Instant renewed, Instant expires) {
        public Lease {
            java.util.Objects.requireNonNull(holder, "holder");
            java.util.Objects.requireNonNull(since, "since");
            java.util.Objects.requireNonNull(renewed, "renewed");
            java.util.Objects.requireNonNull(expires, "expires");
        }
    }

    /**
     * Who holds each shard of a workflow, for {@code ingest status}.
     *
     * @param queue the connected queue
     * @param workflow the workflow
     * @return the lease by shard, sorted; empty when the workflow has no leases (or no bucket)
     * @throws IOException if the bucket cannot be read
     */
    public static Map<Integer, Lease> holders(JetStreamQueue queue, String workflow) throws IOException {
        Map<Integer, Lease> out = new TreeMap<>();
        try {
            KeyValue kv;
            try {
                queue.connection().keyValueManagement().getStatus(bucketOf(queue));
                kv = queue.connection().keyValue(bucketOf(queue));
            } catch (JetStreamApiException e) {
                return out;
            }
            String prefix = workflow + ".shard.";
            for (String key : kv.keys(prefix + ">")) {
                KeyValueEntry e = kv.get(key);
                if (e == null || e.getOperation() != KeyValueOperation.PUT) {
                    continue;
                }
                try {
                    JsonNode n = JSON.readTree(e.getValue());
                    Instant renewed = e.getCreated().toInstant();
                    String since = n.path("since").asText("");
                    out.put(Integer.parseInt(key.substring(prefix.length())), new Lease(n.path("holder").asText(),
                            since.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(Instant.parse(since)),
                            renewed, renewed.plus(PERIOD)));
                } catch (NumberFormatException | IOException | java.time.format.DateTimeParseException ignored) {
                    // not a lease of ours
                }
            }
            return out;
        } catch (JetStreamApiException e) {
            throw new IOException("cannot read the shard leases of workflow " + workflow + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading the shard leases of workflow " + workflow, e);
        }
    }

    /** @return the workflow */
    public String workflow() {
        return workflow;
    }

    @Override
    public String toString() {
        return "ShardLeases[" + workflow + ", " + holder + ", " + owned() + "]";
    }
}
