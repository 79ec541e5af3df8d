package dev.ingest.cli;

import dev.ingest.core.engine.IngestEngine;
import dev.ingest.core.engine.RunSummary;
import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Progress of a {@code --once} run on standard error: a line rewritten every second on a terminal, a plain
 * line every ten seconds otherwise (logs, CI). Objects, bytes, rate and, once every scan has listed everything,
 * what is left and an ETA (before that, the total is not known). {@link #close()} erases the rewritten line and
 * stops drawing, so that what is printed next (the summary) starts on a clean line.
 */
final class Progress implements AutoCloseable {

    private final ScheduledExecutorService timer;
    private final PrintStream out;
    private final boolean terminal;
    private boolean drew;
    private boolean closed;

    /**
     * @param engine the run whose counters are drawn
     * @param out where
     * @param terminal whether {@code out} is a terminal (one line rewritten) or not (a line every ten seconds)
     * @param schedule whether to draw on a timer ({@link #draw} alone otherwise: tests)
     */
    Progress(IngestEngine engine, PrintStream out, boolean terminal, boolean schedule) {
        this.out = out;
        this.terminal = terminal;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ingest-progress-line");
            t.setDaemon(true);
            return t;
        });
        long every = terminal ? 1 : 10;
        if (!schedule) {
            return;
        }
        timer.scheduleAtFixedRate(() -> draw(engine.progress(), engine.listingComplete()), every, every,
                TimeUnit.SECONDS);
    }

    static Progress start(IngestEngine engine) {
        return new Progress(engine, System.err, System.console() != null, true);
    }

    /**
     * @param s the counters so far
     * @param listingComplete whether every scan has finished, so that {@code s.listed()} is the total
     * @return the progress line
     */
    static String line(RunSummary s, boolean listingComplete) {
        double seconds = Math.max(0.001, s.elapsed().toMillis() / 1000.0);
        long done = s.copied() + s.skipped() + s.failed() + s.alreadyQueued();
        double rate = done / seconds;
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
                "progress: %d copied, %d skipped, %d failed, %s (%s/s), %.0f objects/s",
                s.copied(), s.skipped() + s.alreadyQueued(), s.failed(), RunSummary.humanBytes(s.bytes()),
                RunSummary.humanBytes((long) (s.bytes() / seconds)), rate));
        if (listingComplete && s.listed() > 0) {
            long remaining = Math.max(0, s.listed() - done);
            b.append(String.format(Locale.ROOT, ", %d of %d left", remaining, s.listed()));
            if (rate > 0 && remaining > 0) {
                b.append(String.format(Locale.ROOT, ", ETA %.0fs", remaining / rate));
            }
        } else if (s.listed() > 0) {
            b.append(String.format(Locale.ROOT, ", %d listed so far", s.listed()));
        }
        return b.toString();
    }

    synchronized void draw(RunSummary s, boolean listingComplete) {
        if (closed) {
            return;
        }
        if (terminal) {
            out.print("\r" + line(s, listingComplete) + "\u001b[K");
            drew = true;
        } else {
            out.println(line(s, listingComplete));
        }
        out.flush();
    }

    @Override
    public synchronized void close() {
        closed = true;
        timer.shutdownNow();
        if (drew) {
            out.print("\r\u001b[K");
            out.flush();
        }
    }
}
