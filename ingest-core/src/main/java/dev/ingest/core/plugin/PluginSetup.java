package dev.ingest.core.plugin;

import dev.ingest.api.ConfigException;
import dev.ingest.api.ConfigKey;
import dev.ingest.api.Destination;
import dev.ingest.api.PluginConfig;
import dev.ingest.api.PluginRole;
import dev.ingest.api.RecordSource;
import dev.ingest.api.Source;
import dev.ingest.core.config.BatchConfig;
import dev.ingest.core.config.ConfigLoader;
import dev.ingest.core.config.ConfigProblem;
import dev.ingest.core.config.IngestConfig;
import dev.ingest.core.config.InvalidConfigException;
import dev.ingest.core.config.PluginEntry;
import dev.ingest.core.config.WorkflowConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Configures the plugins of a configuration: checks each entry's type and keys against its plugin, creates the
 * sources and destinations, and decides which workflows can run.
 *
 * <p>With {@code strictWorkflows} every problem (the loader's and the plugins') is reported at once as an
 * {@link InvalidConfigException}. Without it, a workflow touched by a problem is skipped with a logged error;
 * problems that belong to no workflow still fail, and so does a configuration with no workflow left.
 */
public final class PluginSetup {

    private static final Logger LOG = LoggerFactory.getLogger(PluginSetup.class);

    private PluginSetup() {
    }

    /**
     * @param parsed the loader's result
     * @param registry the available plugins
     * @param strictWorkflows fail on any problem (true), or skip broken workflows (false)
     * @return the live plugins and runnable workflows; the caller closes it
     * @throws InvalidConfigException listing every problem
     */
    public static Configured configure(ConfigLoader.Parsed parsed, PluginRegistry registry, boolean strictWorkflows)
            throws InvalidConfigException {
        return configure(parsed, registry, strictWorkflows, false);
    }

    /**
     * @param parsed the loader's result
     * @param registry the available plugins
     * @param strictWorkflows fail on any problem (true), or skip broken workflows (false)
     * @param noWorkflowAllowed whether a configuration without any workflow is accepted: a service whose workflows
     *     are created through the API starts from an empty configuration ({@code {}})
     * @return the live plugins and runnable workflows; the caller closes it
     * @throws InvalidConfigException listing every problem
     */
    public static Configured configure(ConfigLoader.Parsed parsed, PluginRegistry registry, boolean strictWorkflows,
                                       boolean noWorkflowAllowed) throws InvalidConfigException {
        IngestConfig config = parsed.config();
        List<ConfigProblem> problems = new ArrayList<>(parsed.problems());
        Map<String, Source> sources = new LinkedHashMap<>();
        Map<String, Destination> destinations = new LinkedHashMap<>();
        Map<String, RecordSource> recordSources = new LinkedHashMap<>();
        try {
            createAll(config, registry, problems, sources, destinations, recordSources);
            problems.sort(Comparator.comparingInt(ConfigProblem::line));

            Map<String, Set<String>> affected = affectedWorkflows(config, problems);
            Set<String> broken = new HashSet<>();
            List<ConfigProblem> global = new ArrayList<>();
            for (ConfigProblem p : problems) {
                Set<String> wfs = affected.get(key(p));
                if (wfs == null) {
                    global.add(p);
                } else {
                    broken.addAll(wfs);
                }
            }
            if (!problems.isEmpty() && (strictWorkflows || !global.isEmpty())) {
                throw new InvalidConfigException(config.origin(), problems);
            }
            for (ConfigProblem p : problems) {
                if (affected.getOrDefault(key(p), Set.of()).isEmpty()) {
                    LOG.warn("ignoring a problem of an entry no workflow uses (--strict-workflows=false): {}", p);
                }
            }
            List<WorkflowConfig> runnable = new ArrayList<>();
            for (WorkflowConfig configured : config.workflows()) {
                WorkflowConfig w = recordSources.containsKey(configured.name()) && configured.batch().isEmpty()
                        ? configured.withBatch(BatchConfig.defaults()) // records are always batched
                        : configured;
                if (broken.contains(w.name())) {
                    List<String> own = problems.stream()
                            .filter(p -> affected.getOrDefault(key(p), Set.of()).contains(w.name()))
                            .map(ConfigProblem::toString).toList();
                    LOG.error("skipping workflow '{}' (--strict-workflows=false): {}", w.name(), String.join("; ", own));
                } else {
                    runnable.add(w);
                }
            }
            if (runnable.isEmpty() && !(noWorkflowAllowed && config.workflows().isEmpty() && problems.isEmpty())) {
                throw new InvalidConfigException(config.origin(), problems.isEmpty()
                        ? List.of(new ConfigProblem("workflows", config.lineOf("workflows"), "no workflow is defined"))
                        : problems);
            }
            Set<String> running = new HashSet<>();
            runnable.forEach(w -> running.add(w.name()));
            recordSources.entrySet().removeIf(e -> {
                if (!running.contains(e.getKey())) {
                    Configured.closeQuietly(e.getValue(), "record source of workflow " + e.getKey());
                    return true;
                }
                return false;
            });
            return new Configured(config, sources, destinations, recordSources, runnable, problems);
        } catch (InvalidConfigException | RuntimeException e) {
            sources.forEach((n, s) -> Configured.closeQuietly(s, "source " + n));
            destinations.forEach((n, d) -> Configured.closeQuietly(d, "destination " + n));
            recordSources.forEach((n, r) -> Configured.closeQuietly(r, "record source of workflow " + n));
            throw e;
        }
    }

