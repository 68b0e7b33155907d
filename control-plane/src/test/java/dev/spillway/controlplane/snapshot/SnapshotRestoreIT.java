package dev.spillway.controlplane.snapshot;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.ProviderConfig;
import dev.spillway.config.SealedSecret;
import dev.spillway.config.SnapshotCodec;
import dev.spillway.config.SnapshotConfig;
import dev.spillway.controlplane.ApiResponse;
import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Snapshot history and {@code POST /api/v1/snapshots/{version}/restore}. */
class SnapshotRestoreIT extends ControlPlaneIntegrationTest {
  private final SnapshotCodec codec = new SnapshotCodec();

  @Test
  void listsStoredVersionsNewestFirst() {
    for (int i = 0; i < 2; i++) {
      createTeam(unique("history"));
      awaitSnapshotCaughtUp();
    }
    createTeam(unique("history"));
    long version = awaitSnapshotCaughtUp();

    JsonNode page = assertStatus(admin().get("/api/v1/snapshots?limit=2"), 200);
    assertThat(page.get("data").get(0).get("version").asLong()).isEqualTo(version);
    assertThat(page.get("data").get(1).get("version").asLong()).isLessThan(version);
    assertThat(page.get("data").get(0).get("hash").stringValue()).matches("[0-9a-f]{64}");
    long next = page.get("next_before_version").asLong();
    JsonNode older = assertStatus(admin().get("/api/v1/snapshots?limit=1&before_version=" + next), 200);
    assertThat(older.get("data").get(0).get("version").asLong()).isLessThan(next);

    JsonNode one = assertStatus(admin().get("/api/v1/snapshots/" + version), 200);
    assertThat(one.get("gzipped_bytes").asInt()).isPositive();
    assertApiError(admin().get("/api/v1/snapshots/999999999"), 404, null);
    assertApiError(admin().get("/api/v1/snapshots/latest"), 404, null);
    assertApiError(admin().get("/api/v1/snapshots?limit=0"), 400, "limit");
  }

  @Test
  void restoresAnEarlierConfigAsANewVersion() {
    String teamName = unique("restore-team");
    String team = createTeam(teamName).get("id").stringValue();
    String providerName = unique("restore-provider");
    String providerKey = "sk-original-0123456789abcdef";
    String provider = createProvider(providerName, providerKey).get("id").stringValue();
    String routeModel = unique("restore-route");
    String route = createRoute(routeModel, providerName).get("id").stringValue();
    JsonNode keptKey = createKey(team, "kept");
    JsonNode revokedLater = createKey(team, "revoked-later");
    assertStatus(admin().patch("/api/v1/teams/" + team, "{\"budget\": {\"limit_usd\": 10}}"), 200);
    long good = awaitSnapshotCaughtUp();

    // Everything changes after the good version.
    assertStatus(admin().patch("/api/v1/teams/" + team, """
        {"name": "%s", "budget": null}""".formatted(teamName + "-renamed")), 200);
    assertStatus(admin().patch("/api/v1/providers/" + provider, """
        {"keys": [{"name": "primary", "value": "sk-replaced-0123456789abcdef"}]}"""), 200);
    assertStatus(admin().delete("/api/v1/routes/" + route), 204);
    assertStatus(admin().delete("/api/v1/virtual-keys/" + revokedLater.get("id").stringValue()), 204);
    JsonNode newKey = createKey(team, "created-later");
    String newTeam = createTeam(unique("restore-new-team")).get("id").stringValue();
    long changed = awaitSnapshotCaughtUp();

    JsonNode restored = assertStatus(admin().post("/api/v1/snapshots/" + good + "/restore", ""), 200);

    long version = restored.get("version").asLong();
    assertThat(version).isGreaterThan(changed);
    assertThat(restored.get("restored_from").asLong()).isEqualTo(good);
    JsonNode teamNow = assertStatus(admin().get("/api/v1/teams/" + team), 200);
    assertThat(teamNow.get("name").stringValue()).isEqualTo(teamName);
    assertThat(teamNow.get("budget").get("limit_usd").decimalValue()).isEqualByComparingTo("10");
    assertThat(assertStatus(admin().get("/api/v1/routes/" + route), 200).get("model").stringValue())
        .isEqualTo(routeModel);
    assertThat(status(keptKey)).isEqualTo("active");
    assertThat(status(revokedLater)).isEqualTo("active");
    assertThat(status(newKey)).isEqualTo("revoked");
    assertApiError(admin().get("/api/v1/teams/" + newTeam), 404, null);

    eventually().until(() -> publishedVersion() == version);
    ApiResponse poll = pollSnapshot(version - 1);
    SnapshotConfig snapshot = codec.decode(poll.body(), poll.header("Spillway-Snapshot-Sha256"));
    assertThat(snapshot.version()).isEqualTo(version);
    ProviderConfig p = snapshot.providers().stream().filter(x -> x.id().equals(provider)).findFirst().orElseThrow();
    assertThat(SealedSecret.forNodes(NODE_TOKEN).open(p.keys().get(0).sealedValue(),
        "provider:" + provider + ":key:primary")).isEqualTo(providerKey);
    assertThat(snapshot.virtualKeys()).extracting(k -> k.keyHash())
        .contains(sha256Hex(keptKey.get("key").stringValue()), sha256Hex(revokedLater.get("key").stringValue()))
        .doesNotContain(sha256Hex(newKey.get("key").stringValue()));
    assertThat(assertStatus(admin().get("/api/v1/snapshots/" + version), 200).get("restored_from").asLong())
        .isEqualTo(good);
    assertThat(jdbc.sql("SELECT count(*) FROM audit_events WHERE action = 'snapshot.restore' AND resource_id = ?")
        .param(Long.toString(good)).query(Long.class).single()).isEqualTo(1);
  }

