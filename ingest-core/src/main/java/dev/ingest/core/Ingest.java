package dev.ingest.core;

import dev.ingest.core.config.ConfigLoader;
import dev.ingest.core.config.EnvExpander;
import dev.ingest.core.config.InvalidConfigException;
import dev.ingest.core.config.WorkflowConfig;
import dev.ingest.core.control.ControlPlane;
import dev.ingest.core.engine.IngestEngine;
import dev.ingest.core.engine.Mode;
import dev.ingest.core.engine.RunStats;
import dev.ingest.core.engine.RunSummary;
import dev.ingest.core.metrics.IngestMetrics;
import dev.ingest.core.plugin.Configured;
import dev.ingest.core.plugin.PluginLoadException;
import dev.ingest.core.plugin.PluginRegistry;
import dev.ingest.core.plugin.PluginSetup;
import dev.ingest.core.queue.JetStreamQueue;
import dev.ingest.core.queue.QueueSettings;
import io.nats.client.Connection;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs ingest workflows inside a Java application: the same engine, configuration format and plugins as the
 * {@code ingest} command, without a separate process.
 *
 * <pre>{@code
 * try (Ingest ingest = Ingest.builder()
 *         .config(Path.of("ingest.yaml"))          // or .config(yamlText)
 *         .natsUrl("nats://localhost:4222")        // or .natsConnection(connectionYouOwn)
 *         .build()) {
 *     RunSummary summary = ingest.runOnce();        // scan once, copy until nothing is pending
 *     System.out.println(summary.line());
 * }
 * }</pre>
 *
 * <h2>Lifecycle</h2>
 *
 * <ol>
 *   <li>{@link Builder#build()} reads the configuration, checks it, creates every source and destination through
 *       its plugin, then connects to NATS (or wraps the given connection). Nothing is scanned or copied yet.</li>
 *   <li>Then either {@link #runOnce()}, any number of times one after the other: each call scans every workflow's
 *       source once, copies until nothing is pending and returns what it did (the {@code --once} of the command);
 *       or {@link #start()}, once: the workflows run in the background, scanning every {@code interval}, until
 *       {@link #close()}.</li>
 *   <li>{@link #close()} stops a run in progress gracefully (in-flight copies get the
 *       {@linkplain Builder#shutdownGrace(Duration) grace period}, then are interrupted and handed back to the
 *       queue; nothing is lost), then closes the sources and destinations, the NATS connection if this object
 *       opened it, and the plugin registry if this object loaded it. Afterwards every method but
 *       {@link #close()} (idempotent) and the read-only ones throws {@link IllegalStateException}.</li>
 * </ol>
 *
 * <p>Which process does what follows {@link Builder#mode(Mode)}, as with {@code --mode}: several applications (or
 * replicas) may run the dequeuer for the same stream and share the work; messages are acknowledged only once every
 * destination has the object.
 *
 * <h2>Ownership</h2>
 *
 * A connection given to {@link Builder#natsConnection(Connection)} and a registry given to
 * {@link Builder#plugins(PluginRegistry)} belong to the caller: they are used, never closed, and must stay open
 * until {@link #close()} returns. What {@link Builder#build()} creates itself (the connection from
 * {@link Builder#natsUrl(String)}, the registry loaded from the class path, the plugin instances) is closed by
 * {@link #close()}.
 *
 * <h2>Thread-safety</h2>
 *
 * An {@code Ingest} is thread-safe. One run at a time: {@link #runOnce()} or {@link #start()} while another run is
 * in progress throws {@link IllegalStateException}. {@link #close()} may be called from any thread, for example a
 * shutdown hook, and makes a {@link #runOnce()} in progress in another thread return early with what it did so far.
 * {@link #start()} runs the engine on a non-daemon thread named {@code ingest-engine}: the JVM does not exit before
 * {@link #close()}.
 *
 * <h2>Exceptions</h2>
 *
 * A configuration with problems fails {@link Builder#build()} with an {@link InvalidConfigException} listing every
 * problem with its line; plugins that cannot be loaded with a {@link PluginLoadException}; an unreadable
 * configuration file or an unreachable NATS server with an {@link IOException}. At run time, objects that fail are
 * retried and dead-lettered as configured and counted in the {@link RunSummary}; they do not throw.
 */
public final class Ingest implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Ingest.class);

    /** Beyond the grace period, how long {@link #close()} waits for a run to end before it closes all the same. */
    private static final Duration CLOSE_MARGIN = Duration.ofSeconds(30);

    private final Configured configured;
    private final PluginRegistry ownedRegistry;
    /** The plugins (owned or the caller's), for workflows created at runtime. */
    private final PluginRegistry registry;
    /** The configuration file in Java form, for the control plane; empty when the configuration was given parsed. */
    private final Map<String, Object> document;
    private final ConfigLoader loader;
    /** A service's control plane (after {@link #start()}), or null. Guarded by {@link #lock}. */
    private ControlPlane control;
    private final JetStreamQueue queue;
    private final Mode mode;
    private final Duration grace;
    private final IngestMetrics metrics;

    private final Object lock = new Object();
    /** The engine of the run in progress, or null. Guarded by {@link #lock}. */
    private IngestEngine current;
    /** The engine of the last run, for {@link #progress()}. Guarded by {@link #lock}. */
    private IngestEngine last;
    /** What the last run did once it ended (its elapsed time frozen), or null. Guarded by {@link #lock}. */
    private RunSummary lastSummary;
    /** The background thread of {@link #start()}, or null. Guarded by {@link #lock}. */
    private Thread background;
    /** Whether {@link #start()} was called. Guarded by {@link #lock}. */
    private boolean started;
    /** Guarded by {@link #lock}. */
    private boolean closed;
    private volatile Throwable failure;

    private Ingest(Configured configured, PluginRegistry ownedRegistry, PluginRegistry registry,
                   Map<String, Object> document, ConfigLoader loader, JetStreamQueue queue, Mode mode, Duration grace,
                   IngestMetrics metrics) {
        this.configured = configured;
        this.ownedRegistry = ownedRegistry;
        this.registry = registry;
        this.document = document;
        this.loader = loader;
        this.queue = queue;
        this.mode = mode;
        this.grace = grace;
        this.metrics = metrics;
    }

    /** @return a new builder */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Configures and creates an {@link Ingest}. Required: a configuration ({@code config(...)}) and a NATS server
     * ({@link #natsUrl(String)} or {@link #natsConnection(Connection)}); for both, the last call wins. A builder is
     * not thread-safe; it may build several instances.
     */
    public static final class Builder {
        private String yaml;
        private Path file;
        private ConfigLoader.Parsed parsed;
        private String origin = "embedded configuration";
        private EnvExpander env = EnvExpander.system();
        private PluginRegistry registry;
        private ClassLoader pluginClassLoader;
        private String natsUrl;
        private Connection connection;
        private String stream = "ingest";
        private String subject = "ingest";
        private String consumer = "ingest";
        private Duration ackWait = Duration.ofSeconds(60);
        private int streamReplicas = 1;
        private Mode mode = Mode.ALL;
        private boolean strictWorkflows = true;
        private Duration grace = Duration.ofSeconds(25);
        private IngestMetrics metrics;

        private Builder() {
        }

        /**
         * Sets the configuration as YAML text, in the format of the configuration file ({@code sources},
         * {@code destinations}, {@code workflows}).
         *
         * @param yaml the YAML text
         * @return this
         */
        public Builder config(String yaml) {
            this.yaml = Objects.requireNonNull(yaml, "yaml");
            this.file = null;
            this.parsed = null;
            return this;
        }

        /**
         * Sets the configuration file, read by {@link #build()}. Relative paths in it (such as a file plugin's
         * {@code path}) are resolved against the working directory, as with the command.
         *
         * @param file the YAML file
         * @return this
         */
        public Builder config(Path file) {
            this.file = Objects.requireNonNull(file, "file");
            this.yaml = null;
            this.parsed = null;
            return this;
        }

        /**
         * Sets a configuration already read with {@link ConfigLoader}; its problems are reported by
         * {@link #build()} like those of a file.
         *
         * @param parsed the loader's result
         * @return this
         */
        public Builder config(ConfigLoader.Parsed parsed) {
            this.parsed = Objects.requireNonNull(parsed, "parsed");
            this.yaml = null;
            this.file = null;
            return this;
        }

        /**
         * Names the YAML text of {@link #config(String)} in error messages (default
         * {@code "embedded configuration"}).
         *
         * @param origin a name such as a resource path
         * @return this
         */
        public Builder origin(String origin) {
            this.origin = Objects.requireNonNull(origin, "origin");
            return this;
        }

        /**
         * Sets the variables that {@code ${VAR}} and {@code ${VAR:-default}} in the configuration refer to (default:
         * the process environment). Values are substituted after the YAML is parsed, so they cannot change its
         * structure: a path with quotes or colons is safe.
         *
         * @param variables the variables, by name
         * @return this
         */
        public Builder variables(Map<String, String> variables) {
            this.env = EnvExpander.of(Map.copyOf(variables));
            return this;
        }

        /**
         * Uses the given plugins. The caller owns the registry: it is not closed by {@link Ingest#close()}.
         * Default: the plugins on the class path, see {@link #pluginClassLoader(ClassLoader)}.
         *
         * @param registry the plugins
         * @return this
         */
        public Builder plugins(PluginRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /**
         * Where the default registry looks for plugins ({@link PluginRegistry#fromClassPath(ClassLoader)}); ignored
         * when {@link #plugins(PluginRegistry)} is set. Default: the thread context class loader of the thread
         * calling {@link #build()}, or this class's loader when there is none.
         *
         * @param loader the class loader whose {@code META-INF/services} list the plugins
         * @return this
         */
        public Builder pluginClassLoader(ClassLoader loader) {
            this.pluginClassLoader = Objects.requireNonNull(loader, "loader");
            return this;
        }

        /**
         * Connects to this NATS server in {@link #build()}; the connection reconnects forever after losing the
         * server and is closed by {@link Ingest#close()}.
         *
         * @param url e.g. {@code nats://localhost:4222}
         * @return this
         */
        public Builder natsUrl(String url) {
            this.natsUrl = Objects.requireNonNull(url, "url");
            this.connection = null;
            return this;
        }

        /**
         * Uses a connection the caller owns: it is flushed but not closed by {@link Ingest#close()}, and must stay
         * open until then. The server must have JetStream enabled.
         *
         * @param connection an open connection
         * @return this
         */
        public Builder natsConnection(Connection connection) {
            this.connection = Objects.requireNonNull(connection, "connection");
            this.natsUrl = null;
            return this;
        }

        /**
         * @param stream the JetStream stream, created when missing (default {@code ingest}, as {@code --stream})
         * @return this
         */
        public Builder stream(String stream) {
            this.stream = Objects.requireNonNull(stream, "stream");
            return this;
        }

        /**
         * @param subject the subject prefix: workflow {@code W} publishes on {@code SUBJECT.W} (default
         *     {@code ingest}, as {@code --subject})
         * @return this
         */
        public Builder subject(String subject) {
            this.subject = Objects.requireNonNull(subject, "subject");
            return this;
        }

        /**
         * @param consumer the prefix of the durable consumer names, {@code CONSUMER__WORKFLOW} (default
         *     {@code ingest}, as {@code --consumer})
         * @return this
         */
        public Builder consumer(String consumer) {
            this.consumer = Objects.requireNonNull(consumer, "consumer");
            return this;
        }

        /**
         * @param ackWait how long a copy may go silent before JetStream redelivers its message; running copies
         *     signal progress every third of it (default 60s, as {@code --ack-wait}; at least 1s)
         * @return this
         */
        public Builder ackWait(Duration ackWait) {
            if (ackWait.toMillis() < 1000) {
                throw new IllegalArgumentException("ackWait must be at least 1s, got " + ackWait);
            }
            this.ackWait = ackWait;
            return this;
        }

        /**
         * @param replicas how many servers of a NATS cluster hold the stream and the key-value buckets ingest creates
         *     (default 1, as {@code --stream-replicas}; 1 to 5, at most the cluster's size). An existing stream or
         *     bucket keeps its replicas (a warning is logged when they differ).
         * @return this
         * @throws IllegalArgumentException if not between 1 and 5
         */
        public Builder streamReplicas(int replicas) {
            if (replicas < 1 || replicas > 5) {
                throw new IllegalArgumentException("streamReplicas must be between 1 and 5, got " + replicas);
            }
            this.streamReplicas = replicas;
            return this;
        }

        /**
         * @param mode {@link Mode#ENQUEUE} (scan sources), {@link Mode#DEQUEUE} (copy objects) or {@link Mode#ALL}
         *     (both; the default)
         * @return this
         */
        public Builder mode(Mode mode) {
            this.mode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /**
         * @param strict fail on any configuration problem (default); with {@code false}, a workflow touched by a
         *     problem is skipped with a logged error and the others run ({@code --strict-workflows=false})
         * @return this
         */
        public Builder strictWorkflows(boolean strict) {
            this.strictWorkflows = strict;
            return this;
        }

        /**
         * @param grace how long in-flight copies may take to finish once {@link Ingest#close()} is called, before
         *     they are interrupted and handed back to the queue, and webhook deliveries what is left of it (at the
         *     end of {@link Ingest#runOnce()}: all of it) before their notices are given up (default 25s)
         * @return this
         */
        public Builder shutdownGrace(Duration grace) {
            if (grace.isNegative()) {
                throw new IllegalArgumentException("the shutdown grace period must not be negative, got " + grace);
            }
            this.grace = grace;
            return this;
        }

        /**
         * @param metrics where to count, e.g. to expose them with the application's Prometheus registry (default:
         *     a private {@link IngestMetrics#withoutJvm()}); see {@link Ingest#metrics()}
         * @return this
         */
        public Builder metrics(IngestMetrics metrics) {
            this.metrics = Objects.requireNonNull(metrics, "metrics");
            return this;
        }

        /**
         * Reads and checks the configuration, creates the sources and destinations, and connects to NATS.
         *
         * @return a ready instance; the caller closes it
         * @throws InvalidConfigException if the configuration has problems, listing every one with its line
         * @throws PluginLoadException if the default registry cannot load the plugins on the class path
         * @throws IOException if the configuration file cannot be read, or NATS cannot be reached
         * @throws IllegalStateException if no configuration or no NATS server was set
         */
        public Ingest build() throws InvalidConfigException, PluginLoadException, IOException {
            if (yaml == null && file == null && parsed == null) {
                throw new IllegalStateException("no configuration: call config(String), config(Path) or "
                        + "config(ConfigLoader.Parsed)");
            }
            if (natsUrl == null && connection == null) {
                throw new IllegalStateException("no NATS server: call natsUrl(String) or natsConnection(Connection)");
            }
            String endpoint = natsUrl != null ? natsUrl : Optional.ofNullable(connection.getConnectedUrl())
                    .orElse("the application's NATS connection");
            QueueSettings settings = new QueueSettings(endpoint, stream, subject, consumer, streamReplicas, -1,
                    Duration.ofMinutes(2), ackWait);

            ConfigLoader loader = ConfigLoader.create(env);
            String text = parsed != null ? null : file != null ? java.nio.file.Files.readString(file) : yaml;
            ConfigLoader.Parsed config = parsed != null ? parsed : loader.parse(text, file != null ? file.toString()
                    : origin);
            Map<String, Object> document = Map.of();
            if (text != null) {
                try {
                    Object doc = loader.document(text, origin);
                    if (doc instanceof Map<?, ?> m) {
                        @SuppressWarnings("unchecked")
                        Map<String, Object> d = (Map<String, Object>) m;
                        document = d;
                    }
                } catch (IllegalArgumentException e) {
                    // not valid YAML: configure() below reports it with the rest
                }
            }

            PluginRegistry owned = null;
            PluginRegistry plugins = registry;
            if (plugins == null) {
                ClassLoader classes = pluginClassLoader != null ? pluginClassLoader
                        : Thread.currentThread().getContextClassLoader() != null
                        ? Thread.currentThread().getContextClassLoader() : Ingest.class.getClassLoader();
                owned = PluginRegistry.fromClassPath(classes);
                plugins = owned;
            }
            Configured configured = null;
            try {
                // No workflow is fine: start() may get them from the configuration bucket (the control plane).
                configured = PluginSetup.configure(config, plugins, strictWorkflows, true);
                JetStreamQueue queue = connection != null
                        ? JetStreamQueue.wrap(connection, settings) : JetStreamQueue.connect(settings);
                IngestMetrics m = metrics != null ? metrics : IngestMetrics.withoutJvm();
                for (WorkflowConfig w : configured.config().workflows()) {
                    if (!configured.workflows().contains(w)) {
                        m.workflowInstantiationFailed(w.name());
                    }
                }
                return new Ingest(configured, owned, plugins, document, loader, queue, mode, grace, m);
            } catch (InvalidConfigException | IOException | RuntimeException e) {
                if (configured != null) {
                    configured.close();
                }
                if (owned != null) {
                    owned.close();
                }
                throw e;
            }
        }
    }

    /**
     * Scans every workflow's source once (unless the mode is {@link Mode#DEQUEUE}) and copies until nothing is
     * pending (unless the mode is {@link Mode#ENQUEUE}), then returns; the {@code --once} of the command. Creates
     * the stream and the consumers when missing. Blocks the calling thread; may be called again afterwards.
     *
     * @return what the run did; {@link RunSummary#failed()} counts the objects dead-lettered and failed scans
     * @throws IOException if the stream or a consumer cannot be set up, or disappears from the server during the run
     *     (the server lost its store, or they were deleted: what was queued is gone, run again)
     * @throws InterruptedException if the calling thread is interrupted
     * @throws IllegalStateException if closed, or if another run is in progress
     */
    public RunSummary runOnce() throws IOException, InterruptedException {
        IngestEngine engine;
        synchronized (lock) {
            checkIdle();
            engine = engine(true);
        }
        RunSummary summary = null;
        try {
            summary = engine.run();
            if (engine.abandoned().isPresent()) {
                throw new IOException(engine.abandoned().get() + " (" + summary.line() + " before that)");
            }
            return summary;
        } finally {
            finished(summary);
        }
    }

    /**
     * Runs the workflows in the background until {@link #close()}: enqueuers scan every {@code interval}, dequeuers
     * copy as messages arrive. Creates the stream and the consumers first, in the calling thread, so that a server
     * that refuses them fails here. Callable once.
     *
     * @throws IOException if the stream or a consumer cannot be set up
     * @throws IllegalStateException if closed, already started, or a {@link #runOnce()} is in progress
     */
    public void start() throws IOException {
        IngestEngine engine;
        synchronized (lock) {
            checkIdle();
            if (started) {
                throw new IllegalStateException("already started: an Ingest starts once; close() stops it");
            }
            engine = engine(false);
            control = new ControlPlane(engine, queue, registry, configured, document, loader);
            started = true;
        }
        control.prepare();
        try {
            queue.ensureStream();
            for (WorkflowConfig w : configured.workflows()) {
                queue.ensureConsumer(w);
            }
        } catch (IOException | RuntimeException e) {
            synchronized (lock) {
                started = false; // nothing ran: start() may be tried again
                control.close();
                control = null;
            }
            finished(null);
            throw e;
        }
        ControlPlane c = control;
        c.start();
        Thread t = new Thread(() -> {
            RunSummary summary = null;
            try {
                summary = engine.run();
            } catch (InterruptedException e) {
                LOG.info("ingest engine interrupted");
            } catch (IOException | RuntimeException | Error e) {
                failure = e;
                LOG.error("ingest engine failed: {}", e.toString(), e);
            } finally {
                finished(summary);
            }
        }, "ingest-engine");
        t.setDaemon(false);
        synchronized (lock) {
            background = t;
            t.start();
        }
    }

    /** Must hold {@link #lock}. */
    private void checkIdle() {
        if (closed) {
            throw new IllegalStateException("this Ingest is closed");
        }
        if (current != null) {
            throw new IllegalStateException(background != null || started
                    ? "running in the background since start(); close() stops it"
                    : "a runOnce() is in progress in another thread");
        }
    }

    /** Must hold {@link #lock}. */
    private IngestEngine engine(boolean once) {
        IngestEngine e = IngestEngine.builder().configured(configured).queue(queue).mode(mode).once(once)
                .shutdownGrace(grace).metrics(metrics)
                .holdBack(w -> { // a service leaves out the workflows paused through the control plane
                    synchronized (lock) {
                        return control != null && control.pausedAtStart(w);
                    }
                }).build();
        current = e;
        last = e;
        lastSummary = null;
        return e;
    }

    /** @param summary what the run returned, or null when it failed or never began */
    private void finished(RunSummary summary) {
        synchronized (lock) {
            current = null;
            background = null;
            lastSummary = summary;
            lock.notifyAll();
        }
    }

    /** @return whether a run ({@link #runOnce()} or {@link #start()}) is in progress */
    public boolean isRunning() {
        synchronized (lock) {
            return current != null;
        }
    }

    /**
     * @return whether a run is in progress and its engine is ready: connected, its stream and consumers set up, and
     *     every record source that reports readiness taking records (a push source's listener bound); what
     *     {@code /ready} answers for the launcher
     */
    public boolean isReady() {
        synchronized (lock) {
            return current != null && current.isReady() && queue.isConnected();
        }
    }

    /** @return whether the NATS connection is up now; a health check can use it for readiness */
    public boolean isConnected() {
        return queue.isConnected();
    }

    /**
     * @return the counters of the run in progress, or of the last run; all zero before the first. Safe to call at
     *     any time, also after {@link #close()}.
     */
    public RunSummary progress() {
        synchronized (lock) {
            if (current == null && lastSummary != null) {
                return lastSummary;
            }
            return last != null ? last.progress() : new RunStats().snapshot();
        }
    }

    /**
     * @return why the background run of {@link #start()} ended before {@link #close()} (for example the stream
     *     could not be set up after a restart of the server), or empty
     */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    /**
     * @return the names of the workflows that run: those the background run of {@link #start()} runs now (the file's
     *     and those created through the {@link #controlPlane()}); before, those of the configuration, in its order
     */
    public List<String> workflows() {
        synchronized (lock) {
            if (current != null && control != null) {
                return current.workflows();
            }
        }
        return configured.workflows().stream().map(WorkflowConfig::name).toList();
    }

    /**
     * The control plane of the background run of {@link #start()}: workflows, sources and destinations created,
     * replaced, paused, resumed and removed while it runs, kept in the JetStream key-value bucket
     * {@code <stream>_config} and applied by every process of the stream (the {@code ingest} service's REST API uses
     * the same); one-time runs; events.
     *
     * @return it, once {@link #start()} was called; empty before
     */
    public Optional<ControlPlane> controlPlane() {
        synchronized (lock) {
            return Optional.ofNullable(control);
        }
    }

    /** @return the metrics of every run of this instance (Prometheus) */
    public IngestMetrics metrics() {
        return metrics;
    }

    /**
     * Stops the run in progress, if any, and releases what this instance owns. In-flight copies get the
     * {@linkplain Builder#shutdownGrace(Duration) grace period} to finish, then are interrupted and their messages
     * handed back to the queue; a {@link #runOnce()} in another thread returns with what it did so far. Then the
     * sources and destinations are closed, and the NATS connection and plugin registry if this instance created
     * them. Waits at most the grace period plus 30 seconds for the run to end. Idempotent; never throws. If the
     * calling thread is interrupted while waiting, closes at once and keeps the interrupt status.
     */
    @Override
    public void close() {
        IngestEngine engine;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            engine = current;
        }
        if (engine != null) {
            engine.stop();
        }
        boolean interrupted = false;
        Thread straggler = null;
        synchronized (lock) {
            long deadline = System.nanoTime() + grace.plus(CLOSE_MARGIN).toNanos();
            while (current != null) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    break;
                }
                try {
                    lock.wait(left);
                } catch (InterruptedException e) {
                    interrupted = true;
                    break;
                }
            }
            if (current != null) {
                straggler = background;
            }
        }
        if (straggler != null) {
            LOG.warn("the ingest engine did not stop in time; closing its resources anyway");
            straggler.interrupt();
        }
        ControlPlane c;
        synchronized (lock) {
            c = control;
        }
        if (c != null) {
            c.close();
        }
        queue.close();
        configured.close();
        if (ownedRegistry != null) {
            ownedRegistry.close();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
