package dev.spillway.controlplane.requestlog;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static dev.spillway.controlplane.ApiAssertions.message;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.ContentPolicy;
import dev.spillway.config.LoggingConfig;
import dev.spillway.config.SnapshotCodec;
import dev.spillway.config.SnapshotConfig;
import dev.spillway.controlplane.ApiClient;
import dev.spillway.controlplane.ApiResponse;
import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Request-log settings ({@code logging}) of teams and keys on the admin API: stored, answered, merged by PATCH,
 * audited, carried to the nodes and back by a restore; refused field by field; {@code full} content only from an
 * org admin.
 */
class LoggingSettingsApiIT extends ControlPlaneIntegrationTest {
  private final SnapshotCodec codec = new SnapshotCodec();

  private SnapshotConfig currentSnapshot() {
    awaitSnapshotCaughtUp();
    ApiResponse poll = pollSnapshot(0);
    return codec.decode(poll.body(), poll.header("Spillway-Snapshot-Sha256"));
  }

  private LoggingConfig teamLogging(SnapshotConfig snapshot, String teamId) {
    return snapshot.teams().stream().filter(t -> t.id().equals(teamId)).findFirst().orElseThrow().logging();
  }

  private LoggingConfig keyLogging(SnapshotConfig snapshot, String keyId) {
    return snapshot.virtualKeys().stream().filter(k -> k.id().equals(keyId)).findFirst().orElseThrow().logging();
  }

  @Test
  void settingsOfATeamAndAKeyAreStoredAnsweredAuditedAndCarriedToTheNodes() {
    JsonNode team = assertStatus(admin().post("/api/v1/teams", """
        {"name": "%s", "logging": {"content": "redacted", "retention_days": 7, "redact": ["ACME-\\\\d{6}"]}}"""
        .formatted(unique("logging"))), 201);
    String teamId = team.get("id").stringValue();
    String keyId = assertStatus(admin().post("/api/v1/virtual-keys", """
        {"name": "k", "team_id": "%s", "logging": {"content": "none", "redact": ["order-[0-9]+"]}}"""
        .formatted(teamId)), 201).get("id").stringValue();
    String plainKeyId = createKey(teamId, "plain").get("id").stringValue();

    assertThat(team.get("logging").get("content").stringValue()).isEqualTo("redacted");
    assertThat(team.get("logging").get("retention_days").intValue()).isEqualTo(7);
    assertThat(team.get("logging").get("redact").get(0).stringValue()).isEqualTo("ACME-\\d{6}");
    JsonNode key = assertStatus(admin().get("/api/v1/virtual-keys/" + keyId), 200);
    assertThat(key.get("logging").get("content").stringValue()).isEqualTo("none");
    assertThat(key.get("logging").get("retention_days").isNull()).isTrue();
    assertThat(assertStatus(admin().get("/api/v1/virtual-keys/" + plainKeyId), 200).get("logging").isNull())
        .isTrue();
    SnapshotConfig snapshot = currentSnapshot();
    assertThat(teamLogging(snapshot, teamId))
        .isEqualTo(new LoggingConfig(ContentPolicy.REDACTED, 7, List.of("ACME-\\d{6}")));
    assertThat(keyLogging(snapshot, keyId)).isEqualTo(new LoggingConfig(ContentPolicy.NONE, null,
        List.of("order-[0-9]+")));
    assertThat(keyLogging(snapshot, plainKeyId)).isNull();

    // A merge patch: the fields not named stay.
    JsonNode patched = assertStatus(admin().patch("/api/v1/teams/" + teamId, """
        {"logging": {"retention_days": 90}}"""), 200);

    assertThat(patched.get("logging").get("content").stringValue()).isEqualTo("redacted");
    assertThat(patched.get("logging").get("retention_days").intValue()).isEqualTo(90);
    assertThat(teamLogging(currentSnapshot(), teamId).retentionDays()).isEqualTo(90);
    JsonNode audit = assertStatus(admin().get("/api/v1/audit-events?action=team.update&resource_id=" + teamId), 200)
        .get("data").get(0);
    // (The audit log writes its views in camelCase today; the test does not depend on the spelling.)
    assertThat(audit.get("before").get("logging").toString()).contains("7").doesNotContain("90");
    assertThat(audit.get("after").get("logging").toString()).contains("90");

    assertStatus(admin().patch("/api/v1/virtual-keys/" + keyId, "{\"logging\": null}"), 200);
    assertStatus(admin().patch("/api/v1/teams/" + teamId, "{\"logging\": {\"content\": null, \"redact\": []}}"),
        200);

    SnapshotConfig cleared = currentSnapshot();
    assertThat(keyLogging(cleared, keyId)).isNull();
    assertThat(teamLogging(cleared, teamId)).isEqualTo(new LoggingConfig(null, 90, null));
    assertThat(assertStatus(admin().get("/api/v1/audit-events?action=virtual_key.update&resource_id=" + keyId),
        200).get("data").get(0).get("before").get("logging").get("content").stringValue()).isEqualTo("none");
  }

