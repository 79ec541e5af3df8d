package dev.ingest.plugin.file;

import dev.ingest.api.ConfigException;
import dev.ingest.api.ConfigKey;
import dev.ingest.api.Destination;
import dev.ingest.api.NameFilter;
import dev.ingest.api.PluginConfig;
import dev.ingest.api.PluginProvider;
import dev.ingest.api.PluginRole;
import dev.ingest.api.RecordSource;
import dev.ingest.api.Source;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.PatternSyntaxException;

/**
 * The {@code file} plugin: a local directory as a source ({@link FileSource}) or a destination
 * ({@link FileDestination}); with {@code tail: true}, a source of records that follows the directory's files as they
 * grow ({@link TailSource}).
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

    private static final String READ_FROM = "readFrom";
    private static final String POLL_INTERVAL = "pollInterval";
    private static final String ROTATE_WAIT = "rotateWait";
    private static final String MAX_LINE_BYTES = "maxLineBytes";

    private static final List<ConfigKey> SOURCE_KEYS = List.of(
            ConfigKey.required("path", "directory to copy files from"),
            ConfigKey.optional("include", "globs of files to copy (no '/': file name at any depth; else relative path); default all"),
            ConfigKey.optional("exclude", "globs of files to leave alone, same syntax as include; win over include"),
            ConfigKey.optional("recursive", "whether to list subdirectories too (default true)"),
            ConfigKey.optional("tail", "true: follow the files as they grow and read each line as a record (default false)"),
            ConfigKey.optional(READ_FROM, "tail: where to start in the files there when the workflow first starts, "
                    + "beginning or end (default beginning); files found later are read from their start"),
            ConfigKey.optional(POLL_INTERVAL, "tail: how often files are checked for growth and new files are looked "
                    + "for (default 250ms)"),
            ConfigKey.optional(ROTATE_WAIT, "tail: how long a rotated-away file is kept open after it last grew "
                    + "(default 5s)"),
            ConfigKey.optional(MAX_LINE_BYTES, "tail: longest record; a longer line becomes several records of this "
                    + "size with attribute part (default 1MiB, at most what one queue message carries)"));

    /** The keys only the tail mode takes. */
    private static final List<String> TAIL_KEYS = List.of(READ_FROM, POLL_INTERVAL, ROTATE_WAIT, MAX_LINE_BYTES);

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

    /** A source reads records when it has {@code tail: true}; a value that is not a boolean is left to the factory. */
    @Override
    public boolean readsRecords(PluginConfig config) {
        Object tail = config.values().get("tail");
        return Boolean.TRUE.equals(tail) || tail instanceof String s && s.trim().equalsIgnoreCase("true");
    }

    @Override
    public Source createSource(PluginConfig config) throws ConfigException, IOException {
        Optional<Path> path = sourcePath(config);
        NameFilter selection = NameFilter.parse(config);
        boolean recursive = config.bool("recursive", true);
        config.bool("tail", false); // reports a value that is not a boolean (true is a record source)
        for (String key : TAIL_KEYS) {
            if (config.has(key)) {
                config.problem(key, "applies only to a source with tail: true");
            }
        }
        config.validate();
        return new FileSource(config.name(), path.orElseThrow(), recursive, selection);
    }

    /**
     * Creates the tail mode's record source ({@code tail: true}): the same {@code path}, {@code include},
     * {@code exclude} and {@code recursive} as the object source, plus the tail keys.
     */
    @Override
    public RecordSource createRecordSource(PluginConfig config) throws ConfigException, IOException {
        Optional<Path> path = sourcePath(config);
        NameFilter selection = NameFilter.parse(config);
        boolean recursive = config.bool("recursive", true);
        String readFrom = config.optionalString(READ_FROM).orElse("beginning");
        if (!readFrom.equals("beginning") && !readFrom.equals("end")) {
            config.problem(READ_FROM, "must be beginning or end, got '" + readFrom + "'");
        }
        Duration poll = config.duration(POLL_INTERVAL, Duration.ofMillis(250), Duration.ofMillis(10));
        Duration rotateWait = config.duration(ROTATE_WAIT, Duration.ofSeconds(5), Duration.ZERO);
        long maxLine = config.size(MAX_LINE_BYTES, 1L << 20, 1, 64L << 20);
        config.validate();
        return new TailSource(new TailSource.Settings(config.name(), path.orElseThrow(), recursive,
                selection, readFrom.equals("end"), poll, rotateWait, maxLine));
    }

    private static Optional<Path> sourcePath(PluginConfig config) {
        Optional<Path> path = path(config);
        if (path.isPresent()) {
            Path dir = path.get();
            if (!Files.exists(dir)) {
                config.problem("path", "directory '" + dir + "' does not exist");
            } else if (!Files.isDirectory(dir)) {
                config.problem("path", "'" + dir + "' is not a directory");
            }
        }
        return path;
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
}
