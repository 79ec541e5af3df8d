package dev.ingest.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ingest.core.config.ConfigLoader;
import dev.ingest.core.config.EnvExpander;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ingest workflows ...}: workflows of a running ingest service, through its REST API. */
@Command(name = "workflows", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Manage the workflows of a running ingest service through its REST API (--server).",
        subcommands = {WorkflowsCommand.ListCommand.class, WorkflowsCommand.GetCommand.class,
            WorkflowsCommand.ApplyCommand.class, WorkflowsCommand.DeleteCommand.class,
            WorkflowsCommand.PauseCommand.class, WorkflowsCommand.ResumeCommand.class},
        footer = {"", "Exit codes: 0 done; 1 refused by the service (the reason is printed); 2 usage; 3 the file "
                + "given to apply cannot be read; 4 the service cannot be reached."})
final class WorkflowsCommand implements Callable<Integer> {

    static final int REFUSED = 1;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCode.USAGE;
    }

    /** What every subcommand shares: the client, and how an answer becomes output and an exit code. */
    abstract static class Base implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ApiClient api = new ApiClient();

        abstract int run(PrintWriter out) throws IOException;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try {
                int code = run(out);
                out.flush();
                return code;
            } catch (IllegalArgumentException e) {
                return usage(e.getMessage());
            } catch (IOException e) {
                out.flush();
                spec.commandLine().getErr().println("ingest: " + e.getMessage());
                return ExitCode.RUNTIME;
            }
        }

        int usage(String message) {
            spec.commandLine().getErr().println("ingest: " + message);
            return ExitCode.USAGE;
        }

        /** Prints a refusal; @return the exit code for it */
        int refused(ApiClient.Answer a) {
            spec.commandLine().getErr().println("ingest: " + a.describe());
            return REFUSED;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = "List every workflow with its origin (file or api), state and queue.")
    static final class ListCommand extends Base {
        @Option(names = "--json", description = "Print the API's JSON.")
        boolean json;

        @Override
        int run(PrintWriter out) throws IOException {
            ApiClient.Answer a = api.call("GET", "/v1/workflows", null);
            if (!a.ok()) {
                return refused(a);
            }
            if (json) {
                out.println(a.body().toPrettyString());
                return ExitCode.OK;
            }
            out.printf("%-24s %-6s %-8s %10s %10s %8s  %s%n", "WORKFLOW", "ORIGIN", "STATE", "PENDING", "ACK-PEND",
                    "DEAD", "REASON");
            for (JsonNode w : a.body().path("workflows")) {
                JsonNode s = w.path("status");
                out.printf("%-24s %-6s %-8s %10s %10s %8s  %s%n", w.path("name").asText(), w.path("origin").asText(),
                        w.path("state").asText(), s.path("pending").asText("-"), s.path("ackPending").asText("-"),
                        s.path("deadLetters").asText("-"), w.path("reason").asText());
            }
            return ExitCode.OK;
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = "Print one workflow: its definition (secrets hidden), state and status, as JSON.")
    static final class GetCommand extends Base {
        @Parameters(paramLabel = "WORKFLOW", description = "The workflow.")
        String name;

        @Override
        int run(PrintWriter out) throws IOException {
            ApiClient.Answer a = api.call("GET", "/v1/workflows/" + name, null);
            if (!a.ok()) {
                return refused(a);
            }
            out.println(a.body().toPrettyString());
            return ExitCode.OK;
        }
    }

    @Command(name = "apply", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = {"Create or replace the sources, destinations and workflows of a file (the configuration "
                    + "file's format), in that order. Each is validated by the service before it is stored; the "
                    + "first refused stops the rest.", "${VAR} references are kept as they are: each process of the "
                    + "service expands them from its own environment."})
    static final class ApplyCommand extends Base {
        @Option(names = {"-f", "--file"}, paramLabel = "FILE", required = true, description = "The YAML file.")
        Path file;

        @Override
        int run(PrintWriter out) throws IOException {
            Object doc;
            try {
                doc = ConfigLoader.create(EnvExpander.of(Map.of())).document(Files.readString(file,
                        StandardCharsets.UTF_8), file.toString());
            } catch (NoSuchFileException e) {
                spec.commandLine().getErr().println("ingest: " + file + " does not exist");
                return ExitCode.CONFIG;
            } catch (IllegalArgumentException e) {
                spec.commandLine().getErr().println("ingest: " + file + ": " + e.getMessage());
                return ExitCode.CONFIG;
            }
            if (!(doc instanceof Map<?, ?> root)) {
                spec.commandLine().getErr().println("ingest: " + file + " must be a mapping with sources, destinations "
                        + "and/or workflows");
                return ExitCode.CONFIG;
            }
            int applied = 0;
            for (String section : List.of("sources", "destinations", "workflows")) {
                if (!(root.get(section) instanceof List<?> entries)) {
                    continue;
                }
                for (int i = 0; i < entries.size(); i++) {
                    if (!(entries.get(i) instanceof Map<?, ?> entry) || entry.get("name") == null) {
                        spec.commandLine().getErr().println("ingest: " + file + ": " + section + "[" + i + "] needs "
                                + "a name");
                        return ExitCode.CONFIG;
                    }
                    String name = String.valueOf(entry.get("name"));
                    ApiClient.Answer a = api.call("PUT", "/v1/" + section + "/" + name, entry);
                    if (!a.ok()) {
                        spec.commandLine().getErr().println("ingest: " + section + "[" + i + "] (" + name + "): "
                                + a.describe());
                        return REFUSED;
                    }
                    out.printf("%s %s %s%n", section.substring(0, section.length() - 1), name,
                            a.status() == 201 ? "created" : "replaced");
                    applied++;
                }
            }
            if (applied == 0) {
                spec.commandLine().getErr().println("ingest: " + file + " has no sources, destinations or workflows");
                return ExitCode.CONFIG;
            }
            return ExitCode.OK;
        }
    }

    /** A command on one named workflow that prints what happened. */
    abstract static class OnOne extends Base {
        @Parameters(paramLabel = "WORKFLOW", description = "The workflow.")
        String name;

        abstract String method();

        abstract String suffix();

        abstract String done();

        @Override
        int run(PrintWriter out) throws IOException {
            ApiClient.Answer a = api.call(method(), "/v1/workflows/" + name + suffix(), null);
            if (!a.ok()) {
                return refused(a);
            }
            out.println("workflow " + name + " " + done());
            return ExitCode.OK;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = "Remove a workflow created through the API; its in-flight copies finish, what is queued "
                    + "stays queued.")
    static final class DeleteCommand extends OnOne {
        String method() {
            return "DELETE";
        }

        String suffix() {
            return "";
        }

        String done() {
            return "deleted";
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = "Pause a workflow in every process: nothing is scanned or copied; queued work stays queued.")
    static final class PauseCommand extends OnOne {
        String method() {
            return "POST";
        }

        String suffix() {
            return "/pause";
        }

        String done() {
            return "paused";
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = "Resume a paused workflow in every process.")
    static final class ResumeCommand extends OnOne {
        String method() {
            return "POST";
        }

        String suffix() {
            return "/resume";
        }

        String done() {
            return "resumed";
        }
    }
}
