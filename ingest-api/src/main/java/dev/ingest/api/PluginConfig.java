package dev.ingest.api;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The configuration of one source or destination, with typed accessors that collect problems instead of
 * failing on the first, so that a plugin reports every mistake at once:
 *
 * <pre>{@code
 * String path = config.string("path");
 * boolean recursive = config.bool("recursive", true);
 * config.validate(); // throws ConfigException listing every problem recorded above
 * }</pre>
 *
 * <p>Values come from YAML after {@code ${VAR}} expansion: strings, booleans, numbers, lists and maps. The
 * accessors accept a string where a boolean or number is expected if it parses ({@code "true"}, {@code "8"}).
 *
 * <p>Lifecycle: created by the engine for one factory call. Not thread-safe.
 */
public final class PluginConfig {

    private final String name;
    private final Map<String, Object> values;
    private final List<String> problems = new ArrayList<>();

    private PluginConfig(String name, Map<String, ?> values) {
        this.name = Objects.requireNonNull(name, "name");
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(values, "values")));
    }

    /**
     * @param name the configured name of the source or destination ({@code name:} in YAML)
     * @param values the plugin's keys and values, without {@code name} and {@code type}
     * @return the configuration
     */
    public static PluginConfig of(String name, Map<String, ?> values) {
        return new PluginConfig(name, values);
    }

    /**
     * The configured name of this source or destination.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * All values, unmodifiable.
     *
     * @return the values by key
     */
    public Map<String, Object> values() {
        return values;
    }

    /**
     * Whether the key is present.
     *
     * @param key the key
     * @return true if present (even if its value is empty)
     */
    public boolean has(String key) {
        return values.containsKey(key) && values.get(key) != null;
    }

    /**
     * A required string. Records a problem if it is missing, blank or not a scalar.
     *
     * @param key the key
     * @return the value, or an empty string after recording a problem
     */
    public String string(String key) {
        Optional<String> value = optionalString(key);
        if (value.isEmpty() && !problems.stream().anyMatch(p -> p.startsWith(key + ":"))) {
            problem(key, "is required");
        }
        return value.orElse("");
    }

    /**
     * An optional string. Records a problem if present but blank or not a scalar.
     *
     * @param key the key
     * @return the value, or empty if absent or wrong
     */
    public Optional<String> optionalString(String key) {
        Object value = values.get(key);
        if (value == null) {
            return Optional.empty();
        }
        if (value instanceof Map || value instanceof List) {
            problem(key, "must be a single value, not a list or map");
            return Optional.empty();
        }
        String s = value.toString();
        if (s.isBlank()) {
            problem(key, "must not be empty");
            return Optional.empty();
        }
        return Optional.of(s);
    }

    /**
     * A boolean, {@code true} or {@code false}.
     *
     * @param key the key
     * @param defaultValue returned when the key is absent
     * @return the value
     */
    public boolean bool(String key, boolean defaultValue) {
        Object value = values.get(key);
        if (value == null) {
            return defaultValue;
        }
        if (value instanceof Boolean b) {
            return b;
        }
        String s = value.toString().trim();
        if (s.equalsIgnoreCase("true")) {
            return true;
        }
        if (s.equalsIgnoreCase("false")) {
            return false;
        }
        problem(key, "must be true or false, got '" + s + "'");
        return defaultValue;
    }

    /**
     * A whole number.
     *
     * @param key the key
     * @param defaultValue returned when the key is absent
     * @param min the smallest allowed value
     * @return the value
     */
    public long number(String key, long defaultValue, long min) {
        Object value = values.get(key);
        if (value == null) {
            return defaultValue;
        }
        long n;
        if (value instanceof Integer || value instanceof Long || value instanceof Short) {
            n = ((Number) value).longValue();
        } else {
            try {
                n = Long.parseLong(value.toString().trim());
            } catch (NumberFormatException e) {
                problem(key, "must be a whole number, got '" + value + "'");
                return defaultValue;
            }
        }
        if (n < min) {
            problem(key, "must be at least " + min + ", got " + n);
            return defaultValue;
        }
        return n;
    }

    /**
     * A list of strings; a single string counts as a list of one.
     *
     * @param key the key
     * @return the values, empty when absent
     */
    public List<String> stringList(String key) {
        Object value = values.get(key);
        if (value == null) {
            return List.of();
        }
        if (value instanceof List<?> list) {
            List<String> out = new ArrayList<>(list.size());
            for (int i = 0; i < list.size(); i++) {
                Object item = list.get(i);
                if (item == null || item instanceof Map || item instanceof List) {
                    problem(key + "[" + i + "]", "must be a string");
                } else {
                    out.add(item.toString());
                }
            }
            return List.copyOf(out);
        }
        if (value instanceof Map) {
            problem(key, "must be a list of strings, not a map");
            return List.of();
        }
        return List.of(value.toString());
    }

    /**
     * A map of strings to strings (for example HTTP headers).
     *
     * @param key the key
     * @return the entries in configuration order, empty when absent
     */
    public Map<String, String> stringMap(String key) {
        Object value = values.get(key);
        if (value == null) {
            return Map.of();
        }
        if (!(value instanceof Map<?, ?> map)) {
            problem(key, "must be a map");
            return Map.of();
        }
        Map<String, String> out = new LinkedHashMap<>();
        map.forEach((k, v) -> {
            if (v == null || v instanceof Map || v instanceof List) {
                problem(key + "." + k, "must be a single value");
            } else {
                out.put(String.valueOf(k), v.toString());
            }
        });
        return Collections.unmodifiableMap(out);
    }

    /**
     * Records a problem found by the plugin's own checks.
     *
     * @param key the key the problem is about
     * @param message what is wrong, without the key
     */
    public void problem(String key, String message) {
        problems.add(key + ": " + message);
    }

    /**
     * The problems recorded so far.
     *
     * @return the problems, each {@code "key: message"}
     */
    public List<String> problems() {
        return List.copyOf(problems);
    }

    /**
     * Throws if any problem was recorded.
     *
     * @throws ConfigException carrying every recorded problem
     */
    public void validate() throws ConfigException {
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }
}
