package dev.ingest.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import java.util.Locale;
import org.slf4j.LoggerFactory;

/** Applies {@code --log-level} (the original tool's values: all, debug, info, warn, error, none). */
final class Logging {

    static final String LEVELS = "all, debug, info, warn, error, none";

    private Logging() {
    }

    static void apply(String level) {
        Level l = switch (level.toLowerCase(Locale.ROOT)) {
            case "all" -> Level.ALL;
            case "debug" -> Level.DEBUG;
            case "info" -> Level.INFO;
            case "warn" -> Level.WARN;
            case "error" -> Level.ERROR;
            case "none" -> Level.OFF;
            default -> throw new IllegalArgumentException("unknown log level '" + level + "' (possible: " + LEVELS + ")");
        };
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
            return;
        }
        ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(l);
        // HTTP clients inside plugins log request headers (credentials) below INFO: never let them.
        for (String sensitive : new String[] {"org.apache.hc", "software.amazon.awssdk", "okhttp3"}) {
            ctx.getLogger(sensitive).setLevel(l.isGreaterOrEqual(Level.INFO) ? l : Level.INFO);
        }
        Logger nats = ctx.getLogger("io.nats");
        nats.setLevel(l.isGreaterOrEqual(Level.WARN) ? l : (l == Level.ALL ? Level.ALL : Level.WARN));
    }
}
