package dev.spillway.controlplane.node;

import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code /api/v1/nodes}: the fleet as the nodes' own polls describe it. */
class NodeApiIT extends ControlPlaneIntegrationTest {

  @Test
  void aPollingNodeIsListedInSync() {
    long version = awaitSnapshotCaughtUp();
    String hash = assertStatus(admin().get("/api/v1/snapshots/current"), 200).get("hash").stringValue();

    assertStatus(pollSnapshot(0, "Spillway-Node-Id", "n1", "Spillway-Node-Address", "10.0.0.7:8000",
        "Spillway-Node-Software-Version", "0.1.0", "Spillway-Node-Applied-Version", Long.toString(version),
        "Spillway-Node-Applied-Hash", hash, "Spillway-Node-Started-At", "2025-01-02T03:04:05Z"), 200);

    JsonNode n1 = node("n1");
    assertThat(n1.get("status").stringValue()).isEqualTo("in_sync");
    assertThat(n1.get("address").stringValue()).isEqualTo("10.0.0.7:8000");
    assertThat(n1.get("applied_version").asLong()).isEqualTo(version);
    assertThat(n1.get("applied_hash").stringValue()).isEqualTo(hash);
    assertThat(n1.get("software_version").stringValue()).isEqualTo("0.1.0");
    assertThat(Instant.parse(n1.get("started_at").stringValue())).isEqualTo("2025-01-02T03:04:05Z");
    assertThat(Instant.parse(n1.get("last_seen").stringValue()))
        .isCloseTo(Instant.now(), within(1, ChronoUnit.MINUTES));
  }

  @Test
  void aNodeOnAnOlderVersionIsBehindAndOneWithAnErrorIsRejected() {
    awaitSnapshotCaughtUp();

    assertStatus(pollSnapshot(0, "Spillway-Node-Id", "n-behind", "Spillway-Node-Applied-Version", "0"), 200);
    assertStatus(pollSnapshot(0, "Spillway-Node-Id", "n-new"), 200);
    assertStatus(pollSnapshot(0, "Spillway-Node-Id", "n-rejected", "Spillway-Node-Applied-Version", "1",
        "Spillway-Node-Last-Error", "route%20demo%20refers%20to%20provider%20ghost"), 200);

    assertThat(node("n-behind").get("status").stringValue()).isEqualTo("behind");
    assertThat(node("n-new").get("status").stringValue()).isEqualTo("behind");
    assertThat(node("n-new").get("applied_version").isNull()).isTrue();
    JsonNode rejected = node("n-rejected");
    assertThat(rejected.get("status").stringValue()).isEqualTo("rejected");
    assertThat(rejected.get("last_error").stringValue()).isEqualTo("route demo refers to provider ghost");
  }

  @Test
  void aLaterPollUpdatesTheNodeInsteadOfAddingAnother() {
    long version = awaitSnapshotCaughtUp();
    assertStatus(pollSnapshot(0, "Spillway-Node-Id", "n-upgrading", "Spillway-Node-Applied-Version", "0"), 200);

    assertStatus(pollSnapshot(0, "Spillway-Node-Id", "n-upgrading", "Spillway-Node-Applied-Version",
        Long.toString(version)), 200);

    JsonNode list = assertStatus(admin().get("/api/v1/nodes"), 200);
    assertThat(list.get("data").valueStream().filter(n -> n.get("id").stringValue().equals("n-upgrading")))
        .singleElement().satisfies(n -> assertThat(n.get("status").stringValue()).isEqualTo("in_sync"));
  }

  private JsonNode node(String id) {
    JsonNode list = assertStatus(admin().get("/api/v1/nodes"), 200);
    return list.get("data").valueStream().filter(n -> n.get("id").stringValue().equals(id)).findFirst()
        .orElseThrow(() -> new AssertionError("node " + id + " is not listed: " + list));
  }
}
