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
 * line every ten seconds otherwise (logs, CI). Objects, bytes, rate and, when the scan has listed everything,
 * an ETA.
 */
final class Progress implements AutoCloseable {

    private final ScheduledExecutorService timer;
    private final PrintStream out;
    private final boolean terminal;
    private boolean drew;

    private Progress(IngestEngine engine, PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ingest-progress-line");
            t.setDaemon(true);
            return t;
        });
        long every = terminal ? 1 : 10;
        timer.scheduleAtFixedRate(() -> draw(engine.progress()), every, every, TimeUnit.SECONDS);
    }

    static Progress start(IngestEngine engine) {
        return new Progress(engine, System.err, System.console() != null);
    }

    static String line(RunSummary s) {
        double seconds = Math.max(0.001, s.elapsed().toMillis() / 1000.0);
        long done = s.copied() + s.skipped() + s.failed() + s.alreadyQueued();
        double rate = done / seconds;
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
                "progress: %d copied, %d skipped, %d failed, %s (%s/s), %.0f objects/s",
                s.copied(), s.skipped() + s.alreadyQueued(), s.failed(), RunSummary.humanBytes(s.bytes()),
                RunSummary.humanBytes((long) (s.bytes() / seconds)), rate));
        if (s.listed() > 0) {
            long remaining = Math.max(0, s.listed() - done);
            b.append(String.format(Locale.ROOT, ", %d of %d left", remaining, s.listed()));
            if (rate > 0 && remaining > 0) {
                b.append(String.format(Locale.ROOT, ", ETA %.0fs", remaining / rate));
            }
        }
        return b.toString();
    }

    private synchronized void draw(RunSummary s) {
        if (terminal) {
            out.print("\r" + line(s) + "\u001b[K");
            drew = true;
        } else {
            out.println(line(s));
        }
        out.flush();
    }

    @Override
    public synchronized void close() {
        timer.shutdownNow();
        if (drew) {
            out.print("\r\u001b[K");
            out.flush();
        }
    }
}
