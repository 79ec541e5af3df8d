package dev.ingest.core.config;

import java.util.Objects;

/**
 * One thing wrong with a configuration file.
 *
 * @param path where in the file, e.g. {@code workflows[0].interval}; empty for the file as a whole
 * @param line the 1-based line of that place, or 0 when unknown
 * @param message what is wrong and, where it helps, what would be right
 */
public record ConfigProblem(String path, int line, String message) {

    /** Validates the fields. */
    public ConfigProblem {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(message, "message");
    }

    @Override
    public String toString() {
        String where = line > 0 ? "line " + line + ": " : "";
        return where + (path.isEmpty() ? "" : path + ": ") + message;
    }
}
