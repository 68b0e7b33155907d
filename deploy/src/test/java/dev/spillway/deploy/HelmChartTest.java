package dev.spillway.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The Helm chart linted and rendered by Helm itself (helm-java: Helm compiled into a native library inside a Maven
 * artifact; no binary, no cluster), for the default values and for values-production.yaml, with the rendered
 * manifests parsed and the fields that matter checked; and renders that must fail, failing with a message that
 * names the missing value.
 */
class HelmChartTest {
  private static final String RELEASE = "spillway";
  /** API versions GA in Kubernetes 1.23 (the chart's kubeVersion), plus the prometheus-operator CRD. */
  private static final Set<String> API_VERSIONS = Set.of("v1", "apps/v1", "autoscaling/v2", "policy/v1",
      "networking.k8s.io/v1", "monitoring.coreos.com/v1");
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  @TempDir
  static Path workDir;
  private static Path chart;
  private static Manifests defaults;
  private static Manifests production;

  @BeforeAll
  static void renderOnce() throws IOException {
    chart = copyChart(DeployFiles.chartDir(), workDir.resolve("spillway"));
    defaults = new Manifests(render(HelmChartTest::minimalValues));
    production = new Manifests(render(t -> t.withValuesFile(chart.resolve("values-production.yaml"))));
  }

  // --- lint and API versions ------------------------------------------------------------------------------------

  @Test
  void lintPasses() {
    LintResult lint = new Helm(chart).lint().strict().call();
    assertThat(lint.isFailed()).as("helm lint --strict: %s", lint.getMessages()).isFalse();
    assertThat(lint.getMessages()).noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
  }

  @Test
  void rendersOnlyApisOfTheDeclaredMinimumKubernetesWithValidNames() {
    assertThat(DeployFiles.read(DeployFiles.chartDir().resolve("Chart.yaml")))
        .contains("kubeVersion: \">=1.23.0-0\"");
    for (Manifests manifests : List.of(defaults, production)) {
      for (JsonNode object : manifests.all) {
        assertThat(API_VERSIONS).as("apiVersion of %s", id(object)).contains(object.path("apiVersion").asString());
        assertThat(object.path("metadata").path("name").asString()).as("name of %s", id(object))
            .matches(DNS_LABEL);
      }
    }
  }

  // --- default values -----------------------------------------------------------------------------------------

  @Test
  void defaultRenderHasTheExpectedObjects() {
    assertThat(defaults.all.stream().map(HelmChartTest::id).toList()).containsExactlyInAnyOrder(
        "ServiceAccount/spillway",
        "ConfigMap/spillway-control-plane", "ConfigMap/spillway-node", "ConfigMap/spillway-dashboard",
        "Service/spillway-control-plane", "Service/spillway-node",
        "Service/spillway-control-plane-metrics", "Service/spillway-node-metrics",
        "Deployment/spillway-control-plane", "Deployment/spillway-node",
        "PodDisruptionBudget/spillway-node");
  }

  @Test
  void nodeDeploymentProbesTheGatewayPortAndHardensThePod() {
    JsonNode node = defaults.get("Deployment", "spillway-node");
    assertWorkload(node, 8000);
    assertThat(node.path("spec").path("replicas").asInt()).isEqualTo(2);
  }

  @Test
  void controlPlaneDeploymentProbesTheApiPortAndHardensThePod() {
    assertWorkload(defaults.get("Deployment", "spillway-control-plane"), 8080);
  }

  @Test
  void nodeStateDirectoryIsOnItsOwnVolume() {
    JsonNode pod = defaults.get("Deployment", "spillway-node").path("spec").path("template").path("spec");
    String stateDir = defaults.get("ConfigMap", "spillway-node").path("data").path("SPILLWAY_NODE_STATE_DIR")
        .asString();
    assertThat(stateDir).isEqualTo("/var/lib/spillway/node");
    assertThat(mountPath(pod.path("containers").get(0), "state")).isEqualTo(stateDir);
    JsonNode volume = volume(pod, "state");
    assertThat(volume.path("emptyDir").path("sizeLimit").asString()).isEqualTo("1Gi");
  }

