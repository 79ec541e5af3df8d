package dev.ingest.core.control;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.ingest.api.ConfigKey;
import dev.ingest.api.Destination;
import dev.ingest.api.PluginRole;
import dev.ingest.api.RecordSource;
import dev.ingest.api.Source;
import dev.ingest.core.config.BatchConfig;
import dev.ingest.core.config.ConfigLoader;
import dev.ingest.core.config.ConfigProblem;
import dev.ingest.core.config.IngestConfig;
import dev.ingest.core.config.PluginEntry;
import dev.ingest.core.config.WorkflowConfig;
import dev.ingest.core.control.ConfigStore.Kind;
import dev.ingest.core.engine.IngestEngine;
import dev.ingest.core.engine.ScanOutcome;
import dev.ingest.core.engine.WorkflowPlugins;
import dev.ingest.core.plugin.Configured;
import dev.ingest.core.plugin.LoadedPlugin;
import dev.ingest.core.plugin.PluginRegistry;
import dev.ingest.core.plugin.PluginSetup;
import dev.ingest.core.queue.DeadLetters;
import dev.ingest.core.queue.JetStreamQueue;
import java.io.Closeable;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime's changing set of workflows: those of the configuration file, and those created, replaced, paused and
 * removed while the process runs, kept in the {@link ConfigStore} bucket that every process of the stream watches.
 * The desired state is the file's entries and the bucket's together (names unique across both; the file's are
 * read-only); whenever the bucket changes, every process compares it with what its engine runs and adds, replaces or
 * removes workflows (an {@link IngestEngine} running as a service), creating a workflow's sources and destinations
 * when it starts and closing them once its in-flight work has finished.
 *
 * <p>Writes ({@link #apply}, {@link #delete}, {@link #pause}, {@link #resume}) validate the whole configuration with
 * the change exactly as a file is validated (every problem at once, with its field path) before anything is stored,
 * and refuse with a {@link Refused} that says why. Thread-safe.
 */
public final class ControlPlane implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(ControlPlane.class);
    private static final ObjectMapper JSON = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS,
            true);
    private static final Pattern PROBLEM_PATH = Pattern.compile("^(sources|destinations|workflows)\\[(\\d+)\\](?:\\.(.*))?$");
    /** What secret values are shown as. */
    public static final String HIDDEN = "***";
    /** How many finished one-time runs are remembered. */
    private static final int RUNS_KEPT = 200;
    /** How often the bucket is read again in full, in case a watch missed a change across a reconnection. */
    private static final long RELOAD_SECONDS = 30;

    /** Why a write was refused: an HTTP status and the problems. */
    public static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        private final int status;
        private final transient List<ConfigProblem> problems;

        /**
         * @param status 400 (malformed), 404 (no such entry), 409 (conflicts with what exists), 422 (invalid)
         * @param message what is wrong
         * @param problems each problem, with its field path within the entry
         */
        public Refused(int status, String message, List<ConfigProblem> problems) {
            super(message);
            this.status = status;
            this.problems = List.copyOf(problems);
        }

        /** @return the HTTP status that fits */
        public int status() {
            return status;
        }

        /** @return the problems, paths relative to the entry */
        public List<ConfigProblem> problems() {
            return problems;
        }
    }

    /** A workflow's state in this process. */
    public enum State {
        /** Its threads run here. */
        RUNNING,
        /** Defined, not running here yet: it is being applied (within a second), or the engine is starting. */
        STARTING,
        /** Paused: nothing scanned or copied; queued work stays queued. */
        PAUSED,
        /** It cannot run: invalid, or its plugins could not be created; see the reason. */
        FAILED
    }

    /**
     * A workflow as the API shows it.
     *
     * @param name its name
     * @param origin {@code file} (read-only) or {@code api}
     * @param state its state here
     * @param reason why it failed; empty otherwise
     * @param definition its keys (secrets hidden)
     */
    public record WorkflowView(String name, String origin, State state, String reason, Map<String, Object> definition) {
    }

    /**
     * A source or destination as the API shows it.
     *
     * @param kind {@link Kind#SOURCE} or {@link Kind#DESTINATION}
     * @param name its name
     * @param origin {@code file} (read-only) or {@code api}
     * @param definition its keys, secret values shown as {@value #HIDDEN}
     * @param usedBy the workflows that use it
     */
    public record EntryView(Kind kind, String name, String origin, Map<String, Object> definition,
                            List<String> usedBy) {
    }

    /**
     * One API-created workflow running here: what it was made from, the plugin instances it owns, and its destinations
     * by name.
     */
    private record Managed(String fingerprint, List<Closeable> plugins, Map<String, Destination> destinations) {
    }

    private final IngestEngine engine;
    private final JetStreamQueue queue;
    private final PluginRegistry registry;
    private final Configured file;
    private final Map<String, Object> fileDocument;
    private final ConfigLoader loader;
    private final ConfigStore store;
    private final Object lock = new Object();
    /** API workflows running here, by name. Guarded by {@link #lock}. */
    private final Map<String, Managed> managed = new HashMap<>();
    /** File workflows taken out of the engine because they are paused. Guarded by {@link #lock}. */
    private final Set<String> pausedHere = new HashSet<>();
    /** Why a workflow cannot run, by name. */
    private final Map<String, String> failed = new ConcurrentHashMap<>();
    private final Map<String, RunTracker> runs = java.util.Collections.synchronizedMap(
            new LinkedHashMap<>(16, 0.75f, false) {
                private static final long serialVersionUID = 1L;

                @Override
                protected boolean removeEldestEntry(Map.Entry<String, RunTracker> eldest) {
                    return size() > RUNS_KEPT && eldest.getValue().finished();
                }
            });
    private final List<Consumer<Map<String, Object>>> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "control-plane");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean reconcileQueued = new AtomicBoolean();
    private volatile boolean closed;
    /** {@link JetStreamQueue#connectedSince()} when the watch was started. */
    private volatile Instant watchedSince;

    /**
     * @param engine the engine, running as a service (not {@code once})
     * @param queue its queue (the bucket is named after its stream)
     * @param registry the plugins
     * @param file the configuration file's live plugins and workflows (started by the engine itself)
     * @param fileDocument the configuration file in Java form ({@link ConfigLoader#document}), so that entries
     *     created through the API may use its sources and destinations; an empty map when there is none
     * @param loader how entries are checked (its environment expands {@code ${VAR}})
     */
    public ControlPlane(IngestEngine engine, JetStreamQueue queue, PluginRegistry registry, Configured file,
                        Map<String, Object> fileDocument, ConfigLoader loader) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.queue = Objects.requireNonNull(queue, "queue");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.file = Objects.requireNonNull(file, "file");
        this.fileDocument = fileDocument == null ? Map.of() : fileDocument;
        this.loader = Objects.requireNonNull(loader, "loader");
        this.store = new ConfigStore(queue);
        engine.events(this::engineEvent);
    }

    /** @return the bucket */
    public ConfigStore store() {
        return store;
    }

    /**
     * Reads the bucket (creating it when missing) before the engine starts, so that workflows paused there are not
     * started: the engine should leave out those {@link #pausedAtStart(String)} says. When JetStream cannot answer now,
     * nothing is held back (the paused workflows stop as soon as {@link #start()} could read the bucket).
     */
    public void prepare() {
        try {
            store.ensure();
            store.reload();
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot read the configuration bucket {} yet: {}; retrying in the background", store.bucket(),
                    e.getMessage());
        }
    }

    /**
     * @param workflow a workflow of the configuration file
     * @return whether it is paused in the bucket (read by {@link #prepare()})
     */
    public boolean pausedAtStart(String workflow) {
        boolean paused = store.entries().stream().anyMatch(e -> e.kind() == Kind.PAUSED && e.name().equals(workflow));
        if (paused) {
            synchronized (lock) {
                pausedHere.add(workflow);
            }
        }
        return paused;
    }

    /**
     * Starts watching the bucket and applying it, in the background (retried until JetStream answers); the engine may
     * still be starting.
     */
    public void start() {
        worker.execute(this::startWatch);
        worker.scheduleWithFixedDelay(() -> {
            try {
                store.reload();
                reconcileSoon();
            } catch (IOException | RuntimeException e) {
                LOG.debug("reloading the configuration bucket failed: {}", e.toString());
            }
        }, RELOAD_SECONDS, RELOAD_SECONDS, TimeUnit.SECONDS);
    }

    private void startWatch() {
        if (closed) {
            return;
        }
        try {
            watchedSince = queue.connectedSince();
            store.ensure();
            store.reload();
            store.watch(this::reconcileSoon);
            LOG.info("watching the configuration bucket {}", store.bucket());
            worker.schedule(this::checkConnection, 1, TimeUnit.SECONDS);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot watch the configuration bucket {}: {}; retrying in 2 s", store.bucket(), e.getMessage());
            worker.schedule(this::startWatch, 2, TimeUnit.SECONDS);
        }
    }

    /**
     * After a reconnection (a restarted server, a lost connection) the watch may have missed changes or stopped:
     * the bucket is read again and watched anew.
     */
    private void checkConnection() {
        if (closed) {
            return;
        }
        if (queue.isConnected() && !queue.connectedSince().equals(watchedSince)) {
            LOG.info("reconnected to NATS: reading and watching the configuration bucket {} anew", store.bucket());
            store.close();
            startWatch(); // schedules the next check
            reconcileSoon();
            return;
        }
        worker.schedule(this::checkConnection, 1, TimeUnit.SECONDS);
    }

    // ---------------------------------------------------------------- reading

    /** @return every workflow, the file's first, with its state here */
    public List<WorkflowView> workflows() {
        Map<Kind, Map<String, Map<String, Object>>> kv = kvEntries();
        Set<String> paused = kv.get(Kind.PAUSED).keySet();
        Set<String> runningNow = new HashSet<>(engine.workflows());
        List<WorkflowView> out = new ArrayList<>();
        for (Map<String, Object> w : section(fileDocument, "workflows")) {
            String name = String.valueOf(w.get("name"));
            out.add(view(name, "file", w, paused, runningNow));
        }
        kv.get(Kind.WORKFLOW).forEach((name, value) -> {
            if (out.stream().noneMatch(v -> v.name().equals(name))) {
                out.add(view(name, "api", withName(name, value), paused, runningNow));
            }
        });
        return out;
    }

    private WorkflowView view(String name, String origin, Map<String, Object> definition, Set<String> paused,
                              Set<String> runningNow) {
        String reason = failed.get(name);
        if (reason == null && origin.equals("file") && file.workflows().stream().noneMatch(w -> w.name().equals(name))) {
            reason = "skipped at start-up because of its configuration problems (--strict-workflows=false)";
        }
        State state = paused.contains(name) ? State.PAUSED : reason != null ? State.FAILED
                : runningNow.contains(name) ? State.RUNNING : State.STARTING;
        Map<String, Object> shown = new LinkedHashMap<>(definition);
        if (shown.containsKey("webhookSecret")) {
            shown.put("webhookSecret", HIDDEN);
        }
        return new WorkflowView(name, origin, state, state == State.FAILED ? reason : "", shown);
    }

    /** @return one workflow */
    public Optional<WorkflowView> workflow(String name) {
        return workflows().stream().filter(w -> w.name().equals(name)).findFirst();
    }

    /**
     * @param kind {@link Kind#SOURCE} or {@link Kind#DESTINATION}
     * @return every entry of that kind, the file's first
     */
    public List<EntryView> entries(Kind kind) {
        String section = kind.plural();
        Map<Kind, Map<String, Map<String, Object>>> kv = kvEntries();
        List<Map<String, Object>> workflows = new ArrayList<>(section(fileDocument, "workflows"));
        kv.get(Kind.WORKFLOW).forEach((n, v) -> workflows.add(withName(n, v)));
        List<EntryView> out = new ArrayList<>();
        for (Map<String, Object> e : section(fileDocument, section)) {
            out.add(entryView(kind, String.valueOf(e.get("name")), "file", e, workflows));
        }
        kv.get(kind).forEach((name, value) -> {
            if (out.stream().noneMatch(v -> v.name().equals(name))) {
                out.add(entryView(kind, name, "api", withName(name, value), workflows));
            }
        });
        return out;
    }

    /** One plugin as the API shows it: its type, version, and the keys of each role it has ({@code source}, {@code destination}). */
    public record PluginView(String type, String version, Map<String, List<ConfigKey>> keys) {
        public PluginView {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(version, "version");
            keys = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(keys));
        }
    }

    /** @return every plugin found, by type, with the configuration keys it declares for each of its roles */
    public List<PluginView> plugins() {
        List<PluginView> out = new ArrayList<>();
        for (LoadedPlugin p : registry.plugins()) {
            Map<String, List<ConfigKey>> keys = new LinkedHashMap<>();
            for (PluginRole role : p.provider().roles().stream().sorted().toList()) {
                List<ConfigKey> declared;
                try {
                    declared = List.copyOf(p.provider().keys(role));
                } catch (RuntimeException e) {
                    declared = List.of(); // a plugin that cannot list its keys for that role: nothing more is known
                }
                keys.put(role == PluginRole.SOURCE ? "source" : "destination", declared);
            }
            out.add(new PluginView(p.type(), String.valueOf(p.provider().version()), keys));
        }
        out.sort(java.util.Comparator.comparing(PluginView::type));
        return out;
    }

    /** @return one source or destination */
    public Optional<EntryView> entry(Kind kind, String name) {
        return entries(kind).stream().filter(e -> e.name().equals(name)).findFirst();
    }

    private EntryView entryView(Kind kind, String name, String origin, Map<String, Object> definition,
                                List<Map<String, Object>> workflows) {
        Map<String, Object> shown = new LinkedHashMap<>(definition);
        Set<String> secret = secretKeys(String.valueOf(definition.get("type")),
                kind == Kind.SOURCE ? PluginRole.SOURCE : PluginRole.DESTINATION);
        for (String k : shown.keySet()) {
            if (secret.contains(k)) {
                shown.put(k, HIDDEN);
            }
        }
        return new EntryView(kind, name, origin, shown, users(kind, name, workflows));
    }

    private Set<String> secretKeys(String type, PluginRole role) {
        return registry.get(type).map(p -> {
            Set<String> keys = new HashSet<>();
            try {
                for (ConfigKey k : p.provider().keys(role)) {
                    if (k.secret()) {
                        keys.add(k.name());
                    }
                }
            } catch (RuntimeException e) {
                // a plugin that cannot list its keys for that role: nothing more is known
            }
            return keys;
        }).orElse(Set.of());
    }

    private static List<String> users(Kind kind, String name, List<Map<String, Object>> workflows) {
        List<String> out = new ArrayList<>();
        for (Map<String, Object> w : workflows) {
            boolean uses = kind == Kind.SOURCE ? name.equals(String.valueOf(w.get("source")))
                    : w.get("destinations") instanceof List<?> l && l.stream().anyMatch(d -> name.equals(String.valueOf(d)));
            if (uses) {
                out.add(String.valueOf(w.get("name")));
            }
        }
        return out;
    }

    /**
     * @param name a destination created through the API
     * @return an instance of it that a workflow running here uses (for queries); empty when none does
     */
    public Optional<Destination> destination(String name) {
        synchronized (lock) {
            return managed.values().stream().map(m -> m.destinations().get(name)).filter(Objects::nonNull).findFirst();
        }
    }

    // ---------------------------------------------------------------- writing

    /**
     * Creates or replaces a source, destination or workflow after checking the whole configuration with it.
     *
     * @param kind what it is
     * @param name its name
     * @param body its keys (a map, as JSON or YAML parse to); a {@code name} key must equal {@code name}
     * @return whether it was created (or replaced), and warnings: workflows whose sources read overlapping prefixes
     *     of the same bucket or directory (each object would be copied by both)
     * @throws Refused if it is malformed (400), defined in the file (409) or invalid (422)
     * @throws IOException if the bucket cannot be written
     */
    public Applied apply(Kind kind, String name, Object body) throws Refused, IOException {
        if (kind == Kind.PAUSED) {
            throw new IllegalArgumentException("pause() and resume() change what is paused");
        }
        checkName(name);
        if (!(body instanceof Map<?, ?> raw)) {
            throw new Refused(400, "the body must be an object with the " + kind.prefix() + "'s keys",
                    List.of(new ConfigProblem("", 0, "must be an object")));
        }
        Map<String, Object> value = new LinkedHashMap<>();
        raw.forEach((k, v) -> value.put(String.valueOf(k), v));
        Object given = value.remove("name");
        if (given != null && !name.equals(String.valueOf(given))) {
            throw new Refused(400, "the body's name '" + given + "' differs from the name in the path '" + name + "'",
                    List.of(new ConfigProblem("name", 0, "must be '" + name + "' (the name in the path)")));
        }
        if (fileNames(kind).contains(name)) {
            throw new Refused(409, kind.prefix() + " '" + name + "' is defined in the configuration file (origin: "
                    + "file) and is read-only here", List.of());
        }
        Map<Kind, Map<String, Map<String, Object>>> kv = kvEntries();
        boolean created = !kv.get(kind).containsKey(name);
        Map<String, Object> previousSecrets = kv.get(kind).getOrDefault(name, Map.of());
        keepHiddenSecrets(kind, value, previousSecrets);
        kv.get(kind).put(name, value);
        Desired desired = desired(kv);
        List<ConfigProblem> problems = new ArrayList<>(desired.problemsOf(kind, name));
        if (problems.isEmpty()) {
            problems.addAll(pluginProblems(desired, kind, name));
        }
        if (!problems.isEmpty()) {
            throw new Refused(422, kind.prefix() + " '" + name + "' is not valid: " + problems.size() + " problem(s)",
                    problems);
        }
        store.put(kind, name, value);
        LOG.info("{} {} {} through the API", kind.prefix(), name, created ? "created" : "replaced");
        List<String> warnings = overlaps(desired.config);
        warnings.forEach(w -> LOG.warn("{}", w));
        reconcileSoon();
        return new Applied(created, warnings);
    }

    /**
     * What a write did.
     *
     * @param created whether the entry is new (else it replaced one)
     * @param warnings what may not be meant, such as overlapping sources
     */
    public record Applied(boolean created, List<String> warnings) {
    }

    /**
     * CLP's prefix-conflict check, as warnings: two workflows whose different sources read the same bucket (same
     * type, endpoint and bucket) or directory tree, one's prefix or path inside the other's: each object there is
     * copied by both.
     */
    static List<String> overlaps(IngestConfig config) {
        List<String> out = new ArrayList<>();
        List<WorkflowConfig> ws = config.workflows();
        for (int i = 0; i < ws.size(); i++) {
            for (int j = i + 1; j < ws.size(); j++) {
                WorkflowConfig a = ws.get(i);
                WorkflowConfig b = ws.get(j);
                if (a.source().equals(b.source())) {
                    continue; // one source for several workflows is a fan-out on purpose
                }
                Optional<String> ra = reach(config.source(a.source()));
                Optional<String> rb = reach(config.source(b.source()));
                if (ra.isPresent() && rb.isPresent() && (ra.get().startsWith(rb.get()) || rb.get().startsWith(ra.get()))) {
                    out.add("workflows " + a.name() + " and " + b.name() + " read overlapping places (sources "
                            + a.source() + " and " + b.source() + ": " + ra.get() + " and " + rb.get()
                            + "): objects there are copied by both");
                }
            }
        }
        return out;
    }

    /** @return where a source reads, as a string whose prefixes are the places inside it; empty when unknown */
    private static Optional<String> reach(Optional<PluginEntry> source) {
        if (source.isEmpty()) {
            return Optional.empty();
        }
        Map<String, Object> o = source.get().options();
        switch (source.get().type()) {
            case "s3": {
                Object bucket = o.get("bucket");
                if (bucket == null) {
                    return Optional.empty();
                }
                return Optional.of("s3:" + o.getOrDefault("endpoint", "aws") + "/" + bucket + "/"
                        + o.getOrDefault("prefix", ""));
            }
            case "file": {
                Object path = o.get("path");
                if (path == null) {
                    return Optional.empty();
                }
                String p = java.nio.file.Path.of(String.valueOf(path)).toAbsolutePath().normalize().toString();
                return Optional.of("file:" + (p.endsWith("/") ? p : p + "/"));
            }
            default:
                return Optional.empty();
        }
    }

    /** A secret sent back as {@value #HIDDEN} (from a GET) keeps the value stored before. */
    private void keepHiddenSecrets(Kind kind, Map<String, Object> value, Map<String, Object> previous) {
        for (Map.Entry<String, Object> e : value.entrySet()) {
            if (HIDDEN.equals(e.getValue()) && previous.containsKey(e.getKey())) {
                e.setValue(previous.get(e.getKey()));
            }
        }
    }

    /**
     * Removes a source, destination or workflow created through the API. A workflow stops at once here and in every
     * other process (its in-flight copies get the grace period); what is queued for it stays queued.
     *
     * @throws Refused if there is none (404), it is the file's (409), or a workflow uses it (409)
     * @throws IOException if the bucket cannot be written
     */
    public void delete(Kind kind, String name) throws Refused, IOException {
        if (fileNames(kind).contains(name)) {
            throw new Refused(409, kind.prefix() + " '" + name + "' is defined in the configuration file (origin: "
                    + "file) and is read-only here", List.of());
        }
        Map<Kind, Map<String, Map<String, Object>>> kv = kvEntries();
        if (!kv.get(kind).containsKey(name)) {
            throw new Refused(404, "no " + kind.prefix() + " '" + name + "'", List.of());
        }
        if (kind != Kind.WORKFLOW) {
            List<String> users = entry(kind, name).map(EntryView::usedBy).orElse(List.of());
            if (!users.isEmpty()) {
                throw new Refused(409, kind.prefix() + " '" + name + "' is used by workflow(s) "
                        + String.join(", ", users) + "; delete or change them first", List.of());
            }
        }
        store.delete(kind, name);
        if (kind == Kind.WORKFLOW && kv.get(Kind.PAUSED).containsKey(name)) {
            store.delete(Kind.PAUSED, name);
        }
        LOG.info("{} {} deleted through the API", kind.prefix(), name);
        reconcileSoon();
    }

    /**
     * Pauses a workflow everywhere: nothing is scanned or copied for it; what is queued stays queued.
     *
     * @throws Refused if there is no such workflow (404)
     */
    public void pause(String name) throws Refused, IOException {
        requireWorkflow(name);
        store.put(Kind.PAUSED, name, Map.of("since", Instant.now().toString()));
        LOG.info("workflow {} paused through the API", name);
        reconcileSoon();
    }

    /**
     * Resumes a paused workflow everywhere.
     *
     * @throws Refused if there is no such workflow (404)
     */
    public void resume(String name) throws Refused, IOException {
        requireWorkflow(name);
        if (kvEntries().get(Kind.PAUSED).containsKey(name)) {
            store.delete(Kind.PAUSED, name);
        }
        LOG.info("workflow {} resumed through the API", name);
        reconcileSoon();
    }

    private void requireWorkflow(String name) throws Refused {
        if (workflow(name).isEmpty()) {
            throw new Refused(404, "no workflow '" + name + "'", List.of());
        }
    }

    private static void checkName(String name) throws Refused {
        if (name == null || !ConfigLoader.WORKFLOW_NAME.matcher(name).matches()) {
            throw new Refused(400, "names are letters, digits, '_' and '-'; not '" + name + "'",
                    List.of(new ConfigProblem("name", 0, "must match [A-Za-z0-9_-]+")));
        }
    }

    // ---------------------------------------------------------------- one-time runs

    /**
     * A one-time run of a workflow that runs here: it scans its source now, then is done once every object the scan
     * found is settled (copied, or dead-lettered) — its workflow's consumer has acknowledged every message up to the
     * scan's last one.
     */
    public final class RunTracker {
        private final String id = UUID.randomUUID().toString().substring(0, 13).replace("-", "");
        private final String workflow;
        private final Instant started = Instant.now();
        private final long deadBefore;
        private volatile String state = "scanning";
        private volatile ScanOutcome scan;
        private volatile String error = "";
        private volatile long failed;
        private volatile long pending = -1;
        private volatile Instant finishedAt;

        private RunTracker(String workflow, long deadBefore) {
            this.workflow = workflow;
            this.deadBefore = deadBefore;
        }

        /** @return its id */
        public String id() {
            return id;
        }

        /** @return whether it has finished ({@code done} or {@code failed}) */
        public boolean finished() {
            return finishedAt != null;
        }

        /** @return its progress and, once finished, its summary, as the API shows it */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id);
            m.put("workflow", workflow);
            m.put("state", state);
            m.put("started", started.toString());
            m.put("finished", finishedAt == null ? null : finishedAt.toString());
            ScanOutcome s = scan;
            if (s != null) {
                m.put("listed", s.listed());
                m.put("queued", s.queued());
                m.put("alreadyQueued", s.alreadyQueued());
                m.put("alreadyStored", s.alreadyStored());
                m.put("deadLetteredUnchanged", s.deadLettered());
            }
            m.put("pending", pending < 0 ? null : pending);
            m.put("failed", failed);
            m.put("error", error);
            return m;
        }

        private void finish(String state, String error) {
            this.error = error;
            this.state = state;
            this.finishedAt = Instant.now();
            emit("run_finished", workflow, Map.of("run", id, "state", state, "failed", failed, "error", error));
        }

        private void scanned(ScanOutcome outcome) {
            scan = outcome;
            if (!outcome.ok()) {
                finish("failed", "the scan failed: " + outcome.error());
                return;
            }
            state = "copying";
            poll(outcome.maxSequence());
        }

        private void poll(long upTo) {
            if (closed) {
                finish("failed", "the process is stopping; what is queued stays queued");
                return;
            }
            try {
                var info = queue.consumerInfo(workflow);
                pending = info.getNumPending() + info.getNumAckPending();
                boolean settled = upTo == 0 || info.getAckFloor().getStreamSequence() >= upTo
                        || pending == 0;
                if (settled) {
                    failed = Math.max(0, deadLetters(workflow) - deadBefore);
                    finish(failed > 0 ? "failed" : "done", failed > 0 ? failed + " object(s) dead-lettered" : "");
                    return;
                }
            } catch (IOException | RuntimeException e) {
                LOG.debug("run {}: reading the consumer of {} failed: {}", id, workflow, e.toString());
            }
            // A consumer-info request is cheap for the server; a run's end is seen within 50 ms.
            worker.schedule(() -> poll(upTo), 50, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Starts a one-time run: the workflow scans its source now.
     *
     * @param workflow a workflow that runs here
     * @return the run, to follow with {@link #run(String)}
     * @throws Refused if there is no such workflow (404), or it is paused, failed or not scanned here (409)
     */
    public RunTracker startRun(String workflow) throws Refused {
        WorkflowView view = workflow(workflow).orElseThrow(() -> new Refused(404, "no workflow '" + workflow + "'",
                List.of()));
        if (view.state() != State.RUNNING) {
            throw new Refused(409, "workflow " + workflow + " is " + view.state().name().toLowerCase(Locale.ROOT)
                    + (view.reason().isEmpty() ? "" : ": " + view.reason()), List.of());
        }
        RunTracker run = new RunTracker(workflow, deadLetters(workflow));
        var scan = engine.scanNow(workflow).orElseThrow(() -> new Refused(409, "workflow " + workflow
                + " does not run in this process", List.of()));
        if (scan.isCompletedExceptionally()) {
            try {
                scan.join();
            } catch (RuntimeException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                throw new Refused(409, cause.getMessage(), List.of());
            }
        }
        runs.put(run.id(), run);
        emit("run_started", workflow, Map.of("run", run.id()));
        scan.whenComplete((outcome, error) -> {
            if (error != null) {
                Throwable cause = error.getCause() == null ? error : error.getCause();
                run.finish("failed", cause.getMessage());
            } else {
                run.scanned(outcome);
            }
        });
        return run;
    }

    /** @return a run started here, while it is remembered */
    public Optional<RunTracker> run(String id) {
        return Optional.ofNullable(runs.get(id));
    }

    /**
     * The runs started here that are remembered (the last {@value #RUNS_KEPT} finished ones, and every one going on).
     *
     * @param workflow only this workflow's, or null: every workflow's
     * @param limit at most this many
     * @return newest first
     */
    public List<RunTracker> runs(String workflow, int limit) {
        List<RunTracker> all;
        synchronized (runs) {
            all = new ArrayList<>(runs.values());
        }
        List<RunTracker> out = new ArrayList<>();
        for (int i = all.size() - 1; i >= 0 && out.size() < limit; i--) {
            if (workflow == null || all.get(i).workflow.equals(workflow)) {
                out.add(all.get(i));
            }
        }
        return out;
    }

    private long deadLetters(String workflow) {
        try {
            return new DeadLetters(queue).count(workflow);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    // ---------------------------------------------------------------- events

    /**
     * Follows events as they happen: the engine's (dead letters, failed scans and copy attempts, workflows started,
     * replaced and stopped) and the control plane's ({@code workflow_failed}, {@code workflow_paused},
     * {@code workflow_resumed}, {@code run_started}, {@code run_finished}).
     *
     * @param listener told of each event as a map with {@code type}, {@code workflow}, {@code time} and details;
     *     called from the threads where they happen, so it must be quick
     * @return closes the subscription
     */
    public AutoCloseable subscribe(Consumer<Map<String, Object>> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    private void engineEvent(String type, String workflow, Map<String, Object> fields) {
        emit(type, workflow, fields);
    }

    private void emit(String type, String workflow, Map<String, Object> fields) {
        if (listeners.isEmpty()) {
            return;
        }
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("type", type);
        event.put("workflow", workflow);
        event.put("time", Instant.now().toString());
        event.putAll(fields);
        for (Consumer<Map<String, Object>> l : listeners) {
            try {
                l.accept(event);
            } catch (RuntimeException e) {
                LOG.debug("an event listener failed: {}", e.toString());
            }
        }
    }

    // ---------------------------------------------------------------- applying the desired state

    /** Reconciles on the worker thread; calls made meanwhile are folded into one. */
    private void reconcileSoon() {
        if (closed || !reconcileQueued.compareAndSet(false, true)) {
            return;
        }
        try {
            worker.execute(() -> {
                reconcileQueued.set(false);
                try {
                    reconcile();
                } catch (RuntimeException e) {
                    LOG.error("applying the configuration bucket failed; retrying", e);
                    worker.schedule(this::reconcileSoon, 1, TimeUnit.SECONDS);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            reconcileQueued.set(false); // closing
        }
    }

    /** Makes the engine run what the file and the bucket say, now. */
    void reconcile() {
        if (closed) {
            return;
        }
        if (!engine.isReady()) {
            worker.schedule(this::reconcileSoon, 500, TimeUnit.MILLISECONDS); // not running yet, or recreating
            return;
        }
        Map<Kind, Map<String, Map<String, Object>>> kv = kvEntries();
        Set<String> paused = kv.get(Kind.PAUSED).keySet();
        Desired desired = desired(kv);
        synchronized (lock) {
            // The file's workflows: only paused and resumed.
            for (WorkflowConfig w : file.workflows()) {
                boolean running = engine.workflows().contains(w.name());
                if (paused.contains(w.name()) && running) {
                    engine.remove(w.name());
                    pausedHere.add(w.name());
                    emit("workflow_paused", w.name(), Map.of());
                } else if (!paused.contains(w.name()) && pausedHere.remove(w.name())) {
                    start(w, WorkflowPlugins.of(file, w), null);
                    emit("workflow_resumed", w.name(), Map.of());
                }
            }
            // The bucket's workflows.
            Set<String> fileWorkflows = fileNames(Kind.WORKFLOW);
            Set<String> wanted = new HashSet<>();
            for (WorkflowConfig w : desired.config.workflows()) {
                if (fileWorkflows.contains(w.name()) || !kv.get(Kind.WORKFLOW).containsKey(w.name())) {
                    continue;
                }
                wanted.add(w.name());
                List<ConfigProblem> problems = desired.problemsOfWorkflow(w);
                if (!problems.isEmpty()) {
                    stopManaged(w.name());
                    fail(w.name(), problems.stream().map(ConfigProblem::toString).reduce((a, b) -> a + "; " + b)
                            .orElse(""));
                    continue;
                }
                if (paused.contains(w.name())) {
                    if (managed.containsKey(w.name())) {
                        stopManaged(w.name());
                        emit("workflow_paused", w.name(), Map.of());
                    }
                    pausedHere.add(w.name());
                    failed.remove(w.name());
                    continue;
                }
                String fingerprint = desired.fingerprint(w);
                Managed now = managed.get(w.name());
                if (now != null && now.fingerprint().equals(fingerprint) && engine.workflows().contains(w.name())) {
                    continue;
                }
                createAndStart(desired, w, fingerprint, now);
            }
            for (String name : new ArrayList<>(managed.keySet())) {
                if (!wanted.contains(name)) {
                    stopManaged(name);
                    failed.remove(name);
                }
            }
            failed.keySet().removeIf(n -> !wanted.contains(n) && !fileWorkflows.contains(n));
        }
    }

    private void createAndStart(Desired desired, WorkflowConfig w, String fingerprint, Managed replaced) {
        IngestConfig config = desired.config;
        List<ConfigProblem> problems = new ArrayList<>();
        List<Closeable> made = new ArrayList<>();
        PluginEntry sourceEntry = config.source(w.source()).orElseThrow();
        Optional<Object> source = PluginSetup.instantiate(config, registry, sourceEntry, PluginRole.SOURCE, problems);
        source.ifPresent(s -> made.add((Closeable) s));
        List<Destination> dests = new ArrayList<>();
        List<String> types = new ArrayList<>();
        for (String d : w.destinations()) {
            PluginEntry e = config.destination(d).orElseThrow();
            Optional<Object> dest = PluginSetup.instantiate(config, registry, e, PluginRole.DESTINATION, problems);
            dest.ifPresent(x -> {
                made.add((Closeable) x);
                dests.add((Destination) x);
            });
            types.add(e.type());
        }
        if (!problems.isEmpty() || source.isEmpty()) {
            closeAll(made, w.name());
            stopManaged(w.name());
            fail(w.name(), problems.stream().map(ConfigProblem::toString).reduce((a, b) -> a + "; " + b).orElse(
                    "its source could not be created"));
            return;
        }
        boolean records = source.get() instanceof RecordSource;
        WorkflowConfig effective = records && w.batch().isEmpty() ? w.withBatch(BatchConfig.defaults()) : w;
        Map<String, Object> entry = desired.byKey.getOrDefault("workflows:" + w.name(), Map.of());
        WorkflowPlugins plugins = new WorkflowPlugins(w.source(), sourceEntry.type(),
                records ? null : (Source) source.get(), records ? (RecordSource) source.get() : null, dests,
                w.destinations(), types, entry.containsKey("interval"));
        if (!start(effective, plugins, made)) {
            return;
        }
        Map<String, Destination> byName = new LinkedHashMap<>();
        for (int i = 0; i < dests.size(); i++) {
            byName.put(w.destinations().get(i), dests.get(i));
        }
        managed.put(w.name(), new Managed(fingerprint, made, byName));
        failed.remove(w.name());
        if (pausedHere.remove(w.name())) {
            emit("workflow_resumed", w.name(), Map.of());
        }
        if (replaced != null) {
            LOG.info("workflow {} replaced by its new definition", w.name());
        }
    }

    /** Adds a workflow to the engine; the plugins it replaced are closed once its old run has finished. */
    private boolean start(WorkflowConfig w, WorkflowPlugins plugins, List<Closeable> owned) {
        Managed old = managed.remove(w.name());
        try {
            engine.add(w, plugins).whenComplete((v, e) -> {
                if (old != null) {
                    closeAll(old.plugins(), w.name());
                }
            });
            return true;
        } catch (IOException | RuntimeException e) {
            if (owned != null) {
                closeAll(owned, w.name());
            }
            if (old != null) {
                engine.remove(w.name()).ifPresentOrElse(f -> f.whenComplete((v, x) -> closeAll(old.plugins(), w.name())),
                        () -> closeAll(old.plugins(), w.name()));
            }
            fail(w.name(), "could not start: " + e.getMessage());
            return false;
        }
    }

    private void stopManaged(String name) {
        Managed m = managed.remove(name);
        if (m == null) {
            return;
        }
        engine.remove(name).ifPresentOrElse(f -> f.whenComplete((v, e) -> closeAll(m.plugins(), name)),
                () -> closeAll(m.plugins(), name));
    }

    private void fail(String name, String reason) {
        if (!reason.equals(failed.put(name, reason))) {
            LOG.error("workflow {} cannot run: {}", name, reason);
            emit("workflow_failed", name, Map.of("reason", reason));
        }
    }

    private static void closeAll(Collection<Closeable> plugins, String workflow) {
        for (Closeable c : plugins) {
            Configured.closeQuietly(c, "a plugin of workflow " + workflow);
        }
    }

    // ---------------------------------------------------------------- the desired state

    /** The file's entries and the bucket's, read together, with their problems mapped back to entries. */
    private final class Desired {
        final IngestConfig config;
        final List<ConfigProblem> problems;
        /** Per section, the entries in the combined document's order: {origin, name}. */
        final Map<String, List<String[]>> order;
        final Map<String, Map<String, Object>> byKey = new HashMap<>();

        Desired(IngestConfig config, List<ConfigProblem> problems, Map<String, List<String[]>> order,
                Map<String, List<Map<String, Object>>> sections) {
            this.config = config;
            this.problems = problems;
            this.order = order;
            sections.forEach((s, list) -> list.forEach(m -> byKey.put(s + ":" + m.get("name"), m)));
        }

        /** @return the problems of one entry, their paths relative to it */
        List<ConfigProblem> problemsOf(Kind kind, String name) {
            List<ConfigProblem> out = new ArrayList<>();
            for (ConfigProblem p : problems) {
                Matcher m = PROBLEM_PATH.matcher(p.path());
                if (!m.matches() || !m.group(1).equals(kind.plural())) {
                    continue;
                }
                List<String[]> entries = order.get(m.group(1));
                int i = Integer.parseInt(m.group(2));
                if (i < entries.size() && entries.get(i)[0].equals("api") && entries.get(i)[1].equals(name)) {
                    out.add(new ConfigProblem(m.group(3) == null ? "" : m.group(3), 0, p.message()));
                }
            }
            return out;
        }

        /** @return the problems of a workflow of the bucket and of its source and destinations */
        List<ConfigProblem> problemsOfWorkflow(WorkflowConfig w) {
            List<ConfigProblem> out = new ArrayList<>(problemsOf(Kind.WORKFLOW, w.name()));
            problemsOf(Kind.SOURCE, w.source()).forEach(p -> out.add(prefixed("source " + w.source(), p)));
            for (String d : w.destinations()) {
                problemsOf(Kind.DESTINATION, d).forEach(p -> out.add(prefixed("destination " + d, p)));
            }
            if (config.source(w.source()).isEmpty() && out.isEmpty()) {
                out.add(new ConfigProblem("source", 0, "unknown source '" + w.source() + "'"));
            }
            return out;
        }

        private ConfigProblem prefixed(String what, ConfigProblem p) {
            return new ConfigProblem(p.path(), 0, what + ": " + p.message());
        }

        /** @return what the workflow is made of: a change to any of it replaces the workflow */
        String fingerprint(WorkflowConfig w) {
            Map<String, Object> parts = new LinkedHashMap<>();
            parts.put("workflow", byKey.get("workflows:" + w.name()));
            parts.put("source", byKey.get("sources:" + w.source()));
            List<Object> ds = new ArrayList<>();
            w.destinations().forEach(d -> ds.add(byKey.get("destinations:" + d)));
            parts.put("destinations", ds);
            try {
                return JSON.writeValueAsString(parts);
            } catch (IOException e) {
                return parts.toString();
            }
        }
    }

    private Desired desired(Map<Kind, Map<String, Map<String, Object>>> kv) {
        Map<String, Object> root = new LinkedHashMap<>();
        Map<String, List<String[]>> order = new HashMap<>();
        Map<String, List<Map<String, Object>>> sections = new HashMap<>();
        for (Kind kind : List.of(Kind.SOURCE, Kind.DESTINATION, Kind.WORKFLOW)) {
            String section = kind.plural();
            List<Map<String, Object>> list = new ArrayList<>();
            List<String[]> names = new ArrayList<>();
            for (Map<String, Object> e : section(fileDocument, section)) {
                list.add(e);
                names.add(new String[] {"file", String.valueOf(e.get("name"))});
            }
            kv.get(kind).forEach((name, value) -> {
                list.add(withName(name, value));
                names.add(new String[] {"api", name});
            });
            root.put(section, list);
            order.put(section, names);
            sections.put(section, list);
        }
        ConfigLoader.Parsed parsed = loader.parse(root, "configuration (file and bucket " + store.bucket() + ")");
        return new Desired(parsed.config(), parsed.problems(), order, sections);
    }

    /** The problems the plugin itself finds in an entry (its keys, its own checks), for a write. */
    private List<ConfigProblem> pluginProblems(Desired desired, Kind kind, String name) {
        if (kind == Kind.WORKFLOW) {
            return List.of();
        }
        PluginEntry entry = (kind == Kind.SOURCE ? desired.config.source(name) : desired.config.destination(name))
                .orElse(null);
        if (entry == null) {
            return List.of();
        }
        List<ConfigProblem> problems = new ArrayList<>();
        Optional<Object> made = PluginSetup.instantiate(desired.config, registry, entry,
                kind == Kind.SOURCE ? PluginRole.SOURCE : PluginRole.DESTINATION, problems);
        made.ifPresent(m -> Configured.closeQuietly((Closeable) m, kind.prefix() + " " + name + " (validation)"));
        List<ConfigProblem> relative = new ArrayList<>();
        String prefix = entry.path();
        for (ConfigProblem p : problems) {
            String path = p.path().startsWith(prefix) ? p.path().substring(prefix.length()) : p.path();
            relative.add(new ConfigProblem(path.startsWith(".") ? path.substring(1) : path, 0, p.message()));
        }
        return relative;
    }

    private Map<Kind, Map<String, Map<String, Object>>> kvEntries() {
        Map<Kind, Map<String, Map<String, Object>>> out = new HashMap<>();
        for (Kind k : Kind.values()) {
            out.put(k, new LinkedHashMap<>());
        }
        for (ConfigStore.Entry e : store.entries()) {
            out.get(e.kind()).put(e.name(), e.value());
        }
        return out;
    }

    private Set<String> fileNames(Kind kind) {
        Set<String> names = new HashSet<>();
        for (Map<String, Object> e : section(fileDocument, kind.plural())) {
            names.add(String.valueOf(e.get("name")));
        }
        return names;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> section(Map<String, Object> document, String section) {
        List<Map<String, Object>> out = new ArrayList<>();
        if (document.get(section) instanceof List<?> l) {
            for (Object o : l) {
                if (o instanceof Map<?, ?> m) {
                    out.add((Map<String, Object>) m);
                }
            }
        }
        return out;
    }

    private static Map<String, Object> withName(String name, Map<String, Object> value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        value.forEach((k, v) -> {
            if (!k.equals("name")) {
                m.put(k, v);
            }
        });
        return m;
    }

    /**
     * Stops watching; the API-created workflows' plugins are closed (call after the engine stopped).
     */
    @Override
    public void close() {
        closed = true;
        store.close();
        worker.shutdownNow();
        synchronized (lock) {
            for (Map.Entry<String, Managed> e : managed.entrySet()) {
                closeAll(e.getValue().plugins(), e.getKey());
            }
            managed.clear();
        }
    }
}
