package dev.ingest.core.engine;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.slf4j.MDC;

/**
 * Reads a listing on a thread of its own into a bounded buffer, so that fetching the next page overlaps with using
 * the current one. The listing's calls are only ever made from that thread, one at a time; closing stops it and
 * waits for it, so the lister is free again afterwards.
 *
 * @param <T> what is listed
 */
final class Prefetch<T> implements AutoCloseable {

    /** How many listed entries may wait to be used: a few pages of a typical listing. */
    static final int AHEAD = 4096;

    /** A listing: started once, then read until empty. */
    @FunctionalInterface
    interface Lister<T> {
        /** Starts the listing (for a source: {@code reset()}); the default does nothing. */
        default void start() throws IOException {
        }

        /** @return the next entry, or empty at the end */
        Optional<T> next() throws IOException;

        /** Releases the listing, on the listing's thread, however it ended; the default does nothing. */
        default void finish() throws IOException {
        }
    }

    private static final Object END = new Object();

    private final Lister<T> lister;
    private final String workflow;
    private final BlockingQueue<Object> buffer = new ArrayBlockingQueue<>(AHEAD);
    private final Thread thread;
    private volatile boolean closed;
    private boolean ended;

    /**
     * Starts listing at once.
     *
     * @param lister what to list
     * @param threadName the listing thread's name
     * @param workflow the workflow, for the thread's log context
     */
    Prefetch(Lister<T> lister, String threadName, String workflow) {
        this.lister = lister;
        this.workflow = workflow;
        this.thread = new Thread(this::list, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    private void list() {
        MDC.put("workflow", workflow);
        try {
            lister.start();
            for (Optional<T> next = lister.next(); next.isPresent() && !closed; next = lister.next()) {
                buffer.put(next.get());
            }
            buffer.put(END);
        } catch (InterruptedException e) {
            // closed while waiting for room: nobody reads any more
        } catch (IOException | RuntimeException | Error e) {
            try {
                buffer.put(new Failure(e));
            } catch (InterruptedException ignored) {
                // closed meanwhile
            }
        } finally {
            try {
                lister.finish();
            } catch (IOException | RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(Prefetch.class).warn("closing a listing failed: {}", e.toString());
            }
            MDC.remove("workflow");
        }
    }

    /** What the listing threw, passed on to the reader. */
    private record Failure(Throwable error) {
    }

    /**
     * @return the next entry, or null once the listing is complete
     * @throws IOException if listing failed, as the lister reported it
     * @throws InterruptedException if interrupted while waiting
     */
    @SuppressWarnings("unchecked")
    T next() throws IOException, InterruptedException {
        if (ended) {
            return null;
        }
        Object o = buffer.take();
        if (o == END) {
            ended = true;
            return null;
        }
        if (o instanceof Failure f) {
            ended = true;
            if (f.error() instanceof IOException e) {
                throw e;
            }
            if (f.error() instanceof RuntimeException e) {
                throw e;
            }
            throw (Error) f.error();
        }
        return (T) o;
    }

    /** Stops the listing thread if it is still running, and waits for it. */
    @Override
    public void close() throws InterruptedException {
        closed = true;
        if (thread.isAlive()) {
            thread.interrupt();
        }
        thread.join();
    }
}
