package dev.ingest.cli;

import static dev.ingest.cli.LauncherSupport.generateUniformTree;
import static dev.ingest.cli.LauncherSupport.queueArgs;
import static dev.ingest.cli.LauncherSupport.sha256;
import static dev.ingest.cli.LauncherSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ingest.cli.LauncherSupport.Launch;
import dev.ingest.cli.LauncherSupport.Result;
import dev.ingest.core.nats.NatsCluster;
import io.nats.client.Connection;
import io.nats.client.api.StreamInfo;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code bin/ingest} on a 3-node nats-server cluster with the stream at 3 replicas
 * ({@code --stream-replicas 3}, the nodes named in {@code --queue-endpoint} separated by commas): the node that leads
 * the stream, and serves ingest's connection, is killed ({@code kill -9}) in the middle of a {@code --once} run, and
 * the run still copies every object, each checked by content, once the cluster has a new leader.
 *
 * <p>The destination is an HTTP receiver in this test that keeps what it is sent and holds uploads at a gate once
 * a third of the objects arrived, so that the kill happens while copies are in flight and most messages are still
 * queued, whatever the machine's speed.
 */
@ExtendWith(LauncherSupport.RequiresDistribution.class)
class LauncherClusterIT {

    private static final int OBJECTS = 2_000;
    private static final int HOLD_AFTER = OBJECTS / 3;

    @RegisterExtension
    final LauncherSupport.Launcher launcher = new LauncherSupport.Launcher();

    @TempDir
    Path dir;

    private NatsCluster cluster;
    private HttpServer receiver;
    private ExecutorService receiverThreads;
    /** What the receiver holds: name to content and the version header of its upload. */
    private final Map<String, byte[]> stored = new ConcurrentHashMap<>();
    private final Map<String, String> versions = new ConcurrentHashMap<>();
    private final AtomicInteger uploads = new AtomicInteger();
    private final AtomicInteger held = new AtomicInteger();
    private final CountDownLatch gate = new CountDownLatch(1);

    @BeforeEach
    void start() throws IOException {
        cluster = NatsCluster.start(3);
        receiverThreads = Executors.newCachedThreadPool();
        receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.setExecutor(receiverThreads);
        receiver.createContext("/up/", this::receive);
        receiver.start();
    }

