package dev.ingest.core.nats;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private {@code nats-server} child process with JetStream on a free loopback port and its own store
 * directory. Used by {@code --queue-endpoint=embedded} and by the test kit, which can also stop, kill and
 * restart it on the same port and store.
 *
 * <p>The binary is taken from {@code $INGEST_NATS_SERVER}, then {@code PATH}, then {@code /usr/sbin/nats-server}.
 * Not thread-safe.
 */
public final class NatsServerProcess implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

    private final Path binary;
    private final Path storeDir;
    private final boolean ownsStore;
    private final int port;
    /** Further arguments of every start (a cluster node's name and routes), after the usual ones. */
    private final List<String> extraArgs;
    private Path logFile;
    private int starts;
    private Process process;

    private NatsServerProcess(Path binary, Path storeDir, boolean ownsStore, int port, List<String> extraArgs) {
        this.binary = binary;
        this.storeDir = storeDir;
        this.ownsStore = ownsStore;
        this.port = port;
        this.extraArgs = List.copyOf(extraArgs);
    }

    /**
     * Finds the nats-server binary.
     *
     * @return its path, or empty when it is not installed
     */
    public static Optional<Path> findBinary() {
        String env = System.getenv("INGEST_NATS_SERVER");
        if (env != null && !env.isBlank()) {
            Path p = Paths.get(env);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                if (dir.isEmpty()) {
                    continue;
                }
                Path p = Paths.get(dir, "nats-server");
                if (Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        Path fallback = Paths.get("/usr/sbin/nats-server");
        return Files.isExecutable(fallback) ? Optional.of(fallback) : Optional.empty();
    }

    /**
     * Starts a server on a free port with a new temporary store, deleted on {@link #close()}.
     *
     * @return the running server
     * @throws IOException if the binary is missing (the message says how to install it) or it does not start
     */
    public static NatsServerProcess start() throws IOException {
        Path store = Files.createTempDirectory("ingest-nats-");
        try {
            return start(store, true);
        } catch (IOException | RuntimeException e) {
            deleteTree(store);
            throw e;
        }
    }

    /**
     * Starts a server on a free port with the given store directory, which is kept on {@link #close()}.
     *
     * @param storeDir where JetStream keeps its data
     * @return the running server
     * @throws IOException if the binary is missing or it does not start
     */
    public static NatsServerProcess start(Path storeDir) throws IOException {
        return start(storeDir, false);
    }

    private static NatsServerProcess start(Path storeDir, boolean owns) throws IOException {
        NatsServerProcess server = new NatsServerProcess(requireBinary(), storeDir, owns, freePort(), List.of());
        server.startProcess();
        return server;
    }

    /**
     * Starts a server with further arguments (a node of a {@link NatsCluster}) on a given port; its store is kept on
     * {@link #close()}.
     */
    static NatsServerProcess start(Path storeDir, int port, List<String> extraArgs) throws IOException {
        NatsServerProcess server = new NatsServerProcess(requireBinary(), storeDir, false, port, extraArgs);
        server.startProcess();
        return server;
    }

    private static Path requireBinary() throws IOException {
        return findBinary().orElseThrow(() -> new IOException(
                "nats-server is not installed: install it (Debian/Ubuntu: apt-get install -y nats-server), put it on "
                        + "PATH, or set INGEST_NATS_SERVER to its path"));
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    private void startProcess() throws IOException {
        logFile = storeDir.resolve("nats-server-" + (++starts) + ".log");
        List<String> cmd = new ArrayList<>(List.of(binary.toString(),
                "-a", "127.0.0.1", "-p", Integer.toString(port),
                "-js", "-sd", storeDir.resolve("jetstream").toString()));
        cmd.addAll(extraArgs);
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        process = pb.start();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("nats-server exited with status " + process.exitValue() + " at start-up; log "
                        + logFile + ":\n" + tail());
            }
            if (logSaysReady() && accepts()) {
                return;
            }
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
                throw new IOException("interrupted while starting nats-server");
            }
        }
        process.destroyForcibly();
        throw new IOException("nats-server did not become ready within " + START_TIMEOUT.toSeconds() + "s; log "
                + logFile + ":\n" + tail());
    }

    private boolean logSaysReady() {
        try {
            return Files.exists(logFile) && Files.readString(logFile).contains("Server is ready");
        } catch (IOException e) {
            return false;
        }
    }

    private boolean accepts() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private String tail() {
        try {
            List<String> lines = Files.readAllLines(logFile);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** @return the client URL, {@code nats://127.0.0.1:PORT} */
    public String url() {
        return "nats://127.0.0.1:" + port;
    }

    /** @return the port the server listens on (kept across restarts) */
    public int port() {
        return port;
    }

    /** @return the store directory */
    public Path storeDir() {
        return storeDir;
    }

    /** @return whether the server process is running */
    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    /**
     * Stops the server gracefully (SIGTERM), waiting for it to exit.
     *
     * @throws IOException if it does not exit within 10 seconds (it is then killed)
     */
    public void stop() throws IOException {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new IOException("nats-server did not stop within 10s and was killed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        } finally {
            process = null;
        }
    }

    /** Kills the server at once (SIGKILL), as a crash would. */
    public void kill() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /**
     * Starts the server again on the same port with the same store (after {@link #stop()} or {@link #kill()}).
     *
     * @throws IOException if it does not start
     */
    public void restart() throws IOException {
        if (isRunning()) {
            stop();
        }
        startProcess();
    }

    /** Stops the server and deletes the store if this object created it. Idempotent. */
    @Override
    public void close() {
        try {
            stop();
        } catch (IOException e) {
            kill();
        }
        if (ownsStore) {
            deleteTree(storeDir);
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: a temporary directory
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}
