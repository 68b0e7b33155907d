package dev.spillway.controlplane.limits;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static dev.spillway.controlplane.ApiAssertions.message;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.BudgetConfig;
import dev.spillway.config.BudgetPeriod;
import dev.spillway.config.OnUnreachable;
import dev.spillway.config.RateLimitConfig;
import dev.spillway.config.SnapshotCodec;
import dev.spillway.config.SnapshotConfig;
import dev.spillway.config.TeamConfig;
import dev.spillway.config.VirtualKeyConfig;
import dev.spillway.controlplane.ApiResponse;
import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import java.math.BigDecimal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A budget's {@code enforce} and {@code on_unreachable} and a rate limit's {@code enforce} on every surface of the
 * admin API that sets limits (teams, keys, the organisation, spillway.yaml), in the published snapshot, in a
 * restore, and in the audit log; absent means enforced and failing closed.
 */
class LimitModesApiIT extends ControlPlaneIntegrationTest {
  private static final String SHADOW_LIMITS = """
      "budget": {"limit_usd": 25, "period": "weekly", "enforce": false, "on_unreachable": "fail_open"},
      "rate_limit": {"rpm": 120, "enforce": false}""";

  @Test
  void aTeamStoresAndServesBothModes() {
    JsonNode created = assertStatus(admin().post("/api/v1/teams", """
        {"name": "%s", %s}""".formatted(unique("modes"), SHADOW_LIMITS)), 201);
    assertShadowLimits(created);

    JsonNode fetched = assertStatus(admin().get("/api/v1/teams/" + created.get("id").stringValue()), 200);

    assertShadowLimits(fetched);
  }

  @Test
  void aKeyStoresAndServesBothModes() {
    String teamId = createTeam(unique("key-modes")).get("id").stringValue();
    JsonNode created = assertStatus(admin().post("/api/v1/virtual-keys", """
        {"name": "shadowed", "team_id": "%s", %s}""".formatted(teamId, SHADOW_LIMITS)), 201);
    assertShadowLimits(created);

    String id = created.get("id").stringValue();
    assertShadowLimits(assertStatus(admin().get("/api/v1/virtual-keys/" + id), 200));
    JsonNode listed = assertStatus(admin().get("/api/v1/virtual-keys?team_id=" + teamId), 200).get("data").get(0);
    assertShadowLimits(listed);
  }

  @Test
  void theOrganisationStoresAndServesBothModes() {
    JsonNode before = assertStatus(admin().get("/api/v1/org"), 200);
    try {
      assertStatus(admin().put("/api/v1/org", "{}"), 200);
      assertShadowLimits(assertStatus(admin().patch("/api/v1/org", "{" + SHADOW_LIMITS + "}"), 200));
      assertShadowLimits(assertStatus(admin().get("/api/v1/org"), 200));

      JsonNode put = assertStatus(admin().put("/api/v1/org", """
          {"budget": {"limit_usd": 5}, "rate_limit": {"tpm": 1000}}"""), 200);
      assertEnforcedFailingClosed(put);
    } finally {
      restoreOrg(before);
    }
  }

  @Test
  void absentModesMeanEnforcedAndFailingClosed() {
    JsonNode team = assertStatus(admin().post("/api/v1/teams", """
        {"name": "%s", "budget": {"limit_usd": 10}, "rate_limit": {"rpm": 60}}""".formatted(unique("defaults"))),
        201);
    assertEnforcedFailingClosed(team);
    assertEnforcedFailingClosed(assertStatus(admin().get("/api/v1/teams/" + team.get("id").stringValue()), 200));

    JsonNode key = assertStatus(admin().post("/api/v1/virtual-keys", """
        {"name": "defaults", "team_id": "%s", "budget": {"limit_usd": 1}, "rate_limit": {"max_concurrent": 2}}"""
        .formatted(team.get("id").stringValue())), 201);
    assertEnforcedFailingClosed(key);
  }

