package dev.spillway.controlplane.virtualkey;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static dev.spillway.controlplane.ApiAssertions.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.spillway.controlplane.ApiResponse;
import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code /api/v1/virtual-keys}: the secret is shown once and stored only as its SHA-256; revoke and rotate. */
class VirtualKeyApiIT extends ControlPlaneIntegrationTest {
  private String teamId;

  @BeforeEach
  void team() {
    teamId = createTeam(unique("keys-team")).get("id").stringValue();
  }

  @Test
  void createAnswersWithTheKeyOnceAndNeverAgain() {
    ApiResponse created = admin().post("/api/v1/virtual-keys", """
        {"name": "ci", "team_id": "%s", "models": ["gpt-4o", "claude"], "rate_limit": {"rpm": 30},
         "budget": {"limit_usd": 3, "period": "monthly"}, "cache": {"mode": "exact", "ttl_seconds": 60}}"""
        .formatted(teamId));

    JsonNode body = assertStatus(created, 201);
    String key = body.get("key").stringValue();
    String id = body.get("id").stringValue();
    assertThat(created.header("Location")).isEqualTo("/api/v1/virtual-keys/" + id);
    assertThat(key).startsWith("sk-sw-").hasSizeGreaterThan(40);
    assertThat(key).startsWith(body.get("key_prefix").stringValue());
    assertThat(body.get("key_prefix").stringValue()).startsWith("sk-sw-").hasSizeLessThan(key.length() / 2);
    assertThat(body.get("status").stringValue()).isEqualTo("active");
    assertThat(body.get("team_id").stringValue()).isEqualTo(teamId);
    assertThat(body.get("models").valueStream().map(JsonNode::stringValue)).containsExactly("gpt-4o", "claude");
    assertThat(body.get("rate_limit").get("rpm").asInt()).isEqualTo(30);
    assertThat(body.get("cache").get("mode").stringValue()).isEqualTo("exact");

    ApiResponse fetched = admin().get("/api/v1/virtual-keys/" + id);
    ApiResponse listed = admin().get("/api/v1/virtual-keys?team_id=" + teamId);
    assertThat(assertStatus(fetched, 200).has("key")).isFalse();
    assertThat(assertStatus(listed, 200).get("data").valueStream()).allSatisfy(k -> assertThat(k.has("key")).isFalse());
    assertThat(fetched.text()).doesNotContain(key);
    assertThat(listed.text()).contains(id).doesNotContain(key);
  }

  @Test
  void storesOnlyTheSha256OfTheKey() {
    JsonNode created = createKey(teamId, "hashed");
    String key = created.get("key").stringValue();
    UUID id = UUID.fromString(created.get("id").stringValue());

    String hash = jdbc.sql("SELECT key_hash FROM virtual_keys WHERE id = ?").param(id).query(String.class).single();
    String wholeRow = jdbc.sql("SELECT v::text FROM virtual_keys v WHERE id = ?").param(id).query(String.class)
        .single();
    String secretPart = key.substring(created.get("key_prefix").stringValue().length());

    assertThat(hash).isEqualTo(sha256Hex(key));
    assertThat(wholeRow).contains(hash).doesNotContain(key).doesNotContain(secretPart);
    assertThat(jdbc.sql("SELECT count(*) FROM audit_events a WHERE a::text LIKE ?").param("%" + secretPart + "%")
        .query(Long.class).single()).isZero();
  }

  @Test
  void refusesAnUnknownOrMalformedTeam() {
    var unknown = assertApiError(admin().post("/api/v1/virtual-keys", """
        {"name": "k", "team_id": "%s"}""".formatted(UUID.randomUUID())), 400, "team_id");
    assertThat(message(unknown)).contains("does not exist");
    assertApiError(admin().post("/api/v1/virtual-keys", """
        {"name": "k", "team_id": "team-one"}"""), 400, "team_id");
    assertApiError(admin().post("/api/v1/virtual-keys", """
        {"name": "k"}"""), 400, "team_id");
  }

  @Test
  void refusesAnExpiryInThePast() {
    assertApiError(admin().post("/api/v1/virtual-keys", """
        {"name": "old", "team_id": "%s", "expires_at": "2001-01-01T00:00:00Z"}""".formatted(teamId)), 400,
        "expires_at");
  }

