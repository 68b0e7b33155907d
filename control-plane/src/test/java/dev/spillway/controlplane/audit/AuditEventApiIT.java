package dev.spillway.controlplane.audit;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code GET /api/v1/audit-events}: filters and pagination. */
class AuditEventApiIT extends ControlPlaneIntegrationTest {

  @Test
  void filtersByResourceActionAndActor() {
    Instant before = Instant.now().minusSeconds(1);
    String id = createTeam(unique("audited")).get("id").stringValue();
    assertStatus(admin().patch("/api/v1/teams/" + id, "{\"description\": \"x\"}"), 200);

    JsonNode byResource = assertStatus(admin().get("/api/v1/audit-events?resource_type=team&resource_id=" + id),
        200);
    assertThat(byResource.get("data").valueStream().map(e -> e.get("action").stringValue()))
        .containsExactly("team.update", "team.create");
    JsonNode update = byResource.get("data").get(0);
    assertThat(update.get("actor").get("type").stringValue()).isEqualTo("bootstrap_token");
    assertThat(update.get("after").get("description").stringValue()).isEqualTo("x");
    assertThat(update.get("config_version").asLong()).isPositive();
    assertThat(update.get("client_ip").stringValue()).isEqualTo("127.0.0.1");

    JsonNode byAction = assertStatus(admin().get("/api/v1/audit-events?action=team.*&resource_id=" + id
        + "&from=" + before + "&to=" + Instant.now().plusSeconds(5)), 200);
    assertThat(byAction.get("data").size()).isEqualTo(2);
    assertThat(assertStatus(admin().get("/api/v1/audit-events?action=team.create&resource_id=" + id), 200)
        .get("data").size()).isEqualTo(1);
    assertThat(assertStatus(admin().get("/api/v1/audit-events?actor_type=api_token&resource_id=" + id), 200)
        .get("data").size()).isZero();
    assertThat(assertStatus(admin().get("/api/v1/audit-events?resource_id=" + id + "&to=" + before), 200)
        .get("data").size()).isZero();
  }

  @Test
  void pagesWithACursorWithoutRepeatsOrGaps() {
    for (int i = 0; i < 5; i++) {
      createTeam(unique("paged"));
    }
    Set<Long> seen = new HashSet<>();
    String cursor = null;
    for (int page = 0; page < 3; page++) {
      JsonNode body = assertStatus(admin().get("/api/v1/audit-events?action=team.create&limit=2"
          + (cursor == null ? "" : "&cursor=" + cursor)), 200);
      assertThat(body.get("data").size()).isEqualTo(2);
      body.get("data").forEach(e -> assertThat(seen.add(e.get("id").asLong())).isTrue());
      cursor = body.get("next_cursor").stringValue();
    }
    assertThat(seen).hasSize(6);
  }

  @Test
  void refusesInvalidFilters() {
    assertApiError(admin().get("/api/v1/audit-events?from=yesterday"), 400, "from");
    assertApiError(admin().get("/api/v1/audit-events?limit=501"), 400, "limit");
    assertApiError(admin().get("/api/v1/audit-events?cursor=abc"), 400, "cursor");
    assertApiError(admin().get("/api/v1/audit-events?actor_type=robot"), 400, "actor_type");
    assertApiError(admin().get("/api/v1/audit-events?from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z"), 400,
        "to");
  }
}
