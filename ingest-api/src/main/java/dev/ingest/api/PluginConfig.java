package dev.ingest.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
     * A duration in the engine's syntax: a number and a unit, or several ({@code 250ms}, {@code 30s}, {@code 5m},
     * {@code 1h30m}, {@code 2d}; units {@code ns}, {@code us}, {@code ms}, {@code s}, {@code m}, {@code h},
     * {@code d}), or {@code 0}.
     *
     * @param key the key
     * @param defaultValue returned when the key is absent or wrong
     * @param min the shortest allowed duration
     * @return the value
     */
    public Duration duration(String key, Duration defaultValue, Duration min) {
        Object value = values.get(key);
        if (value == null) {
            return defaultValue;
        }
        if (value instanceof Map || value instanceof List) {
            problem(key, "must be a duration such as 30s, 5m or 1h30m, not a list or map");
            return defaultValue;
        }
        Optional<Duration> d = parseDuration(value.toString());
        if (d.isEmpty()) {
            problem(key, "'" + value + "' is not a duration (write e.g. 250ms, 30s, 5m or 1h30m)");
            return defaultValue;
        }
        if (d.get().compareTo(min) < 0) {
            problem(key, "must be at least " + min.toMillis() + "ms, got " + d.get().toMillis() + "ms");
            return defaultValue;
        }
        return d.get();
    }

    /**
     * A size in bytes: a whole number of bytes, or a number with a binary unit ({@code 512KiB}, {@code 64MiB},
     * {@code 1GiB}, {@code 2TiB}; {@code K}, {@code M}, {@code G}, {@code T}, {@code KB}, {@code MB}, {@code GB} and
     * {@code TB} mean the same binary units).
     *
     * @param key the key
     * @param defaultValue returned when the key is absent or wrong
     * @param min the smallest allowed size
     * @param max the largest allowed size
     * @return the size in bytes
     */
    public long size(String key, long defaultValue, long min, long max) {
        Object value = values.get(key);
        if (value == null) {
            return defaultValue;
        }
        if (value instanceof Map || value instanceof List) {
            problem(key, "must be a size such as 16MiB or 16777216, not a list or map");
            return defaultValue;
        }
        String s = value.toString().trim();
        OptionalLong n = parseSize(s);
        if (n.isEmpty()) {
            problem(key, "'" + s + "' is not a size (write e.g. 16MiB, 5242880 or 1GiB)");
            return defaultValue;
        }
        if (n.getAsLong() < min) {
            problem(key, "must be at least " + formatSize(min) + ", got " + formatSize(n.getAsLong()));
            return defaultValue;
        }
        if (n.getAsLong() > max) {
            problem(key, "must be at most " + formatSize(max) + ", got " + formatSize(n.getAsLong()));
            return defaultValue;
        }
        return n.getAsLong();
    }

    private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h|d)");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmgt]i?b?)?", Pattern.CASE_INSENSITIVE);

    /**
     * Parses a duration in the engine's syntax (see {@link #duration(String, Duration, Duration)}).
     *
     * @param text for example {@code 30s}, {@code 5m}, {@code 1h30m}, {@code 250ms}
     * @return the duration, or empty if the text is not one
     */
    public static Optional<Duration> parseDuration(String text) {
        if (text == null) {
            return Optional.empty();
        }
        String s = text.trim();
        if (s.isEmpty()) {
            return Optional.empty();
        }
        if (s.equals("0")) {
            return Optional.of(Duration.ZERO);
        }
        Matcher m = DURATION_PART.matcher(s);
        int at = 0;
        double nanos = 0;
        while (at < s.length()) {
            if (!m.find(at) || m.start() != at) {
                return Optional.empty();
            }
            double value = Double.parseDouble(m.group(1));
            nanos += value * switch (m.group(2)) {
                case "ns" -> 1d;
                case "us", "µs" -> 1e3;
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                case "h" -> 3600e9;
                default -> 86400e9;
            };
            at = m.end();
        }
        if (nanos > Long.MAX_VALUE) {
            return Optional.empty();
        }
        return Optional.of(Duration.ofNanos(Math.round(nanos))); // (long) would turn 2.01s into 2.009999999s
    }

    /**
     * Parses a size in the engine's syntax (see {@link #size(String, long, long, long)}).
     *
     * @param text for example {@code 64MiB}, {@code 512KiB} or {@code 1048576}
     * @return the size in bytes, or empty if the text is not one (or too large)
     */
    public static OptionalLong parseSize(String text) {
        if (text == null) {
            return OptionalLong.empty();
        }
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) {
            return OptionalLong.empty();
        }
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
        long factor = m.group(2) == null ? 1 : switch (Character.toLowerCase(m.group(2).charAt(0))) {
            case 'k' -> 1L << 10;
            case 'm' -> 1L << 20;
            case 'g' -> 1L << 30;
            default -> 1L << 40;
        };
        if (n > Long.MAX_VALUE / factor) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(n * factor);
    }

    /**
     * A byte count in the largest binary unit that divides it, as {@link #parseSize(String)} reads it back.
     *
     * @param n bytes
     * @return e.g. {@code 16MiB}, {@code 512KiB} or {@code 1000} (bytes)
     */
    public static String formatSize(long n) {
        String[] units = {"TiB", "GiB", "MiB", "KiB"};
        for (int i = 0; i < units.length; i++) {
            long unit = 1L << (10 * (4 - i));
            if (n != 0 && n % unit == 0) {
                return n / unit + units[i];
            }
        }
        return Long.toString(n);
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
