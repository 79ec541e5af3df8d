package dev.ingest.cli;

import dev.ingest.core.config.ConfigLoader;
import dev.ingest.core.config.Durations;
import dev.ingest.core.config.EnvExpander;
import dev.ingest.core.config.InvalidConfigException;
import dev.ingest.core.config.WorkflowConfig;
import dev.ingest.core.control.ControlPlane;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** {@code ingest}: runs the enqueuer, the dequeuer or both for the workflows of a configuration file. */
@Command(
        name = "ingest",
        subcommands = {StatusCommand.class, DlqCommand.class, PluginsCommand.class, WorkflowsCommand.class,
            RunCommand.class},
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

    /**
     * Not a constant: this class is loaded to build the command line while logging is still being set up, and a
     * logger asked for then would be SLF4J's substitute (see {@link Logging}).
     */
    private static Logger log() {
        return LoggerFactory.getLogger(IngestCommand.class);
    }

    static final String EMBEDDED = "embedded";

    static final String LOG_LEVEL = "--log-level";

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
            description = "Address of the operations endpoints /live, /ready, /metrics and, in a service, the REST API "
                    + "/v1 (default: ${DEFAULT-VALUE}); HOST:0 picks a free port.")
    String listen;

    @Option(names = "--api-token-file", paramLabel = "FILE",
            description = "A file holding the bearer token the REST API (/v1) requires for every call but "
                    + "GET /v1/openapi.json. Without it the API is read-only: changes answer 403.")
    Path apiTokenFile;

    /** Read from the parse result by {@link #commandLine}; inherited, so that every subcommand takes it too. */
    @Option(names = LOG_LEVEL, paramLabel = "LEVEL", defaultValue = Logging.DEFAULT_LEVEL, scope = ScopeType.INHERIT,
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
    private final Logging logging;

    /** @param shutdown signal handling, or {@code null} when embedded (tests) */
    IngestCommand(Shutdown shutdown) {
        this(shutdown, Logging.onDemand());
    }

    /**
     * @param shutdown signal handling, or {@code null} when embedded (tests)
     * @param logging the logging, possibly still being set up
     */
    IngestCommand(Shutdown shutdown, Logging logging) {
        this.shutdown = shutdown;
        this.logging = logging;
    }

    /**
     * The command line of {@code ingest} and its subcommands. Before any of them runs, it waits for logging to be
     * set up and applies {@code --log-level}, wherever on the command line it was given, so that no line is logged at
     * another level or before the backend is ready.
     */
    static CommandLine commandLine(IngestCommand command) {
        CommandLine cl = new CommandLine(command);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionStrategy(parseResult -> {
            try {
                command.logging.apply(logLevel(parseResult));
            } catch (IllegalArgumentException e) {
                List<CommandLine> chain = parseResult.asCommandLineList();
                return usage(chain.get(chain.size() - 1), e.getMessage());
            }
            return new CommandLine.RunLast().execute(parseResult);
        });
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
        String token = null;
        if (apiTokenFile != null) {
            try {
                token = apiToken();
                if (token.isBlank()) {
                    err.println("ingest: --api-token-file " + apiTokenFile + " is empty");
                    return ExitCode.CONFIG;
                }
            } catch (IOException e) {
                err.println("ingest: cannot read --api-token-file " + apiTokenFile + ": " + e.getMessage());
                return ExitCode.CONFIG;
            }
        }

        ConfigLoader.Parsed parsed;
        Map<String, Object> document;
        ConfigLoader loader = ConfigLoader.create(EnvExpander.system());
        try {
            parsed = loader.load(config);
            document = document(loader, config);
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
        try (QueueStart queueStart = dryRun ? null : QueueStart.begin(queue, !once);
             PluginRegistry registry = PluginRegistry.load(getClass().getClassLoader(), plugins, PluginsCommand.defaultRoots())) {
            Configured configured;
            try {
                // A service may start without any workflow: they are then created through the API.
                configured = PluginSetup.configure(parsed, registry, strictWorkflows, !once && !dryRun);
            } catch (InvalidConfigException e) {
                err.println("ingest: " + e.getMessage());
                return ExitCode.CONFIG;
            }
            try (configured) {
                if (dryRun) {
                    return DryRun.print(out, configured, registry);
                }
                return run(configured, registry, new Runtime(document, loader, token), queueStart, grace, out,
                        err);
            }
        } catch (PluginLoadException e) {
            err.println("ingest: " + e.getMessage());
            return ExitCode.CONFIG;
        }
    }

    /** @return the API's token (its file's first line), or null without {@code --api-token-file} */
    private String apiToken() throws IOException {
        if (apiTokenFile == null) {
            return null;
        }
        return Files.readString(apiTokenFile, StandardCharsets.UTF_8).lines().findFirst().orElse("").strip();
    }

    /** @return the configuration file in Java form, for the control plane; an empty map when it is not a mapping */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> document(ConfigLoader loader, Path config) throws IOException {
        try {
            Object doc = loader.document(Files.readString(config, StandardCharsets.UTF_8), config.toString());
            return doc instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
        } catch (IllegalArgumentException e) {
            return Map.of(); // not valid YAML: reported by the loader with the rest
        }
    }

    /** What a service's control plane needs besides the engine: the file in Java form, the loader, the API token. */
    private record Runtime(Map<String, Object> document, ConfigLoader loader, String apiToken) {
    }

    /**
     * Starts the embedded nats-server (with {@code --queue-endpoint=embedded}) and connects to NATS on a thread of
     * its own; {@link #await()} hands over the result. A service keeps trying to connect, with backoff, until it
     * succeeds or is cancelled (NATS may start after ingest, as on Kubernetes); a {@code --once} run tries once. A
     * server without JetStream is refused at once. Closing it releases what was not handed over.
     */
    static final class QueueStart implements AutoCloseable {
        private final QueueOptions options;
        private final boolean patient;
        private final CountDownLatch cancelled = new CountDownLatch(1);
        private final CompletableFuture<Started> started;
        private boolean taken;

        /** What was started: the embedded server (or null) and the connected queue (or the failure). */
        record Started(NatsServerProcess embedded, JetStreamQueue queue, String failure, boolean cancelled) {
        }

        private QueueStart(QueueOptions options, boolean patient) {
            this.options = options;
            this.patient = patient;
            this.started = CompletableFuture.supplyAsync(this::start, r -> {
                Thread t = new Thread(r, "queue-start");
                t.setDaemon(true);
                t.start();
            });
        }

        /**
         * @param options the queue flags
         * @param patient keep trying to connect until it works or {@link #cancel()} (a service)
         * @return the start, under way
         */
        static QueueStart begin(QueueOptions options, boolean patient) {
            return new QueueStart(options, patient);
        }

        /** Gives up waiting for NATS (a signal): {@link #await()} then returns a cancelled start soon. */
        void cancel() {
            cancelled.countDown();
        }

        private Started start() {
            NatsServerProcess embedded = null;
            String endpoint = options.endpoint;
            if (EMBEDDED.equals(options.endpoint)) {
                try {
                    embedded = NatsServerProcess.start();
                } catch (IOException e) {
                    return new Started(null, null, "cannot start the embedded nats-server: " + e.getMessage(), false);
                }
                endpoint = embedded.url();
                log().info("started embedded nats-server at {} (store {})", endpoint, embedded.storeDir());
            }
            long delay = 500;
            for (int attempt = 1; ; attempt++) {
                try {
                    return new Started(embedded, JetStreamQueue.connect(options.settings(endpoint)), null, false);
                } catch (JetStreamQueue.JetStreamDisabledException e) {
                    return new Started(embedded, null, e.getMessage(), false);
                } catch (IOException | RuntimeException e) {
                    if (!patient || embedded != null) {
                        return new Started(embedded, null, e.getMessage(), false);
                    }
                    log().warn("{}; a service keeps trying (attempt {}, next in {} ms); not ready meanwhile",
                            e.getMessage(), attempt, delay);
                }
                try {
                    if (cancelled.await(delay, TimeUnit.MILLISECONDS)) {
                        return new Started(null, null, "stopped before NATS could be reached", true);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return new Started(null, null, "interrupted while waiting for NATS", true);
                }
                delay = Math.min(delay * 2, 10_000);
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
                cancel();
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

    /**
     * @param parseResult the parsed command line
     * @return the last {@code --log-level} given, to {@code ingest} or to a subcommand; its default if none
     */
    static String logLevel(ParseResult parseResult) {
        String level = Logging.DEFAULT_LEVEL;
        for (ParseResult r = parseResult; r != null; r = r.subcommand()) {
            if (r.hasMatchedOption(LOG_LEVEL)) {
                level = r.matchedOptionValue(LOG_LEVEL, level);
            }
        }
        return level;
    }

    private int usage(String message) {
        return usage(spec.commandLine(), message);
    }

    private static int usage(CommandLine cl, String message) {
        cl.getErr().println("ingest: " + message);
        cl.getErr().println("Try '" + cl.getCommandSpec().qualifiedName() + " --help' for more information.");
        return ExitCode.USAGE;
    }

    private int run(Configured configured, PluginRegistry registry, Runtime runtime, QueueStart queueStart,
                    Duration grace, PrintWriter out, PrintWriter err) {
        IngestMetrics metrics = IngestMetrics.create();
        configured.config().workflows().stream()
                .filter(w -> !configured.workflows().contains(w))
                .forEach(w -> metrics.workflowInstantiationFailed(w.name()));
        AtomicReference<JetStreamQueue> connected = new AtomicReference<>();
        AtomicReference<IngestEngine> running = new AtomicReference<>();
        BooleanSupplier ready = () -> {
            JetStreamQueue q = connected.get();
            IngestEngine e = running.get();
            return q != null && e != null && q.isConnected() && e.isReady();
        };
        HealthServer serviceHealth = null;
        if (!once) {
            // A service answers /live at once, and /ready once it runs: it may wait for NATS for a long time.
            try {
                serviceHealth = startHealth(ready, metrics);
            } catch (IOException e) {
                err.println("ingest: " + e.getMessage());
                return ExitCode.RUNTIME;
            }
        }
        if (shutdown != null) {
            shutdown.onSignal(() -> {
                log().info("signal received before NATS could be reached: stopping");
                queueStart.cancel();
            }, grace.plusSeconds(30));
        }
        QueueStart.Started started = queueStart.await();
        try (HealthServer health = serviceHealth) {
            if (started.queue() == null) {
                if (started.cancelled()) {
                    return once ? ExitCode.INTERRUPTED : ExitCode.OK;
                }
                err.println("ingest: " + started.failure());
                return ExitCode.RUNTIME;
            }
            try (JetStreamQueue jetStream = started.queue()) {
                AtomicReference<ControlPlane> controlPlane = new AtomicReference<>();
                IngestEngine engine = IngestEngine.builder().configured(configured).queue(jetStream).mode(mode)
                        .once(once).shutdownGrace(grace).metrics(metrics)
                        .holdBack(w -> controlPlane.get() != null && controlPlane.get().pausedAtStart(w)).build();
                connected.set(jetStream);
                running.set(engine);
                // A service's workflows also come from the configuration bucket, managed through the API.
                try (ControlPlane control = once ? null : new ControlPlane(engine, jetStream, registry, configured,
                        runtime.document(), runtime.loader());
                     HealthServer onceHealth = once ? startHealth(ready, metrics) : null) {
                    if (control != null) {
                        control.prepare();
                        controlPlane.set(control);
                        control.start();
                        if (health != null) {
                            health.api(new ApiServer(control, jetStream, runtime.apiToken(), metrics));
                        }
                    }
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

    private HealthServer startHealth(BooleanSupplier ready, IngestMetrics metrics) throws IOException {
        try {
            // Ready: connected to NATS, and the engine has set up its stream and consumers and is running.
            HealthServer h = HealthServer.start(listen, ready, metrics);
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
                // Failures that differ only in their object share a line; the log names every one.
                for (RunSummary.FailureGroup g : summary.failureGroups()) {
                    out.println("  " + g.line());
                }
                if (engine.abandoned().isPresent()) {
                    out.println("ingest: the run was abandoned: " + engine.abandoned().get());
                    code = ExitCode.RUNTIME;
                } else if (shutdown != null && shutdown.signalled() && !engine.workDone()) {
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
