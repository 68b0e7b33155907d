package dev.spillway.controlplane.organization;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.SnapshotCodec;
import dev.spillway.controlplane.ApiResponse;
import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code /api/v1/org}: the organisation's own budget and rate limit, published in the snapshot. */
class OrganizationApiIT extends ControlPlaneIntegrationTest {

  @Test
  void setsAndRemovesTheOrganisationLimits() {
    JsonNode org = assertStatus(admin().get("/api/v1/org"), 200);
    assertThat(org.get("name").stringValue()).isNotBlank();

    JsonNode patched = assertStatus(admin().patch("/api/v1/org", """
        {"budget": {"limit_usd": 1000, "period": "monthly"}, "rate_limit": {"rpm": 6000}}"""), 200);
    assertThat(patched.get("budget").get("limit_usd").decimalValue()).isEqualByComparingTo("1000");
    assertThat(patched.get("rate_limit").get("rpm").asInt()).isEqualTo(6000);

    long version = awaitSnapshotCaughtUp();
    ApiResponse poll = pollSnapshot(version - 1);
    var snapshot = new SnapshotCodec().decode(poll.body(), poll.header("Spillway-Snapshot-Sha256"));
    assertThat(snapshot.organization().budget().limitUsd()).isEqualByComparingTo("1000");
    assertThat(snapshot.organization().rateLimit().rpm()).isEqualTo(6000);

    JsonNode put = assertStatus(admin().put("/api/v1/org", "{\"rate_limit\": {\"tpm\": 100000}}"), 200);
    assertThat(put.get("budget").isNull()).isTrue();
    assertThat(put.get("rate_limit").get("tpm").asInt()).isEqualTo(100000);
    assertThat(put.get("name").stringValue()).isEqualTo(org.get("name").stringValue());
    assertStatus(admin().put("/api/v1/org", "{}"), 200);
  }

  @Test
  void aChangeThatChangesNothingBumpsNoVersion() {
    assertStatus(admin().put("/api/v1/org", "{}"), 200);
    long version = configVersion();

    assertStatus(admin().put("/api/v1/org", "{}"), 200);

    assertThat(configVersion()).isEqualTo(version);
  }

  @Test
  void refusesInvalidLimits() {
    assertApiError(admin().patch("/api/v1/org", "{\"budget\": {\"limit_usd\": -5}}"), 400, "budget.limit_usd");
    assertApiError(admin().patch("/api/v1/org", "{\"rate_limit\": {\"rpm\": 0}}"), 400, "rate_limit.rpm");
    assertApiError(admin().put("/api/v1/org", "{\"budget\": {\"limit_usd\": 1, \"period\": \"yearly\"}}"), 400,
        "budget.period");
    assertApiError(admin().patch("/api/v1/org", "{\"id\": \"x\"}"), 400, "id");
    assertApiError(admin().patch("/api/v1/org", "{\"name\": \"\"}"), 400, "name");
  }
}