  @Test
  void tracingIsOffByDefaultAndSetsTheOtelVariablesWhenGivenAnEndpoint() {
    assertThat(envNames(container(podTemplate(defaults, "node")))).noneMatch(name -> name.startsWith("OTEL_"));

    Manifests traced = new Manifests(render(t -> minimalValues(t)
        .set("node.tracing.endpoint", "http://otel-collector.observability:4318")
        .set("node.tracing.sampleRatio", 0.25).set("node.tracing.captureContent", true)));

    JsonNode node = container(podTemplate(traced, "node"));
    assertThat(env(node, "OTEL_EXPORTER_OTLP_ENDPOINT")).isEqualTo("http://otel-collector.observability:4318");
    assertThat(env(node, "OTEL_TRACES_SAMPLER")).isEqualTo("parentbased_traceidratio");
    assertThat(env(node, "OTEL_TRACES_SAMPLER_ARG")).isEqualTo("0.25");
    assertThat(env(node, "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT")).isEqualTo("true");
    // The resource names the pod: Kubernetes expands $(VAR) from variables defined before it in the list.
    List<String> names = envNames(node);
    assertThat(env(node, "OTEL_RESOURCE_ATTRIBUTES")).contains("k8s.pod.name=$(K8S_POD_NAME)");
    assertThat(names.indexOf("K8S_POD_NAME")).isLessThan(names.indexOf("OTEL_RESOURCE_ATTRIBUTES"));
    assertThatThrownBy(() -> render(t -> minimalValues(t).set("node.tracing.endpoint", "otel:4318")))
        .hasMessageContaining("endpoint");
    assertThatThrownBy(() -> render(t -> minimalValues(t).set("node.tracing.sampleRatio", "1.5")))
        .hasMessageContaining("sampleRatio");
  }

  @Test
  void metricsPortsAreNamedAnnotatedAndMatchTheAdminPortSettings() {
    assertMetrics(defaults, "node", "SPILLWAY_DP_ADMIN_HOST", "SPILLWAY_DP_ADMIN_PORT", 9000);
    assertMetrics(defaults, "control-plane", "SPILLWAY_CP_ADMIN_HOST", "SPILLWAY_CP_ADMIN_PORT", 9080);
    for (String component : List.of("node", "control-plane")) {
      JsonNode annotations = podTemplate(defaults, component).path("metadata").path("annotations");
      assertThat(annotations.path("prometheus.io/scrape").asString()).isEqualTo("true");
      assertThat(annotations.path("prometheus.io/path").asString()).isEqualTo("/metrics");
      assertThat(annotations.path("prometheus.io/port").asString())
          .isEqualTo(String.valueOf(containerPort(podTemplate(defaults, component), "metrics")));
    }
    assertThat(defaults.all).noneMatch(o -> o.path("kind").asString().equals("ServiceMonitor"));
  }

  @Test
  void metricsStayOffTheServicesClientsReach() {
    for (String component : List.of("node", "control-plane")) {
      JsonNode service = defaults.get("Service", "spillway-" + component);
      assertThat(service.path("spec").path("ports").findValuesAsString("name")).containsExactly("http");
    }
  }

  @Test
  void dashboardConfigMapHoldsTheDashboardJsonForGrafanasSidecar() {
    JsonNode configMap = defaults.get("ConfigMap", "spillway-dashboard");
    assertThat(configMap.path("metadata").path("labels").path("grafana_dashboard").asString()).isEqualTo("1");
    JsonNode rendered = DeployFiles.json(configMap.path("data").path("spillway.json").asString());
    assertThat(rendered).isEqualTo(DeployFiles.json(DeployFiles.read(DeployFiles.dashboardFile())));
    assertThat(rendered.path("title").asString()).isEqualTo("Spillway");
  }

  // --- production-like values ---------------------------------------------------------------------------------

  @Test
  void productionUsesExistingSecretsAndCreatesNone() {
    assertThat(production.all).noneMatch(o -> o.path("kind").asString().equals("Secret"));
    JsonNode cp = container(podTemplate(production, "control-plane"));
    assertThat(secretRef(cp, "SPILLWAY_DB_PASSWORD")).isEqualTo("spillway-db/password");
    assertThat(secretRef(cp, "SPILLWAY_ADMIN_TOKEN")).isEqualTo("spillway-secrets/admin-token");
    assertThat(secretRef(cp, "SPILLWAY_SECRET_KEY")).isEqualTo("spillway-secrets/secret-key");
    assertThat(secretRef(container(podTemplate(production, "node")), "SPILLWAY_NODE_TOKEN"))
        .isEqualTo("spillway-secrets/node-token");
  }

