package dev.ingest.core.config;

/** Finds the 1-based line of a piece of YAML text, so tests need not hard-code line numbers. */
public final class YamlLines {

    private YamlLines() {
    }

    /**
     * @param yaml the text
     * @param needle a piece of one line
     * @return the 1-based line of its first occurrence
     */
    public static int line(String yaml, String needle) {
        return line(yaml, needle, 1);
    }

    /**
     * @param yaml the text
     * @param needle a piece of one line
     * @param occurrence which occurrence, from 1
     * @return the 1-based line of that occurrence
     */
    public static int line(String yaml, String needle, int occurrence) {
        String[] lines = yaml.split("\n", -1);
        int seen = 0;
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].contains(needle) && ++seen == occurrence) {
                return i + 1;
            }
        }
        throw new IllegalArgumentException("'" + needle + "' (occurrence " + occurrence + ") not in:\n" + yaml);
    }
}
