package dev.ingest.cli;

import dev.ingest.core.config.ConfigLoader;
import dev.ingest.core.config.Durations;
import dev.ingest.core.config.EnvExpander;
import dev.ingest.core.config.InvalidConfigException;
import dev.ingest.core.config.WorkflowConfig;
import dev.ingest.core.engine.IngestEngine;
import dev.ingest.core.engine.Mode;
import dev.ingest.core.engine.RunSummary;
import dev.ingest.core.metrics.IngestMetrics;
import dev.ingest.core.nats.NatsServerProcess;
import dev.ingest.core.plugin.Configured;
import dev.ingest.core.plugin.PluginLoadException;
import dev.ingest.core.plugin.PluginRegistry;
import dev.ingest.core.plugin.PluginSetup;
import dev.ingest.core.queue.JetStreamQueue;
import dev.ingest.core.queue.QueueSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ingest}: runs the enqueuer, the dequeuer or both for the workflows of a configuration file. */
@Command(
        name = "ingest",
        subcommands = {StatusCommand.class, DlqCommand.class, PluginsCommand.class},
        versionProvider = VersionProvider.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "Keeps objects flowing from sources (S3, HTTP APIs, local directories) into object storage through a "
                    + "NATS JetStream queue.",
            "",
        },
        footer = {"", ExitCode.HELP})
final class IngestCommand implements Callable<Integer> {

    /** Not a constant: loading this class (to build the command line) must not wait for logging to be set up. */
    private static Logger log() {
        return LoggerFactory.getLogger(IngestCommand.class);
    }

    static final String EMBEDDED = "embedded";

    @Spec
    CommandSpec spec;

    @Option(names = "--mode", paramLabel = "MODE",
            description = "What to run: enqueue (scan sources), dequeue (copy objects) or all (both). Required "
                    + "unless --dry-run.")
    Mode mode;

    @Option(names = "--config", paramLabel = "FILE", defaultValue = "${sys:user.home}/ingest/config",
            description = "The configuration file (default: ${DEFAULT-VALUE}).")
    Path config;

    @Option(names = "--once",
            description = "Scan every workflow's source once, copy until nothing is pending, print a summary and exit "
                    + "(non-zero if anything failed).")
    boolean once;

    @Option(names = "--plugins", paramLabel = "DIR",
            description = "A plugin directory, or a directory of plugin directories; repeatable. Searched in order "
                    + "before the bundled plugins and ~/.config/ingest/plugins; the first to provide a type wins.")
    List<Path> plugins = new ArrayList<>();

    @Mixin
    QueueOptions queue = new QueueOptions();

