package dev.ingest.cli;

import dev.ingest.api.PluginRole;
import dev.ingest.core.plugin.LoadedPlugin;
import dev.ingest.core.plugin.PluginLoadException;
import dev.ingest.core.plugin.PluginRegistry;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ingest plugins}: every plugin found, with its roles, version and location. */
@Command(name = "plugins", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "List every discovered plugin: type, source and/or destination, version, location.",
        footer = {"", ExitCode.PLUGINS_HELP})
final class PluginsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--plugins", paramLabel = "DIR",
            description = "A plugin directory, or a directory of plugin directories; repeatable.")
    List<Path> plugins = new ArrayList<>();

    /**
     * The plugin roots searched after the --plugins directories: the distribution's plugins/ and
     * ~/.config/ingest/plugins, when they exist.
     */
    static List<Path> defaultRoots() {
        List<Path> roots = new ArrayList<>();
        String home = System.getProperty("ingest.home");
        if (home != null) {
            roots.add(Paths.get(home, "plugins"));
        }
        roots.add(Paths.get(System.getProperty("user.home"), ".config", "ingest", "plugins"));
        return roots;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (PluginRegistry registry = PluginRegistry.load(getClass().getClassLoader(), plugins, defaultRoots())) {
            out.printf("%-12s %-24s %-16s %s%n", "TYPE", "ROLES", "VERSION", "LOCATION");
            for (LoadedPlugin p : registry.plugins()) {
                String roles = p.provider().roles().stream().sorted()
                        .map(r -> r == PluginRole.SOURCE ? "source" : "destination")
                        .collect(Collectors.joining(", "));
                out.printf(Locale.ROOT, "%-12s %-24s %-16s %s%n", p.type(), roles, p.provider().version(), p.location());
            }
            return ExitCode.OK;
        } catch (PluginLoadException e) {
            spec.commandLine().getErr().println("ingest: " + e.getMessage());
            return ExitCode.CONFIG;
        }
    }
}
