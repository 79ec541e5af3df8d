package dev.ingest.core.records;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ingest.core.nats.NatsServerProcess;
import dev.ingest.core.queue.JetStreamQueue;
import dev.ingest.core.queue.QueueSettings;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Shard leases between replicas, each with a connection of its own, on a real nats-server. */
class ShardLeasesIT {

    private static NatsServerProcess nats;
    private static final AtomicInteger RUN = new AtomicInteger();
    private final String stream = "leases" + RUN.incrementAndGet();
    private final List<JetStreamQueue> queues = new ArrayList<>();
    private final List<ShardLeases> replicas = new ArrayList<>();

    @BeforeAll
    static void startNats() throws IOException {
        nats = NatsServerProcess.start();
    }

    @AfterAll
    static void stopNats() {
        if (nats != null) {
            nats.close();
        }
    }

    @AfterEach
    void close() {
        replicas.forEach(ShardLeases::close);
        queues.forEach(JetStreamQueue::close);
    }

    private ShardLeases replica(AtomicInteger changes) throws IOException {
        JetStreamQueue q = JetStreamQueue.connect(new QueueSettings(nats.url(), stream, stream, stream, 1, -1,
                Duration.ofMinutes(2), Duration.ofSeconds(30)));
        queues.add(q);
        ShardLeases l = new ShardLeases(q, "wf", 8);
        replicas.add(l);
        l.start(changes::incrementAndGet);
        return l;
    }

    /** What each replica's runner would do after each change: commit, then give back what it was asked to. */
    private static void settle(List<ShardLeases> all) {
        all.forEach(ShardLeases::released);
    }

    private boolean fairAndDisjoint(List<ShardLeases> live, int shards) {
        settle(live);
        Set<Integer> union = new HashSet<>();
        int total = 0;
        for (ShardLeases l : live) {
            Set<Integer> owned = l.owned();
            int share = owned.size();
            if (share < shards / live.size() || share > (shards + live.size() - 1) / live.size()) {
                return false;
            }
            union.addAll(owned);
            total += share;
        }
        return total == shards && union.size() == shards;
    }

    @Test
    void threeReplicasShareEightShardsFairlyAndTheShardsOfOneThatLeavesMove() throws Exception {
        AtomicInteger changes = new AtomicInteger();
        ShardLeases a = replica(changes);
        await().atMost(Duration.ofSeconds(20)).until(() -> a.owned().size() == 8);
        ShardLeases b = replica(changes);
        ShardLeases c = replica(changes);
        List<ShardLeases> three = List.of(a, b, c);
        await().atMost(Duration.ofSeconds(30)).until(() -> fairAndDisjoint(three, 8));

        Map<Integer, ShardLeases.Lease> leases = ShardLeases.holders(queues.get(0), "wf");
        assertThat(leases).hasSize(8);
        assertThat(leases.values()).allSatisfy(l -> {
            assertThat(l.since()).as("since when the lease is held").isPresent();
            assertThat(l.since().get()).isBefore(l.renewed().plusSeconds(1)); // the holder's clock, then the server's
            assertThat(l.expires()).isEqualTo(l.renewed().plus(ShardLeases.PERIOD));
        });
        Map<Integer, String> holders = new java.util.TreeMap<>();
        leases.forEach((s, l) -> holders.put(s, l.holder()));
        assertThat(Set.copyOf(holders.values())).containsExactlyInAnyOrder(a.holder(), b.holder(), c.holder());
        for (ShardLeases l : three) {
            for (int s : l.owned()) {
                assertThat(holders).containsEntry(s, l.holder());
            }
        }

        b.close(); // gives its leases back: the others take them
        replicas.remove(b);
        await().atMost(Duration.ofSeconds(30)).until(() -> fairAndDisjoint(List.of(a, c), 8));
        assertThat(changes.get()).isPositive();
    }

    /** A replica that dies renews nothing: its leases and its membership expire, and the others take its shards. */
    @Test
    void theShardsOfAReplicaThatStopsRenewingExpireAndMove() throws Exception {
        AtomicInteger changes = new AtomicInteger();
        ShardLeases a = replica(changes);
        ShardLeases b = replica(changes);
        await().atMost(Duration.ofSeconds(30)).until(() -> fairAndDisjoint(List.of(a, b), 8));
        Set<Integer> ofB = b.owned();
        // The connection of b ends without giving anything back, as when its process is killed.
        queues.get(1).close();
        await().atMost(Duration.ofSeconds(30)).until(() -> a.owned().size() == 8);
        assertThat(a.owned()).containsAll(ofB);
        // b could not renew for a whole period: it holds nothing any more, so it reads nothing.
        await().atMost(Duration.ofSeconds(30)).until(() -> b.owned().isEmpty());
    }
}
