package dev.ingest.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs a command as a child process and measures its whole-process wall time and peak resident memory,
 * children included.
 *
 * <p>Memory: a sampler thread reads {@code /proc/<pid>/status} of the process and all its descendants every
 * {@value #SAMPLE_MILLIS} ms, keeping the largest sum of their {@code VmRSS} and the largest single
 * {@code VmHWM} (the kernel's own high-water mark, so a peak between two samples is not missed for a single
 * process). When {@code /usr/bin/time} exists the command runs under it as well and its "maximum resident set
 * size" (the largest child's peak, as the kernel accounts it at exit) counts too. The peak is the largest of
 * these.
 */
final class Measured {

    static final long SAMPLE_MILLIS = 20;
    private static final Path GNU_TIME = Paths.get("/usr/bin/time");

    /**
     * What a run did.
     *
     * @param exitCode the exit code; -1 if it was killed on timeout
     * @param seconds wall time from start to exit
     * @param peakRssBytes peak resident memory, children included; -1 if nothing could be read
     * @param stdout where its standard output went
     * @param stderr where its standard error went
     * @param cpuSeconds user plus system CPU time of the process and the children it waited for (GNU time's
     *     {@code %U + %S}); NaN when {@code /usr/bin/time} is missing
     */
    record Result(int exitCode, double seconds, long peakRssBytes, Path stdout, Path stderr, double cpuSeconds) {
        String out() {
            return read(stdout);
        }

        String err() {
            return read(stderr);
        }

        private static String read(Path p) {
            try {
                return Files.readString(p, StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        }

        /** @return the last lines of standard error, for failure messages */
        String errTail(int lines) {
            String[] all = err().split("\n");
            StringBuilder b = new StringBuilder();
            for (int i = Math.max(0, all.length - lines); i < all.length; i++) {
                b.append("    ").append(all[i]).append('\n');
            }
            return b.toString();
        }
    }

    private Measured() {
    }

    /**
     * Runs the command to its end (or kills it after the timeout).
     *
     * @param command the command and its arguments
     * @param env variables to set on top of this process's environment; a null value removes the variable
     * @param logPrefix its output goes to {@code logPrefix.out} and {@code logPrefix.err}
     * @param timeout how long it may take
     * @return what it did
     * @throws IOException if it cannot be started
     * @throws InterruptedException if interrupted while waiting
     */
    static Result run(List<String> command, Map<String, String> env, Path logPrefix, Duration timeout)
            throws IOException, InterruptedException {
        Path out = Paths.get(logPrefix + ".out");
        Path err = Paths.get(logPrefix + ".err");
        Path timeFile = Paths.get(logPrefix + ".maxrss");
        Files.deleteIfExists(timeFile);
        List<String> cmd = new ArrayList<>();
        boolean wrapped = Files.isExecutable(GNU_TIME);
        if (wrapped) {
            cmd.addAll(List.of(GNU_TIME.toString(), "-f", "%M %U %S", "-o", timeFile.toString()));
        }
        cmd.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        env.forEach((k, v) -> {
            if (v == null) {
                pb.environment().remove(k);
            } else {
                pb.environment().put(k, v);
            }
        });
        long start = System.nanoTime();
        Process process = pb.start();
        Sampler sampler = new Sampler(process.toHandle(), wrapped);
        Thread t = new Thread(sampler, "rss-sampler");
        t.setDaemon(true);
        t.start();
        int exit;
        if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            exit = process.exitValue();
        } else {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly().waitFor();
            exit = -1;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        sampler.stop();
        t.join();
        long peak = sampler.peak();
        double cpu = Double.NaN;
        if (wrapped) {
            double[] time = gnuTime(timeFile); // GNU time exits with the command's status
            peak = Math.max(peak, (long) time[0]);
            cpu = time[1];
        }
        return new Result(exit, seconds, peak, out, err, cpu);
    }

    /**
     * @return {peak RSS in bytes or -1, user + system CPU seconds or NaN}, from GNU time's {@code %M %U %S} line
     *     (its last line: a killed command is preceded by a "Command terminated" line)
     */
    static double[] gnuTime(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            for (int i = lines.size() - 1; i >= 0; i--) {
                String[] f = lines.get(i).trim().split("\\s+");
                if (f.length == 3 && f[0].matches("\\d+")) {
                    return new double[] {Long.parseLong(f[0]) * 1024.0,
                            Double.parseDouble(f[1]) + Double.parseDouble(f[2])};
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not measured
        }
        return new double[] {-1, Double.NaN};
    }

    /** Samples the memory of a process tree until stopped. */
    private static final class Sampler implements Runnable {
        private final ProcessHandle root;
        private final boolean skipRoot;
        private final AtomicLong peakSum = new AtomicLong(-1);
        private final Map<Long, Long> hwm = new HashMap<>();
        private volatile boolean stopped;

        Sampler(ProcessHandle root, boolean skipRoot) {
            this.root = root;
            this.skipRoot = skipRoot;
        }

        void stop() {
            stopped = true;
        }

        long peak() {
            synchronized (hwm) {
                long single = hwm.values().stream().mapToLong(Long::longValue).max().orElse(-1);
                return Math.max(single, peakSum.get());
            }
        }

        @Override
        public void run() {
            while (!stopped && root.isAlive()) {
                long sum = 0;
                boolean any = false;
                List<ProcessHandle> tree = new ArrayList<>();
                if (!skipRoot) {
                    tree.add(root);
                }
                root.descendants().forEach(tree::add);
                for (ProcessHandle p : tree) {
                    long[] m = status(p.pid());
                    if (m == null) {
                        continue;
                    }
                    any = true;
                    sum += m[0];
                    synchronized (hwm) {
                        hwm.merge(p.pid(), m[1], Math::max);
                    }
                }
                if (any) {
                    long s = sum;
                    peakSum.accumulateAndGet(s, Math::max);
                }
                try {
                    Thread.sleep(SAMPLE_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        /** @return {VmRSS, VmHWM} in bytes, or null when the process is gone */
        private static long[] status(long pid) {
            try {
                long rss = -1;
                long peak = -1;
                for (String line : Files.readAllLines(Paths.get("/proc", Long.toString(pid), "status"))) {
                    if (line.startsWith("VmRSS:")) {
                        rss = kib(line);
                    } else if (line.startsWith("VmHWM:")) {
                        peak = kib(line);
                    }
                }
                return rss < 0 ? null : new long[] {rss, Math.max(rss, peak)};
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }

        private static long kib(String line) {
            String[] parts = line.trim().split("\\s+");
            return Long.parseLong(parts[1]) * 1024;
        }
    }
}