    @AfterEach
    void stop() {
        gate.countDown();
        if (receiver != null) {
            receiver.stop(0);
        }
        if (receiverThreads != null) {
            receiverThreads.shutdownNow();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    /** PUT keeps the body and its version (held at the gate after {@link #HOLD_AFTER} uploads); HEAD answers for it. */
    private void receive(HttpExchange ex) throws IOException {
        try (ex; InputStream body = ex.getRequestBody()) {
            String name = ex.getRequestURI().getPath().substring("/up/".length());
            if ("PUT".equals(ex.getRequestMethod())) {
                byte[] bytes = body.readAllBytes();
                if (uploads.incrementAndGet() > HOLD_AFTER) {
                    held.incrementAndGet();
                    try {
                        gate.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        ex.sendResponseHeaders(503, -1);
                        return;
                    }
                }
                stored.put(name, bytes);
                String version = ex.getRequestHeaders().getFirst("X-Ingest-Version");
                if (version != null) {
                    versions.put(name, version);
                }
                ex.sendResponseHeaders(201, -1);
            } else if ("HEAD".equals(ex.getRequestMethod())) {
                byte[] bytes = stored.get(name);
                if (bytes == null) {
                    ex.sendResponseHeaders(404, -1);
                    return;
                }
                String version = versions.get(name);
                if (version != null) {
                    ex.getResponseHeaders().set("X-Ingest-Version", version);
                }
                ex.getResponseHeaders().set("Content-Length", Integer.toString(bytes.length));
                ex.sendResponseHeaders(200, -1);
            } else {
                ex.sendResponseHeaders(405, -1);
            }
        }
    }

    /**
     * Moves the stream's leadership (by step-downs) to the node ingest's connection is on, so that killing that node
     * makes the run lose both at once.
     *
     * @return the index of that node
     */
    private int leaderOnIngestsNode(String stream) throws IOException {
        int serving = await("the node serving ingest's connection").atMost(Duration.ofSeconds(30))
                .until(() -> cluster.nodeOfClient("ingest"), java.util.Optional::isPresent).orElseThrow();
        for (int i = 0; i < 30 && !cluster.name(serving).equals(leaderOf(stream)); i++) {
            String before = leaderOf(stream);
            cluster.stepDown(stream);
            await("another leader after a step-down").atMost(Duration.ofMinutes(1))
                    .until(() -> cluster.streamLeader(stream).filter(l -> !l.equals(before)).isPresent());
        }
        assertThat(leaderOf(stream)).as("the stream's leader, moved to the node ingest is connected to")
                .isEqualTo(cluster.name(serving));
        return serving;
    }

    /** @return the stream's leader, once it has one */
    private String leaderOf(String stream) {
        return await("a leader of stream " + stream).atMost(Duration.ofMinutes(1))
                .until(() -> cluster.streamLeader(stream), java.util.Optional::isPresent).orElseThrow();
    }

    @Test
    void killingTheStreamLeaderMidRunLosesNothingAndTheRunCompletesOnceThereIsANewLeader() throws Exception {
        Path src = dir.resolve("source");
        Map<String, String> expected = generateUniformTree(src, OBJECTS, 2048, 21);
        String name = unique("cluster");
        Path config = dir.resolve(name + ".yaml");
        Files.writeString(config, "sources: [{name: src, type: file, path: " + LauncherSupport.quote(src) + "}]\n"
                + "destinations: [{name: up, type: http, url: 'http://127.0.0.1:" + receiver.getAddress().getPort()
                + "/up/{name}'}]\n"
                + "workflows: [{name: " + name + ", source: src, destinations: [up], batchSize: 16, concurrency: 8}]\n");

        Launch run = launcher.start(dir, Map.of(), queueArgs(cluster.url(), name, config, "--mode=all", "--once",
                "--stream-replicas", "3", "--ack-wait", "10s"));
        await("a third of the objects stored and copies held in flight").atMost(Duration.ofMinutes(3))
                .failFast("the launcher exited", () -> !run.process().isAlive())
                .until(() -> held.get() > 0);
        try (Connection nc = cluster.connect()) {
            StreamInfo info = nc.jetStreamManagement().getStreamInfo(name);
            assertThat(info.getConfiguration().getReplicas()).as("--stream-replicas 3").isEqualTo(3);
            assertThat(info.getStreamState().getMsgCount()).as("the held copies still queued").isPositive();
        }
        int serving = leaderOnIngestsNode(name);
        String leader = cluster.name(serving);

        cluster.kill(serving);
        await("a new leader of the stream").atMost(Duration.ofMinutes(2))
                .until(() -> cluster.streamLeader(name).filter(l -> !l.equals(leader)).isPresent());
        gate.countDown();
        Result done = run.await(Duration.ofMinutes(5));

        assertThat(done.exitCode()).as(done.describe()).isZero();
        assertThat(done.stderr()).as(done.describe()).contains("lost the connection to NATS; reconnecting");
        assertThat(done.count("failed")).as(done.describe()).isZero();
        Map<String, String> got = new TreeMap<>();
        stored.forEach((n, bytes) -> got.put(n, sha256(bytes)));
        assertThat(got).as("every object at the destination, by content").isEqualTo(expected);
        try (Connection nc = cluster.connect()) {
            assertThat(nc.jetStreamManagement().getStreamInfo(name).getStreamState().getMsgCount())
                    .as("nothing left queued").isZero();
        }
    }

    /**
     * The kill while the scan publishes: an HTTP source whose listing's second page is held until the node that leads
     * the stream and serves ingest's connection was killed, then handed over at once, before a new leader is elected.
     * Its publishes meet the election; those not confirmed are retried, and every object arrives once, by content.
     */
    @Test
    void killingTheStreamLeaderWhileTheScanPublishesLosesNothing() throws Exception {
        int perPage = OBJECTS / 2;
        Map<String, byte[]> objects = new TreeMap<>();
        Map<String, String> expected = new TreeMap<>();
        java.util.Random random = new java.util.Random(22);
        for (int i = 0; i < OBJECTS; i++) {
            byte[] bytes = new byte[1024];
            random.nextBytes(bytes);
            String objectName = "page " + (i / perPage) + "/objet " + i + ".bin";
            objects.put(Integer.toString(i), bytes);
            expected.put(objectName, sha256(bytes));
        }
        CountDownLatch secondPage = new CountDownLatch(1);
        AtomicInteger secondPageAsked = new AtomicInteger();
        receiver.createContext("/list", ex -> {
            try (ex) {
                String query = ex.getRequestURI().getQuery();
                int page = query != null && query.contains("page=2") ? 1 : 0;
                if (page == 1) {
                    secondPageAsked.incrementAndGet();
                    try {
                        secondPage.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        ex.sendResponseHeaders(503, -1);
                        return;
                    }
                }
                StringBuilder json = new StringBuilder("{\"items\":[");
                for (int i = page * perPage; i < (page + 1) * perPage; i++) {
                    json.append(i == page * perPage ? "" : ",").append("{\"id\":\"").append(i)
                            .append("\",\"name\":\"page ").append(page).append("/objet ").append(i)
                            .append(".bin\",\"url\":\"/obj/").append(i).append("\"}");
                }
                json.append("]").append(page == 0 ? ",\"next\":\"/list?page=2\"" : "").append('}');
                byte[] body = json.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            }
        });
        receiver.createContext("/obj/", ex -> {
            try (ex) {
                byte[] body = objects.get(ex.getRequestURI().getPath().substring("/obj/".length()));
                if (body == null) {
                    ex.sendResponseHeaders(404, -1);
                    return;
                }
                ex.sendResponseHeaders(200, body.length);
                if (!"HEAD".equals(ex.getRequestMethod())) {
                    ex.getResponseBody().write(body);
                }
            }
        });
        Path dst = dir.resolve("destination");
        String name = unique("clusterscan");
        Path config = dir.resolve(name + ".yaml");
        Files.writeString(config, "sources: [{name: api, type: http, url: 'http://127.0.0.1:"
                + receiver.getAddress().getPort() + "/list', items: /items, nextField: /next}]\n"
                + "destinations: [{name: dst, type: file, path: " + LauncherSupport.quote(dst) + "}]\n"
                + "workflows: [{name: " + name + ", source: api, destinations: [dst], batchSize: 16, concurrency: 8}]\n");

        Launch run = launcher.start(dir, Map.of(), queueArgs(cluster.url(), name, config, "--mode=all", "--once",
                "--stream-replicas", "3", "--ack-wait", "10s"));
        await("the second page of the listing asked for").atMost(Duration.ofMinutes(3))
                .failFast("the launcher exited", () -> !run.process().isAlive())
                .until(() -> secondPageAsked.get() > 0);
        int serving = leaderOnIngestsNode(name);

        cluster.kill(serving);
        secondPage.countDown();
        Result done = run.await(Duration.ofMinutes(5));

        assertThat(done.exitCode()).as(done.describe()).isZero();
        assertThat(done.stderr()).as(done.describe()).contains("lost the connection to NATS; reconnecting");
        assertThat(done.counts()).as(done.describe()).containsEntry("listed", (long) OBJECTS)
                .containsEntry("failed", 0L);
        assertThat(LauncherSupport.hashTree(dst)).as("every object at the destination, by content").isEqualTo(expected);
        try (Connection nc = cluster.connect()) {
            assertThat(nc.jetStreamManagement().getStreamInfo(name).getStreamState().getMsgCount())
                    .as("nothing left queued").isZero();
        }
    }
}