  @Test
  void productionWorkloadsAreHardenedScaledAndSized() {
    JsonNode node = production.get("Deployment", "spillway-node");
    JsonNode cp = production.get("Deployment", "spillway-control-plane");
    assertWorkload(node, 8000);
    assertWorkload(cp, 8080);
    // The autoscaler owns the node count; the control plane runs two replicas with a disruption budget.
    assertThat(node.path("spec").has("replicas")).isFalse();
    JsonNode hpa = production.get("HorizontalPodAutoscaler", "spillway-node");
    assertThat(hpa.path("spec").path("scaleTargetRef").path("name").asString()).isEqualTo("spillway-node");
    assertThat(hpa.path("spec").path("minReplicas").asInt()).isEqualTo(3);
    assertThat(cp.path("spec").path("replicas").asInt()).isEqualTo(2);
    production.get("PodDisruptionBudget", "spillway-control-plane");
    assertThat(container(podTemplate(production, "node")).path("resources").path("limits").path("memory")
        .asString()).isEqualTo("2Gi");
    assertThat(container(podTemplate(production, "control-plane")).path("image").asString())
        .isEqualTo("registry.example.com/spillway/control-plane:0.1.0");
  }

  @Test
  void productionNodeStateIsAPerPodEphemeralVolume() {
    JsonNode pod = podTemplate(production, "node").path("spec");
    assertThat(mountPath(container(podTemplate(production, "node")), "state")).isEqualTo("/var/lib/spillway/node");
    assertThat(volume(pod, "state").path("ephemeral").path("volumeClaimTemplate").path("spec").path("resources")
        .path("requests").path("storage").asString()).isEqualTo("2Gi");
  }

  @Test
  void productionTerminatesTlsAtBothIngresses() {
    for (String component : List.of("node", "control-plane")) {
      JsonNode spec = production.get("Ingress", "spillway-" + component).path("spec");
      String host = spec.path("rules").get(0).path("host").asString();
      assertThat(host).endsWith(".example.com");
      assertThat(spec.path("tls").get(0).path("hosts").get(0).asString()).isEqualTo(host);
      assertThat(spec.path("tls").get(0).path("secretName").asString()).isNotBlank();
    }
    assertThat(production.get("Ingress", "spillway-node").path("metadata").path("annotations")
        .path("nginx.ingress.kubernetes.io/proxy-buffering").asString()).isEqualTo("off");
  }

  @Test
  void productionScrapesThroughAServiceMonitorThatSelectsBothMetricsServices() {
    JsonNode monitor = production.get("ServiceMonitor", "spillway");
    assertThat(monitor.path("metadata").path("labels").path("release").asString()).isEqualTo("kube-prometheus-stack");
    JsonNode endpoint = monitor.path("spec").path("endpoints").get(0);
    assertThat(endpoint.path("port").asString()).isEqualTo("metrics");
    assertThat(endpoint.path("path").asString()).isEqualTo("/metrics");
    JsonNode selector = monitor.path("spec").path("selector").path("matchLabels");
    List<String> selected = new ArrayList<>();
    for (JsonNode service : production.ofKind("Service")) {
      JsonNode labels = service.path("metadata").path("labels");
      boolean matches = selector.properties().stream()
          .allMatch(e -> e.getValue().asString().equals(labels.path(e.getKey()).asString()));
      if (matches) {
        selected.add(service.path("metadata").path("name").asString());
        assertThat(service.path("spec").path("ports").findValuesAsString("name")).contains(endpoint.path("port")
            .asString());
      }
    }
    assertThat(selected).containsExactlyInAnyOrder("spillway-node-metrics", "spillway-control-plane-metrics");
    // Not both: pods annotated for scraping as well would be scraped twice.
    for (String component : List.of("node", "control-plane")) {
      assertThat(podTemplate(production, component).path("metadata").path("annotations").has("prometheus.io/scrape"))
          .isFalse();
    }
  }

  // --- renders that must fail -------------------------------------------------------------------------------------

  @Test
  void refusesToRenderWithoutTheDatabaseUrl() {
    assertThatThrownBy(() -> render(t -> t.set("db.existingSecret", "db").set("secrets.existingSecret", "s")))
        .hasMessageContaining("db.url is required");
  }

