package dev.ingest.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import java.util.Locale;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * The launcher's logging: Logback set up on a thread of its own, and {@code --log-level} (the original tool's values:
 * all, debug, info, warn, error, none) applied once it is.
 *
 * <p>Setting Logback up (its configuration and the JSON encoder) takes about a tenth of a second, which
 * {@link #inBackground()} spends while picocli builds its model of the command line. SLF4J does not make other
 * threads wait for an initialisation under way: until it is finished, {@code LoggerFactory} hands them a substitute
 * factory whose loggers record their calls and replay them afterwards (with an {@code SLF4J(W)} warning), and
 * whose levels cannot be set. So nothing may log, nor ask for a logger, before {@link #apply(String)} returned:
 * the launcher calls it before any command runs.
 *
 * <p>Thread safety: {@link #apply(String)} may be called from any thread, and more than once.
 */
final class Logging {

    static final String LEVELS = "all, debug, info, warn, error, none";

    /** The default of {@code --log-level}. */
    static final String DEFAULT_LEVEL = "info";

    /** Sets the backend up, or {@code null} when whoever needs it first does. */
    private final Thread setup;

    private Logging(Thread setup) {
        this.setup = setup;
    }

    /**
     * Starts setting the logging backend up on a daemon thread, {@code logging-setup}.
     *
     * @return the logging, whose {@link #apply(String)} waits for the set-up to finish
     */
    static Logging inBackground() {
        Thread t = new Thread(LoggerFactory::getILoggerFactory, "logging-setup");
        t.setDaemon(true);
        t.start();
        return new Logging(t);
    }

    /** @return the logging of an embedding (tests): the backend is set up by the first call that needs it */
    static Logging onDemand() {
        return new Logging(null);
    }

    /**
     * @param level a value of {@code --log-level}, in any case
     * @return Logback's level for it
     * @throws IllegalArgumentException if it is not one of {@link #LEVELS}
     */
    static Level parse(String level) {
        return switch (level.toLowerCase(Locale.ROOT)) {
            case "all" -> Level.ALL;
            case "debug" -> Level.DEBUG;
            case "info" -> Level.INFO;
            case "warn" -> Level.WARN;
            case "error" -> Level.ERROR;
            case "none" -> Level.OFF;
            default -> throw new IllegalArgumentException("unknown log level '" + level + "' (possible: " + LEVELS + ")");
        };
    }

    /**
     * Waits until the backend is set up, then sets the level of every logger: the host's and the plugins' (they log
     * through the host's SLF4J). Does nothing to the levels when the backend is not Logback (an embedding with
     * another one).
     *
     * @param level a value of {@code --log-level}
     * @throws IllegalArgumentException if it is not one of {@link #LEVELS}; nothing is changed then
     */
    void apply(String level) {
        Level l = parse(level);
        awaitSetup();
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (!(factory instanceof LoggerContext ctx)) {
            return;
        }
        ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(l);
        routeJavaUtilLogging(l);
        // HTTP clients inside plugins log request headers (credentials) below INFO: never let them.
        for (String sensitive : new String[] {"org.apache.hc", "software.amazon.awssdk", "okhttp3"}) {
            ctx.getLogger(sensitive).setLevel(l.isGreaterOrEqual(Level.INFO) ? l : Level.INFO);
        }
        Logger nats = ctx.getLogger("io.nats");
        nats.setLevel(l.isGreaterOrEqual(Level.WARN) ? l : (l == Level.ALL ? Level.ALL : Level.WARN));
    }

    /**
     * Sends what is logged through {@code java.util.logging} (the JDK's HTTP server behind the operations endpoints,
     * OkHttp inside the HTTP plugin) to SLF4J, so that standard error carries JSON lines only, at the same level
     * (never below INFO: the bridge costs a little per call, and nothing below it is useful from there).
     */
    private static synchronized void routeJavaUtilLogging(Level level) {
        if (!org.slf4j.bridge.SLF4JBridgeHandler.isInstalled()) {
            org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
            org.slf4j.bridge.SLF4JBridgeHandler.install();
        }
        java.util.logging.Level jul = level == Level.OFF ? java.util.logging.Level.OFF
                : level.isGreaterOrEqual(Level.ERROR) ? java.util.logging.Level.SEVERE
                : level.isGreaterOrEqual(Level.WARN) ? java.util.logging.Level.WARNING
                : java.util.logging.Level.INFO;
        java.util.logging.Logger.getLogger("").setLevel(jul);
    }

    /**
     * Joins the set-up thread (which publishes the finished initialisation to this thread), even if interrupted:
     * asking SLF4J before it finished would return the substitute factory.
     */
    private void awaitSetup() {
        if (setup == null) {
            return;
        }
        boolean interrupted = false;
        while (true) {
            try {
                setup.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