  @Test
  void aNameTakenSinceIsFreedForTheRestoredResource() {
    String name = unique("reused");
    String original = createTeam(name).get("id").stringValue();
    String providerName = unique("reused-provider");
    String originalProvider = createMockProvider(providerName).get("id").stringValue();
    long good = awaitSnapshotCaughtUp();
    assertStatus(admin().delete("/api/v1/teams/" + original), 204);
    assertStatus(admin().delete("/api/v1/providers/" + originalProvider), 204);
    String successor = createTeam(name).get("id").stringValue();
    createKey(successor, "successor-key");
    createMockProvider(providerName);
    awaitSnapshotCaughtUp();

    JsonNode restored = assertStatus(admin().post("/api/v1/snapshots/" + good + "/restore", ""), 200);

    assertThat(restored.get("deleted_teams").asInt()).isGreaterThanOrEqualTo(1);
    assertThat(assertStatus(admin().get("/api/v1/teams/" + original), 200).get("name").stringValue()).isEqualTo(name);
    assertApiError(admin().get("/api/v1/teams/" + successor), 404, null);
    assertThat(assertStatus(admin().get("/api/v1/providers/" + originalProvider), 200).get("name").stringValue())
        .isEqualTo(providerName);
  }

  @Test
  void restoresTheLimitsOfKeysAndTeamsAndThePriceOverridesOfThen() {
    String team = createTeam(unique("restore-limits")).get("id").stringValue();
    assertStatus(admin().patch("/api/v1/teams/" + team, """
        {"description": "then", "rate_limit": {"rpm": 60}}"""), 200);
    String limited = createKey(team, "limited").get("id").stringValue();
    assertStatus(admin().patch("/api/v1/virtual-keys/" + limited, """
        {"budget": {"limit_usd": 3.25, "period": "monthly"}, "rate_limit": {"rpm": 30, "max_concurrent": 2}}"""),
        200);
    String unlimited = createKey(team, "unlimited").get("id").stringValue();
    String provider = unique("restore-price");
    createProvider(provider, "sk-test-0123456789abcdef");
    assertStatus(admin().put("/api/v1/prices/" + provider + "/gpt-4o", """
        {"input_per_mtok_usd": 1.5, "output_per_mtok_usd": 6}"""), 200);
    long good = awaitSnapshotCaughtUp();

    assertStatus(admin().patch("/api/v1/teams/" + team, """
        {"description": "now", "rate_limit": null}"""), 200);
    assertStatus(admin().patch("/api/v1/virtual-keys/" + limited, """
        {"budget": null, "rate_limit": {"tpm": 1000}}"""), 200);
    assertStatus(admin().patch("/api/v1/virtual-keys/" + unlimited, """
        {"budget": {"limit_usd": 7, "period": "daily"}}"""), 200);
    assertStatus(admin().delete("/api/v1/prices/" + provider + "/gpt-4o"), 204);
    String laterTeam = createTeam(unique("restore-limits-later")).get("id").stringValue();
    String laterKey = createKey(laterTeam, "later").get("id").stringValue();
    assertStatus(admin().patch("/api/v1/virtual-keys/" + laterKey, """
        {"budget": {"limit_usd": 1, "period": "total"}, "rate_limit": {"rpm": 1}}"""), 200);
    awaitSnapshotCaughtUp();

    assertStatus(admin().post("/api/v1/snapshots/" + good + "/restore", ""), 200);

    JsonNode teamNow = assertStatus(admin().get("/api/v1/teams/" + team), 200);
    assertThat(teamNow.get("rate_limit").get("rpm").asInt()).isEqualTo(60);
    assertThat(teamNow.get("description").stringValue()).isEqualTo("now");
    JsonNode limitedNow = assertStatus(admin().get("/api/v1/virtual-keys/" + limited), 200);
    assertThat(limitedNow.get("budget").get("limit_usd").decimalValue()).isEqualByComparingTo("3.25");
    assertThat(limitedNow.get("budget").get("period").stringValue()).isEqualTo("monthly");
    assertThat(limitedNow.get("rate_limit").get("rpm").asInt()).isEqualTo(30);
    assertThat(limitedNow.get("rate_limit").get("max_concurrent").asInt()).isEqualTo(2);
    assertThat(limitedNow.get("rate_limit").hasNonNull("tpm")).isFalse();
    assertThat(assertStatus(admin().get("/api/v1/virtual-keys/" + unlimited), 200).hasNonNull("budget")).isFalse();
    JsonNode prices = assertStatus(admin().get("/api/v1/prices?provider=" + provider), 200).get("data");
    JsonNode gpt4o = null;
    for (JsonNode p : prices) {
      if (p.get("model").stringValue().equals("gpt-4o")) {
        gpt4o = p;
      }
    }
    assertThat(gpt4o).isNotNull();
    assertThat(gpt4o.get("source").stringValue()).isEqualTo("override");
    assertThat(gpt4o.get("input_per_mtok_usd").decimalValue()).isEqualByComparingTo("1.5");
    assertThat(jdbc.sql("SELECT count(*) FROM budgets WHERE scope_id = ?").param(UUID.fromString(laterKey)).query(Long.class)
        .single()).isZero();
    assertThat(jdbc.sql("SELECT count(*) FROM rate_limits WHERE scope_id = ?").param(UUID.fromString(laterKey))
        .query(Long.class).single()).isZero();
  }

