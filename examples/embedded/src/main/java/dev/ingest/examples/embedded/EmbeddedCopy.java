package dev.ingest.examples.embedded;

import dev.ingest.core.Ingest;
import dev.ingest.core.config.InvalidConfigException;
import dev.ingest.core.engine.RunSummary;
import dev.ingest.core.plugin.PluginLoadException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * Copies a directory tree to another through NATS JetStream, with ingest running inside this program:
 *
 * <pre>
 * java dev.ingest.examples.embedded.EmbeddedCopy nats://localhost:4222 ./incoming ./archive
 * </pre>
 *
 * The NATS server must have JetStream enabled ({@code nats-server -js}). Running it again copies nothing: every
 * object is already at the destination.
 */
public final class EmbeddedCopy {

    /**
     * The workflow, in ingest's configuration format. The paths are variables set with
     * {@link Ingest.Builder#variables(Map)}: they are substituted after the YAML is parsed, so any path is safe.
     */
    static final String CONFIG = """
            sources:
            - name: source
              type: file
              path: ${SOURCE}
            destinations:
            - name: target
              type: file
              path: ${TARGET}
            workflows:
            - name: embedded-copy
              source: source
              destinations: [target]
            """;

    private EmbeddedCopy() {
    }

    /**
     * Copies {@code source} to {@code target} once: scans the source, queues one message per file on the stream
     * {@code embedded-example}, copies until nothing is pending.
     *
     * @param natsUrl the NATS server, e.g. {@code nats://localhost:4222}
     * @param source the directory to copy; must exist
     * @param target where to copy it; created when missing
     * @return what the run did
     * @throws InvalidConfigException if a directory is unusable (the source does not exist, say)
     * @throws IOException if NATS cannot be reached
     * @throws InterruptedException if interrupted while copying
     */
    public static RunSummary run(String natsUrl, Path source, Path target)
            throws InvalidConfigException, PluginLoadException, IOException, InterruptedException {
        try (Ingest ingest = Ingest.builder()
                .config(CONFIG)
                .origin("EmbeddedCopy.CONFIG")
                .variables(Map.of("SOURCE", source.toAbsolutePath().toString(),
                        "TARGET", target.toAbsolutePath().toString()))
                .natsUrl(natsUrl)
                .stream("embedded-example")
                .subject("embedded-example")
                .consumer("embedded-example")
                .build()) {
            return ingest.runOnce();
        }
    }

    /**
     * Runs the program without exiting the JVM.
     *
     * @param args {@code NATS_URL SOURCE_DIR TARGET_DIR}
     * @param out where the summary goes
     * @param err where errors go
     * @return the exit code: 0 when everything was copied, 1 when objects failed, 2 for a usage error, 3 for an
     *     unusable directory, 4 when NATS cannot be reached
     */
    public static int execute(String[] args, PrintStream out, PrintStream err) {
        if (args.length != 3) {
            err.println("usage: EmbeddedCopy NATS_URL SOURCE_DIR TARGET_DIR");
            return 2;
        }
        try {
            RunSummary summary = run(args[0], Path.of(args[1]), Path.of(args[2]));
            out.println("embedded-copy: " + summary.line());
            summary.failures().forEach(f -> out.println("  failed: " + f));
            return summary.failed() > 0 ? 1 : 0;
        } catch (InvalidConfigException | PluginLoadException e) {
            err.println("embedded-copy: " + e.getMessage());
            return 3;
        } catch (IOException e) {
            err.println("embedded-copy: " + e.getMessage());
            return 4;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 5;
        }
    }

    /**
     * @param args {@code NATS_URL SOURCE_DIR TARGET_DIR}
     */
    public static void main(String[] args) {
        System.exit(execute(args, System.out, System.err));
    }
}
