package dev.ingest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ingest.core.metrics.IngestMetrics;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code examples/grafana/ingest-dashboard.json} queries only metrics that ingest exports. */
class GrafanaDashboardTest {

    private static final Path DASHBOARD = LauncherSupport.repositoryRoot().resolve("examples/grafana/ingest-dashboard.json");

    /** The metric names of the README's metric table (OperationsIT checks them against a running service). */
    static Set<String> documentedMetrics() throws Exception {
        String readme = Files.readString(LauncherSupport.repositoryRoot().resolve("README.md"));
        String section = readme.substring(readme.indexOf("### Metrics"));
        section = section.substring(0, section.indexOf("\n### ", 5));
        Set<String> names = new TreeSet<>();
        for (String line : section.lines().filter(l -> l.startsWith("| `ingest_")).toList()) {
            Matcher m = Pattern.compile("`(ingest_[a-z_]+)`").matcher(line.substring(0, line.indexOf(" | ", 2)));
            while (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    private static List<String> expressions(JsonNode node, List<String> out) {
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> {
                if (e.getKey().equals("expr") || e.getKey().equals("definition")) {
                    out.add(e.getValue().asText());
                } else {
                    expressions(e.getValue(), out);
                }
            });
        } else if (node.isArray()) {
            node.forEach(n -> expressions(n, out));
        }
        return out;
    }

    @Test
    void everyQueriedMetricExists() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        Set<String> documented = documentedMetrics();
        assertThat(documented).contains("ingest_objects_copied_total", "ingest_consumer_pending");
        ByteArrayOutputStream scrape = new ByteArrayOutputStream();
        IngestMetrics.create().writeTo(scrape);
        String jvm = scrape.toString(StandardCharsets.UTF_8);

        List<String> exprs = expressions(dashboard, new ArrayList<>());
        assertThat(exprs).hasSizeGreaterThan(10);
        Set<String> used = new TreeSet<>();
        for (String expr : exprs) {
            Matcher m = Pattern.compile("\\b((?:ingest|jvm)_[a-z_]+)").matcher(expr);
            while (m.find()) {
                used.add(m.group(1));
            }
        }
        for (String metric : used) {
            String base = metric.replaceFirst("_(bucket|sum|count)$", "");
            if (metric.startsWith("jvm_")) {
                assertThat(jvm).as("the JVM metric %s is exported", metric).contains(metric);
            } else {
                assertThat(documented).as("metric %s of the dashboard", metric).containsAnyOf(metric, base);
            }
        }
        assertThat(used).as("the dashboard covers the main metrics").contains("ingest_objects_copied_total",
                "ingest_dead_letters_total", "ingest_consumer_pending", "ingest_record_lag_seconds");
    }

    @Test
    void everyPanelHasADataSourceAndAQuery() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        assertThat(dashboard.get("uid").asText()).isNotBlank();
        assertThat(dashboard.get("panels")).isNotEmpty().allSatisfy(p -> {
            assertThat(p.get("datasource").get("type").asText()).isEqualTo("prometheus");
            assertThat(p.get("targets")).isNotEmpty();
        });
    }
}
