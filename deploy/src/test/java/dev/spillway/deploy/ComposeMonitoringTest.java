package dev.spillway.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.testsupport.Promtool;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * docker compose, Prometheus and Grafana wired together, checked without Docker: the scrape targets are compose
 * services on the admin ports their environment sets, bound to all interfaces and published nowhere; every file
 * compose mounts exists; Grafana's data source is the Prometheus service and its dashboard folder holds the chart's
 * dashboard.
 */
class ComposeMonitoringTest {
  private static final String CP_PORT = "SPILLWAY_CP_ADMIN_PORT";
  private static final String CP_HOST = "SPILLWAY_CP_ADMIN_HOST";
  private static final String DP_PORT = "SPILLWAY_DP_ADMIN_PORT";
  private static final String DP_HOST = "SPILLWAY_DP_ADMIN_HOST";

  private final Path composeDir = DeployFiles.composeFile().getParent();
  private final JsonNode compose = DeployFiles.yamlTree(DeployFiles.composeFile());
  private final JsonNode services = compose.path("services");
  private final JsonNode prometheus = DeployFiles.yamlTree(DeployFiles.deployDir().resolve("prometheus/prometheus.yml"));

  @Test
  void composeRunsBothPlanesPrometheusAndGrafana() {
    assertThat(services.propertyNames())
        .contains("postgres", "control-plane", "node", "node-2", "prometheus", "grafana");
    assertThat(image("prometheus")).startsWith("prom/prometheus:v");
    assertThat(image("grafana")).startsWith("grafana/grafana:");
  }

  @Test
  void everyFileComposeMountsExistsInTheRepository() {
    List<String> checked = new ArrayList<>();
    for (Map.Entry<String, JsonNode> service : services.properties()) {
      for (JsonNode volume : service.getValue().path("volumes")) {
        String source = volume.asString().split(":")[0];
        if (source.startsWith(".")) {
          assertThat(composeDir.resolve(source).normalize())
              .as("%s mounts %s", service.getKey(), source).exists();
          checked.add(source);
        }
      }
    }
    assertThat(checked).contains("../prometheus/prometheus.yml", "../helm/spillway/dashboards/spillway.json");
  }

  @Test
  void prometheusOwnToolAcceptsTheScrapeConfig() {
    Promtool promtool = Promtool.require();
    Path config = DeployFiles.deployDir().resolve("prometheus/prometheus.yml");

    Promtool.Result checked = promtool.run(null, "check", "config", config.toString());

    assertThat(checked.exitCode()).as(checked.output()).isZero();
    assertThat(checked.output()).contains("SUCCESS");
  }

  @Test
  void prometheusLoadsTheMountedConfig() {
    String config = mountTarget("prometheus", "../prometheus/prometheus.yml").orElseThrow();
    assertThat(strings(services.path("prometheus").path("command"))).contains("--config.file=" + config);
  }

  @Test
  void everyScrapeJobReadsMetricsFromTheAdminPortItsServiceSets() {
    JsonNode jobs = prometheus.path("scrape_configs");
    assertThat(jobs.size()).isEqualTo(2);
    List<String> scrapedServices = new ArrayList<>();
    for (JsonNode job : jobs) {
      String name = job.path("job_name").asString();
      assertThat(job.path("metrics_path").asString()).as("metrics_path of %s", name).isEqualTo("/metrics");
      assertThat(job.path("scheme").asString("http")).isEqualTo("http");
      for (JsonNode sc : job.path("static_configs")) {
        for (JsonNode target : sc.path("targets")) {
          String[] hostPort = target.asString().split(":");
          assertThat(services.has(hostPort[0])).as("job %s: target %s is a compose service", name, target).isTrue();
          assertAdminPort(hostPort[0], hostPort[1]);
          scrapedServices.add(hostPort[0]);
        }
      }
      for (JsonNode sd : job.path("dns_sd_configs")) {
        assertThat(sd.path("type").asString()).isEqualTo("A");
        for (JsonNode dnsName : sd.path("names")) {
          List<String> aliased = servicesWithAlias(dnsName.asString());
          assertThat(aliased).as("job %s: services answering to %s", name, dnsName).isNotEmpty();
          for (String service : aliased) {
            assertAdminPort(service, sd.path("port").asString());
            scrapedServices.add(service);
          }
        }
      }
    }
    // Every Spillway process is scraped: the control plane and every node (those with a gateway port).
    List<String> spillway = new ArrayList<>();
    for (Map.Entry<String, JsonNode> service : services.properties()) {
      JsonNode env = service.getValue().path("environment");
      if (env.has("SPILLWAY_DP_PORT") || env.has("SPILLWAY_CP_PORT")) {
        spillway.add(service.getKey());
      }
    }
    assertThat(spillway).containsExactlyInAnyOrder("control-plane", "node", "node-2");
    assertThat(scrapedServices).containsExactlyInAnyOrderElementsOf(spillway);
  }

