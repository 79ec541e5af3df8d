package dev.ingest.core.engine;

import dev.ingest.api.Codec;
import dev.ingest.api.Destination;
import dev.ingest.api.Inventory;
import dev.ingest.api.Listed;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Walks the listings of a workflow's destinations beside its source's listing, one source object at a time, and
 * tells for each object which destinations certainly hold it and which certainly lack it. Both sides are read in
 * ascending name order (by UTF-8 bytes), like a merge join, so memory stays constant whatever the number of
 * objects; each destination's listing is fetched ahead on a thread of its own.
 *
 * <p>It never guesses. An object is "held" only when the destination's entry of the same name is that object by
 * the destination's own {@link Destination#holds} rule; "lacking" only when the destination's complete, ordered
 * listing has no entry of that name. Anything else is unknown, and the dequeuer asks {@link Destination#stat}
 * as it would without a listing: when a destination cannot be listed, its listing fails or turns out not to be in
 * order, or the source lists out of order. A destination listing out of order is only noticed when it goes back;
 * until then an object may be taken for lacking, which costs a copy that was not needed, never a copy missed: an
 * object is held only by an entry of exactly its name.
 *
 * <p>Not thread-safe: used by the scanning thread.
 */
final class ListingComparison implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ListingComparison.class);

    /**
     * What the listings say about one source object.
     *
     * @param heldEverywhere every destination holds it
     * @param lackingAt the destinations whose listing shows they lack it
     */
    record Verdict(boolean heldEverywhere, List<String> lackingAt) {
        static final Verdict UNKNOWN = new Verdict(false, List.of());
    }

    private final String workflow;
    private final List<Cursor> cursors;
    private String lastSourceName;

    private ListingComparison(String workflow, List<Cursor> cursors) {
        this.workflow = workflow;
        this.cursors = cursors;
    }

    /**
     * Starts listing every destination that can be listed.
     *
     * @param workflow the workflow, for logs
     * @param destinations its destinations
     * @param metrics where list operations are counted
     * @return the comparison; close it after the scan
     */
    static ListingComparison start(String workflow, List<Transfer.Named<Destination>> destinations,
                                   Timing metrics) {
        List<Cursor> cursors = new ArrayList<>();
        for (Transfer.Named<Destination> d : destinations) {
            Optional<Inventory> inventory;
            try {
                inventory = d.plugin().inventory();
            } catch (IOException | RuntimeException e) {
                LOG.warn("workflow {}: cannot list destination {} ({}); every object is checked there one by one",
                        workflow, d.name(), e.toString());
                metrics.listed(d, false);
                inventory = Optional.empty();
            }
            cursors.add(new Cursor(workflow, d, inventory.orElse(null), metrics));
        }
        return new ListingComparison(workflow, cursors);
    }

    /** Counts destination listings. */
    @FunctionalInterface
    interface Timing {
        void listed(Transfer.Named<Destination> destination, boolean ok);
    }

    /** @return whether any destination is being listed (otherwise every verdict is unknown) */
    boolean active() {
        return cursors.stream().anyMatch(c -> c.listing != null);
    }

    /**
     * Compares the next object of the source's listing.
     *
     * @param codec the object, in the source's listing order
     * @return what the destinations' listings say about it
     * @throws InterruptedException if interrupted while waiting for a listing
     */
    Verdict compare(Codec codec) throws InterruptedException {
        String name = codec.name();
        if (lastSourceName != null && Inventory.compareNames(name, lastSourceName) <= 0) {
            // Out of order (or a repeated name): the cursors are past it already. Nothing is known about it.
            LOG.debug("workflow {}: source lists {} after {}; checking it one by one", workflow, name, lastSourceName);
            return Verdict.UNKNOWN;
        }
        lastSourceName = name;
        boolean everywhere = !cursors.isEmpty();
        List<String> lacking = List.of();
        for (Cursor c : cursors) {
            State s = c.seek(codec);
            everywhere &= s == State.HELD;
            if (s == State.LACKING) {
                if (lacking.isEmpty()) {
                    lacking = new ArrayList<>(cursors.size());
                }
                lacking.add(c.destination.name());
            }
        }
        return everywhere ? new Verdict(true, List.of()) : lacking.isEmpty() ? Verdict.UNKNOWN
                : new Verdict(false, List.copyOf(lacking));
    }

    /** Stops the listings still running. */
    @Override
    public void close() throws InterruptedException {
        for (Cursor c : cursors) {
            c.close();
        }
    }

    private enum State { HELD, LACKING, UNKNOWN }

    /** One destination's listing, read ahead, and where the comparison is in it. */
    private static final class Cursor {
        private final String workflow;
        private final Transfer.Named<Destination> destination;
        private final Timing metrics;
        private Prefetch<Listed> listing;
        private Inventory inventory;
        private Listed head;
        private boolean started;
        private boolean failed;

        Cursor(String workflow, Transfer.Named<Destination> destination, Inventory inventory, Timing metrics) {
            this.workflow = workflow;
            this.destination = destination;
            this.metrics = metrics;
            this.inventory = inventory;
            if (inventory != null) {
                this.listing = new Prefetch<>(inventory::next, "list-" + destination.name(), workflow);
            }
        }

        /** Moves to the codec's name (never back) and says whether this destination holds or lacks it. */
        State seek(Codec codec) throws InterruptedException {
            if (listing == null) {
                return State.UNKNOWN;
            }
            try {
                if (!started) {
                    started = true;
                    head = listing.next();
                }
                while (head != null && Inventory.compareNames(head.name(), codec.name()) < 0) {
                    Listed next = listing.next();
                    if (next != null && Inventory.compareNames(next.name(), head.name()) <= 0) {
                        giveUp("it lists " + next.name() + " after " + head.name() + ", out of order", null);
                        return State.UNKNOWN;
                    }
                    head = next;
                }
                if (head == null || !head.name().equals(codec.name())) {
                    return State.LACKING; // the listing ended, or went past the name, without it
                }
                return destination.plugin().holds(codec, head) ? State.HELD : State.UNKNOWN;
            } catch (IOException | RuntimeException e) {
                giveUp("listing failed", e);
                return State.UNKNOWN;
            }
        }

        private void giveUp(String why, Exception e) throws InterruptedException {
            LOG.warn("workflow {}: stopped comparing with the listing of destination {} ({}{}); the rest of the objects "
                    + "are checked there one by one", workflow, destination.name(), why, e == null ? "" : ": " + e);
            failed = true;
            close();
        }

        void close() throws InterruptedException {
            if (listing == null) {
                return;
            }
            metrics.listed(destination, !failed);
            Prefetch<Listed> l = listing;
            listing = null;
            try {
                l.close();
            } finally {
                try {
                    inventory.close();
                } catch (IOException | RuntimeException e) {
                    LOG.debug("closing the listing of {} failed: {}", destination.name(), e.toString());
                }
                inventory = null;
            }
        }
    }
}
