package dev.spillway.controlplane;

import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.usage.UsageLine;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The management port: Prometheus text at {@code /metrics} without a login, the control plane's own metrics moving
 * with snapshot builds, polls, nodes and usage ingest; nothing else of the actuator there, and none of it on the
 * main port.
 */
class ManagementMetricsIT extends ControlPlaneIntegrationTest {
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void countsSnapshotBuildsPollsNodesAndIngestedUsage() throws Exception {
    awaitSnapshotCaughtUp();
    String before = scrape();
    double builds = value(before, "spillway_cp_snapshot_build_seconds_count");
    double ingested = value(before, "spillway_cp_usage_events_ingested_total");
    double lagCount = value(before, "spillway_cp_usage_ingest_lag_seconds_count");
    double lagSum = value(before, "spillway_cp_usage_ingest_lag_seconds_sum");
    double polls = value(before, "spillway_cp_node_poll_seconds_count", "result", "snapshot");
    double nodes = nodes(before);

    String teamId = createTeam(unique("metrics")).get("id").stringValue();
    String keyId = createKey(teamId, "k").get("id").stringValue();
    long version = awaitSnapshotCaughtUp();
    String nodeId = unique("metrics-node");
    assertThat(pollSnapshot(0, "Spillway-Node-Id", nodeId, "Spillway-Node-Applied-Version", "0").status())
        .isEqualTo(200);
    Instant tenSecondsAgo = Instant.now().minusSeconds(10);
    assertStatus(node().send("POST", "/internal/v1/usage", "application/x-ndjson", UsageLine.batch(
        UsageLine.event(unique("req"), tenSecondsAgo).key(UUID.fromString(teamId), UUID.fromString(keyId)),
        UsageLine.event(unique("req"), tenSecondsAgo).key(UUID.fromString(teamId), UUID.fromString(keyId)))), 200);

    // The node count is read at most once a second.
    eventually().until(() -> nodes(scrape()) == nodes + 1);
    String after = scrape();

    assertThat(value(after, "spillway_cp_snapshot_build_seconds_count")).isGreaterThan(builds);
    assertThat(value(after, "spillway_cp_snapshot_build_seconds_bucket", "le", "+Inf"))
        .isEqualTo(value(after, "spillway_cp_snapshot_build_seconds_count"));
    assertThat(value(after, "spillway_cp_snapshot_version")).isEqualTo(version);
    assertThat(value(after, "spillway_cp_snapshot_bytes")).isEqualTo(pollSnapshot(0).body().length);
    assertThat(value(after, "spillway_cp_node_poll_seconds_count", "result", "snapshot")).isGreaterThan(polls);
    assertThat(value(after, "spillway_cp_nodes", "status", "behind")).isGreaterThanOrEqualTo(1);
    assertThat(value(after, "spillway_cp_usage_events_ingested_total")).isEqualTo(ingested + 2);
    assertThat(value(after, "spillway_cp_usage_ingest_lag_seconds_count")).isEqualTo(lagCount + 2);
    assertThat(value(after, "spillway_cp_usage_ingest_lag_seconds_sum") - lagSum).isBetween(20.0, 80.0);
    assertThat(after).contains("hikaricp_connections_active{", "hikaricp_connections_max{",
        "application=\"spillway-control-plane\"", "jvm_memory_used_bytes{", "http_server_requests_seconds_count{",
        "tomcat_sessions_active_current_sessions");
  }

  @Test
  void servesMetricsAndHealthOnlyOnTheManagementPort() throws Exception {
    assertThat(get(managementPort(), "/metrics", null).statusCode()).isEqualTo(200);
    assertThat(get(managementPort(), "/metrics", null).headers().firstValue("content-type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("text/plain"));
    assertThat(get(managementPort(), "/health", null).body()).contains("\"status\":\"UP\"").doesNotContain(
        "components");
    for (String hidden : new String[] {"/env", "/beans", "/heapdump", "/configprops", "/loggers", "/threaddump",
        "/mappings", "/actuator", "/actuator/prometheus", "/prometheus"}) {
      assertThat(get(managementPort(), hidden, null).statusCode()).as(hidden).isEqualTo(404);
    }
  }

  @Test
  void exposesNoActuatorEndpointOnTheMainPort() throws Exception {
    int main = Integer.parseInt(baseUrl().substring(baseUrl().lastIndexOf(':') + 1));
    for (String path : new String[] {"/metrics", "/actuator", "/actuator/prometheus", "/actuator/metrics",
        "/actuator/health", "/actuator/env", "/prometheus", "/heapdump"}) {
      for (String authorization : new String[] {null, "Bearer " + ADMIN_TOKEN}) {
        HttpResponse<String> response = get(main, path, authorization);
        assertThat(response.statusCode()).as(path).isNotEqualTo(200);
        assertThat(response.body()).as(path).doesNotContain("spillway_cp_").doesNotContain("hikaricp")
            .doesNotContain("jvm_");
      }
    }
  }

  private String scrape() throws IOException, InterruptedException {
    HttpResponse<String> response = get(managementPort(), "/metrics", null);
    assertThat(response.statusCode()).isEqualTo(200);
    return response.body();
  }

  private HttpResponse<String> get(int port, String path, String authorization)
      throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).GET();
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static double nodes(String text) {
    return value(text, "spillway_cp_nodes", "status", "in_sync") + value(text, "spillway_cp_nodes", "status", "behind")
        + value(text, "spillway_cp_nodes", "status", "rejected") + value(text, "spillway_cp_nodes", "status", "stale");
  }

  /**
   * The value of sample {@code name} with these labels (others ignored); 0 when absent. Micrometer writes each
   * sample on one line: {@code name{label="value",...} number}.
   */
  private static double value(String text, String name, String... labelPairs) {
    Map<String, String> wanted = new LinkedHashMap<>();
    for (int i = 0; i < labelPairs.length; i += 2) {
      wanted.put(labelPairs[i], labelPairs[i + 1]);
    }
    for (String line : text.split("\n")) {
      if (line.startsWith("#") || !(line.startsWith(name + "{") || line.startsWith(name + " "))) {
        continue;
      }
      boolean matches = wanted.entrySet().stream()
          .allMatch(e -> line.contains(e.getKey() + "=\"" + e.getValue() + "\""));
      if (matches) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return 0;
  }
}
