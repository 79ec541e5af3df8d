package dev.ingest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ingest.api.ConfigKey;
import dev.ingest.api.PluginProvider;
import dev.ingest.api.PluginRole;
import dev.ingest.core.config.ConfigLoader;
import dev.ingest.core.config.Durations;
import dev.ingest.core.config.EnvExpander;
import dev.ingest.core.engine.Mode;
import dev.ingest.core.config.PluginEntry;
import dev.ingest.core.metrics.IngestMetrics;
import dev.ingest.core.plugin.PluginLoadException;
import dev.ingest.core.plugin.PluginRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import picocli.CommandLine;

/**
 * {@code examples/kubernetes/}: every manifest parses, has the expected kinds, and runs the command line as it is:
 * real flags, the ports and probe paths ingest serves, the Secret holding every variable the configuration needs.
 */
class KubernetesManifestsTest {

    static final Path ROOT = repositoryRoot();
    static final Path DIR = ROOT.resolve("examples/kubernetes");

    /** The repository root: the parent of this module (the tests run in ingest-cli/). */
    static Path repositoryRoot() {
        Path dir = Paths.get("").toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("pom.xml")) && Files.isDirectory(p.resolve("ingest-cli"))) {
                return p;
            }
        }
        throw new IllegalStateException("no repository root above " + dir);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Reading

    /** A parsed document of a manifest file. */
    record Doc(String file, Map<String, Object> body) {
        String kind() {
            return (String) body.get("kind");
        }

        String name() {
            return string(body, "metadata.name");
        }
    }

    static List<Doc> documents(String file) throws IOException {
        String text = Files.readString(DIR.resolve(file), StandardCharsets.UTF_8);
        List<Doc> out = new ArrayList<>();
        for (Object o : new Load(LoadSettings.builder().setLabel(file).build()).loadAllFromString(text)) {
            if (o != null) {
                assertThat(o).as("a document of %s", file).isInstanceOf(Map.class);
                out.add(new Doc(file, map(o)));
            }
        }
        return out;
    }

    /** Every manifest of the directory: the YAML files but the Helm values and the Kustomization. */
    static List<Doc> manifests() throws IOException {
        List<Doc> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(DIR)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                String name = f.getFileName().toString();
                if (!name.equals("nats-values.yaml") && !name.equals("kustomization.yaml")) {
                    out.addAll(documents(name));
                }
            }
        }
        return out;
    }

    static Doc only(String kind, String name) throws IOException {
        List<Doc> found = manifests().stream().filter(d -> kind.equals(d.kind()) && name.equals(d.name())).toList();
        assertThat(found).as("%s %s", kind, name).hasSize(1);
        return found.get(0);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) {
        return o == null ? List.of() : (List<Object>) o;
    }

    /** The value at a dotted path of maps. */
    static Object at(Map<String, Object> m, String path) {
        Object cur = m;
        for (String key : path.split("\\.")) {
            if (!(cur instanceof Map<?, ?> mm)) {
                return null;
            }
            cur = mm.get(key);
        }
        return cur;
    }

    static String string(Map<String, Object> m, String path) {
        Object v = at(m, path);
        return v == null ? null : v.toString();
    }

    static Map<String, Object> container(Doc deployment) {
        List<Object> containers = list(at(deployment.body(), "spec.template.spec.containers"));
        assertThat(containers).as("containers of %s", deployment.name()).hasSize(1);
        return map(containers.get(0));
    }

    /** Parses a container's arguments with the real command line: an unknown flag or a bad value fails. */
    static IngestCommand parse(Map<String, Object> container) {
        List<String> args = list(container.get("args")).stream().map(Object::toString).toList();
        assertThat(container.get("command")).as("the image's ENTRYPOINT runs bin/ingest").isNull();
        IngestCommand command = new IngestCommand(null);
        IngestCommand.commandLine(command).parseArgs(args.toArray(String[]::new));
        return command;
    }

    static List<Doc> deployments() throws IOException {
        return manifests().stream().filter(d -> "Deployment".equals(d.kind())).toList();
    }

    /** The port ingest serves /live, /ready and /metrics on by default. */
    static int defaultListenPort() {
        String listen = IngestCommand.commandLine(new IngestCommand(null)).getCommandSpec()
                .findOption("--listen").defaultValue();
        return HealthServer.parse(listen).getPort();
    }

    // ------------------------------------------------------------------------------------------------------------
    // Tests

    @Test
    void everyManifestHasAKnownKindAndAName() throws IOException {
        List<Doc> docs = manifests();
        assertThat(docs).extracting(Doc::kind).containsExactlyInAnyOrder("Secret", "Deployment", "Deployment",
                "ServiceAccount", "PodDisruptionBudget", "NetworkPolicy");
        Map<String, String> apiVersions = Map.of("Secret", "v1", "Deployment", "apps/v1", "ServiceAccount", "v1",
                "PodDisruptionBudget", "policy/v1", "NetworkPolicy", "networking.k8s.io/v1");
        for (Doc d : docs) {
            assertThat(d.body().get("apiVersion")).as("apiVersion of %s in %s", d.kind(), d.file())
                    .isEqualTo(apiVersions.get(d.kind()));
            assertThat(d.name()).as("metadata.name in %s", d.file()).isNotBlank();
        }
        assertThat(deployments()).extracting(Doc::name)
                .containsExactlyInAnyOrder("ingest-enqueuer", "ingest-dequeuer");
    }

    @Test
    void theKustomizationAppliesEverythingButTheSecretTemplate() throws IOException {
        Doc k = documents("kustomization.yaml").get(0);
        assertThat(k.kind()).isEqualTo("Kustomization");
        List<String> resources = list(k.body().get("resources")).stream().map(Object::toString).toList();
        assertThat(resources).containsExactlyInAnyOrder("serviceaccount.yaml", "enqueuer.yaml", "dequeuer.yaml",
                "pdb.yaml", "networkpolicy.yaml");
        for (String r : resources) {
            assertThat(DIR.resolve(r)).exists();
        }
        // the configuration is generated into a ConfigMap whose name carries a hash: a change rolls the pods
        List<Object> generators = list(k.body().get("configMapGenerator"));
        assertThat(generators).hasSize(1);
        assertThat(string(map(generators.get(0)), "name")).isEqualTo("ingest-config");
        assertThat(list(map(generators.get(0)).get("files"))).containsExactly("config/ingest.yaml");
        assertThat(at(map(generators.get(0)), "options.disableNameSuffixHash")).as("the hash stays on").isNull();
        assertThat(k.body().get("generatorOptions")).isNull();
    }

    @Test
    void theDeploymentsRunTheEnqueuerAndScalableDequeuersAgainstNats() throws IOException {
        Map<String, Mode> modes = new LinkedHashMap<>();
        for (Doc d : deployments()) {
            IngestCommand command = parse(container(d));
            modes.put(d.name(), command.mode);
            assertThat(command.queue.endpoint).as("--queue-endpoint of %s", d.name()).isEqualTo("nats://nats:4222");
            assertThat(command.once).as("%s runs until stopped", d.name()).isFalse();
            assertThat(command.dryRun).isFalse();

            Map<String, Object> selector = map(at(d.body(), "spec.selector.matchLabels"));
            Map<String, Object> labels = map(at(d.body(), "spec.template.metadata.labels"));
            assertThat(labels).as("pod labels of %s", d.name()).containsAllEntriesOf(selector);
        }
        assertThat(modes).containsEntry("ingest-enqueuer", Mode.ENQUEUE).containsEntry("ingest-dequeuer", Mode.DEQUEUE);
        Doc dequeuer = only("Deployment", "ingest-dequeuer");
        assertThat((Integer) at(dequeuer.body(), "spec.replicas")).as("dequeuer replicas").isGreaterThan(1);
    }

    @Test
    void probesPortsAndScrapeAnnotationsMatchWhatIngestServes() throws Exception {
        int port = defaultListenPort();
        assertThat(port).isEqualTo(9090);
        for (Doc d : deployments()) {
            Map<String, Object> c = container(d);
            IngestCommand command = parse(c);
            assertThat(HealthServer.parse(command.listen).getPort()).as("--listen of %s", d.name()).isEqualTo(port);

            Map<String, Integer> named = new LinkedHashMap<>();
            for (Object p : list(c.get("ports"))) {
                Map<String, Object> pm = map(p);
                named.put(String.valueOf(pm.get("name")), (Integer) pm.get("containerPort"));
            }
            assertThat(named).as("container ports of %s", d.name()).containsValue(port);
            Function<Object, Integer> resolve = v -> v instanceof Integer i ? i : named.get(v.toString());

            assertThat(string(c, "livenessProbe.httpGet.path")).isEqualTo("/live");
            assertThat(resolve.apply(at(c, "livenessProbe.httpGet.port"))).as("liveness port").isEqualTo(port);
            assertThat(string(c, "readinessProbe.httpGet.path")).isEqualTo("/ready");
            assertThat(resolve.apply(at(c, "readinessProbe.httpGet.port"))).as("readiness port").isEqualTo(port);

            Map<String, Object> annotations = map(at(d.body(), "spec.template.metadata.annotations"));
            assertThat(annotations).as("scrape annotations of %s", d.name())
                    .containsEntry("prometheus.io/scrape", "true")
                    .containsEntry("prometheus.io/port", Integer.toString(port))
                    .containsEntry("prometheus.io/path", "/metrics");
        }
        // and those are the paths the operations endpoint serves
        try (HealthServer health = HealthServer.start("127.0.0.1:0", () -> true, IngestMetrics.withoutJvm())) {
            HttpClient http = HttpClient.newHttpClient();
            for (String path : List.of("/live", "/ready", "/metrics")) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + health.port() + path)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(path).isEqualTo(200);
            }
        }
    }

    @Test
    void theConfigurationComesFromTheConfigMapAndItsVariablesFromTheSecret() throws IOException {
        // the ConfigMap ingest-config that kustomize generates from config/ingest.yaml, under the file's name
        Doc configMap = new Doc("kustomization.yaml", Map.of("metadata", Map.of("name", "ingest-config")));
        Map<String, Object> data = Map.of("ingest.yaml", Files.readString(DIR.resolve("config/ingest.yaml")));
        Doc secret = manifests().stream().filter(d -> "Secret".equals(d.kind())).findFirst().orElseThrow();
        Set<String> secretKeys = new TreeSet<>(map(secret.body().get("stringData")).keySet());

        for (Doc d : deployments()) {
            Map<String, Object> c = container(d);
            IngestCommand command = parse(c);
            // --config is a key of the ConfigMap, through a volume mount
            Map<String, String> mounts = new LinkedHashMap<>();
            for (Object m : list(c.get("volumeMounts"))) {
                mounts.put(string(map(m), "name"), string(map(m), "mountPath"));
            }
            String volume = list(at(d.body(), "spec.template.spec.volumes")).stream().map(KubernetesManifestsTest::map)
                    .filter(v -> configMap.name().equals(string(v, "configMap.name")))
                    .map(v -> string(v, "name")).findFirst().orElseThrow();
            Path config = command.config;
            assertThat(config.getParent()).as("--config of %s", d.name()).isEqualTo(Paths.get(mounts.get(volume)));
            assertThat(data).containsKey(config.getFileName().toString());
            // the environment comes from the Secret
            List<String> fromSecrets = list(c.get("envFrom")).stream().map(e -> string(map(e), "secretRef.name")).toList();
            assertThat(fromSecrets).as("envFrom of %s", d.name()).containsExactly(secret.name());
        }

        String yaml = data.get("ingest.yaml").toString();
        Set<String> required = new TreeSet<>();
        Matcher m = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?}").matcher(yaml);
        while (m.find()) {
            if (m.group(2) == null) {
                required.add(m.group(1));
            }
        }
        assertThat(required).as("variables without a default").isNotEmpty();
        assertThat(secretKeys).as("keys of Secret %s", secret.name()).containsAll(required);

        // the configuration itself is valid ingest configuration, with the Secret's variables set
        Map<String, String> env = secretKeys.stream().collect(Collectors.toMap(k -> k, k -> "value-of-" + k));
        ConfigLoader.Parsed parsed = ConfigLoader.create(EnvExpander.of(env)).parse(yaml, "config/ingest.yaml");
        assertThat(parsed.problems()).isEmpty();
        assertThat(parsed.config().workflows()).isNotEmpty();
        assertThat(parsed.config().sources()).extracting(s -> s.type()).containsOnly("s3");
        assertThat(parsed.config().destinations()).extracting(s -> s.type()).containsOnly("s3");

        // and its keys are those of the s3 plugin, when it is on the class path (a bundled plugin: provided scope)
        try (PluginRegistry registry = PluginRegistry.fromClassPath(getClass().getClassLoader())) {
            registry.get("s3").ifPresent(s3 -> {
                checkKeys(s3.provider(), PluginRole.SOURCE, parsed.config().sources());
                checkKeys(s3.provider(), PluginRole.DESTINATION, parsed.config().destinations());
            });
        } catch (PluginLoadException e) {
            throw new AssertionError(e);
        }
    }

    private static void checkKeys(PluginProvider provider, PluginRole role, List<PluginEntry> entries) {
        Set<String> known = provider.keys(role).stream().map(ConfigKey::name).collect(Collectors.toSet());
        for (PluginEntry e : entries) {
            assertThat(known).as("keys of %s %s", role, e.name()).containsAll(e.options().keySet());
            provider.keys(role).stream().filter(ConfigKey::required)
                    .forEach(k -> assertThat(e.options()).as("%s %s", role, e.name()).containsKey(k.name()));
        }
    }

    @Test
    void podsOutliveTheShutdownGraceAndRunAsTheImagesUser() throws IOException {
        String dockerUser = Files.readAllLines(ROOT.resolve("Dockerfile")).stream()
                .filter(l -> l.startsWith("USER ")).reduce((a, b) -> b).orElseThrow().substring(5).trim();
        for (Doc d : deployments()) {
            IngestCommand command = parse(container(d));
            long grace = Durations.parse(command.shutdownGrace).orElseThrow().toSeconds();
            assertThat(((Number) at(d.body(), "spec.template.spec.terminationGracePeriodSeconds")).longValue())
                    .as("terminationGracePeriodSeconds of %s", d.name()).isGreaterThan(grace);
            assertThat(at(d.body(), "spec.template.spec.securityContext.runAsNonRoot")).isEqualTo(true);
            assertThat(string(d.body(), "spec.template.spec.securityContext.runAsUser"))
                    .isEqualTo(dockerUser.split(":")[0]);
        }
    }

    @Test
    void theNatsValuesEnableJetStreamWithAFileStoreOnAVolumeBoundedAndResourced() throws IOException {
        Map<String, Object> values = documents("nats-values.yaml").get(0).body();
        assertThat(at(values, "config.jetstream.enabled")).isEqualTo(true);
        assertThat(at(values, "config.jetstream.fileStore.enabled")).isEqualTo(true);
        assertThat(at(values, "config.jetstream.fileStore.pvc.enabled")).isEqualTo(true);
        long volume = bytes(string(values, "config.jetstream.fileStore.pvc.size"));
        long maxSize = bytes(string(values, "config.jetstream.fileStore.maxSize"));
        assertThat(maxSize).as("JetStream's maxSize fits its volume").isPositive().isLessThan(volume);
        assertThat(string(values, "container.merge.resources.requests.memory")).isNotBlank();
        assertThat(string(values, "container.merge.resources.limits.memory")).isNotBlank();
        assertThat(at(values, "config.monitor.enabled")).as("the monitoring port KEDA reads").isEqualTo(true);
    }

    /** @return a Kubernetes quantity ({@code 512Mi}, {@code 1Gi}, {@code 10G}) in bytes */
    static long bytes(String quantity) {
        Matcher m = Pattern.compile("(\\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?").matcher(quantity);
        assertThat(m.matches()).as("quantity '%s'", quantity).isTrue();
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "" : m.group(2);
        return n * switch (unit) {
            case "Ki" -> 1L << 10;
            case "Mi" -> 1L << 20;
            case "Gi" -> 1L << 30;
            case "Ti" -> 1L << 40;
            case "k" -> 1_000L;
            case "M" -> 1_000_000L;
            case "G" -> 1_000_000_000L;
            case "T" -> 1_000_000_000_000L;
            default -> 1L;
        };
    }

    /** The value of {@code -XX:NAME=VALUE} (or a {@code +NAME} flag's presence as "true") in JAVA_OPTS. */
    static String jvmOption(String javaOpts, String name) {
        for (String o : javaOpts.trim().split("\\s+")) {
            if (o.equals("-XX:+" + name)) {
                return "true";
            }
            if (o.startsWith("-XX:" + name + "=")) {
                return o.substring(("-XX:" + name + "=").length());
            }
        }
        return null;
    }

    @Test
    void theJvmExitsOnOutOfMemoryAndItsMemoryFitsUnderTheLimit() throws IOException {
        for (Doc d : deployments()) {
            Map<String, Object> c = container(d);
            String javaOpts = list(c.get("env")).stream().map(KubernetesManifestsTest::map)
                    .filter(e -> "JAVA_OPTS".equals(e.get("name"))).map(e -> e.get("value").toString())
                    .findFirst().orElseThrow();
            assertThat(jvmOption(javaOpts, "ExitOnOutOfMemoryError")).as("%s", d.name()).isEqualTo("true");
            long limit = bytes(string(c, "resources.limits.memory"));
            double heapPercent = Double.parseDouble(jvmOption(javaOpts, "MaxRAMPercentage"));
            long metaspace = bytes(jvmOption(javaOpts, "MaxMetaspaceSize").toUpperCase().replace("M", "Mi"));
            long direct = bytes(jvmOption(javaOpts, "MaxDirectMemorySize").toUpperCase().replace("M", "Mi"));
            long threadsAndCode = 96L << 20; // thread stacks, the code cache, GC structures: well under this
            assertThat((long) (limit * heapPercent / 100) + metaspace + direct + threadsAndCode)
                    .as("heap + metaspace + direct memory + overhead of %s under its limit %s", d.name(), limit)
                    .isLessThanOrEqualTo(limit);
        }
    }

    @Test
    void podsHaveAStartupProbeAServiceAccountWithoutTokenAndDequeuersSpread() throws IOException {
        Doc account = only("ServiceAccount", "ingest");
        assertThat(account.body().get("automountServiceAccountToken")).isEqualTo(false);
        for (Doc d : deployments()) {
            Map<String, Object> c = container(d);
            assertThat(string(c, "startupProbe.httpGet.path")).as("startupProbe of %s", d.name()).isEqualTo("/live");
            long startup = ((Number) at(c, "startupProbe.periodSeconds")).longValue()
                    * ((Number) at(c, "startupProbe.failureThreshold")).longValue();
            assertThat(startup).as("seconds %s may take to start", d.name()).isGreaterThanOrEqualTo(60);
            assertThat(at(c, "livenessProbe.initialDelaySeconds")).as("the startup probe replaces the delay").isNull();
            assertThat(string(d.body(), "spec.template.spec.serviceAccountName")).isEqualTo(account.name());
            assertThat(at(d.body(), "spec.template.spec.automountServiceAccountToken")).isEqualTo(false);
        }
        Doc dequeuer = only("Deployment", "ingest-dequeuer");
        List<Object> spread = list(at(dequeuer.body(), "spec.template.spec.topologySpreadConstraints"));
        assertThat(spread).extracting(o -> string(map(o), "topologyKey"))
                .contains("kubernetes.io/hostname", "topology.kubernetes.io/zone");
        Map<String, Object> podLabels = map(at(dequeuer.body(), "spec.template.metadata.labels"));
        for (Object o : spread) {
            assertThat(podLabels).containsAllEntriesOf(map(at(map(o), "labelSelector.matchLabels")));
        }
    }

    @Test
    void aDisruptionBudgetGuardsTheDequeuersAndANetworkPolicyOpensOnlyTheOperationsPort() throws IOException {
        Doc dequeuer = only("Deployment", "ingest-dequeuer");
        Doc pdb = only("PodDisruptionBudget", "ingest-dequeuer");
        assertThat(map(at(dequeuer.body(), "spec.template.metadata.labels")))
                .containsAllEntriesOf(map(at(pdb.body(), "spec.selector.matchLabels")));
        assertThat(((Number) at(pdb.body(), "spec.maxUnavailable")).intValue())
                .isLessThan(((Number) at(dequeuer.body(), "spec.replicas")).intValue());

        Doc policy = only("NetworkPolicy", "ingest");
        for (Doc d : deployments()) {
            assertThat(map(at(d.body(), "spec.template.metadata.labels")))
                    .containsAllEntriesOf(map(at(policy.body(), "spec.podSelector.matchLabels")));
        }
        assertThat(list(at(policy.body(), "spec.policyTypes"))).containsExactly("Ingress");
        List<Object> rules = list(at(policy.body(), "spec.ingress"));
        assertThat(rules).hasSize(1);
        assertThat(list(map(rules.get(0)).get("ports"))).extracting(p -> at(map(p), "port"))
                .containsExactly(defaultListenPort());
    }

    @Test
    void theOptionalPodMonitorAndKedaScalerPointAtWhatIngestServesAndQueues() throws IOException {
        Doc monitor = new Doc("optional/podmonitor.yaml", documents("optional/podmonitor.yaml").get(0).body());
        assertThat(monitor.kind()).isEqualTo("PodMonitor");
        assertThat(monitor.body().get("apiVersion")).isEqualTo("monitoring.coreos.com/v1");
        Map<String, Object> endpoint = map(list(at(monitor.body(), "spec.podMetricsEndpoints")).get(0));
        assertThat(endpoint.get("path")).isEqualTo("/metrics");
        for (Doc d : deployments()) {
            assertThat(map(at(d.body(), "spec.template.metadata.labels")))
                    .containsAllEntriesOf(map(at(monitor.body(), "spec.selector.matchLabels")));
            assertThat(list(container(d).get("ports"))).extracting(p -> map(p).get("name"))
                    .contains(endpoint.get("port"));
        }

        Doc scaled = new Doc("optional/keda-scaledobject.yaml",
                documents("optional/keda-scaledobject.yaml").get(0).body());
        assertThat(scaled.kind()).isEqualTo("ScaledObject");
        assertThat(scaled.body().get("apiVersion")).isEqualTo("keda.sh/v1alpha1");
        assertThat(string(scaled.body(), "spec.scaleTargetRef.name")).isEqualTo("ingest-dequeuer");
        Map<String, Object> trigger = map(list(at(scaled.body(), "spec.triggers")).get(0));
        assertThat(trigger.get("type")).isEqualTo("nats-jetstream");
        // the stream and the consumer of the configuration's workflow, as the dequeuer names them
        IngestCommand command = parse(container(only("Deployment", "ingest-dequeuer")));
        String workflow = ConfigLoader.create(EnvExpander.of(Map.of("S3_ENDPOINT", "e", "S3_KEY", "k", "S3_SECRET",
                "s", "ARCHIVE_KEY", "k", "ARCHIVE_SECRET", "s"))).load(DIR.resolve("config/ingest.yaml")).config()
                .workflows().get(0).name();
        var settings = command.queue.settings("nats://nats:4222");
        assertThat(string(trigger, "metadata.stream")).isEqualTo(settings.stream());
        assertThat(string(trigger, "metadata.consumer")).isEqualTo(settings.consumerOf(workflow));
        assertThat(Long.parseLong(string(trigger, "metadata.lagThreshold"))).isPositive();
    }

    @Test
    void unknownFlagsWouldBeCaught() {
        // guards the guard: parse() does reject what the command does not declare
        IngestCommand command = new IngestCommand(null);
        CommandLine cl = IngestCommand.commandLine(command);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> cl.parseArgs("--mode=dequeue", "--nats-url=x"))
                .isInstanceOf(CommandLine.UnmatchedArgumentException.class);
    }
}