  @Test
  void grafanaReadsThePrometheusServiceAndTheChartsDashboard() {
    Path provisioning = DeployFiles.deployDir().resolve("grafana/provisioning");
    JsonNode datasources = DeployFiles.yamlTree(provisioning.resolve("datasources/prometheus.yml"));
    JsonNode datasource = datasources.path("datasources").get(0);
    assertThat(datasource.path("type").asString()).isEqualTo("prometheus");
    URI url = URI.create(datasource.path("url").asString());
    assertThat(services.has(url.getHost())).as("data source host %s is a compose service", url.getHost()).isTrue();
    assertThat(containerPorts(url.getHost())).contains(String.valueOf(url.getPort()));
    assertThat(mountTarget("grafana", "../grafana/provisioning/datasources"))
        .contains("/etc/grafana/provisioning/datasources");
    assertThat(mountTarget("grafana", "../grafana/provisioning/dashboards"))
        .contains("/etc/grafana/provisioning/dashboards");

    JsonNode providers = DeployFiles.yamlTree(provisioning.resolve("dashboards/spillway.yml"));
    String folder = providers.path("providers").get(0).path("options").path("path").asString();
    String dashboard = mountTarget("grafana", "../helm/spillway/dashboards/spillway.json").orElseThrow();
    assertThat(Path.of(dashboard).getParent()).isEqualTo(Path.of(folder));
    assertThat(services.path("grafana").path("environment").path("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
        .asString()).isEqualTo(dashboard);
  }

  @Test
  void monitoringUisListenOnLoopbackAndGrafanaNeedsAPasswordFromEnv() {
    for (String service : List.of("prometheus", "grafana")) {
      for (String port : strings(services.path(service).path("ports"))) {
        assertThat(port).as("%s published on loopback only", service).startsWith("127.0.0.1:");
      }
    }
    assertThat(services.path("grafana").path("environment").path("GF_SECURITY_ADMIN_PASSWORD").asString())
        .startsWith("${SPILLWAY_GRAFANA_ADMIN_PASSWORD:?");
    assertThat(DeployFiles.read(composeDir.resolve(".env.example"))).contains("\nSPILLWAY_GRAFANA_ADMIN_PASSWORD=\n");
    assertThat(DeployFiles.read(composeDir.resolve("init-env.sh"))).contains("SPILLWAY_GRAFANA_ADMIN_PASSWORD");
  }

  /** The service sets the admin port the scrape config uses, listens on all interfaces, and never publishes it. */
  private void assertAdminPort(String service, String port) {
    JsonNode env = services.path(service).path("environment");
    boolean node = env.has("SPILLWAY_DP_PORT");
    String portVar = node ? DP_PORT : CP_PORT;
    String hostVar = node ? DP_HOST : CP_HOST;
    assertThat(env.path(portVar).asString()).as("%s of %s", portVar, service).isEqualTo(port);
    assertThat(env.path(hostVar).asString()).as("%s of %s", hostVar, service).isEqualTo("0.0.0.0");
    assertThat(containerPorts(service)).as("%s publishes its admin port", service).doesNotContain(port);
    assertThat(strings(services.path(service).path("expose"))).as("%s exposes %s", service, port).contains(port);
  }

  private List<String> servicesWithAlias(String alias) {
    List<String> found = new ArrayList<>();
    for (Map.Entry<String, JsonNode> service : services.properties()) {
      for (JsonNode network : service.getValue().path("networks")) {
        if (strings(network.path("aliases")).contains(alias)) {
          found.add(service.getKey());
        }
      }
    }
    return found;
  }

  /** Container ports of a service's {@code ports} entries ("[host:]hostPort:containerPort"). */
  private List<String> containerPorts(String service) {
    return strings(services.path(service).path("ports")).stream()
        .map(p -> p.substring(p.lastIndexOf(':') + 1)).toList();
  }

  private Optional<String> mountTarget(String service, String source) {
    for (String volume : strings(services.path(service).path("volumes"))) {
      String[] parts = volume.split(":");
      if (parts[0].equals(source)) {
        return Optional.of(parts[1]);
      }
    }
    return Optional.empty();
  }

  private String image(String service) {
    String image = services.path(service).path("image").asString();
    // "${VAR:-default}": the default is what runs unless .env overrides it.
    return image.startsWith("${") ? image.substring(image.indexOf(":-") + 2, image.length() - 1) : image;
  }

  private static List<String> strings(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(v -> values.add(v.asString()));
    return values;
  }
}