  @Test
  void refusesADuplicateNameWithinATeamButNotAcrossTeams() {
    createKey(teamId, "shared-name");

    var error = assertApiError(admin().post("/api/v1/virtual-keys", """
        {"name": "Shared-Name", "team_id": "%s"}""".formatted(teamId)), 409, "name");
    assertThat(message(error)).contains("Shared-Name");

    String otherTeam = createTeam(unique("other-team")).get("id").stringValue();
    assertThat(createKey(otherTeam, "shared-name").get("status").stringValue()).isEqualTo("active");
  }

  @Test
  void deleteRevokesTheKeyWhichStaysReadable() {
    JsonNode created = createKey(teamId, "to-revoke");
    String id = created.get("id").stringValue();

    assertStatus(admin().delete("/api/v1/virtual-keys/" + id), 204);

    JsonNode revoked = assertStatus(admin().get("/api/v1/virtual-keys/" + id), 200);
    assertThat(revoked.get("status").stringValue()).isEqualTo("revoked");
    assertThat(Instant.parse(revoked.get("revoked_at").stringValue())).isCloseTo(Instant.now(),
        within(1, ChronoUnit.MINUTES));
    assertStatus(admin().delete("/api/v1/virtual-keys/" + id), 204);
    assertApiError(admin().patch("/api/v1/virtual-keys/" + id, """
        {"models": ["x"]}"""), 409, "status");
    assertThat(createKey(teamId, "to-revoke").get("status").stringValue()).isEqualTo("active");
  }

  @Test
  void rotatingWithoutGraceRevokesTheOldKeyAtOnce() {
    JsonNode old = createKey(teamId, "rotate-now");
    String oldId = old.get("id").stringValue();

    JsonNode fresh = assertStatus(admin().post("/api/v1/virtual-keys/" + oldId + "/rotate", "{}"), 201);

    assertThat(fresh.get("key").stringValue()).startsWith("sk-sw-").isNotEqualTo(old.get("key").stringValue());
    assertThat(fresh.get("id").stringValue()).isNotEqualTo(oldId);
    assertThat(fresh.get("rotated_from").stringValue()).isEqualTo(oldId);
    assertThat(fresh.get("name").stringValue()).isEqualTo("rotate-now");
    assertThat(fresh.get("status").stringValue()).isEqualTo("active");
    JsonNode oldNow = assertStatus(admin().get("/api/v1/virtual-keys/" + oldId), 200);
    assertThat(oldNow.get("status").stringValue()).isEqualTo("revoked");
    assertThat(jdbc.sql("SELECT key_hash FROM virtual_keys WHERE id = ?")
        .param(UUID.fromString(fresh.get("id").stringValue())).query(String.class).single())
        .isEqualTo(sha256Hex(fresh.get("key").stringValue()));

    assertApiError(admin().post("/api/v1/virtual-keys/" + oldId + "/rotate", "{}"), 409, "status");
  }

  @Test
  void rotatingWithoutABodyMeansNoGrace() {
    String oldId = createKey(teamId, "rotate-no-body").get("id").stringValue();

    assertStatus(admin().send("POST", "/api/v1/virtual-keys/" + oldId + "/rotate", null, null), 201);

    assertThat(assertStatus(admin().get("/api/v1/virtual-keys/" + oldId), 200).get("status").stringValue())
        .isEqualTo("revoked");
  }

  @Test
  void rotatingWithGraceKeepsTheOldKeyActiveUntilTheGraceEnds() {
    JsonNode old = createKey(teamId, "rotate-later");
    String oldId = old.get("id").stringValue();
    Instant before = Instant.now();

    JsonNode fresh = assertStatus(admin().post("/api/v1/virtual-keys/" + oldId + "/rotate", """
        {"grace_period_seconds": 3600}"""), 201);

    JsonNode oldNow = assertStatus(admin().get("/api/v1/virtual-keys/" + oldId), 200);
    assertThat(oldNow.get("status").stringValue()).isEqualTo("active");
    assertThat(Instant.parse(oldNow.get("expires_at").stringValue()))
        .isAfter(before.plusSeconds(3590)).isBefore(Instant.now().plusSeconds(3610));
    assertThat(fresh.get("name").stringValue()).isEqualTo("rotate-later");
    assertThat(fresh.get("expires_at").isNull()).isTrue();
    JsonNode active = assertStatus(admin().get("/api/v1/virtual-keys?team_id=" + teamId + "&status=active"), 200);
    assertThat(active.get("data").valueStream().map(k -> k.get("id").stringValue()))
        .contains(oldId, fresh.get("id").stringValue());
  }

