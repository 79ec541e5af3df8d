package dev.ingest.bench;

import java.util.Objects;

/**
 * One line of the result table: what ran, how long it took, how much it handled and how much memory it used.
 *
 * @param benchCase the case, such as {@code 1 small objects}
 * @param tool what ran, such as {@code ingest c=16} or {@code rclone copy}
 * @param seconds the whole-process wall time (for in-process steps: the step's own time); NaN if it did not finish
 * @param objects the objects handled (copied, or listed and found present); 0 when it does not apply
 * @param bytes the bytes copied; 0 when nothing was copied
 * @param ratio {@code seconds} divided by the seconds of the rclone run it is compared with; NaN for none
 * @param peakRssBytes the peak resident memory of the process and its children; -1 when not measured
 * @param note anything else worth knowing: ingest's own summary, a failure; may be empty
 * @param cpuSeconds the CPU time (user plus system) of the process measured, over the same span as {@code seconds};
 *     NaN when not measured
 */
public record Row(String benchCase, String tool, double seconds, long objects, long bytes, double ratio,
                  long peakRssBytes, String note, double cpuSeconds) {

    /** Checks the names. */
    public Row {
        Objects.requireNonNull(benchCase, "benchCase");
        Objects.requireNonNull(tool, "tool");
        note = note == null ? "" : note;
    }

    /** A row whose CPU time is not measured (yet: see {@link #withCpu(double)}). */
    public Row(String benchCase, String tool, double seconds, long objects, long bytes, double ratio,
               long peakRssBytes, String note) {
        this(benchCase, tool, seconds, objects, bytes, ratio, peakRssBytes, note, Double.NaN);
    }

    /**
     * @param cpu CPU seconds (user plus system) over the row's span; NaN when unknown
     * @return this row with that CPU time
     */
    public Row withCpu(double cpu) {
        return new Row(benchCase, tool, seconds, objects, bytes, ratio, peakRssBytes, note, cpu);
    }

    /** @return CPU milliseconds per object, or NaN when either is unknown */
    public double cpuMillisPerObject() {
        return objects > 0 && cpuSeconds >= 0 ? cpuSeconds * 1000 / objects : Double.NaN;
    }

    /** @return CPU milliseconds per megabyte (10^6 bytes) copied, or NaN when either is unknown */
    public double cpuMillisPerMegabyte() {
        return bytes > 0 && cpuSeconds >= 0 ? cpuSeconds * 1000 / (bytes / 1e6) : Double.NaN;
    }

    /**
     * @param reference the rclone row to compare with, or null
     * @return this row with its ratio to {@code reference} (NaN when there is none or either time is unknown)
     */
    public Row comparedTo(Row reference) {
        double r = reference == null || !(reference.seconds > 0) || Double.isNaN(seconds)
                ? Double.NaN : seconds / reference.seconds;
        return new Row(benchCase, tool, seconds, objects, bytes, r, peakRssBytes, note, cpuSeconds);
    }

    /**
     * @param more text to append to the note
     * @return this row with a longer note
     */
    public Row withNote(String more) {
        return new Row(benchCase, tool, seconds, objects, bytes, ratio, peakRssBytes,
                note.isEmpty() ? more : note + "; " + more, cpuSeconds);
    }

    /** @return objects per second, or NaN when there were none or the time is unknown */
    public double objectsPerSecond() {
        return objects > 0 && seconds > 0 ? objects / seconds : Double.NaN;
    }

    /** @return megabytes (10^6 bytes) per second, or NaN when nothing was copied or the time is unknown */
    public double megabytesPerSecond() {
        return bytes > 0 && seconds > 0 ? bytes / 1e6 / seconds : Double.NaN;
    }
}
