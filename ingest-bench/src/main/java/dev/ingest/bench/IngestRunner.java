package dev.ingest.bench;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs ingest through its real launcher ({@code ingest-cli/target/ingest/bin/ingest}) as a separate process
 * against the benchmark's nats-server and S3 server. Each run gets a fresh stream, subject and consumer, deleted
 * afterwards, so runs never see each other's messages or de-duplication ids.
 */
final class IngestRunner {

    /**
     * The {@code --once} summary line: {@code ingest: listed 289, queued 289, copied 289, skipped 0, failed 0,
     * 195.5 KiB in 0.9s}; a run with record workflows says {@code records N, batches M, } before {@code copied}.
     */
    private static final Pattern SUMMARY = Pattern.compile("ingest: (?:listed (\\d+), queued (\\d+), )?"
            + "(?:records (\\d+), batches (\\d+), )?copied (\\d+), skipped (\\d+), failed (\\d+), .* in ([0-9.]+)s");
    /** The enqueuer's log line: {@code scanned source src: 20000 objects in 1234 ms}. */
    private static final Pattern SCANNED = Pattern.compile("scanned source \\S+: (\\d+) objects in (\\d+) ms");

    private final Path launcher;
    private final Path pluginsDir;
    private final String natsUrl;
    private final URI s3Endpoint;
    private final Path workDir;
    private final String extraJavaOpts;
    private final String logLevel;
    private int runs;

    /**
     * @param launcher {@code bin/ingest} of the distribution
     * @param pluginsDir passed as {@code --plugins}, or null to use the distribution's bundled plugins
     * @param natsUrl the nats-server
     * @param s3Endpoint the S3 server
     * @param workDir where configurations and logs go
     * @param extraJavaOpts appended to every run's JAVA_OPTS (may be empty)
     * @param logLevel ingest's {@code --log-level}
     */
    IngestRunner(Path launcher, Path pluginsDir, String natsUrl, URI s3Endpoint, Path workDir, String extraJavaOpts,
                 String logLevel) {
        this.launcher = launcher;
        this.pluginsDir = pluginsDir;
        this.natsUrl = natsUrl;
        this.s3Endpoint = s3Endpoint;
        this.workDir = workDir;
        this.extraJavaOpts = extraJavaOpts == null ? "" : extraJavaOpts.trim();
        this.logLevel = logLevel;
    }

    /**
     * The command that runs ingest in a JVM of its own the way the launcher runs a service: the launcher's JVM
     * options for a service, the distribution's class path and {@code mainClass}, which must be in
     * {@code extraClassPath} and use only the distribution's classes.
     *
     * @param extraClassPath where {@code mainClass} is
     * @param mainClass the class to run
     * @return the command, to which arguments may be added
     */
    List<String> serviceJvm(Path extraClassPath, String mainClass) {
        Path home = home();
        List<String> cmd = new ArrayList<>(List.of(java(), SERVICE_JVM_OPTIONS));
        for (String o : extraJavaOpts.split("\\s+")) {
            if (!o.isEmpty()) {
                cmd.add(o);
            }
        }
        cmd.addAll(List.of("-Dingest.home=" + home, "-cp", home.resolve("lib") + "/*" + File.pathSeparator
                + extraClassPath, mainClass));
        return cmd;
    }

    /** @return the java the launcher runs: {@code $JAVA_HOME/bin/java} when JAVA_HOME is set, else the PATH's */
    static String java() {
        String javaHome = System.getenv("JAVA_HOME");
        return javaHome != null && !javaHome.isBlank() ? Paths.get(javaHome, "bin", "java").toString() : "java";
    }

    /** @return the distribution directory ({@code bin/ingest}'s parent's parent) */
    private Path home() {
        return launcher.getParent().getParent();
    }

    /** What {@code bin/ingest} adds for a run without {@code --once} (see the launcher script). */
    static final String SERVICE_JVM_OPTIONS = "-XX:+UseSerialGC";

    /** @return the plugin directories a run uses: the distribution's, and the extra one if there is */
    List<Path> pluginDirs() {
        List<Path> dirs = new ArrayList<>(List.of(home().resolve("plugins")));
        if (pluginsDir != null) {
            dirs.add(pluginsDir);
        }
        return dirs;
    }

    /** Further arguments of every {@link #run} (after the queue's), such as {@code --stream-replicas 3}. */
    private List<String> queueArgs = List.of();

