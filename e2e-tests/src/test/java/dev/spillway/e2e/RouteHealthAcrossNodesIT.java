package dev.spillway.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spillway.dataplane.SpillwayNode;
import dev.spillway.testsupport.ClosedPort;
import dev.spillway.testsupport.FakeProvider;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Routing across the real stack (issue 11): a route configured through the admin API with a dead primary and a
 * breaker, two nodes that each open their breaker and fail over, and the route's health as the control plane folds
 * the nodes' heartbeats — what the dashboard's route page shows.
 */
class RouteHealthAcrossNodesIT {
  static final JsonMapper JSON = JsonMapper.builder().build();

  static Stack stack;
  static FakeProvider backup;
  static ClosedPort dead;
  static String routeId;
  static String key;
  static List<SpillwayNode> nodes = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    Path dir = Files.createTempDirectory("e2e-route-health");
    backup = FakeProvider.start();
    dead = ClosedPort.reserve();
    stack = new Stack("e2e_route_health").startControlPlane(Map.of());
    String teamId = JSON.readTree(stack.admin("POST", "/api/v1/teams", "{\"name\":\"routing\"}").body()).path("id")
        .asString();
    assertThat(stack.admin("POST", "/api/v1/providers", "{\"name\":\"dead\",\"type\":\"openai-compatible\","
        + "\"base_url\":\"" + dead.baseUrl() + "\",\"keys\":[{\"name\":\"main\",\"value\":\"sk-dead-000000000\"}],"
        + "\"breaker\":{\"consecutive_failures\":2,\"minimum_calls\":2,\"open_ms\":60000}}").statusCode()).isEqualTo(201);
    assertThat(stack.admin("POST", "/api/v1/providers", "{\"name\":\"backup\",\"type\":\"openai-compatible\","
        + "\"base_url\":\"" + backup.baseUrl() + "\",\"keys\":[{\"name\":\"main\",\"value\":\"sk-backup-0000000\"}]}")
        .statusCode()).isEqualTo(201);
    HttpResponse<String> route = stack.admin("POST", "/api/v1/routes", "{\"model\":\"resilient\","
        + "\"targets\":[{\"provider\":\"dead\",\"model\":\"m\"}],\"fallbacks\":[{\"provider\":\"backup\",\"model\":\"m\"}],"
        + "\"strategy\":\"least_latency\",\"retry\":{\"max_attempts\":1,\"deadline_ms\":30000}}");
    assertThat(route.statusCode()).as(route.body()).isEqualTo(201);
    routeId = JSON.readTree(route.body()).path("id").asString();
    key = stack.createKey(teamId);
    for (String name : List.of("a", "b")) {
      nodes.add(stack.startNode(dir.resolve(name), stack.controlPlaneUri()));
    }
    stack.awaitCurrentSnapshot(nodes);
  }

  @AfterAll
  static void stop() {
    nodes.forEach(SpillwayNode::close);
    stack.close();
    backup.close();
    dead.close();
  }

  @Test
  void eachNodeFailsOverOpensItsBreakerAndTheRoutesHealthShowsItAcrossTheFleet() throws Exception {
    for (SpillwayNode node : nodes) {
      List<String> attempts = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        HttpResponse<String> response = chat(node);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-spillway-provider")).contains("backup");
        attempts.add(response.headers().firstValue("x-spillway-attempts").orElseThrow());
      }
      // Two refused connections open this node's breaker; from then on the dead target costs nothing.
      assertThat(attempts).containsExactly("2", "2", "1", "1", "1");
    }

    JsonNode health = await().atMost(Duration.ofSeconds(15)).until(() -> JSON.readTree(
        stack.admin("GET", "/api/v1/routes/" + routeId + "/health", null).body()), h -> {
          JsonNode deadKey = target(h, "dead").path("keys").path(0);
          JsonNode backupKey = target(h, "backup").path("keys").path(0);
          return deadKey.path("open").asInt() == 2 && backupKey.path("requests").asLong() >= 10;
        });

    JsonNode deadKey = target(health, "dead").path("keys").path(0);
    assertThat(deadKey.path("breaker").asString()).isEqualTo("open");
    assertThat(deadKey.path("nodes").asInt()).isEqualTo(2);
    assertThat(deadKey.path("error_rate_max").asDouble()).isGreaterThan(0);
    JsonNode backupKey = target(health, "backup").path("keys").path(0);
    assertThat(backupKey.path("breaker").asString()).isEqualTo("closed");
    assertThat(backupKey.path("ewma_ttfb_ms_mean").asDouble()).isPositive();
    assertThat(health.path("reporting_nodes").asInt()).isEqualTo(2);
  }

  private static JsonNode target(JsonNode health, String provider) {
    for (JsonNode target : health.path("targets")) {
      if (target.path("provider").asString().equals(provider)) {
        return target;
      }
    }
    return JSON.createObjectNode();
  }

  private static HttpResponse<String> chat(SpillwayNode node) {
    return stack.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + "/v1/chat/completions"))
        .header("Authorization", "Bearer " + key)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(
            "{\"model\":\"resilient\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
        .build());
  }
}
