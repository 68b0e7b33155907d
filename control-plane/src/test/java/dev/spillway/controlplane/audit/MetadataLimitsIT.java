package dev.spillway.controlplane.audit;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static dev.spillway.controlplane.ApiAssertions.message;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ApiResponse;
import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import dev.spillway.controlplane.DashboardSession;
import java.nio.charset.StandardCharsets;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Metadata of teams and keys is capped (entries, bytes per value, bytes in all), and audit pages stay small whatever
 * the table holds: a 50 MB metadata value once made every later audit page a 500 or a 64 MB answer.
 */
class MetadataLimitsIT extends ControlPlaneIntegrationTest {

  @Test
  void refusesOversizedTeamMetadataNamingTheField() {
    String big = "x".repeat(5000);
    var value = assertApiError(admin().post("/api/v1/teams", """
        {"name": "%s", "metadata": {"notes": "%s"}}""".formatted(unique("meta"), big)), 400, "metadata.notes");
    assertThat(message(value)).contains("bytes");

    String many = IntStream.range(0, 51).mapToObj(i -> "\"k" + i + "\": \"v\"").collect(Collectors.joining(","));
    assertApiError(admin().post("/api/v1/teams", """
        {"name": "%s", "metadata": {%s}}""".formatted(unique("meta"), many)), 400, "metadata");

    String heavy = IntStream.range(0, 5).mapToObj(i -> "\"k" + i + "\": \"" + "y".repeat(4000) + "\"")
        .collect(Collectors.joining(","));
    var total = assertApiError(admin().post("/api/v1/teams", """
        {"name": "%s", "metadata": {%s}}""".formatted(unique("meta"), heavy)), 400, "metadata");
    assertThat(message(total)).contains("16384");

    String id = createTeam(unique("meta")).get("id").stringValue();
    assertApiError(admin().patch("/api/v1/teams/" + id, """
        {"metadata": {"notes": "%s"}}""".formatted(big)), 400, "metadata.notes");
    assertStatus(admin().patch("/api/v1/teams/" + id, """
        {"metadata": {"notes": "%s"}}""".formatted("z".repeat(3000))), 200);
  }

  @Test
  void refusesOversizedKeyMetadata() {
    String teamId = createTeam(unique("meta-key")).get("id").stringValue();
    String heavy = IntStream.range(0, 40).mapToObj(i -> "\"k" + i + "\": \"" + "y".repeat(490) + "\"")
        .collect(Collectors.joining(","));

    assertApiError(admin().post("/api/v1/virtual-keys", """
        {"name": "k", "team_id": "%s", "metadata": {%s}}""".formatted(teamId, heavy)), 400, "metadata");
  }

  @Test
  void anAuditEventStoresAtMost32KiBOfAChangedField() {
    // Metadata is capped below the audit cap, but a key's model list is not: 200 names of 200 characters.
    String teamId = createTeam(unique("audit-cap")).get("id").stringValue();
    String models = IntStream.range(0, 200).mapToObj(i -> "\"" + "m".repeat(195) + "%05d".formatted(i) + "\"")
        .collect(Collectors.joining(","));
    String keyId = assertStatus(admin().post("/api/v1/virtual-keys", """
        {"name": "k", "team_id": "%s", "models": [%s]}""".formatted(teamId, models)), 201).get("id").stringValue();

    String stored = jdbc.sql("""
        SELECT after->'models' FROM audit_events WHERE action = 'virtual_key.create' AND resource_id = ?""")
        .param(keyId).query(String.class).single();
    assertThat(stored.getBytes(StandardCharsets.UTF_8).length).as("bytes of after.models in the stored event")
        .isLessThanOrEqualTo(32 * 1024);
    assertThat(stored).contains("[truncated: ");
  }

  @Test
  void auditPagesStayBoundedWhateverTheTableHolds() {
    // A row as an earlier version wrote it, before values were capped: 5 MB in one field.
    String resourceId = unique("huge-audit");
    String action = "test." + resourceId;
    jdbc.sql("""
        INSERT INTO audit_events (org_id, actor_type, actor_id, actor_name, action, resource_type, resource_id,
                                  before, after)
        VALUES ('00000000-0000-0000-0000-000000000001', 'bootstrap_token', 'bootstrap', 'bootstrap', ?,
                'team', ?, '{}'::jsonb, jsonb_build_object('metadata', jsonb_build_object('notes', repeat('x', ?))))""")
        .params(action, resourceId, 5 * 1024 * 1024).update();

    ApiResponse api = admin().get("/api/v1/audit-events?limit=5&resource_id=" + resourceId);
    JsonNode page = assertStatus(api, 200);
    assertThat(api.body().length).isLessThan(16 * 1024);
    assertThat(page.get("data").get(0).get("after").stringValue()).contains("[truncated: ");

    DashboardSession dashboard = signInAs(ADMIN_EMAIL);
    ApiResponse html = dashboard.get("/audit?action=" + action);
    assertThat(html.status()).as(html.describe()).isEqualTo(200);
    assertThat(html.body().length).isLessThan(512 * 1024);
    assertThat(html.text()).contains("[truncated: ");
  }
}