    /**
     * A runner of the same distribution, S3 server and settings against another NATS server (a cluster), whose
     * {@link #run runs} also take {@code moreArgs}.
     *
     * @param otherNatsUrl the server, or several separated by commas
     * @param moreArgs further arguments of every run
     * @return the runner
     */
    IngestRunner on(String otherNatsUrl, List<String> moreArgs) {
        IngestRunner r = new IngestRunner(launcher, pluginsDir, otherNatsUrl, s3Endpoint, workDir, extraJavaOpts,
                logLevel);
        r.listByPrefix = listByPrefix;
        r.queueArgs = List.copyOf(moreArgs);
        return r;
    }

    /** @return the nats-server's URL */
    String natsUrl() {
        return natsUrl;
    }

    /**
     * What ingest printed as its {@code --once} summary.
     *
     * @param copied objects copied
     * @param skipped objects already everywhere (or already queued)
     * @param failed objects dead-lettered and failed scans
     * @param engineSeconds the run's time as the engine measured it (after start-up)
     * @param records records received by record workflows
     * @param batches batches those workflows stored
     */
    record Summary(long copied, long skipped, long failed, double engineSeconds, long records, long batches) {
    }

    /** A run: the process's measurements, the summary (null if none was printed) and the scan's own time. */
    record Run(Measured.Result result, Summary summary, long scanMillis, Path config) {
        boolean ok() {
            return result.exitCode() == 0 && summary != null && summary.failed() == 0;
        }

        /** @return ingest's summary and scan time, for the table's notes */
        String describe() {
            StringBuilder b = new StringBuilder();
            if (summary != null) {
                b.append(String.format(java.util.Locale.ROOT, "engine %.1fs, ", summary.engineSeconds()));
                if (summary.records() > 0 || summary.batches() > 0) {
                    b.append(String.format(java.util.Locale.ROOT, "records %d, batches %d, ", summary.records(),
                            summary.batches()));
                }
                b.append(String.format(java.util.Locale.ROOT, "copied %d, skipped %d", summary.copied(),
                        summary.skipped()));
                if (summary.failed() > 0) {
                    b.append(", FAILED ").append(summary.failed());
                }
            } else {
                b.append("no summary");
            }
            if (scanMillis >= 0) {
                b.append(String.format(java.util.Locale.ROOT, ", scan %.1fs", scanMillis / 1000.0));
            }
            if (result.exitCode() != 0) {
                b.append(", exit ").append(result.exitCode()).append(" (log ").append(result.stderr()).append(')');
            }
            return b.toString();
        }
    }

    /** One S3 destination of a generated configuration. */
    record Dest(String name, String bucket, Map<String, Object> extra) {
        Dest(String name, String bucket) {
            this(name, bucket, Map.of());
        }
    }

    /**
     * Writes a configuration with one workflow {@code bench}: an S3 source and S3 destinations on the benchmark's
     * server.
     *
     * @param file where to write it
     * @param sourceBucket the source bucket
     * @param dests the destinations
     * @param batchSize the workflow's batchSize
     * @param concurrency the workflow's concurrency
     * @return {@code file}
     * @throws IOException if it cannot be written
     */
    Path writeConfig(Path file, String sourceBucket, List<Dest> dests, int batchSize, int concurrency)
            throws IOException {
        StringBuilder y = new StringBuilder();
        y.append("# generated by ingest-bench\nsources:\n- name: src\n");
        s3Keys(y, sourceBucket, Map.of());
        y.append("destinations:\n");
        List<String> names = new ArrayList<>();
        for (Dest d : dests) {
            y.append("- name: ").append(d.name()).append('\n');
            s3Keys(y, d.bucket(), d.extra());
            names.add(d.name());
        }
        y.append("workflows:\n");
        appendWorkflow(y, "bench", names, batchSize, concurrency);
        Files.writeString(file, y.toString(), StandardCharsets.UTF_8);
        return file;
    }

    /**
     * Writes a configuration of several workflows on one S3 source, each to a destination of its own.
     *
     * @param file where to write it
     * @param sourceBucket the source bucket
     * @param destinations workflow name to destination bucket, in order
     * @return {@code file}
     */
    Path writeWorkflows(Path file, String sourceBucket, Map<String, String> destinations, int batchSize,
                        int concurrency) throws IOException {
        StringBuilder y = new StringBuilder("# generated by ingest-bench\nsources:\n- name: src\n");
        s3Keys(y, sourceBucket, Map.of());
        y.append("destinations:\n");
        destinations.forEach((w, b) -> appendS3(y, "to-" + w, b));
        y.append("workflows:\n");
        destinations.forEach((w, b) -> appendWorkflow(y, w, List.of("to-" + w), batchSize, concurrency));
        Files.writeString(file, y.toString(), StandardCharsets.UTF_8);
        return file;
    }