  @Test
  void productionValuesRefuseToRenderWithoutTheDatabaseSecret() {
    assertThatThrownBy(() -> render(t -> t.withValuesFile(chart.resolve("values-production.yaml"))
        .set("db.existingSecret", "")))
        .hasMessageContaining("set db.password or db.existingSecret");
  }

  @Test
  void refusesToRenderWithoutTheApplicationSecrets() {
    assertThatThrownBy(() -> render(t -> t.set("db.url", "jdbc:postgresql://db:5432/spillway")
        .set("db.existingSecret", "db")))
        .hasMessageContaining("secrets.adminToken");
  }

  @Test
  void refusesAnAdminPortOutsideTheSchemaOrOnTheGatewayPort() {
    assertThatThrownBy(() -> render(t -> minimalValues(t).set("node.adminPort", 70000)))
        .hasMessageContaining("adminPort");
    assertThatThrownBy(() -> render(t -> minimalValues(t).set("node.adminPort", 8000)))
        .hasMessageContaining("node.adminPort must differ from node.port");
  }

  // --- helpers ------------------------------------------------------------------------------------------------

  /** What the chart's README installs with: a database URL and the two existing Secrets. */
  private static TemplateCommand minimalValues(TemplateCommand template) {
    return template.set("db.url", "jdbc:postgresql://db.example.com:5432/spillway?sslmode=verify-full")
        .set("db.existingSecret", "spillway-db")
        .set("secrets.existingSecret", "spillway-secrets");
  }

  private static List<JsonNode> render(UnaryOperator<TemplateCommand> values) {
    TemplateCommand template = new Helm(chart).template().withName(RELEASE).withNamespace("spillway");
    return DeployFiles.yamlDocuments(values.apply(template).call());
  }

