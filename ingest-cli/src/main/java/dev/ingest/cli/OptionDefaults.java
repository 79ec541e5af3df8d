package dev.ingest.cli;

import dev.ingest.core.config.ConfigLoader;
import dev.ingest.core.config.ConfigProblem;
import dev.ingest.core.config.EnvExpander;
import dev.ingest.core.config.Suggestions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Where an option's value comes from when it is not on the command line: the environment variable
 * {@code INGEST_<OPTION>} ({@code --queue-endpoint} → {@code INGEST_QUEUE_ENDPOINT}), then the key of the configuration
 * file's top-level {@code ingest:} block ({@code queueEndpoint}), then the option's own default. Picocli asks it for
 * every option of every command ({@link CommandLine#setDefaultValueProvider}); it remembers where each value came from,
 * so that an invalid one is reported with its origin.
 *
 * <p>The file is known only once {@code --config} is (a flag, {@code INGEST_CONFIG} or its default): the command line
 * is parsed once without the file, then, when the file has an {@code ingest:} block, again with it
 * ({@link #useFile}). {@code --config}, {@code --help} and {@code --version} cannot be set in the file.
 */
final class OptionDefaults implements CommandLine.IDefaultValueProvider {

    static final String PREFIX = "INGEST_";

    private final Map<String, String> env;
    private volatile ConfigLoader.Block block;
    /** Option name → where its current default came from, when not its own default. */
    private final Map<String, String> origins = new ConcurrentHashMap<>();

    /** @param env the environment (the process's, or a test's) */
    OptionDefaults(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    /** @return {@code INGEST_QUEUE_ENDPOINT} for {@code --queue-endpoint} */
    static String variable(OptionSpec o) {
        return PREFIX + bare(o).toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /** @return {@code queueEndpoint} for {@code --queue-endpoint} */
    static String key(OptionSpec o) {
        StringBuilder b = new StringBuilder();
        boolean upper = false;
        for (char c : bare(o).toCharArray()) {
            if (c == '-') {
                upper = true;
            } else {
                b.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return b.toString();
    }

    private static String bare(OptionSpec o) {
        return o.longestName().replaceFirst("^-+", "");
    }

    /** @return whether the option takes a value from the environment and the file at all */
    static boolean configurable(OptionSpec o) {
        return !o.usageHelp() && !o.versionHelp() && o.longestName().startsWith("--");
    }

    /** @return whether the option may be set in the file's block ({@code --config} names the file itself) */
    static boolean inFile(OptionSpec o) {
        return configurable(o) && !o.longestName().equals("--config");
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec o) || !configurable(o)) {
            return null;
        }
        String var = variable(o);
        String v = env.get(var);
        if (v != null) {
            origins.put(o.longestName(), "environment variable " + var);
            return v;
        }
        ConfigLoader.Block b = block;
        if (b != null && inFile(o)) {
            Object value = b.values().get(key(o));
            if (value != null && !(value instanceof Map<?, ?>) && !(value instanceof List<?>)) {
                origins.put(o.longestName(), "key " + ConfigLoader.LAUNCHER_BLOCK + "." + key(o) + " of " + b.origin()
                        + " (line " + b.lines().getOrDefault(key(o), 0) + ")");
                return String.valueOf(value);
            }
        }
        origins.remove(o.longestName());
        return null;
    }

    /**
     * @param option an option's name
     * @return where its value came from when not from the command line: the variable or the file's key; empty for
     *     its own default
     */
    Optional<String> origin(String option) {
        return Optional.ofNullable(origins.get(option));
    }

    /**
     * Reads the {@code ingest:} block of the configuration file, if the file exists and has one.
     *
     * @param file the configuration file, or null
     * @param root the command tree (its options are what the block may set)
     * @return whether the block sets anything (the command line must then be parsed again)
     * @throws BlockException if the block is not a mapping or names an unknown option
     */
    boolean useFile(Path file, CommandSpec root) throws BlockException {
        if (file == null || !Files.isRegularFile(file)) {
            return false;
        }
        ConfigLoader.Block read;
        try {
            read = ConfigLoader.create(EnvExpander.system()).readBlock(file, ConfigLoader.LAUNCHER_BLOCK);
        } catch (IOException e) {
            return false; // the command reports an unreadable file itself
        }
        List<String> problems = new ArrayList<>();
        for (ConfigProblem p : read.problems()) {
            if (p.path().startsWith(ConfigLoader.LAUNCHER_BLOCK)) {
                problems.add(p.toString());
            }
        }
        TreeSet<String> known = new TreeSet<>();
        collectKeys(root, known);
        for (Map.Entry<String, Object> e : read.values().entrySet()) {
            String k = e.getKey();
            if (known.contains(k) && (e.getValue() instanceof Map<?, ?> || e.getValue() instanceof List<?>)) {
                problems.add("line " + read.lines().getOrDefault(k, 0) + ": " + ConfigLoader.LAUNCHER_BLOCK + "." + k
                        + ": must be a single value, as on the command line");
            }
            if (!known.contains(k)) {
                problems.add("line " + read.lines().getOrDefault(k, 0) + ": " + ConfigLoader.LAUNCHER_BLOCK + "." + k
                        + ": unknown option" + Suggestions.didYouMean(k, known) + " (known: " + String.join(", ", known)
                        + ")");
            }
        }
        if (!problems.isEmpty()) {
            throw new BlockException("configuration file " + file + ": " + String.join("; ", problems));
        }
        block = read;
        return !read.values().isEmpty();
    }

    private static void collectKeys(CommandSpec spec, TreeSet<String> known) {
        for (OptionSpec o : spec.options()) {
            if (inFile(o)) {
                known.add(key(o));
            }
        }
        spec.subcommands().values().forEach(sub -> collectKeys(sub.getCommandSpec(), known));
    }

    /** The {@code ingest:} block is wrong. */
    static final class BlockException extends Exception {
        private static final long serialVersionUID = 1L;

        BlockException(String message) {
            super(message);
        }
    }

    /**
     * Adds a section to the help of every command, before its footer, naming the variable and file key of each of
     * its options.
     *
     * @param cl the command line, with its subcommands
     */
    static void documentIn(CommandLine cl) {
        String section = "ingestEnvironment";
        cl.getHelpSectionMap().put(section, help -> {
            List<OptionSpec> options = help.commandSpec().options().stream().filter(OptionDefaults::configurable)
                    .toList();
            if (options.isEmpty()) {
                return "";
            }
            StringBuilder b = new StringBuilder(String.format("%nEach option can also be set by an environment variable, "
                    + "or in the configuration%nfile's top-level 'ingest:' block; a flag wins over the variable, the "
                    + "variable%nover the file, the file over the default:%n"));
            int width = options.stream().mapToInt(o -> o.longestName().length()).max().orElse(0);
            int varWidth = options.stream().mapToInt(o -> variable(o).length()).max().orElse(0);
            for (OptionSpec o : options) {
                b.append(String.format("  %-" + width + "s  %-" + varWidth + "s  %s%n", o.longestName(), variable(o),
                        inFile(o) ? ConfigLoader.LAUNCHER_BLOCK + "." + key(o) : "(not in the file)"));
            }
            return b.toString();
        });
        List<String> keys = new ArrayList<>(cl.getHelpSectionKeys());
        if (!keys.contains(section)) { // picocli may hand subcommands the same list
            int footer = keys.indexOf(CommandLine.Model.UsageMessageSpec.SECTION_KEY_FOOTER_HEADING);
            keys.add(footer < 0 ? keys.size() : footer, section);
        }
        cl.setHelpSectionKeys(keys);
        cl.getSubcommands().values().forEach(OptionDefaults::documentIn);
    }
}
