package dev.ingest.core.config;

import java.util.List;
import java.util.stream.Collectors;

/** A configuration file has problems; carries all of them, each with its field path and line. */
public final class InvalidConfigException extends Exception {

    private static final long serialVersionUID = 1L;

    private final String source;
    private final transient List<ConfigProblem> problems;

    /**
     * @param source the file (or other origin) the configuration came from
     * @param problems every problem found; at least one
     */
    public InvalidConfigException(String source, List<ConfigProblem> problems) {
        super(format(source, problems));
        this.source = source;
        this.problems = List.copyOf(problems);
    }

    private static String format(String source, List<ConfigProblem> problems) {
        String header = "invalid configuration " + source + ": " + problems.size()
                + (problems.size() == 1 ? " problem" : " problems");
        return problems.stream().map(p -> "  - " + p).collect(Collectors.joining("\n", header + "\n", ""));
    }

    /** @return the file or origin of the configuration */
    public String source() {
        return source;
    }

    /** @return every problem, never empty */
    public List<ConfigProblem> problems() {
        return problems;
    }
}
