package dev.spillway.controlplane.node;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import java.time.Instant;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Target health from heartbeats, folded across the live nodes by {@code GET /api/v1/routes/{id}/health}. */
class TargetHealthIT extends ControlPlaneIntegrationTest {
  private String provider;
  private String fallbackProvider;
  private String routeId;

  @BeforeEach
  void route() {
    provider = unique("health-openai");
    assertStatus(admin().post("/api/v1/providers", """
        {"name": "%s", "type": "openai", "keys": [{"name": "main", "value": "sk-a"}, {"name": "backup", "value": "sk-b"}]}"""
        .formatted(provider)), 201);
    fallbackProvider = unique("health-mock");
    createMockProvider(fallbackProvider);
    routeId = assertStatus(admin().post("/api/v1/routes", """
        {"model": "%s", "targets": [{"provider": "%s", "model": "gpt-4o"}],
         "fallbacks": [{"provider": "%s", "model": "mock-1"}]}""".formatted(unique("health-route"), provider,
        fallbackProvider)), 201).get("id").stringValue();
  }

  private void beat(String nodeId, String targets) {
    assertStatus(node().send("POST", "/internal/v1/nodes/heartbeat", "application/json", """
        {"node_id": "%s", "applied_version": 1, "targets": %s}""".formatted(nodeId, targets)), 200);
  }

  private String sample(String key, String breaker, double ttfb, double errorRate, int inFlight, String extra) {
    return """
        {"provider": "%s", "key": "%s", "model": "gpt-4o", "breaker": "%s", "ewma_ttfb_ms": %s, "error_rate": %s,
         "in_flight": %d, "requests": 100, "bad_key": false%s}""".formatted(provider, key, breaker, ttfb, errorRate,
        inFlight, extra);
  }

  private JsonNode key(JsonNode health, int target, String key) {
    return health.get("targets").get(target).get("keys").valueStream()
        .filter(k -> k.get("key").stringValue().equals(key)).findFirst().orElseThrow();
  }

  @Test
  void foldsTwoNodesReportsPerTargetAndKey() {
    String cooldown = Instant.now().plusSeconds(60).toString();
    beat(unique("health-node-a"), "[" + sample("main", "open", 100.0, 0.5, 2,
        ", \"cooldown_until\": \"" + cooldown + "\", \"remaining_requests\": 40, \"remaining_tokens\": 9000") + ", "
        + sample("backup", "closed", 80.0, 0.0, 1, "") + "]");
    beat(unique("health-node-b"), "[" + sample("main", "closed", 300.0, 0.1, 3,
        ", \"remaining_requests\": 12, \"cooldown_until\": \"2000-01-01T00:00:00Z\"") + ", "
        + sample("backup", "half_open", 120.0, 0.2, 0, ", \"bad_key\": true") + "]");

    JsonNode health = assertStatus(admin().get("/api/v1/routes/" + routeId + "/health"), 200);

    assertThat(health.get("route_id").stringValue()).isEqualTo(routeId);
    assertThat(health.get("reporting_nodes").asInt()).isGreaterThanOrEqualTo(2);
    assertThat(health.get("targets")).hasSize(2);
    assertThat(health.get("targets").get(0).get("kind").stringValue()).isEqualTo("target");
    assertThat(health.get("targets").get(1).get("kind").stringValue()).isEqualTo("fallback");
    JsonNode main = key(health, 0, "main");
    assertThat(main.get("nodes").asInt()).isEqualTo(2);
    assertThat(main.get("open").asInt()).isEqualTo(1);
    assertThat(main.get("closed").asInt()).isEqualTo(1);
    assertThat(main.get("breaker").stringValue()).isEqualTo("open");
    assertThat(main.get("error_rate_max").asDouble()).isEqualTo(0.5);
    assertThat(main.get("error_rate_mean").asDouble()).isCloseTo(0.3, within(1e-9));
    assertThat(main.get("ewma_ttfb_ms_mean").asDouble()).isCloseTo(200.0, within(1e-9));
    assertThat(main.get("in_flight").asLong()).isEqualTo(5);
    assertThat(main.get("requests").asLong()).isEqualTo(200);
    assertThat(main.get("cooling_down_nodes").asInt()).as("a cooldown in the past is over").isEqualTo(1);
    assertThat(main.get("remaining_requests_min").asLong()).isEqualTo(12);
    assertThat(main.get("remaining_tokens_min").asLong()).isEqualTo(9000);
    JsonNode backup = key(health, 0, "backup");
    assertThat(backup.get("breaker").stringValue()).isEqualTo("half_open");
    assertThat(backup.get("half_open").asInt()).isEqualTo(1);
    assertThat(backup.get("bad_key_nodes").asInt()).isEqualTo(1);
    assertThat(backup.get("remaining_requests_min").isNull()).isTrue();
    JsonNode fallback = health.get("targets").get(1);
    assertThat(fallback.get("provider").stringValue()).isEqualTo(fallbackProvider);
    assertThat(fallback.get("keys")).as("no keys configured, none reported").isEmpty();
  }