  @Test
  void refusesWhatIsWrongNamingTheField() {
    String teamId = createTeam(unique("logging-bad")).get("id").stringValue();
    long version = configVersion();

    assertThat(message(assertApiError(admin().patch("/api/v1/teams/" + teamId, """
        {"logging": {"content": "everything"}}"""), 400, "logging.content"))).contains("none, redacted, full");
    assertApiError(admin().patch("/api/v1/teams/" + teamId, """
        {"logging": {"retention_days": 0}}"""), 400, "logging.retention_days");
    assertThat(message(assertApiError(admin().patch("/api/v1/teams/" + teamId, """
        {"logging": {"retention_days": 3651}}"""), 400, "logging.retention_days"))).contains("3650");
    assertThat(message(assertApiError(admin().patch("/api/v1/teams/" + teamId, """
        {"logging": {"redact": ["ok", "fine", "(unclosed"]}}"""), 400, "logging.redact[2]")))
        .contains("not a regular expression");
    assertThat(message(assertApiError(admin().patch("/api/v1/teams/" + teamId, """
        {"logging": {"redact": ["%s"]}}""".formatted("x".repeat(201))), 400, "logging.redact[0]")))
        .contains("200");
    assertApiError(admin().patch("/api/v1/teams/" + teamId, """
        {"logging": {"redact": ["a\\tb"]}}"""), 400, "logging.redact[0]");
    assertApiError(admin().patch("/api/v1/teams/" + teamId, """
        {"logging": {"redact": [""]}}"""), 400, "logging.redact[0]");
    String many = IntStream.range(0, 21).mapToObj(i -> "\"p" + i + "\"").collect(Collectors.joining(", "));
    assertApiError(admin().patch("/api/v1/teams/" + teamId, """
        {"logging": {"redact": [%s]}}""".formatted(many)), 400, "logging.redact");
    assertApiError(admin().patch("/api/v1/teams/" + teamId, """
        {"logging": {"redact": "one"}}"""), 400, "logging.redact");
    assertApiError(admin().post("/api/v1/virtual-keys", """
        {"name": "k", "team_id": "%s", "logging": {"content": "all"}}""".formatted(teamId)), 400,
        "logging.content");
    assertApiError(admin().post("/api/v1/virtual-keys", """
        {"name": "k", "team_id": "%s", "logging": {"redact": ["[a-"]}}""".formatted(teamId)), 400,
        "logging.redact[0]");

    assertThat(configVersion()).isEqualTo(version);
  }

