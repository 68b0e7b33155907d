package dev.spillway.controlplane.cache;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static dev.spillway.controlplane.ApiAssertions.message;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.CacheConfig;
import dev.spillway.config.CacheMode;
import dev.spillway.config.SnapshotCodec;
import dev.spillway.config.SnapshotConfig;
import dev.spillway.controlplane.ApiResponse;
import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Cache settings of teams and keys on the admin API: shadow mode is a setting of its own and reaches the nodes in
 * the snapshot; the TTL is capped at 7 days, the cap of the invalidations that snapshots carry.
 */
class CacheSettingsApiIT extends ControlPlaneIntegrationTest {
  private final SnapshotCodec codec = new SnapshotCodec();

  private SnapshotConfig currentSnapshot() {
    awaitSnapshotCaughtUp();
    ApiResponse poll = pollSnapshot(0);
    return codec.decode(poll.body(), poll.header("Spillway-Snapshot-Sha256"));
  }

  @Test
  void shadowModeOfATeamAndAKeyIsStoredAnsweredAndCarriedToTheNodes() {
    JsonNode team = assertStatus(admin().post("/api/v1/teams", """
        {"name": "%s", "cache": {"mode": "semantic", "threshold": 0.9, "ttl_seconds": 604800, "shadow": true}}"""
        .formatted(unique("cache-shadow"))), 201);
    String teamId = team.get("id").stringValue();
    String keyId = assertStatus(admin().post("/api/v1/virtual-keys", """
        {"name": "k", "team_id": "%s", "cache": {"mode": "exact"}}""".formatted(teamId)), 201)
        .get("id").stringValue();

    assertThat(team.get("cache").get("shadow").booleanValue()).isTrue();
    JsonNode key = assertStatus(admin().get("/api/v1/virtual-keys/" + keyId), 200);
    assertThat(key.get("cache").get("shadow").isBoolean()).isTrue();
    assertThat(key.get("cache").get("shadow").booleanValue()).isFalse();
    SnapshotConfig snapshot = currentSnapshot();
    assertThat(snapshot.teams().stream().filter(t -> t.id().equals(teamId)).findFirst().orElseThrow().cache())
        .isEqualTo(new CacheConfig(CacheMode.SEMANTIC, 0.9, 604800, true));
    assertThat(snapshot.virtualKeys().stream().filter(k -> k.id().equals(keyId)).findFirst().orElseThrow().cache()
        .shadows()).isFalse();

    JsonNode patched = assertStatus(admin().patch("/api/v1/teams/" + teamId, """
        {"cache": {"shadow": false}}"""), 200);

    assertThat(patched.get("cache").get("mode").stringValue()).isEqualTo("semantic");
    assertThat(patched.get("cache").get("shadow").booleanValue()).isFalse();
    assertThat(currentSnapshot().teams().stream().filter(t -> t.id().equals(teamId)).findFirst().orElseThrow()
        .cache().shadows()).isFalse();
  }

  @Test
  void refusesATtlOverSevenDaysAndAShadowThatIsNotABoolean() {
    String teamId = createTeam(unique("cache-bad")).get("id").stringValue();

    JsonNode ttl = assertApiError(admin().patch("/api/v1/teams/" + teamId, """
        {"cache": {"mode": "exact", "ttl_seconds": 604801}}"""), 400, "cache.ttl_seconds");
    assertThat(message(ttl)).contains("604800");
    assertApiError(admin().post("/api/v1/virtual-keys", """
        {"name": "k", "team_id": "%s", "cache": {"mode": "semantic", "ttl_seconds": 2592000}}""".formatted(teamId)),
        400, "cache.ttl_seconds");
    assertApiError(admin().patch("/api/v1/teams/" + teamId, """
        {"cache": {"mode": "semantic", "shadow": "yes"}}"""), 400, "cache.shadow");
  }

  @Test
  void aConfigFileSetsShadowModeAndAppliesOnlyOnceWhenNothingChanged() {
    String team = unique("cache-yaml");
    String yaml = """
        teams:
          - name: %s
            cache: {mode: semantic, threshold: 0.85, shadow: true}
        """.formatted(team);

    JsonNode first = assertStatus(admin().send("POST", "/api/v1/config/apply", "application/yaml", yaml), 200);
    JsonNode second = assertStatus(admin().send("POST", "/api/v1/config/apply", "application/yaml", yaml), 200);

    assertThat(first.get("applied").booleanValue()).isTrue();
    assertThat(second.get("applied").booleanValue()).isFalse();
    JsonNode stored = assertStatus(admin().get("/api/v1/teams"), 200).get("data").valueStream()
        .filter(t -> t.get("name").stringValue().equals(team)).findFirst().orElseThrow();
    assertThat(stored.get("cache").get("shadow").booleanValue()).isTrue();
    assertApiError(admin().send("POST", "/api/v1/config/apply", "application/yaml", """
        teams: [{name: %s, cache: {mode: exact, ttl_seconds: 864000}}]""".formatted(team)), 400,
        "teams[0].cache.ttl_seconds");
  }
}
