package dev.ingest.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ingest.api.ConfigKey;
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
        description = "List every discovered plugin: type, source and/or destination, version, location; with "
                + "--keys or --json, also the configuration keys of each role: required, secret, description "
                + "(with the default it states).",
        footer = {"", ExitCode.PLUGINS_HELP})
final class PluginsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--plugins", paramLabel = "DIR",
            description = "A plugin directory, or a directory of plugin directories; repeatable.")
    List<Path> plugins = new ArrayList<>();

    @Option(names = "--keys", description = "Also list each plugin's configuration keys, per role.")
    boolean keys;

    @Option(names = "--json", description = "Print JSON for machines (always with the keys).")
    boolean json;

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

    private static List<PluginRole> sortedRoles(LoadedPlugin p) {
        return p.provider().roles().stream().sorted().toList();
    }

    private static String roleName(PluginRole r) {
        return r == PluginRole.SOURCE ? "source" : "destination";
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (PluginRegistry registry = PluginRegistry.load(getClass().getClassLoader(), plugins, defaultRoots())) {
            if (json) {
                ObjectMapper mapper = new ObjectMapper();
                ArrayNode array = mapper.createArrayNode();
                for (LoadedPlugin p : registry.plugins()) {
                    ObjectNode n = array.addObject();
                    n.put("type", p.type());
                    ArrayNode roles = n.putArray("roles");
                    sortedRoles(p).forEach(r -> roles.add(roleName(r)));
                    n.put("version", p.provider().version());
                    n.put("location", String.valueOf(p.location()));
                    ObjectNode byRole = n.putObject("keys");
                    for (PluginRole r : sortedRoles(p)) {
                        ArrayNode list = byRole.putArray(roleName(r));
                        for (ConfigKey k : p.provider().keys(r)) {
                            list.addObject().put("name", k.name()).put("required", k.required())
                                    .put("secret", k.secret()).put("description", k.description());
                        }
                    }
                }
                out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(array));
                return ExitCode.OK;
            }
            out.printf("%-12s %-24s %-16s %s%n", "TYPE", "ROLES", "VERSION", "LOCATION");
            for (LoadedPlugin p : registry.plugins()) {
                String roles = sortedRoles(p).stream().map(PluginsCommand::roleName).collect(Collectors.joining(", "));
                out.printf(Locale.ROOT, "%-12s %-24s %-16s %s%n", p.type(), roles, p.provider().version(), p.location());
                if (keys) {
                    for (PluginRole r : sortedRoles(p)) {
                        out.printf("  %s keys:%n", roleName(r));
                        for (ConfigKey k : p.provider().keys(r)) {
                            out.printf("    %-18s %s%s%n", k.name(), k.required() ? "required; " : "",
                                    (k.secret() ? "secret; " : "") + k.description());
                        }
                    }
                }
            }
            return ExitCode.OK;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            spec.commandLine().getErr().println("ingest: " + e.getMessage());
            return ExitCode.RUNTIME;
        } catch (PluginLoadException e) {
            spec.commandLine().getErr().println("ingest: " + e.getMessage());
            return ExitCode.CONFIG;
        }
    }
}
