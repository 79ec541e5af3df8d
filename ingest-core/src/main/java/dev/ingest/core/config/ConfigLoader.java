package dev.ingest.core.config;

import dev.ingest.api.PluginConfig;
import dev.ingest.core.records.KeyTemplate;
import dev.ingest.api.Secrets;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * Reads the YAML configuration (the original tool's format: {@code sources}, {@code destinations},
 * {@code workflows}, camelCase keys), expands {@code ${VAR}} references and checks everything that does not
 * need the plugins. Every problem is collected, with its field path and line; nothing stops at the first.
 */
public final class ConfigLoader {

    /**
     * The top-level key of the launcher's own options ({@code ingest: {queueEndpoint: ..., logLevel: ...}}): read by
     * the command line through {@link #readBlock}, ignored by the rest of the configuration.
     */
    public static final String LAUNCHER_BLOCK = "ingest";

    /** Letters, digits, {@code _} and {@code -}: safe in a NATS subject token and a consumer name. */
    public static final Pattern WORKFLOW_NAME = Pattern.compile("[A-Za-z0-9_-]+");

    private static final Set<String> TOP_LEVEL_KEYS = Set.of("version", "sources", "destinations", "workflows",
            LAUNCHER_BLOCK);
    private static final List<String> WORKFLOW_KEYS = List.of("name", "source", "destinations", "cleanUp",
            "interval", "batchSize", "concurrency", "webhook", "webhookSecret", "maxDeliver", "backoff", "maxBackoff",
            "listDestinations", "batch");
    private static final List<String> BATCH_KEYS = List.of("maxRecords", "maxBytes", "maxAge", "format",
            "compression", "key", "maxOpenBatches");

    private final EnvExpander env;

    private ConfigLoader(EnvExpander env) {
        this.env = Objects.requireNonNull(env, "env");
    }

    /**
     * @param env how {@code ${VAR}} references are expanded
     * @return a loader
     */
    public static ConfigLoader create(EnvExpander env) {
        return new ConfigLoader(env);
    }

    /**
     * The configuration and what is wrong with it. The configuration holds every entry that could be read, even
     * those with problems, so that later checks (plugins) can still report theirs.
     *
     * @param config what was read
     * @param problems what is wrong, in file order; empty when nothing is
     */
    public record Parsed(IngestConfig config, List<ConfigProblem> problems) {
        /** Copies the problems. */
        public Parsed {
            Objects.requireNonNull(config, "config");
            problems = List.copyOf(problems);
        }
    }

