package dev.ingest.plugin.s3;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.MDC;
import software.amazon.awssdk.services.s3.model.CompletedPart;

/**
 * The parts of one multipart upload (or copy), sent in parallel: at most {@code concurrency} at once, on the
 * destination's part threads, while the thread that owns the upload reads the next part.
 *
 * <p>Used by one thread (the owner): {@link #submit} parts in order, then {@link #awaitAll()}; on any failure,
 * {@link #cancel()} before aborting the upload. A part that fails makes the next {@code submit} or
 * {@code awaitAll} throw its exception; parts submitted after a failure are not sent.
 */
final class ParallelParts {

    /** Sends one part. */
    @FunctionalInterface
    interface Job {
        /**
         * @return the part's number and ETag
         * @throws IOException if the part could not be sent
         */
        CompletedPart send() throws IOException;
    }

    private static final int NEW = 0;
    private static final int RUNNING = 1;
    private static final int DONE = 2;
    private static final int DROPPED = 3;

    private final ExecutorService executor;
    private final Semaphore slots;
    private final String what;
    private final List<Task> tasks = new ArrayList<>();
    private final Object lock = new Object();
    /** Tasks inside {@link Task#run()}; guarded by {@link #lock}. */
    private int running;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    /**
     * @param executor runs the parts
     * @param concurrency the most parts sent at once
     * @param what what is being stored, for messages
     */
    ParallelParts(ExecutorService executor, int concurrency, String what) {
        this.executor = executor;
        this.slots = new Semaphore(concurrency);
        this.what = what;
    }

    /**
     * Sends a part once fewer than {@code concurrency} parts are being sent; waits until then.
     *
     * @param job sends the part
     * @param cleanup runs once the part is sent, failed or dropped (or at once if it is not submitted): gives
     *     back its buffer
     * @throws IOException the failure of an earlier part; an {@link java.io.InterruptedIOException} if
     *     interrupted while waiting; an IOException if the destination is closed
     */
    void submit(Job job, Runnable cleanup) throws IOException {
        boolean acquired = false;
        Runnable pending = cleanup;
        try {
            rethrowFailure();
            try {
                slots.acquire();
            } catch (InterruptedException e) {
                throw S3Errors.interruption(what, e);
            }
            acquired = true;
            rethrowFailure();
            Task task = new Task(job, cleanup, MDC.getCopyOfContextMap());
            try {
                task.future = executor.submit(task);
            } catch (RejectedExecutionException e) {
                throw new IOException(what + ": the destination is closed", e);
            }
            tasks.add(task);
            acquired = false;
            pending = null;
        } finally {
            if (acquired) {
                slots.release();
            }
            if (pending != null) {
                pending.run();
            }
        }
    }

    /**
     * Waits for every submitted part.
     *
     * @return the parts in the order they were submitted
     * @throws IOException the first failure of a part, or an {@link java.io.InterruptedIOException}
     */
    List<CompletedPart> awaitAll() throws IOException {
        List<CompletedPart> done = new ArrayList<>(tasks.size());
        for (Task task : tasks) {
            try {
                task.future.get();
            } catch (InterruptedException e) {
                throw S3Errors.interruption(what, e);
            } catch (ExecutionException | CancellationException e) {
                // Task.run() catches everything: only cancel() ends a task so, after a failure.
                rethrowFailure();
                throw new IllegalStateException(what + ": the parts were cancelled", e);
            }
            rethrowFailure();
            done.add(task.result);
        }
        return done;
    }

    /**
     * Stops: parts not yet started are dropped (and their cleanup run), parts being sent are interrupted, and
     * this returns once no part is being sent any more, so that the upload can be aborted for good. Keeps the
     * calling thread's interrupt status.
     */
    void cancel() {
        List<Task> dropped = new ArrayList<>();
        List<Task> started = new ArrayList<>();
        synchronized (lock) {
            for (Task task : tasks) {
                if (task.state == NEW) {
                    task.state = DROPPED;
                    dropped.add(task);
                } else if (task.state == RUNNING) {
                    started.add(task);
                }
            }
        }
        for (Task task : dropped) {
            task.future.cancel(false);
            try {
                task.cleanup.run();
            } finally {
                slots.release();
            }
        }
        for (Task task : started) {
            task.future.cancel(true); // the SDK aborts a call on an interrupted thread
        }
        boolean interrupted = false;
        synchronized (lock) {
            while (running > 0) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void rethrowFailure() throws IOException {
        Throwable t = failure.get();
        if (t == null) {
            return;
        }
        if (t instanceof IOException e) {
            throw e;
        }
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new UncheckedIOException(new IOException(what + " failed", t));
    }

    /** One part on its way. */
    private final class Task implements Runnable {
        private final Job job;
        private final Runnable cleanup;
        private final Map<String, String> mdc;
        /** Guarded by {@link #lock}. */
        private int state = NEW;
        private volatile CompletedPart result;
        private volatile Future<?> future;

        Task(Job job, Runnable cleanup, Map<String, String> mdc) {
            this.job = job;
            this.cleanup = cleanup;
            this.mdc = mdc;
        }

        @Override
        public void run() {
            synchronized (lock) {
                if (state != NEW) {
                    return;
                }
                state = RUNNING;
                running++;
            }
            if (mdc != null) {
                MDC.setContextMap(mdc);
            }
            try {
                result = job.send();
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            } finally {
                try {
                    cleanup.run();
                } finally {
                    slots.release();
                    MDC.clear();
                    synchronized (lock) {
                        state = DONE;
                        running--;
                        lock.notifyAll();
                    }
                }
            }
        }
    }
}