  @Test
  void refusesAVersionThatIsNotStored() {
    long version = configVersion();

    assertApiError(admin().post("/api/v1/snapshots/999999999/restore", ""), 404, null);
    assertApiError(admin().post("/api/v1/snapshots/abc/restore", ""), 404, null);

    assertThat(configVersion()).isEqualTo(version);
  }

  private String status(JsonNode key) {
    return assertStatus(admin().get("/api/v1/virtual-keys/" + key.get("id").stringValue()), 200).get("status")
        .stringValue();
  }

  @Test
  void restoresRoutingRulesRouteStrategyProviderBreakerAndKeyMetadataOfThen() {
    String providerName = unique("restore-breaker");
    String providerId = assertStatus(admin().post("/api/v1/providers", """
        {"name": "%s", "type": "mock", "breaker": {"open_ms": 1234}}""".formatted(providerName)), 201)
        .get("id").stringValue();
    String route = unique("restore-strategy");
    String routeId = assertStatus(admin().post("/api/v1/routes", """
        {"model": "%s", "targets": [{"provider": "%s", "model": "m"}], "strategy": "headroom", "sticky": false,
         "retry": {"deadline_ms": 5000}}""".formatted(route, providerName)), 201).get("id").stringValue();
    String team = createTeam(unique("restore-meta")).get("id").stringValue();
    String keyId = assertStatus(admin().post("/api/v1/virtual-keys", """
        {"name": "labelled", "team_id": "%s", "metadata": {"tier": "gold"}}""".formatted(team)), 201)
        .get("id").stringValue();
    String ruleName = unique("restore-rule");
    String ruleId = assertStatus(admin().post("/api/v1/routing-rules", """
        {"name": "%s", "route": "%s", "match": {"team_id": "%s"}}""".formatted(ruleName, route, team)), 201)
        .get("id").stringValue();
    long good = awaitSnapshotCaughtUp();

    assertStatus(admin().delete("/api/v1/routing-rules/" + ruleId), 204);
    assertStatus(admin().patch("/api/v1/routes/" + routeId, """
        {"strategy": "weighted", "sticky": true, "retry": {"deadline_ms": 0}}"""), 200);
    assertStatus(admin().patch("/api/v1/providers/" + providerId, "{\"breaker\": null}"), 200);
    assertStatus(admin().patch("/api/v1/virtual-keys/" + keyId, "{\"metadata\": {\"tier\": \"bronze\"}}"), 200);
    String laterRule = assertStatus(admin().post("/api/v1/routing-rules", """
        {"name": "%s", "route": "%s", "match": {"model": "x"}}""".formatted(unique("later"), route)), 201)
        .get("id").stringValue();
    awaitSnapshotCaughtUp();

    assertStatus(admin().post("/api/v1/snapshots/" + good + "/restore", ""), 200);

    JsonNode rule = assertStatus(admin().get("/api/v1/routing-rules/" + ruleId), 200);
    assertThat(rule.get("name").stringValue()).isEqualTo(ruleName);
    assertThat(rule.get("match").get("team_id").stringValue()).isEqualTo(team);
    assertThat(rule.get("route_id").stringValue()).isEqualTo(routeId);
    assertApiError(admin().get("/api/v1/routing-rules/" + laterRule), 404, null);
    JsonNode restoredRoute = assertStatus(admin().get("/api/v1/routes/" + routeId), 200);
    assertThat(restoredRoute.get("strategy").stringValue()).isEqualTo("headroom");
    assertThat(restoredRoute.get("sticky").booleanValue()).isFalse();
    assertThat(restoredRoute.get("retry").get("deadline_ms").asLong()).isEqualTo(5000);
    assertThat(assertStatus(admin().get("/api/v1/providers/" + providerId), 200).get("breaker").get("open_ms")
        .asLong()).isEqualTo(1234);
    assertThat(assertStatus(admin().get("/api/v1/virtual-keys/" + keyId), 200).get("metadata").get("tier")
        .stringValue()).isEqualTo("gold");
  }
}
