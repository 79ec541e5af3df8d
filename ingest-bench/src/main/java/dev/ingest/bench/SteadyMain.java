package dev.ingest.bench;

import dev.ingest.core.Ingest;
import dev.ingest.core.engine.RunSummary;
import dev.ingest.core.plugin.PluginRegistry;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Locale;

/**
 * Case 7's child process: ingest kept running in one JVM, as a service is, copying one workload after another
 * (each its own configuration). It runs on the distribution's own class path ({@code lib/*}) and plugins ({@code plugins/}) with the
 * launcher's JVM options for a service, and knows nothing of the benchmark's other classes.
 *
 * <p>{@code SteadyMain NATS_URL PLUGIN_DIRS CONFIG...} (plugin directories separated by {@code :}): for each configuration, one {@link Ingest#runOnce()} on a
 * fresh stream {@code STEADY_<n>} (so that JetStream's duplicate window does not drop the round's messages),
 * printing {@code round <n> <seconds> <cpu seconds> <copied>: <summary>}. Exits 1 if a round failed an object.
 */
public final class SteadyMain {

    private SteadyMain() {
    }

    public static void main(String[] args) throws Exception {
        String nats = args[0];
        List<Path> plugins = java.util.Arrays.stream(args[1].split(java.io.File.pathSeparator)).map(Paths::get).toList();
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        int status = 0;
        try (PluginRegistry registry = PluginRegistry.load(SteadyMain.class.getClassLoader(), plugins, List.of())) {
            for (int i = 2; i < args.length; i++) {
                int round = i - 1;
                String stream = "STEADY_" + round;
                long cpu0 = os.getProcessCpuTime();
                long t0 = System.nanoTime();
                RunSummary s;
                try (Ingest ingest = Ingest.builder().config(Paths.get(args[i])).natsUrl(nats).plugins(registry)
                        .stream(stream).subject("steady" + round).consumer("steady" + round).build()) {
                    s = ingest.runOnce();
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
                System.out.printf(Locale.ROOT, "round %d %.3f %.3f %d: %s%n", round, seconds, cpu, s.copied(), s.line());
                System.out.flush();
                if (s.failed() > 0) {
                    status = 1;
                }
            }
        }
        System.exit(status);
    }
}