    private static String key(ConfigProblem p) {
        return p.path() + "\u0000" + p.line() + "\u0000" + p.message();
    }

    /** Which workflows each problem touches; problems outside every workflow, source and destination are absent. */
    private static Map<String, Set<String>> affectedWorkflows(IngestConfig config, List<ConfigProblem> problems) {
        Map<String, Set<String>> byEntryPath = new HashMap<>();
        for (WorkflowConfig w : config.workflows()) {
            byEntryPath.computeIfAbsent(w.path(), k -> new HashSet<>()).add(w.name());
            config.source(w.source()).ifPresent(s -> byEntryPath.computeIfAbsent(s.path(), k -> new HashSet<>()).add(w.name()));
            for (String d : w.destinations()) {
                config.destination(d).ifPresent(e -> byEntryPath.computeIfAbsent(e.path(), k -> new HashSet<>()).add(w.name()));
            }
        }
        // Entries no workflow uses: their problems touch nothing that runs.
        for (PluginEntry e : config.sources()) {
            byEntryPath.putIfAbsent(e.path(), Set.of());
        }
        for (PluginEntry e : config.destinations()) {
            byEntryPath.putIfAbsent(e.path(), Set.of());
        }
        Map<String, Set<String>> out = new HashMap<>();
        for (ConfigProblem p : problems) {
            String entry = entryPath(p.path());
            Set<String> wfs = byEntryPath.get(entry);
            if (wfs != null) {
                out.put(key(p), wfs);
            }
        }
        return out;
    }

    private static String entryPath(String path) {
        int close = path.indexOf(']');
        return close < 0 ? path : path.substring(0, close + 1);
    }

