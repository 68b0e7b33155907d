package dev.spillway.controlplane.node;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code POST /internal/v1/nodes/heartbeat} and the fleet endpoints it feeds. */
class NodeHeartbeatIT extends ControlPlaneIntegrationTest {

  private JsonNode beat(String json) {
    return assertStatus(node().send("POST", "/internal/v1/nodes/heartbeat", "application/json", json), 200);
  }

  @Test
  void aHeartbeatListsTheNodeWithItsUptimeAndAnswersTheCurrentVersion() {
    long version = awaitSnapshotCaughtUp();
    String hash = assertStatus(admin().get("/api/v1/snapshots/current"), 200).get("hash").stringValue();
    String id = unique("hb-node");

    JsonNode answer = beat("""
        {"node_id": "%s", "address": "10.1.2.3:8000", "software_version": "0.2.0", "applied_version": %d,
         "applied_hash": "%s", "uptime_seconds": 3600}""".formatted(id, version, hash));

    assertThat(answer.get("current_version").asLong()).isEqualTo(version);
    assertThat(answer.get("current_hash").stringValue()).isEqualTo(hash);
    JsonNode node = assertStatus(admin().get("/api/v1/nodes/" + id), 200);
    assertThat(node.get("status").stringValue()).isEqualTo("in_sync");
    assertThat(node.get("uptime_seconds").asLong()).isEqualTo(3600);
    assertThat(node.get("address").stringValue()).isEqualTo("10.1.2.3:8000");
    assertThat(node.get("last_heartbeat").isNull()).isFalse();
    assertThat(assertStatus(admin().get("/api/v1/nodes?status=in_sync"), 200).get("data").valueStream()
        .map(n -> n.get("id").stringValue())).contains(id);
  }

  @Test
  void aNodeReportingAnErrorIsRejectedAndCanBeForgotten() {
    String id = unique("hb-bad");
    beat("""
        {"node_id": "%s", "applied_version": 1, "last_error": "version 9 refused: bad route"}""".formatted(id));

    assertThat(assertStatus(admin().get("/api/v1/nodes?status=rejected"), 200).get("data").valueStream()
        .map(n -> n.get("id").stringValue())).contains(id);
    assertStatus(admin().delete("/api/v1/nodes/" + id), 204);
    assertApiError(admin().get("/api/v1/nodes/" + id), 404, null);
    assertApiError(admin().delete("/api/v1/nodes/" + id), 404, null);
  }

  @Test
  void refusesInvalidHeartbeatsAndFilters() {
    assertApiError(node().send("POST", "/internal/v1/nodes/heartbeat", "application/json", "{}"), 400, "node_id");
    assertApiError(node().send("POST", "/internal/v1/nodes/heartbeat", "application/json",
        "{\"node_id\": \"n\", \"applied_hash\": \"xyz\"}"), 400, "applied_hash");
    assertApiError(node().send("POST", "/internal/v1/nodes/heartbeat", "application/json",
        "{\"node_id\": \"n\", \"uptime_seconds\": -1}"), 400, "uptime_seconds");
    assertApiError(node().send("POST", "/internal/v1/nodes/heartbeat", "application/json",
        "{\"node_id\": \"n\", \"applied_version\": \"x\"}"), 400, "applied_version");
    assertApiError(admin().get("/api/v1/nodes?status=happy"), 400, "status");
  }
}
