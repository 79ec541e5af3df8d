package dev.ingest.core.nats;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.ClusterInfo;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A cluster of real {@code nats-server} processes with JetStream on loopback, for tests and the benchmark: each
 * node a {@link NatsServerProcess} (the same binary discovery and process handling) with its own store directory,
 * client port and route port, named {@code n1}, {@code n2}, ... (the server names JetStream reports as leaders),
 * routes to every other node, and a monitoring port (for {@link #nodeOfClient}). {@link #start(int)} returns once
 * the cluster's JetStream can place a stream on every node. A node can be killed ({@code kill -9}) and restarted on
 * the same ports and store.
 *
 * <p>Not thread-safe.
 */
public final class NatsCluster implements AutoCloseable {

    /** How long {@link #start(int)} waits for JetStream to work across the cluster. */
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private final Path root;
    private final List<NatsServerProcess> nodes = new ArrayList<>();
    private final List<String> names = new ArrayList<>();
    private final List<Integer> monitorPorts = new ArrayList<>();

    private NatsCluster(Path root) {
        this.root = root;
    }

    /**
     * Starts a cluster in a new temporary directory (deleted on {@link #close()}) and waits until a stream with
     * {@code size} replicas can be created.
     *
     * @param size the number of nodes, 1 to 5
     * @return the running cluster
     * @throws IOException if nats-server is missing, a node does not start, or JetStream does not come up
     */
    public static NatsCluster start(int size) throws IOException {
        if (size < 1 || size > 5) {
            throw new IllegalArgumentException("a cluster of 1 to 5 nodes, not " + size);
        }
        NatsCluster cluster = new NatsCluster(Files.createTempDirectory("ingest-nats-cluster-"));
        try {
            int[] clientPorts = new int[size];
            int[] routePorts = new int[size];
            for (int i = 0; i < size; i++) {
                clientPorts[i] = NatsServerProcess.freePort();
                routePorts[i] = NatsServerProcess.freePort();
                cluster.monitorPorts.add(NatsServerProcess.freePort());
            }
            String clusterName = "ingest-" + cluster.root.getFileName().toString().replaceAll("[^A-Za-z0-9]", "");
            for (int i = 0; i < size; i++) {
                String name = "n" + (i + 1);
                List<String> routes = new ArrayList<>();
                for (int j = 0; j < size; j++) {
                    if (j != i) {
                        routes.add("nats://127.0.0.1:" + routePorts[j]);
                    }
                }
                List<String> args = new ArrayList<>(List.of("--server_name", name, "--cluster_name", clusterName,
                        "--cluster", "nats://127.0.0.1:" + routePorts[i],
                        "-m", cluster.monitorPorts.get(i).toString()));
                if (!routes.isEmpty()) {
                    args.addAll(List.of("--routes", String.join(",", routes)));
                }
                Path store = Files.createDirectories(cluster.root.resolve(name));
                cluster.names.add(name);
                cluster.nodes.add(NatsServerProcess.start(store, clientPorts[i], args));
            }
            cluster.awaitJetStream(size, READY_TIMEOUT);
            return cluster;
        } catch (IOException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /** @return the number of nodes, running or not */
    public int size() {
        return nodes.size();
    }

    /** @return every node's client URL, separated by commas (as {@code --queue-endpoint} takes them) */
    public String url() {
        return nodes.stream().map(NatsServerProcess::url).collect(Collectors.joining(","));
    }

    /**
     * @param index 0 to {@code size() - 1}
     * @return that node
     */
    public NatsServerProcess node(int index) {
        return nodes.get(index);
    }

    /**
     * @param index 0 to {@code size() - 1}
     * @return that node's server name, {@code n<index + 1>}
     */
    public String name(int index) {
        return names.get(index);
    }

    /**
     * @param serverName a server name as JetStream reports it (a stream's leader)
     * @return the index of that node
     * @throws IllegalArgumentException if no node has that name
     */
    public int indexOf(String serverName) {
        int i = names.indexOf(serverName);
        if (i < 0) {
            throw new IllegalArgumentException("no node of this cluster is named '" + serverName + "'; nodes " + names);
        }
        return i;
    }

    /**
     * Kills a node at once ({@code kill -9}), as a crash would.
     *
     * @param index the node
     */
    public void kill(int index) {
        nodes.get(index).kill();
    }

    /**
     * Starts a stopped or killed node again on its ports with its store.
     *
     * @param index the node
     * @throws IOException if it does not start
     */
    public void restart(int index) throws IOException {
        nodes.get(index).restart();
    }

    /**
     * The server that leads a stream now, asked of the running nodes.
     *
     * @param stream the stream
     * @return its leader's server name, or empty while it has none (or cannot be asked)
     */
    public Optional<String> streamLeader(String stream) {
        try (Connection nc = connect()) {
            ClusterInfo info = nc.jetStreamManagement().getStreamInfo(stream).getClusterInfo();
            return Optional.ofNullable(info == null ? null : info.getLeader()).filter(s -> !s.isEmpty());
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /**
     * Asks the leader of a stream to step down, so that another node is elected (JetStream's
     * {@code $JS.API.STREAM.LEADER.STEPDOWN}).
     *
     * @param stream the stream
     * @throws IOException if the request fails or is refused
     */
    public void stepDown(String stream) throws IOException {
        try (Connection nc = connect()) {
            Message reply = nc.request("$JS.API.STREAM.LEADER.STEPDOWN." + stream, null, Duration.ofSeconds(5));
            String body = reply == null ? "no reply" : new String(reply.getData(), StandardCharsets.UTF_8);
            if (reply == null || body.contains("\"error\"")) {
                throw new IOException("stream " + stream + " did not step down: " + body);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /**
     * Finds the running node a client is connected to, by its connection name, from the nodes' monitoring
     * endpoints ({@code /connz}).
     *
     * @param connectionName the name the client gave its connection (ingest's is {@code ingest})
     * @return the index of the first node with such a connection, or empty
     */
    public Optional<Integer> nodeOfClient(String connectionName) {
        for (int i = 0; i < nodes.size(); i++) {
            if (!nodes.get(i).isRunning()) {
                continue;
            }
            try (InputStream in = URI.create("http://127.0.0.1:" + monitorPorts.get(i) + "/connz?limit=1024")
                    .toURL().openStream()) {
                JsonNode connections = new ObjectMapper().readTree(in).path("connections");
                for (JsonNode c : connections) {
                    if (connectionName.equals(c.path("name").asText())) {
                        return Optional.of(i);
                    }
                }
            } catch (IOException e) {
                // not answering: not this one
            }
        }
        return Optional.empty();
    }

    /**
     * Opens a connection to the running nodes (the caller closes it).
     *
     * @return the connection
     * @throws IOException if no running node accepts it
     * @throws InterruptedException if interrupted
     */
    public Connection connect() throws IOException, InterruptedException {
        String[] running = nodes.stream().filter(NatsServerProcess::isRunning).map(NatsServerProcess::url)
                .toArray(String[]::new);
        if (running.length == 0) {
            throw new IOException("no node of the cluster is running");
        }
        return Nats.connect(new Options.Builder().servers(running).connectionTimeout(Duration.ofSeconds(2))
                .maxReconnects(0).noRandomize().build());
    }

    /**
     * Waits until JetStream can place a stream with {@code replicas} replicas (a meta leader was elected and that
     * many nodes take part), by creating and deleting one in memory.
     */
    private void awaitJetStream(int replicas, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String probe = "NATS_CLUSTER_PROBE";
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try (Connection nc = connect()) {
                JetStreamManagement jsm = nc.jetStreamManagement();
                jsm.addStream(StreamConfiguration.builder().name(probe).subjects("nats-cluster-probe")
                        .storageType(StorageType.Memory).replicas(replicas).build());
                jsm.deleteStream(probe);
                return;
            } catch (IOException | JetStreamApiException | RuntimeException e) {
                last = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the NATS cluster's JetStream", e);
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the NATS cluster's JetStream", e);
            }
        }
        throw new IOException("the NATS cluster's JetStream could not place a stream of " + replicas + " replicas within "
                + timeout.toSeconds() + "s (store and logs under " + root + "): " + last);
    }

    /** Stops every node and deletes the stores. Idempotent. */
    @Override
    public void close() {
        nodes.forEach(NatsServerProcess::close);
        NatsServerProcess.deleteTree(root);
    }
}
