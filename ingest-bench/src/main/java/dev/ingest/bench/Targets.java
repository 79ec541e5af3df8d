package dev.ingest.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The project's speed and memory targets, checked against one run's rows: each line says what is wanted, the
 * figures it is judged on and whether this run meets it. Cases that did not run are left out.
 *
 * <ul>
 *   <li>case 0: an empty {@code --once} run within 0.6 s;</li>
 *   <li>cases 1 and 2 (one-off {@code --once} processes): ingest's best time at most 1.5 times rclone's;</li>
 *   <li>case 7 (steady state in one JVM): 7a and 7b at least 1.25 times rclone's speed, 7c at least rclone's; on
 *       each, CPU time per object at most rclone's;</li>
 *   <li>case 11 (several dequeuer processes): every object copied once, and the CPU time per object of 2 and 4
 *       processes within 10% of one process's;</li>
 *   <li>case 3: queueing within 1.5x of listing (rclone's {@code lsf}, and the SDK's listing in the benchmark's
 *       JVM);</li>
 *   <li>case 4: the fan-out at {@code -Xmx256m} completes (its peak RSS shown);</li>
 *   <li>case 5b: the rescan copies nothing and takes within 1.5x of the listing (rclone's {@code lsf} of case 3, on
 *       the same data, when it ran; else the SDK's listing);</li>
 *   <li>case 10: the jdbc source at least 100,000 rows/s and at least half of {@code psql \\copy | gzip};</li>
 *   <li>case 6: server-side copy takes under a third of streaming (rclone's own ratio shown for the same
 *       server).</li>
 *   <li>case 9: each one-time run on a warm service at most rclone's time;</li>
 *   <li>case 8: records at least half as fast as {@code gzip -6} over the same bytes on one core, every line
 *       stored.</li>
 * </ul>
 */
final class Targets {

    private Targets() {
    }

    static List<String> check(List<Row> rows) {
        List<String> lines = new ArrayList<>();
        find(rows, "0 ", t -> t.startsWith("ingest")).ifPresent(empty -> lines.add(line(
                "case 0: an empty --once run within 0.6 s", fmt(empty.seconds()) + " s",
                completed(empty) && empty.seconds() <= 0.6)));
        withinOfRclone(rows, "1 ", lines, 1.5, false);
        withinOfRclone(rows, "2 ", lines, 1.5, false);
        for (String w : List.of("7a ", "7b ", "7c ")) {
            double speedUp = w.equals("7c ") ? 1.0 : 1.25;
            Optional<Row> steady = find(rows, w, t -> t.startsWith("ingest"));
            Optional<Row> rclone = find(rows, w, t -> t.startsWith("rclone"));
            if (steady.isPresent() && rclone.isPresent()) {
                Row i = steady.get();
                Row r = rclone.get();
                lines.add(line(i.benchCase() + ": steady state at least " + fmt(speedUp) + "x rclone's speed",
                        fmt(r.seconds() / i.seconds()) + "x (" + ratio(i, r) + ")",
                        completed(i) && i.seconds() * speedUp <= r.seconds()));
                if (!Double.isNaN(i.cpuMillisPerObject()) && !Double.isNaN(r.cpuMillisPerObject())) {
                    lines.add(line(i.benchCase() + ": CPU per object at most rclone's",
                            fmt(i.cpuMillisPerObject()) + " ms vs " + fmt(r.cpuMillisPerObject()) + " ms = "
                                    + fmt(i.cpuMillisPerObject() / r.cpuMillisPerObject()),
                            completed(i) && i.cpuMillisPerObject() <= r.cpuMillisPerObject()));
                }
            }
        }
        Optional<Row> one = find(rows, "11 ", t -> t.startsWith("1 dequeuer"));
        for (String n : List.of("2", "4")) {
            Optional<Row> many = find(rows, "11 ", t -> t.startsWith(n + " dequeuers"));
            if (one.isPresent() && many.isPresent()) {
                Row m = many.get();
                double r = m.cpuMillisPerObject() / one.get().cpuMillisPerObject();
                lines.add(line("case 11: " + n + " dequeuers copy each object once, CPU per object within 10% of one's",
                        (completed(m) ? "each once" : "NOT each once") + "; " + fmt(m.cpuMillisPerObject()) + " ms vs "
                                + fmt(one.get().cpuMillisPerObject()) + " ms = " + fmt(r),
                        completed(m) && completed(one.get()) && r <= 1.10));
            }
        }
        withinOfRclone(rows, "9 ingest run ", lines, 1.0, true);
        Optional<Row> enqueue = find(rows, "3 ", t -> t.startsWith("ingest"));
        if (enqueue.isPresent()) {
            Optional<Row> lsf = find(rows, "3 ", t -> t.equals("rclone lsf"));
            Optional<Row> sdk = find(rows, "3 ", t -> t.startsWith("ListObjectsV2"));
            Optional<Row> listing = lsf.isPresent() ? lsf : sdk;
            if (listing.isPresent()) {
                double r = enqueue.get().seconds() / listing.get().seconds();
                lines.add(line(enqueue.get().benchCase() + ": queueing within 1.5x of listing",
                        ratio(enqueue.get(), listing.get())
                                + sdk.filter(s -> lsf.isPresent()).map(s -> "; vs the SDK's listing "
                                        + fmt(enqueue.get().seconds() / s.seconds())).orElse(""),
                        r <= 1.5));
            }
        }
        find(rows, "4 ", t -> t.startsWith("ingest")).ifPresent(f -> lines.add(line(
                f.benchCase() + ": the fan-out at -Xmx256m completes",
                (completed(f) ? "completed" : "did not complete") + (f.peakRssBytes() > 0
                        ? ", peak RSS " + (f.peakRssBytes() >> 20) + " MiB" : ""),
                completed(f))));
        find(rows, "5b ", t -> t.startsWith("ingest")).ifPresent(rescan -> {
            // The same data as case 3's: judged, like the enqueue, against rclone's listing when case 3 ran it
            Optional<Row> lsf = find(rows, "3 ", t -> t.equals("rclone lsf"));
            Optional<Row> listing = lsf.isPresent() ? lsf : find(rows, "5b ", t -> t.startsWith("ListObjectsV2"));
            boolean nothing = completed(rescan) && rescan.note().contains("copied 0,");
            double r = listing.map(l -> rescan.seconds() / l.seconds()).orElse(Double.NaN);
            lines.add(line(rescan.benchCase() + ": the rescan copies nothing, within 1.5x of listing",
                    (nothing ? "copied nothing" : "copied something or failed")
                            + listing.map(l -> "; " + ratio(rescan, l) + " (" + l.tool() + ")").orElse(""),
                    nothing && r <= 1.5));
        });
        find(rows, "10 ", t -> t.startsWith("ingest")).ifPresent(jdbc -> {
            double perSecond = jdbc.objectsPerSecond();
            lines.add(line("case 10: the jdbc source reads at least 100,000 rows/s", fmt(perSecond) + " rows/s",
                    completed(jdbc) && perSecond >= 100_000));
            find(rows, "10 ", t -> t.startsWith("psql")).ifPresent(psql -> lines.add(line(
                    "case 10: at least half of psql \\copy | gzip", fmt(perSecond) + " vs " + fmt(psql.objectsPerSecond())
                            + " rows/s", completed(jdbc) && completed(psql)
                            && perSecond >= psql.objectsPerSecond() / 2)));
        });
        Optional<Row> server = find(rows, "6 ", t -> t.equals("ingest serverSideCopy=true"));
        Optional<Row> stream = find(rows, "6 ", t -> t.equals("ingest serverSideCopy=false"));
        if (server.isPresent() && stream.isPresent()) {
            Optional<Row> rServer = find(rows, "6 ", t -> t.startsWith("rclone") && t.contains("server-side"));
            Optional<Row> rStream = find(rows, "6 ", t -> t.startsWith("rclone") && t.contains("2 remotes"));
            String rclone = rServer.isPresent() && rStream.isPresent()
                    ? "; rclone on the same server: " + ratio(rServer.get(), rStream.get()) : "";
            lines.add(line(server.get().benchCase() + ": server-side copy under a third of streaming",
                    ratio(server.get(), stream.get()) + rclone,
                    server.get().seconds() / stream.get().seconds() < 1.0 / 3));
        }
        Optional<Row> records = find(rows, "8 ", t -> t.startsWith("ingest"));
        Optional<Row> gzip = find(rows, "8 ", t -> t.startsWith("gzip"));
        if (records.isPresent() && gzip.isPresent()) {
            lines.add(line(records.get().benchCase() + ": records at least half of gzip -6's throughput",
                    ratio(records.get(), gzip.get()) + " (at most 2.00)",
                    completed(records.get()) && records.get().seconds() <= 2 * gzip.get().seconds()));
        }
        return lines;
    }

    /**
     * @param factor ingest's best time may be this many times rclone's
     * @param perCase judge each case starting with {@code benchCase} on its own (case 9 holds two copies)
     */
    private static void withinOfRclone(List<Row> rows, String benchCase, List<String> lines, double factor,
                                       boolean perCase) {
        List<String> cases = rows.stream().map(Row::benchCase).filter(c -> c.startsWith(benchCase)).distinct()
                .toList();
        for (String c : perCase ? cases : cases.stream().limit(1).toList()) {
            Optional<Row> best = rows.stream()
                    .filter(r -> r.benchCase().equals(c) && r.tool().startsWith("ingest") && completed(r))
                    .min(Comparator.comparingDouble(Row::seconds));
            Optional<Row> rclone = rows.stream().filter(r -> r.benchCase().equals(c) && r.tool().startsWith("rclone")
                    && !Double.isNaN(r.seconds())).findFirst();
            if (best.isPresent() && rclone.isPresent()) {
                lines.add(line(best.get().benchCase() + ": ingest at most "
                                + (factor == 1.0 ? "" : fmt(factor) + " times ") + "rclone's time",
                        best.get().tool() + " " + ratio(best.get(), rclone.get()),
                        best.get().seconds() <= factor * rclone.get().seconds()));
            }
        }
    }

    private static Optional<Row> find(List<Row> rows, String benchCase, Predicate<String> tool) {
        return rows.stream().filter(r -> r.benchCase().startsWith(benchCase) && tool.test(r.tool())
                && !Double.isNaN(r.seconds())).findFirst();
    }

    private static boolean completed(Row r) {
        return !Double.isNaN(r.seconds()) && !r.note().contains("FAILED") && !r.note().contains("INCOMPLETE");
    }

    private static String ratio(Row a, Row b) {
        return fmt(a.seconds()) + " s / " + fmt(b.seconds()) + " s = " + fmt(a.seconds() / b.seconds());
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static String line(String target, String figures, boolean met) {
        return "  " + (met ? "met    " : "NOT MET") + "  " + target + ": " + figures;
    }
}
