package dev.spillway.controlplane.apitoken;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code /api/v1/api-tokens}: issued once, hashed, attributed, scoped, expiring and revocable. */
class ApiTokenApiIT extends ControlPlaneIntegrationTest {

  @Test
  void issuesATokenOnceAndStoresOnlyItsHash() {
    String name = unique("automation");
    JsonNode created = assertStatus(admin().post("/api/v1/api-tokens", """
        {"name": "%s", "role": "org_admin", "expires_at": "%s"}""".formatted(name,
        Instant.now().plusSeconds(3600))), 201);
    String secret = created.get("token").stringValue();
    String id = created.get("id").stringValue();

    assertThat(secret).startsWith("sw-at-").hasSizeGreaterThan(40);
    assertThat(created.get("token_prefix").stringValue()).isEqualTo(secret.substring(0, 12));
    assertThat(created.get("status").stringValue()).isEqualTo("active");
    JsonNode fetched = assertStatus(admin().get("/api/v1/api-tokens/" + id), 200);
    assertThat(fetched.has("token")).isFalse();
    assertThat(jdbc.sql("SELECT token_hash FROM admin_api_tokens WHERE id = ?").param(UUID.fromString(id))
        .query(String.class).single()).isEqualTo(sha256Hex(secret));
    assertThat(jdbc.sql("SELECT a::text FROM audit_events a").query(String.class).list())
        .noneMatch(row -> row.contains(secret));
  }

