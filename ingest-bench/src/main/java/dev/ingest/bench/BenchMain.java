package dev.ingest.bench;

import dev.ingest.core.nats.NatsServerProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The benchmark: ingest (through its real launcher, as a separate process) against {@code rclone copy} on an
 * in-memory S3 server (s3proxy in this JVM) and a private nats-server, all on loopback. Prints the machine, one
 * line per step as it finishes, then the table. Run it with {@code scripts/bench.sh}; see the README, section Performance.
 *
 * <pre>
 * BenchMain [--cases 1,2,3,4,5,6] [--quick] [--root DIR] [--no-rclone] [--no-warmup]
 *           [--ingest-java-opts OPTS] [--log-level LEVEL]
 * </pre>
 */
public final class BenchMain {

    static final long KIB = 1024;
    static final long MIB = 1024 * KIB;

    /** The sizes of the data sets. */
    record Sizes(int smallCount, long smallSize, int bigCount, long bigSize, int manyCount, long manySize) {
        static final Sizes FULL = new Sizes(2_000, 4 * KIB, 8, 64 * MIB, 20_000, 1 * KIB);
        static final Sizes QUICK = new Sizes(200, 4 * KIB, 4, 16 * MIB, 2_000, 1 * KIB);
    }

    /** The command line. */
    record Options(TreeSet<Integer> cases, boolean quick, Path root, boolean rclone, boolean warmup,
                   String ingestJavaOpts, String logLevel, boolean serve, boolean tls, int repeat, boolean flatListing) {

        static Options parse(String[] args) {
            TreeSet<Integer> cases = new TreeSet<>(List.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12));
            boolean quick = false;
            Path root = Paths.get(System.getProperty("bench.root", ".")).toAbsolutePath().normalize();
            boolean rclone = true;
            boolean warmup = true;
            String javaOpts = System.getenv().getOrDefault("BENCH_INGEST_JAVA_OPTS", "");
            String logLevel = "info";
            boolean serve = false;
            boolean tls = false;
            boolean flatListing = false;
            int repeat = 1;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                String value = null;
                int eq = a.indexOf('=');
                if (a.startsWith("--") && eq > 0) {
                    value = a.substring(eq + 1);
                    a = a.substring(0, eq);
                }
                switch (a) {
                    case "--cases" -> {
                        String v = value != null ? value : next(args, ++i, a);
                        cases = new TreeSet<>();
                        for (String c : v.split(",")) {
                            if (c.isBlank()) {
                                continue;
                            }
                            int n;
                            try {
                                n = Integer.parseInt(c.trim());
                            } catch (NumberFormatException e) {
                                throw new IllegalArgumentException("--cases takes numbers from 1 to 12, such as 1,2,5; got '"
                                        + c + "'");
                            }
                            if (n < 1 || n > 12) {
                                throw new IllegalArgumentException("there are cases 1 to 12, not " + n);
                            }
                            cases.add(n);
                        }
                    }
                    case "--quick" -> quick = true;
                    case "--root" -> root = Paths.get(value != null ? value : next(args, ++i, a)).toAbsolutePath().normalize();
                    case "--no-rclone" -> rclone = false;
                    case "--no-warmup" -> warmup = false;
                    case "--ingest-java-opts" -> javaOpts = value != null ? value : next(args, ++i, a);
                    case "--log-level" -> logLevel = value != null ? value : next(args, ++i, a);
                    case "--serve" -> serve = true;
                    case "--tls" -> tls = true;
                    case "--flat-listing" -> flatListing = true;
                    case "--repeat" -> {
                        String v = value != null ? value : next(args, ++i, a);
                        try {
                            repeat = Integer.parseInt(v.trim());
                        } catch (NumberFormatException e) {
                            repeat = 0;
                        }
                        if (repeat < 1 || repeat > 20) {
                            throw new IllegalArgumentException("--repeat takes a number from 1 to 20, not '" + v + "'");
                        }
                    }
                    case "-h", "--help" -> throw new HelpException();
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            return new Options(cases, quick, root, rclone, warmup, javaOpts, logLevel, serve, tls, repeat, flatListing);
        }

        private static String next(String[] args, int i, String option) {
            if (i >= args.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return args[i];
        }
    }

    static final class HelpException extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }

    static final String USAGE = """
            usage: scripts/bench.sh [--cases 1,2,3,4,5,6,7,8,9,10,11,12] [--quick] [--repeat N] [--tls] [--no-rclone]
                                    [--no-warmup] [--ingest-java-opts OPTS] [--log-level LEVEL] [--serve]
                                    [--flat-listing]
              0  (with the warm-up, skipped by --no-warmup) an empty source: what a run costs with nothing to do
              1  2,000 x 4 KiB S3->S3 (ingest concurrency 16 and 32; rclone --transfers 16)
              2  8 x 64 MiB S3->S3 (concurrency 8; rclone --transfers 8)
              3  enqueue 20,000 objects vs listing them (SDK in-process, rclone lsf)
              4  fan-out of 8 x 64 MiB to three destinations, ingest at JAVA_OPTS=-Xmx256m
              5  rescan of an unchanged 20,000-object source (second run copies nothing)
              6  8 x 64 MiB with serverSideCopy true vs false (when the s3 plugin has the key)
              7  steady state in one long-running JVM: 3 warm-up rounds of 20,000 x 1 KiB (--quick: 2), then
                 7a 20,000 x 1 KiB, 7b 2,000 x 4 KiB, 7c 8 x 64 MiB, each against rclone, CPU per object compared
              8  records: 3,000,000 log lines of 100 bytes (--quick: 300,000) tailed from 4 files into gzip batches at
                 a file destination, against gzip -6 over the same bytes on one core
              9  cases 1 and 2 as one-time runs (ingest run WORKFLOW) on a warm service, whole command time
              10 jdbc: 1,000,000 rows of about 200 bytes (--quick: 100,000) from PostgreSQL (127.0.0.1:5432, db test)
                 to a file destination as gzip NDJSON, vs psql \\copy ... | gzip
              11 scale-out: 1, 2 and 4 dequeuer processes on one workflow (20,000 x 1 KiB after a warm-up): each
                 object copied once, CPU per object of the dequeuers
              12 NATS R3 vs R1: case 1's copy (c=16) through a 3-node nats-server cluster, --stream-replicas 3 and 1
              --quick  smaller data (a smoke run); --ingest-java-opts  appended to every ingest run's JAVA_OPTS
              --repeat N  run every measured step N times and report the median (the note shows min-max)
              --flat-listing  ingest lists all keys in one listing (listByPrefix: false) rather than folder by folder
                              (rclone's default way, and ingest's in the benchmark unless this is given)
              --tls    the S3 server speaks https (self-signed certificate, trusted by both tools) instead of http
              --serve  start the servers, generate the data sets, write configurations and rclone variables for
                       manual runs and profiling (to the log directory), and wait until interrupted
            """;

    private final Options options;
    private final Sizes sizes;
    private final PrintStream out = System.out;
    private final List<Row> rows = new ArrayList<>();
    private final Map<String, Data.Listing> sources = new LinkedHashMap<>();
    private Data data;
    private IngestRunner ingest;
    private Rclone rclone;
    private Boolean serverSideCopy;
    private Path logDir;

