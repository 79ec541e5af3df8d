package com.example.ingest.compress;

import dev.ingest.api.ConfigException;
import dev.ingest.api.ConfigKey;
import dev.ingest.api.Destination;
import dev.ingest.api.PluginConfig;
import dev.ingest.api.PluginProvider;
import dev.ingest.api.PluginRole;
import dev.ingest.api.Source;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code compress} plugin: a directory of compressed files, as a destination that compresses every object it
 * stores ({@link CompressedDestination}) and as a source that decompresses them again ({@link CompressedSource}).
 * Compression is done by Apache Commons Compress, which the plugin bundles in its plugin directory.
 *
 * <pre>{@code
 * destinations:
 *   - name: cold-archive
 *     type: compress
 *     path: /archive/reports      # created when missing
 *     format: gzip                # gzip (.gz, default) or bzip2 (.bz2)
 *     level: 9                    # 1 (fastest) .. 9 (smallest); gzip default 6, bzip2 default 9
 * sources:
 *   - name: restore
 *     type: compress
 *     path: /archive/reports      # lists *.gz (or *.bz2 with format: bzip2) and decompresses them
 * }</pre>
 *
 * <p>The provider is stateless and thread-safe; its constructor does nothing, as {@link java.util.ServiceLoader}
 * instantiates it while the plugins are being loaded.
 */
public final class CompressPluginProvider implements PluginProvider {

    /** The type name used in configuration. */
    public static final String TYPE = "compress";

    private static final ConfigKey PATH_SOURCE = ConfigKey.required("path", "directory of compressed files to list");
    private static final ConfigKey PATH_DESTINATION = ConfigKey.required("path",
            "directory to store compressed files in; created if missing");
    private static final ConfigKey FORMAT = ConfigKey.optional("format",
            "compression format: " + Format.keys() + " (default gzip)");
    private static final ConfigKey LEVEL = ConfigKey.optional("level",
            "compression level 1 (fastest) to 9 (smallest); default 6 for gzip, 9 for bzip2");

    /** Creates the provider; does no work. */
    public CompressPluginProvider() {
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
            case SOURCE -> List.of(PATH_SOURCE, FORMAT);
            case DESTINATION -> List.of(PATH_DESTINATION, FORMAT, LEVEL);
        };
    }

    @Override
    public Source createSource(PluginConfig config) throws ConfigException, IOException {
        Optional<Path> path = path(config);
        Format format = format(config);
        if (path.isPresent() && !Files.isDirectory(path.get())) {
            config.problem("path", "directory '" + path.get() + "' does not exist");
        }
        config.validate(); // every problem above at once
        return new CompressedSource(config.name(), path.orElseThrow(), format);
    }

    @Override
    public Destination createDestination(PluginConfig config) throws ConfigException, IOException {
        Optional<Path> path = path(config);
        Format format = format(config);
        int level = (int) config.number("level", format.defaultLevel(), 1);
        if (level > 9) {
            config.problem("level", "must be at most 9, got " + level);
        }
        if (path.isPresent()) {
            // Nothing is created here: configuring (a dry run, a configuration that fails) leaves no trace. The
            // directory is created by the first store; here the nearest existing folder must let it be.
            if (Files.exists(path.get()) && !Files.isDirectory(path.get())) {
                config.problem("path", "'" + path.get() + "' is not a directory");
            } else {
                Path existing = path.get();
                while (!Files.exists(existing) && existing.getParent() != null) {
                    existing = existing.getParent();
                }
                if (!Files.isDirectory(existing) || !Files.isWritable(existing)) {
                    config.problem("path", "cannot create directory '" + path.get() + "': '" + existing
                            + "' is not a writable directory");
                }
            }
        }
        config.validate();
        return new CompressedDestination(config.name(), path.orElseThrow(), format, level);
    }

    private static Optional<Path> path(PluginConfig config) {
        String value = config.string("path"); // records "path: is required" when missing
        if (value.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Path.of(value).toAbsolutePath().normalize());
        } catch (InvalidPathException e) {
            config.problem("path", "'" + value + "' is not a valid path: " + e.getMessage());
            return Optional.empty();
        }
    }

    private static Format format(PluginConfig config) {
        Optional<String> value = config.optionalString("format");
        if (value.isEmpty()) {
            return Format.GZIP;
        }
        Format format = Format.of(value.get());
        if (format == null) {
            config.problem("format", "unknown format '" + value.get() + "' (known: " + Format.keys() + ")");
            return Format.GZIP;
        }
        return format;
    }
}
