package dev.ingest.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code ingest run WORKFLOW}: a one-time run on a running service (no JVM start for the work itself): the service
 * scans the workflow's source now; the command follows the run until every object it found is copied or
 * dead-lettered, then prints a summary and exits like {@code --once}.
 */
@Command(name = "run", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Run a workflow once on a running ingest service (--server): it scans the source now; this "
                + "command follows the run until every object found is copied or dead-lettered, then prints a "
                + "summary.", "Interrupting this command does not stop the run on the service."},
        footer = {"", "Exit codes: 0 every object is at every destination; 1 objects were dead-lettered or the scan "
                + "failed, or the service refused the run (paused, failed, not scanned there); 2 usage; 4 the service "
                + "cannot be reached."})
final class RunCommand extends WorkflowsCommand.Base {

    @Parameters(paramLabel = "WORKFLOW", description = "The workflow.")
    String workflow;

    @Override
    int run(PrintWriter out) throws IOException {
        long start = System.nanoTime();
        ApiClient.Answer a = api.call("POST", "/v1/workflows/" + workflow + "/runs", null);
        if (!a.ok()) {
            return refused(a);
        }
        String id = a.body().path("id").asText();
        PrintWriter err = spec.commandLine().getErr();
        boolean terminal = System.console() != null;
        String last = "";
        JsonNode run = a.body();
        while (!run.path("state").asText().equals("done") && !run.path("state").asText().equals("failed")) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                err.println("ingest: interrupted; run " + id + " goes on in the service");
                return ExitCode.INTERRUPTED;
            }
            ApiClient.Answer p = api.call("GET", "/v1/runs/" + id, null);
            if (!p.ok()) {
                return refused(p);
            }
            run = p.body();
            if (terminal) {
                String line = progress(run);
                if (!line.equals(last)) {
                    err.print("\r" + line);
                    err.flush();
                    last = line;
                }
            }
        }
        if (terminal && !last.isEmpty()) {
            err.println();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        out.printf(Locale.ROOT, "ingest: run %s of workflow %s %s: listed %d, queued %d, already queued %d, "
                        + "already stored %d, failed %d, in %.1fs%s%n", id, workflow, run.path("state").asText(),
                run.path("listed").asLong(), run.path("queued").asLong(), run.path("alreadyQueued").asLong(),
                run.path("alreadyStored").asLong(), run.path("failed").asLong(), seconds,
                run.path("error").asText().isEmpty() ? "" : " (" + run.path("error").asText() + ")");
        return run.path("state").asText().equals("done") ? ExitCode.OK : ExitCode.FAILED_OBJECTS;
    }

    private static String progress(JsonNode run) {
        return String.format(Locale.ROOT, "%s: listed %d, queued %d, pending %s", run.path("state").asText(),
                run.path("listed").asLong(), run.path("queued").asLong(), run.path("pending").asText("?"));
    }
}
