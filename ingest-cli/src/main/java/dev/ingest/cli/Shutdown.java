package dev.ingest.cli;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * SIGTERM/SIGINT handling for the launcher. On a signal the JVM runs the shutdown hook, which asks the running
 * command to stop and then waits until {@link Main} reports that the command returned, after every resource
 * (engine, queue connection, plugins, embedded nats-server) is closed; the process then exits with the
 * command's exit code.
 */
final class Shutdown {

    private final AtomicReference<Runnable> onSignal = new AtomicReference<>(() -> { });
    private final AtomicReference<Duration> maxWait = new AtomicReference<>(Duration.ofSeconds(60));
    private final AtomicBoolean signalled = new AtomicBoolean();
    private final AtomicBoolean exiting = new AtomicBoolean();
    private final AtomicInteger exitCode = new AtomicInteger(ExitCode.INTERRUPTED);
    private final CountDownLatch done = new CountDownLatch(1);

    void install() {
        Runtime.getRuntime().addShutdownHook(new Thread(this::onShutdown, "ingest-shutdown"));
    }

    private void onShutdown() {
        if (exiting.get()) {
            return; // a normal exit: the command is done
        }
        signalled.set(true);
        onSignal.get().run();
        try {
            done.await(maxWait.get().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(exitCode.get());
    }

    /**
     * @param action what to do on a signal (stop the engine); replaces the previous action
     * @param wait how long the hook waits for the command to return afterwards
     */
    void onSignal(Runnable action, Duration wait) {
        maxWait.set(wait);
        onSignal.set(action);
        if (signalled.get()) {
            action.run(); // the signal came first
        }
    }

    /** @return whether a signal arrived */
    boolean signalled() {
        return signalled.get();
    }

    /**
     * The command returned and closed everything.
     *
     * @param code its exit code
     */
    void finished(int code) {
        exitCode.set(code);
        exiting.set(!signalled.get());
        done.countDown();
    }
}
