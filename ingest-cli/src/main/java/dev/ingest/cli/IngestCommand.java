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
            RunCommand.class, QueryCommand.class},
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

    @Mixin
    StreamOptions streams = new StreamOptions();

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

    @Option(names = "--list",
            description = "With --dry-run: also print every object listed, '+' for those a run would copy and '=' "
                    + "for those every destination has.")
    boolean list;

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

    @Option(names = {"-V", "--version"}, versionHelp = true, description = "Print the version and exit.")
    boolean version;

    private final Shutdown shutdown;
    private final Logging logging;
    /** Where option values not on the command line come from; set by {@link #commandLine}. */
    OptionDefaults defaults;

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
     * The command line of {@code ingest} and its subcommands, whose options also come from the process's environment
     * and the configuration file's {@code ingest:} block (see {@link OptionDefaults}).
     */
    static CommandLine commandLine(IngestCommand command) {
        return commandLine(command, System.getenv());
    }

    /**
     * The command line of {@code ingest} and its subcommands. An option not on the command line comes from the
     * environment variable {@code INGEST_<OPTION>}, then from the {@code ingest:} block of the configuration file
     * ({@code --config}, itself a flag, {@code INGEST_CONFIG} or its default), then from its default. Before any
     * command runs, it waits for logging to be set up and applies {@code --log-level}, wherever on the command line
     * it was given, so that no line is logged at another level or before the backend is ready.
     *
     * @param command the top-level command
     * @param env the environment to take option values from
     */
    static CommandLine commandLine(IngestCommand command, Map<String, String> env) {
        CommandLine cl = new CommandLine(command);
        command.defaults = new OptionDefaults(env);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setDefaultValueProvider(command.defaults);
        OptionDefaults.documentIn(cl);
        cl.setExecutionStrategy(first -> {
            ParseResult parseResult = first;
            List<CommandLine> chain = first.asCommandLineList();
            CommandLine last = chain.get(chain.size() - 1);
            if (!first.isUsageHelpRequested() && !first.isVersionHelpRequested()
                    && chain.stream().noneMatch(c -> c.getParseResult().isUsageHelpRequested()
                            || c.getParseResult().isVersionHelpRequested())) {
                try {
                    if (command.defaults.useFile(configFile(first), cl.getCommandSpec())) {
                        // the file's block supplies defaults now: parse again, flags and variables still win
                        parseResult = cl.parseArgs(first.originalArgs().toArray(String[]::new));
                        chain = parseResult.asCommandLineList();
                        last = chain.get(chain.size() - 1);
                    }
                } catch (OptionDefaults.BlockException e) {
                    last.getErr().println("ingest: " + e.getMessage());
                    return ExitCode.CONFIG;
                }
            }
            try {
                command.logging.apply(logLevel(parseResult));
            } catch (IllegalArgumentException e) {
                boolean flag = false;
                for (ParseResult r = parseResult; r != null; r = r.subcommand()) {
                    flag |= r.hasMatchedOption(LOG_LEVEL);
                }
                return usage(last, e.getMessage() + (flag ? "" : origin(cl, LOG_LEVEL)));
            }
            return new CommandLine.RunLast().execute(parseResult);
        });
        cl.setParameterExceptionHandler((ex, args) -> usage(ex.getCommandLine(), ex.getMessage()
                + suggestion(ex)));
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("ingest: " + ex.getMessage());
            log().error("unexpected failure", ex);
            return ExitCode.RUNTIME;
        });
        return cl;
    }

    /** @return the value of {@code --config} of the last command that takes it (flag, variable or default), or null */
    private static Path configFile(ParseResult parseResult) {
        Path file = null;
        for (ParseResult r = parseResult; r != null; r = r.subcommand()) {
            CommandLine.Model.OptionSpec o = r.commandSpec().findOption("--config");
            if (o != null && o.getValue() != null) {
                file = o.getValue();
            }
        }
        return file;
    }

    /**
     * @param cl a command
     * @param option one of its options
     * @return {@code " (from environment variable INGEST_X)"} or {@code " (from key ingest.x of FILE (line N))"} when
     *     the option's value came from there, else an empty string
     */
    static String origin(CommandLine cl, String option) {
        String probe = withOrigin(cl, option);
        return probe.substring(option.length());
    }

    /**
     * @param cl the command whose usage was wrong
     * @param message a message; one about an option starts with its name ({@code --ack-wait '5' must be ...})
     * @return the message, saying where the option's value came from when that was not the command line
     */
    static String withOrigin(CommandLine cl, String message) {
        CommandLine root = cl;
        while (root.getParent() != null) {
            root = root.getParent();
        }
        if (!(root.getCommand() instanceof IngestCommand top) || top.defaults == null) {
            return message;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(?:Invalid value for option ')?(--[a-z-]+)")
                .matcher(message);
        if (!m.find()) {
            return message;
        }
        String option = m.group(1);
        ParseResult parsed = cl.getParseResult();
        if (parsed != null && parsed.hasMatchedOption(option)) {
            return message;
        }
        return top.defaults.origin(option).map(o -> message + " (from " + o + ")").orElse(message);
    }

    /** @return picocli's "did you mean" for a mistyped option or subcommand, or nothing */
    private static String suggestion(CommandLine.ParameterException ex) {
        if (ex instanceof CommandLine.UnmatchedArgumentException u) {
            List<String> s = u.getSuggestions();
            if (!s.isEmpty()) {
                return " (did you mean " + String.join(" or ", s.subList(0, Math.min(3, s.size()))) + "?)";
            }
        }
        return "";
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (list && !dryRun) {
            return usage("--list goes with --dry-run");
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
            err.println("ingest: configuration file " + config + origin(spec.commandLine(), "--config")
                    + " does not exist (set it with --config FILE)");
            return ExitCode.CONFIG;
        } catch (IOException e) {
            err.println("ingest: cannot read configuration file " + config + ": " + e.getMessage());
            return ExitCode.CONFIG;
        }

        if (!dryRun) {
            try {
                queue.validateEndpoint(); // flag problems first, before anything is started
                streams.settings(queue, queue.endpoint);
            } catch (IllegalArgumentException e) {
                return usage(e.getMessage());
            }
        }
        // The queue (and an embedded nats-server) is set up while the plugins are created; its failures are
        // reported only once the configuration is known to be good.
        try (QueueStart queueStart = dryRun ? null : QueueStart.begin(queue, streams, !once);
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
                    return DryRun.print(out, configured, registry, list);
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
        private final StreamOptions streams;
        private final boolean patient;
        private final CountDownLatch cancelled = new CountDownLatch(1);
        private final CompletableFuture<Started> started;
        private boolean taken;

        /** What was started: the embedded server (or null) and the connected queue (or the failure). */
        record Started(NatsServerProcess embedded, JetStreamQueue queue, String failure, boolean cancelled) {
        }

        private QueueStart(QueueOptions options, StreamOptions streams, boolean patient) {
            this.options = options;
            this.streams = streams;
            this.patient = patient;
            this.started = CompletableFuture.supplyAsync(this::start, r -> {
                Thread t = new Thread(r, "queue-start");
                t.setDaemon(true);
                t.start();
            });
        }

        /**
         * @param options the queue flags
         * @param streams the stream flags
         * @param patient keep trying to connect until it works or {@link #cancel()} (a service)
         * @return the start, under way
         */
        static QueueStart begin(QueueOptions options, StreamOptions streams, boolean patient) {
            return new QueueStart(options, streams, patient);
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
                    return new Started(embedded, JetStreamQueue.connect(streams.settings(options, endpoint)), null, false);
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
        CommandLine.Model.OptionSpec top = parseResult.commandSpec().findOption(LOG_LEVEL);
        String level = top != null && top.getValue() != null ? top.getValue() : Logging.DEFAULT_LEVEL; // variable, file
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

    static int usage(CommandLine cl, String message) {
        cl.getErr().println("ingest: " + withOrigin(cl, message));
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
                            health.api(new ApiServer(control, jetStream, runtime.apiToken(), metrics,
                                    QueryRoute.of(configured, control)));
                        }
                    }
                    return runEngine(engine, configured, out, err);
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

    /** @return the names of the configuration's workflows that {@code --strict-workflows=false} skipped */
    static List<String> skippedWorkflows(Configured configured) {
        List<String> running = configured.workflows().stream().map(WorkflowConfig::name).toList();
        return configured.config().workflows().stream().map(WorkflowConfig::name)
                .filter(n -> !running.contains(n)).toList();
    }

    private HealthServer startHealth(BooleanSupplier ready, IngestMetrics metrics) throws IOException {
        try {
            // Ready: connected to NATS, and the engine has set up its stream and consumers and is running.
            HealthServer h = HealthServer.start(listen, ready, metrics);
            log().info("operations endpoints on port {}: {}", h.port(), String.join(", ", h.routes().keySet()));
            return h;
        } catch (IOException | IllegalArgumentException e) {
            if (once) {
                log().warn("health endpoints not started: cannot listen on {}: {}", listen, e.toString());
                return null;
            }
            throw new IOException("cannot listen on " + listen + " (--listen): " + e.getMessage(), e);
        }
    }

    private int runEngine(IngestEngine engine, Configured configured, PrintWriter out, PrintWriter err) {
        if (shutdown != null) {
            shutdown.onSignal(() -> {
                log().info("signal received: stopping (in-flight copies get {} to finish)", shutdownGrace);
                engine.stop();
            }, Durations.parse(shutdownGrace).orElseThrow().plusSeconds(30));
        }
        try {
            RunSummary summary;
            // The progress line is erased before the summary is printed, so that the summary starts a line of its own.
            try (Progress progress = once ? Progress.start(engine) : null) {
                summary = engine.run();
            }
            int code = ExitCode.OK;
            if (once) {
                out.println("ingest: " + summary.line());
                // Failures that differ only in their object share a line; the log names every one.
                for (RunSummary.FailureGroup g : summary.failureGroups()) {
                    out.println("  " + g.line());
                }
                List<String> skipped = skippedWorkflows(configured);
                if (!skipped.isEmpty()) {
                    out.println("ingest: " + skipped.size() + " workflow(s) skipped (--strict-workflows=false), nothing "
                            + "of theirs was copied: " + String.join(", ", skipped));
                    configured.skippedProblems().forEach(p -> out.println("  skipped: " + p));
                }
                if (engine.abandoned().isPresent()) {
                    out.println("ingest: the run was abandoned: " + engine.abandoned().get());
                    code = ExitCode.RUNTIME;
                } else if (shutdown != null && shutdown.signalled() && !engine.workDone()) {
                    out.println("ingest: stopped by signal before the work was done; unfinished objects stay queued");
                    code = ExitCode.INTERRUPTED;
                } else if (summary.failed() > 0 || summary.webhookFailed() > 0 || !skipped.isEmpty()) {
                    // a webhook never told of stored objects, or a workflow skipped, fails the run too
                    code = ExitCode.FAILED_OBJECTS;
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