    /**
     * Creates every source and destination, each on a thread of its own (plugins may contact their stores at
     * creation, and building clients loads many classes: together they take the time of the slowest, not the sum).
     * Problems are added in the entries' order; the plugins go to the maps in the entries' order.
     */
    private static void createAll(IngestConfig config, PluginRegistry registry, List<ConfigProblem> problems,
                                  Map<String, Source> sources, Map<String, Destination> destinations,
                                  Map<String, RecordSource> recordSources) {
        record Task(PluginEntry entry, PluginRole role) {
        }
        List<Task> tasks = new ArrayList<>();
        config.sources().forEach(e -> tasks.add(new Task(e, PluginRole.SOURCE)));
        config.destinations().forEach(e -> tasks.add(new Task(e, PluginRole.DESTINATION)));
        List<ConfigProblem> known = List.copyOf(problems);
        List<List<ConfigProblem>> found = new ArrayList<>();
        List<Map<String, Object>> made = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        AtomicReference<Throwable> unexpected = new AtomicReference<>();
        for (Task t : tasks) {
            List<ConfigProblem> mine = new ArrayList<>();
            Map<String, Object> one = new LinkedHashMap<>();
            found.add(mine);
            made.add(one);
            Runnable work = () -> {
                try {
                    create(config, registry, t.entry(), t.role(), known, mine, one);
                } catch (RuntimeException | Error e) {
                    unexpected.compareAndSet(null, e);
                }
            };
            if (tasks.size() == 1) {
                work.run();
            } else {
                Thread thread = new Thread(work, "create-" + t.entry().name());
                thread.setDaemon(true);
                thread.start();
                threads.add(thread);
            }
        }
        boolean interrupted = false;
        for (Thread thread : threads) {
            while (true) {
                try {
                    thread.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        for (int i = 0; i < tasks.size(); i++) {
            problems.addAll(found.get(i));
            for (Map.Entry<String, Object> m : made.get(i).entrySet()) {
                if (m.getValue() instanceof PerWorkflow per) {
                    recordSources.putAll(per.byWorkflow());
                } else if (tasks.get(i).role() == PluginRole.SOURCE) {
                    sources.put(m.getKey(), (Source) m.getValue());
                } else {
                    destinations.put(m.getKey(), (Destination) m.getValue());
                }
            }
        }
        Throwable e = unexpected.get();
        if (e instanceof RuntimeException r) {
            throw r;
        }
        if (e instanceof Error err) {
            throw err;
        }
    }

    private static <T> void create(IngestConfig config, PluginRegistry registry, PluginEntry entry, PluginRole role,
                                   List<ConfigProblem> earlier, List<ConfigProblem> problems, Map<String, T> out) {
        boolean hadProblems = earlier.stream().anyMatch(p -> p.path().startsWith(entry.path() + ".") || p.path().equals(entry.path()));
        LoadedPlugin plugin = checked(config, registry, entry, role, problems);
        if (plugin == null || hadProblems) {
            return;
        }
        List<String> users = config.workflows().stream().filter(w -> w.source().equals(entry.name()))
                .map(WorkflowConfig::name).toList();
        Object created = made(config, plugin, entry, role, problems, records -> {
            if (!records) {
                return one(plugin, entry, role, false);
            }
            // A record source keeps the state of its reading: each workflow gets an instance of its own.
            Map<String, RecordSource> per = new LinkedHashMap<>();
            try {
                for (String w : users.isEmpty() ? List.of("") : users) {
                    per.put(w, (RecordSource) one(plugin, entry, role, true));
                }
            } catch (ConfigException | IOException | RuntimeException e) {
                per.forEach((w, r) -> Configured.closeQuietly(r, "record source " + entry.name()));
                throw e;
            }
            per.remove("");
            return new PerWorkflow(per);
        });
        if (created != null) {
            @SuppressWarnings("unchecked")
            T t = (T) created;
            out.put(entry.name(), t);
        }
    }

    /**
     * Creates one instance of a {@code sources:} or {@code destinations:} entry, with the checks of
     * {@link #configure}: its type, role and keys, then the plugin's own. A source that reads records gives a
     * {@link RecordSource} (the instance of one workflow); another source a {@link Source}; a destination a
     * {@link Destination}. Every call into it runs with the plugin's class loader.
     *
     * @param config the configuration the entry belongs to (for the lines of problems)
     * @param registry the available plugins
     * @param entry the entry
     * @param role {@link PluginRole#SOURCE} or {@link PluginRole#DESTINATION}
     * @param problems where its problems are added
     * @return the instance, owned by the caller; empty when there were problems
     */
    public static java.util.Optional<Object> instantiate(IngestConfig config, PluginRegistry registry, PluginEntry entry,
                                                         PluginRole role, List<ConfigProblem> problems) {
        LoadedPlugin plugin = checked(config, registry, entry, role, problems);
        if (plugin == null) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.ofNullable(made(config, plugin, entry, role, problems,
                records -> one(plugin, entry, role, records)));
    }

    /**
     * @param registry the available plugins
     * @param entry a {@code sources:} entry
     * @return whether its plugin reads records for it; false when the type is unknown
     */
    public static boolean readsRecords(PluginRegistry registry, PluginEntry entry) {
        LoadedPlugin plugin = registry.get(entry.type()).orElse(null);
        return plugin != null && Isolated.in(plugin.loader(),
                () -> plugin.provider().readsRecords(PluginConfig.of(entry.name(), entry.options())));
    }

    /** Checks an entry's type, role and keys against its plugin; null (with problems added) when it is wrong. */
    private static LoadedPlugin checked(IngestConfig config, PluginRegistry registry, PluginEntry entry, PluginRole role,
                                        List<ConfigProblem> problems) {
        String what = role == PluginRole.SOURCE ? "source" : "destination";
        if (entry.type().isEmpty()) {
            return null; // already reported: type is required
        }
        LoadedPlugin plugin = registry.get(entry.type()).orElse(null);
        if (plugin == null) {
            problems.add(config.problem(entry.path() + ".type", "unknown plugin type '" + entry.type() + "' (available: "
                    + (registry.types().isEmpty() ? "none" : String.join(", ", registry.types())) + ")"));
            return null;
        }
        if (!plugin.provider().roles().contains(role)) {
            problems.add(config.problem(entry.path() + ".type", "plugin type '" + entry.type() + "' cannot be a " + what
                    + " (it can be: " + plugin.provider().roles().stream().map(r -> r.name().toLowerCase())
                    .collect(Collectors.joining(", ")) + ")"));
            return null;
        }
        int before = problems.size();
        List<ConfigKey> keys = plugin.provider().keys(role);
        Set<String> known = keys.stream().map(ConfigKey::name).collect(Collectors.toCollection(java.util.TreeSet::new));
        for (String k : entry.options().keySet()) {
            if (!known.contains(k)) {
                problems.add(config.problem(entry.path() + "." + k, "unknown key for plugin type '" + entry.type()
                        + "'" + dev.ingest.core.config.Suggestions.didYouMean(k, known) + " (known: "
                        + (known.isEmpty() ? "none" : String.join(", ", known)) + ")"));
            }
        }
        for (ConfigKey k : keys) {
            if (k.required() && entry.options().get(k.name()) == null) {
                problems.add(config.problem(entry.path() + "." + k.name(), "is required by plugin type '"
                        + entry.type() + "' (" + k.description() + ")"));
            }
        }
        return problems.size() > before ? null : plugin;
    }

    /** One instance, made by its plugin with its class loader around the call. */
    private static Object one(LoadedPlugin plugin, PluginEntry entry, PluginRole role, boolean records)
            throws ConfigException, IOException {
        PluginConfig pc = PluginConfig.of(entry.name(), entry.options());
        if (records) {
            return Isolated.recordSource(plugin.provider().createRecordSource(pc), plugin.loader());
        }
        return role == PluginRole.SOURCE
                ? Isolated.source(plugin.provider().createSource(pc), plugin.loader())
                : Isolated.destination(plugin.provider().createDestination(pc), plugin.loader());
    }

    /** What makes the instances of an entry, told whether the entry reads records. */
    @FunctionalInterface
    private interface Maker {
        Object make(boolean records) throws ConfigException, IOException;
    }

    /**
     * Runs a maker with the plugin's class loader and turns what it throws into problems of the entry.
     *
     * @return what it made, or null with problems added
     */
    private static Object made(IngestConfig config, LoadedPlugin plugin, PluginEntry entry, PluginRole role,
                               List<ConfigProblem> problems, Maker maker) {
        String what = role == PluginRole.SOURCE ? "source" : "destination";
        try {
            return Isolated.in(plugin.loader(), () -> {
                try {
                    boolean records = role == PluginRole.SOURCE && plugin.provider().readsRecords(
                            PluginConfig.of(entry.name(), entry.options()));
                    return maker.make(records);
                } catch (ConfigException e) {
                    throw new WrappedConfigException(e);
                }
            });
        } catch (WrappedConfigException w) {
            for (String p : w.config.problems()) {
                int colon = p.indexOf(": ");
                String key = colon > 0 && !p.substring(0, colon).contains(" ") ? p.substring(0, colon) : "";
                String msg = key.isEmpty() ? p : p.substring(colon + 2);
                problems.add(config.problem(key.isEmpty() ? entry.path() : entry.path() + "." + key, msg));
            }
        } catch (IOException e) {
            problems.add(config.problem(entry.path(), what + " '" + entry.name() + "' (" + entry.type()
                    + ") cannot be reached: " + e.getMessage()));
        } catch (RuntimeException | LinkageError e) {
            problems.add(config.problem(entry.path(), "plugin type '" + entry.type() + "' from " + plugin.location()
                    + " failed to create " + what + " '" + entry.name() + "': " + e));
        }
        return null;
    }

    /** The record source instances of one {@code sources:} entry, one per workflow that reads it. */
    private record PerWorkflow(Map<String, RecordSource> byWorkflow) {
    }

    /** Carries a plugin's ConfigException through {@link Isolated#in}. */
    private static final class WrappedConfigException extends IOException {
        private static final long serialVersionUID = 1L;
        private final transient ConfigException config;

        WrappedConfigException(ConfigException config) {
            super(config.getMessage(), config);
            this.config = config;
        }
    }
}
