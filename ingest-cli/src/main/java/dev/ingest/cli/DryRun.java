package dev.ingest.cli;

import dev.ingest.api.ConfigKey;
import dev.ingest.api.PluginRole;
import dev.ingest.api.Secrets;
import dev.ingest.core.config.Durations;
import dev.ingest.core.config.PluginEntry;
import dev.ingest.core.config.WorkflowConfig;
import dev.ingest.core.engine.Planner;
import dev.ingest.core.engine.RunSummary;
import dev.ingest.core.plugin.Configured;
import dev.ingest.core.plugin.PluginRegistry;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** {@code --dry-run}: the configuration with secrets masked, and a plan per workflow. */
final class DryRun {

    static final String MASK = "********";

    private DryRun() {
    }

    static int print(PrintWriter out, Configured configured, PluginRegistry registry) {
        return print(out, configured, registry, false);
    }

    /**
     * @param list also print every object listed: {@code + NAME (SIZE)} to copy, {@code = NAME} already at every
     *     destination
     */
    static int print(PrintWriter out, Configured configured, PluginRegistry registry, boolean list) {
        out.println("configuration " + configured.config().origin() + " is valid; every plugin is configured.");
        for (PluginEntry e : configured.config().sources()) {
            out.println("source " + describe(e, secrets(registry, e, PluginRole.SOURCE)));
        }
        for (PluginEntry e : configured.config().destinations()) {
            out.println("destination " + describe(e, secrets(registry, e, PluginRole.DESTINATION)));
        }
        boolean failed = false;
        boolean refused = false;
        Planner.ObjectListener listener = !list ? (w, c, present) -> { } : (w, c, present) -> out.printf(
                "  %s %s: %s%s%n", present ? "=" : "+", w, c.name(),
                present ? "" : c.size() >= 0 ? " (" + RunSummary.humanBytes(c.size()) + ")" : " (size unknown)");
        if (list) {
            out.println("objects: '+' would be copied, '=' every destination has already");
        }
        for (Planner.WorkflowPlan plan : Planner.plan(configured, listener)) {
            WorkflowConfig w = configured.workflows().stream().filter(x -> x.name().equals(plan.workflow()))
                    .findFirst().orElseThrow();
            out.printf("workflow %s: %s -> %s; interval %s, batchSize %d, concurrency %d, cleanUp %s, webhook %s%s%n",
                    w.name(), w.source(), String.join(", ", w.destinations()), Durations.format(w.interval()),
                    w.batchSize(), w.concurrency(), w.cleanUp(), w.webhook().map(u -> Secrets.redactUrl(u.toString())).orElse("none"),
                    w.webhookSecret().isPresent() ? " (signed)" : "");
            if (plan.readsRecords()) {
                out.printf("  plan: reads records; from the beginning its source has %s%d records (%s) now, batched "
                                + "as %s%n", plan.recordsCut() ? "at least " : "", plan.records(),
                        RunSummary.humanBytes(plan.bytesToCopy()), w.batch().map(Object::toString).orElse("-"));
                if (!plan.sourceStatus().isEmpty()) {
                    out.println("  source reports:");
                    plan.sourceStatus().forEach((k, v) -> out.printf("    %s: %s%n", k, v));
                }
                out.println("  (a run starts from the workflow's checkpoint, which a dry run does not read)");
            } else {
                out.printf("  plan: %d listed, %d already at every destination, %d to copy (%s%s)%n", plan.listed(),
                        plan.present(), plan.toCopy(), RunSummary.humanBytes(plan.bytesToCopy()),
                        plan.unknownSizes() > 0 ? " + " + plan.unknownSizes() + " of unknown size" : "");
            }
            if (!plan.error().isEmpty()) {
                out.println("  planning stopped early: " + plan.error());
                failed = true;
                refused |= plan.errorPermanent();
            }
        }
        List<String> skipped = IngestCommand.skippedWorkflows(configured);
        for (String w : skipped) {
            out.println("workflow " + w + ": skipped (--strict-workflows=false); a run would not copy anything of it");
        }
        configured.skippedProblems().forEach(p -> out.println("  skipped: " + p));
        out.println("dry run: nothing was queued, copied or deleted.");
        // Refused credentials or permissions are a configuration problem, whether the plugin found them while
        // being configured (S3 checks its bucket) or while listing (an HTTP API answers 401): exit 3 alike.
        return refused ? ExitCode.CONFIG : failed ? ExitCode.RUNTIME : ExitCode.OK;
    }

    private static Set<String> secrets(PluginRegistry registry, PluginEntry e, PluginRole role) {
        return registry.get(e.type()).map(p -> p.provider().keys(role).stream().filter(ConfigKey::secret)
                .map(ConfigKey::name).collect(Collectors.toSet())).orElse(Set.of());
    }

    private static String describe(PluginEntry e, Set<String> secrets) {
        List<String> parts = e.options().entrySet().stream()
                .map(o -> o.getKey() + "=" + (secrets.contains(o.getKey()) ? MASK : shown(o.getValue())))
                .toList();
        return e.name() + " (" + e.type() + ")" + (parts.isEmpty() ? "" : ": " + String.join(", ", parts));
    }

    /**
     * A value that is not a secret key's, as printed: any text in it that is a URL shows without its password and
     * credential-like query values (an endpoint or a listing URL may carry them whatever the plugin declares).
     */
    private static String shown(Object value) {
        if (value instanceof Map<?, ?> map) {
            return map.entrySet().stream().map(x -> x.getKey() + "=" + shown(x.getValue()))
                    .collect(Collectors.joining(", ", "{", "}"));
        }
        if (value instanceof List<?> list) {
            return list.stream().map(DryRun::shown).collect(Collectors.joining(", ", "[", "]"));
        }
        return Secrets.redactUrl(String.valueOf(value));
    }
}
