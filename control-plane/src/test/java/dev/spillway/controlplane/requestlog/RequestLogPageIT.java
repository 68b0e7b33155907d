package dev.spillway.controlplane.requestlog;

import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ApiResponse;
import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import dev.spillway.controlplane.DashboardSession;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The logs pages for a team viewer: its own team's requests only, another team's is a not-found page, no replay. */
class RequestLogPageIT extends ControlPlaneIntegrationTest {

  @Test
  void aTeamViewerSeesItsTeamsRequestsAndNeitherAnotherTeamsNorTheReplay() {
    UUID own = UUID.fromString(createTeam(unique("page-own")).get("id").stringValue());
    UUID other = UUID.fromString(createTeam(unique("page-other")).get("id").stringValue());
    String body = "{\"model\":\"demo\",\"messages\":[{\"role\":\"user\",\"content\":\"<script>alert(1)</script>\"}]}";
    String mine = LoggedRequest.of(unique("page-mine"), Instant.now()).team(own, null).bodies("full", body, null)
        .insert(jdbc).requestId();
    String theirs = LoggedRequest.of(unique("page-theirs"), Instant.now()).team(other, null).insert(jdbc)
        .requestId();
    String email = unique("page-viewer") + "@example.com";
    String user = assertStatus(admin().post("/api/v1/users", "{\"email\": \"%s\"}".formatted(email)), 201)
        .get("id").stringValue();
    assertStatus(admin().post("/api/v1/teams/" + own + "/members", """
        {"user_id": "%s", "role": "viewer"}""".formatted(user)), 201);
    DashboardSession viewer = signInAs(email);

    ApiResponse list = viewer.get("/logs");
    assertThat(list.status()).isEqualTo(200);
    assertThat(list.text()).contains(mine).doesNotContain(theirs);

    ApiResponse detail = viewer.get("/logs/" + mine);
    assertThat(detail.status()).isEqualTo(200);
    assertThat(detail.text()).contains("&lt;script&gt;alert(1)&lt;/script&gt;").doesNotContain("<script>alert(1)")
        .doesNotContain("data-testid=\"replay-submit\"");
    assertThat(viewer.get("/logs/" + theirs).status()).isEqualTo(404);
    assertThat(viewer.post("/logs/" + mine + "/replay", Map.of("model", "demo", "key_id", UUID.randomUUID()
        .toString())).status()).isEqualTo(403);
  }
}
