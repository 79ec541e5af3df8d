package dev.ingest.core.config;

import dev.ingest.api.PluginConfig;
import java.time.Duration;
import java.util.Optional;

/** Parses durations written as in Go and the original tool: {@code 300s}, {@code 5m}, {@code 1h30m}, {@code 250ms}. */
public final class Durations {

    private Durations() {
    }

    /**
     * Parses a duration.
     *
     * @param text for example {@code 30s}, {@code 5m}, {@code 1h30m}, {@code 2d}
     * @return the duration, or empty if the text is not a duration
     */
    public static Optional<Duration> parse(String text) {
        return PluginConfig.parseDuration(text); // one syntax for the engine's keys and the plugins'
    }

    /**
     * Formats a duration the way {@link #parse(String)} reads it, e.g. {@code 5m} or {@code 1h30m}.
     *
     * @param d a non-negative duration
     * @return the text
     */
    public static String format(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        if (d.toNanos() % 1_000_000_000L != 0) {
            return d.toMillis() + "ms";
        }
        long s = d.getSeconds();
        StringBuilder out = new StringBuilder();
        if (s >= 3600) {
            out.append(s / 3600).append('h');
            s %= 3600;
        }
        if (s >= 60) {
            out.append(s / 60).append('m');
            s %= 60;
        }
        if (s > 0) {
            out.append(s).append('s');
        }
        return out.toString();
    }
}
