package dev.ingest.core.plugin;

import dev.ingest.api.Destination;
import dev.ingest.api.RecordSource;
import dev.ingest.api.Source;
import dev.ingest.core.config.ConfigProblem;
import dev.ingest.core.config.IngestConfig;
import dev.ingest.core.config.WorkflowConfig;
import java.io.Closeable;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The result of configuring every plugin of a configuration: live sources and destinations by name and the
 * workflows that can run. Closing it closes every source and destination.
 */
public final class Configured implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(Configured.class);

    private final IngestConfig config;
    private final Map<String, Source> sources;
    private final Map<String, Destination> destinations;
    private final Map<String, RecordSource> recordSources;
    private final List<WorkflowConfig> workflows;
    private final List<ConfigProblem> skipped;
    private boolean closed;

    Configured(IngestConfig config, Map<String, Source> sources, Map<String, Destination> destinations,
               Map<String, RecordSource> recordSources, List<WorkflowConfig> workflows, List<ConfigProblem> skipped) {
        this.config = config;
        this.sources = Map.copyOf(sources);
        this.destinations = Map.copyOf(destinations);
        this.recordSources = Map.copyOf(recordSources);
        this.workflows = List.copyOf(workflows);
        this.skipped = List.copyOf(skipped);
    }

    /** @return the configuration these plugins were created from */
    public IngestConfig config() {
        return config;
    }

    /** @return the workflows that can run, in file order */
    public List<WorkflowConfig> workflows() {
        return workflows;
    }

    /**
     * @param name a source name used by one of {@link #workflows()}
     * @return the source
     */
    public Source source(String name) {
        Source s = sources.get(name);
        if (s == null) {
            throw new IllegalArgumentException("no configured source named '" + name + "'");
        }
        return s;
    }

    /**
     * @param workflow a workflow of {@link #workflows()}
     * @return its record source (an instance of its own), or empty when its source lists objects
     */
    public java.util.Optional<RecordSource> recordSource(String workflow) {
        return java.util.Optional.ofNullable(recordSources.get(workflow));
    }

    /**
     * @param name a destination name used by one of {@link #workflows()}
     * @return the destination
     */
    public Destination destination(String name) {
        Destination d = destinations.get(name);
        if (d == null) {
            throw new IllegalArgumentException("no configured destination named '" + name + "'");
        }
        return d;
    }

    /** @return the problems of the workflows skipped because {@code strictWorkflows} was off */
    public List<ConfigProblem> skippedProblems() {
        return skipped;
    }

    /** Closes every source and destination. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        sources.forEach((name, s) -> closeQuietly(s, "source " + name));
        recordSources.forEach((workflow, r) -> closeQuietly(r, "record source of workflow " + workflow));
        destinations.forEach((name, d) -> closeQuietly(d, "destination " + name));
    }

    /**
     * Closes a plugin instance, logging (never throwing) what fails.
     *
     * @param c the instance
     * @param what names it in the log
     */
    public static void closeQuietly(Closeable c, String what) {
        try {
            c.close();
        } catch (IOException | RuntimeException e) {
            LOG.warn("closing {} failed: {}", what, e.toString());
        }
    }
}
