package dev.ingest.plugin.file;

import dev.ingest.api.ConfigException;
import dev.ingest.api.ConfigKey;
import dev.ingest.api.Destination;
import dev.ingest.api.PluginConfig;
import dev.ingest.api.PluginProvider;
import dev.ingest.api.PluginRole;
import dev.ingest.api.Source;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.PatternSyntaxException;

/**
 * The {@code file} plugin: a local directory as a source ({@link FileSource}) or a destination
 * ({@link FileDestination}).
 *
 * <pre>{@code
 * sources:
 *   - name: inbox
 *     type: file
 *     path: /data/inbox
 *     include: ["*.pdf", "invoices/**"]
 *     exclude: ["*.part"]
 *     recursive: true
 * destinations:
 *   - name: archive
 *     type: file
 *     path: /data/archive
 * }</pre>
 *
 * <p>A glob without {@code /} matches the file name at any depth; a glob with {@code /} matches the whole path
 * relative to {@code path}. Exclusions win over inclusions.
 *
 * <p>Stateless and thread-safe. Registered with {@link java.util.ServiceLoader}.
 */
public final class FilePluginProvider implements PluginProvider {

    /** The type name used in configuration. */
    public static final String TYPE = "file";

    private static final List<ConfigKey> SOURCE_KEYS = List.of(
            ConfigKey.required("path", "directory to copy files from"),
            ConfigKey.optional("include", "globs of files to copy (no '/': file name at any depth; else relative path); default all"),
            ConfigKey.optional("exclude", "globs of files to leave alone, same syntax as include; win over include"),
            ConfigKey.optional("recursive", "whether to list subdirectories too (default true)"));

    private static final List<ConfigKey> DESTINATION_KEYS = List.of(
            ConfigKey.required("path", "directory to store files in; created if missing; checked at start-up to be writable"));

    /** Creates the provider; does no work. */
    public FilePluginProvider() {
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Set<PluginRole> roles() {
        return Set.of(PluginRole.SOURCE, PluginRole.DESTINATION);
    }

    @Override
    public List<ConfigKey> keys(PluginRole role) {
        return switch (role) {
            case SOURCE -> SOURCE_KEYS;
            case DESTINATION -> DESTINATION_KEYS;
        };
    }

    @Override
    public Source createSource(PluginConfig config) throws ConfigException, IOException {
        Optional<Path> path = path(config);
        List<String> include = globs(config, "include");
        List<String> exclude = globs(config, "exclude");
        boolean recursive = config.bool("recursive", true);
        if (path.isPresent()) {
            Path dir = path.get();
            if (!Files.exists(dir)) {
                config.problem("path", "directory '" + dir + "' does not exist");
            } else if (!Files.isDirectory(dir)) {
                config.problem("path", "'" + dir + "' is not a directory");
            }
        }
        config.validate();
        return new FileSource(config.name(), path.orElseThrow(), recursive, include, exclude);
    }

    /**
     * Creates the destination after checking that its directory can be written, or created where it is missing:
     * see {@link FileDestination#probe()}. Nothing is left behind, so a dry run creates no directory.
     */
    @Override
    public Destination createDestination(PluginConfig config) throws ConfigException, IOException {
        Optional<Path> path = path(config);
        FileDestination destination = null;
        if (path.isPresent()) {
            Path dir = path.get();
            if (Files.exists(dir) && !Files.isDirectory(dir)) {
                config.problem("path", "'" + dir + "' is not a directory");
            } else {
                destination = new FileDestination(config.name(), dir);
                destination.probe().ifPresent(problem -> config.problem("path", problem));
            }
        }
        config.validate();
        return destination;
    }

    private static Optional<Path> path(PluginConfig config) {
        String value = config.string("path");
        if (value.isEmpty()) {
            return Optional.empty(); // problem recorded
        }
        try {
            return Optional.of(Path.of(value).toAbsolutePath().normalize());
        } catch (InvalidPathException e) {
            config.problem("path", "'" + value + "' is not a valid path: " + e.getMessage());
            return Optional.empty();
        }
    }

    private static List<String> globs(PluginConfig config, String key) {
        List<String> patterns = config.stringList(key);
        for (int i = 0; i < patterns.size(); i++) {
            String pattern = patterns.get(i);
            String where = key + "[" + i + "]";
            if (pattern.isBlank()) {
                config.problem(where, "must not be empty");
            } else if (pattern.startsWith("/")) {
                config.problem(where, "'" + pattern + "' must be relative to path, without a leading '/'");
            } else {
                try {
                    FileSystems.getDefault().getPathMatcher("glob:" + pattern);
                } catch (PatternSyntaxException e) {
                    config.problem(where, "'" + pattern + "' is not a valid glob: " + e.getDescription());
                }
            }
        }
        return patterns;
    }
}
