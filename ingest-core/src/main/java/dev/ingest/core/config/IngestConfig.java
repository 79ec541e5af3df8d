package dev.ingest.core.config;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A configuration as read from YAML: sources, destinations and workflows. Built by {@link ConfigLoader}, which
 * also reports what is wrong with it; plugin-specific checks happen when the plugins are configured.
 *
 * @param origin the file (or other origin) it was read from, for messages
 * @param sources the {@code sources:} entries in file order
 * @param destinations the {@code destinations:} entries in file order
 * @param workflows the {@code workflows:} entries in file order
 * @param lines the line of each field path, for messages
 */
public record IngestConfig(
        String origin,
        List<PluginEntry> sources,
        List<PluginEntry> destinations,
        List<WorkflowConfig> workflows,
        Map<String, Integer> lines) {

    /** Validates and copies the fields. */
    public IngestConfig {
        Objects.requireNonNull(origin, "origin");
        sources = List.copyOf(sources);
        destinations = List.copyOf(destinations);
        workflows = List.copyOf(workflows);
        lines = Map.copyOf(lines);
    }

    /**
     * A problem at a field path, with the line of that path (or of its nearest parent) when known.
     *
     * @param path the field path
     * @param message what is wrong
     * @return the problem
     */
    public ConfigProblem problem(String path, String message) {
        return new ConfigProblem(path, lineOf(path), message);
    }

    /**
     * @param path a field path like {@code sources[0].bucket}
     * @return its line, or that of its nearest parent, or 0
     */
    public int lineOf(String path) {
        String p = path;
        while (!p.isEmpty()) {
            Integer line = lines.get(p);
            if (line != null) {
                return line;
            }
            int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
            p = cut <= 0 ? "" : p.substring(0, cut);
        }
        return 0;
    }

    /**
     * @param name a source name
     * @return the source entry with that name
     */
    public Optional<PluginEntry> source(String name) {
        return sources.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    /**
     * @param name a destination name
     * @return the destination entry with that name
     */
    public Optional<PluginEntry> destination(String name) {
        return destinations.stream().filter(d -> d.name().equals(name)).findFirst();
    }
}