  @Test
  void onlyAnOrgAdminTurnsFullContentOnForATeamOrAKey() {
    String teamA = createTeam(unique("logging-a")).get("id").stringValue();
    String teamB = createTeam(unique("logging-b")).get("id").stringValue();
    ApiClient teamAdminA = bearer(createApiToken("team_admin", teamA));
    long version = configVersion();
    long audits = auditEventCount();

    assertApiError(teamAdminA.put("/api/v1/teams/" + teamA + "/logging", "{\"content\": \"full\"}"), 403, null);
    assertApiError(teamAdminA.patch("/api/v1/teams/" + teamA, "{\"logging\": {\"content\": \"redacted\"}}"), 403,
        null);
    assertApiError(teamAdminA.put("/api/v1/teams/" + teamB + "/logging", "{\"content\": \"none\"}"), 403, null);
    assertApiError(teamAdminA.post("/api/v1/virtual-keys", """
        {"name": "k", "team_id": "%s", "logging": {"content": "full"}}""".formatted(teamA)), 403, null);

    assertThat(configVersion()).isEqualTo(version);
    assertThat(auditEventCount()).isEqualTo(audits);
    // What a team admin may choose.
    JsonNode redacted = assertStatus(teamAdminA.put("/api/v1/teams/" + teamA + "/logging", """
        {"content": "redacted", "retention_days": 14, "redact": ["secret-[a-z]+"]}"""), 200);
    assertThat(redacted.get("logging").get("content").stringValue()).isEqualTo("redacted");
    assertThat(assertStatus(admin().get("/api/v1/audit-events?action=team.update&resource_id=" + teamA), 200)
        .get("data").get(0).get("actor").get("type").stringValue()).isEqualTo("api_token");
    assertApiError(teamAdminA.put("/api/v1/teams/" + teamA + "/logging", "{\"retention_days\": 0}"), 400,
        "logging.retention_days");
    String keyId = assertStatus(teamAdminA.post("/api/v1/virtual-keys", """
        {"name": "k", "team_id": "%s", "logging": {"content": "redacted"}}""".formatted(teamA)), 201)
        .get("id").stringValue();
    assertApiError(teamAdminA.patch("/api/v1/virtual-keys/" + keyId, "{\"logging\": {\"content\": \"full\"}}"),
        403, null);

    // An org admin turns full on; a team admin may then leave it, or lower it.
    assertStatus(admin().put("/api/v1/teams/" + teamA + "/logging", "{\"content\": \"full\"}"), 200);
    assertStatus(admin().patch("/api/v1/virtual-keys/" + keyId, "{\"logging\": {\"content\": \"full\"}}"), 200);
    assertStatus(teamAdminA.put("/api/v1/teams/" + teamA + "/logging", """
        {"content": "full", "retention_days": 3}"""), 200);
    assertStatus(teamAdminA.patch("/api/v1/virtual-keys/" + keyId, "{\"name\": \"renamed\"}"), 200);
    SnapshotConfig snapshot = currentSnapshot();
    assertThat(teamLogging(snapshot, teamA)).isEqualTo(new LoggingConfig(ContentPolicy.FULL, 3, null));
    assertThat(keyLogging(snapshot, keyId).content()).isEqualTo(ContentPolicy.FULL);
    JsonNode lowered = assertStatus(teamAdminA.put("/api/v1/teams/" + teamA + "/logging", "{}"), 200);
    assertThat(lowered.get("logging").isNull()).isTrue();
  }

  @Test
  void aConfigFileSetsTheSettingsAndAppliesOnlyOnceWhenNothingChanged() {
    String team = unique("logging-yaml");
    String yaml = """
        teams:
          - name: %s
            logging: {content: redacted, retention_days: 60, redact: ['ACME-\\d{6}']}
        """.formatted(team);

    JsonNode first = assertStatus(admin().send("POST", "/api/v1/config/apply", "application/yaml", yaml), 200);
    JsonNode second = assertStatus(admin().send("POST", "/api/v1/config/apply", "application/yaml", yaml), 200);

    assertThat(first.get("applied").booleanValue()).isTrue();
    assertThat(second.get("applied").booleanValue()).isFalse();
    JsonNode stored = assertStatus(admin().get("/api/v1/teams"), 200).get("data").valueStream()
        .filter(t -> t.get("name").stringValue().equals(team)).findFirst().orElseThrow();
    assertThat(stored.get("logging").get("retention_days").intValue()).isEqualTo(60);
    assertThat(stored.get("logging").get("redact").get(0).stringValue()).isEqualTo("ACME-\\d{6}");
    assertApiError(admin().send("POST", "/api/v1/config/apply", "application/yaml", """
        teams: [{name: %s, logging: {redact: ['(']}}]""".formatted(team)), 400, "teams[0].logging.redact[0]");
  }

  @Test
  void aRestoreBringsBackTheSettingsOfTeamsAndKeys() {
    String teamId = assertStatus(admin().post("/api/v1/teams", """
        {"name": "%s", "logging": {"content": "redacted", "retention_days": 5}}""".formatted(unique("logging-r"))),
        201).get("id").stringValue();
    String keyId = assertStatus(admin().post("/api/v1/virtual-keys", """
        {"name": "k", "team_id": "%s", "logging": {"redact": ["x+"]}}""".formatted(teamId)), 201)
        .get("id").stringValue();
    long good = awaitSnapshotCaughtUp();
    assertStatus(admin().patch("/api/v1/teams/" + teamId, "{\"logging\": null}"), 200);
    assertStatus(admin().patch("/api/v1/virtual-keys/" + keyId, "{\"logging\": {\"content\": \"full\"}}"), 200);

    assertStatus(admin().post("/api/v1/snapshots/" + good + "/restore", ""), 200);

    assertThat(assertStatus(admin().get("/api/v1/teams/" + teamId), 200).get("logging").get("retention_days")
        .intValue()).isEqualTo(5);
    JsonNode key = assertStatus(admin().get("/api/v1/virtual-keys/" + keyId), 200);
    assertThat(key.get("logging").get("content").isNull()).isTrue();
    assertThat(key.get("logging").get("redact").get(0).stringValue()).isEqualTo("x+");
  }
}