  @Test
  void leavesOutNodesThatAreNoLongerLiveAndKeepsAReportWhenAHeartbeatCarriesNone() {
    String live = unique("health-live");
    String stale = unique("health-stale");
    beat(live, "[" + sample("main", "closed", 50.0, 0.0, 0, "") + "]");
    beat(stale, "[" + sample("main", "open", 50.0, 1.0, 0, "") + "]");
    jdbc.sql("UPDATE data_plane_nodes SET last_seen = now() - interval '1 hour' WHERE node_id = ?").param(stale)
        .update();
    assertStatus(node().send("POST", "/internal/v1/nodes/heartbeat", "application/json", """
        {"node_id": "%s", "applied_version": 1}""".formatted(live)), 200);

    JsonNode main = key(assertStatus(admin().get("/api/v1/routes/" + routeId + "/health"), 200), 0, "main");

    assertThat(main.get("nodes").asInt()).isEqualTo(1);
    assertThat(main.get("breaker").stringValue()).isEqualTo("closed");
    assertThat(main.get("open").asInt()).isZero();
  }

  @Test
  void refusesMalformedOrOversizedTargetReportsNamingTheField() {
    String id = unique("health-bad");
    assertApiError(node().send("POST", "/internal/v1/nodes/heartbeat", "application/json", """
        {"node_id": "%s", "targets": [{"provider": "p", "model": "m", "breaker": "ajar"}]}""".formatted(id)), 400,
        "targets[0].breaker");
    assertApiError(node().send("POST", "/internal/v1/nodes/heartbeat", "application/json", """
        {"node_id": "%s", "targets": [{"provider": "p", "model": "m", "breaker": "open", "error_rate": 1.5}]}"""
        .formatted(id)), 400, "targets[0].error_rate");
    assertApiError(node().send("POST", "/internal/v1/nodes/heartbeat", "application/json", """
        {"node_id": "%s", "targets": [{"model": "m", "breaker": "open"}]}""".formatted(id)), 400,
        "targets[0].provider");
    assertApiError(node().send("POST", "/internal/v1/nodes/heartbeat", "application/json", """
        {"node_id": "%s", "targets": [{"provider": "p", "model": "m", "breaker": "open", "in_flight": -1}]}"""
        .formatted(id)), 400, "targets[0].in_flight");
    String tooMany = IntStream.range(0, TargetHealth.MAX_SAMPLES + 1)
        .mapToObj(i -> "{\"provider\": \"p\", \"model\": \"m" + i + "\", \"breaker\": \"closed\"}")
        .collect(Collectors.joining(",", "[", "]"));
    assertApiError(node().send("POST", "/internal/v1/nodes/heartbeat", "application/json", """
        {"node_id": "%s", "targets": %s}""".formatted(id, tooMany)), 400, "targets");
    assertApiError(admin().get("/api/v1/nodes/" + id), 404, null);
  }

  @Test
  void teamAdminsReadARoutesHealthLikeTheRouteAndTeamViewersDoNot() {
    String team = createTeam(unique("health-team")).get("id").stringValue();

    assertStatus(bearer(createApiToken("team_admin", team)).get("/api/v1/routes/" + routeId + "/health"), 200);
    assertApiError(bearer(createApiToken("viewer", team)).get("/api/v1/routes/" + routeId + "/health"), 403, null);
    assertApiError(admin().get("/api/v1/routes/" + java.util.UUID.randomUUID() + "/health"), 404, null);
  }
}
