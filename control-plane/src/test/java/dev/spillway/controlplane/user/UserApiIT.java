package dev.spillway.controlplane.user;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static dev.spillway.controlplane.ApiAssertions.message;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code /api/v1/users} and {@code /api/v1/teams/{id}/members}. */
class UserApiIT extends ControlPlaneIntegrationTest {

  private JsonNode createUser(String role) {
    String roleJson = role == null ? "null" : "\"" + role + "\"";
    return assertStatus(admin().post("/api/v1/users", """
        {"email": "%s@Example.com", "display_name": "Ada", "role": %s}""".formatted(unique("user"), roleJson)), 201);
  }

  @Test
  void createsReadsChangesAndDeletesAUser() {
    JsonNode user = createUser("viewer");
    String id = user.get("id").stringValue();
    assertThat(user.get("role").stringValue()).isEqualTo("viewer");
    assertThat(user.get("status").stringValue()).isEqualTo("active");

    JsonNode patched = assertStatus(admin().patch("/api/v1/users/" + id, """
        {"role": "org_admin", "display_name": "Ada L."}"""), 200);
    assertThat(patched.get("role").stringValue()).isEqualTo("org_admin");
    assertThat(patched.get("display_name").stringValue()).isEqualTo("Ada L.");
    assertThat(assertStatus(admin().patch("/api/v1/users/" + id, "{\"role\": null}"), 200).get("role").isNull())
        .isTrue();
    assertThat(assertStatus(admin().get("/api/v1/users"), 200).get("data").valueStream()
        .map(u -> u.get("id").stringValue())).contains(id);

    assertStatus(admin().delete("/api/v1/users/" + id), 204);
    assertApiError(admin().get("/api/v1/users/" + id), 404, null);
    assertThat(jdbc.sql("SELECT count(*) FROM audit_events WHERE resource_type = 'user' AND resource_id = ?")
        .param(id).query(Long.class).single()).isEqualTo(4);
  }

  @Test
  void refusesInvalidUsers() {
    assertApiError(admin().post("/api/v1/users", "{}"), 400, "email");
    assertApiError(admin().post("/api/v1/users", "{\"email\": \"not-an-email\"}"), 400, "email");
    assertApiError(admin().post("/api/v1/users", """
        {"email": "%s@example.com", "role": "team_admin"}""".formatted(unique("r"))), 400, "role");
    assertApiError(admin().post("/api/v1/users", """
        {"email": "%s@example.com", "status": "sleeping"}""".formatted(unique("s"))), 400, "status");
    String email = unique("dup") + "@example.com";
    assertStatus(admin().post("/api/v1/users", "{\"email\": \"%s\"}".formatted(email)), 201);
    assertApiError(admin().post("/api/v1/users", "{\"email\": \"%s\"}".formatted(email.toUpperCase())), 409,
        "email");
    assertApiError(admin().patch("/api/v1/users/" + UUID.randomUUID(), "{}"), 404, null);
  }

  @Test
  void managesTeamMembersAndRefusesToDeleteAMember() {
    String teamName = unique("members");
    String team = createTeam(teamName).get("id").stringValue();
    String user = createUser(null).get("id").stringValue();

    JsonNode member = assertStatus(admin().post("/api/v1/teams/" + team + "/members", """
        {"user_id": "%s", "role": "viewer"}""".formatted(user)), 201);
    assertThat(member.get("role").stringValue()).isEqualTo("viewer");
    assertApiError(admin().post("/api/v1/teams/" + team + "/members", """
        {"user_id": "%s", "role": "viewer"}""".formatted(user)), 409, "user_id");
    assertApiError(admin().post("/api/v1/teams/" + team + "/members", """
        {"user_id": "%s", "role": "viewer"}""".formatted(UUID.randomUUID())), 400, "user_id");
    assertApiError(admin().post("/api/v1/teams/" + team + "/members", """
        {"user_id": "%s", "role": "owner"}""".formatted(user)), 400, "role");
    assertApiError(admin().post("/api/v1/teams/" + team + "/members", "{\"role\": \"viewer\"}"), 400, "user_id");

    assertThat(assertStatus(admin().patch("/api/v1/teams/" + team + "/members/" + user,
        "{\"role\": \"team_admin\"}"), 200).get("role").stringValue()).isEqualTo("team_admin");
    assertApiError(admin().patch("/api/v1/teams/" + team + "/members/" + user, "{\"role\": \"x\"}"), 400, "role");
    assertThat(assertStatus(admin().get("/api/v1/users/" + user), 200).get("teams").get(0).get("team_name")
        .stringValue()).isEqualTo(teamName);

    var error = assertApiError(admin().delete("/api/v1/users/" + user), 409, "id");
    assertThat(message(error)).contains(teamName);

    JsonNode members = assertStatus(admin().get("/api/v1/teams/" + team + "/members"), 200);
    assertThat(members.get("data").valueStream().map(m -> m.get("user_id").stringValue())).containsExactly(user);
    assertStatus(admin().delete("/api/v1/teams/" + team + "/members/" + user), 204);
    assertApiError(admin().delete("/api/v1/teams/" + team + "/members/" + user), 404, null);
    assertStatus(admin().delete("/api/v1/users/" + user), 204);
    assertApiError(admin().get("/api/v1/teams/" + UUID.randomUUID() + "/members"), 404, null);
  }

  @Test
  void aTeamAdminManagesTheMembersOfItsOwnTeam() {
    String team = createTeam(unique("own-members")).get("id").stringValue();
    String teamAdmin = createApiToken("team_admin", team);
    String user = createUser(null).get("id").stringValue();

    assertStatus(bearer(teamAdmin).post("/api/v1/teams/" + team + "/members", """
        {"user_id": "%s", "role": "viewer"}""".formatted(user)), 201);
    assertStatus(bearer(teamAdmin).get("/api/v1/teams/" + team + "/members"), 200);
    assertStatus(bearer(teamAdmin).get("/api/v1/users/" + user), 200);
    assertStatus(bearer(teamAdmin).delete("/api/v1/teams/" + team + "/members/" + user), 204);
  }

  @Test
  void aUserActorCarriesItsOrgAndTeamRoles() {
    String team = createTeam(unique("actor")).get("id").stringValue();
    String user = createUser("viewer").get("id").stringValue();
    assertStatus(admin().post("/api/v1/teams/" + team + "/members", """
        {"user_id": "%s", "role": "team_admin"}""".formatted(user)), 201);

    var actor = userActors.forUser(UUID.fromString(user)).orElseThrow();

    assertThat(actor.type()).isEqualTo("user");
    assertThat(actor.readsEverything()).isTrue();
    assertThat(actor.isOrgAdmin()).isFalse();
    assertThat(actor.canAdminTeam(UUID.fromString(team))).isTrue();
    assertThat(actor.canAdminTeam(UUID.randomUUID())).isFalse();
    assertStatus(admin().patch("/api/v1/users/" + user, "{\"status\": \"disabled\"}"), 200);
    assertThat(userActors.forUser(UUID.fromString(user))).isEmpty();
  }

  @org.springframework.beans.factory.annotation.Autowired
  UserActors userActors;
}