  @Test
  void aRotatedKeyIsRevokedWhenItsGracePeriodEnds() {
    String oldId = createKey(teamId, unique("graceful")).get("id").stringValue();
    String freshId = assertStatus(admin().post("/api/v1/virtual-keys/" + oldId + "/rotate", """
        {"grace_period_seconds": 600}"""), 201).get("id").stringValue();
    String expired = createKey(teamId, unique("merely-expired")).get("id").stringValue();
    jdbc.sql("UPDATE virtual_keys SET expires_at = now() - interval '1 second' WHERE id = ANY(?)")
        .param(new java.util.UUID[] {java.util.UUID.fromString(oldId), java.util.UUID.fromString(expired)}).update();
    long version = configVersion();

    assertThat(sweeper.sweep()).isGreaterThanOrEqualTo(1);

    assertThat(assertStatus(admin().get("/api/v1/virtual-keys/" + oldId), 200).get("status").stringValue())
        .isEqualTo("revoked");
    assertThat(assertStatus(admin().get("/api/v1/virtual-keys/" + freshId), 200).get("status").stringValue())
        .isEqualTo("active");
    assertThat(assertStatus(admin().get("/api/v1/virtual-keys/" + expired), 200).get("status").stringValue())
        .isEqualTo("active");
    assertThat(configVersion()).isGreaterThan(version);
    assertThat(sweeper.sweep()).isZero();
  }

  @org.springframework.beans.factory.annotation.Autowired
  dev.spillway.controlplane.virtualkey.RotationSweeper sweeper;

  @Test
  void rotatingAKeyWithALongNameWithGraceWorks() {
    String longName = "k".repeat(100);
    String oldId = createKey(teamId, longName).get("id").stringValue();

    JsonNode fresh = assertStatus(admin().post("/api/v1/virtual-keys/" + oldId + "/rotate", """
        {"grace_period_seconds": 3600}"""), 201);

    assertThat(fresh.get("name").stringValue()).isEqualTo(longName);
    JsonNode oldNow = assertStatus(admin().get("/api/v1/virtual-keys/" + oldId), 200);
    assertThat(oldNow.get("status").stringValue()).isEqualTo("active");
    assertThat(oldNow.get("name").stringValue()).hasSizeLessThanOrEqualTo(100).startsWith("kkkk").contains("(rotated ");
  }

  @Test
  void refusesAGracePeriodOutOfRange() {
    String id = createKey(teamId, "grace-range").get("id").stringValue();

    assertApiError(admin().post("/api/v1/virtual-keys/" + id + "/rotate", """
        {"grace_period_seconds": -1}"""), 400, "grace_period_seconds");
    assertApiError(admin().post("/api/v1/virtual-keys/" + id + "/rotate", """
        {"grace_period_seconds": 99999999}"""), 400, "grace_period_seconds");
    assertApiError(admin().post("/api/v1/virtual-keys/" + id + "/rotate", """
        {"grace_period_seconds": "soon"}"""), 400, "grace_period_seconds");
  }

  @Test
  void listFiltersByTeamAndStatus() {
    String otherTeam = createTeam(unique("filter-other")).get("id").stringValue();
    String kept = createKey(teamId, "kept").get("id").stringValue();
    String revoked = createKey(teamId, "revoked").get("id").stringValue();
    String elsewhere = createKey(otherTeam, "elsewhere").get("id").stringValue();
    assertStatus(admin().delete("/api/v1/virtual-keys/" + revoked), 204);

    assertThat(ids("?team_id=" + teamId)).containsExactlyInAnyOrder(kept, revoked);
    assertThat(ids("?team_id=" + teamId + "&status=active")).containsExactly(kept);
    assertThat(ids("?team_id=" + teamId + "&status=revoked")).containsExactly(revoked);
    assertThat(ids("?status=active")).contains(kept, elsewhere).doesNotContain(revoked);
    assertThat(ids("?status=revoked")).contains(revoked).doesNotContain(kept, elsewhere);
    assertThat(ids("")).contains(kept, revoked, elsewhere);
    assertThat(ids("?team_id=" + teamId + "&limit=1")).hasSize(1);

    assertApiError(admin().get("/api/v1/virtual-keys?status=expired"), 400, "status");
    assertApiError(admin().get("/api/v1/virtual-keys?limit=0"), 400, "limit");
    assertApiError(admin().get("/api/v1/virtual-keys?team_id=not-a-uuid"), 400, "team_id");
  }

