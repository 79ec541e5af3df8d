package dev.ingest.bench;

import dev.ingest.core.nats.NatsCluster;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * Case 12, "NATS R3 vs R1": case 1's copy (2,000 x 4 KiB, {@code --mode=all --once}) through a 3-node nats-server
 * cluster on loopback ({@link NatsCluster}), once with the stream and buckets at 3 replicas
 * ({@code --stream-replicas 3}) and once at 1, each run on a fresh stream; the R3 row's note gives its time against
 * R1's. On one machine the three nodes share its cores and disk, so this measures what replication costs ingest
 * (every publish and ack acknowledged by a quorum), not what a network of servers adds.
 */
final class ClusterCase {

    /** Copies case 1's data with the given runner and returns the (verified) row, as the benchmark's other copies. */
    @FunctionalInterface
    interface Copy {
        Row copy(IngestRunner runner, String tool, String label) throws Exception;
    }

    private ClusterCase() {
    }

    /**
     * Starts the cluster, runs the two copies (R1 first) and stops it.
     *
     * @param out where progress goes
     * @param ingest the benchmark's runner (its distribution, S3 server and settings)
     * @param copy one measured, verified copy
     * @return the R1 row and the R3 row, whose note holds its ratio to R1
     */
    static List<Row> run(PrintStream out, IngestRunner ingest, Copy copy) throws Exception {
        try (NatsCluster cluster = NatsCluster.start(3)) {
            out.println("  (3-node nats-server cluster on loopback: " + cluster.url() + ")");
            Row r1 = copy.copy(ingest.on(cluster.url(), List.of("--stream-replicas", "1")), "ingest R1 b=16 c=16",
                    "c12-r1");
            Row r3 = copy.copy(ingest.on(cluster.url(), List.of("--stream-replicas", "3")), "ingest R3 b=16 c=16",
                    "c12-r3");
            if (r1.seconds() > 0 && r3.seconds() > 0) {
                r3 = r3.withNote(String.format(Locale.ROOT, "%.2fx R1's time", r3.seconds() / r1.seconds()));
            }
            return List.of(r1, r3);
        }
    }
}
