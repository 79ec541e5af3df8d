package dev.ingest.plugin.s3;

import dev.ingest.core.config.EnvExpander;
import dev.ingest.core.engine.Mode;
import dev.ingest.core.engine.RunSummary;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A child process for memory tests: runs the engine once over a configuration file and exits 0 when nothing
 * failed, 1 when something did, 2 when the run itself failed.
 *
 * <pre>
 * java -Xmx128m -cp CLASSPATH dev.ingest.plugin.s3.RunOnceMain CONFIG NATS_URL QUEUE_PREFIX [MODE]
 * </pre>
 *
 * <p>{@code ${VAR}} in the configuration expands from the environment.
 */
public final class RunOnceMain {

    private RunOnceMain() {
    }

    /**
     * @param args configuration file, NATS URL, queue prefix, optionally the mode (default ALL)
     */
    public static void main(String[] args) {
        if (args.length < 3) {
            System.err.println("usage: RunOnceMain CONFIG NATS_URL QUEUE_PREFIX [ENQUEUE|DEQUEUE|ALL]");
            System.exit(2);
        }
        try {
            String yaml = Files.readString(Path.of(args[0]));
            Mode mode = args.length > 3 ? Mode.valueOf(args[3]) : Mode.ALL;
            RunSummary summary = EngineRunner.runOnce(yaml, EnvExpander.system(), EngineRunner.settings(args[1], args[2]), mode);
            System.out.println("summary: " + summary.line());
            System.out.printf("result: copied=%d skipped=%d failed=%d bytes=%d%n", summary.copied(), summary.skipped(),
                    summary.failed(), summary.bytes());
            summary.failures().forEach(f -> System.out.println("failure: " + f));
            System.out.println("max heap: " + Runtime.getRuntime().maxMemory());
            System.exit(summary.failed() == 0 ? 0 : 1);
        } catch (Throwable e) {
            e.printStackTrace();
            System.exit(2);
        }
    }
}