  @Test
  void patchChangesSettingsButNotTheTeam() {
    String id = createKey(teamId, "patchable").get("id").stringValue();
    String otherTeam = createTeam(unique("patch-other")).get("id").stringValue();

    JsonNode patched = assertStatus(admin().patch("/api/v1/virtual-keys/" + id, """
        {"models": ["demo"], "rate_limit": {"rpm": 5}}"""), 200);

    assertThat(patched.get("models").valueStream().map(JsonNode::stringValue)).containsExactly("demo");
    assertThat(patched.get("rate_limit").get("rpm").asInt()).isEqualTo(5);
    assertThat(patched.has("key")).isFalse();
    assertApiError(admin().patch("/api/v1/virtual-keys/" + id, """
        {"team_id": "%s"}""".formatted(otherTeam)), 400, "team_id");
    assertApiError(admin().patch("/api/v1/virtual-keys/" + id, """
        {"key": "sk-sw-mine"}"""), 400, "key");
    assertApiError(admin().patch("/api/v1/virtual-keys/" + id, """
        {"rate_limit": {"rpm": -1}}"""), 400, "rate_limit.rpm");
  }

  @Test
  void answers404ForUnknownAndMalformedIds() {
    for (String id : List.of(UUID.randomUUID().toString(), "nope")) {
      assertApiError(admin().get("/api/v1/virtual-keys/" + id), 404, null);
      assertApiError(admin().patch("/api/v1/virtual-keys/" + id, "{}"), 404, null);
      assertApiError(admin().delete("/api/v1/virtual-keys/" + id), 404, null);
      assertApiError(admin().post("/api/v1/virtual-keys/" + id + "/rotate", "{}"), 404, null);
    }
  }

  private List<String> ids(String query) {
    return assertStatus(admin().get("/api/v1/virtual-keys" + query), 200).get("data").valueStream()
        .map(k -> k.get("id").stringValue()).toList();
  }

  @Test
  void metadataTakesStringValuesOnlyWithinItsBounds() {
    String team = createTeam(unique("meta-team")).get("id").stringValue();
    JsonNode key = assertStatus(admin().post("/api/v1/virtual-keys", """
        {"name": "%s", "team_id": "%s", "metadata": {"tier": "gold", "owner": "ml"}}""".formatted(unique("k"), team)),
        201);
    assertThat(key.get("metadata").get("tier").stringValue()).isEqualTo("gold");

    assertApiError(admin().post("/api/v1/virtual-keys", """
        {"name": "%s", "team_id": "%s", "metadata": {"tier": 3}}""".formatted(unique("k"), team)), 400,
        "metadata.tier");
    assertApiError(admin().post("/api/v1/virtual-keys", """
        {"name": "%s", "team_id": "%s", "metadata": {"nested": {"a": "b"}}}""".formatted(unique("k"), team)), 400,
        "metadata.nested");
    assertApiError(admin().post("/api/v1/virtual-keys", """
        {"name": "%s", "team_id": "%s", "metadata": {"long": "%s"}}""".formatted(unique("k"), team, "x".repeat(501))),
        400, "metadata.long");
    assertApiError(admin().patch("/api/v1/virtual-keys/" + key.get("id").stringValue(), """
        {"metadata": {"tier": true}}"""), 400, "metadata.tier");
  }

  @Test
  void aKeyWithANonStringValueStoredBeforeTheRuleCanStillBeEdited() {
    String team = createTeam(unique("legacy-team")).get("id").stringValue();
    String id = createKey(team, unique("legacy")).get("id").stringValue();
    jdbc.sql("UPDATE virtual_keys SET metadata = '{\"cost_center\": 42}'::jsonb WHERE id = ?::uuid").param(id)
        .update();

    JsonNode patched = assertStatus(admin().patch("/api/v1/virtual-keys/" + id, "{\"name\": \"renamed\"}"), 200);

    assertThat(patched.get("metadata").get("cost_center").asInt()).isEqualTo(42);
  }
}
