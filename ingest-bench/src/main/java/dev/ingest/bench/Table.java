package dev.ingest.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Formats result rows as a plain-text table (aligned columns, also valid Markdown), with notes listed below it.
 */
public final class Table {

    static final String[] HEADERS = {"case", "tool", "seconds", "objects/s", "MB/s", "vs rclone", "CPU s", "CPU ms/object",
        "CPU ms/MB", "peak RSS MiB"};

    private Table() {
    }

    /**
     * @param rows the rows, in order
     * @return the table followed by one line per row that has a note; ends with a line break
     */
    public static String format(List<Row> rows) {
        List<String[]> cells = new ArrayList<>();
        cells.add(HEADERS);
        for (Row r : rows) {
            cells.add(new String[] {cell(r.benchCase()), cell(r.tool()), seconds(r.seconds()), number(r.objectsPerSecond()),
                    number(r.megabytesPerSecond()), ratio(r.ratio()), number(r.cpuSeconds()), number(r.cpuMillisPerObject()),
                    number(r.cpuMillisPerMegabyte()), mib(r.peakRssBytes())});
        }
        int[] widths = new int[HEADERS.length];
        for (String[] line : cells) {
            for (int i = 0; i < line.length; i++) {
                widths[i] = Math.max(widths[i], line[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (int n = 0; n < cells.size(); n++) {
            appendLine(out, cells.get(n), widths);
            if (n == 0) {
                String[] rule = new String[widths.length];
                for (int i = 0; i < widths.length; i++) {
                    rule[i] = "-".repeat(widths[i] - 1) + (i < 2 ? "-" : ":");
                }
                appendLine(out, rule, widths);
            }
        }
        boolean first = true;
        for (Row r : rows) {
            if (!r.note().isEmpty()) {
                if (first) {
                    out.append('\n');
                    first = false;
                }
                out.append("  ").append(r.benchCase()).append(" / ").append(r.tool()).append(": ").append(r.note())
                        .append('\n');
            }
        }
        return out.toString();
    }

    /** A name as a Markdown table cell: a {@code |} in it (as in {@code psql | gzip}) escaped. */
    static String cell(String name) {
        return name.replace("|", "\\|");
    }

    /** Left-aligns the first two columns (names), right-aligns the numbers. */
    private static void appendLine(StringBuilder out, String[] line, int[] widths) {
        out.append('|');
        for (int i = 0; i < line.length; i++) {
            String cell = line[i];
            String pad = " ".repeat(widths[i] - cell.length());
            out.append(' ').append(i < 2 ? cell + pad : pad + cell).append(" |");
        }
        out.append('\n');
    }

    static String seconds(double s) {
        if (Double.isNaN(s)) {
            return "-";
        }
        return String.format(Locale.ROOT, s < 10 ? "%.2f" : "%.1f", s);
    }

    /** Three significant figures at most, no exponent: 0.123, 12.3, 123, 12345. */
    static String number(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return "-";
        }
        if (v >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (v >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (v >= 1) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        return String.format(Locale.ROOT, "%.3f", v);
    }

    static String ratio(double r) {
        return Double.isNaN(r) ? "-" : String.format(Locale.ROOT, "%.2f", r);
    }

    static String mib(long bytes) {
        return bytes < 0 ? "-" : String.format(Locale.ROOT, "%.0f", bytes / (1024.0 * 1024.0));
    }
}