    /**
     * Reads a configuration file.
     *
     * @param file the YAML file
     * @return what was read and its problems
     * @throws IOException if the file cannot be read
     */
    public Parsed load(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    /**
     * Reads a configuration from text.
     *
     * @param yaml the YAML text
     * @param origin where it came from, for messages
     * @return what was read and its problems
     */
    public Parsed parse(String yaml, String origin) {
        Reader r = new Reader(origin);
        return r.read(yaml);
    }

    /**
     * Reads a configuration already in Java form (maps, lists and scalars, as JSON or YAML parse to), with the same
     * checks as a file: how entries created through the API are validated. {@code ${VAR}} references in its strings
     * are expanded. Its problems have no line.
     *
     * @param root the configuration: a map with {@code sources}, {@code destinations} and {@code workflows}
     * @param origin where it came from, for messages
     * @return what was read and its problems
     */
    public Parsed parse(Map<String, ?> root, String origin) {
        Reader r = new Reader(origin);
        return r.readRoot(r.expand(root, ""));
    }

    /**
     * Reads YAML (or JSON, which is YAML) into Java form without checking it against the configuration's schema and
     * without expanding {@code ${VAR}}: a configuration file to be combined with entries from elsewhere, or one entry
     * sent to the API. Duplicate keys are kept (the last wins); {@link #parse(Map, String)} then checks the result.
     *
     * @param yaml the text
     * @param origin where it came from, for messages
     * @return the document: a map, list or scalar; null when the text is empty
     * @throws IllegalArgumentException if the text is not valid YAML, with the line and the reason
     */
    public Object document(String yaml, String origin) {
        Reader r = new Reader(origin);
        Object root = r.compose(yaml);
        if (!r.problems.isEmpty()) {
            ConfigProblem p = r.problems.get(0);
            throw new IllegalArgumentException(p.message() + (p.line() > 0 ? " (line " + p.line() + ")" : ""));
        }
        return root;
    }

    /**
     * A top-level block of a configuration file, read alone (the rest of the file is not checked).
     *
     * @param origin the file, for messages
     * @param values the block's keys and values ({@code ${VAR}} expanded), in file order; empty when the file has no
     *     such block
     * @param lines the line of each key in the file
     * @param problems what is wrong with the file's YAML or the block's shape
     */
    public record Block(String origin, Map<String, Object> values, Map<String, Integer> lines,
                        List<ConfigProblem> problems) {
        /** Copies the maps and list. */
        public Block {
            values = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values));
            lines = Map.copyOf(lines);
            problems = List.copyOf(problems);
        }
    }

    /**
     * Reads one top-level block of a configuration file, {@link #LAUNCHER_BLOCK} say.
     *
     * @param file the YAML file
     * @param key the top-level key
     * @return the block
     * @throws IOException if the file cannot be read
     */
    public Block readBlock(Path file, String key) throws IOException {
        String yaml = Files.readString(file, StandardCharsets.UTF_8);
        Reader r = new Reader(file.toString());
        Map<String, Object> values = new LinkedHashMap<>();
        Map<String, Integer> lines = new HashMap<>();
        Object root = r.compose(yaml);
        if (root instanceof Map<?, ?> top && top.containsKey(key)) {
            Object block = top.get(key);
            if (block instanceof Map<?, ?> m) {
                Object expanded = r.expand(m, key);
                ((Map<?, ?>) expanded).forEach((k, v) -> values.put(String.valueOf(k), v));
                values.keySet().forEach(k -> lines.put(k, r.lines.getOrDefault(key + "." + k, 0)));
            } else if (block != null) {
                r.problem(key, "must be a mapping of option names to values (queueEndpoint: nats://..., ...)");
            }
        }
        return new Block(file.toString(), values, lines, r.problems);
    }

    private final class Reader {
        private final String origin;
        private final Map<String, Integer> lines = new HashMap<>();
        private final List<ConfigProblem> problems = new ArrayList<>();

        Reader(String origin) {
            this.origin = origin;
        }

        private void problem(String path, String message) {
            // an absent key (a required one, or an item made from a single string) has no line: use its parent's
            Integer line = lines.get(path);
            for (String p = path; line == null && !p.isEmpty(); ) {
                int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
                p = cut <= 0 ? "" : p.substring(0, cut);
                line = p.isEmpty() ? null : lines.get(p);
            }
            problems.add(new ConfigProblem(path, line == null ? 0 : line, message));
        }

        Parsed read(String yaml) {
            int before = problems.size();
            Object root = compose(yaml);
            if (problems.size() > before && root == null) {
                return done(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
            }
            return readRoot(root);
        }

        /** @return the YAML in Java form, or null (a problem is recorded when it is not valid YAML) */
        Object compose(String yaml) {
            try {
                LoadSettings settings = LoadSettings.builder()
                        .setLabel(origin)
                        .setAllowDuplicateKeys(true) // reported below, with all other problems
                        .setMaxAliasesForCollections(50)
                        .build();
                Optional<Node> node = new Compose(settings).composeString(yaml);
                return node.isPresent() ? toJava(node.get(), "") : null;
            } catch (MarkedYamlEngineException e) {
                int line = e.getProblemMark().map(m -> m.getLine() + 1).orElse(0);
                problems.add(new ConfigProblem("", line, "not valid YAML: " + e.getProblem()));
                return null;
            } catch (YamlEngineException e) {
                problems.add(new ConfigProblem("", 0, "not valid YAML: " + e.getMessage()));
                return null;
            }
        }

        /** Expands {@code ${VAR}} in every string of a value in Java form. */
        Object expand(Object value, String path) {
            if (value instanceof Map<?, ?> m) {
                Map<String, Object> out = new LinkedHashMap<>();
                m.forEach((k, v) -> out.put(String.valueOf(k), expand(v, path.isEmpty() ? String.valueOf(k)
                        : path + "." + k)));
                return out;
            }
            if (value instanceof List<?> l) {
                List<Object> out = new ArrayList<>(l.size());
                for (int i = 0; i < l.size(); i++) {
                    out.add(expand(l.get(i), path + "[" + i + "]"));
                }
                return out;
            }
            if (value instanceof String str) {
                try {
                    return env.expand(str);
                } catch (EnvExpander.ExpansionException e) {
                    problem(path, e.getMessage());
                    return "";
                }
            }
            return value;
        }

        Parsed readRoot(Object root) {
            List<PluginEntry> sources = new ArrayList<>();
            List<PluginEntry> destinations = new ArrayList<>();
            List<WorkflowConfig> workflows = new ArrayList<>();
            if (root == null) {
                problem("", "the configuration is empty; it needs sources, destinations and workflows");
                return done(sources, destinations, workflows);
            }
            if (!(root instanceof Map<?, ?> top)) {
                problem("", "the configuration must be a mapping with sources, destinations and workflows");
                return done(sources, destinations, workflows);
            }
            for (Object key : top.keySet()) {
                if (!TOP_LEVEL_KEYS.contains(key.toString())) {
                    problem(key.toString(), "unknown key" + Suggestions.didYouMean(key.toString(), TOP_LEVEL_KEYS)
                            + " (known: destinations, " + LAUNCHER_BLOCK + ", sources, version, workflows)");
                }
            }
            readPlugins(top.get("sources"), "sources", "source", sources);
            readPlugins(top.get("destinations"), "destinations", "destination", destinations);
            readWorkflows(top.get("workflows"), workflows, sources, destinations);
            return done(sources, destinations, workflows);
        }

        private Parsed done(List<PluginEntry> sources, List<PluginEntry> destinations, List<WorkflowConfig> workflows) {
            problems.sort(Comparator.comparingInt(ConfigProblem::line)); // file order, as Parsed promises
            return new Parsed(new IngestConfig(origin, sources, destinations, workflows, lines), problems);
        }

        private List<?> list(Object value, String path, boolean required) {
            if (value == null) {
                if (required) {
                    problem(path, "is required: a list of " + path);
                }
                return List.of();
            }
            if (!(value instanceof List<?> l)) {
                problem(path, "must be a list");
                return List.of();
            }
            return l;
        }

        private void readPlugins(Object value, String section, String what, List<PluginEntry> out) {
            Set<String> names = new HashSet<>();
            List<?> items = list(value, section, false);
            for (int i = 0; i < items.size(); i++) {
                String path = section + "[" + i + "]";
                if (!(items.get(i) instanceof Map<?, ?> m)) {
                    problem(path, "must be a mapping with name and type");
                    continue;
                }
                String name = requiredString(m, path, "name");
                String type = requiredString(m, path, "type");
                if (name != null && !names.add(name)) {
                    problem(path + ".name", "duplicate " + what + " name '" + name + "'");
                }
                Map<String, Object> options = new LinkedHashMap<>();
                m.forEach((k, v) -> {
                    String key = k.toString();
                    if (!key.equals("name") && !key.equals("type")) {
                        options.put(key, v);
                    }
                });
                if (name != null) {
                    out.add(new PluginEntry(name, type == null ? "" : type, options, path));
                }
            }
        }

        private String requiredString(Map<?, ?> m, String path, String key) {
            Object v = m.get(key);
            if (v == null || v instanceof Map || v instanceof List || v.toString().isBlank()) {
                problem(path + "." + key, v == null ? "is required" : "must be a non-empty string");
                return null;
            }
            return v.toString();
        }

        private void readWorkflows(Object value, List<WorkflowConfig> out,
                                   List<PluginEntry> sources, List<PluginEntry> destinations) {
            Set<String> sourceNames = new HashSet<>();
            sources.forEach(s -> sourceNames.add(s.name()));
            Set<String> destinationNames = new HashSet<>();
            destinations.forEach(d -> destinationNames.add(d.name()));
            Set<String> names = new HashSet<>();
            List<?> items = list(value, "workflows", false);
            for (int i = 0; i < items.size(); i++) {
                String path = "workflows[" + i + "]";
                if (!(items.get(i) instanceof Map<?, ?> m)) {
                    problem(path, "must be a mapping with name, source and destinations");
                    continue;
                }
                for (Object k : m.keySet()) {
                    if (!WORKFLOW_KEYS.contains(k.toString())) {
                        problem(path + "." + k, "unknown key" + Suggestions.didYouMean(k.toString(), WORKFLOW_KEYS)
                                + " (known: " + String.join(", ", WORKFLOW_KEYS) + ")");
                    }
                }
                String name = requiredString(m, path, "name");
                if (name != null && !WORKFLOW_NAME.matcher(name).matches()) {
                    problem(path + ".name", "'" + name + "' may only contain letters, digits, '_' and '-'"
                            + " (it names a queue subject)");
                }
                if (name != null && !names.add(name)) {
                    problem(path + ".name", "duplicate workflow name '" + name + "'");
                }
                String source = requiredString(m, path, "source");
                if (source != null && !sourceNames.contains(source)) {
                    problem(path + ".source", "source '" + source + "' is not defined"
                            + known(" (defined sources: ", sourceNames));
                }
                List<String> dests = new ArrayList<>();
                Object dv = m.get("destinations");
                if (dv instanceof String s) {
                    dv = List.of(s);
                }
                List<?> dl = list(dv, path + ".destinations", true);
                if (dv != null && dl.isEmpty() && dv instanceof List) {
                    problem(path + ".destinations", "must name at least one destination");
                }
                Set<String> seen = new HashSet<>();
                for (int j = 0; j < dl.size(); j++) {
                    String dpath = path + ".destinations[" + j + "]";
                    Object d = dl.get(j);
                    if (d == null || d instanceof Map || d instanceof List) {
                        problem(dpath, "must be a destination name");
                        continue;
                    }
                    String dn = d.toString();
                    if (!destinationNames.contains(dn)) {
                        problem(dpath, "destination '" + dn + "' is not defined"
                                + known(" (defined destinations: ", destinationNames));
                    } else if (!seen.add(dn)) {
                        problem(dpath, "destination '" + dn + "' is listed twice");
                    }
                    dests.add(dn);
                }
                boolean cleanUp = bool(m, path, "cleanUp", false);
                boolean listDestinations = bool(m, path, "listDestinations", true);
                Duration interval = duration(m, path, "interval", WorkflowConfig.DEFAULT_INTERVAL);
                if (interval.isZero()) {
                    problem(path + ".interval", "must be longer than 0s");
                    interval = WorkflowConfig.DEFAULT_INTERVAL;
                }
                int batchSize = positive(m, path, "batchSize", WorkflowConfig.DEFAULT_BATCH_SIZE);
                int concurrency = positive(m, path, "concurrency", batchSize);
                int maxDeliver = positive(m, path, "maxDeliver", WorkflowConfig.DEFAULT_MAX_DELIVER);
                Duration backoff = duration(m, path, "backoff", WorkflowConfig.DEFAULT_BACKOFF);
                Duration maxBackoff = duration(m, path, "maxBackoff", WorkflowConfig.DEFAULT_MAX_BACKOFF);
                if (maxBackoff.compareTo(backoff) < 0) {
                    problem(path + ".maxBackoff", "must not be shorter than backoff (" + Durations.format(backoff) + ")");
                    maxBackoff = backoff;
                }
                Optional<URI> webhook = webhook(m, path);
                Optional<String> webhookSecret = Optional.empty();
                Object secret = m.get("webhookSecret");
                if (secret != null) {
                    if (secret instanceof Map || secret instanceof List || secret.toString().isEmpty()) {
                        problem(path + ".webhookSecret", "must be a non-empty string");
                    } else {
                        webhookSecret = Optional.of(secret.toString());
                        if (webhook.isEmpty() && m.get("webhook") == null) {
                            problem(path + ".webhookSecret", "is set but the workflow has no webhook");
                        }
                    }
                }
                Optional<BatchConfig> batch = batch(m.get("batch"), path + ".batch");
                if (name != null) {
                    out.add(new WorkflowConfig(name, source == null ? "" : source, dests, cleanUp, interval,
                            batchSize, concurrency, webhook, webhookSecret, maxDeliver, backoff, maxBackoff, listDestinations,
                            batch, path));
                }
            }
        }

        /** Reads a {@code batch:} block; {@code batch: {}} (or {@code batch: true}) takes every default. */
        private Optional<BatchConfig> batch(Object value, String path) {
            if (value == null || Boolean.FALSE.equals(value) || "false".equals(value)) {
                return Optional.empty();
            }
            if (Boolean.TRUE.equals(value) || "true".equals(value)) {
                return Optional.of(BatchConfig.defaults());
            }
            if (!(value instanceof Map<?, ?> m)) {
                problem(path, "must be a mapping of " + String.join(", ", BATCH_KEYS) + " (or {} for the defaults)");
                return Optional.empty();
            }
            for (Object k : m.keySet()) {
                if (!BATCH_KEYS.contains(k.toString())) {
                    problem(path + "." + k, "unknown key" + Suggestions.didYouMean(k.toString(), BATCH_KEYS)
                            + " (known: " + String.join(", ", BATCH_KEYS) + ")");
                }
            }
            BatchConfig d = BatchConfig.defaults();
            long maxRecords = positive(m, path, "maxRecords", (int) BatchConfig.DEFAULT_MAX_RECORDS, 10_000_000);
            long maxBytes = size(m, path, "maxBytes", BatchConfig.DEFAULT_MAX_BYTES, 1024, 5L << 40);
            Duration maxAge = duration(m, path, "maxAge", BatchConfig.DEFAULT_MAX_AGE);
            if (maxAge.isZero()) {
                problem(path + ".maxAge", "must be longer than 0s");
                maxAge = BatchConfig.DEFAULT_MAX_AGE;
            }
            BatchConfig.Format format = choice(m, path, "format", BatchConfig.Format.class, d.format());
            BatchConfig.Compression compression = choice(m, path, "compression", BatchConfig.Compression.class,
                    d.compression());
            var key = d.key();
            Object k = m.get("key");
            if (k != null) {
                if (k instanceof Map || k instanceof List || k.toString().isBlank()) {
                    problem(path + ".key", "must be a name template such as " + KeyTemplate.DEFAULT);
                } else {
                    KeyTemplate.Result parsed = KeyTemplate.parse(k.toString());
                    if (parsed.template().isEmpty()) {
                        problem(path + ".key", "'" + k + "' " + parsed.error());
                    } else {
                        key = parsed.template().get();
                    }
                }
            }
            int maxOpen = positive(m, path, "maxOpenBatches", BatchConfig.DEFAULT_MAX_OPEN_BATCHES, 100_000);
            return Optional.of(new BatchConfig(maxRecords, maxBytes, maxAge, format, compression, key, maxOpen));
        }

        private <E extends Enum<E>> E choice(Map<?, ?> m, String path, String key, Class<E> type, E def) {
            Object v = m.get(key);
            if (v == null) {
                return def;
            }
            List<String> names = java.util.Arrays.stream(type.getEnumConstants())
                    .map(e -> e.name().toLowerCase(java.util.Locale.ROOT)).toList();
            String s = v instanceof Map || v instanceof List ? "" : v.toString().trim().toLowerCase(java.util.Locale.ROOT);
            int i = names.indexOf(s);
            if (i < 0) {
                problem(path + "." + key, "'" + v + "' is not one of " + String.join(", ", names));
                return def;
            }
            return type.getEnumConstants()[i];
        }

        private long size(Map<?, ?> m, String path, String key, long def, long min, long max) {
            Object v = m.get(key);
            if (v == null) {
                return def;
            }
            java.util.OptionalLong n = v instanceof Map || v instanceof List ? java.util.OptionalLong.empty()
                    : PluginConfig.parseSize(v.toString());
            if (n.isEmpty()) {
                problem(path + "." + key, "'" + v + "' is not a size (write e.g. 64MiB, 512KiB or 1048576)");
                return def;
            }
            if (n.getAsLong() < min || n.getAsLong() > max) {
                problem(path + "." + key, "must be between " + PluginConfig.formatSize(min) + " and "
                        + PluginConfig.formatSize(max) + ", got " + PluginConfig.formatSize(n.getAsLong()));
                return def;
            }
            return n.getAsLong();
        }

        private String known(String prefix, Set<String> names) {
            return names.isEmpty() ? " (none are defined)" : prefix + String.join(", ", names.stream().sorted().toList()) + ")";
        }

        private boolean bool(Map<?, ?> m, String path, String key, boolean def) {
            Object v = m.get(key);
            if (v == null) {
                return def;
            }
            if (v instanceof Boolean b) {
                return b;
            }
            String s = v.toString().trim();
            if (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false")) {
                return Boolean.parseBoolean(s);
            }
            problem(path + "." + key, "must be true or false, got '" + s + "'");
            return def;
        }

        private int positive(Map<?, ?> m, String path, String key, int def) {
            return positive(m, path, key, def, 100_000);
        }

        private int positive(Map<?, ?> m, String path, String key, int def, int max) {
            Object v = m.get(key);
            if (v == null) {
                return def;
            }
            try {
                long n = v instanceof Number num && !(v instanceof Double) ? num.longValue() : Long.parseLong(v.toString().trim());
                if (n < 1 || n > max) {
                    problem(path + "." + key, "must be between 1 and " + max + ", got " + n);
                    return def;
                }
                return (int) n;
            } catch (NumberFormatException e) {
                problem(path + "." + key, "must be a whole number, got '" + v + "'");
                return def;
            }
        }

        private Duration duration(Map<?, ?> m, String path, String key, Duration def) {
            Object v = m.get(key);
            if (v == null) {
                return def;
            }
            Optional<Duration> d = v instanceof Map || v instanceof List ? Optional.empty() : Durations.parse(v.toString());
            if (d.isEmpty()) {
                problem(path + "." + key, "'" + v + "' is not a duration (write e.g. 30s, 5m, 1h or 1h30m)");
                return def;
            }
            return d.get();
        }

        private Optional<URI> webhook(Map<?, ?> m, String path) {
            Object v = m.get("webhook");
            if (v == null || v.toString().isBlank()) {
                return Optional.empty();
            }
            String shown = Secrets.redactUrl(v.toString()); // user:password@ is allowed (basic authentication)
            try {
                URI uri = new URI(v.toString().trim());
                if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                        || uri.getHost() == null) {
                    problem(path + ".webhook", "'" + shown + "' must be an http:// or https:// URL");
                    return Optional.empty();
                }
                if (uri.getPort() > 65535) { // java.net.URI takes any number; the HTTP client would refuse it
                    problem(path + ".webhook", "'" + shown + "' is not a valid http(s) URL: port " + uri.getPort()
                            + " is beyond 65535");
                    return Optional.empty();
                }
                return Optional.of(uri);
            } catch (URISyntaxException e) {
                problem(path + ".webhook", "'" + shown + "' is not a URL: " + e.getReason());
                return Optional.empty();
            }
        }

        /** Converts a YAML node to maps, lists and scalars, recording lines and expanding variables. */
        private Object toJava(Node node, String path) {
            lines.putIfAbsent(path, node.getStartMark().map(mk -> mk.getLine() + 1).orElse(0));
            if (node instanceof MappingNode mapping) {
                Map<String, Object> out = new LinkedHashMap<>();
                for (NodeTuple t : mapping.getValue()) {
                    Object k = t.getKeyNode() instanceof ScalarNode ks ? ks.getValue() : null;
                    String childPath;
                    if (k == null) {
                        problem(path, "keys must be plain strings");
                        continue;
                    }
                    childPath = path.isEmpty() ? k.toString() : path + "." + k;
                    lines.putIfAbsent(childPath, t.getKeyNode().getStartMark().map(mk -> mk.getLine() + 1).orElse(0));
                    if (out.containsKey(k.toString())) {
                        problem(childPath, "key '" + k + "' appears twice");
                    }
                    out.put(k.toString(), toJava(t.getValueNode(), childPath));
                }
                return out;
            }
            if (node instanceof SequenceNode seq) {
                List<Object> out = new ArrayList<>();
                List<Node> items = seq.getValue();
                for (int i = 0; i < items.size(); i++) {
                    out.add(toJava(items.get(i), path + "[" + i + "]"));
                }
                return out;
            }
            ScalarNode scalar = (ScalarNode) node;
            String value = scalar.getValue();
            Tag tag = scalar.getTag();
            if (Tag.NULL.equals(tag)) {
                return null;
            }
            if (Tag.BOOL.equals(tag)) {
                return Boolean.parseBoolean(value.toLowerCase(java.util.Locale.ROOT));
            }
            if (Tag.INT.equals(tag)) {
                try {
                    return Long.parseLong(value);
                } catch (NumberFormatException e) {
                    return value;
                }
            }
            if (Tag.FLOAT.equals(tag)) {
                try {
                    return Double.parseDouble(value);
                } catch (NumberFormatException e) {
                    return value;
                }
            }
            try {
                return env.expand(value);
            } catch (EnvExpander.ExpansionException e) {
                problem(path, e.getMessage());
                return "";
            }
        }
    }
}