  /**
   * The chart as it is, minus its {@code kubeVersion} line: helm-java 0.0.15 cannot pass {@code --kube-version}
   * and its client-only render assumes Kubernetes 1.20, which the constraint refuses. The constraint itself is
   * checked on the original file, and every rendered apiVersion against what 1.23 serves.
   */
  private static Path copyChart(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path source : files.toList()) {
        Path target = to.resolve(from.relativize(source).toString());
        if (Files.isDirectory(source)) {
          Files.createDirectories(target);
        } else if (source.getFileName().toString().equals("Chart.yaml") && source.getParent().equals(from)) {
          Files.writeString(target, Files.readString(source).replaceAll("(?m)^kubeVersion:.*$", ""));
        } else {
          Files.copy(source, target);
        }
      }
    }
    return to;
  }

  /** Probes on the main port, resources, and the hardened security contexts, for one Deployment. */
  private static void assertWorkload(JsonNode deployment, int httpPort) {
    JsonNode pod = deployment.path("spec").path("template").path("spec");
    JsonNode container = pod.path("containers").get(0);
    assertThat(containerPort(deployment.path("spec").path("template"), "http")).isEqualTo(httpPort);
    assertProbe(container, "startupProbe", "/healthz");
    assertProbe(container, "livenessProbe", "/healthz");
    assertProbe(container, "readinessProbe", "/readyz");

    JsonNode resources = container.path("resources");
    assertThat(resources.path("requests").path("cpu").asString()).as("cpu request of %s", id(deployment))
        .isNotBlank();
    assertThat(resources.path("requests").path("memory").asString()).isNotBlank();
    assertThat(resources.path("limits").path("memory").asString()).as("memory limit of %s", id(deployment))
        .isNotBlank();

    JsonNode podSecurity = pod.path("securityContext");
    assertThat(podSecurity.path("runAsNonRoot").asBoolean()).isTrue();
    assertThat(podSecurity.path("runAsUser").asInt()).isPositive();
    assertThat(podSecurity.path("seccompProfile").path("type").asString()).isEqualTo("RuntimeDefault");
    JsonNode security = container.path("securityContext");
    assertThat(security.path("readOnlyRootFilesystem").asBoolean()).isTrue();
    assertThat(security.path("allowPrivilegeEscalation").asBoolean(true)).isFalse();
    assertThat(security.path("capabilities").path("drop").get(0).asString()).isEqualTo("ALL");
    assertThat(pod.path("automountServiceAccountToken").asBoolean(true)).isFalse();
    // A read-only root needs a writable /tmp for the JVM.
    assertThat(mountPath(container, "tmp")).isEqualTo("/tmp");
  }

  private static void assertProbe(JsonNode container, String probe, String path) {
    JsonNode get = container.path(probe).path("httpGet");
    assertThat(get.path("path").asString()).as("%s path", probe).isEqualTo(path);
    assertThat(get.path("port").asString()).as("%s port", probe).isEqualTo("http");
  }

  /** Named container port, env from the component's ConfigMap, and a headless Service on that port. */
  private static void assertMetrics(Manifests manifests, String component, String hostVar, String portVar,
      int port) {
    JsonNode template = podTemplate(manifests, component);
    assertThat(containerPort(template, "metrics")).isEqualTo(port);
    String configMap = container(template).path("envFrom").get(0).path("configMapRef").path("name").asString();
    JsonNode data = manifests.get("ConfigMap", configMap).path("data");
    assertThat(data.path(hostVar).asString()).isEqualTo("0.0.0.0");
    assertThat(data.path(portVar).asString()).isEqualTo(String.valueOf(port));
    JsonNode service = manifests.get("Service", "spillway-" + component + "-metrics");
    assertThat(service.path("spec").path("clusterIP").asString()).isEqualTo("None");
    JsonNode servicePort = service.path("spec").path("ports").get(0);
    assertThat(servicePort.path("name").asString()).isEqualTo("metrics");
    assertThat(servicePort.path("port").asInt()).isEqualTo(port);
    assertThat(servicePort.path("targetPort").asString()).isEqualTo("metrics");
    JsonNode podLabels = template.path("metadata").path("labels");
    service.path("spec").path("selector").properties()
        .forEach(e -> assertThat(podLabels.path(e.getKey()).asString()).isEqualTo(e.getValue().asString()));
  }

  private static JsonNode podTemplate(Manifests manifests, String component) {
    return manifests.get("Deployment", "spillway-" + component).path("spec").path("template");
  }

  private static JsonNode container(JsonNode podTemplate) {
    return podTemplate.path("spec").path("containers").get(0);
  }

  private static int containerPort(JsonNode podTemplate, String name) {
    for (JsonNode port : container(podTemplate).path("ports")) {
      if (port.path("name").asString().equals(name)) {
        return port.path("containerPort").asInt();
      }
    }
    throw new AssertionError("no container port named " + name);
  }

  private static String mountPath(JsonNode container, String volume) {
    for (JsonNode mount : container.path("volumeMounts")) {
      if (mount.path("name").asString().equals(volume)) {
        return mount.path("mountPath").asString();
      }
    }
    throw new AssertionError("volume " + volume + " is not mounted");
  }

  private static JsonNode volume(JsonNode podSpec, String name) {
    for (JsonNode volume : podSpec.path("volumes")) {
      if (volume.path("name").asString().equals(name)) {
        return volume;
      }
    }
    throw new AssertionError("no volume " + name);
  }

  private static List<String> envNames(JsonNode container) {
    List<String> names = new ArrayList<>();
    container.path("env").forEach(var -> names.add(var.path("name").asString()));
    return names;
  }

  private static String env(JsonNode container, String name) {
    for (JsonNode var : container.path("env")) {
      if (var.path("name").asString().equals(name)) {
        return var.path("value").asString();
      }
    }
    throw new AssertionError("no env " + name + " in " + envNames(container));
  }

  private static String secretRef(JsonNode container, String env) {
    for (JsonNode var : container.path("env")) {
      if (var.path("name").asString().equals(env)) {
        JsonNode ref = var.path("valueFrom").path("secretKeyRef");
        return ref.path("name").asString() + "/" + ref.path("key").asString();
      }
    }
    throw new AssertionError("no env " + env);
  }

  private static String id(JsonNode object) {
    return object.path("kind").asString() + "/" + object.path("metadata").path("name").asString();
  }

  /** One render's objects. */
  private record Manifests(List<JsonNode> all) {
    JsonNode get(String kind, String name) {
      return all.stream().filter(o -> id(o).equals(kind + "/" + name)).findFirst()
          .orElseThrow(() -> new AssertionError("no " + kind + "/" + name + " in " + all.stream().map(
              HelmChartTest::id).toList()));
    }

    List<JsonNode> ofKind(String kind) {
      return all.stream().filter(o -> o.path("kind").asString().equals(kind)).toList();
    }
  }
}