    /** Appends one workflow on the source {@code src}, scanned hourly, to a configuration being written. */
    private static void appendWorkflow(StringBuilder y, String name, List<String> destinations, int batchSize,
                                       int concurrency) {
        y.append("- name: ").append(name).append("\n  source: src\n  destinations: [")
                .append(String.join(", ", destinations)).append("]\n  interval: 1h\n  batchSize: ").append(batchSize)
                .append("\n  concurrency: ").append(concurrency).append('\n');
    }

    /**
     * Appends one S3 entry ({@code - name: ...} and its keys) to a configuration being written.
     *
     * @param y the YAML so far
     * @param name the entry's name
     * @param bucket its bucket on the benchmark's server
     */
    void appendS3(StringBuilder y, String name, String bucket) {
        y.append("- name: ").append(name).append('\n');
        s3Keys(y, bucket, Map.of());
    }

    /**
     * Starts {@code ingest --mode=all} as a service with a fresh stream, its REST API on {@code port} with the
     * token of {@code tokenFile}. The caller stops it ({@link Process#destroy()}: SIGTERM) and then calls
     * {@link #deleteStream(String)} with the returned stream.
     *
     * @return the process and the stream name
     */
    Map.Entry<Process, String> startService(String label, Path config, int port, Path tokenFile) throws IOException {
        int n = ++runs;
        String stream = "BENCH_" + n;
        List<String> cmd = new ArrayList<>(List.of(launcher.toString(), "--mode=all",
                "--config", config.toString(), "--queue-endpoint", natsUrl,
                "--stream", stream, "--subject", "bench" + n, "--consumer", "bench" + n,
                "--listen", "127.0.0.1:" + port, "--api-token-file", tokenFile.toString(), "--log-level", logLevel));
        if (pluginsDir != null) {
            cmd.add("--plugins");
            cmd.add(pluginsDir.toString());
        }
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectOutput(workDir.resolve(label + "." + n + ".out").toFile())
                .redirectError(workDir.resolve(label + "." + n + ".err").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("JAVA_OPTS", extraJavaOpts);
        return Map.entry(pb.start(), stream);
    }

    /**
     * Runs {@code ingest ARGS...} (a client command such as {@code run}) to its end, measured.
     *
     * @param label names the log files
     * @param env variables to add
     * @param args the arguments
     * @return what it did
     */
    Measured.Result command(String label, Map<String, String> env, String... args)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(launcher.toString()));
        cmd.addAll(List.of(args));
        Map<String, String> all = new HashMap<>(env);
        all.put("JAVA_OPTS", extraJavaOpts);
        return Measured.run(cmd, all, workDir.resolve(label + "." + (++runs)), Duration.ofMinutes(30));
    }

    private void s3Keys(StringBuilder y, String bucket, Map<String, Object> extra) {
        y.append("  type: s3\n  endpoint: ").append(s3Endpoint).append('\n')
                .append("  bucket: ").append(bucket).append('\n')
                .append("  region: ").append(S3Server.REGION).append('\n')
                .append("  pathStyle: true\n")
                .append("  accessKeyID: ").append(S3Server.ACCESS_KEY).append('\n')
                .append("  secretAccessKey: ").append(S3Server.SECRET_KEY).append('\n');
        if (listByPrefix && !extra.containsKey("listByPrefix")) {
            y.append("  listByPrefix: true\n");
        }
        extra.forEach((k, v) -> y.append("  ").append(k).append(": ").append(v).append('\n'));
    }

    /**
     * @param on whether the generated configurations list folder by folder ({@code listByPrefix: true}), as rclone
     *     does unless told {@code --fast-list}
     */
    void listByPrefix(boolean on) {
        listByPrefix = on;
    }

    private boolean listByPrefix = true;

    /**
     * Runs {@code ingest --mode=MODE --once} with a fresh stream.
     *
     * @param label names the log files
     * @param mode {@code all} or {@code enqueue}
     * @param config the configuration
     * @param javaOpts JAVA_OPTS for this run (the extra options are appended); may be empty
     * @return what happened
     * @throws IOException if the process cannot be started
     * @throws InterruptedException if interrupted
     */
    Run run(String label, String mode, Path config, String javaOpts) throws IOException, InterruptedException {
        int n = ++runs;
        String stream = "BENCH_" + n;
        try {
            return run(label + "." + n, mode, config, javaOpts, stream, "bench" + n);
        } finally {
            deleteStream(stream);
        }
    }

    /**
     * Runs {@code ingest --mode=MODE --once} on a given stream, which is left as it is (for processes started with
     * {@link #startDequeuer} on the same stream).
     *
     * @param logName names the log files
     * @param subject the subject and consumer prefix
     */
    Run run(String logName, String mode, Path config, String javaOpts, String stream, String subject)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(launcher.toString(), "--mode=" + mode, "--once"));
        cmd.addAll(commonArgs(config, stream, subject, "127.0.0.1:0"));
        Map<String, String> env = new HashMap<>();
        String opts = ((javaOpts == null ? "" : javaOpts) + " " + extraJavaOpts).trim();
        env.put("JAVA_OPTS", opts);
        Measured.Result result = Measured.run(cmd, env, workDir.resolve(logName), Duration.ofMinutes(30));
        return new Run(result, summary(result.out()), scanMillis(result.err()), config);
    }

    /**
     * Starts {@code ingest --mode=dequeue} as a service (no {@code --once}) on a given stream; the caller stops it
     * ({@link Process#destroy()}: SIGTERM) and deletes the stream.
     *
     * @param logName names the log files
     * @param subject the subject and consumer prefix
     * @param port its operations port (metrics)
     * @return the process (the JVM itself: the launcher execs java)
     */
    Process startDequeuer(String logName, Path config, String stream, String subject, int port) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(launcher.toString(), "--mode=dequeue"));
        cmd.addAll(commonArgs(config, stream, subject, "127.0.0.1:" + port));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectOutput(workDir.resolve(logName + ".out").toFile())
                .redirectError(workDir.resolve(logName + ".err").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("JAVA_OPTS", extraJavaOpts);
        return pb.start();
    }

    private List<String> commonArgs(Path config, String stream, String subject, String listen) {
        List<String> args = new ArrayList<>(List.of("--config", config.toString(), "--queue-endpoint", natsUrl,
                "--stream", stream, "--subject", subject, "--consumer", subject, "--listen", listen,
                "--log-level", logLevel));
        args.addAll(queueArgs);
        if (pluginsDir != null) {
            args.add("--plugins");
            args.add(pluginsDir.toString());
        }
        return args;
    }

    /**
     * Runs {@code ingest --dry-run} on a configuration.
     *
     * @return exit code and output
     */
    Measured.Result dryRun(String label, Path config) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(launcher.toString(), "--dry-run", "--config", config.toString(),
                "--queue-endpoint", natsUrl, "--log-level", "warn"));
        if (pluginsDir != null) {
            cmd.add("--plugins");
            cmd.add(pluginsDir.toString());
        }
        return Measured.run(cmd, Map.of("JAVA_OPTS", extraJavaOpts), workDir.resolve(label), Duration.ofMinutes(5));
    }

    static Summary summary(String stdout) {
        Summary last = null;
        for (String line : stdout.split("\n")) {
            Matcher m = SUMMARY.matcher(line);
            if (m.find()) {
                last = new Summary(Long.parseLong(m.group(5)), Long.parseLong(m.group(6)), Long.parseLong(m.group(7)),
                        Double.parseDouble(m.group(8)), m.group(3) == null ? 0 : Long.parseLong(m.group(3)),
                        m.group(4) == null ? 0 : Long.parseLong(m.group(4)));
            }
        }
        return last;
    }

    static long scanMillis(String stderr) {
        long millis = -1;
        Matcher m = SCANNED.matcher(stderr);
        while (m.find()) {
            millis = Long.parseLong(m.group(2));
        }
        return millis;
    }

    /** Deletes a run's stream and its buckets (scans, checkpoints), so that the server does not accumulate them. */
    void deleteStream(String stream) {
        try (Connection nc = Nats.connect(natsUrl)) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            for (String s : List.of(stream, "KV_" + stream + "_scans", "KV_" + stream + "_checkpoints",
                    "KV_" + stream + "_config")) {
                try {
                    jsm.deleteStream(s);
                } catch (JetStreamApiException e) {
                    // not created (an enqueue-only run that failed early, say)
                }
            }
        } catch (IOException e) {
            System.err.println("bench: could not delete stream " + stream + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
