package dev.ingest.core.engine;

import dev.ingest.api.Codec;
import dev.ingest.api.Destination;
import dev.ingest.api.Presence;
import dev.ingest.api.Scan;
import dev.ingest.api.Source;
import dev.ingest.core.config.WorkflowConfig;
import dev.ingest.core.plugin.Configured;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Works out what a run would do without doing it: lists every workflow's source and asks every destination
 * whether it already has each object. Publishes nothing, copies nothing, deletes nothing.
 */
public final class Planner {

    private Planner() {
    }

    /**
     * The plan of one workflow.
     *
     * @param workflow the workflow name
     * @param listed objects the source lists
     * @param present objects every destination already has
     * @param toCopy objects at least one destination lacks
     * @param bytesToCopy bytes of the objects to copy, as listed
     * @param unknownSizes objects to copy whose size the source does not tell
     * @param error why planning stopped early, or empty
     */
    public record WorkflowPlan(String workflow, long listed, long present, long toCopy, long bytesToCopy,
                               long unknownSizes, String error) {
    }

    /**
     * @param configured the live plugins and workflows
     * @return one plan per workflow, in configuration order
     */
    public static List<WorkflowPlan> plan(Configured configured) {
        List<WorkflowPlan> plans = new ArrayList<>();
        for (WorkflowConfig w : configured.workflows()) {
            plans.add(plan(configured, w));
        }
        return plans;
    }

    private static WorkflowPlan plan(Configured configured, WorkflowConfig w) {
        Source source = configured.source(w.source());
        List<Destination> destinations = w.destinations().stream().map(configured::destination).toList();
        long listed = 0;
        long present = 0;
        long toCopy = 0;
        long bytes = 0;
        long unknown = 0;
        String error = "";
        try (Scan scan = source.scan()) {
            for (Optional<Codec> next = scan.next(); next.isPresent(); next = scan.next()) {
                Codec codec = next.get();
                listed++;
                boolean everywhere = true;
                for (Destination d : destinations) {
                    Optional<Presence> held = d.check(codec);
                    if (held.isEmpty() || w.cleanUp() && !held.get().verified()) { // as the dequeuer decides
                        everywhere = false;
                        break;
                    }
                }
                if (everywhere) {
                    present++;
                } else {
                    toCopy++;
                    if (codec.size() >= 0) {
                        bytes += codec.size();
                    } else {
                        unknown++;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            error = e.toString();
        }
        return new WorkflowPlan(w.name(), listed, present, toCopy, bytes, unknown, error);
    }
}