  @Test
  void anOrgAdminTokenWritesAndEveryWriteIsAttributedToIt() {
    String name = unique("ci");
    JsonNode created = assertStatus(admin().post("/api/v1/api-tokens", """
        {"name": "%s", "role": "org_admin"}""".formatted(name)), 201);
    String secret = created.get("token").stringValue();

    String team = assertStatus(bearer(secret).post("/api/v1/teams", "{\"name\": \"%s\"}".formatted(unique("by-token"))),
        201).get("id").stringValue();

    var row = jdbc.sql("SELECT actor_type, actor_id, actor_name FROM audit_events WHERE resource_id = ?")
        .param(team).query((rs, i) -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3)}).single();
    assertThat(row).containsExactly("api_token", created.get("id").stringValue(), name);
    eventually().until(() -> jdbc.sql("SELECT last_used_at IS NOT NULL FROM admin_api_tokens WHERE id = ?")
        .param(UUID.fromString(created.get("id").stringValue())).query(Boolean.class).single());
  }

  @Test
  void aViewerTokenReadsButDoesNotWrite() {
    String viewer = createApiToken("viewer", null);

    assertStatus(bearer(viewer).get("/api/v1/teams"), 200);
    assertStatus(bearer(viewer).get("/api/v1/nodes"), 200);
    assertApiError(bearer(viewer).post("/api/v1/teams", "{\"name\": \"nope\"}"), 403, null);
  }

  @Test
  void aTeamAdminTokenManagesOnlyItsTeamsKeys() {
    String team = createTeam(unique("scoped")).get("id").stringValue();
    String other = createTeam(unique("other")).get("id").stringValue();
    createKey(other, "not-mine");
    String token = createApiToken("team_admin", team);

    String key = assertStatus(bearer(token).post("/api/v1/virtual-keys", """
        {"name": "mine", "team_id": "%s", "budget": {"limit_usd": 5}}""".formatted(team)), 201)
        .get("id").stringValue();
    assertStatus(bearer(token).patch("/api/v1/virtual-keys/" + key, "{\"rate_limit\": {\"rpm\": 5}}"), 200);
    String rotated = assertStatus(bearer(token).post("/api/v1/virtual-keys/" + key + "/rotate", "{}"), 201)
        .get("id").stringValue();
    assertStatus(bearer(token).delete("/api/v1/virtual-keys/" + rotated), 204);
    assertStatus(bearer(token).get("/api/v1/teams/" + team), 200);
    assertStatus(bearer(token).get("/api/v1/providers"), 200);
    JsonNode keys = assertStatus(bearer(token).get("/api/v1/virtual-keys"), 200);
    assertThat(keys.get("data").valueStream().map(k -> k.get("team_id").stringValue())).containsOnly(team);
    assertApiError(bearer(token).post("/api/v1/virtual-keys", """
        {"name": "theirs", "team_id": "%s"}""".formatted(other)), 403, null);
    assertApiError(bearer(token).patch("/api/v1/teams/" + team, "{\"budget\": {\"limit_usd\": 999}}"), 403, null);
    assertApiError(bearer(token).get("/api/v1/teams/" + other), 403, null);
  }

  @Test
  void aRevokedOrExpiredTokenIsRefused() {
    JsonNode created = assertStatus(admin().post("/api/v1/api-tokens", """
        {"name": "%s", "role": "viewer"}""".formatted(unique("short"))), 201);
    String secret = created.get("token").stringValue();
    String id = created.get("id").stringValue();
    assertStatus(bearer(secret).get("/api/v1/teams"), 200);

    jdbc.sql("UPDATE admin_api_tokens SET expires_at = now() - interval '1 second' WHERE id = ?")
        .param(UUID.fromString(id)).update();
    assertApiError(bearer(secret).get("/api/v1/teams"), 401, null);
    assertThat(assertStatus(admin().get("/api/v1/api-tokens/" + id), 200).get("status").stringValue())
        .isEqualTo("expired");

    String other = createApiToken("viewer", null);
    String otherId = assertStatus(admin().get("/api/v1/api-tokens"), 200).get("data").get(0).get("id").stringValue();
    assertStatus(admin().delete("/api/v1/api-tokens/" + otherId), 204);
    assertApiError(bearer(other).get("/api/v1/teams"), 401, null);
    assertThat(assertStatus(admin().get("/api/v1/api-tokens"), 200).get("data").valueStream()
        .map(t -> t.get("id").stringValue())).doesNotContain(otherId);
    assertThat(assertStatus(admin().get("/api/v1/api-tokens?include_revoked=true"), 200).get("data").valueStream()
        .map(t -> t.get("id").stringValue())).contains(otherId);
    assertApiError(admin().delete("/api/v1/api-tokens/" + UUID.randomUUID()), 404, null);
  }

  @Test
  void refusesInvalidTokenRequests() {
    String team = createTeam(unique("tok-team")).get("id").stringValue();
    assertApiError(admin().post("/api/v1/api-tokens", "{\"role\": \"viewer\"}"), 400, "name");
    assertApiError(admin().post("/api/v1/api-tokens", "{\"name\": \"x\"}"), 400, "role");
    assertApiError(admin().post("/api/v1/api-tokens", "{\"name\": \"x\", \"role\": \"root\"}"), 400, "role");
    assertApiError(admin().post("/api/v1/api-tokens", "{\"name\": \"x\", \"role\": \"team_admin\"}"), 400,
        "team_id");
    assertApiError(admin().post("/api/v1/api-tokens", """
        {"name": "x", "role": "org_admin", "team_id": "%s"}""".formatted(team)), 400, "team_id");
    assertApiError(admin().post("/api/v1/api-tokens", """
        {"name": "x", "role": "team_admin", "team_id": "%s"}""".formatted(UUID.randomUUID())), 400, "team_id");
    assertApiError(admin().post("/api/v1/api-tokens", """
        {"name": "x", "role": "viewer", "expires_at": "2020-01-01T00:00:00Z"}"""), 400, "expires_at");
    String name = unique("same");
    assertStatus(admin().post("/api/v1/api-tokens", "{\"name\": \"%s\", \"role\": \"viewer\"}".formatted(name)), 201);
    assertApiError(admin().post("/api/v1/api-tokens", "{\"name\": \"%s\", \"role\": \"viewer\"}".formatted(name)),
        409, "name");
  }
}