    @Option(names = "--listen", paramLabel = "ADDR", defaultValue = ":9090",
            description = "Address of the health endpoints /live and /ready (default: ${DEFAULT-VALUE}); HOST:0 picks a "
                    + "free port.")
    String listen;

    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "info",
            description = "Log level: " + Logging.LEVELS + " (default: ${DEFAULT-VALUE}).")
    String logLevel;

    @Option(names = "--dry-run",
            description = "Load the configuration, configure every plugin, print the workflows and exit; nothing is "
                    + "queued or copied.")
    boolean dryRun;

    @Option(names = "--strict-workflows", arity = "0..1", defaultValue = "true", fallbackValue = "true",
            paramLabel = "BOOL",
            description = "Fail on any configuration problem (default). With false, a broken workflow is skipped "
                    + "with a logged error and the others run.")
    boolean strictWorkflows;

    @Option(names = "--shutdown-grace", paramLabel = "DURATION", defaultValue = "25s",
            description = "How long in-flight copies may finish after SIGTERM/SIGINT before they are handed back to "
                    + "the queue; webhook deliveries get what is left of it, and all of it at the end of --once "
                    + "(default: ${DEFAULT-VALUE}).")
    String shutdownGrace;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = "--version", versionHelp = true, description = "Print the version and exit.")
    boolean version;

    private final Shutdown shutdown;

    /** @param shutdown signal handling, or {@code null} when embedded (tests) */
    IngestCommand(Shutdown shutdown) {
        this.shutdown = shutdown;
    }

    static CommandLine commandLine(IngestCommand command) {
        CommandLine cl = new CommandLine(command);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("ingest: " + ex.getMessage());
            log().error("unexpected failure", ex);
            return ExitCode.RUNTIME;
        });
        return cl;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            Logging.apply(logLevel);
        } catch (IllegalArgumentException e) {
            return usage(e.getMessage());
        }
        if (mode == null && !dryRun) {
            return usage("--mode is required: enqueue, dequeue or all");
        }
        Duration grace = Durations.parse(shutdownGrace).orElse(null);
        if (grace == null) {
            return usage("--shutdown-grace '" + shutdownGrace + "' is not a duration (e.g. 25s)");
        }
        if (!once && !dryRun) {
            try {
                HealthServer.parse(listen);
            } catch (IllegalArgumentException e) {
                return usage(e.getMessage());
            }
        }

        ConfigLoader.Parsed parsed;
        try {
            parsed = ConfigLoader.create(EnvExpander.system()).load(config);
        } catch (NoSuchFileException e) {
            err.println("ingest: configuration file " + config + " does not exist (set it with --config FILE)");
            return ExitCode.CONFIG;
        } catch (IOException e) {
            err.println("ingest: cannot read configuration file " + config + ": " + e.getMessage());
            return ExitCode.CONFIG;
        }

        if (!dryRun) {
            try {
                queue.settings(queue.endpoint); // flag problems first, before anything is started
            } catch (IllegalArgumentException e) {
                return usage(e.getMessage());
            }
        }
        // The queue (and an embedded nats-server) is set up while the plugins are created; its failures are
        // reported only once the configuration is known to be good.
        try (QueueStart queueStart = dryRun ? null : QueueStart.begin(queue);
             PluginRegistry registry = PluginRegistry.load(getClass().getClassLoader(), plugins, PluginsCommand.defaultRoots())) {
            Configured configured;
            try {
                configured = PluginSetup.configure(parsed, registry, strictWorkflows);
            } catch (InvalidConfigException e) {
                err.println("ingest: " + e.getMessage());
                return ExitCode.CONFIG;
            }
            try (configured) {
                if (dryRun) {
                    return DryRun.print(out, configured, registry);
                }
                return run(configured, queueStart, grace, out, err);
            }
        } catch (PluginLoadException e) {
            err.println("ingest: " + e.getMessage());
            return ExitCode.CONFIG;
        }
    }

    /**
     * Starts the embedded nats-server (with {@code --queue-endpoint=embedded}) and connects to NATS on a thread of
     * its own; {@link #await()} hands over the result. Closing it releases what was not handed over.
     */
    static final class QueueStart implements AutoCloseable {
        private final QueueOptions options;
        private final CompletableFuture<Started> started;
        private boolean taken;

        /** What was started: the embedded server (or null) and the connected queue (or the failure). */
        record Started(NatsServerProcess embedded, JetStreamQueue queue, String failure) {
        }

        private QueueStart(QueueOptions options, CompletableFuture<Started> started) {
            this.options = options;
            this.started = started;
        }

        static QueueStart begin(QueueOptions options) {
            return new QueueStart(options, CompletableFuture.supplyAsync(() -> start(options), r -> {
                Thread t = new Thread(r, "queue-start");
                t.setDaemon(true);
                t.start();
            }));
        }

        private static Started start(QueueOptions options) {
            NatsServerProcess embedded = null;
            String endpoint = options.endpoint;
            if (EMBEDDED.equals(options.endpoint)) {
                try {
                    embedded = NatsServerProcess.start();
                } catch (IOException e) {
                    return new Started(null, null, "cannot start the embedded nats-server: " + e.getMessage());
                }
                endpoint = embedded.url();
                log().info("started embedded nats-server at {} (store {})", endpoint, embedded.storeDir());
            }
            try {
                return new Started(embedded, JetStreamQueue.connect(options.settings(endpoint)), null);
            } catch (IOException | RuntimeException e) {
                return new Started(embedded, null, e.getMessage());
            }
        }

        /** @return what was started; the caller now owns it */
        Started await() {
            taken = true;
            return started.join();
        }

        /**
         * Releases what was not handed over (the run stopped before it needed the queue: a bad configuration). An
         * embedded nats-server is waited for and stopped, so that no process is left behind; a connection still
         * being made to a remote server is not waited for, and closed once made (or dies with the process).
         */
        @Override
        public void close() {
            if (!taken) {
                boolean embedded = EMBEDDED.equals(options.endpoint);
                CompletableFuture<Void> released = started.thenAccept(QueueStart::release);
                if (embedded) {
                    released.join();
                }
            }
        }

        private static void release(Started s) {
            if (s.queue() != null) {
                s.queue().close();
            }
            if (s.embedded() != null) {
                s.embedded().close();
            }
        }
    }

    private int usage(String message) {
        CommandLine cl = spec.commandLine();
        cl.getErr().println("ingest: " + message);
        cl.getErr().println("Try 'ingest --help' for more information.");
        return ExitCode.USAGE;
    }

    private int run(Configured configured, QueueStart queueStart, Duration grace, PrintWriter out, PrintWriter err) {
        QueueStart.Started started = queueStart.await();
        try {
            if (started.queue() == null) {
                err.println("ingest: " + started.failure());
                return ExitCode.RUNTIME;
            }
            IngestMetrics metrics = IngestMetrics.create();
            configured.config().workflows().stream()
                    .filter(w -> !configured.workflows().contains(w))
                    .forEach(w -> metrics.workflowInstantiationFailed(w.name()));
            try (JetStreamQueue jetStream = started.queue()) {
                IngestEngine engine = IngestEngine.builder().configured(configured).queue(jetStream).mode(mode)
                        .once(once).shutdownGrace(grace).metrics(metrics).build();
                try (HealthServer health = startHealth(jetStream, engine, metrics)) {
                    return runEngine(engine, out, err);
                }
            } catch (IOException e) {
                err.println("ingest: " + e.getMessage());
                return ExitCode.RUNTIME;
            }
        } finally {
            if (started.embedded() != null) {
                started.embedded().close();
            }
        }
    }

    private HealthServer startHealth(JetStreamQueue jetStream, IngestEngine engine, IngestMetrics metrics)
            throws IOException {
        try {
            // Ready: connected to NATS, and the engine has set up its stream and consumers and is running.
            HealthServer h = HealthServer.start(listen, () -> jetStream.isConnected() && engine.isReady(), metrics);
            log().info("operations endpoints on port {}: /live, /ready, /metrics", h.port());
            return h;
        } catch (IOException | IllegalArgumentException e) {
            if (once) {
                log().warn("health endpoints not started: cannot listen on {}: {}", listen, e.toString());
                return null;
            }
            throw new IOException("cannot listen on " + listen + " (--listen): " + e.getMessage(), e);
        }
    }

    private int runEngine(IngestEngine engine, PrintWriter out, PrintWriter err) {
        if (shutdown != null) {
            shutdown.onSignal(() -> {
                log().info("signal received: stopping (in-flight copies get {} to finish)", shutdownGrace);
                engine.stop();
            }, Durations.parse(shutdownGrace).orElseThrow().plusSeconds(30));
        }
        try (Progress progress = once ? Progress.start(engine) : null) {
            RunSummary summary = engine.run();
            int code = ExitCode.OK;
            if (once) {
                out.println("ingest: " + summary.line());
                for (String f : summary.failures()) {
                    out.println("  failed: " + f);
                }
                if (shutdown != null && shutdown.signalled()) {
                    out.println("ingest: stopped by signal before the work was done; unfinished objects stay queued");
                    code = ExitCode.INTERRUPTED;
                } else if (summary.failed() > 0 || summary.webhookFailed() > 0) {
                    code = ExitCode.FAILED_OBJECTS; // a webhook never told of stored objects fails the run too
                }
            }
            out.flush();
            return code;
        } catch (IOException e) {
            err.println("ingest: " + e.getMessage());
            return ExitCode.RUNTIME;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCode.INTERRUPTED;
        }
    }
}
