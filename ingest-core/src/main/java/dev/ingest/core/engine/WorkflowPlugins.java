package dev.ingest.core.engine;

import dev.ingest.api.Destination;
import dev.ingest.api.RecordSource;
import dev.ingest.api.Source;
import dev.ingest.core.config.PluginEntry;
import dev.ingest.core.config.WorkflowConfig;
import dev.ingest.core.plugin.Configured;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The plugin instances one workflow runs with: its source (objects) or record source, and its destinations, each
 * with its configured name and plugin type (for metrics and messages). The engine uses them and never closes them:
 * their owner does.
 *
 * @param sourceName the source's configured name
 * @param sourceType its plugin type
 * @param source the object source, or null for a record workflow
 * @param records the record source (an instance of the workflow's own), or null for an object workflow
 * @param destinations the destinations, in the workflow's order
 * @param destinationNames their configured names
 * @param destinationTypes their plugin types
 * @param intervalSet whether the workflow sets {@code interval} itself: a source with notifications
 *     ({@link Source#feed}) is then scanned at that interval too, else only notified
 */
public record WorkflowPlugins(String sourceName, String sourceType, Source source, RecordSource records,
                              List<Destination> destinations, List<String> destinationNames,
                              List<String> destinationTypes, boolean intervalSet) {

    /** Plugins of a workflow that does not set {@code interval} itself. */
    public WorkflowPlugins(String sourceName, String sourceType, Source source, RecordSource records,
                           List<Destination> destinations, List<String> destinationNames,
                           List<String> destinationTypes) {
        this(sourceName, sourceType, source, records, destinations, destinationNames, destinationTypes, false);
    }

    /** Validates and copies. */
    public WorkflowPlugins {
        Objects.requireNonNull(sourceName, "sourceName");
        Objects.requireNonNull(sourceType, "sourceType");
        if ((source == null) == (records == null)) {
            throw new IllegalArgumentException("exactly one of source and records is needed");
        }
        destinations = List.copyOf(destinations);
        destinationNames = List.copyOf(destinationNames);
        destinationTypes = List.copyOf(destinationTypes);
        if (destinations.size() != destinationNames.size() || destinations.size() != destinationTypes.size()) {
            throw new IllegalArgumentException("a name and a type are needed for every destination");
        }
    }

    /**
     * The plugins a configured workflow uses.
     *
     * @param configured the live plugins
     * @param w one of its workflows
     * @return the workflow's plugins
     */
    public static WorkflowPlugins of(Configured configured, WorkflowConfig w) {
        List<Destination> dests = new ArrayList<>();
        List<String> types = new ArrayList<>();
        for (String d : w.destinations()) {
            dests.add(configured.destination(d));
            types.add(typeOf(configured.config().destination(d)));
        }
        Optional<RecordSource> records = configured.recordSource(w.name());
        return new WorkflowPlugins(w.source(), typeOf(configured.config().source(w.source())),
                records.isPresent() ? null : configured.source(w.source()), records.orElse(null), dests,
                w.destinations(), types, configured.config().lines().containsKey(w.path() + ".interval"));
    }

    private static String typeOf(Optional<PluginEntry> entry) {
        return entry.map(PluginEntry::type).orElse("unknown");
    }

    /** @return the destinations with their names and types */
    List<Transfer.Named<Destination>> named() {
        List<Transfer.Named<Destination>> out = new ArrayList<>(destinations.size());
        for (int i = 0; i < destinations.size(); i++) {
            out.add(new Transfer.Named<>(destinationNames.get(i), destinationTypes.get(i), destinations.get(i)));
        }
        return out;
    }

    /** @return the object source with its name and type; only for an object workflow */
    Transfer.Named<Source> namedSource() {
        return new Transfer.Named<>(sourceName, sourceType, source);
    }
}