    private BenchMain(Options options) {
        this.options = options;
        this.sizes = options.quick() ? Sizes.QUICK : Sizes.FULL;
    }

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args);
        } catch (HelpException e) {
            System.out.print(USAGE);
            return;
        } catch (IllegalArgumentException e) {
            System.err.println("bench: " + e.getMessage());
            System.err.print(USAGE);
            System.exit(2);
            return;
        }
        int status = new BenchMain(options).run();
        System.exit(status);
    }

    private int run() throws Exception {
        Path launcher = options.root().resolve("ingest-cli/target/ingest/bin/ingest");
        if (!Files.isExecutable(launcher)) {
            System.err.println("bench: " + launcher + " not found: build the distribution first "
                    + "(mvn -B -q -DskipTests install -pl ingest-cli -am), or run scripts/bench.sh");
            return 2;
        }
        logDir = options.root().resolve("ingest-bench/target/bench-logs/"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Files.createDirectories(logDir);

        printMachine();
        out.println("ingest: " + command(List.of(launcher.toString(), "--version")).lines().findFirst().orElse("?").trim());
        try (NatsServerProcess nats = NatsServerProcess.start();
             S3Server s3 = S3Server.start(options.tls() ? logDir : null);
             Data d = new Data(s3.endpoint(), s3.trustStore())) {
            data = d;
            String trust = s3.trustOptions();
            out.println("nats-server: " + nats.url() + "   S3 (s3proxy, in memory): " + s3.endpoint()
                    + (options.tls() ? " (self-signed certificate " + s3.caCertPem() + ")" : ""));
            out.println("logs: " + logDir);
            Path plugins = s3Plugin(launcher);
            ingest = new IngestRunner(launcher, plugins, nats.url(), s3.endpoint(), logDir,
                    (options.ingestJavaOpts() + " " + trust).trim(), options.logLevel());
            ingest.listByPrefix(!options.flatListing());
            out.println("ingest's s3 source and destinations list " + (options.flatListing()
                    ? "all keys in one listing (--flat-listing)"
                    : "folder by folder (listByPrefix: true), as rclone does by default; --flat-listing: one listing"));
            if (options.rclone()) {
                rclone = Rclone.find(s3.endpoint(), s3.caCertPem(), logDir).orElse(null);
            }
            out.println(rclone == null ? (options.rclone() ? "rclone not installed: ingest only, no ratios"
                    : "rclone: off (--no-rclone)") : "rclone: " + rclone.version());
            serverSideCopy = probeServerSideCopy();
            out.println("s3 plugin serverSideCopy key: " + (serverSideCopy ? "supported" : "not supported"));
            out.println();
            if (options.serve()) {
                Runtime.getRuntime().addShutdownHook(new Thread(nats::close, "stop-nats-server"));
                serve(s3);
                return 0;
            }
            if (options.warmup()) {
                warmUp();
            }
            for (int c : options.cases()) {
                try {
                    switch (c) {
                        case 1 -> case1();
                        case 2 -> case2();
                        case 3 -> case3();
                        case 4 -> case4();
                        case 5 -> case5();
                        case 6 -> case6();
                        case 7 -> case7();
                        case 8 -> case8();
                        case 9 -> case9();
                        case 10 -> case10();
                        case 11 -> case11();
                        case 12 -> case12();
                        default -> throw new IllegalStateException();
                    }
                } catch (Exception e) {
                    rows.add(new Row(c + "", "(error)", Double.NaN, 0, 0, Double.NaN, -1, e.toString()));
                    out.println("[case " + c + "] failed: " + e);
                    e.printStackTrace(out);
                } finally {
                    releaseSources(c);
                }
            }
        }
        out.println();
        out.println("load average at the end: " + loadAverage() + " (the benchmark shares the machine with anything else "
                + "running; compare it with the one at the start)");
        out.println("Results" + (options.quick() ? " (--quick: smaller data, a smoke run)" : "")
                + (options.tls() ? " (--tls: https)" : "") + (options.ingestJavaOpts().isBlank() ? ""
                : " (ingest JAVA_OPTS += " + options.ingestJavaOpts() + ")") + ":");
        out.println();
        out.print(Table.format(rows));
        out.println();
        out.println("seconds: whole-process wall time (JVM start-up included) for ingest and rclone; in-process time for"
                + " the SDK listing and for the steady-state round (case 7). MB/s: 10^6 bytes copied per second. vs rclone: seconds / rclone's seconds in the"
                + " same case (below 1: faster than rclone). peak RSS: largest resident memory of the process and its"
                + " children.");
        List<String> targets = Targets.check(rows);
        if (!targets.isEmpty()) {
            out.println();
            out.println("Targets, judged on this run:");
            targets.forEach(out::println);
        }
        boolean failed = rows.stream().anyMatch(r -> r.note().contains("FAILED") || r.note().contains("INCOMPLETE")
                || r.tool().equals("(error)"));
        return failed ? 1 : 0;
    }

    // ---------------------------------------------------------------- machine, plugin, probes

    private void printMachine() {
        out.println("ingest benchmark" + (options.quick() ? " (--quick)" : "") + ", " + LocalDateTime.now()
                .format(DateTimeFormatter.ISO_LOCAL_DATE_TIME).substring(0, 19));
        out.println("machine: nproc " + Runtime.getRuntime().availableProcessors() + ", memory " + memTotal() + ", "
                + cpuModel() + ", " + System.getProperty("os.name") + " " + System.getProperty("os.version"));
        String java = IngestRunner.java();
        out.println("java -version (" + java + "):");
        command(List.of(java, "-version")).lines().forEach(l -> out.println("  " + l));
        NatsServerProcess.findBinary().ifPresent(b -> out.println(command(List.of(b.toString(), "--version")).trim()));
        out.println("load average: " + loadAverage());
    }

    private static String loadAverage() {
        try {
            return Files.readString(Paths.get("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    private static String memTotal() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    long kib = Long.parseLong(line.replaceAll("\\D+", ""));
                    return String.format(Locale.ROOT, "%.1f GiB", kib / 1024.0 / 1024.0);
                }
            }
        } catch (IOException | RuntimeException e) {
            // below
        }
        return "? GiB";
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // below
        }
        return "cpu ?";
    }

    private static String command(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(30, TimeUnit.SECONDS);
            return s;
        } catch (IOException e) {
            return "(" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /**
     * The s3 plugin: the distribution's own when it bundles one; else the plugin directory unpacked from
     * {@code plugin-s3/target/plugin-s3-*-plugin.zip}, passed with {@code --plugins}.
     */
    private Path s3Plugin(Path launcher) throws IOException {
        String listing = command(List.of(launcher.toString(), "plugins"));
        if (listing.lines().anyMatch(l -> l.startsWith("s3 "))) {
            out.println("s3 plugin: bundled in the distribution");
            return null;
        }
        Path zip;
        try (Stream<Path> files = Files.list(options.root().resolve("plugin-s3/target"))) {
            zip = files.filter(p -> p.getFileName().toString().matches("plugin-s3-.*-plugin\\.zip"))
                    .max(Comparator.comparing(p -> p.toFile().lastModified()))
                    .orElseThrow(() -> new IOException("the distribution has no s3 plugin and plugin-s3/target has no "
                            + "plugin zip: build it (mvn -B -q -DskipTests install -pl plugin-s3 -am)"));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IOException("the distribution has no s3 plugin and plugin-s3 is not built: "
                    + "mvn -B -q -DskipTests install -pl plugin-s3 -am", e);
        }
        Path dir = options.root().resolve("ingest-bench/target/bench-plugins");
        deleteTree(dir);
        Files.createDirectories(dir);
        try (InputStream in = Files.newInputStream(zip); ZipInputStream z = new ZipInputStream(in)) {
            for (ZipEntry e = z.getNextEntry(); e != null; e = z.getNextEntry()) {
                Path target = dir.resolve(e.getName()).normalize();
                if (!target.startsWith(dir)) {
                    throw new IOException("bad entry in " + zip + ": " + e.getName());
                }
                if (e.isDirectory()) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(z, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        out.println("s3 plugin: not bundled in the distribution; using " + zip + " (--plugins " + dir + ")");
        return dir;
    }

    /** Whether the s3 plugin accepts {@code serverSideCopy} on a destination: asks {@code ingest --dry-run}. */
    private boolean probeServerSideCopy() throws Exception {
        data.createBucket("probe-src");
        data.createBucket("probe-dst");
        try {
            Path config = ingest.writeConfig(logDir.resolve("probe.yaml"), "probe-src",
                    List.of(new IngestRunner.Dest("dst", "probe-dst", Map.of("serverSideCopy", false))), 1, 1);
            Measured.Result r = ingest.dryRun("probe-serverSideCopy", config);
            if (r.exitCode() == 0) {
                return true;
            }
            String all = r.out() + r.err();
            if (!all.contains("serverSideCopy")) {
                out.println("bench: the serverSideCopy probe failed for another reason (exit " + r.exitCode() + "):\n"
                        + r.errTail(20) + r.out());
            }
            return false;
        } finally {
            data.deleteBucket("probe-src");
            data.deleteBucket("probe-dst");
        }
    }

    // ---------------------------------------------------------------- data sets shared by cases

    /** @return the bucket with {@code count} objects of {@code size}, generated the first time */
    private String source(String bucket, int count, long size) throws IOException {
        if (!sources.containsKey(bucket)) {
            long start = System.nanoTime();
            data.createBucket(bucket);
            data.fill(bucket, count, size);
            Data.Listing l = data.list(bucket);
            if (l.objects() != count || l.bytes() != count * size) {
                throw new IOException("generating " + bucket + " produced " + l + ", not " + count + " x " + size);
            }
            sources.put(bucket, l);
            out.printf(Locale.ROOT, "  (generated %s: %d x %s in %.1f s)%n", bucket, count, human(size),
                    (System.nanoTime() - start) / 1e9);
        }
        return bucket;
    }

    private String smallSource() throws IOException {
        return source("src-small", sizes.smallCount(), sizes.smallSize());
    }

    private String bigSource() throws IOException {
        return source("src-big", sizes.bigCount(), sizes.bigSize());
    }

    private String manySource() throws IOException {
        return source("src-many", sizes.manyCount(), sizes.manySize());
    }

    /** Deletes the shared sources no later case needs, to free the server's memory. */
    private void releaseSources(int finished) {
        Map<String, List<Integer>> users = Map.of("src-small", List.of(1, 7, 9, 12), "src-big", List.of(2, 4, 6, 7, 9),
                "src-many", List.of(3, 5, 7, 9, 11));
        for (Map.Entry<String, List<Integer>> e : users.entrySet()) {
            boolean needed = e.getValue().stream().anyMatch(c -> c > finished && options.cases().contains(c));
            if (!needed && sources.remove(e.getKey()) != null) {
                data.deleteBucket(e.getKey());
            }
        }
    }

    private static String human(long bytes) {
        if (bytes >= MIB && bytes % MIB == 0) {
            return bytes / MIB + " MiB";
        }
        if (bytes >= KIB && bytes % KIB == 0) {
            return bytes / KIB + " KiB";
        }
        return bytes + " B";
    }

    private static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    // ---------------------------------------------------------------- steps

    private Map<String, Object> streaming() {
        return serverSideCopy ? Map.of("serverSideCopy", false) : Map.of();
    }

    /**
     * Runs ingest into fresh destination buckets, checks them against the source and records a row.
     *
     * @return the row (also added to the table)
     */
    private Row ingestCopy(String benchCase, String tool, String label, String source, List<String> destBuckets,
                           Map<String, Object> destKeys, int batchSize, int concurrency, String javaOpts)
            throws Exception {
        List<IngestRunner.Dest> dests = new ArrayList<>();
        int i = 0;
        for (String b : destBuckets) {
            data.deleteBucket(b);
            data.createBucket(b);
            dests.add(new IngestRunner.Dest("dst" + (++i), b, destKeys));
        }
        Path config = ingest.writeConfig(logDir.resolve(label + ".yaml"), source, dests, batchSize, concurrency);
        IngestRunner.Run run = ingest.run(label, "all", config, javaOpts);
        Data.Listing expected = sources.get(source);
        Row row = new Row(benchCase, tool, run.result().seconds(), expected.objects(), expected.bytes(), Double.NaN,
                run.result().peakRssBytes(), run.describe()).withCpu(run.result().cpuSeconds());
        row = verify(row, destBuckets, expected);
        if (!run.ok()) {
            row = row.withNote("FAILED: see " + run.result().stderr());
        }
        report(row);
        return row;
    }

    private Row rcloneCopy(String benchCase, String tool, String label, String source, List<String> destBuckets,
                           int transfers, boolean serverSide) throws Exception {
        double seconds = 0;
        double cpu = 0;
        long peak = -1;
        String failure = null;
        for (String b : destBuckets) {
            data.deleteBucket(b);
            data.createBucket(b);
        }
        int n = 0;
        for (String b : destBuckets) {
            Measured.Result r = rclone.copy(label + (destBuckets.size() > 1 ? "-" + (++n) : ""), source, b,
                    transfers, serverSide);
            seconds += r.seconds();
            cpu += r.cpuSeconds();
            peak = Math.max(peak, r.peakRssBytes());
            if (r.exitCode() != 0) {
                failure = "FAILED: exit " + r.exitCode() + " (log " + r.stderr() + ")";
            }
        }
        Data.Listing expected = sources.get(source);
        Row row = new Row(benchCase, tool, seconds, expected.objects(), expected.bytes(), Double.NaN, peak,
                failure == null ? "" : failure).withCpu(cpu);
        row = verify(row, destBuckets, expected);
        report(row);
        return row;
    }

    private Row verify(Row row, List<String> buckets, Data.Listing expected) {
        for (String b : buckets) {
            Data.Listing got = data.list(b);
            if (!got.equals(expected)) {
                row = row.withNote("INCOMPLETE: " + b + " has " + got.objects() + " objects, " + got.bytes()
                        + " bytes; expected " + expected.objects() + ", " + expected.bytes());
            }
        }
        return row;
    }

    private void report(Row row) {
        out.printf(Locale.ROOT, "[case %s] %-28s %8s s%s%n", row.benchCase(), row.tool(), Table.seconds(row.seconds()),
                row.note().isEmpty() ? "" : "   " + row.note());
    }

    private void add(Row row, Row reference) {
        rows.add(reference == null ? row : row.comparedTo(reference));
    }

    private void deleteBuckets(String... buckets) {
        for (String b : buckets) {
            data.deleteBucket(b);
        }
    }

    /** A measured step. */
    @FunctionalInterface
    interface Step {
        Row run() throws Exception;
    }

    /**
     * Runs a step {@code --repeat} times.
     *
     * @return the run with the median time (the lower middle one for an even count), its note saying the range
     */
    private Row repeat(Step step) throws Exception {
        int n = options.repeat();
        List<Row> runs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            runs.add(step.run());
        }
        if (n == 1) {
            return runs.get(0);
        }
        runs.sort(Comparator.comparingDouble(r -> Double.isNaN(r.seconds()) ? Double.MAX_VALUE : r.seconds()));
        Row median = runs.get((n - 1) / 2);
        String failures = runs.stream().filter(r -> r != median).map(Row::note)
                .filter(x -> x.contains("FAILED") || x.contains("INCOMPLETE")).findFirst().map(x -> "; another run: " + x)
                .orElse("");
        return median.withNote(String.format(Locale.ROOT, "median of %d runs (%s to %s s)%s", n,
                Table.seconds(runs.get(0).seconds()), Table.seconds(runs.get(n - 1).seconds()), failures));
    }

    // ---------------------------------------------------------------- serve: the servers for manual runs

    /** Generates the data sets, writes configurations for them and waits until the process is interrupted. */
    private void serve(S3Server s3) throws Exception {
        StringBuilder env = new StringBuilder();
        for (String remote : List.of(Rclone.SRC, Rclone.DST)) {
            String p = "export RCLONE_CONFIG_" + remote.toUpperCase(Locale.ROOT) + "_";
            env.append(p).append("TYPE=s3\n").append(p).append("PROVIDER=Other\n")
                    .append(p).append("ENDPOINT=").append(s3.endpoint()).append('\n')
                    .append(p).append("ACCESS_KEY_ID=").append(S3Server.ACCESS_KEY).append('\n')
                    .append(p).append("SECRET_ACCESS_KEY=").append(S3Server.SECRET_KEY).append('\n')
                    .append(p).append("REGION=").append(S3Server.REGION).append('\n')
                    .append(p).append("FORCE_PATH_STYLE=true\n").append(p).append("NO_CHECK_BUCKET=true\n");
        }
        env.append("unset AWS_CA_BUNDLE\n");
        Files.writeString(logDir.resolve("rclone.env"), env.toString());
        for (String src : List.of(smallSource(), bigSource(), manySource())) {
            for (int i = 1; i <= 3; i++) {
                data.createBucket(src + "-dst" + i);
            }
            ingest.writeConfig(logDir.resolve(src + ".yaml"), src, List.of(
                    new IngestRunner.Dest("dst1", src + "-dst1", streaming())), 16, 16);
            ingest.writeConfig(logDir.resolve(src + "-fanout.yaml"), src, List.of(
                    new IngestRunner.Dest("dst1", src + "-dst1", streaming()),
                    new IngestRunner.Dest("dst2", src + "-dst2", streaming()),
                    new IngestRunner.Dest("dst3", src + "-dst3", streaming())), 16, 16);
        }
        out.println("serving; configurations " + logDir + "/src-{small,big,many}[-fanout].yaml (destination buckets "
                + "<source>-dst1..3, emptied by nothing: delete them between runs), rclone variables in "
                + logDir.resolve("rclone.env") + ". Interrupt (Ctrl-C) to stop.");
        Thread.sleep(Long.MAX_VALUE);
    }

    // ---------------------------------------------------------------- the cases

    /**
     * Warms up s3proxy (JIT) and the page cache for both tools (not reported), then measures what a run with
     * nothing to do costs each tool: an empty source bucket (reported as case 0).
     */
    private void warmUp() throws Exception {
        out.println("warm-up (not reported):");
        String src = source("src-warm", 300, 64 * KIB);
        Row a = ingestCopy("0", "ingest warm-up", "warmup-ingest", src, List.of("warm-i"), streaming(), 16, 16, "");
        if (rclone != null) {
            rcloneCopy("0", "rclone warm-up", "warmup-rclone", src, List.of("warm-r"), 16, false);
        }
        deleteBuckets("warm-i", "warm-r");
        sources.remove(src);
        data.deleteBucket(src);
        if (a.note().contains("FAILED")) {
            throw new IOException("the warm-up run of ingest failed: " + a.note());
        }
        String c = "0 empty source";
        String empty = source("src-empty", 0, 0);
        Row ref = rclone == null ? null
                : repeat(() -> rcloneCopy(c, "rclone copy", "c0-rclone", empty, List.of("c0-r"), 16, false));
        Row r = repeat(() -> ingestCopy(c, "ingest", "c0-ingest", empty, List.of("c0-i"), streaming(), 16, 16, ""));
        deleteBuckets("c0-r", "c0-i");
        sources.remove(empty);
        data.deleteBucket(empty);
        add(r.withNote("start-up, scan, drain and shut-down with nothing to copy"), ref);
        if (ref != null) {
            add(ref, ref);
        }
        out.println();
    }

    /** 2,000 x 4 KiB S3->S3 between two buckets, batchSize 16, concurrency 16 and 32. */
    private void case1() throws Exception {
        String c = "1 " + count(sizes.smallCount()) + "x" + human(sizes.smallSize()).replace(" ", "");
        String src = smallSource();
        Row ref = rclone == null ? null
                : repeat(() -> rcloneCopy(c, "rclone copy t=16", "c1-rclone", src, List.of("c1-r"), 16, false));
        deleteBuckets("c1-r");
        for (int concurrency : List.of(16, 32)) {
            Row r = repeat(() -> ingestCopy(c, "ingest b=16 c=" + concurrency, "c1-ingest-c" + concurrency, src,
                    List.of("c1-i" + concurrency), streaming(), 16, concurrency, ""));
            deleteBuckets("c1-i" + concurrency);
            add(r, ref);
        }
        if (ref != null) {
            add(ref, ref);
        }
    }

    /** 8 x 64 MiB S3->S3, streaming. */
    private void case2() throws Exception {
        String c = "2 " + sizes.bigCount() + "x" + human(sizes.bigSize()).replace(" ", "");
        String src = bigSource();
        Row ref = rclone == null ? null
                : repeat(() -> rcloneCopy(c, "rclone copy t=8", "c2-rclone", src, List.of("c2-r"), 8, false));
        deleteBuckets("c2-r");
        Row r = repeat(() -> ingestCopy(c, "ingest b=8 c=8", "c2-ingest", src, List.of("c2-i"), streaming(), 8, 8, ""));
        deleteBuckets("c2-i");
        add(r, ref);
        if (ref != null) {
            add(ref, ref);
        }
    }

    /** Enqueue of 20,000 objects vs listing them. */
    private void case3() throws Exception {
        String c = "3 enqueue " + count(sizes.manyCount());
        String src = manySource();
        long objects = sources.get(src).objects();
        data.createBucket("c3-dst"); // the destination is checked at start-up even when only enqueuing
        Path config = ingest.writeConfig(logDir.resolve("c3-enqueue.yaml"), src,
                List.of(new IngestRunner.Dest("dst1", "c3-dst", streaming())), 16, 16);
        Row enqueue = repeat(() -> {
            IngestRunner.Run run = ingest.run("c3-enqueue", "enqueue", config, "");
            Row row = new Row(c, "ingest --mode=enqueue", run.result().seconds(), objects, 0, Double.NaN,
                    run.result().peakRssBytes(), run.describe() + (run.result().exitCode() == 0 ? "" : "; FAILED"))
                    .withCpu(run.result().cpuSeconds());
            report(row);
            return row;
        });
        data.deleteBucket("c3-dst");

        data.list(src); // warm
        Row sdk = repeat(() -> listInJvm(c, src, ""));
        data.listByFolder(src); // warm
        Row sdkByFolder = repeat(() -> {
            long start = System.nanoTime();
            Data.Listing l = data.listByFolder(src);
            Row row = new Row(c, "ListObjectsV2 by folder (SDK)", (System.nanoTime() - start) / 1e9, l.objects(), 0,
                    Double.NaN, -1, l.objects() != objects ? "INCOMPLETE: listed " + l.objects() : "");
            report(row);
            return row;
        });

        Row lsf = null;
        if (rclone != null) {
            lsf = repeat(() -> {
                Measured.Result r = rclone.lsf("c3-rclone-lsf", src);
                long lines = r.out().lines().count();
                Row row = new Row(c, "rclone lsf", r.seconds(), lines, 0, Double.NaN, r.peakRssBytes(),
                        r.exitCode() != 0 ? "FAILED: exit " + r.exitCode()
                                : lines != objects ? "INCOMPLETE: listed " + lines : "").withCpu(r.cpuSeconds());
                report(row);
                return row;
            });
        }
        add(enqueue, lsf);
        add(sdk, lsf);
        add(sdkByFolder, lsf);
        if (lsf != null) {
            add(lsf, lsf);
        }
    }

    /** Case 12 ({@link ClusterCase}): case 1's copy through a 3-node cluster at 1 and at 3 replicas. */
    private void case12() throws Exception {
        String c = "12 R3 vs R1 " + count(sizes.smallCount()) + "x" + human(sizes.smallSize()).replace(" ", "");
        String src = smallSource();
        IngestRunner usual = ingest;
        try {
            for (Row r : ClusterCase.run(out, ingest, (runner, tool, label) -> {
                ingest = runner; // ingestCopy runs through this.ingest
                Row row = repeat(() -> ingestCopy(c, tool, label, src, List.of("c12-i"), streaming(), 16, 16, ""));
                deleteBuckets("c12-i");
                return row;
            })) {
                add(r, null);
            }
        } finally {
            ingest = usual;
        }
    }

    /** The PostgreSQL of the machine, as scripts/ensure-databases.sh sets it up. */
    private static final List<String> PSQL = List.of("psql", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres", "-d",
            "test", "-v", "ON_ERROR_STOP=1");
    private static final String JDBC_TABLE = "ingest_bench_rows";

    /**
     * The jdbc source: a table of access-log rows (about 200 bytes each as text) read by {@code ingest --mode=all
     * --once} into one gzip NDJSON object at a file destination, against {@code psql -c "\\copy (SELECT ...) TO STDOUT"
     * | gzip}, the physical limit of reading the rows out. Rows per second are the objects column over the seconds.
     */
    private void case10() throws Exception {
        int rowCount = options.quick() ? 100_000 : 1_000_000;
        String c = "10 jdbc " + count(rowCount) + " rows";
        List<String> setup = new ArrayList<>(PSQL);
        setup.addAll(List.of("-qc", "DROP TABLE IF EXISTS " + JDBC_TABLE + "; CREATE TABLE " + JDBC_TABLE
                + " (id bigint PRIMARY KEY, inserted_at timestamptz NOT NULL, bucket text NOT NULL, request text NOT NULL,"
                + " status int, bytes bigint); INSERT INTO " + JDBC_TABLE + " SELECT i, timestamptz '2026-01-01' + i"
                + " * interval '1 millisecond', 'bucket-' || (i % 10), 'GET /photos/2026/01/01/img_' || i || '.jpg"
                + " HTTP/1.1 Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 ref=https://example.com/',"
                + " 200, i % 100000 FROM generate_series(1, " + rowCount + ") i; ANALYZE " + JDBC_TABLE));
        long start = System.nanoTime();
        Measured.Result made = Measured.run(setup, Map.of(), logDir.resolve("c8-setup"), java.time.Duration.ofMinutes(10));
        if (made.exitCode() != 0) {
            throw new IOException("case 10 needs PostgreSQL on 127.0.0.1:5432 with trust and a database test "
                    + "(scripts/ensure-databases.sh): " + made.errTail(5));
        }
        out.printf(Locale.ROOT, "  (generated %s: %s rows in %.1f s)%n", JDBC_TABLE, count(rowCount),
                (System.nanoTime() - start) / 1e9);
        try {
            Path copied = logDir.resolve("c8-copy.tsv.gz");
            String copy = String.join(" ", PSQL) + " -c '\\copy (SELECT * FROM " + JDBC_TABLE
                    + " ORDER BY id) TO STDOUT' | gzip > " + copied;
            Row limit = repeat(() -> {
                Measured.Result r = Measured.run(List.of("sh", "-c", copy), Map.of(), logDir.resolve("c8-psql-copy"),
                        java.time.Duration.ofMinutes(10));
                Row row = new Row(c, "psql \\copy | gzip", r.seconds(), rowCount, Files.size(copied), Double.NaN,
                        r.peakRssBytes(), r.exitCode() == 0 ? "" : "FAILED: exit " + r.exitCode() + " " + r.errTail(3))
                        .withCpu(r.cpuSeconds());
                report(row);
                return row;
            });
            int[] runs = {0};
            Row ingestRow = repeat(() -> {
                Path dst = logDir.resolve("c8-dst-" + ++runs[0]);
                Path config = logDir.resolve("c8-ingest-" + runs[0] + ".yaml");
                Files.writeString(config, """
                        sources:
                        - name: db
                          type: jdbc
                          url: jdbc:postgresql://127.0.0.1:5432/test
                          user: postgres
                          table: %s
                          cursor: [id]
                        destinations:
                        - name: files
                          type: file
                          path: '%s'
                        workflows:
                        - name: rows
                          source: db
                          destinations: [files]
                          batch: {maxRecords: 10000000, maxBytes: 4GiB, maxAge: 1h, format: ndjson, compression: gzip,
                                  key: '{first}.{ext}'}
                        """.formatted(JDBC_TABLE, dst), StandardCharsets.UTF_8);
                IngestRunner.Run run = ingest.run("c8-ingest", "all", config, "");
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("ingest: records (\\d+), batches (\\d+)")
                        .matcher(run.result().out());
                long records = m.find() ? Long.parseLong(m.group(1)) : 0;
                long bytes = 0;
                if (Files.isDirectory(dst)) {
                    try (Stream<Path> files = Files.list(dst)) {
                        for (Path f : files.toList()) {
                            bytes += Files.size(f);
                        }
                    }
                    deleteTree(dst);
                }
                String note = run.result().exitCode() != 0 ? "FAILED: exit " + run.result().exitCode() + " "
                        + run.result().errTail(3) : records != rowCount ? "INCOMPLETE: " + records + " records" : "";
                Row row = new Row(c, "ingest jdbc -> file", run.result().seconds(), records, bytes, Double.NaN,
                        run.result().peakRssBytes(), note).withCpu(run.result().cpuSeconds());
                report(row);
                return row;
            });
            add(ingestRow, limit);
            add(limit, limit);
        } finally {
            List<String> drop = new ArrayList<>(PSQL);
            drop.addAll(List.of("-qc", "DROP TABLE IF EXISTS " + JDBC_TABLE));
            Measured.run(drop, Map.of(), logDir.resolve("c8-drop"), java.time.Duration.ofMinutes(1));
        }
    }

    /** Lists a bucket with the SDK in this JVM (no process start-up), timing only the listing. */
    private Row listInJvm(String benchCase, String bucket, String note) {
        long start = System.nanoTime();
        Data.Listing l = data.list(bucket);
        Row row = new Row(benchCase, "ListObjectsV2 (SDK, in-JVM)", (System.nanoTime() - start) / 1e9, l.objects(), 0,
                Double.NaN, -1, note);
        report(row);
        return row;
    }

    /** Fan-out of 8 x 64 MiB to three destinations with the dequeuer at -Xmx256m. */
    private void case4() throws Exception {
        String c = "4 fan-out 3x " + sizes.bigCount() + "x" + human(sizes.bigSize()).replace(" ", "");
        String src = bigSource();
        List<String> dst = List.of("c4-i1", "c4-i2", "c4-i3");
        Row r = repeat(() -> ingestCopy(c, "ingest -Xmx256m c=8", "c4-ingest", src, dst, streaming(), 8, 8, "-Xmx256m"));
        deleteBuckets(dst.toArray(String[]::new));
        // ingest copied each byte three times: count the bytes stored, like rclone's three copies
        r = new Row(r.benchCase(), r.tool(), r.seconds(), r.objects() * 3, r.bytes() * 3, r.ratio(), r.peakRssBytes(),
                r.note(), r.cpuSeconds());
        Row ref = null;
        if (rclone != null) {
            List<String> rdst = List.of("c4-r1", "c4-r2", "c4-r3");
            ref = repeat(() -> rcloneCopy(c, "rclone copy t=8, 3 runs", "c4-rclone", src, rdst, 8, false));
            deleteBuckets(rdst.toArray(String[]::new));
            ref = new Row(ref.benchCase(), ref.tool(), ref.seconds(), ref.objects() * 3, ref.bytes() * 3, ref.ratio(),
                    ref.peakRssBytes(), ref.note(), ref.cpuSeconds());
        }
        add(r, ref);
        if (ref != null) {
            add(ref, ref);
        }
    }

    /** Rescan of an unchanged 20,000-object source: the second run copies nothing. */
    private void case5() throws Exception {
        String c5a = "5a copy " + count(sizes.manyCount()) + "x" + human(sizes.manySize()).replace(" ", "");
        String c5 = "5b rescan " + count(sizes.manyCount());
        String src = manySource();
        long objects = sources.get(src).objects();

        Row copyRef = null;
        Row rescanRef = null;
        if (rclone != null) {
            copyRef = repeat(() -> rcloneCopy(c5a, "rclone copy t=16", "c5-rclone-copy", src, List.of("c5-r"), 16,
                    false));
            rescanRef = repeat(() -> {
                Measured.Result again = rclone.copy("c5-rclone-rescan", src, "c5-r", 16, false);
                Row row = new Row(c5, "rclone copy (again)", again.seconds(), objects, 0, Double.NaN,
                        again.peakRssBytes(), again.exitCode() == 0 ? "" : "FAILED: exit " + again.exitCode())
                        .withCpu(again.cpuSeconds());
                report(row);
                return row;
            });
            data.deleteBucket("c5-r");
        }

        Row copy = repeat(() -> ingestCopy(c5a, "ingest b=16 c=16", "c5-ingest-copy", src, List.of("c5-i"),
                streaming(), 16, 16, ""));
        Path config = ingest.writeConfig(logDir.resolve("c5-ingest-rescan.yaml"), src,
                List.of(new IngestRunner.Dest("dst1", "c5-i", streaming())), 16, 16);
        Row rescan = repeat(() -> {
            IngestRunner.Run run = ingest.run("c5-ingest-rescan", "all", config, "");
            Row row = new Row(c5, "ingest b=16 c=16 (again)", run.result().seconds(), objects, 0, Double.NaN,
                    run.result().peakRssBytes(), run.describe()).withCpu(run.result().cpuSeconds());
            if (!run.ok() || run.summary().copied() != 0) {
                row = row.withNote("FAILED: expected to copy nothing");
            }
            report(row);
            return row;
        });
        data.deleteBucket("c5-i");

        data.list(src);
        Row sdk = repeat(() -> listInJvm(c5, src, "the listing alone"));

        add(copy, copyRef);
        if (copyRef != null) {
            add(copyRef, copyRef);
        }
        add(rescan, rescanRef);
        if (rescanRef != null) {
            add(rescanRef, rescanRef);
        }
        add(sdk, rescanRef);
    }

    /**
     * One-time runs on a warm service: {@code ingest --mode=all} runs with the REST API and three workflows, {@code warm}
     * (case 1's source to a bucket of its own, copied at start-up: the JVM is warm afterwards), {@code small} and
     * {@code big}, whose source buckets are empty at start-up. Once warm, case 1's and case 2's data are put into those
     * buckets and {@code ingest run small} and {@code ingest run big} are timed as whole commands (the client's JVM
     * start included), beside rclone copying the same buckets.
     */
    private void case9() throws Exception {
        String small = smallSource();
        String big = bigSource();
        String many = manySource();
        for (String b : List.of("c9-small-src", "c9-big-src", "c9-small-i", "c9-big-i", "c9-warm", "c9-warm-many",
                "c9-small-r", "c9-big-r")) {
            data.deleteBucket(b);
            data.createBucket(b);
        }
        StringBuilder y = new StringBuilder("# generated by ingest-bench\nsources:\n");
        ingest.appendS3(y, "warm-src", small);
        ingest.appendS3(y, "warm-many-src", many);
        ingest.appendS3(y, "small-src", "c9-small-src");
        ingest.appendS3(y, "big-src", "c9-big-src");
        y.append("destinations:\n");
        ingest.appendS3(y, "warm-dst", "c9-warm");
        ingest.appendS3(y, "warm-many-dst", "c9-warm-many");
        ingest.appendS3(y, "small-dst", "c9-small-i");
        ingest.appendS3(y, "big-dst", "c9-big-i");
        // Warm: the service has copied the 20,000 x 1 KiB and the 2,000 x 4 KiB sources before the runs (about as
        // many requests as the first of case 7's three warm-up rounds), as a service does that has been up a while.
        y.append("workflows:\n")
                .append("- {name: warm-many, source: warm-many-src, destinations: [warm-many-dst], interval: 24h, batchSize: 16, concurrency: 16}\n")
                .append("- {name: warm, source: warm-src, destinations: [warm-dst], interval: 24h, batchSize: 16, concurrency: 16}\n")
                .append("- {name: small, source: small-src, destinations: [small-dst], interval: 24h, batchSize: 16, concurrency: 16}\n")
                .append("- {name: big, source: big-src, destinations: [big-dst], interval: 24h, batchSize: 8, concurrency: 8}\n");
        Path config = logDir.resolve("c9-service.yaml");
        Files.writeString(config, y.toString());
        Path token = logDir.resolve("c9-token");
        Files.writeString(token, "bench-token\n");
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Map.Entry<Process, String> service = ingest.startService("c9-service", config, port, token);
        try {
            Data.Listing warm = sources.get(small);
            Data.Listing warmMany = sources.get(many);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while (!data.list("c9-warm").equals(warm) || !data.list("c9-warm-many").equals(warmMany)) {
                if (!service.getKey().isAlive() || System.nanoTime() > deadline) {
                    throw new IOException("the service did not warm up (see " + logDir + "/c9-service.*.err)");
                }
                Thread.sleep(1000);
            }
            String[] server = {"--server", "http://127.0.0.1:" + port};
            // The client warmed up too, as on any machine that has run the command before: its first run records
            // the command's class-data archive (INGEST_CDS), the second keeps it. A run of the warm workflow finds
            // every object already stored.
            for (int i = 0; i < 2; i++) {
                Measured.Result w = ingest.command("c9-client-warm-up", Map.of("INGEST_API_TOKEN", "bench-token"),
                        "run", "warm", server[0], server[1]);
                if (w.exitCode() != 0) {
                    throw new IOException("the client's warm-up run failed: exit " + w.exitCode() + " (log "
                            + w.stderr() + ")");
                }
            }
            for (String[] w : List.of(new String[] {"small", small, "c9-small-src", "c9-small-i", "c9-small-r", "16"},
                    new String[] {"big", big, "c9-big-src", "c9-big-i", "c9-big-r", "8"})) {
                Data.Listing expected = sources.get(w[1]);
                String c = "9 ingest run " + (w[0].equals("small")
                        ? count(sizes.smallCount()) + "x" + human(sizes.smallSize()).replace(" ", "")
                        : sizes.bigCount() + "x" + human(sizes.bigSize()).replace(" ", ""));
                data.fill(w[2], (int) expected.objects(), expected.bytes() / Math.max(1, expected.objects()));
                sources.put(w[2], data.list(w[2]));
                Measured.Result r = ingest.command("c9-run-" + w[0], Map.of("INGEST_API_TOKEN", "bench-token"),
                        "run", w[0], server[0], server[1]);
                Row row = new Row(c, "ingest run (warm service)", r.seconds(), expected.objects(), expected.bytes(),
                        Double.NaN, -1, r.out().lines().filter(l -> l.startsWith("ingest: run")).findFirst()
                        .orElse("no summary")).withCpu(r.cpuSeconds());
                if (r.exitCode() != 0) {
                    row = row.withNote("FAILED: exit " + r.exitCode() + " (log " + r.stderr() + ")");
                }
                row = verify(row, List.of(w[3]), expected);
                report(row);
                Row ref = rclone == null ? null
                        : rcloneCopy(c, "rclone copy t=" + w[5], "c9-rclone-" + w[0], w[2], List.of(w[4]),
                                Integer.parseInt(w[5]), false);
                add(row, ref);
                if (ref != null) {
                    add(ref, ref);
                }
                sources.remove(w[2]);
            }
        } finally {
            service.getKey().destroy();
            service.getKey().waitFor(60, TimeUnit.SECONDS);
            ingest.deleteStream(service.getValue());
            deleteBuckets("c9-small-src", "c9-big-src", "c9-small-i", "c9-big-i", "c9-warm", "c9-warm-many", "c9-small-r",
                    "c9-big-r");
        }
    }

    /**
     * Records: log lines of 100 bytes tailed from 4 files ({@code tail: true}) and batched into gzip objects at a
     * file destination ({@code --once}: read what is there, close every batch, exit), against {@code gzip -6} over
     * the same bytes on one core, which is the physical limit of this path. The stored objects are decompressed and
     * their lines counted.
     */
    private void case8() throws Exception {
        long lines = options.quick() ? 300_000 : 3_000_000;
        String c = "8 records " + count(lines) + "x" + LogLines.LINE_BYTES + "B";
        Path src = logDir.resolve("c8-logs");
        long start = System.nanoTime();
        long bytes = LogLines.write(src, 4, lines);
        out.printf(Locale.ROOT, "  (generated %s lines in 4 files, %s, in %.1f s)%n", count(lines),
                human(bytes), (System.nanoTime() - start) / 1e9);
        List<String> files = new ArrayList<>();
        for (int f = 0; f < 4; f++) {
            files.add(src.resolve("app-" + f + ".log").toString());
        }
        Row gzip = repeat(() -> {
            List<String> cmd = new ArrayList<>(List.of("sh", "-c", "exec gzip -6 -c \"$@\" > /dev/null", "gzip"));
            cmd.addAll(files);
            Measured.Result r = Measured.run(cmd, Map.of(), logDir.resolve("c8-gzip"), Duration.ofMinutes(10));
            Row row = new Row(c, "gzip -6 (1 core)", r.seconds(), lines, bytes, Double.NaN, r.peakRssBytes(),
                    r.exitCode() == 0 ? "" : "FAILED: exit " + r.exitCode()).withCpu(r.cpuSeconds());
            report(row);
            return row;
        });
        Row ingestRow = repeat(() -> {
            Path dst = logDir.resolve("c8-out");
            deleteTree(dst);
            Path config = logDir.resolve("c8-ingest.yaml");
            Files.writeString(config, "# generated by ingest-bench\n"
                    + "sources:\n- name: logs\n  type: file\n  path: " + src + "\n  tail: true\n"
                    + "destinations:\n- name: out\n  type: file\n  path: " + dst + "\n"
                    + "workflows:\n- name: bench\n  source: logs\n  destinations: [out]\n"
                    + "  batch: {format: lines, compression: gzip, maxRecords: 500000, maxBytes: 64MiB}\n");
            IngestRunner.Run run = ingest.run("c8-ingest", "all", config, "");
            Row row = new Row(c, "ingest tail -> file, gzip", run.result().seconds(), lines, bytes, Double.NaN,
                    run.result().peakRssBytes(), run.describe()).withCpu(run.result().cpuSeconds());
            if (run.summary() != null && run.summary().engineSeconds() > 0) {
                row = row.withNote(String.format(Locale.ROOT, "%.0f lines/s in the engine's own time",
                        lines / run.summary().engineSeconds()));
            }
            LogLines.Stored stored = Files.isDirectory(dst) ? LogLines.read(dst) : new LogLines.Stored(0, 0, 0);
            if (stored.lines() != lines || stored.bytes() != bytes) {
                row = row.withNote("INCOMPLETE: the destination holds " + stored.lines() + " lines, " + stored.bytes()
                        + " bytes; expected " + lines + ", " + bytes);
            } else {
                row = row.withNote(stored.objects() + " objects, every line stored");
            }
            if (!run.ok()) {
                row = row.withNote("FAILED: see " + run.result().stderr());
            }
            report(row);
            deleteTree(dst);
            return row;
        });
        deleteTree(src);
        add(ingestRow, gzip);
        add(gzip, gzip);
    }

    /** One workload of the steady state (case 7): a data set, how ingest and rclone copy it. */
    private record Steady(String letter, String source, int batchSize, int concurrency, int transfers) {
    }

    /**
     * Steady state: ingest kept running in one JVM, as a service is (the launcher's JVM options for a service, the
     * distribution's class path and plugins), copying new work round after round: three rounds of 20,000 x 1 KiB to
     * warm it up, then each workload once more (7a 20,000 x 1 KiB, 7b 2,000 x 4 KiB, 7c 8 x 64 MiB), each round on a
     * fresh stream into a fresh bucket. A workload's last round is its row, with the CPU time the JVM spent in that
     * round (every thread: copies, JIT compilers, GC); rclone copies the same data, its CPU time from GNU time.
     */
    private void case7() throws Exception {
        List<Steady> workloads = List.of(
                new Steady("a", manySource(), 16, 16, 16),
                new Steady("b", smallSource(), 16, 32, 16),
                new Steady("c", bigSource(), 8, 8, 8));
        int warmUp = options.quick() ? 2 : 3;
        List<Steady> rounds = new ArrayList<>();
        for (int i = 0; i < warmUp; i++) {
            rounds.add(workloads.get(0));
        }
        rounds.addAll(workloads);
        List<String> cmd = ingest.serviceJvm(options.root().resolve("ingest-bench/target/classes"),
                SteadyMain.class.getName());
        cmd.add(ingest.natsUrl());
        cmd.add(ingest.pluginDirs().stream().map(Path::toString)
                .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator)));
        List<String> buckets = new ArrayList<>();
        for (int r = 1; r <= rounds.size(); r++) {
            Steady w = rounds.get(r - 1);
            String b = "c7-i" + r;
            data.deleteBucket(b);
            data.createBucket(b);
            buckets.add(b);
            cmd.add(ingest.writeConfig(logDir.resolve("c7-round-" + r + ".yaml"), w.source(),
                    List.of(new IngestRunner.Dest("dst1", b, streaming())), w.batchSize(), w.concurrency()).toString());
        }
        Measured.Result result = Measured.run(cmd, Map.of(), logDir.resolve("c7-ingest"), java.time.Duration.ofMinutes(30));
        List<double[]> done = new ArrayList<>();
        for (String line : result.out().lines().toList()) {
            String[] f = line.split("[ :]+");
            if (f.length >= 5 && f[0].equals("round")) {
                done.add(new double[] {Double.parseDouble(f[2]), Double.parseDouble(f[3]), Double.parseDouble(f[4])});
            }
        }
        for (int r = 1; r <= rounds.size(); r++) {
            ingest.deleteStream("STEADY_" + r);
        }
        StringBuilder warm = new StringBuilder("warm-up rounds (" + count(sizes.manyCount()) + " x 1 KiB)");
        for (int r = 0; r < Math.min(warmUp, done.size()); r++) {
            warm.append(String.format(Locale.ROOT, " %.1f s (CPU %.1f s)", done.get(r)[0], done.get(r)[1]));
        }
        for (int i = 0; i < workloads.size(); i++) {
            Steady w = workloads.get(i);
            int round = warmUp + i; // 0-based
            Data.Listing expected = sources.get(w.source());
            String c = "7" + w.letter() + " steady " + count(expected.objects()) + "x"
                    + human(expected.bytes() / Math.max(1, expected.objects())).replace(" ", "");
            String tool = "ingest b=" + w.batchSize() + " c=" + w.concurrency() + ", one JVM";
            Row row;
            if (done.size() <= round) {
                row = new Row(c, tool, Double.NaN, expected.objects(), expected.bytes(), Double.NaN,
                        result.peakRssBytes(), "FAILED: " + done.size() + " of " + rounds.size()
                        + " rounds ran (exit " + result.exitCode() + ", see " + result.stderr() + ")");
            } else {
                double[] d = done.get(round);
                row = new Row(c, tool, d[0], expected.objects(), expected.bytes(), Double.NaN, result.peakRssBytes(),
                        "round " + (round + 1) + " of " + rounds.size() + " in one JVM; " + warm
                                + String.format(Locale.ROOT, "; whole process %.1f s", result.seconds()))
                        .withCpu(d[1]);
                row = verify(row, List.of(buckets.get(round)), expected);
                if (result.exitCode() != 0 || d[2] != expected.objects()) {
                    row = row.withNote("FAILED: exit " + result.exitCode() + ", copied " + (long) d[2]
                            + " (see " + result.stderr() + ")");
                }
            }
            report(row);
            Row ref = null;
            if (rclone != null) {
                String rb = "c7-r" + w.letter();
                ref = repeat(() -> rcloneCopy(c, "rclone copy t=" + w.transfers(), "c7-rclone-" + w.letter(),
                        w.source(), List.of(rb), w.transfers(), false));
                data.deleteBucket(rb);
            }
            add(row, ref);
            if (ref != null) {
                add(ref, ref);
            }
        }
        deleteBuckets(buckets.toArray(String[]::new));
    }

    /**
     * Scale-out: 1, 2 and 4 dequeuer processes (services, {@code --mode=dequeue}) on one workflow, fed by
     * {@code --mode=enqueue --once} runs. The processes are warmed up first (20,000 x 1 KiB per process, through
     * warm-up workflows of their own), then the measured workflow queues case 5's 20,000 objects once. The row's CPU
     * time is the dequeuers' own (user plus system from {@code /proc/<pid>/stat}, summed) from the measured enqueue's
     * start until the consumer has nothing pending or unacknowledged; its seconds are that span. Each object must
     * be copied once: the dequeuers' {@code ingest_objects_copied_total} of the workflow add up to the object count,
     * and the destination holds every object.
     */
    private void case11() throws Exception {
        String src = manySource();
        Data.Listing expected = sources.get(src);
        String c = "11 dequeuers " + count(expected.objects()) + "x"
                + human(expected.bytes() / Math.max(1, expected.objects())).replace(" ", "");
        for (int k : List.of(1, 2, 4)) {
            String stream = "SCALE_" + k;
            String subject = "scale" + k;
            Map<String, String> workflows = new LinkedHashMap<>();
            for (int w = 1; w <= k; w++) {
                workflows.put("warm" + w, "c11-k" + k + "-w" + w);
            }
            workflows.put("bench", "c11-k" + k + "-bench");
            workflows.values().forEach(b -> {
                data.deleteBucket(b);
                data.createBucket(b);
            });
            Path all = ingest.writeWorkflows(logDir.resolve("c11-k" + k + ".yaml"), src, workflows, 16, 16);
            List<Process> dequeuers = new ArrayList<>();
            List<Integer> ports = new ArrayList<>();
            Row row;
            try {
                for (int d = 1; d <= k; d++) {
                    int port = freePort();
                    ports.add(port);
                    dequeuers.add(ingest.startDequeuer("c11-k" + k + "-dequeuer" + d, all, stream, subject, port));
                }
                for (int w = 1; w <= k; w++) {
                    String name = "warm" + w;
                    Path one = ingest.writeWorkflows(logDir.resolve("c11-k" + k + "-" + name + ".yaml"), src,
                            Map.of(name, workflows.get(name)), 16, 16);
                    IngestRunner.Run warm = ingest.run("c11-k" + k + "-enqueue-" + name, "enqueue", one, "", stream,
                            subject);
                    if (!warm.ok()) {
                        throw new IOException("case 11: the warm-up enqueue failed: " + warm.describe());
                    }
                    awaitDrained(stream, subject, name, dequeuers);
                }
                Path bench = ingest.writeWorkflows(logDir.resolve("c11-k" + k + "-bench.yaml"), src,
                        Map.of("bench", workflows.get("bench")), 16, 16);
                double cpu0 = cpuSeconds(dequeuers);
                long t0 = System.nanoTime();
                IngestRunner.Run run = ingest.run("c11-k" + k + "-enqueue-bench", "enqueue", bench, "", stream,
                        subject);
                awaitDrained(stream, subject, "bench", dequeuers);
                double seconds = (System.nanoTime() - t0) / 1e9;
                double cpu = cpuSeconds(dequeuers) - cpu0;
                long copied = 0;
                for (int port : ports) {
                    copied += copiedByMetrics(port, "bench");
                }
                row = new Row(c, k + (k == 1 ? " dequeuer" : " dequeuers") + " c=16", seconds, expected.objects(),
                        expected.bytes(), Double.NaN, -1, String.format(Locale.ROOT,
                        "CPU of the dequeuers only, from the enqueue's start to a drained consumer; copied %d (%s)",
                        copied, run.describe())).withCpu(cpu);
                row = verify(row, List.of(workflows.get("bench")), expected);
                if (copied != expected.objects()) {
                    row = row.withNote("INCOMPLETE: copied " + copied + " times for " + expected.objects() + " objects");
                }
                if (!run.ok()) {
                    row = row.withNote("FAILED: the enqueue (see " + run.result().stderr() + ")");
                }
            } finally {
                for (Process p : dequeuers) {
                    p.destroy();
                }
                for (Process p : dequeuers) {
                    if (!p.waitFor(60, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                    }
                }
                ingest.deleteStream(stream);
                deleteBuckets(workflows.values().toArray(String[]::new));
            }
            report(row);
            add(row, null);
        }
    }

    /** Waits until the workflow's consumer has nothing pending or awaiting an ack (or a dequeuer died). */
    private void awaitDrained(String stream, String subject, String workflow, List<Process> dequeuers)
            throws Exception {
        try (io.nats.client.Connection nc = io.nats.client.Nats.connect(ingest.natsUrl())) {
            io.nats.client.JetStreamManagement jsm = nc.jetStreamManagement();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(20);
            while (true) {
                for (Process p : dequeuers) {
                    if (!p.isAlive()) {
                        throw new IOException("case 11: a dequeuer exited with " + p.exitValue());
                    }
                }
                io.nats.client.api.ConsumerInfo info = jsm.getConsumerInfo(stream, subject + "__" + workflow);
                if (info.getNumPending() == 0 && info.getNumAckPending() == 0 && info.getNumWaiting() >= 0
                        && info.getDelivered().getStreamSequence() > 0) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("case 11: workflow " + workflow + " not drained in 20 minutes: " + info);
                }
                Thread.sleep(50);
            }
        }
    }

    /** @return the user plus system CPU seconds of the processes so far ({@code /proc/<pid>/stat}) */
    private static double cpuSeconds(List<Process> processes) throws IOException {
        double sum = 0;
        for (Process p : processes) {
            String stat = Files.readString(Paths.get("/proc", Long.toString(p.pid()), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            sum += (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime, stime in clock ticks (USER_HZ)
        }
        return sum;
    }

    /** @return {@code ingest_objects_copied_total} of the workflow at a process's metrics endpoint */
    private static long copiedByMetrics(int port, String workflow) throws IOException {
        java.net.URL url = java.net.URI.create("http://127.0.0.1:" + port + "/metrics").toURL();
        String text;
        try (InputStream in = url.openStream()) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        double total = 0;
        for (String line : text.lines().toList()) {
            if (line.startsWith("ingest_objects_copied_total{") && line.contains("workflow=\"" + workflow + "\"")) {
                total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return (long) total;
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** 8 x 64 MiB with server-side copy vs streaming, when the plugin has the key. */
    private void case6() throws Exception {
        String c = "6 server-side " + sizes.bigCount() + "x" + human(sizes.bigSize()).replace(" ", "");
        if (!serverSideCopy) {
            rows.add(new Row("6 server-side", "(skipped)", Double.NaN, 0, 0, Double.NaN, -1,
                    "the s3 plugin has no serverSideCopy key"));
            out.println("[case 6] skipped: the s3 plugin has no serverSideCopy key");
            return;
        }
        String src = bigSource();
        Row refStream = null;
        Row refServer = null;
        if (rclone != null) {
            refStream = repeat(() -> rcloneCopy(c, "rclone copy t=8 (2 remotes)", "c6-rclone-stream", src,
                    List.of("c6-r"), 8, false));
            refServer = repeat(() -> rcloneCopy(c, "rclone copy t=8 (server-side)", "c6-rclone-server", src,
                    List.of("c6-r"), 8, true));
            data.deleteBucket("c6-r");
        }
        Row stream = repeat(() -> ingestCopy(c, "ingest serverSideCopy=false", "c6-ingest-stream", src,
                List.of("c6-i"), Map.of("serverSideCopy", false), 8, 8, ""));
        Row server = repeat(() -> ingestCopy(c, "ingest serverSideCopy=true", "c6-ingest-server", src,
                List.of("c6-i"), Map.of("serverSideCopy", true), 8, 8, ""));
        data.deleteBucket("c6-i");
        add(stream, refStream);
        add(server, refServer);
        if (refStream != null) {
            add(refStream, refStream);
            add(refServer, refServer);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
