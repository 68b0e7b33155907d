package dev.spillway.controlplane.audit;

import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code audit_events}: who changed what, with only the changed fields and never a secret. */
class AuditLogIT extends ControlPlaneIntegrationTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  record AuditRow(String action, String actorType, String actorName, String resourceType, String before,
      String after, long configVersion) {
    JsonNode beforeJson() {
      return before == null ? null : JSON.readTree(before);
    }

    JsonNode afterJson() {
      return after == null ? null : JSON.readTree(after);
    }
  }

  @Test
  void recordsCreateUpdateAndDeleteOfATeamWithOnlyTheChangedFields() {
    String name = unique("audited");
    String id = assertStatus(admin().post("/api/v1/teams", """
        {"name": "%s", "description": "first", "rate_limit": {"rpm": 60}}""".formatted(name)), 201)
        .get("id").stringValue();
    assertStatus(admin().patch("/api/v1/teams/" + id, """
        {"description": "second"}"""), 200);
    assertStatus(admin().delete("/api/v1/teams/" + id), 204);

    List<AuditRow> rows = rows("team", id);

    assertThat(rows).extracting(AuditRow::action).containsExactly("team.create", "team.update", "team.delete");
    assertThat(rows).allSatisfy(row -> {
      assertThat(row.actorType()).isEqualTo("bootstrap_token");
      assertThat(row.actorName()).isNotBlank();
      assertThat(row.resourceType()).isEqualTo("team");
    });
    assertThat(rows).extracting(AuditRow::configVersion).isSorted().doesNotHaveDuplicates();

    AuditRow create = rows.get(0);
    assertThat(create.before()).isNull();
    assertThat(create.afterJson().get("name").stringValue()).isEqualTo(name);
    assertThat(create.afterJson().get("description").stringValue()).isEqualTo("first");
    assertThat(create.afterJson().get("rate_limit").get("rpm").asInt()).isEqualTo(60);

    AuditRow update = rows.get(1);
    assertThat(update.beforeJson()).isEqualTo(JSON.readTree("{\"description\": \"first\"}"));
    assertThat(update.afterJson()).isEqualTo(JSON.readTree("{\"description\": \"second\"}"));

    AuditRow delete = rows.get(2);
    assertThat(delete.after()).isNull();
    assertThat(delete.beforeJson().get("name").stringValue()).isEqualTo(name);
    assertThat(delete.beforeJson().get("description").stringValue()).isEqualTo("second");
  }

  @Test
  void aTeamUpdateRemovingTheBudgetRecordsOnlyTheBudget() {
    String id = assertStatus(admin().post("/api/v1/teams", """
        {"name": "%s", "budget": {"limit_usd": 5, "period": "total"}}""".formatted(unique("budget"))), 201)
        .get("id").stringValue();

    assertStatus(admin().patch("/api/v1/teams/" + id, "{\"budget\": null}"), 200);

    AuditRow update = rows("team", id).get(1);
    assertThat(update.beforeJson().propertyNames()).containsExactly("budget");
    assertThat(update.beforeJson().get("budget").get("period").stringValue()).isEqualTo("total");
    assertThat(update.afterJson().propertyNames()).containsExactly("budget");
    assertThat(update.afterJson().get("budget").isNull()).isTrue();
  }

  @Test
  void aProviderAuditNeverContainsTheKeyValue() {
    String secret = "sk-audit-" + UUID.randomUUID();
    String replacement = "sk-audit-new-" + UUID.randomUUID();
    String id = createProvider(unique("audit-provider"), secret).get("id").stringValue();
    assertStatus(admin().patch("/api/v1/providers/" + id, """
        {"keys": [{"name": "primary", "value": "%s"}]}""".formatted(replacement)), 200);
    assertStatus(admin().delete("/api/v1/providers/" + id), 204);

    List<AuditRow> rows = rows("provider", id);

    assertThat(rows).extracting(AuditRow::action)
        .containsExactly("provider.create", "provider.update", "provider.delete");
    assertThat(rows.get(0).afterJson().get("keys").toString())
        .contains("primary", secret.substring(secret.length() - 4));
    assertThat(rows.get(1).afterJson().get("keys").toString())
        .contains(replacement.substring(replacement.length() - 4));
    assertThat(jdbc.sql("SELECT a::text FROM audit_events a WHERE resource_id = ?").param(id).query(String.class)
        .list()).hasSize(3).allSatisfy(row -> assertThat(row).doesNotContain(secret, replacement));
  }

  @Test
  void aVirtualKeyAuditHoldsNeitherTheKeyNorItsHash() {
    String teamId = createTeam(unique("audit-keys")).get("id").stringValue();
    JsonNode key = createKey(teamId, "audited-key");
    String keyId = key.get("id").stringValue();
    JsonNode rotated = assertStatus(admin().post("/api/v1/virtual-keys/" + keyId + "/rotate", "{}"), 201);

    List<String> rows = jdbc.sql("SELECT a::text FROM audit_events a WHERE resource_id = ?").param(keyId)
        .query(String.class).list();

    assertThat(rows).hasSize(2);
    assertThat(rows("virtual_key", keyId)).extracting(AuditRow::action)
        .containsExactly("virtual_key.create", "virtual_key.rotate");
    for (String secret : List.of(key.get("key").stringValue(), rotated.get("key").stringValue())) {
      assertThat(rows).allSatisfy(row -> assertThat(row).doesNotContain(secret).doesNotContain(sha256Hex(secret)));
    }
  }

  private List<AuditRow> rows(String resourceType, String id) {
    return jdbc.sql("""
        SELECT action, actor_type, actor_name, resource_type, before::text, after::text, config_version
        FROM audit_events WHERE resource_type = ? AND resource_id = ? ORDER BY id""")
        .params(resourceType, id)
        .query((rs, i) -> new AuditRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
            rs.getString(5), rs.getString(6), rs.getLong(7)))
        .list();
  }
}