  @Test
  void patchChangesAModeAloneAndKeepsItWhenOtherFieldsChange() {
    String id = assertStatus(admin().post("/api/v1/teams", """
        {"name": "%s", "budget": {"limit_usd": 10, "period": "daily"}, "rate_limit": {"rpm": 60}}"""
        .formatted(unique("patch-modes"))), 201).get("id").stringValue();

    JsonNode shadowed = assertStatus(admin().patch("/api/v1/teams/" + id, """
        {"budget": {"enforce": false, "on_unreachable": "fail_open"}, "rate_limit": {"enforce": false}}"""), 200);
    assertThat(shadowed.get("budget").get("limit_usd").decimalValue()).isEqualByComparingTo("10");
    assertThat(shadowed.get("budget").get("period").stringValue()).isEqualTo("daily");
    assertThat(shadowed.get("budget").get("enforce").booleanValue()).isFalse();
    assertThat(shadowed.get("budget").get("on_unreachable").stringValue()).isEqualTo("fail_open");
    assertThat(shadowed.get("rate_limit").get("rpm").asInt()).isEqualTo(60);
    assertThat(shadowed.get("rate_limit").get("enforce").booleanValue()).isFalse();

    // Like every other field of the budget: absent stays as it is, null goes back to the default.
    JsonNode raised = assertStatus(admin().patch("/api/v1/teams/" + id, """
        {"budget": {"limit_usd": 20, "on_unreachable": null}, "rate_limit": {"rpm": 90}}"""), 200);
    assertThat(raised.get("budget").get("limit_usd").decimalValue()).isEqualByComparingTo("20");
    assertThat(raised.get("budget").get("enforce").booleanValue()).isFalse();
    assertThat(raised.get("budget").get("on_unreachable").stringValue()).isEqualTo("fail_closed");
    assertThat(raised.get("rate_limit").get("enforce").booleanValue()).isFalse();

    JsonNode keyPatched = assertStatus(admin().patch("/api/v1/virtual-keys/" + createKey(id, "patched")
        .get("id").stringValue(), """
        {"budget": {"limit_usd": 2, "on_unreachable": "fail_open"}}"""), 200);
    assertThat(keyPatched.get("budget").get("enforce").booleanValue()).isTrue();
    assertThat(keyPatched.get("budget").get("on_unreachable").stringValue()).isEqualTo("fail_open");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "\"budget\": {\"limit_usd\": 1, \"on_unreachable\": \"fail_sideways\"} | budget.on_unreachable",
      "\"budget\": {\"limit_usd\": 1, \"on_unreachable\": \"FAIL_OPEN\"}     | budget.on_unreachable",
      "\"budget\": {\"limit_usd\": 1, \"on_unreachable\": 5}                 | budget.on_unreachable",
      "\"budget\": {\"limit_usd\": 1, \"on_unreachable\": [\"fail_open\"]}   | budget.on_unreachable",
      "\"budget\": {\"limit_usd\": 1, \"enforce\": \"false\"}                | budget.enforce",
      "\"budget\": {\"limit_usd\": 1, \"enforce\": 0}                        | budget.enforce",
      "\"budget\": {\"limit_usd\": 1, \"enforce\": \"yes\"}                  | budget.enforce",
      "\"budget\": {\"enforce\": false}                                      | budget.limit_usd",
      "\"rate_limit\": {\"rpm\": 5, \"enforce\": 1}                          | rate_limit.enforce",
      "\"rate_limit\": {\"rpm\": 5, \"enforce\": {}}                         | rate_limit.enforce",
      "\"rate_limit\": {\"enforce\": false}                                  | rate_limit"})
  void refusesAWrongModeNamingTheFieldOnEverySurface(String fragment, String field) {
    long version = configVersion();
    assertApiError(admin().post("/api/v1/teams", """
        {"name": "%s", %s}""".formatted(unique("bad-mode"), fragment)), 400, field);
    String teamId = createTeam(unique("bad-mode-patch")).get("id").stringValue();
    long afterCreate = configVersion();
    assertApiError(admin().patch("/api/v1/teams/" + teamId, "{" + fragment + "}"), 400, field);
    assertApiError(admin().post("/api/v1/virtual-keys", """
        {"name": "k", "team_id": "%s", %s}""".formatted(teamId, fragment)), 400, field);
    // PUT, not PATCH: what a PATCH merges into depends on the organisation's limits, which other tests change.
    assertApiError(admin().put("/api/v1/org", "{" + fragment + "}"), 400, field);

    assertThat(afterCreate).isEqualTo(version + 1);
    assertThat(configVersion()).isEqualTo(afterCreate);
  }

  @Test
  void anUnknownOnUnreachableIsRefusedWithTheAllowedValues() {
    JsonNode error = assertApiError(admin().post("/api/v1/teams", """
        {"name": "%s", "budget": {"limit_usd": 1, "on_unreachable": "maybe"}}""".formatted(unique("msg"))), 400,
        "budget.on_unreachable");

    assertThat(message(error)).isEqualTo("budget.on_unreachable: must be fail_closed or fail_open (got 'maybe')");
  }

  @Test
  void thePublishedSnapshotCarriesTheModesOfOrganisationTeamsAndKeys() {
    JsonNode orgBefore = assertStatus(admin().get("/api/v1/org"), 200);
    try {
      assertStatus(admin().put("/api/v1/org", """
          {"budget": {"limit_usd": 1000, "on_unreachable": "fail_open"}, "rate_limit": {"rpm": 6000,
           "enforce": false}}"""), 200);
      JsonNode shadowTeam = assertStatus(admin().post("/api/v1/teams", """
          {"name": "%s", %s}""".formatted(unique("snap-shadow"), SHADOW_LIMITS)), 201);
      String shadowTeamId = shadowTeam.get("id").stringValue();
      String enforcedTeamId = assertStatus(admin().post("/api/v1/teams", """
          {"name": "%s", "budget": {"limit_usd": 3}, "rate_limit": {"tpm": 500}}""".formatted(unique("snap-on"))),
          201).get("id").stringValue();
      String keyId = assertStatus(admin().post("/api/v1/virtual-keys", """
          {"name": "snap", "team_id": "%s", "budget": {"limit_usd": 2, "enforce": false},
           "rate_limit": {"max_concurrent": 3, "enforce": false}}""".formatted(enforcedTeamId)), 201)
          .get("id").stringValue();
      long version = awaitSnapshotCaughtUp();

      ApiResponse poll = pollSnapshot(version - 1);
      SnapshotConfig snapshot = new SnapshotCodec().decode(poll.body(), poll.header("Spillway-Snapshot-Sha256"));

      assertThat(snapshot.organization().budget().enforced()).isTrue();
      assertThat(snapshot.organization().budget().onUnreachable()).isEqualTo(OnUnreachable.FAIL_OPEN);
      assertThat(snapshot.organization().rateLimit().enforced()).isFalse();
      TeamConfig shadow = team(snapshot, shadowTeamId);
      assertThat(shadow.budget()).isEqualTo(new BudgetConfig(new BigDecimal("25"), BudgetPeriod.WEEKLY, false,
          OnUnreachable.FAIL_OPEN));
      assertThat(shadow.rateLimit()).isEqualTo(new RateLimitConfig(120, null, null, false));
      TeamConfig enforced = team(snapshot, enforcedTeamId);
      assertThat(enforced.budget().enforced()).isTrue();
      assertThat(enforced.budget().onUnreachable()).isEqualTo(OnUnreachable.FAIL_CLOSED);
      assertThat(enforced.rateLimit().enforced()).isTrue();
      VirtualKeyConfig key = snapshot.virtualKeys().stream().filter(k -> k.id().equals(keyId)).findFirst()
          .orElseThrow();
      assertThat(key.budget().enforced()).isFalse();
      assertThat(key.budget().onUnreachable()).isEqualTo(OnUnreachable.FAIL_CLOSED);
      assertThat(key.rateLimit()).isEqualTo(new RateLimitConfig(null, null, 3, false));
    } finally {
      restoreOrg(orgBefore);
    }
  }

  @Test
  void aModeChangeIsANewVersionAndIsAudited() {
    String id = assertStatus(admin().post("/api/v1/teams", """
        {"name": "%s", "budget": {"limit_usd": 10}}""".formatted(unique("audit-modes"))), 201)
        .get("id").stringValue();
    long version = configVersion();

    assertStatus(admin().patch("/api/v1/teams/" + id, """
        {"budget": {"enforce": false}}"""), 200);

    assertThat(configVersion()).isEqualTo(version + 1);
    String after = jdbc.sql("SELECT after::text FROM audit_events WHERE resource_id = ? AND action = 'team.update'")
        .param(id).query(String.class).single();
    JsonNode budget = JsonMapper.builder().build().readTree(after).get("budget");
    assertThat(budget.get("enforce").booleanValue()).isFalse();
  }

  @Test
  void aRestoreBringsBackTheModesOfThen() {
    String teamId = assertStatus(admin().post("/api/v1/teams", """
        {"name": "%s", %s}""".formatted(unique("restore-modes"), SHADOW_LIMITS)), 201).get("id").stringValue();
    String keyId = assertStatus(admin().post("/api/v1/virtual-keys", """
        {"name": "restored", "team_id": "%s", %s}""".formatted(teamId, SHADOW_LIMITS)), 201)
        .get("id").stringValue();
    long then = awaitSnapshotCaughtUp();
    assertStatus(admin().patch("/api/v1/teams/" + teamId, """
        {"budget": {"enforce": true, "on_unreachable": "fail_closed"}, "rate_limit": {"enforce": true}}"""), 200);
    assertStatus(admin().patch("/api/v1/virtual-keys/" + keyId, """
        {"budget": {"enforce": true, "on_unreachable": "fail_closed"}, "rate_limit": {"enforce": true}}"""), 200);
    awaitSnapshotCaughtUp();

    assertStatus(admin().post("/api/v1/snapshots/" + then + "/restore", ""), 200);

    assertShadowLimits(assertStatus(admin().get("/api/v1/teams/" + teamId), 200));
    assertShadowLimits(assertStatus(admin().get("/api/v1/virtual-keys/" + keyId), 200));
  }

  @Test
  void spillwayYamlSetsTheModesAndReappliesAsANoOp() {
    String team = unique("yaml-modes");
    String yaml = """
        teams:
          - name: %s
            budget: {limit_usd: 50, period: monthly, enforce: false, on_unreachable: fail_open}
            rate_limit: {rpm: 600, enforce: false}
        """.formatted(team);

    JsonNode first = assertStatus(admin().send("POST", "/api/v1/config/apply", "application/yaml", yaml), 200);
    JsonNode second = assertStatus(admin().send("POST", "/api/v1/config/apply", "application/yaml", yaml), 200);

    assertThat(first.get("applied").booleanValue()).as(first.toString()).isTrue();
    assertThat(second.get("applied").booleanValue()).as(second.toString()).isFalse();
    JsonNode stored = assertStatus(admin().get("/api/v1/teams"), 200).get("data").valueStream()
        .filter(t -> t.get("name").stringValue().equals(team)).findFirst().orElseThrow();
    assertThat(stored.get("budget").get("enforce").booleanValue()).isFalse();
    assertThat(stored.get("budget").get("on_unreachable").stringValue()).isEqualTo("fail_open");
    assertThat(stored.get("rate_limit").get("enforce").booleanValue()).isFalse();

    assertApiError(admin().send("POST", "/api/v1/config/apply", "application/yaml", """
        teams: [{name: %s, budget: {limit_usd: 1, on_unreachable: open}}]""".formatted(team)), 400,
        "teams[0].budget.on_unreachable");
    assertApiError(admin().send("POST", "/api/v1/config/apply", "application/yaml", """
        teams: [{name: %s, rate_limit: {rpm: 1, enforce: "no"}}]""".formatted(team)), 400,
        "teams[0].rate_limit.enforce");
  }

  @Test
  void aTeamAdminCannotChangeItsOwnTeamsModesNorAnotherTeamsKeysButItsOwnKeys() {
    String own = createTeam(unique("modes-own")).get("id").stringValue();
    String other = createTeam(unique("modes-other")).get("id").stringValue();
    assertStatus(admin().patch("/api/v1/teams/" + own, """
        {"budget": {"limit_usd": 10}, "rate_limit": {"rpm": 10}}"""), 200);
    String otherKey = assertStatus(admin().post("/api/v1/virtual-keys", """
        {"name": "theirs", "team_id": "%s", "budget": {"limit_usd": 1}}""".formatted(other)), 201)
        .get("id").stringValue();
    String ownKey = assertStatus(admin().post("/api/v1/virtual-keys", """
        {"name": "mine", "team_id": "%s", "budget": {"limit_usd": 1}}""".formatted(own)), 201)
        .get("id").stringValue();
    var teamAdmin = bearer(createApiToken("team_admin", own));
    long version = configVersion();

    assertApiError(teamAdmin.patch("/api/v1/teams/" + own, """
        {"budget": {"enforce": false}, "rate_limit": {"enforce": false}}"""), 403, null);
    assertApiError(teamAdmin.patch("/api/v1/teams/" + other, """
        {"budget": {"on_unreachable": "fail_open"}}"""), 403, null);
    assertApiError(teamAdmin.patch("/api/v1/virtual-keys/" + otherKey, """
        {"budget": {"enforce": false, "on_unreachable": "fail_open"}}"""), 403, null);
    assertApiError(teamAdmin.patch("/api/v1/org", """
        {"budget": {"limit_usd": 1, "enforce": false}}"""), 403, null);
    assertApiError(teamAdmin.post("/api/v1/virtual-keys", """
        {"name": "intruder", "team_id": "%s", "budget": {"limit_usd": 1, "enforce": false}}""".formatted(other)),
        403, null);

    assertThat(configVersion()).isEqualTo(version);
    assertEnforcedFailingClosed(assertStatus(admin().get("/api/v1/teams/" + own), 200));
    assertThat(assertStatus(admin().get("/api/v1/virtual-keys/" + otherKey), 200).get("budget").get("enforce")
        .booleanValue()).isTrue();

    JsonNode mine = assertStatus(teamAdmin.patch("/api/v1/virtual-keys/" + ownKey, """
        {"budget": {"enforce": false, "on_unreachable": "fail_open"}}"""), 200);
    assertThat(mine.get("budget").get("enforce").booleanValue()).isFalse();
    assertThat(mine.get("budget").get("on_unreachable").stringValue()).isEqualTo("fail_open");
  }

  private static void assertShadowLimits(JsonNode resource) {
    JsonNode budget = resource.get("budget");
    assertThat(budget.get("limit_usd").decimalValue()).as(resource.toString()).isEqualByComparingTo("25");
    assertThat(budget.get("period").stringValue()).isEqualTo("weekly");
    assertThat(budget.get("enforce").isBoolean()).as(resource.toString()).isTrue();
    assertThat(budget.get("enforce").booleanValue()).as(resource.toString()).isFalse();
    assertThat(budget.get("on_unreachable").stringValue()).as(resource.toString()).isEqualTo("fail_open");
    JsonNode rateLimit = resource.get("rate_limit");
    assertThat(rateLimit.get("rpm").asInt()).isEqualTo(120);
    assertThat(rateLimit.get("enforce").booleanValue()).as(resource.toString()).isFalse();
  }

  private static void assertEnforcedFailingClosed(JsonNode resource) {
    assertThat(resource.get("budget").get("enforce").isBoolean()).as(resource.toString()).isTrue();
    assertThat(resource.get("budget").get("enforce").booleanValue()).as(resource.toString()).isTrue();
    assertThat(resource.get("budget").get("on_unreachable").stringValue()).as(resource.toString())
        .isEqualTo("fail_closed");
    assertThat(resource.get("rate_limit").get("enforce").booleanValue()).as(resource.toString()).isTrue();
  }

  private static TeamConfig team(SnapshotConfig snapshot, String id) {
    return snapshot.teams().stream().filter(t -> t.id().equals(id)).findFirst().orElseThrow();
  }

  /** The organisation is shared by every test class on this database: put back its limits as they were. */
  private void restoreOrg(JsonNode before) {
    assertStatus(admin().put("/api/v1/org", """
        {"name": %s, "budget": %s, "rate_limit": %s}""".formatted(before.get("name"),
        before.path("budget").isMissingNode() ? "null" : before.get("budget"),
        before.path("rate_limit").isMissingNode() ? "null" : before.get("rate_limit"))), 200);
  }
}
