package dev.ingest.api;

import java.util.List;
import java.util.Objects;

/**
 * A configuration is wrong. Carries every problem found, not just the first, so that a user fixes them all in
 * one go. Each problem names the key it is about, for example {@code "path: is required"}.
 */
public class ConfigException extends Exception {

    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    /**
     * @param problems what is wrong, one entry per problem; at least one
     */
    public ConfigException(List<String> problems) {
        super(String.join("; ", requireSome(problems)));
        this.problems = List.copyOf(problems);
    }

    /**
     * @param problem what is wrong
     */
    public ConfigException(String problem) {
        this(List.of(problem));
    }

    private static List<String> requireSome(List<String> problems) {
        Objects.requireNonNull(problems, "problems");
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs at least one problem");
        }
        return problems;
    }

    /**
     * Every problem found.
     *
     * @return the problems, never empty
     */
    public List<String> problems() {
        return problems;
    }
}
