package dev.spillway.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The "Spillway" Grafana dashboard: well-formed, and every query reads metrics that exist. */
class GrafanaDashboardTest {
  private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\(\\s*([A-Za-z_:][A-Za-z0-9_:]*)");

  private final JsonNode dashboard = DeployFiles.json(DeployFiles.read(DeployFiles.dashboardFile()));

  @Test
  void everyPanelQueryReadsOnlyMetricsTheCodeOrTheAgreedListDeclares() {
    Set<String> known = MetricCatalog.knownBaseNames();
    Map<String, Set<String>> unknownByPanel = new TreeMap<>();
    int queries = 0;
    for (JsonNode panel : panels()) {
      for (JsonNode target : panel.path("targets")) {
        String expr = target.path("expr").asString();
        assertThat(expr).as("query %s of panel '%s'", target.path("refId").asString(), title(panel)).isNotBlank();
        Set<String> metrics = PromQl.metricNames(expr);
        assertThat(metrics).as("metrics in '%s' of panel '%s'", expr, title(panel)).isNotEmpty();
        for (String metric : metrics) {
          if (!MetricCatalog.isExposed(metric, known)) {
            unknownByPanel.computeIfAbsent(title(panel), k -> new TreeSet<>()).add(metric);
          }
        }
        queries++;
      }
    }
    assertThat(unknownByPanel).as("metrics no code declares, by panel").isEmpty();
    assertThat(queries).isGreaterThan(20);
  }

  /**
   * The per-team counters were agreed before the node had them. Once the node's code declares any of them it must
   * declare all, under these names; until then there is nothing to compare with.
   */
  @Test
  void agreedNodeCountersAreTheOnesTheNodeDeclares() {
    Set<String> declared = MetricCatalog.declaredNodeNames();
    Assumptions.assumeTrue(declared.stream().anyMatch(n -> n.startsWith("spillway_team_")),
        "the node declares no per-team counters yet");
    for (String agreed : MetricCatalog.AGREED_NODE_METRICS) {
      assertThat(MetricCatalog.isExposed(agreed, declared)).as("node declares %s", agreed).isTrue();
    }
  }

  /** Same for the control plane's Micrometer meters: every agreed name starts with a declared meter's name. */
  @Test
  void agreedControlPlaneMetricsAreTheOnesTheControlPlaneDeclares() {
    Set<String> declared = MetricCatalog.declaredControlPlaneNames();
    Assumptions.assumeFalse(declared.isEmpty(), "the control plane declares no spillway.cp meters yet");
    for (String agreed : MetricCatalog.AGREED_CONTROL_PLANE_METRICS) {
      assertThat(declared).as("a control-plane meter named like %s", agreed)
          .anyMatch(meter -> agreed.equals(meter) || agreed.startsWith(meter + "_"));
    }
  }

  @Test
  void templateVariablesQueryKnownMetrics() {
    Set<String> known = MetricCatalog.knownBaseNames();
    for (JsonNode variable : dashboard.path("templating").path("list")) {
      if (!"query".equals(variable.path("type").asString())) {
        continue;
      }
      String query = variable.path("definition").asString();
      Matcher m = LABEL_VALUES.matcher(query);
      assertThat(m.find()).as("variable %s: %s", variable.path("name").asString(), query).isTrue();
      assertThat(MetricCatalog.isExposed(m.group(1), known)).as("metric of variable %s", query).isTrue();
    }
  }

  @Test
  void coversWhatAnOperatorAsksFirst() {
    String all = allQueries();
    assertThat(all)
        .as("requests by team and status class").contains("spillway_team_requests_total")
        .as("error rate").contains("spillway_errors_total")
        .as("latency from the node's histogram").contains("spillway_request_duration_seconds_bucket")
        .as("tokens by kind").contains("spillway_team_tokens_total")
        .as("cost by team").contains("spillway_team_cost_usd_total")
        .as("cache hit rate").contains("spillway_cache_hits_exact_total")
        .as("fallbacks").contains("spillway_upstream_attempts_total")
        .as("breakers").contains("spillway_breaker_state")
        .as("snapshot build time").contains("spillway_cp_snapshot_build_seconds")
        .as("nodes by status").contains("spillway_cp_nodes")
        .as("usage ingest lag").contains("spillway_cp_usage_ingest_lag_seconds")
        .as("database pool").contains("hikaricp_connections_active");
  }

  @Test
  void panelsTakeTheirDataSourceFromTheVariableSoTheSameJsonWorksInComposeAndKubernetes() {
    assertThat(dashboard.path("uid").asString()).isEqualTo("spillway");
    assertThat(dashboard.path("title").asString()).isEqualTo("Spillway");
    JsonNode datasourceVariable = null;
    for (JsonNode variable : dashboard.path("templating").path("list")) {
      if ("datasource".equals(variable.path("type").asString())) {
        datasourceVariable = variable;
      }
    }
    assertThat(datasourceVariable).isNotNull();
    assertThat(datasourceVariable.path("query").asString()).isEqualTo("prometheus");
    String reference = "${" + datasourceVariable.path("name").asString() + "}";
    for (JsonNode panel : panels()) {
      assertThat(panel.path("datasource").path("uid").asString()).as("panel '%s'", title(panel)).isEqualTo(reference);
      for (JsonNode target : panel.path("targets")) {
        assertThat(target.path("datasource").path("uid").asString()).isEqualTo(reference);
      }
    }
  }

  @Test
  void panelIdsAreUniqueAndPanelsDoNotOverlap() {
    Set<Integer> ids = new HashSet<>();
    List<int[]> boxes = new ArrayList<>();
    for (JsonNode panel : dashboard.path("panels")) {
      assertThat(ids.add(panel.path("id").asInt())).as("duplicate id %s", panel.path("id")).isTrue();
      JsonNode g = panel.path("gridPos");
      int[] box = {g.path("x").asInt(), g.path("y").asInt(), g.path("w").asInt(), g.path("h").asInt()};
      assertThat(box[0] + box[2]).as("panel '%s' fits the 24-column grid", title(panel)).isLessThanOrEqualTo(24);
      for (int[] other : boxes) {
        boolean overlap = box[0] < other[0] + other[2] && other[0] < box[0] + box[2]
            && box[1] < other[1] + other[3] && other[1] < box[1] + box[3];
        assertThat(overlap).as("panel '%s' overlaps another", title(panel)).isFalse();
      }
      boxes.add(box);
    }
  }

  @Test
  void thereIsOneCopyOfTheDashboardInTheRepository() throws Exception {
    Path deploy = DeployFiles.deployDir();
    try (Stream<Path> files = Files.walk(deploy)) {
      List<Path> copies = files.filter(f -> f.toString().endsWith(".json"))
          .filter(f -> !f.startsWith(deploy.resolve("target")))
          .filter(f -> DeployFiles.read(f).contains("\"uid\": \"spillway\""))
          .toList();
      assertThat(copies).containsExactly(DeployFiles.dashboardFile());
    }
  }

  private List<JsonNode> panels() {
    List<JsonNode> panels = new ArrayList<>();
    for (JsonNode panel : dashboard.path("panels")) {
      if (!"row".equals(panel.path("type").asString())) {
        panels.add(panel);
      }
      panel.path("panels").forEach(panels::add);
    }
    return panels;
  }

  private String allQueries() {
    StringBuilder all = new StringBuilder();
    panels().forEach(p -> p.path("targets").forEach(t -> all.append(t.path("expr").asString()).append('\n')));
    return all.toString();
  }

  private static String title(JsonNode panel) {
    return panel.path("title").asString();
  }
}
