package dev.ingest.api;

import java.nio.file.FileSystems;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.PatternSyntaxException;

/**
 * Which objects of a source are read: the {@code include} and {@code exclude} globs that the {@code file},
 * {@code s3} and {@code http} sources share, so that they mean the same everywhere. Globs follow
 * {@link java.nio.file.FileSystem#getPathMatcher(String)}'s glob syntax ({@code *} within one level, {@code **}
 * across levels, {@code ?}, {@code [abc]}, {@code {a,b}}). A glob without {@code /} matches the last part of a name
 * (the file name) at any depth; a glob with {@code /} matches the whole name, relative to the source's directory or
 * prefix. Exclusions win over inclusions; no inclusion selects every name.
 *
 * <p>Names are split at {@code /}; empty parts ({@code a//b}) are ignored. A name that is not a valid path of this
 * system (it holds a NUL character) matches no glob: it is read only when there are no inclusions and no exclusion
 * matches it.
 *
 * <p>Immutable and thread-safe.
 */
public final class NameFilter {

    /** The configuration key of the inclusions. */
    public static final String INCLUDE = "include";
    /** The configuration key of the exclusions. */
    public static final String EXCLUDE = "exclude";

    private static final NameFilter ALL = new NameFilter(List.of(), List.of());

    private final List<String> include;
    private final List<String> exclude;
    private final List<PathMatcher> includeNames;
    private final List<PathMatcher> includePaths;
    private final List<PathMatcher> excludeNames;
    private final List<PathMatcher> excludePaths;

    private NameFilter(List<String> include, List<String> exclude) {
        this.include = List.copyOf(include);
        this.exclude = List.copyOf(exclude);
        this.includeNames = matchers(include, false);
        this.includePaths = matchers(include, true);
        this.excludeNames = matchers(exclude, false);
        this.excludePaths = matchers(exclude, true);
    }

    /**
     * A filter from globs.
     *
     * @param include globs of the names to read; empty selects every name
     * @param exclude globs of the names to leave alone
     * @return the filter
     * @throws PatternSyntaxException if a pattern is not a valid glob
     */
    public static NameFilter of(List<String> include, List<String> exclude) {
        Objects.requireNonNull(include, "include");
        Objects.requireNonNull(exclude, "exclude");
        return include.isEmpty() && exclude.isEmpty() ? ALL : new NameFilter(include, exclude);
    }

    /** @return the filter that selects every name */
    public static NameFilter all() {
        return ALL;
    }

    /**
     * Reads the {@value #INCLUDE} and {@value #EXCLUDE} keys of a source's configuration (each a glob or a list of
     * globs), reporting every empty, absolute or malformed glob to the configuration as a problem of
     * {@code include[i]} or {@code exclude[i]}. Declare both keys with {@link #configKeys()}.
     *
     * @param config the source's keys
     * @return the filter of the valid globs (after problems, {@link PluginConfig#validate()} throws anyway)
     */
    public static NameFilter parse(PluginConfig config) {
        List<String> include = globs(config, INCLUDE);
        List<String> exclude = globs(config, EXCLUDE);
        return of(include, exclude);
    }

    /** @return the two configuration keys, as every source with filters declares them */
    public static List<ConfigKey> configKeys() {
        return List.of(
                ConfigKey.optional(INCLUDE, "globs of objects to copy (no '/': last part of the name at any depth; "
                        + "else the whole name); default all"),
                ConfigKey.optional(EXCLUDE, "globs of objects to leave alone, same syntax as include; win over include"));
    }

    private static List<String> globs(PluginConfig config, String key) {
        List<String> patterns = config.stringList(key);
        List<String> valid = new ArrayList<>();
        for (int i = 0; i < patterns.size(); i++) {
            String pattern = patterns.get(i);
            String where = key + "[" + i + "]";
            if (pattern.isBlank()) {
                config.problem(where, "must not be empty");
            } else if (pattern.startsWith("/")) {
                config.problem(where, "'" + pattern + "' must be relative, without a leading '/'");
            } else {
                try {
                    FileSystems.getDefault().getPathMatcher("glob:" + pattern);
                    valid.add(pattern);
                } catch (PatternSyntaxException e) {
                    config.problem(where, "'" + pattern + "' is not a valid glob: " + e.getDescription());
                }
            }
        }
        return valid;
    }

    private static List<PathMatcher> matchers(List<String> patterns, boolean withSlash) {
        List<PathMatcher> out = new ArrayList<>();
        for (String pattern : patterns) {
            if (pattern.contains("/") == withSlash) {
                out.add(FileSystems.getDefault().getPathMatcher("glob:" + pattern));
            }
        }
        return List.copyOf(out);
    }

    /** @return whether every name is selected (no globs at all) */
    public boolean selectsAll() {
        return include.isEmpty() && exclude.isEmpty();
    }

    /**
     * @param relative a file's path relative to the source's directory
     * @return whether it is read
     */
    public boolean selected(Path relative) {
        if (selectsAll()) {
            return true;
        }
        Path fileName = relative.getFileName();
        if (fileName != null && matchesAny(excludeNames, fileName) || matchesAny(excludePaths, relative)) {
            return false;
        }
        if (includeNames.isEmpty() && includePaths.isEmpty()) {
            return true;
        }
        return fileName != null && matchesAny(includeNames, fileName) || matchesAny(includePaths, relative);
    }

    /**
     * @param name an object's name relative to the source's prefix, with {@code /} between levels
     * @return whether it is read
     */
    public boolean selected(String name) {
        if (selectsAll()) {
            return true;
        }
        Path path;
        try {
            path = Path.of(name.startsWith("/") ? name.substring(1) : name);
        } catch (InvalidPathException e) {
            return includeNames.isEmpty() && includePaths.isEmpty();
        }
        return selected(path);
    }

    private static boolean matchesAny(List<PathMatcher> matchers, Path path) {
        for (PathMatcher matcher : matchers) {
            if (matcher.matches(path)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return selectsAll() ? "all" : "include " + include + ", exclude " + exclude;
    }
}
