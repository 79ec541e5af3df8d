package dev.ingest.core.engine;

import dev.ingest.api.CheckpointUpdate;
import dev.ingest.api.Codec;
import dev.ingest.api.DataRecord;
import dev.ingest.api.Destination;
import dev.ingest.api.Presence;
import dev.ingest.api.RecordContext;
import dev.ingest.api.RecordSource;
import dev.ingest.api.Scan;
import dev.ingest.api.Source;
import dev.ingest.core.config.WorkflowConfig;
import dev.ingest.core.plugin.Configured;
import dev.ingest.api.PoisonException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

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
     * @param records for a record workflow, the records its source would read now from the beginning (at most
     *     {@value #RECORD_LIMIT}); -1 for an object workflow
     * @param recordsCut whether counting stopped at {@value #RECORD_LIMIT} records or after {@link #RECORD_TIME}
     * @param sourceStatus for a record workflow, what its source last reported while it was counting (a tail source:
     *     each file's offset and size), in its order; empty otherwise
     * @param errorPermanent whether the error can never go away by trying again (a {@link PoisonException}: refused
     *     credentials, a permission denied), as against a server that could not be reached now
     */
    public record WorkflowPlan(String workflow, long listed, long present, long toCopy, long bytesToCopy,
                               long unknownSizes, String error, long records, boolean recordsCut,
                               Map<String, String> sourceStatus, boolean errorPermanent) {

        /** Copies the status, keeping its order. */
        public WorkflowPlan {
            sourceStatus = Collections.unmodifiableMap(new LinkedHashMap<>(sourceStatus));
        }

        /** A plan whose error, if any, is not known to be permanent. */
        public WorkflowPlan(String workflow, long listed, long present, long toCopy, long bytesToCopy,
                            long unknownSizes, String error, long records, boolean recordsCut,
                            Map<String, String> sourceStatus) {
            this(workflow, listed, present, toCopy, bytesToCopy, unknownSizes, error, records, recordsCut, sourceStatus,
                    false);
        }

        /** @return whether the source reads records (the plan counts them instead of objects) */
        public boolean readsRecords() {
            return records >= 0;
        }
    }

    /** A dry run counts at most this many records of a record source. */
    public static final long RECORD_LIMIT = 100_000;
    /** A dry run counts a record source's records for at most this long. */
    public static final Duration RECORD_TIME = Duration.ofSeconds(10);


    /**
     * @param configured the live plugins and workflows
     * @return one plan per workflow, in configuration order
     */
    public static List<WorkflowPlan> plan(Configured configured) {
        return plan(configured, (workflow, codec, present) -> { });
    }

    /** Told of each object a plan lists. */
    @FunctionalInterface
    public interface ObjectListener {
        /**
         * @param workflow the workflow
         * @param codec the object as its source lists it
         * @param present whether every destination already has it (a run would not copy it)
         */
        void listed(String workflow, Codec codec, boolean present);
    }

    /**
     * @param configured the live plugins and workflows
     * @param listener told of each object listed, in listing order, as the plans are made
     * @return one plan per workflow, in configuration order
     */
    public static List<WorkflowPlan> plan(Configured configured, ObjectListener listener) {
        List<WorkflowPlan> plans = new ArrayList<>();
        for (WorkflowConfig w : configured.workflows()) {
            plans.add(plan(configured, w, listener));
        }
        return plans;
    }

    private static WorkflowPlan plan(Configured configured, WorkflowConfig w, ObjectListener listener) {
        Optional<RecordSource> records = configured.recordSource(w.name());
        if (records.isPresent()) {
            return planRecords(w, records.get());
        }
        Source source = configured.source(w.source());
        List<Destination> destinations = w.destinations().stream().map(configured::destination).toList();
        long listed = 0;
        long present = 0;
        long toCopy = 0;
        long bytes = 0;
        long unknown = 0;
        String error = "";
        boolean permanent = false;
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
                listener.listed(w.name(), codec, everywhere);
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
            error = describe(e);
            permanent = e instanceof PoisonException;
        }
        return new WorkflowPlan(w.name(), listed, present, toCopy, bytes, unknown, error, -1, false, Map.of(),
                permanent);
    }

    /**
     * Runs a record source once with a context that counts what it hands over and keeps nothing but what the source
     * reports: no checkpoint (the count is from the beginning), nothing published. Stops at {@link #RECORD_LIMIT}
     * records or {@link #RECORD_TIME}.
     */
    private static WorkflowPlan planRecords(WorkflowConfig w, RecordSource source) {
        AtomicReference<Map<String, String>> reported = new AtomicReference<>(Map.of());
        AtomicLong count = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        long deadline = System.nanoTime() + RECORD_TIME.toNanos();
        RecordContext counting = new RecordContext() {
            @Override
            public Map<String, byte[]> checkpoint() {
                return Map.of();
            }

            @Override
            public CompletionStage<Void> emit(List<DataRecord> list, CheckpointUpdate update) {
                count.addAndGet(list.size());
                list.forEach(r -> bytes.addAndGet(r.data().length));
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public int maxRecordBytes() {
                return 960 * 1024;
            }

            @Override
            public boolean once() {
                return true;
            }

            @Override
            public boolean stopping() {
                return count.get() >= RECORD_LIMIT || System.nanoTime() - deadline > 0;
            }

            @Override
            public boolean awaitStop(Duration timeout) {
                return true;
            }

            @Override
            public void status(Map<String, String> status) {
                reported.set(new LinkedHashMap<>(status));
            }
        };
        String error = "";
        boolean permanent = false;
        try {
            source.run(counting);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            error = "interrupted";
        } catch (IOException | RuntimeException e) {
            error = describe(e);
            permanent = e instanceof PoisonException;
        }
        return new WorkflowPlan(w.name(), 0, 0, 0, bytes.get(), 0, error, count.get(),
                error.isEmpty() && counting.stopping(), reported.get(), permanent);
    }

    /**
     * @param e why planning stopped
     * @return its message, for users: no class name, unless it has no message (a bug: then the class says most)
     */
    static String describe(Exception e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            return e.getClass().getSimpleName();
        }
        return m;
    }
}
