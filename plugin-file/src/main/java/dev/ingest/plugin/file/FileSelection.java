package dev.ingest.plugin.file;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;

/**
 * Which files of a source directory are read: the {@code include} and {@code exclude} globs of the object source and
 * of the tail mode alike. A glob without {@code /} matches the file name at any depth; a glob with {@code /} matches
 * the path relative to the directory. Exclusions win over inclusions; no inclusion selects every file.
 *
 * <p>Immutable and thread-safe.
 */
final class FileSelection {

    private final List<PathMatcher> includeNames;
    private final List<PathMatcher> includePaths;
    private final List<PathMatcher> excludeNames;
    private final List<PathMatcher> excludePaths;

    /**
     * @param include globs of the files to read; empty selects every file
     * @param exclude globs of the files to leave alone
     * @throws java.util.regex.PatternSyntaxException if a pattern is not a valid glob
     */
    FileSelection(List<String> include, List<String> exclude) {
        this.includeNames = matchers(include, false);
        this.includePaths = matchers(include, true);
        this.excludeNames = matchers(exclude, false);
        this.excludePaths = matchers(exclude, true);
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

    /**
     * @param relative a file's path relative to the source directory
     * @return whether the file is read
     */
    boolean selected(Path relative) {
        Path fileName = relative.getFileName();
        if (matchesAny(excludeNames, fileName) || matchesAny(excludePaths, relative)) {
            return false;
        }
        if (includeNames.isEmpty() && includePaths.isEmpty()) {
            return true;
        }
        return matchesAny(includeNames, fileName) || matchesAny(includePaths, relative);
    }

    private static boolean matchesAny(List<PathMatcher> matchers, Path path) {
        for (PathMatcher matcher : matchers) {
            if (matcher.matches(path)) {
                return true;
            }
        }
        return false;
    }
}
